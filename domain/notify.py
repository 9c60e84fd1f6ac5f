"""E-mail notifications (off by default): that there is something, and a link (only to the address
set under Instellingen); never pupil data.

The coordinator hears of a new report from the public page, the counsellor of a new complaint
(through the outbox: queued with the report, sent after the response), and each case
worker once a day of their steps that are due tomorrow or became overdue, each mentor of the
follow-up talks of their cases likewise, and each who decides an escalation of the cases where
it waits for their decision (`flask --app app notify`, for cron).
"""
import datetime
import os
import smtplib
import ssl
import threading
from email.message import EmailMessage

from flask import current_app

from db import db, school_time_to_utc, today, utcnow
from domain import escalation, followups
from models import (
    AuditEvent, Case, CaseStep, FollowUp, Measure, OutboxMail, Pupil, Report, ReportPupil, SchoolClass, SchoolSettings,
    User,
)
from permissions import may_complete_step
from terminology import dutch_term

SMTP_TIMEOUT = 10
CLAIM_FOR = datetime.timedelta(minutes=5)  # far longer than one delivery with its SMTP timeouts
RETRY_AFTER = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5


class MailError(Exception):
    """Sending failed; the message says why (no pupil data)."""


def app_link(path):
    """An absolute link into Herstel from the address set in settings, or None when none is set.

    Never from the request: its Host header is whatever the sender typed, and an anonymous report
    must not put a link of its choosing in the coordinator's mail.
    """
    settings = SchoolSettings.current()
    return settings.app_url.rstrip("/") + path if settings.app_url else None


def where_to_look(sentence, path, place):
    """The mail's pointer into Herstel: the sentence with the link, or, without a configured
    address, where to look (and why the mail has no link)."""
    link = app_link(path)
    if link:
        return "%s: %s\n" % (sentence, link)
    return ("%s, onder %s.\n\nDeze e-mail heeft geen link: onder Instellingen is geen adres van Herstel "
            "ingevuld.\n" % (sentence, place))


def mail_is_on(settings=None):
    """Whether the school sends e-mail: switched on, with a mail server filled in."""
    settings = settings or SchoolSettings.current()
    return bool(settings.mail_enabled and settings.smtp_host)


def send(to_addresses, subject, body, settings=None):
    """Send one plain-text message to each address over SMTP; returns how many were sent."""
    settings = settings or SchoolSettings.current()
    recipients = [address for address in to_addresses if address]
    if not mail_is_on(settings) or not recipients:
        return 0
    password = os.environ.get("HERSTEL_SMTP_PASSWORD", "")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, password)
            for address in recipients:
                message = EmailMessage()
                message["From"] = settings.mail_sender or "herstel@localhost"
                message["To"] = address
                message["Subject"] = subject
                message.set_content(body)
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError("e-mail niet verstuurd: %s" % type(error).__name__) from error
    return len(recipients)


def _emails_of(role):
    return [user.email for user in User.with_role(role) if user.email]


def queue(to_addresses, subject, body):
    """Put a notice in the outbox, in the caller's transaction; None when mail is off or no one has an address."""
    recipients = [address for address in to_addresses if address]
    if not mail_is_on() or not recipients:
        return None
    return OutboxMail.create(recipients="\n".join(recipients), subject=subject, body=body)


def _claim(mail, now):
    """Take a due notice for this delivery (a concurrent one skips it); True when it is ours."""
    with db.atomic():
        return OutboxMail.update(next_attempt_at=now + CLAIM_FOR).where(
            OutboxMail.id == mail.id, OutboxMail.next_attempt_at <= now).execute() == 1


def deliver():
    """Send every due notice in the outbox; a sent one goes, a failed one waits and is tried again
    (at most MAX_ATTEMPTS times). Returns (sent, failed)."""
    sent = failed = 0
    now = utcnow()
    for mail in list(OutboxMail.due(now, MAX_ATTEMPTS)):
        if not _claim(mail, now):
            continue
        try:
            send(mail.recipients.split("\n"), mail.subject, mail.body)
        except MailError as error:
            current_app.logger.warning("Melding per e-mail mislukt (poging %d): %s", mail.attempts + 1, error)
            with db.atomic():
                OutboxMail.update(attempts=OutboxMail.attempts + 1, last_error=str(error)[:200],
                                  next_attempt_at=utcnow() + RETRY_AFTER).where(OutboxMail.id == mail.id).execute()
            failed += 1
        else:
            with db.atomic():
                OutboxMail.delete().where(OutboxMail.id == mail.id).execute()
            sent += 1
    return sent, failed


def given_up():
    """The notices delivery gave up on after MAX_ATTEMPTS tries (the settings page lists them)."""
    return OutboxMail.given_up(MAX_ATTEMPTS)


def try_again():
    """Make the notices that were given up on due again, with all their tries anew (in the
    caller's transaction; start_delivery after it). Returns how many."""
    return OutboxMail.update(attempts=0, next_attempt_at=utcnow(), last_error="").where(
        OutboxMail.failed_every_try(MAX_ATTEMPTS)).execute()


def discard_given_up():
    """Delete the notices that were given up on (a wrong address will never take them), in the
    caller's transaction. Returns how many."""
    return OutboxMail.delete().where(OutboxMail.failed_every_try(MAX_ATTEMPTS)).execute()


def _deliver_in_app(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            deliver()
        except Exception:  # noqa: BLE001 - a thread's failure must reach the log, the notice stays queued
            app.logger.exception("outbox delivery failed")
        finally:
            if not db.is_closed():
                db.close()


def deliver_later(mail):
    """After the notice's transaction committed: deliver the outbox in a thread of its own, so the
    reporter's page does not wait for the mail server. What a crash interrupts stays in the outbox for
    the next delivery (the next notice, or `flask notify`)."""
    if mail is None:
        return None
    return start_delivery()


def start_delivery():
    """Deliver the outbox in a thread of its own (after the transaction that queued or freed its notices)."""
    thread = threading.Thread(target=_deliver_in_app, args=(current_app._get_current_object(),),
                              name="herstel-outbox", daemon=True)
    thread.start()
    return thread


def new_report(report):
    """Queue a notice to the coordinators that a report came in through the public page."""
    return queue(_emails_of("coordinator"), "Herstel: nieuwe melding via de meldknop",
                 "Er is een nieuwe melding binnengekomen via de meldknop.\n\n"
                 + where_to_look("Lees haar in Herstel", "/meldingen/%d" % report.id, "Meldingen"))


def new_complaint(complaint):
    """Queue a notice to the counsellors that a complaint came in through the public page."""
    return queue(_emails_of("counsellor"), "Herstel: nieuwe klacht via de meldknop",
                 "Er is een nieuwe klacht binnengekomen via de meldknop.\n\n"
                 + where_to_look("Lees haar in Herstel", "/klachten/%d" % complaint.id, "Klachten"))


def new_reporter_message(thread):
    """Queue a notice to whoever answers the thread that the reporter wrote again."""
    path = "/meldingen/%d" % thread.report_id if thread.report_id else "/klachten/%d" % thread.complaint_id
    return queue(_emails_of(thread.answering_role), "Herstel: nieuw bericht van een melder",
                 "Iemand die via de meldknop meldde, heeft een nieuw bericht gestuurd.\n\n"
                 + where_to_look("Lees het in Herstel", path, "Meldingen" if thread.report_id else "Klachten"))


def _step_owners(step):
    """Who is told about a step: the case's mentor for a mentor's step, else everyone with the role who
    may complete it (the support team: its members who work on the case)."""
    if step.owner == "mentor":
        return [step.case.mentor] if step.case.mentor_id and step.case.mentor.is_active else []
    return [user for user in User.with_role(step.owner) if may_complete_step(user, step.case, step.owner)]


def _awaiting_decisions():
    """(case, deciding roles) for each escalation that waits for a decision: each pupil's open proposal
    (the protocol's deciders of the phase proposed for them), and a measure that waits for a second
    deciding role."""
    for case, _pupil, number in followups.open_pupil_proposals():
        phase = escalation.phase_of(case, number)
        if phase:
            yield case, phase.decided_by
    for measure in (Measure.select(Measure, Case).join(Case)
                    .where(Measure.waiting_for != "", Case.status == "open")):
        yield measure.case, measure.waiting_roles


def digests(on=None):
    """Per user, the case references with steps due tomorrow and those that became overdue today
    (due yesterday), the same of the follow-up talks of the cases they are mentor of, and those where
    an escalation waits for their decision, as long as it waits:
    {user: {"tomorrow": [...], "overdue": [...], "talks_tomorrow": [...], "talks_overdue": [...],
    "decide": [...], "parents": [...], "handed": [...]}} ("parents": the parents the protocol says hear of a measure,
    due tomorrow or overdue since today, for the case's mentor and the coordinators; "handed": the cases handed to
    the user's role when agreements broke again, until its talk is started: followups.hand_overs). A follow-up step
    under way is its talks, so it is told as those."""
    on = on or today()
    tomorrow, yesterday = on + datetime.timedelta(days=1), on - datetime.timedelta(days=1)
    steps = (CaseStep.select(CaseStep, Case).join(Case)
             .where(CaseStep.status == "open", Case.status == "open", CaseStep.due_on.in_([tomorrow, yesterday]),
                    ~followups.steps_under_way()))
    result = {}

    def entry_of(user):
        return result.setdefault(user.id, {"user": user, "tomorrow": set(), "overdue": set(),
                                           "talks_tomorrow": set(), "talks_overdue": set(), "decide": set(),
                                           "class_reports": set(), "parents": set(), "handed": set()})

    for step in steps:
        for user in _step_owners(step):
            if user.email:
                entry_of(user)["tomorrow" if step.due_on == tomorrow else "overdue"].add(step.case.reference)
    talks = followups.open_follow_ups().where(FollowUp.due_on.in_([tomorrow, yesterday]), Case.mentor.is_null(False))
    mentors = {user.id: user for user in User.select().where(
        User.id.in_({talk.case.mentor_id for talk in talks} or {0}), User.is_active == True)}  # noqa: E712
    for talk in talks:
        mentor = mentors.get(talk.case.mentor_id)
        if mentor is not None and mentor.email:
            entry_of(mentor)["talks_tomorrow" if talk.due_on == tomorrow else "talks_overdue"].add(talk.case.reference)
    for case, roles in _awaiting_decisions():
        for user in escalation.deciders_on(case, roles):
            if user.email:
                entry_of(user)["decide"].add(case.reference)
    for case in {case.id: case for case, _pupil, _number in followups.open_pupil_proposals()}.values():
        for role in {item.rule.hand_to for item in followups.hand_overs(case)}:  # handed over, talk not started
            for user in User.with_role(role):
                if user.email:
                    entry_of(user)["handed"].add(case.reference)
    coordinators = None
    for item in escalation.open_parents_to_inform():  # due tomorrow, or overdue since today
        if item.due_on not in (tomorrow, yesterday):
            continue
        coordinators = User.with_role("coordinator") if coordinators is None else coordinators
        mentor = [item.case.mentor] if item.case.mentor_id and item.case.mentor.is_active else []
        for user in mentor + list(coordinators):
            if user.email:
                entry_of(user)["parents"].add(item.case.reference)
    for mentor, report_id in _class_reports_of(yesterday, on):
        if mentor.email:
            entry_of(mentor)["class_reports"].add(report_id)
    return list(result.values())


def _class_reports_of(day, next_day):
    """(mentor, report id) for the reports filed on `day` that name a pupil of the mentor's class: the
    mentor reads them (seed 001 step 1), unless the reporter kept them for the coordinator or filed them
    themselves."""
    start, end = (school_time_to_utc(datetime.datetime.combine(moment, datetime.time())) for moment in (day, next_day))
    rows = (ReportPupil.select(ReportPupil.report, Report.created_by, SchoolClass.mentor)
            .join(Report).switch(ReportPupil).join(Pupil).join(SchoolClass)
            .where(Report.confidential == False, Report.created_at >= start, Report.created_at < end,  # noqa: E712
                   SchoolClass.mentor.is_null(False)).tuples())
    pairs = {(mentor_id, report_id) for report_id, created_by, mentor_id in rows if mentor_id != created_by}
    mentors = {user.id: user for user in User.select().where(
        User.id.in_({mentor_id for mentor_id, _report in pairs} or {0}), User.is_active == True)}  # noqa: E712
    return [(mentors[mentor_id], report_id) for mentor_id, report_id in sorted(pairs) if mentor_id in mentors]


def send_digests(on=None):
    """Send today's digest to each user who has one and did not get it yet; returns (sent, failed)."""
    on = on or today()
    if not mail_is_on():
        return 0, 0
    sent = failed = 0
    for entry in digests(on):
        user = entry["user"]
        already = (AuditEvent.select().where(AuditEvent.action == "mail.digest", AuditEvent.user_id == user.id,
                                             AuditEvent.detail == on.isoformat()).exists())
        if already:
            continue
        lines = ["Goedemorgen,", ""]
        if entry["tomorrow"]:
            lines.append("Morgen moet in %d dossier(s) een stap af zijn: %s." % (
                len(entry["tomorrow"]), ", ".join(sorted(entry["tomorrow"]))))
        if entry["overdue"]:
            lines.append("In %d dossier(s) is een stap sinds vandaag te laat: %s." % (
                len(entry["overdue"]), ", ".join(sorted(entry["overdue"]))))
        if entry["talks_tomorrow"]:
            lines.append("Morgen staat in %d dossier(s) een vervolggesprek gepland: %s." % (
                len(entry["talks_tomorrow"]), ", ".join(sorted(entry["talks_tomorrow"]))))
        if entry["talks_overdue"]:
            lines.append("In %d dossier(s) is een vervolggesprek sinds vandaag te laat: %s." % (
                len(entry["talks_overdue"]), ", ".join(sorted(entry["talks_overdue"]))))
        if entry["decide"]:
            lines.append("In %d dossier(s) wacht een besluit over een maatregel op jou: %s." % (
                len(entry["decide"]), ", ".join(sorted(entry["decide"]))))
        if entry["handed"]:
            lines.append("In %d dossier(s) kwam een leerling de afspraken opnieuw niet na; het dossier is nu aan jou "
                         "voor een gesprek bij herhaling: %s." % (
                             len(entry["handed"]), ", ".join(sorted(entry["handed"]))))
        if entry["parents"]:
            lines.append("In %d dossier(s) moeten ouders nog horen van een maatregel (uiterlijk morgen, of al te "
                         "laat): %s." % (len(entry["parents"]), ", ".join(sorted(entry["parents"]))))
        if entry["class_reports"]:
            lines.append("Gisteren kwam(en) %d melding(en) binnen over leerlingen van je klas; de %s behandelt ze."
                         % (len(entry["class_reports"]), dutch_term("coordinator")))
        lines += ["", where_to_look("Bekijk wat er voor je klaarstaat in Herstel", "/", "Startpagina")]
        try:
            send([user.email], "Herstel: stappen die je aandacht vragen", "\n".join(lines))
        except MailError:
            failed += 1
            continue
        with db.atomic():
            AuditEvent.append("mail.digest", user_id=user.id, username=user.username, object_type="user",
                              object_id=user.id, detail=on.isoformat())
        sent += 1
    return sent, failed
