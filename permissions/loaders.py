"""Loading a record for the current user: get_<thing>_or_404 refuses with 404 when the user may not
know the record exists and 403 when they may see it but not do what they ask, logging each refusal.
The rules they apply are permissions.rules'."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN

import audit
from db import Prepared
from models import (
    Agreement, Case, ChecklistEntry, Complaint, Conversation, Evidence, PersonalNote, PublicThread, Pupil,
    Referral, Report, SupportSession, User,
)
from permissions.rules import (
    EDIT, VIEW, case_abilities, may_administer, may_answer_thread, may_change_activity, may_close_referral,
    may_delete_evidence, may_handle_access_requests, may_keep_notes, may_plan_prevention, may_read_class_prevention,
    may_read_record, may_record_prevention, may_record_support, may_see_pupil, may_view_complaint, may_view_report,
    may_work_on_talk, reads_whole_case,
)


def refuse(status, obj=None, object_type=None):
    """Log the refusal and abort: 404 hides that a record exists, 403 does not."""
    audit.record("access.denied", obj, detail="HTTP %d" % status, object_type=object_type)
    abort(status)


_CASE_WITH_MENTOR = Prepared(lambda case_id: (
    Case.select(Case, User).join(User, JOIN.LEFT_OUTER, on=(Case.mentor == User.id)).where(Case.id == case_id)))


def get_case_or_404(case_id, need=VIEW):
    """Load a case the current user may `need`; else 404 (or 403 when they may see it)."""
    case = _CASE_WITH_MENTOR.first(case_id)
    if case is None:
        abort(404)
    return check_case(case, need)


def get_open_case_or_404(case_id, need=EDIT):
    """Load a case to add a record to: as get_case_or_404, and a closed case sends the user back to its
    page with a message (a form opened before someone closed the case)."""
    case = get_case_or_404(case_id, need)
    if case.status != "open":
        flash(_("Dit dossier is gesloten."), "error")
        abort(redirect(url_for("cases.detail", case_id=case.id)))
    return case


def check_case(case, need=VIEW):
    """Refuse unless the current user may `need` this (already loaded) case."""
    abilities = case_abilities(current_user, case)
    if VIEW not in abilities:
        refuse(404, case)
    if need not in abilities:
        refuse(403, case)
    return case


def check_case_record(record, case, need=VIEW):
    """Refuse unless the current user may `need` this record of the case: 404 when they may not see
    the case, or read only other pupils' records of it; else as check_case."""
    if VIEW not in case_abilities(current_user, case):
        refuse(404, case)
    if not may_read_record(current_user, record, case):
        refuse(404, record)
    return check_case(case, need)


def get_whole_case_or_404(case_id):
    """Load a case for what covers all of it (the evidence log as a PDF): 403 for whoever reads only
    what concerns a complaint's pupil."""
    case = get_case_or_404(case_id)
    if not reads_whole_case(current_user, case):
        refuse(403, case)
    return case


def _seen_or_404(model, record_id, may_see):
    """A record the current user may see; 404 when there is none or when they may not (as if it did not exist)."""
    record = model.get_or_none(model.id == record_id)
    if record is None:
        abort(404)
    if not may_see(current_user, record):
        refuse(404, record)
    return record


def get_report_or_404(report_id):
    """Load a report the current user may see; else 404."""
    return _seen_or_404(Report, report_id, may_view_report)


def get_thread_or_404(thread_id):
    """Load a public thread the current user answers. Whoever may see its report but not answer
    gets 403; to everyone else it does not exist (complaints are the counsellor's alone)."""
    thread = PublicThread.get_or_none(PublicThread.id == thread_id)
    if thread is None:
        abort(404)
    if not may_answer_thread(current_user, thread):
        visible = thread.report_id is not None and may_view_report(current_user, thread.report)
        refuse(403 if visible else 404, thread)
    return thread


def _with_case_or_404(model, record_id, *conditions):
    """A record of a case, loaded with its case in one query; 404 when there is none."""
    record = model.select(model, Case).join(Case).where(model.id == record_id, *conditions).first()
    if record is None:
        abort(404)
    return record


def check_talk(conversation, case, need=VIEW):
    """Refuse unless the current user may `need` this talk: reading it as a record of the case (404 when
    unseen), changing it as may_work_on_talk says (403)."""
    check_case_record(conversation, case)
    if need != VIEW and not may_work_on_talk(current_user, conversation, case):
        refuse(403, case)
    return case


def get_conversation_or_404(conversation_id, need=VIEW):
    """Load a conversation with its case: whoever works on the case, or owns the talk's step, changes it."""
    conversation = _with_case_or_404(Conversation, conversation_id)
    check_talk(conversation, conversation.case, need)
    return conversation


def get_entry_or_404(conversation_id, entry_id, need=EDIT):
    """Load a checklist item with its conversation and case in one query (a tap is hot)."""
    entry = ChecklistEntry.with_case(conversation_id, entry_id)
    if entry is None:
        if Conversation.get_or_none(Conversation.id == conversation_id) is not None:
            get_conversation_or_404(conversation_id, need)  # refuse a case one may not see as such
        abort(404)
    check_talk(entry.conversation, entry.conversation.case, need)
    return entry


def get_agreement_or_404(agreement_id, need=VIEW):
    """Load an agreement with its case: whoever may `need` the case may `need` its agreements."""
    agreement = _with_case_or_404(Agreement, agreement_id)
    check_case_record(agreement, agreement.case, need)
    return agreement


def get_complaint_or_404(complaint_id):
    """Load a complaint for the counsellor; to everyone else complaints do not exist (404)."""
    return _seen_or_404(Complaint, complaint_id, may_view_complaint)


def _check_support(case):
    """Refuse unless the current user may record support sessions on the case (404 unseen, 403 seen)."""
    check_case(case)
    if not may_record_support(current_user, case):
        refuse(403, case)
    return case


def get_support_case_or_404(case_id):
    """Load a case the current user may record support sessions on."""
    case = Case.get_or_none(Case.id == case_id)
    if case is None:
        abort(404)
    return _check_support(case)


def get_support_session_or_404(session_id):
    """Load a support session for a support team member who may work on its case."""
    session = _with_case_or_404(SupportSession, session_id)
    _check_support(session.case)
    return session


def get_support_referral_or_404(referral_id):
    """Load a referral to the support team for a team member who may work on its case."""
    referral = _with_case_or_404(Referral, referral_id, Referral.target == "support_team")
    _check_support(referral.case)
    return referral


def get_referral_to_close_or_404(referral_id):
    """Load a referral with its case for closing it (404 when the case is unseen, 403 when not theirs to close).
    The counsellor closes a referral to the counsellor without reading its case."""
    referral = _with_case_or_404(Referral, referral_id)
    if referral.is_confidential and may_close_referral(current_user, referral):
        return referral
    check_case_record(referral, referral.case)
    if not may_close_referral(current_user, referral):
        refuse(403, referral)
    return referral


def get_evidence_or_404(evidence_id, need=VIEW):
    """Load an evidence item with its case: only those who may see the case see its evidence."""
    evidence = _with_case_or_404(Evidence, evidence_id)
    check_case_record(evidence, evidence.case, need)
    return evidence


def get_evidence_to_delete_or_404(evidence_id):
    """Load an evidence item the current user may delete (404 when its case is unseen, else 403)."""
    item = get_evidence_or_404(evidence_id)
    if not may_delete_evidence(current_user, item):
        refuse(403, item)
    return item


def get_personal_note_or_404(note_id):
    """Load one of the current user's own work notes; anyone else's is as if it did not exist.

    Not the coordinator and not an administrator: a work note is its author's alone.
    """
    note = _with_case_or_404(PersonalNote, note_id)
    if note.author_id != current_user.id or not may_keep_notes(current_user, note.case):
        refuse(404, note)
    return note


def get_prevention_record_or_404(model, record_id, need="plan"):
    """Load a plan item, an activity or a class for prevention work; 404 when there is none, 403 when the user may
    not `need` it: "plan" (the coordinator), "record" (a class the user records for), "change" (an activity)."""
    record = model.get_or_none(model.id == record_id) or abort(404)
    rule = {"plan": lambda user, _: may_plan_prevention(user), "record": may_record_prevention,
            "change": may_change_activity, "read": may_read_class_prevention}[need]
    if not rule(current_user, record):
        refuse(403, record)
    return record


def get_pupil_or_404(pupil_id):
    """Load a pupil whose page the current user may see; else 404 (the pupil's cases are a secret)."""
    return _seen_or_404(Pupil, pupil_id, may_see_pupil)


def get_pupil_for_access_request_or_404(pupil_id):
    """Load a pupil whose file the current user may export for an access request (403 for anyone else)."""
    if not may_handle_access_requests(current_user):
        refuse(403, object_type="access_request")
    pupil = Pupil.get_or_none(Pupil.id == pupil_id) if pupil_id < 2 ** 63 else None  # SQLite's largest integer
    if pupil is None:
        abort(404)
    return pupil


def require_admin():
    """Refuse with 403 unless the current user is an administrator."""
    if not may_administer(current_user):
        refuse(403, object_type="admin")
