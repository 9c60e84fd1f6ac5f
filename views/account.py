"""A user's own account: password, second factor, sessions and the calendar link."""
import hashlib
import secrets

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

import audit
from audit import client_address
from db import db
from domain import export, second_factor
from forms.account import AppCodeForm, IdentityForm, PasswordChangeForm
from forms.common import ActionForm
from models import RecoveryCode, SchoolSettings, User, UserSession
from permissions import may_read_complaint_notes
from security import (
    forget_identity_confirmed, identity_confirmed, release_login_attempt, remember_identity_confirmed,
    reserve_login_attempt,
)

bp = Blueprint("account", __name__, url_prefix="/account")


def _sessions():
    return UserSession.select().where(UserSession.user == current_user).order_by(
        UserSession.last_seen_at.desc())


def _page(status=200, form=None, disable_form=None, **context):
    """The account page, with whichever of its forms came back with errors."""
    user = User.get_by_id(current_user.id)
    return render_template(
        "account/index.html", form=form or PasswordChangeForm(), disable_form=disable_form or AppCodeForm(),
        sessions=list(_sessions()), action_form=ActionForm(), user=user,
        recovery_codes_left=RecoveryCode.unused_of(user).count() if user.has_second_factor else 0,
        history=list(audit.account_history(user)), action_label=audit.action_label,
        second_factor_required=SchoolSettings.current().requires_second_factor(current_user), **context), status


@bp.route("/", methods=["GET"])
@login_required
def index():
    """The user's profile: roles, password change, second factor and open sessions."""
    return _page()


@bp.route("/wachtwoord", methods=["POST"])
@login_required
def change_password():
    """Change the password; every other session of the user ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Dit is niet je huidige wachtwoord."))
        else:
            user = User.get_by_id(current_user.id)
            user.set_password(form.new_password.data)
            with db.atomic():
                user.save()
                UserSession.delete().where(UserSession.user == user,
                                           UserSession.id != current_user.session_id).execute()
                had_calendar_link = user.forget_calendar_link()
                audit.record("user.password_changed", user)
            flash(_("Je wachtwoord is gewijzigd. Je andere sessies zijn beëindigd."), "success")
            if had_calendar_link:
                flash(_calendar_link_stopped(), "info")
            return redirect(url_for("account.index"))
    return _page(400, form=form)


def _identity_page(user, form=None, status=200, expired=False):
    """The step before setting up the second factor: the password, or a code from the current app."""
    return render_template("account/confirm_identity.html", user=user, expired=expired,
                           form=form or IdentityForm(has_second_factor=user.has_second_factor, formdata=None)), status


@bp.route("/tweede-factor/bevestigen", methods=["POST"])
@login_required
def confirm_identity():
    """Show it is you (password, or a code from the current app) before setting up the second factor."""
    user = User.get_by_id(current_user.id)
    form = IdentityForm(has_second_factor=user.has_second_factor)
    if form.validate_on_submit():
        # Counted as at login, before the check: a borrowed session must not guess its way to a
        # factor of its own.
        attempt = reserve_login_attempt(user.username, client_address())
        if attempt.wait:
            form.secret.errors.append(_("Te veel mislukte pogingen. Probeer het later opnieuw."))
        else:
            result = second_factor.proves_identity(user, form.secret.data)
            if result == "ok":
                release_login_attempt(attempt)
                second_factor.new_pending_secret(user)
                remember_identity_confirmed()
                return redirect(url_for("account.second_factor_setup"))
            with db.atomic():
                audit.record("mfa.setup_refused", user, user=user)
            form.secret.errors.append(
                _("Deze code is al gebruikt. Wacht op de volgende code in je app.") if result == "reused" else
                _("Dit is niet je wachtwoord, en ook geen geldige code uit je app.") if user.has_second_factor else
                _("Dit is niet je wachtwoord."))
    return _identity_page(user, form, 400)


@bp.route("/tweede-factor", methods=["GET", "POST"])
@login_required
def second_factor_setup():
    """Turn the second factor on (or set it up anew: a new phone, fresh recovery codes), once the
    session has shown it is the user."""
    user = User.get_by_id(current_user.id)
    if not identity_confirmed():
        posted = request.method == "POST"
        return _identity_page(user, status=400 if posted else 200, expired=posted)
    form = AppCodeForm()
    if form.validate_on_submit():
        codes = second_factor.enrol(user, form.value)
        if codes is not None:
            forget_identity_confirmed()
            return render_template("account/recovery_codes.html", codes=codes,
                                   continue_url=url_for("account.index"))
        form.code.errors.append(_("Deze code klopt niet. Scan de QR-code opnieuw of typ de sleutel over, "
                                  "en vul de code in die de app nu toont."))
    return render_template("account/second_factor.html", form=form, during_login=False,
                           user=user, **second_factor.enrolment(user),
                           action=url_for("account.second_factor_setup")), 400 if form.is_submitted() else 200


@bp.route("/tweede-factor/uitzetten", methods=["POST"])
@login_required
def disable_second_factor():
    """Turn one's own second factor off, with a code from the app; not when one's role requires it."""
    user = User.get_by_id(current_user.id)
    form = AppCodeForm()
    if not user.has_second_factor:
        flash(_("Je tweede factor staat al uit."), "info")
        return redirect(url_for("account.index"))
    if SchoolSettings.current().requires_second_factor(current_user):
        flash(_("Voor jouw rol is een tweede factor verplicht; je kunt hem niet uitzetten."), "error")
        return redirect(url_for("account.index"))
    if form.validate_on_submit():
        # Codes count as at login: a borrowed session must not guess its way to switching it off.
        attempt = reserve_login_attempt(user.username, client_address())
        if attempt.wait:
            form.code.errors.append(_("Te veel mislukte pogingen. Probeer het later opnieuw."))
        else:
            result = second_factor.accept_code(user, form.value)
            if result == "ok":
                release_login_attempt(attempt)
                second_factor.disable(user)
                flash(_("Je tweede factor staat uit. Je logt voortaan in met alleen je wachtwoord."), "success")
                return redirect(url_for("account.index"))
            with db.atomic():
                audit.record("mfa.disable_refused", user)
            form.code.errors.append(_("Deze code is al gebruikt. Wacht op de volgende code in je app.")
                                    if result == "reused" else _("Deze code klopt niet."))
    return _page(400, disable_form=form)


@bp.route("/aantekeningen", methods=["POST"])
@login_required
def own_notes():
    """Download one's own work notes (and, for the counsellor, complaint notes): the school's export
    leaves them out, because they are their author's alone."""
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(400)
    user = User.get_by_id(current_user.id)
    with_complaint_notes = may_read_complaint_notes(user)
    data = export.own_notes(user, complaint_notes=with_complaint_notes)
    with db.atomic():
        audit.record("personal_note.export", user, detail="met klachtnotities" if with_complaint_notes else "")
    return Response(data, mimetype="application/json", headers={
        "Content-Disposition": "attachment; filename=herstel-mijn-aantekeningen.json"})


@bp.route("/agenda", methods=["POST"])
@login_required
def calendar_link():
    """Make a new secret calendar link (the old one stops working); it is shown once."""
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("account.index"))
    token = secrets.token_urlsafe(32)
    with db.atomic():
        User.update(calendar_token_hash=hashlib.sha256(token.encode()).hexdigest()).where(
            User.id == current_user.id).execute()
        audit.record("calendar.renew", current_user._get_current_object())
    return _page(calendar_url=url_for("calendar.feed", token=token, _external=True))


def _calendar_link_stopped():
    return _("Je agenda-link werkt niet meer. Maak onder Mijn account → Agenda een nieuwe en zet die in je agenda-app.")


@bp.route("/sessies/beeindigen", methods=["POST"])
@login_required
def end_sessions():
    """Log out everywhere: end every session of this user, this one included."""
    form = ActionForm()
    if form.validate_on_submit():
        user = User.get_by_id(current_user.id)
        with db.atomic():
            UserSession.end_all(user)
            had_calendar_link = user.forget_calendar_link()  # a calendar app that kept the link is logged in too
            audit.record("logout.everywhere", user, user=user, detail=client_address())
        logout_user()
        flash(_("Je bent op alle apparaten uitgelogd."), "info")
        if had_calendar_link:
            flash(_calendar_link_stopped(), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("account.index"))
