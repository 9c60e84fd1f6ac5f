"""Access requests (AVG inzageverzoek): the coordinator exports one pupil's file for a parent or the pupil."""
import io
import re

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

import audit
from db import local_date, utcnow
from domain import access_requests, pdf
from forms.access_requests import AccessRequestForm
from models import Pupil, SchoolSettings
from permissions import get_pupil_for_access_request_or_404, may_handle_access_requests, refuse

bp = Blueprint("access_requests", __name__, url_prefix="/inzageverzoek")


@bp.before_request
@login_required
def only_coordinators():
    """Access requests are the coordinator's."""
    if not may_handle_access_requests(current_user):
        refuse(403, object_type="access_request")


@bp.route("/")
def index():
    """Choose the pupil whose file was asked for."""
    chosen = request.args.get("pupil", "")
    if chosen.isdigit() and len(chosen) < 19 and Pupil.select().where(Pupil.id == int(chosen)).exists():
        return redirect(url_for("access_requests.pupil", pupil_id=int(chosen)))
    return render_template("access_requests/index.html", not_found=bool(chosen))


def _file_name(pupil, extension):
    number = re.sub(r"[^A-Za-z0-9-]", "", pupil.student_number)[:32] or str(pupil.id)
    return "inzage-%s-%s.%s" % (number, local_date(utcnow()).isoformat(), extension)


@bp.route("/leerling/<int:pupil_id>", methods=["GET", "POST"])
def pupil(pupil_id):
    """The form for one pupil; submitting it downloads the redacted file (a PDF, or a ZIP with evidence)."""
    pupil = get_pupil_for_access_request_or_404(pupil_id)
    items = access_requests.evidence_with_files(pupil)
    form = AccessRequestForm(pupil=pupil, evidence_items=items)
    if request.method == "GET":
        form.evidence.data = [item.id for item in items]  # all ticked; the exporter unticks after looking
    if not form.validate_on_submit():
        if request.method == "GET":
            audit.seen("access_request.open", pupil)
        return render_template("access_requests/pupil.html", pupil=pupil, form=form, items=items), \
            400 if request.method == "POST" else 200
    files, missing = access_requests.read_evidence(form.chosen_evidence())
    pupil_file = access_requests.gather(pupil, current_user)
    settings = SchoolSettings.current()
    details = {"for_whom": form.for_whom.data, "requester_name": form.requester_name.data,
               "requested_on": form.requested_on.data, "file_format": form.file_format.data,
               "note": form.note.data, "exporter": current_user.full_name}
    data = pdf.pupil_file_pdf(pupil_file, details, settings.school_name, settings.logo_png,
                              included_files=files, missing_files=missing)
    pdf_name = _file_name(pupil, "pdf")
    if form.file_format.data == "zip":
        data = access_requests.pack_zip(pdf_name, data, files)
    audit.seen("access_request.export", pupil, detail=(
        "voor %s; verzoek van %s; %s; %d meldingen, %d dossiers, %d gesprekken, %d bewijsbestanden" % (
            "ouder/verzorger" if form.for_whom.data == "parent" else "leerling", form.requested_on.data.isoformat(),
            form.file_format.data, len(pupil_file.reports), len(pupil_file.cases),
            len(pupil_file.conversations), len(files))))
    if form.file_format.data == "zip":
        response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                             download_name=_file_name(pupil, "zip"), max_age=0)
    else:
        response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                             download_name=pdf_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
