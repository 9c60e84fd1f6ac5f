"""A user's own account: password, sessions and the calendar link."""
import hashlib
import secrets

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

import audit
from forms.account import PasswordChangeForm
from forms.common import ActionForm
from models import User, UserSession, db
from security import client_address

bp = Blueprint("account", __name__, url_prefix="/account")


def _sessions():
    return UserSession.select().where(UserSession.user == current_user).order_by(
        UserSession.last_seen_at.desc())


@bp.route("/", methods=["GET"])
@login_required
def index():
    """The user's profile: roles, password change and open sessions."""
    return render_template("account/index.html", form=PasswordChangeForm(),
                           sessions=list(_sessions()), action_form=ActionForm())


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
                audit.record("user.password_changed", user)
            flash(_("Je wachtwoord is gewijzigd. Je andere sessies zijn beëindigd."), "success")
            return redirect(url_for("account.index"))
    return render_template("account/index.html", form=form, sessions=list(_sessions()),
                           action_form=ActionForm()), 400


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
        audit.record("calendar.renew", current_user)
    return render_template("account/index.html", form=PasswordChangeForm(), sessions=list(_sessions()),
                           action_form=ActionForm(),
                           calendar_url=url_for("calendar.feed", token=token, _external=True))


@bp.route("/sessies/beeindigen", methods=["POST"])
@login_required
def end_sessions():
    """Log out everywhere: end every session of this user, this one included."""
    form = ActionForm()
    if form.validate_on_submit():
        with db.atomic():
            UserSession.end_all(current_user)
            audit.record("logout.everywhere", current_user, detail=client_address())
        logout_user()
        flash(_("Je bent op alle apparaten uitgelogd."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("account.index"))
