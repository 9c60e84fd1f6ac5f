"""Importing pupils, classes and mentors from a CSV file: upload, preview, then all or nothing (administrators)."""
import os
import re
import secrets
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audit
from db import db
from domain import pupil_import
from forms.pupil_import import ConfirmForm, UploadForm
from permissions import require_admin

bp = Blueprint("pupil_import", __name__, url_prefix="/beheer/import")

# A request may carry more than the app's usual limit here, so that a file that is too large
# gets a message beside the field instead of an error page.
UPLOAD_REQUEST_LIMIT = 32 * 1024 * 1024
PENDING_MAX_SECONDS = 3600
SESSION_KEY = "pupil_import"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@bp.url_value_preprocessor
def only_admins(endpoint, values):
    """Importing pupils is for administrators only. Checked here, before every before_request
    function (the CSRF check among them reads the body), so that no one else's request is read
    at all; only then may an administrator's upload be larger than the app's usual limit."""
    if not current_user.is_authenticated:
        abort(current_app.make_response(current_app.login_manager.unauthorized()))
    require_admin()
    if endpoint == "pupil_import.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_LIMIT


def _pending_dir():
    return os.path.join(current_app.instance_path, "imports")


def _pending_path(token):
    return os.path.join(_pending_dir(), "%d-%s.csv" % (current_user.id, token))


def _sweep():
    """Remove uploads that were never confirmed or cancelled."""
    cutoff = time.time() - PENDING_MAX_SECONDS
    for name in os.listdir(_pending_dir()):
        path = os.path.join(_pending_dir(), name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.unlink(path)
        except FileNotFoundError:
            pass


def _keep(data):
    """Keep the upload on the server until it is confirmed; the browser holds only a random token."""
    os.makedirs(_pending_dir(), mode=0o700, exist_ok=True)
    _sweep()
    _discard()
    token = secrets.token_urlsafe(24)
    fd = os.open(_pending_path(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    session[SESSION_KEY] = token
    return token


def _pending(token):
    """The kept upload of this user and session for the token, or None."""
    if not token or not TOKEN.match(token) or token != session.get(SESSION_KEY):
        return None
    try:
        with open(_pending_path(token), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _discard():
    token = session.pop(SESSION_KEY, None)
    if token and TOKEN.match(token):
        try:
            os.unlink(_pending_path(token))
        except FileNotFoundError:
            pass


def _counts(plan):
    return "nieuw %d, bijgewerkt %d, ongewijzigd %d, nieuwe klassen %d, mentoren %d, foute regels %d" % (
        plan.count("new"), plan.count("update"), plan.count("same"), len(plan.new_classes),
        len(plan.mentor_changes), len(plan.problems))


@bp.route("/", methods=["GET", "POST"])
def upload():
    """Upload a CSV; a good file is kept on the server and its preview shown."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("pupil_import/upload.html", form=form), 400 if form.is_submitted() else 200
    plan = form.plan
    token = _keep(form.data_bytes) if plan.ok else None
    with db.atomic():
        audit.record("pupil_import.preview", detail=_counts(plan), object_type="pupil")
    return render_template("pupil_import/preview.html", plan=plan, confirm_form=ConfirmForm(token=token)), \
        200 if plan.ok else 422


@bp.route("/bevestigen", methods=["POST"])
def confirm():
    """Carry out the previewed import in one transaction, or nothing of it."""
    form = ConfirmForm()
    data = _pending(form.token.data) if form.validate_on_submit() else None
    if data is None:
        flash(_("Deze voorvertoning is verlopen of al uitgevoerd. Upload het bestand opnieuw."), "error")
        return redirect(url_for("pupil_import.upload"))
    with db.atomic():
        plan = pupil_import.apply(data)
        if plan.ok:
            audit.record("pupil_import.apply", detail=_counts(plan), object_type="pupil")
    if not plan.ok:  # the database changed since the preview
        _discard()
        return render_template("pupil_import/preview.html", plan=plan, confirm_form=ConfirmForm()), 409
    _discard()
    flash(_("Import uitgevoerd: %(new)d nieuwe en %(updated)d bijgewerkte leerlingen, %(classes)d nieuwe klassen.",
            new=plan.count("new"), updated=plan.count("update"), classes=len(plan.new_classes)), "success")
    return redirect(url_for("pupil_import.upload"))


@bp.route("/annuleren", methods=["POST"])
def cancel():
    """Throw the kept upload away without importing it."""
    if ConfirmForm().validate_on_submit():
        _discard()
        flash(_("De import is geannuleerd; er is niets veranderd."), "success")
    return redirect(url_for("pupil_import.upload"))
