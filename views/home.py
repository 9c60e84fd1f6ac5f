"""Each user's home page: what their roles give them to do."""
from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

import audit
from db import db, today, utcnow
from domain import backup, cases, escalation, followups, notify, prevention, support
from models import Case, Complaint, Referral, Report
from permissions import (
    case_list_scope, handed_over_cases, may_administer, may_handle_complaints, may_manage_reports, may_see_cases,
    may_plan_prevention, may_record_prevention, may_use_support_workspace, prevention_scope, reports_about_my_pupils,
    visible_cases, visible_reports,
)

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    """The home page, with a section per role of the user."""
    open_cases = (visible_cases(current_user).where(Case.status == "open")
                  .order_by(Case.opened_at.desc()).limit(10))
    my_reports = (Report.with_case(visible_reports(current_user)).where(Report.created_by == current_user)
                  .order_by(Report.created_at.desc()).limit(10))
    new_reports = (Report.select().where(Report.status == "new").count()
                   if may_manage_reports(current_user) else 0)
    # What others reported about the pupils of the mentor's classes, read-only with its status.
    class_reports = list(Report.with_case(reports_about_my_pupils(current_user)).where(
        Report.created_by.is_null() | (Report.created_by != current_user))
        .order_by(Report.created_at.desc()).limit(10))
    # Proposals to escalate reach those the protocol names to decide them (and the coordinator, who
    # steers every case); a measure two roles decide waits on the second one's page.
    proposals = escalation.proposals_for(current_user) if may_see_cases(current_user) else []
    awaiting = escalation.awaiting_for(current_user) if may_see_cases(current_user) else []
    # A measure the user recorded that a second deciding role refused: theirs to decide again.
    refused = escalation.refused_for(current_user) if may_see_cases(current_user) else []
    complaints = (list(Complaint.open_first().where(Complaint.status != "closed").limit(10))
                  if may_handle_complaints(current_user) else [])
    referrals = (list(support.referrals().where(Referral.closed_on.is_null()).limit(10))
                 if may_use_support_workspace(current_user) else [])
    # Referrals to the confidential counsellor, with what they say: theirs alone (permissions.rules).
    counsellor_referrals = (list(Referral.to_counsellor().where(Referral.closed_on.is_null()))
                            if may_handle_complaints(current_user) else [])
    # Cases handed over from this mentor that the school lets them read on: read-only, never in the to-do.
    handed_over = list(handed_over_cases(current_user).limit(10))
    due = _group_due(cases.due_steps(current_user) + followups.due_for(current_user)
                     + escalation.parents_due_for(current_user))
    open_cases = list(open_cases)
    if open_cases or complaints or referrals or class_reports or counsellor_referrals or handed_over:
        with db.atomic():
            if class_reports:
                audit.record("report.list", detail="startpagina: %d meldingen over leerlingen van de klas"
                             % len(class_reports), object_type="report")
            if open_cases:
                audit.record("case.list", detail="startpagina: %d dossiers" % len(open_cases), object_type="case")
            if complaints:
                audit.record("complaint.list", detail="startpagina: %d klachten" % len(complaints),
                             object_type="complaint")
            if handed_over:
                audit.record("case.list", detail="startpagina: %d overgedragen dossiers" % len(handed_over),
                             object_type="case")
            if counsellor_referrals:
                audit.record("referral.list", detail="startpagina: %d doorverwijzingen naar de vertrouwenspersoon"
                             % len(counsellor_referrals), object_type="referral")
            if referrals:
                audit.record("support.list", detail="startpagina: %d doorverwijzingen" % len(referrals),
                             object_type="referral")
    unsent_mail = notify.given_up().count() if may_administer(current_user) else 0
    # The mentor's classes' part of the prevention plan that is still to do, up to two months ahead.
    prevention_parts = prevention.open_parts_for(current_user, horizon_days=PREVENTION_HORIZON_DAYS) \
        if may_record_prevention(current_user) and prevention_scope(current_user) == "classes" else []
    return render_template("home/index.html", open_cases=open_cases, my_reports=list(my_reports),
                           class_reports=class_reports,
                           new_reports=new_reports, complaints=complaints, referrals=referrals, due=due,
                           counsellor_referrals=counsellor_referrals, handed_over=handed_over,
                           proposals=proposals, awaiting=awaiting, refused=refused, unsent_mail=unsent_mail,
                           prevention_parts=prevention_parts,
                           duty_of_care=prevention.duty_of_care() if may_plan_prevention(current_user) else [],
                           case_scope=case_list_scope(current_user),
                           backup_missing=may_administer(current_user) and _backup_missing())


BACKUP_WARNING_DAYS = 2
PREVENTION_HORIZON_DAYS = 60


def _backup_missing():
    """"never" when this server never made a backup, "late" when the last is older than two days, else None."""
    last = backup.last_backup(current_app.config["BACKUP_RECORD"])
    if last is None:
        return "never"
    return "late" if last.older_than(utcnow(), BACKUP_WARNING_DAYS) else None


def _group_due(steps):
    """Split due steps into overdue, today and the coming week, keeping their order."""
    now = today()
    groups = {"overdue": [], "today": [], "week": []}
    for step in sorted(steps, key=lambda item: item.due_on):
        key = "overdue" if step.due_on < now else "today" if step.due_on == now else "week"
        groups[key].append(step)
    return groups
