"""The school's settings: name, country and default protocol (administrators)."""
import tempfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, gettext as _, ngettext
from flask_login import login_required

import audit
from db import db, utcnow
from domain import backup, export, notify, protocols, school_login
from forms.common import error_summary
from forms.settings import SettingsForm, SignInProviderForm
from models import SchoolSettings, SignInProvider
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
            for name in ("public_reports_enabled", "previous_mentor_reads", "app_url", "mail_enabled", "smtp_host",
                         "smtp_starttls", "smtp_username", "mail_sender"):
                setattr(settings, name, getattr(form, name).data)
            settings.smtp_port = form.smtp_port.data or 587
            settings.mfa_required_roles = ",".join(sorted(form.second_factor_roles.data))
            settings.retention_months = form.retention_months.data or settings.retention_months
            if form.logo_png:
                settings.logo_png = form.logo_png
            settings.save()
            audit.record("settings.save", settings, detail=(
                "standaardprotocol: %s; tweede factor verplicht: %s; bewaartermijn: %d maanden; "
                "vorige mentor leest na overdracht: %s" % (
                    settings.default_protocol, settings.mfa_required_roles or "niemand", settings.retention_months,
                    "ja" if settings.previous_mentor_reads else "nee")))
        flash(_("De instellingen zijn opgeslagen."), "success")
        return redirect(url_for("settings.edit"))
    last_backup = backup.last_backup(current_app.config["BACKUP_RECORD"])
    return render_template("settings/edit.html", form=form, given_up=list(notify.given_up()),
                           max_mail_attempts=notify.MAX_ATTEMPTS, last_backup=last_backup,
                           sign_in_provider=SignInProvider.current(),
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


@bp.route("/schoolaccount", methods=["GET", "POST"])
def sign_in():
    """Set up signing in with the school's own accounts (OpenID Connect)."""
    provider = SignInProvider.current()
    form = SignInProviderForm(obj=provider, secret_set=bool(provider.client_secret))
    if not form.is_submitted():
        form.client_secret.data = ""
        form.allowed_domains.data = ", ".join(provider.domains)
    if form.validate_on_submit():
        with db.atomic():
            provider = SignInProvider.for_update()
            provider.issuer = form.issuer.data  # exactly as the provider's discovery document names it
            provider.client_id = form.client_id.data
            if form.client_secret.data:
                provider.client_secret = form.client_secret.data
            if not provider.issuer:
                provider.client_id = provider.client_secret = ""
            provider.allowed_domains = ",".join(form.domains)
            provider.local_passwords = form.local_passwords.data
            provider.trust_provider_mfa = form.trust_provider_mfa.data
            provider.create_accounts = form.create_accounts.data
            provider.updated_at = utcnow()
            provider.save()
            audit.record("settings.sign_in", object_type="school", detail=(
                "uitgever: %s; client-id: %s; geheim %s; domeinen: %s; wachtwoorden: %s; amr vertrouwd: %s; "
                "accounts aanmaken: %s" % (
                    provider.issuer or "geen", provider.client_id or "geen",
                    "nieuw" if form.client_secret.data else "ongewijzigd", provider.allowed_domains or "geen",
                    provider.local_passwords, "ja" if provider.trust_provider_mfa else "nee",
                    "ja" if provider.create_accounts else "nee")))
        flash(_("De instellingen voor de schoolaccount zijn opgeslagen."), "success")
        return redirect(url_for("settings.sign_in"))
    return render_template("settings/sign_in.html", form=form, provider=provider,
                           redirect_uri=redirect_uri(), problems=None,
                           error_summary=error_summary(form)), \
        400 if form.is_submitted() else 200


@bp.route("/schoolaccount/testen", methods=["POST"])
def test_sign_in():
    """Try the saved provider settings and say in words what is wrong."""
    provider = SignInProvider.current()
    if not provider.configured:
        flash(_("Vul eerst de uitgever, de client-id en het clientgeheim in en sla ze op."), "error")
        return redirect(url_for("settings.sign_in"))
    problems = school_login.test_connection(provider, redirect_uri())
    with db.atomic():
        audit.record("settings.sign_in_test", object_type="school", detail="; ".join(
            "%s (%s)" % problem for problem in problems) or "in orde")
    form = SignInProviderForm(obj=provider, secret_set=True, formdata=None)
    form.client_secret.data = ""
    form.allowed_domains.data = ", ".join(provider.domains)
    return render_template("settings/sign_in.html", form=form, provider=provider, redirect_uri=redirect_uri(),
                           problems=[problem_text(reason, detail) for reason, detail in problems],
                           error_summary=[])


def redirect_uri():
    return school_login.callback_url()


def problem_text(reason, detail):
    """What a failed connection test means, for the administrator."""
    texts = {
        "unreachable": _("Het discovery-document van de aanbieder is niet bereikbaar. Klopt de uitgever, en kan deze "
                         "server die bereiken?"),
        "http": _("Het discovery-document van de aanbieder is niet bereikbaar. Klopt de uitgever, en kan deze "
                  "server die bereiken?"),
        "issuer": _("Het discovery-document noemt een andere uitgever (%(detail)s). Vul precies die uitgever in.",
                    detail=detail),
        "metadata": _("Het discovery-document van de aanbieder mist iets wat nodig is (%(detail)s).", detail=detail),
        "secret": _("De aanbieder weigert de client-id met dit clientgeheim. Vul het clientgeheim opnieuw in; "
                    "misschien is het verlopen."),
        "redirect": _("De aanbieder kent het terugkeeradres van Herstel niet. Registreer precies dit adres bij de "
                      "aanbieder: %(uri)s", uri=redirect_uri()),
        "client": _("De aanbieder kent deze client-id niet, of weigert het terugkeeradres %(uri)s.", uri=redirect_uri()),
    }
    return texts.get(reason, _("Onbekende fout: %(detail)s", detail=detail))
