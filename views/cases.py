"""Cases: the list of cases a user may see, and one case."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

import audit
from models import Case, CaseStep, Report, db
from permissions import get_case_or_404, may_see_cases, refuse, visible_cases

bp = Blueprint("cases", __name__, url_prefix="/dossiers")

PAGE_SIZE = 25


@bp.route("/")
@login_required
def index():
    """The cases the user may see, newest first, a page at a time."""
    if not may_see_cases(current_user):
        refuse(403, object_type="case")
    page = max(request.args.get("pagina", 1, type=int), 1)
    status = request.args.get("status", "open")
    query = visible_cases(current_user)
    if status in ("open", "closed"):
        query = query.where(Case.status == status)
    total = query.count()
    cases = list(query.order_by(Case.opened_at.desc()).paginate(page, PAGE_SIZE))
    with db.atomic():
        audit.record("case.list", detail="pagina %d, %d dossiers" % (page, len(cases)), object_type="case")
    return render_template("cases/index.html", cases=cases, page=page, status=status,
                           pages=max(1, -(-total // PAGE_SIZE)), total=total)


@bp.route("/<int:case_id>")
@login_required
def detail(case_id):
    """One case: its pupils and their roles, mentor, protocol and steps."""
    case = get_case_or_404(case_id)
    with db.atomic():
        audit.record("case.view", case)
    involvements = list(case.involved_pupils())
    steps = list(CaseStep.select().where(CaseStep.case == case).order_by(CaseStep.id))
    reports = list(Report.select().where(Report.case == case).order_by(Report.reported_on))
    return render_template("cases/detail.html", case=case, involvements=involvements,
                           steps=steps, reports=reports)
