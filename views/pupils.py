"""Pupils: finding one among the cases one works on, and a pupil's page with the cases over the years,
for those who may see at least one of them."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

import audit
from domain import pupils
from permissions import get_pupil_or_404, may_see_cases, refuse

bp = Blueprint("pupils", __name__, url_prefix="/leerlingen")


@bp.route("/")
@login_required
def index():
    """Find a pupil by name or class among the pupils of the cases in one's lists (without a search: those of
    one's open cases), each linking to their page. htmx asks for the results alone while one types."""
    if not may_see_cases(current_user):
        refuse(403, object_type="pupil")
    query = (request.args.get("q") or "").strip()[:100]
    found, more = pupils.findable(current_user, query)
    audit.seen("pupil.search", object_type="pupil", detail="leerlingen: " + ", ".join(str(p.id) for p in found))
    template = "pupils/_found.html" if request.headers.get("HX-Request") else "pupils/index.html"
    return render_template(template, found=found, more=more, query=query)


@bp.route("/<int:pupil_id>")
@login_required
def page(pupil_id):
    """One pupil: their cases with their role in each, agreements and outcome, follow-ups, referrals,
    parent contacts and repeat warnings; only what the viewer may see."""
    pupil = get_pupil_or_404(pupil_id)
    entries = pupils.pupil_file(pupil, current_user)
    audit.seen("pupil.view", pupil, detail="dossiers: " + ", ".join(entry["case"].reference for entry in entries))
    return render_template("pupils/page.html", pupil=pupils.pupil_with_class(pupil.id),
                           years=pupils.school_years(entries), count=len(entries))
