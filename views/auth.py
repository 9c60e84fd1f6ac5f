"""Logging in and out, and choosing the language before login."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

import audit
from audit import client_address
from db import db, utcnow
from domain import school_login, second_factor
from forms.account import AppCodeForm, LanguageForm
from forms.auth import LoginCodeForm, LoginForm
from forms.common import ActionForm
from models import SchoolSettings, SignInProvider, User, UserSession
from security import (
    drop_pending_login, pending_login, record_login_success, release_login_attempt, reserve_login_attempt,
    start_pending_login,
)

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only follow a ?next= that stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log a user in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    provider = SignInProvider.current()
    status = 200
    if form.validate_on_submit():
        username = form.username.data
        attempt = reserve_login_attempt(username, client_address())  # counted as a failure until it proves right
        user = User.by_username(username)
        if attempt.wait:
            form.password.errors.append(_(
                "Te veel mislukte pogingen. Probeer het over %(minutes)d minuten opnieuw.",
                minutes=attempt.wait_minutes))
            with db.atomic():
                audit.record("login.throttled", user, detail="gebruikersnaam: %s" % username[:64],
                             object_type="user")
            status = 429
        elif not (_password_matches(user, form.password.data) and user.is_active):
            with db.atomic():
                audit.record("login.failure", user, detail="gebruikersnaam: %s" % username[:64],
                             object_type="user")
            form.password.errors.append(_("Gebruikersnaam of wachtwoord klopt niet."))
            status = 401
        elif not provider.allows_password(user):
            release_login_attempt(attempt)
            with db.atomic():
                audit.record("login.password_refused", user, user=user)
            form.password.errors.append(_("Op deze school loggen alleen beheerders in met een wachtwoord van Herstel. "
                                          "Log in met je schoolaccount."))
            status = 403
        else:
            release_login_attempt(attempt)
            next_url = _safe_next(request.args.get("next"))
            if user.has_second_factor or SchoolSettings.current().requires_second_factor(user):
                # The account's failure counter stays until the second step passes: knowing the
                # password must not buy fresh guesses at the code.
                with db.atomic():
                    audit.record("login.password_ok", user, user=user)
                start_pending_login(user, next_url)
                return redirect(url_for("auth.second_step" if user.has_second_factor else "auth.enrol"))
            _finish_login(user, utcnow())
            return redirect(next_url or url_for("home.index"))
    elif form.is_submitted():
        status = 400
    end_session = ""
    if session.pop(PROVIDER_LOGOUT_KEY, None) and provider.configured:
        end_session = school_login.end_session_url(provider, school_login.own_url("auth.login"))
    return render_template("auth/login.html", form=form, provider=provider, end_session=end_session,
                           language_form=LanguageForm(language=session.get("language", "nl"))), status


def _password_matches(user, password):
    """One argon2 check whoever is named: an unknown or deactivated account answers as slowly as a
    wrong password, so the time of the answer does not tell which accounts exist or are active."""
    if user is None:
        User.burn_password_check(password)
        return False
    return user.check_password(password)


def _finish_login(user, started_at, how=""):
    """Open the real session, and tell the user what happened to their login since the last one."""
    with db.atomic():
        record_login_success(user.username)
        user.session_token = UserSession.start(user, client_address(), request.user_agent.string)
        audit.record("login.success", user, user=user, detail=how)
    through_provider = session.get(PROVIDER_KEY)
    session.clear()
    if through_provider:
        session[PROVIDER_KEY] = True  # logging out then offers the provider's logout too
    login_user(user)
    for text in second_factor.take_notices(user, before=started_at):
        flash(text, "warning")


def _pending_or_redirect():
    """The login halfway, or the answer that sends the browser back to the password."""
    if current_user.is_authenticated:
        return None, redirect(url_for("home.index"))
    pending = pending_login()
    if pending is None:
        flash(_("Log eerst in met je gebruikersnaam en wachtwoord."), "info")
        return None, redirect(url_for("auth.login"))
    if pending.expired:
        drop_pending_login()
        flash(_("Je inlogpoging is verlopen. Log opnieuw in met je wachtwoord."), "info")
        return None, redirect(url_for("auth.login"))
    return pending, None


# In the signed session cookie: this login came through the school's provider (so logging out offers the
# provider's logout too), and the page after logging out is to show that offer.
PROVIDER_KEY = "through_provider"
PROVIDER_LOGOUT_KEY = "provider_logout"
NEXT_KEY = "school_login_next"


@bp.route("/login/school")
def school_login_start():
    """Go to the school's provider to log in; it sends the browser back to school_callback."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    provider = SignInProvider.current()
    if not provider.configured:
        abort(404)
    try:
        url = school_login.start(provider, session, school_login.callback_url())
    except school_login.ProviderError as error:
        with db.atomic():
            audit.record("login.provider_refused", object_type="user", detail="unreachable: %s" % error.detail)
        flash(school_login.refusal_text("unreachable", passwords_for_all=provider.local_passwords == "everyone"),
              "error")
        return redirect(url_for("auth.login"))
    session[NEXT_KEY] = _safe_next(request.args.get("next")) or ""
    return redirect(url)


@bp.route("/login/school/terug")
def school_callback():
    """The provider's answer: check it, find the user, then the second factor or the session as after a password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    provider = SignInProvider.current()
    if not provider.configured:
        abort(404)
    next_url = session.pop(NEXT_KEY, None) or None
    try:
        claims = school_login.finish(provider, session, request.args)
        with db.atomic():
            user, _how = school_login.match_user(provider, claims)
    except school_login.Refused as refusal:
        with db.atomic():
            audit.record("login.provider_refused", refusal.user, user=refusal.user, object_type="user",
                         detail="%s: %s" % (refusal.reason, refusal.detail))
        flash(school_login.refusal_text(refusal.reason, refusal.detail,
                                        passwords_for_all=provider.local_passwords == "everyone"), "error")
        return redirect(url_for("auth.login"))
    provider_mfa = school_login.second_factor_done(provider, claims)
    if not provider_mfa and (user.has_second_factor or SchoolSettings.current().requires_second_factor(user)):
        with db.atomic():
            audit.record("login.provider_ok", user, user=user)
        start_pending_login(user, next_url)
        session[PROVIDER_KEY] = True
        return redirect(url_for("auth.second_step" if user.has_second_factor else "auth.enrol"))
    session[PROVIDER_KEY] = True
    _finish_login(user, utcnow(), how="met schoolaccount" + (", tweede factor bij de aanbieder" if provider_mfa else ""))
    return redirect(next_url or url_for("home.index"))


@bp.route("/login/code", methods=["GET", "POST"])
def second_step():
    """After the password: the code from the app, or a recovery code."""
    pending, answer = _pending_or_redirect()
    if answer:
        return answer
    if pending.enrolling:
        return redirect(url_for("auth.enrol"))
    user = pending.user
    form = LoginCodeForm()
    status = 200
    if form.validate_on_submit():
        attempt = reserve_login_attempt(user.username, client_address())
        if attempt.wait:
            form.code.errors.append(_(
                "Te veel mislukte pogingen. Probeer het over %(minutes)d minuten opnieuw.",
                minutes=attempt.wait_minutes))
            with db.atomic():
                audit.record("login.throttled", user, user=user, detail="tweede stap")
            status = 429
        elif form.kind == "recovery":
            left = second_factor.use_recovery_code(user, form.value)
            if left is not None:
                release_login_attempt(attempt)
                _finish_login(user, pending.started_at, how="met een herstelcode")
                flash(_("Je bent ingelogd met een herstelcode. Je hebt er nog %(n)d over; maak op Mijn account "
                        "nieuwe aan door je tweede factor opnieuw in te stellen.", n=left), "warning")
                return redirect(pending.next_url or url_for("home.index"))
            form.code.errors.append(_("Deze herstelcode klopt niet of is al gebruikt."))
            status = 401
        else:
            result = second_factor.accept_code(user, form.value)
            if result == "ok":
                release_login_attempt(attempt)
                _finish_login(user, pending.started_at, how="met tweede factor")
                return redirect(pending.next_url or url_for("home.index"))
            form.code.errors.append(_("Deze code is al gebruikt. Wacht op de volgende code in je app.")
                                    if result == "reused" else
                                    _("Deze code klopt niet. Kijk of je de code van Herstel neemt en of de klok "
                                      "van je telefoon goed staat."))
            status = 401
        if status == 401:
            with db.atomic():
                audit.record("login.code_failure", user, user=user,
                             detail="herstelcode" if form.kind == "recovery" else "code uit de app")
    elif form.is_submitted():
        status = 400
    return render_template("auth/second_step.html", form=form), status


@bp.route("/login/tweede-factor", methods=["GET", "POST"])
def enrol():
    """After the password, for a role that requires it: set up the second factor before anything else."""
    pending, answer = _pending_or_redirect()
    if answer:
        return answer
    if not pending.enrolling:
        return redirect(url_for("auth.second_step"))
    user = pending.user
    form = AppCodeForm()
    if form.validate_on_submit():
        codes = second_factor.enrol(user, form.value)
        if codes is not None:
            _finish_login(user, pending.started_at, how="tweede factor ingesteld")
            return render_template("account/recovery_codes.html", codes=codes,
                                   continue_url=pending.next_url or url_for("home.index"))
        form.code.errors.append(_("Deze code klopt niet. Scan de QR-code opnieuw of typ de sleutel over, "
                                  "en vul de code in die de app nu toont."))
    return render_template("account/second_factor.html", form=form, during_login=True,
                           user=user, **second_factor.enrolment(user),
                           action=url_for("auth.enrol")), 400 if form.is_submitted() else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session on the server and in the browser."""
    form = ActionForm()
    if form.validate_on_submit():
        with db.atomic():
            UserSession.delete().where(UserSession.id == current_user.session_id).execute()
            audit.record("logout", current_user._get_current_object())
        logout_user()
        through_provider = session.get(PROVIDER_KEY)
        session.clear()
        if through_provider:
            session[PROVIDER_LOGOUT_KEY] = True
        flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/taal", methods=["POST"])
def language():
    """Switch the interface language (kept on the user, or in the session before login)."""
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            with db.atomic():
                User.update(language=form.language.data).where(User.id == current_user.id).execute()
        session["language"] = form.language.data
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))
