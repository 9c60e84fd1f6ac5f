"""Writing the audit log (who saw or did what, to which record, when and from where), and reading it back."""
import csv
import datetime
import io

from flask import has_request_context
from flask_login import current_user

from models import (
    SCHOOL_TIMEZONE, Agreement, AuditEvent, Complaint, Conversation, Evidence, FollowUp, Involvement, Measure,
    ParentContact, PersonalNote, PublicThread, Referral, Report, ReportPupil, SupportSession,
)

# Records that belong to a case, with the object types their events are written under: an event
# on one of them is an event on that case. (Views name some types themselves, with an underscore.)
CASE_PARTS = (
    (Conversation, ("conversation",)), (Agreement, ("agreement",)), (FollowUp, ("followup", "follow_up")),
    (Measure, ("measure",)), (ParentContact, ("parentcontact", "parent_contact")), (Referral, ("referral",)),
    (SupportSession, ("supportsession", "support_session")), (Evidence, ("evidence",)),
    (Complaint, ("complaint",)), (Report, ("report",)), (PersonalNote, ("personalnote", "personal_note")),
)
# Events on these never show their detail, should a caller ever put text in it: only their author reads them.
PRIVATE_OBJECT_TYPES = frozenset({"complaintnote", "complaint_note", "personalnote", "personal_note"})
CSV_COLUMNS = ("tijdstip", "gebruiker", "actie", "soort object", "object", "adres", "details")


def record(action, obj=None, detail="", user=None, object_type=None, keep_address=True):
    """Append one event; `obj` is the model instance it concerns (case, report, user, ...).

    `detail` names what happened (a step, a version, an id), never the text someone wrote.
    keep_address=False for what anonymous reporters do: their address is not kept.
    """
    address = ""
    if has_request_context() and keep_address:
        from security import client_address
        address = client_address()
    if has_request_context():
        if user is None:
            user = current_user._get_current_object()  # once: the proxy looks the user up on every use
            if not user.is_authenticated:
                user = None
    AuditEvent.append(
        action=action,
        user_id=user.id if user else None,
        username=user.username if user else "",
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else ""),
        object_id=obj.id if obj is not None else None,
        address=address,
        detail=(detail or "")[:500],
    )


def _about_cases(case_ids):
    """Events on these cases and on the records that belong to them."""
    condition = (AuditEvent.object_type == "case") & AuditEvent.object_id.in_(case_ids)
    for model, object_types in CASE_PARTS:
        condition |= (AuditEvent.object_type.in_(object_types)
                      & AuditEvent.object_id.in_(model.select(model.id).where(model.case.in_(case_ids))))
    # The public page's threads belong to a report (and through it to its case).
    condition |= ((AuditEvent.object_type == "publicthread") & AuditEvent.object_id.in_(
        PublicThread.select(PublicThread.id).join(Report).where(Report.case.in_(case_ids))))
    return condition


def _about_pupils(pupil_ids):
    """Events on these pupils, on the reports and complaints naming them, and on their cases."""
    cases = Involvement.select(Involvement.case).where(Involvement.pupil.in_(pupil_ids))
    return (((AuditEvent.object_type == "pupil") & AuditEvent.object_id.in_(pupil_ids))
            | ((AuditEvent.object_type == "report") & AuditEvent.object_id.in_(
                ReportPupil.select(ReportPupil.report).where(ReportPupil.pupil.in_(pupil_ids))))
            | ((AuditEvent.object_type == "publicthread") & AuditEvent.object_id.in_(
                PublicThread.select(PublicThread.id).join(ReportPupil, on=(PublicThread.report == ReportPupil.report))
                .where(ReportPupil.pupil.in_(pupil_ids))))
            | ((AuditEvent.object_type == "complaint") & AuditEvent.object_id.in_(
                Complaint.select(Complaint.id).where(Complaint.pupil.in_(pupil_ids))))
            | _about_cases(cases))


def school_day_start(day):
    """The UTC moment (naive, as stored) at which a school calendar day begins."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=SCHOOL_TIMEZONE)
    return start.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def events(user_id=None, pupil_ids=(), case_id=None, action=None, date_from=None, date_to=None):
    """The audit events matching the filters, newest first; dates are school days, both included."""
    query = AuditEvent.select()
    if user_id:
        query = query.where(AuditEvent.user_id == user_id)
    if pupil_ids:
        query = query.where(_about_pupils(list(pupil_ids)))
    if case_id:
        query = query.where(_about_cases([case_id]))
    if action:
        query = query.where(AuditEvent.action == action)
    if date_from:
        query = query.where(AuditEvent.at >= school_day_start(date_from))
    if date_to:
        query = query.where(AuditEvent.at < school_day_start(date_to + datetime.timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def actions():
    """Every kind of event in the log, for the filter."""
    return [row.action for row in AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action)]


def shown_detail(event):
    """The detail as the log viewer and its export show it."""
    return "" if event.object_type in PRIVATE_OBJECT_TYPES else event.detail


def _spreadsheet_safe(value):
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows):
    """The events as CSV bytes (UTF-8 with a BOM and `;`, as Dutch spreadsheets expect), times in school time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in rows:
        moment = event.at.replace(tzinfo=datetime.timezone.utc).astimezone(SCHOOL_TIMEZONE)
        writer.writerow([_spreadsheet_safe(value) for value in (
            moment.strftime("%Y-%m-%d %H:%M:%S"), event.username, event.action, event.object_type,
            event.object_id if event.object_id is not None else "", event.address, shown_detail(event))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
