"""Cases: the overview, one case with its step tracker and timeline, and steering a case."""
import datetime
import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from peewee import JOIN, fn
from peewee import Case as SqlCase

import audit
import i18n
from db import Kept, Prepared, day_of, db, today
from domain import case_pdf as case_printing
from domain import cases, escalation, protocols
from forms.cases import (
    CLASS_MENTOR, ApproachForm, ApproachSwitchForm, CompleteStepForm, OpenCaseForm, ReasonForm, SeverityForm,
)
from forms.common import error_summary, query_id
from models import (
    Case, CaseStep, FollowUp, Involvement, Pupil, ReportPupil, SchoolClass, SchoolSettings, User, UserRole,
)
from permissions import (
    EDIT, MANAGE, get_case_or_404, get_report_or_404, may_complete_step, may_open_case, may_open_case_from,
    may_print_case, may_see_cases, new_case_limits, refuse, sees_every_case, visible_cases,
)
from terminology import region
from views import case_page

bp = Blueprint("cases", __name__, url_prefix="/dossiers")

PAGE_SIZE = 25
MAX_PAGE = 100_000  # beyond every school's cases, and inside what SQLite's OFFSET can hold


def _filters():
    """The overview's filters from the query string, cleaned."""
    args = request.args
    return {
        "status": args.get("status", "open") if args.get("status") in ("open", "closed", "all") else "open",
        "mentor": query_id("mentor"),
        "klas": query_id("klas"),
        # Typed names, where the school has too many mentors or classes for a list (see FILTER_LIST_LIMIT).
        "mentor_naam": " ".join((args.get("mentor_naam") or "").split())[:100],
        "klas_naam": " ".join((args.get("klas_naam") or "").split())[:40],
        "stap": (args.get("stap") or "")[:64],
        "te_laat": args.get("te_laat") == "1",
        # The column the overview is sorted by, and which way (each column's natural way by default).
        "volgorde": args.get("volgorde") if args.get("volgorde") in SORTS else "geopend",
        "richting": args.get("richting") if args.get("richting") in ("op", "af") else None,
    }


# The overview's sortable columns, each with its natural direction: newest first, the rest from A or the
# most pressing. "termijn" is the earliest deadline of an open step, "vervolg" of a follow-up talk to come.
SORTS = {"geopend": "af", "dossier": "op", "mentor": "op", "termijn": "op", "vervolg": "op", "status": "op"}


def sort_direction(filters):
    """"op" or "af": the direction asked for, else the column's natural one."""
    return filters["richting"] or SORTS[filters["volgorde"]]


def _overview_query(filters):
    """The cases the user may see, filtered (without the mentor's name, so counting stays cheap)."""
    query = visible_cases(current_user)
    if filters["status"] != "all":
        query = query.where(Case.status == filters["status"])
    if filters["mentor"]:
        query = query.where(Case.mentor == filters["mentor"])
    if filters["mentor_naam"]:
        query = query.where(Case.mentor.in_(User.select(User.id).where(
            User.full_name.contains(filters["mentor_naam"]))))
    if filters["klas"]:
        query = query.where(Case.id.in_(Involvement.select(Involvement.case).join(Pupil)
                                        .where(Pupil.school_class == filters["klas"])))
    if filters["klas_naam"]:  # the class's whole name, in any case: "2b" is 2B, not 12B
        query = query.where(Case.id.in_(Involvement.select(Involvement.case).join(Pupil).join(SchoolClass).where(
            fn.LOWER(SchoolClass.name) == filters["klas_naam"].lower())))
    if filters["stap"]:
        protocol_key, step_key = protocols.step_filter(filters["stap"])
        if protocol_key:  # the step of a case's own protocol, or of the same protocol beside another
            own = (CaseStep.step_key == step_key) & (Case.protocol_key == protocol_key)
            beside = ((CaseStep.step_key == protocols.beside_key(protocol_key, step_key))
                      & (Case.second_protocol_key == protocol_key))
            query = query.where(Case.id.in_(CaseStep.select(CaseStep.case).join(Case).where(
                own | beside, CaseStep.status == "open")))
        else:
            query = query.where(Case.id.in_(CaseStep.select(CaseStep.case).where(
                CaseStep.step_key == step_key, CaseStep.status == "open")))
    if filters["te_laat"]:
        query = query.where(Case.id.in_(CaseStep.select(CaseStep.case).where(
            CaseStep.status == "open", CaseStep.due_on < today())))
    return query


# What a row of the overview shows, and no more: turning whole cases and users into objects
# cost more than the queries themselves.
_OVERVIEW_COLUMNS = (Case.id, Case.reference, Case.title, Case.protocol_key, Case.status, Case.approach, Case.mentor,
                     Case.opened_at, User.id, User.full_name)


_VICTIMS_AND_BULLIES = Prepared(lambda case_ids: (
    Involvement.select(Involvement.case, Involvement.role, Pupil.first_name, Pupil.infix, Pupil.last_name)
    .join(Pupil).where(Involvement.case.in_(case_ids), Involvement.role.in_(("victim", "bully")))
    .order_by(*Pupil.dutch_order()).tuples()))


def _follow_ups_to_come(case_ids, on):
    """(case id, follow-up talks still to come, how many of them are due by `on`, the first one's date) per case."""
    due = fn.SUM(SqlCase(None, [(FollowUp.due_on <= on, 1)], 0))
    return (FollowUp.select(FollowUp.case, fn.COUNT(FollowUp.id), due, fn.MIN(FollowUp.due_on))
            .where(FollowUp.case.in_(case_ids), FollowUp.done_at.is_null(), FollowUp.cancelled_at.is_null())
            .group_by(FollowUp.case).tuples())


def _overview_order(query, filters):
    """The overview sorted by one column (see SORTS), then the newest first. Cases without a deadline (no open
    step with one, no follow-up talk to come) come last whichever way the deadlines run."""
    column, descending = filters["volgorde"], sort_direction(filters) == "af"
    if column == "termijn":
        key = (CaseStep.select(fn.MIN(CaseStep.due_on))
               .where(CaseStep.case == Case.id, CaseStep.status == "open", CaseStep.due_on.is_null(False)))
    elif column == "vervolg":
        key = (FollowUp.select(fn.MIN(FollowUp.due_on))
               .where(FollowUp.case == Case.id, FollowUp.done_at.is_null(), FollowUp.cancelled_at.is_null()))
    else:
        key = {"geopend": Case.opened_at, "dossier": Case.reference, "mentor": User.full_name,
               "status": Case.status}[column]
    if column in ("termijn", "vervolg"):
        # Past every real date, on SQLite and PostgreSQL alike (where NULL sorts apart).
        key = fn.COALESCE(key, datetime.date.min if descending else datetime.date.max)
    elif column == "mentor":
        key = fn.COALESCE(key, "")  # a case without a mentor first from A, last from Z
    return query.order_by(key.desc() if descending else key.asc(), Case.opened_at.desc(), Case.id.desc())


def _overview_rows(page_cases):
    """For a page of cases: the next open step of each, the pupils by role, the follow-up talks still
    to come (and how many are due) and the escalation proposals, in four queries."""
    ids = [case.id for case in page_cases]
    next_steps, pupils, follow_ups = {}, {}, {}
    proposals = escalation.open_proposals_of(ids) if ids else {}
    if ids:
        for case_id, to_come, due, first in _follow_ups_to_come(ids, today()):
            follow_ups[case_id] = {"to_come": to_come, "due": int(due or 0), "first": day_of(first)}
        for step in CaseStep.next_open_of(ids):
            next_steps[step.case_id] = step
        for case_id, role, first_name, infix, last_name in _VICTIMS_AND_BULLIES.all(ids):
            pupils.setdefault(case_id, []).append(
                {"name": Pupil.sort_name_of(first_name, infix, last_name), "role": role})
    return [{"case": case, "next_step": next_steps.get(case.id), "involvements": pupils.get(case.id, []),
             "follow_ups": follow_ups.get(case.id), "proposals": proposals.get(case.id, [])} for case in page_cases]


# The overview's mentor and class filters are lists of names while a school has at most this many of
# each; past it (a board's hundreds) each is a field to type a name in. A list of hundreds is no use on a
# tablet, and the page then costs the same at any size: it never reads more than this many rows of either.
FILTER_LIST_LIMIT = 150

# The overview's filter dropdowns: ids and names only, one more than the limit.
_MENTOR_OPTIONS = Prepared(lambda: (
    User.with_role("mentor").select(User.id, User.full_name).limit(FILTER_LIST_LIMIT + 1)))
# Whether a school has more mentors than a list holds, from the index of roles alone: listing them sorts them all.
_MENTORS_PAST_THE_LIMIT = Prepared(lambda: (
    UserRole.select(UserRole.id).join(User).where(UserRole.role == "mentor", User.is_active == True)  # noqa: E712
    .offset(FILTER_LIST_LIMIT).limit(1)))
_CLASS_OPTIONS = Prepared(lambda: (
    SchoolClass.select(SchoolClass.id, SchoolClass.name).order_by(SchoolClass.name)
    .limit(FILTER_LIST_LIMIT + 1)))


def _filter_list(options):
    """(id, name) of each option of a filter's dropdown, or None when there are too many for one (a field to
    type in). Plain rows from the cursor: they are only drawn."""
    _, cursor = options.execute()
    rows = cursor.fetchall()
    return rows if len(rows) <= FILTER_LIST_LIMIT else None


@bp.route("/")
@login_required
def index():
    """The cases the user may see, with filters (step, mentor, class, overdue), a page at a time."""
    if not may_see_cases(current_user):
        refuse(403, object_type="case")
    filters = _filters()
    page = min(max(request.args.get("pagina", 1, type=int), 1), MAX_PAGE)
    if sees_every_case(current_user):  # the same page for every coordinator: kept
        listing = KEPT.get((today(), id(i18n.catalogue()), region(), tuple(filters.items()), page),
                            lambda: _listing(filters, page))
    else:
        listing = _listing(filters, page)
    audit.seen("case.list", detail="pagina %d, %d dossiers" % (page, listing["shown"]), object_type="case")
    return render_template(
        "cases/index.html", page=page, filters=filters, pages=max(1, -(-listing["total"] // PAGE_SIZE)),
        step_options=protocols.step_options(), **listing)


# The coordinator's overview, its table drawn, kept until what it shows changes: the stamps of migrations 0025
# and 0030, which triggers renew in the same transaction as any change to a table the page reads
# (tests/test_overview_kept.py), for the day (a step is late from the day after its deadline), the language
# and the region. Drawing its rows cost more than their queries; a board's coordinators ask for the same pages.
KEPT = Kept(("stamp", "overview"), 32)


def _listing(filters, page):
    """A page of the overview: how many cases match, the table of those on the page drawn, and the lists of
    the mentor and class filters."""
    query = _overview_query(filters)
    total = query.count()
    page_cases = list(_overview_order(query.select(*_OVERVIEW_COLUMNS).join(
        User, JOIN.LEFT_OUTER, on=(Case.mentor == User.id)), filters).paginate(page, PAGE_SIZE))
    table = render_template("cases/_overview_table.html", rows=_overview_rows(page_cases), filters=filters,
                            today=today(), direction=sort_direction(filters), sort_link=_sort_link(filters))
    return {"total": total, "shown": len(page_cases), "table": Markup(table),
            "mentors": None if _MENTORS_PAST_THE_LIMIT.scalar() else _filter_list(_MENTOR_OPTIONS),
            "classes": _filter_list(_CLASS_OPTIONS)}


def _sort_link(filters):
    """The address that sorts the overview by a column: the filters kept, back to page one; the column
    it is sorted by now turns round. Made of the filters alone, so a kept table links the same for everyone."""
    kept = {key: value for key, value in filters.items() if value and key not in ("volgorde", "richting")}
    if kept["status"] == "open":
        del kept["status"]  # the overview's own
    if filters["te_laat"]:
        kept["te_laat"] = "1"

    def link(column):
        if column == filters["volgorde"]:
            direction = "op" if sort_direction(filters) == "af" else "af"
        else:
            direction = SORTS[column]
        return url_for("cases.index", **kept, volgorde=column, richting=direction)
    return link


@bp.route("/<int:case_id>")
@login_required
def detail(case_id):
    """One case: its pupils and their roles, the step tracker, the timeline and everything recorded in it."""
    return case_page.render(get_case_or_404(case_id))


@bp.route("/<int:case_id>/dossier.pdf")
@login_required
def case_pdf(case_id):
    """The whole case as one PDF; ?leerling=<id> gives that pupil's view, the others named by their role."""
    case = get_case_or_404(case_id)
    if not may_print_case(current_user, case):
        refuse(403, case)
    pupil = None
    pupil_id = query_id("leerling")
    if pupil_id:
        pupil = (Pupil.select().join(Involvement).where(Involvement.case == case, Pupil.id == pupil_id).first())
        if pupil is None:
            refuse(404, case)
    data = case_printing.case_pdf(case, SchoolSettings.current().school_name, current_user, pupil=pupil)
    audit.seen("case.pdf", case, detail="leerlingoverzicht %d" % pupil.id if pupil else "heel dossier")
    name = "dossier-%s%s.pdf" % (case.reference, "-leerling-%d" % pupil.id if pupil else "")
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.route("/<int:case_id>/stappen/<step_key>", methods=["POST"])
@login_required
def complete_step(case_id, step_key):
    """Mark a step done; htmx gets the tracker and timeline back, a plain form the case page.

    A note that is refused stays in its step's field with the reason beside it; a step that can no
    longer be done (done already, the case closed) is a conflict (409) said above the tracker."""
    case = get_case_or_404(case_id)
    step = CaseStep.get_or_none(CaseStep.case == case, CaseStep.step_key == step_key)
    if step is None:
        refuse(404, case)
    if not may_complete_step(current_user, case, step.owner):
        refuse(403, case)
    form = CompleteStepForm()
    problem = None  # said above the tracker: a step that can no longer be done, or a form that expired
    follow_ups_before = _follow_up_state(case) if current_app.htmx else None
    if not form.validate_on_submit():
        problem = None if form.note.errors else _("Het formulier is ongeldig.")  # a note's error is beside it
    else:
        try:
            with db.atomic():
                cases.complete_step(case, step_key, current_user, note=form.note.data or "")
                audit.record("case.step_done", case, detail=step_key)
        except cases.WorkflowError as refused:
            problem = str(refused)
    if current_app.htmx:  # htmx swaps a 409 (base.html's htmx-config), not a 400
        # The page around the tracker follows: each fold's count, what is next, the follow-ups the step
        # planned or cancelled (the section is swapped only then: a note typed in it stays otherwise).
        changed = _follow_up_state(case) != follow_ups_before
        return render_template("cases/_progress.html", oob=True, aftercare_changed=changed,
                               **case_page.page_context(case, step=(step_key, form, problem))), \
            409 if problem or form.errors else 200
    if form.errors:
        return case_page.render(case, 400, step=(step_key, form, None))
    if problem:
        return case_page.render(case, 409, step=(step_key, form, problem))
    flash(_("Stap afgerond."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


def _follow_up_state(case):
    """How many follow-up talks the case has, and how many of them are cancelled: a step may change either."""
    return FollowUp.select(fn.COUNT(FollowUp.id), fn.COUNT(FollowUp.cancelled_at)).where(
        FollowUp.case == case).tuples().get()


@bp.route("/<int:case_id>/aanpak", methods=["POST"])
@login_required
def set_approach(case_id):
    """Choose the approach and its level (coordinator); the steps that depend on it follow."""
    case = get_case_or_404(case_id, need=MANAGE)
    form = ApproachForm()
    if not form.validate_on_submit():
        return case_page.render(case, 400, approach_form=form)
    with db.atomic():
        cases.set_approach(case, form.approach.data, form.approach_level.data, current_user)
        audit.record("case.approach", case, detail="%s/%s" % (form.approach.data, form.approach_level.data))
    flash(_("De aanpak is vastgelegd."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/aanpak/wisselen", methods=["POST"])
@login_required
def switch_approach(case_id):
    """Take up or set aside the protocol's proposal to switch approach (whoever chooses the approach)."""
    case = get_case_or_404(case_id, need=MANAGE)
    form = ApproachSwitchForm()
    if not form.validate_on_submit():
        return case_page.render(case, 400, steer_error=" ".join(map(str, form.decision.errors)))
    switch = form.decision.data == "switch"
    try:
        with db.atomic():
            rule = cases.decide_approach_switch(case, switch, current_user)
            audit.record("case.approach", case, detail="%s/%s" % (rule.to if switch else rule.away_from,
                                                                  "overgeschakeld" if switch else "voortgezet"))
    except cases.WorkflowError as error:
        return case_page.render(case, 409, steer_error=str(error))
    flash(_("Overgeschakeld: de stappen van de nieuwe aanpak staan nu in het dossier.") if switch else
          _("De aanpak gaat door; het voorstel is weg tot een volgend gesprek laat zien dat het niet werkt."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/ernst", methods=["POST"])
@login_required
def set_severity(case_id):
    """Change how serious the bullying is (whoever works on the case); it is logged, and the parents' step
    takes the deadline that goes with it."""
    case = get_case_or_404(case_id, need=EDIT)
    form = SeverityForm()
    if not form.validate_on_submit():
        return case_page.render(case, 400, severity_form=form)
    try:
        with db.atomic():
            changed = cases.set_severity(case, form.severity.data, current_user)
            if changed:
                audit.record("case.severity", case, detail=form.severity.data)
    except cases.WorkflowError as error:
        form.severity.errors = [str(error)]
        return case_page.render(case, 409, severity_form=form)
    if changed:
        flash(_("De ernst is vastgelegd; de termijnen van het protocol volgen haar."), "success")
    return redirect(url_for("cases.detail", case_id=case.id) + "#severity")


@bp.route("/<int:case_id>/sluiten", methods=["POST"])
@login_required
def close(case_id):
    """Close the case with a reason (coordinator)."""
    return _close_or_reopen(case_id, cases.close_case, _("Het dossier is gesloten."), action="case.close")


@bp.route("/<int:case_id>/heropenen", methods=["POST"])
@login_required
def reopen(case_id):
    """Reopen a closed case with a reason (coordinator)."""
    return _close_or_reopen(case_id, cases.reopen_case, _("Het dossier is heropend."), action="case.reopen")


def _close_or_reopen(case_id, change, success, action):
    """Close or reopen: a reason that is missing is asked for beside its field (400); a case someone
    else closed or reopened meanwhile is a conflict (409), said on the page as it now stands."""
    case = get_case_or_404(case_id, need=MANAGE)
    form = ReasonForm()
    if not form.validate_on_submit():
        return case_page.render(case, 400, reason_form=form)
    try:
        with db.atomic():
            change(case, current_user, form.reason.data)
            audit.record(action, case)
    except cases.WorkflowError as error:
        return case_page.render(case, 409, steer_error=str(error))
    flash(success, "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/nieuw", methods=["GET", "POST"])
@login_required
def new():
    """Open a case, usually from a report: protocol, mentor, and each pupil's role."""
    if not may_open_case(current_user):
        refuse(403, object_type="case")
    report_id = query_id("melding")
    report = get_report_or_404(report_id) if report_id else None
    if report is not None and not may_open_case_from(current_user, report):
        refuse(403, report)
    mentors, classes_of = new_case_limits(current_user)
    form = OpenCaseForm(protocols=protocols.offered(), mentors=mentors, restrict_to_mentor=classes_of)
    if not form.is_submitted():
        form.protocol.data = SchoolSettings.current().default_protocol
        # A report about online bullying proposes the online protocol beside the school's own.
        online = report is not None and ("online" in report.kinds or bool(report.platform))
        form.second_protocol.data = protocols.suggested_beside(form.protocol.data, online)
    named = (list(Pupil.with_class().join_from(Pupil, ReportPupil).where(ReportPupil.report == report)
                  .order_by(*Pupil.dutch_order())) if report else [])
    if not form.is_submitted() and mentors and classes_of is None:
        form.mentor.data = CLASS_MENTOR  # the chosen pupils' class mentor, read when the form is sent
    if form.validate_on_submit():
        if report is not None and report.status != "new":
            form.roles_errors.append(_("Deze melding is al verwerkt."))
        else:
            roles = {form.pupils_by_id[pupil_id]: role for pupil_id, role in form.roles.items()}
            with db.atomic():
                case, warnings = cases.open_case(
                    form.protocol.data, User.get_by_id(form.mentor.data), roles, current_user,
                    reports=[report] if report else [], title=form.title.data, severity=form.severity.data,
                    second_protocol_key=form.second_protocol.data or None)
            for warning in warnings:
                flash(warning, "warning")
            flash(_("Dossier %(reference)s is geopend.", reference=case.reference), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    chosen = list(Pupil.with_class().where(Pupil.id.in_(list(form.roles)))
                  .order_by(*Pupil.dutch_order())) if form.roles else named
    roles = form.roles if form.is_submitted() else {  # who was bullied and who bullied, as the report says
        row.pupil_id: row.role for row in ReportPupil.select().where(ReportPupil.report == report,
                                                                     ReportPupil.role.is_null(False))}
    summary = error_summary(form, "case-pupils") + [("case-pupils", message) for message in form.roles_errors]
    return render_template("cases/new.html", form=form, report=report, chosen=chosen, roles=roles,
                           error_summary=summary), 400 if form.is_submitted() else 200
