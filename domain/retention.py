"""Retention (AVG): closed cases, reports that never became a case, and closed complaints older
than the school's retention period are anonymised.

What the monitor counts stays: the case row with its dates, protocol and approach, the
kinds and places of its reports, the roles of the pupils, the steps and when they were done,
follow-up outcomes, measures by phase, referrals by target. What can identify or describe a
child goes: free text, conversations, agreements with their signatures, evidence files, work
notes, and the pupil's name once no kept case or report still needs it. The audit log itself
is append-only and holds ids and step keys, never names or text.

Reports that never became a case go the same way once closed for the period (or, never
handled, once made that long ago): their text and reporter's name are wiped, the public
page's thread with its receipt code and messages is deleted, date, kinds and place stay.
Closed complaints go the period after closing: the complainant's name and contact, the text,
the advice and the counsellor's private notes, and their public thread; dates and status stay.
"""
import calendar
import dataclasses
import datetime

from peewee import fn

from audit import school_day_start
from db import db, today, utcnow
from domain import evidence
from models import (
    Agreement, AuditEvent, Case, CaseEvent, CaseStep, Complaint, ComplaintNote, Conversation, Evidence, FollowUp,
    Involvement, Measure, ParentContact, PersonalNote, PublicThread, Pupil, Referral, Report, ReportPupil,
    SchoolSettings, SupportSession,
)


def months_before(day, months):
    """The same calendar day `months` months earlier (the last day of a shorter month)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclasses.dataclass
class CaseCleanup:
    case: Case
    conversations: int
    agreements: int
    evidence_files: list
    evidence: int
    personal_notes: int
    pupils: list  # pupils whose names go, because no kept case, report or complaint names them


@dataclasses.dataclass
class ReportCleanup:
    report: Report
    threads: int  # the public page's threads (receipt code, phrase and messages) that go with it
    pupils: list


@dataclasses.dataclass
class ComplaintCleanup:
    complaint: Complaint
    notes: int  # the counsellor's private notes
    threads: int
    pupils: list


@dataclasses.dataclass
class Plan:
    """What a run does: cases, reports never attached to a case, and closed complaints."""

    cases: list
    reports: list
    complaints: list

    def __bool__(self):
        return bool(self.cases or self.reports or self.complaints)

    def cleanups(self):
        return self.cases + self.reports + self.complaints


def cutoff(on_day=None):
    """The UTC moment the school's retention period, ending today, began."""
    months = SchoolSettings.current().retention_months
    return school_day_start(months_before(on_day or today(), months))


def due_cases(on_day=None):
    """Closed cases, not yet anonymised, closed before the retention period that ends today."""
    return (Case.select().where(Case.status == "closed", Case.closed_at < cutoff(on_day), Case.anonymised_at.is_null())
            .order_by(Case.closed_at, Case.id))


def due_reports(on_day=None):
    """Reports never attached to a case, not yet anonymised: closed before the period began, or (never
    handled) made before it."""
    moment = cutoff(on_day)
    closed = (Report.status == "closed") & (fn.COALESCE(Report.handled_at, Report.created_at) < moment)
    left = (Report.status != "closed") & (Report.created_at < moment)
    return (Report.select().where(Report.case.is_null(), Report.anonymised_at.is_null(), closed | left)
            .order_by(Report.created_at, Report.id))


def due_complaints(on_day=None):
    """Closed complaints, not yet anonymised, closed before the period began."""
    return (Complaint.select().where(Complaint.status == "closed", Complaint.closed_at < cutoff(on_day),
                                     Complaint.anonymised_at.is_null())
            .order_by(Complaint.closed_at, Complaint.id))


def _kept_elsewhere(pupil_ids, due_ids, due_report_ids=(), due_complaint_ids=()):
    """Of these pupils, those still named by a case, report or complaint that is kept."""
    kept_cases = Case.select(Case.id).where(Case.anonymised_at.is_null(), Case.id.not_in(list(due_ids) or [0]))
    kept_case = Involvement.select(Involvement.pupil).where(
        Involvement.pupil.in_(pupil_ids), Involvement.case.in_(kept_cases))
    kept_report = (ReportPupil.select(ReportPupil.pupil).join(Report)
                   .where(ReportPupil.pupil.in_(pupil_ids), Report.anonymised_at.is_null(),
                          Report.id.not_in(list(due_report_ids) or [0]),
                          Report.case.is_null() | Report.case.in_(kept_cases)))
    complaint = Complaint.select(Complaint.pupil).where(
        Complaint.pupil.in_(pupil_ids), Complaint.anonymised_at.is_null(),
        Complaint.id.not_in(list(due_complaint_ids) or [0]))
    return {row.pupil_id for query in (kept_case, kept_report, complaint) for row in query}


def plan(on_day=None):
    """What a run would do, record by record; nothing is written."""
    cases, reports, complaints = list(due_cases(on_day)), list(due_reports(on_day)), list(due_complaints(on_day))
    if not (cases or reports or complaints):
        return Plan([], [], [])
    due_ids = [case.id for case in cases]
    report_ids = [report.id for report in reports]
    complaint_ids = [complaint.id for complaint in complaints]
    named = {}  # (kind, id) -> pupil ids the record names
    for row in Involvement.select(Involvement.case, Involvement.pupil).where(Involvement.case.in_(due_ids or [0])):
        named.setdefault(("case", row.case_id), set()).add(row.pupil_id)
    for row in (ReportPupil.select(ReportPupil.pupil, Report.case).join(Report)
                .where(Report.case.in_(due_ids or [0]))):
        named.setdefault(("case", row.report.case_id), set()).add(row.pupil_id)
    for row in ReportPupil.select(ReportPupil.report, ReportPupil.pupil).where(
            ReportPupil.report.in_(report_ids or [0])):
        named.setdefault(("report", row.report_id), set()).add(row.pupil_id)
    for complaint in complaints:
        if complaint.pupil_id:
            named.setdefault(("complaint", complaint.id), set()).add(complaint.pupil_id)
    all_pupils = set().union(*named.values()) if named else set()
    kept = _kept_elsewhere(list(all_pupils), due_ids, report_ids, complaint_ids) if all_pupils else set()
    pupils = {pupil.id: pupil for pupil in Pupil.select().where(Pupil.id.in_(list(all_pupils - kept)))}
    seen = set()

    def going(kind, record_id):
        """The pupils whose names go with this record (each pupil once, with the first record naming them)."""
        gone = sorted((pupils[pupil_id] for pupil_id in named.get((kind, record_id), ())
                       if pupil_id in pupils and pupil_id not in seen), key=lambda pupil: pupil.id)
        seen.update(pupil.id for pupil in gone)
        return gone

    case_cleanups = []
    for case in cases:
        items = Evidence.select(Evidence.file_name).where(Evidence.case == case)
        case_cleanups.append(CaseCleanup(
            case=case, pupils=going("case", case.id),
            conversations=Conversation.select().where(Conversation.case == case).count(),
            agreements=Agreement.select().where(Agreement.case == case).count(),
            evidence=items.count(),
            evidence_files=[row.file_name for row in items if row.file_name],
            personal_notes=PersonalNote.select().where(PersonalNote.case == case).count()))
    report_cleanups = [ReportCleanup(report=report, pupils=going("report", report.id),
                                     threads=PublicThread.select().where(PublicThread.report == report).count())
                       for report in reports]
    complaint_cleanups = [ComplaintCleanup(
        complaint=complaint, pupils=going("complaint", complaint.id),
        notes=ComplaintNote.select().where(ComplaintNote.complaint == complaint).count(),
        threads=PublicThread.select().where(PublicThread.complaint == complaint).count())
        for complaint in complaints]
    return Plan(case_cleanups, report_cleanups, complaint_cleanups)


def _forget(pupils):
    """Replace the names of pupils no kept record names any more."""
    for pupil in pupils:
        Pupil.update(first_name="Leerling", infix="", last_name="#%d" % pupil.id, student_number="anon-%d" % pupil.id,
                     date_of_birth=None, is_active=False).where(Pupil.id == pupil.id).execute()


def _anonymise(cleanup, now):
    """Strip one case of what identifies or describes a child; call inside a transaction."""
    case = cleanup.case
    Case.update(title="", close_reason="", anonymised_at=now).where(Case.id == case.id).execute()
    CaseStep.update(note="", set_aside_reason="").where(CaseStep.case == case).execute()
    CaseEvent.update(text="").where(CaseEvent.case == case).execute()
    Report.update(description="", reporter_name="", close_reason="", anonymised_at=now).where(
        Report.case == case).execute()
    # The public page's threads on these reports, with the reporter's own words.
    PublicThread.delete().where(PublicThread.report.in_(Report.select(Report.id).where(Report.case == case))).execute()
    Conversation.delete().where(Conversation.case == case).execute()  # with checklists, lines, participants
    Agreement.delete().where(Agreement.case == case).execute()  # with parties and signatures
    FollowUp.update(note="", with_whom="").where(FollowUp.case == case).execute()
    Measure.update(description="", informed="", refusal_reason="").where(Measure.case == case).execute()
    ParentContact.update(summary="", agreed="").where(ParentContact.case == case).execute()
    Referral.update(detail="", note="", close_note="").where(Referral.case == case).execute()
    SupportSession.update(participants="", notes="", report_back="").where(SupportSession.case == case).execute()
    Evidence.delete().where(Evidence.case == case).execute()
    PersonalNote.delete().where(PersonalNote.case == case).execute()
    _forget(cleanup.pupils)
    AuditEvent.append(action="retention.anonymise", username="cli", object_type="case", object_id=case.id,
                      detail=describe(cleanup, ids_only=True))


def _anonymise_report(cleanup, now):
    """Strip a report that never became a case; what the monitor counts (date, kinds, place) stays."""
    report = cleanup.report
    Report.update(description="", reporter_name="", close_reason="", anonymised_at=now).where(
        Report.id == report.id).execute()
    PublicThread.delete().where(PublicThread.report == report).execute()  # receipt, phrase and messages
    _forget(cleanup.pupils)
    AuditEvent.append(action="retention.anonymise", username="cli", object_type="report", object_id=report.id,
                      detail=describe(cleanup, ids_only=True))


def _anonymise_complaint(cleanup, now):
    """Strip a closed complaint: names, contact, free text, the counsellor's notes, the public thread.
    Its dates and status stay for the monitor."""
    complaint = cleanup.complaint
    Complaint.update(complainant_name="", complainant_contact="", description="", experts_consulted="", advice="",
                     anonymised_at=now).where(Complaint.id == complaint.id).execute()
    ComplaintNote.delete().where(ComplaintNote.complaint == complaint).execute()
    PublicThread.delete().where(PublicThread.complaint == complaint).execute()
    _forget(cleanup.pupils)
    AuditEvent.append(action="retention.anonymise", username="cli", object_type="complaint", object_id=complaint.id,
                      detail=describe(cleanup, ids_only=True))


def describe(cleanup, ids_only=False):
    """One record's clean-up in words (with pupils by id only, for the audit log)."""
    pupils = ", ".join(("leerling %d" % pupil.id) if ids_only else
                       "%s (%d)" % (pupil.display_name, pupil.id) for pupil in cleanup.pupils) or "geen"
    if isinstance(cleanup, ReportCleanup):
        report = cleanup.report
        return ("melding %d zonder dossier, van %s (%s): vrije tekst gewist, %d meldknopgesprekken verwijderd; "
                "namen vervangen: %s" % (report.id, report.reported_on.isoformat(),
                                        "gesloten" if report.status == "closed" else "nooit afgehandeld",
                                        cleanup.threads, pupils))
    if isinstance(cleanup, ComplaintCleanup):
        complaint = cleanup.complaint
        return ("klacht %d, gesloten %s: vrije tekst en gegevens van de klager gewist, %d notities en %d "
                "meldknopgesprekken verwijderd; namen vervangen: %s" % (
                    complaint.id, complaint.closed_at.date().isoformat(), cleanup.notes, cleanup.threads, pupils))
    case = cleanup.case
    return ("dossier %s, gesloten %s: %d gesprekken, %d overeenkomsten, %d bewijsstukken (%d bestanden), "
            "%d werknotities verwijderd; vrije tekst gewist; namen vervangen: %s" % (
                case.reference, case.closed_at.date().isoformat(), cleanup.conversations, cleanup.agreements,
                cleanup.evidence, len(cleanup.evidence_files), cleanup.personal_notes, pupils))


def run(on_day=None):
    """Anonymise every due record in one transaction, then remove evidence files; returns the plan.

    Files go only after the commit: a failed run leaves the database and the files as they were.
    """
    now = utcnow()
    with db.atomic():
        work = plan(on_day)
        for cleanup in work.cases:
            _anonymise(cleanup, now)
        for cleanup in work.reports:
            _anonymise_report(cleanup, now)
        for cleanup in work.complaints:
            _anonymise_complaint(cleanup, now)
        if work:
            AuditEvent.append(action="retention.run", username="cli", object_type="case", detail=(
                "%d dossiers, %d meldingen, %d klachten geanonimiseerd (bewaartermijn %d maanden)" % (
                    len(work.cases), len(work.reports), len(work.complaints),
                    SchoolSettings.current().retention_months)))
    leftovers = []
    for cleanup in work.cases:
        for file_name in cleanup.evidence_files:
            try:
                evidence.remove(file_name)
            except (OSError, ValueError):
                leftovers.append(file_name)
    return work, leftovers


def counts(work):
    return "%d dossiers, %d meldingen zonder dossier en %d klachten" % (
        len(work.cases), len(work.reports), len(work.complaints))


def orphan_files():
    """Evidence files no row points to any more (a crash between a commit and the file's removal)."""
    known = {row.file_name for row in Evidence.select(Evidence.file_name).where(Evidence.file_name.is_null(False))}
    return evidence.orphans(known)


def remove_orphan_files():
    """Remove the orphaned evidence files and log how many; returns (removed, left over)."""
    removed, leftovers = [], []
    for file_name in orphan_files():
        try:
            if evidence.remove(file_name):  # else a backup is copying files: the next run takes it
                removed.append(file_name)
        except (OSError, ValueError):
            leftovers.append(file_name)
    if removed:
        with db.atomic():
            AuditEvent.append(action="evidence.orphans_removed", username="cli", object_type="evidence",
                              detail="%d bestanden zonder bewijsregel verwijderd" % len(removed))
    return removed, leftovers
