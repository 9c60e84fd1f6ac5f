"""User administration: create, edit, deactivate users and set their roles."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from peewee import fn

import audit
from db import db
from domain import school_login, second_factor
from forms.admin import UserForm
from forms.common import ActionForm
from models import User, UserIdentity, UserRole, UserSession
from permissions import refuse, require_admin

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.before_request
@login_required
def only_admins():
    """Every page here is for administrators only."""
    require_admin()


def get_user_or_404(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        refuse(404, object_type="user")
    return user


def _save_user(form, user):
    """Copy the form into the user and save it with its roles, in one transaction. A password for
    an existing user is a reset (second_factor.reset_password): logged, told, their notes sealed."""
    new_user = user.id is None
    user.username = form.username.data
    user.full_name = form.full_name.data
    user.email = (form.email.data or "").strip().lower() or None
    user.is_admin = form.is_admin.data
    user.language = form.language.data
    if new_user:
        user.set_password(form.password.data)
    with db.atomic():
        user.save()
        user.set_roles(form.roles.data)
        audit.record("user.save", user, detail="rollen: %s" % ", ".join(sorted(form.roles.data)))
        if form.password.data and not new_user:
            second_factor.reset_password(user, current_user._get_current_object(), form.password.data)


@bp.route("/gebruikers")
def users():
    """All users, active first, by name."""
    rows = list(User.select().order_by(User.is_active.desc(), fn.lower(User.full_name)))
    roles = {}
    for row in UserRole.select():
        roles.setdefault(row.user_id, []).append(row.role)
    return render_template("admin/users.html", users=rows, roles=roles, action_form=ActionForm())


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
def new_user():
    """Create a user."""
    form = UserForm()
    if form.validate_on_submit():
        user = User(password_hash="")
        _save_user(form, user)
        flash(_("Gebruiker %(name)s is aangemaakt.", name=user.full_name), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None, action_form=ActionForm()), \
        400 if form.is_submitted() else 200


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    """Edit a user; an empty password field keeps the password."""
    user = get_user_or_404(user_id)
    form = UserForm(obj=user, user=user)
    if not form.is_submitted():
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        if user.id == current_user.id and not form.is_admin.data:
            form.is_admin.errors.append(_("Je kunt je eigen beheerdersrecht niet afnemen."))
        elif user.id == current_user.id and form.password.data:
            # Here no one asks for the current password; under Mijn account it is asked.
            form.password.errors.append(_("Je eigen wachtwoord wijzig je onder Mijn account."))
        else:
            _save_user(form, user)
            flash(_("Gebruiker %(name)s is bijgewerkt.", name=user.full_name), "success")
            if form.password.data:
                flash(_("Het wachtwoord van %(name)s is opnieuw ingesteld. Hij of zij is overal uitgelogd en "
                        "hoort bij het inloggen dat jij dit deed.", name=user.full_name), "info")
                if user.has_role("counsellor"):
                    flash(_("De vertrouwelijke notities van %(name)s blijven dicht tot hij of zij een eigen "
                            "tweede factor gebruikt of instelt.", name=user.full_name), "info")
            return redirect(url_for("admin.users"))
    identities = UserIdentity.select().where(UserIdentity.user == user).order_by(UserIdentity.linked_at)
    return render_template("admin/user_form.html", form=form, user=user, action_form=ActionForm(),
                           identities=list(identities)), \
        400 if form.is_submitted() else 200


@bp.route("/gebruikers/<int:user_id>/tweede-factor", methods=["POST"])
def reset_second_factor(user_id):
    """Turn a user's second factor off (a lost phone); they are told at their next login."""
    user = get_user_or_404(user_id)
    form = ActionForm()
    if form.validate_on_submit():
        if user.id == current_user.id:
            # Here no one asks for a code; under Mijn account it is asked.
            flash(_("Je eigen tweede factor zet je uit of opnieuw in onder Mijn account."), "error")
        elif user.has_second_factor:
            second_factor.reset(user, current_user)
            flash(_("De tweede factor van %(name)s staat uit. Bij het inloggen krijgt hij of zij daar een melding "
                    "van.", name=user.full_name), "success")
        else:
            flash(_("%(name)s heeft geen tweede factor.", name=user.full_name), "info")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/gebruikers/<int:user_id>/schoolaccount/<int:identity_id>/ontkoppelen", methods=["POST"])
def unlink_school_account(user_id, identity_id):
    """Remove the link between a provider account and this user (linked to the wrong person)."""
    user = get_user_or_404(user_id)
    identity = UserIdentity.get_or_none((UserIdentity.id == identity_id) & (UserIdentity.user == user)) or abort(404)
    if ActionForm().validate_on_submit():
        school_login.unlink(identity, current_user)
        flash(_("Het schoolaccount is losgekoppeld van %(name)s. Wie er weer mee inlogt, wordt opnieuw gekoppeld via "
                "een bevestigd e-mailadres, of geweigerd.", name=user.full_name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/gebruikers/<int:user_id>/actief", methods=["POST"])
def toggle_active(user_id):
    """Deactivate a user (ending their sessions) or activate them again."""
    user = get_user_or_404(user_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.users"))
    if user.id == current_user.id:
        flash(_("Je kunt jezelf niet deactiveren."), "error")
    else:
        with db.atomic():
            user.is_active = not user.is_active
            user.save()
            if not user.is_active:
                UserSession.end_all(user)
            audit.record("user.activate" if user.is_active else "user.deactivate", user)
    if current_app.htmx:
        return render_template("admin/_user_row.html", user=user, roles={user.id: sorted(user.roles)},
                               action_form=form)
    return redirect(url_for("admin.users"))

