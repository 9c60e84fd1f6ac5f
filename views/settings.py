"""The school's settings: name, country and default protocol (administrators)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

import audit
import protocols
from forms.settings import SettingsForm
from models import SchoolSettings, db
from permissions import require_admin

bp = Blueprint("settings", __name__, url_prefix="/instellingen")


@bp.before_request
@login_required
def only_admins():
    """Settings are for administrators only."""
    require_admin()


@bp.route("/", methods=["GET", "POST"])
def edit():
    """Show and change the school's settings."""
    settings = SchoolSettings.cached()  # saved changes show at once in this request's words
    form = SettingsForm(obj=settings, protocols=protocols.registry().values())
    if not form.is_submitted():
        form.second_factor_roles.data = sorted(settings.second_factor_roles)
    if form.validate_on_submit():
        with db.atomic():
            settings.school_name = form.school_name.data
            settings.region = form.region.data
            settings.default_protocol = form.default_protocol.data
            for name in ("public_reports_enabled", "app_url", "mail_enabled", "smtp_host", "smtp_starttls",
                         "smtp_username", "mail_sender"):
                setattr(settings, name, getattr(form, name).data)
            settings.smtp_port = form.smtp_port.data or 587
            settings.mfa_required_roles = ",".join(sorted(form.second_factor_roles.data))
            settings.retention_months = form.retention_months.data or settings.retention_months
            if form.logo_png:
                settings.logo_png = form.logo_png
            settings.save()
            audit.record("settings.save", settings, detail=(
                "standaardprotocol: %s; tweede factor verplicht: %s; bewaartermijn: %d maanden" % (
                    settings.default_protocol, settings.mfa_required_roles or "niemand", settings.retention_months)))
        flash(_("De instellingen zijn opgeslagen."), "success")
        return redirect(url_for("settings.edit"))
    return render_template("settings/edit.html", form=form), 400 if form.is_submitted() else 200
