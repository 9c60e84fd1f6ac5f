"""Reports: every staff member files them; the coordinator turns them into cases or closes them."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import cases, public
from domain.pupils import search as search_pupils
from forms.cases import ReasonForm
from forms.common import query_ids, row_id
from forms.reports import AttachReportForm, ReportForm, reported_roles
from models import Case, Pupil, Report, ReportKind, ReportPupil
from permissions import get_report_or_404, may_answer_thread, may_manage_reports, refuse, visible_cases
from terminology import term
from views.thread import thread_context

bp = Blueprint("reports", __name__, url_prefix="/meldingen")

PICKER_LIMIT = 20


@bp.route("/")
@login_required
def index():
    """The reports the user filed; for the coordinator also the inbox of new reports."""
    mine = list(Report.with_case().where(Report.created_by == current_user).order_by(Report.created_at.desc()))
    inbox = []
    if may_manage_reports(current_user):
        inbox = list(Report.select().where(Report.status == "new").order_by(Report.created_at))
        audit.seen("report.list", detail="postvak: %d meldingen" % len(inbox), object_type="report")
    return render_template("reports/index.html", mine=mine, inbox=inbox)


@bp.route("/nieuw", methods=["GET", "POST"])
@login_required
def new():
    """File a report or a neutral signal about one or more pupils."""
    form = ReportForm()
    if form.validate_on_submit():
        with db.atomic():
            report = Report.create(
                reported_on=form.reported_on.data, created_by=current_user, reporter_kind=form.reporter_kind.data,
                reporter_name=form.reporter_name.data, channel=form.channel.data,
                is_signal=form.is_signal.data, place=form.place.data, platform=form.platform.data,
                description=form.description.data, share_reporter_name=form.share_reporter_name.data,
                possibly_criminal=form.possibly_criminal.data, confidential=form.confidential.data)
            for kind in form.kinds.data:
                ReportKind.create(report=report, kind=kind)
            for pupil_id in sorted(set(form.pupils.data)):
                ReportPupil.create(report=report, pupil=pupil_id, role=form.reported_roles.get(pupil_id))
            audit.record("report.create", report)
        flash(_("Je melding is opgeslagen. De %(coordinator)s neemt haar in behandeling.",
                coordinator=term("coordinator")), "success")
        return redirect(url_for("reports.detail", report_id=report.id))
    return render_template("reports/new.html", form=form, chosen=form.chosen_pupils(), roles=form.reported_roles), \
        400 if form.is_submitted() else 200


@bp.route("/leerlingen")
@login_required
def pupil_picker():
    """Fragment: pupils matching the search, after the ones already chosen (which stay chosen)."""
    mode = request.args.get("mode") if request.args.get("mode") in ("role", "one", "report") else "check"
    chosen_ids, roles = _chosen_from_request(mode)
    chosen = list(Pupil.with_class().where(Pupil.id.in_(chosen_ids))
                  .order_by(*Pupil.dutch_order())) if chosen_ids else []
    query = (request.args.get("q") or "").strip()[:100]
    matches = []
    if len(query) >= 2:
        matches = list(search_pupils(query).where(Pupil.id.not_in(chosen_ids or [0])).limit(PICKER_LIMIT))
    return render_template("partials/_pupil_picker_results.html", chosen=chosen, matches=matches,
                           query=query, mode=mode, roles=roles)


def _chosen_from_request(mode):
    """The pupils already chosen in the picker (and their roles); 400 for an id no pupil can have."""
    if mode == "check":
        return query_ids("pupils"), {}
    if mode == "report":  # who was bullied and who bullied, as the reporter says
        return query_ids("pupils"), reported_roles(request.args)
    if mode == "one":
        return query_ids("pupil")[:1], {}
    roles = {row_id(name[5:]): value for name, value in request.args.items()
             if name.startswith("role_") and name[5:].isdigit() and value}
    if 0 in roles:
        abort(400)
    return list(roles), roles



@bp.route("/<int:report_id>")
@login_required
def detail(report_id):
    """One report, with its status; the coordinator also sees what can be done with it."""
    report = get_report_or_404(report_id)
    audit.seen("report.view", report)
    return detail_page(report)


def detail_page(report, answer_form=None, status=200):
    """The report's page; an answer to the reporter that came back with errors keeps what was typed."""
    thread = public.thread_for(report)
    thread_part = {}
    if thread is not None and may_answer_thread(current_user, thread):
        with db.atomic():
            thread_part = thread_context(thread, answer_form)
    pupils = list(Pupil.select(Pupil, ReportPupil.role).join(ReportPupil).where(ReportPupil.report == report)
                  .order_by(*Pupil.dutch_order()).objects())
    open_cases = []
    if may_manage_reports(current_user) and report.status == "new":
        open_cases = list(visible_cases(current_user).where(Case.status == "open").order_by(Case.reference.desc()))
    return render_template("reports/detail.html", report=report, pupils=pupils, open_cases=open_cases,
                           close_form=ReasonForm(prefix="close"), attach_form=AttachReportForm(prefix="attach"),
                           **thread_part), status


@bp.route("/<int:report_id>/sluiten", methods=["POST"])
@login_required
def close(report_id):
    """Close a report without a case, with the reason why (coordinator)."""
    report = _report_to_handle(report_id)
    form = ReasonForm(prefix="close")
    if form.validate_on_submit():
        try:
            with db.atomic():
                cases.close_report(report, current_user, form.reason.data)
                audit.record("report.close", report)
        except cases.WorkflowError as error:
            flash(str(error), "error")
        else:
            flash(_("De melding is afgesloten."), "success")
            return redirect(url_for("reports.index"))
    else:
        flash(_("Geef een reden om de melding af te sluiten."), "error")
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.route("/<int:report_id>/koppelen", methods=["POST"])
@login_required
def attach(report_id):
    """Put a report under an open case it belongs to (coordinator)."""
    report = _report_to_handle(report_id)
    form = AttachReportForm(prefix="attach")
    case = None
    if form.validate_on_submit():
        case = visible_cases(current_user).where(Case.id == form.case_id.data, Case.status == "open").first()
    if case is None:
        flash(_("Kies een open dossier."), "error")
        return redirect(url_for("reports.detail", report_id=report.id))
    try:
        with db.atomic():
            cases.attach_report(case, report, current_user)
            audit.record("report.attach", report, detail="dossier %s" % case.reference)
    except cases.WorkflowError as error:
        flash(str(error), "error")
        return redirect(url_for("reports.detail", report_id=report.id))
    flash(_("De melding hoort nu bij dossier %(reference)s.", reference=case.reference), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


def _report_to_handle(report_id):
    report = get_report_or_404(report_id)
    if not may_manage_reports(current_user):
        refuse(403, report)
    return report

