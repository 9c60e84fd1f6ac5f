"""Retention (AVG): closed cases older than the school's retention period are anonymised.

What the monitor counts stays: the case row with its dates, protocol and approach, the
kinds and places of its reports, the roles of the pupils, the steps and when they were done,
follow-up outcomes, measures by phase, referrals by target. What can identify or describe a
child goes: free text, conversations, agreements with their signatures, evidence files, work
notes, and the pupil's name once no kept case or report still needs it. The audit log itself
is append-only and holds ids and step keys, never names or text.
"""
import calendar
import dataclasses
import datetime

import click
from flask.cli import with_appcontext

import evidence_files
from audit import school_day_start
from models import (
    Agreement, AuditEvent, Case, CaseEvent, CaseStep, Complaint, Conversation, Evidence, FollowUp, Involvement,
    Measure, ParentContact, PersonalNote, PublicThread, Pupil, Referral, Report, ReportPupil, SchoolSettings,
    SupportSession, db, today, utcnow,
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
    pupils: list  # pupils whose names go, because no kept case or report names them


def due_cases(on_day=None):
    """Closed cases, not yet anonymised, closed before the retention period that ends today."""
    months = SchoolSettings.current().retention_months
    cutoff = school_day_start(months_before(on_day or today(), months))
    return (Case.select().where(Case.status == "closed", Case.closed_at < cutoff, Case.anonymised_at.is_null())
            .order_by(Case.closed_at, Case.id))


def _kept_elsewhere(pupil_ids, due_ids):
    """Of these pupils, those still named by a case or report that is kept, or by a complaint."""
    kept_case = Involvement.select(Involvement.pupil).where(
        Involvement.pupil.in_(pupil_ids), Involvement.case.not_in(due_ids),
        Involvement.case.in_(Case.select(Case.id).where(Case.anonymised_at.is_null())))
    kept_report = (ReportPupil.select(ReportPupil.pupil).join(Report)
                   .where(ReportPupil.pupil.in_(pupil_ids),
                          Report.case.is_null() | (Report.case.not_in(due_ids) & Report.case.in_(
                              Case.select(Case.id).where(Case.anonymised_at.is_null())))))
    complaint = Complaint.select(Complaint.pupil).where(Complaint.pupil.in_(pupil_ids))
    return {row.pupil_id for query in (kept_case, kept_report, complaint) for row in query}


def plan(on_day=None):
    """What a run would do, case by case; nothing is written."""
    cases = list(due_cases(on_day))
    due_ids = [case.id for case in cases]
    if not cases:
        return []
    involved = {}
    for row in Involvement.select(Involvement.case, Involvement.pupil).where(Involvement.case.in_(due_ids)):
        involved.setdefault(row.case_id, set()).add(row.pupil_id)
    for row in (ReportPupil.select(ReportPupil.pupil, Report.case).join(Report)
                .where(Report.case.in_(due_ids))):
        involved.setdefault(row.report.case_id, set()).add(row.pupil_id)
    all_pupils = set().union(*involved.values()) if involved else set()
    kept = _kept_elsewhere(list(all_pupils), due_ids) if all_pupils else set()
    pupils = {pupil.id: pupil for pupil in Pupil.select().where(Pupil.id.in_(list(all_pupils - kept)))}
    seen, cleanups = set(), []
    for case in cases:
        gone = sorted((pupils[pupil_id] for pupil_id in involved.get(case.id, ())
                       if pupil_id in pupils and pupil_id not in seen), key=lambda pupil: pupil.id)
        seen.update(pupil.id for pupil in gone)
        evidence = Evidence.select(Evidence.file_name).where(Evidence.case == case)
        cleanups.append(CaseCleanup(
            case=case, pupils=gone,
            conversations=Conversation.select().where(Conversation.case == case).count(),
            agreements=Agreement.select().where(Agreement.case == case).count(),
            evidence=evidence.count(),
            evidence_files=[row.file_name for row in evidence if row.file_name],
            personal_notes=PersonalNote.select().where(PersonalNote.case == case).count()))
    return cleanups


def _anonymise(cleanup, now):
    """Strip one case of what identifies or describes a child; call inside a transaction."""
    case = cleanup.case
    Case.update(title="", close_reason="", anonymised_at=now).where(Case.id == case.id).execute()
    CaseStep.update(note="").where(CaseStep.case == case).execute()
    CaseEvent.update(text="").where(CaseEvent.case == case).execute()
    Report.update(description="", reporter_name="", close_reason="").where(Report.case == case).execute()
    # The public page's threads on these reports, with the reporter's own words.
    PublicThread.delete().where(PublicThread.report.in_(Report.select(Report.id).where(Report.case == case))).execute()
    Conversation.delete().where(Conversation.case == case).execute()  # with checklists, lines, participants
    Agreement.delete().where(Agreement.case == case).execute()  # with parties and signatures
    FollowUp.update(note="", with_whom="").where(FollowUp.case == case).execute()
    Measure.update(description="", informed="").where(Measure.case == case).execute()
    ParentContact.update(summary="", agreed="").where(ParentContact.case == case).execute()
    Referral.update(detail="", note="").where(Referral.case == case).execute()
    SupportSession.update(participants="", notes="", report_back="").where(SupportSession.case == case).execute()
    Evidence.delete().where(Evidence.case == case).execute()
    PersonalNote.delete().where(PersonalNote.case == case).execute()
    for pupil in cleanup.pupils:
        Pupil.update(first_name="Leerling", infix="", last_name="#%d" % pupil.id, student_number="anon-%d" % pupil.id,
                     date_of_birth=None, is_active=False).where(Pupil.id == pupil.id).execute()
    AuditEvent.append(action="retention.anonymise", username="cli", object_type="case", object_id=case.id,
                      detail=describe(cleanup, ids_only=True))


def describe(cleanup, ids_only=False):
    """One case's clean-up in words (with pupils by id only, for the audit log)."""
    case = cleanup.case
    pupils = ", ".join(("leerling %d" % pupil.id) if ids_only else
                       "%s (%d)" % (pupil.display_name, pupil.id) for pupil in cleanup.pupils)
    return ("dossier %s, gesloten %s: %d gesprekken, %d overeenkomsten, %d bewijsstukken (%d bestanden), "
            "%d werknotities verwijderd; vrije tekst gewist; namen vervangen: %s" % (
                case.reference, case.closed_at.date().isoformat(), cleanup.conversations, cleanup.agreements,
                cleanup.evidence, len(cleanup.evidence_files), cleanup.personal_notes, pupils or "geen"))


def run(on_day=None):
    """Anonymise every due case in one transaction, then remove their evidence files; returns the plan.

    Files go only after the commit: a failed run leaves the database and the files as they were.
    """
    now = utcnow()
    with db.atomic():
        cleanups = plan(on_day)
        for cleanup in cleanups:
            _anonymise(cleanup, now)
        if cleanups:
            AuditEvent.append(action="retention.run", username="cli", object_type="case",
                              detail="%d dossiers geanonimiseerd (bewaartermijn %d maanden)" % (
                                  len(cleanups), SchoolSettings.current().retention_months))
    leftovers = []
    for cleanup in cleanups:
        for file_name in cleanup.evidence_files:
            try:
                evidence_files.remove(file_name)
            except (OSError, ValueError):
                leftovers.append(file_name)
    return cleanups, leftovers


@click.command("retention")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Only list what would be anonymised.")
def retention_command(dry_run):
    """Anonymise closed cases older than the school's retention period."""
    months = SchoolSettings.current().retention_months
    if dry_run:
        cleanups = plan()
        click.echo("Proefdraai (er verandert niets). Bewaartermijn: %d maanden na sluiten." % months)
        for cleanup in cleanups:
            click.echo("- " + describe(cleanup))
        click.echo("%d dossiers zouden worden geanonimiseerd." % len(cleanups))
        return
    cleanups, leftovers = run()
    for cleanup in cleanups:
        click.echo("- " + describe(cleanup, ids_only=True))
    click.echo("%d dossiers geanonimiseerd (bewaartermijn %d maanden); vastgelegd in het logboek."
               % (len(cleanups), months))
    if leftovers:
        raise click.ClickException("Deze bewijsbestanden konden niet worden verwijderd: %s" % ", ".join(leftovers))
