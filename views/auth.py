"""Logging in and out, and choosing the language before login."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

import audit
from forms.account import LanguageForm
from forms.auth import LoginForm
from forms.common import ActionForm
from models import User, UserSession, db
from security import client_address, login_wait_seconds, record_login_failure, record_login_success

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
    status = 200
    if form.validate_on_submit():
        username = form.username.data
        address = client_address()
        wait = login_wait_seconds(username, address)
        user = User.by_username(username)
        if wait:
            minutes = max(1, (wait + 59) // 60)
            form.password.errors.append(_(
                "Te veel mislukte pogingen. Probeer het over %(minutes)d minuten opnieuw.", minutes=minutes))
            with db.atomic():
                audit.record("login.throttled", user, detail="gebruikersnaam: %s" % username[:64],
                             object_type="user")
            status = 429
        elif user is not None and user.is_active and user.check_password(form.password.data):
            with db.atomic():
                record_login_success(username)
                user.session_token = UserSession.start(user, address, request.user_agent.string)
                audit.record("login.success", user, user=user)
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
        else:
            if user is None:
                User.burn_password_check(form.password.data)
            with db.atomic():
                record_login_failure(username, address)
                audit.record("login.failure", user, detail="gebruikersnaam: %s" % username[:64],
                             object_type="user")
            form.password.errors.append(_("Gebruikersnaam of wachtwoord klopt niet."))
            status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, language_form=LanguageForm(
        language=session.get("language", "nl"))), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session on the server and in the browser."""
    form = ActionForm()
    if form.validate_on_submit():
        with db.atomic():
            UserSession.delete().where(UserSession.id == current_user.session_id).execute()
            audit.record("logout", current_user)
        logout_user()
        session.clear()
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
