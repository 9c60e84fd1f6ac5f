"""The school's settings: name, country and default protocol (administrators)."""
import tempfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, gettext as _, ngettext
from flask_login import login_required

import audit
from db import db
from domain import backup, export, notify, protocols
from forms.settings import SettingsForm
from models import SchoolSettings
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
    form = SettingsForm(obj=settings, protocols=sorted(protocols.registry().values(), key=lambda p: p.name))
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
    last_backup = backup.last_backup(current_app.config["BACKUP_RECORD"])
    return render_template("settings/edit.html", form=form, given_up=list(notify.given_up()),
                           max_mail_attempts=notify.MAX_ATTEMPTS, last_backup=last_backup,
                           backup_size=file_size(last_backup.size) if last_backup else ""), \
        400 if form.is_submitted() else 200


@bp.route("/export", methods=["POST"])
def export_all():
    """Download everything the school keeps in Herstel in open formats, as one ZIP (logged)."""
    handle = tempfile.TemporaryFile(dir=current_app.instance_path)  # gone from the disk once sent
    try:
        done = export.write_export(handle)
    except BaseException:
        handle.close()
        raise
    with db.atomic():
        audit.record("school.export", object_type="school", detail="%d rijen, %d bewijsbestanden, %d overeenkomsten" % (
            done.rows, done.evidence_files, done.agreements))
    handle.seek(0)
    return send_file(handle, mimetype="application/zip", as_attachment=True, download_name=export.export_name(),
                     max_age=0)


def file_size(size):
    """A file's size for people, in the reader's number format: 840 kB, 12,5 MB."""
    if size < 1024 * 1024:
        return "%s kB" % format_decimal(max(1, round(size / 1024)))
    return "%s MB" % format_decimal(round(size / 1024 / 1024, 1))


@bp.route("/e-mail", methods=["POST"])
def failed_mail():
    """Send the notices that failed every try once more (after fixing the mail server), or let them go."""
    action = request.form.get("actie")
    if action not in ("opnieuw", "weggooien"):
        abort(400)
    if action == "weggooien":
        with db.atomic():
            count = notify.discard_given_up()
            audit.record("mail.discard", detail="%d e-mail(s)" % count, object_type="mail")
        flash(ngettext("%(num)d e-mail weggegooid.", "%(num)d e-mails weggegooid.", count), "success")
    elif not notify.mail_is_on():
        # Delivery with mail switched off would drop them; they stay listed until it is on.
        flash(_("E-mail staat uit. Zet e-mail aan en vul de mailserver in; verstuur ze daarna opnieuw."), "error")
    else:
        with db.atomic():
            count = notify.try_again()
            audit.record("mail.retry", detail="%d e-mail(s)" % count, object_type="mail")
        if count:
            notify.start_delivery()
        flash(ngettext("%(num)d e-mail wordt opnieuw verstuurd.", "%(num)d e-mails worden opnieuw verstuurd.",
                       count), "success")
    return redirect(url_for("settings.edit") + "#niet-verstuurd")
