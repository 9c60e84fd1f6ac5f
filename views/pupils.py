"""A pupil's page: the cases over the years, for those who may see at least one of them."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

import audit
from domain import pupils
from permissions import get_pupil_or_404

bp = Blueprint("pupils", __name__, url_prefix="/leerlingen")


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
