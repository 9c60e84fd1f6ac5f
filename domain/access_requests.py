"""Access requests (AVG inzageverzoek): one pupil's file, gathered, redacted and packed.

What goes in: the reports that name the pupil or belong to their cases; each case the pupil is
involved in (with the pupil's own role) and its steps; the conversations the pupil took part in;
the agreements the pupil is a party to, with who signed when; follow-ups of those; parent
contacts, referrals and measures about the pupil; the support team's report back (never its
session notes: the mentor, too, reads only the report back); evidence descriptions; and who
looked at or changed the pupil's file (the audit trail).

An export shows its exporter nothing their role refuses on screen. The coordinator, who makes
it, reads every case and report, so those parts go in whole. Complaints are the confidential
counsellor's: they go in only for an exporter who is also the counsellor; otherwise the export
says, whether or not there are any, that the counsellor handles that part and who that is. The
audit trail holds the events the exporter reads in the log (none on complaints for the coordinator).

What stays out: personal work notes (their author's alone), the counsellor's private notes,
the reporter's name (reporters are protected), a complainant's name and contact, evidence
usernames and addresses, other pupils' support data, and the public page's messages.

Redaction: every other pupil is "leerling A", "leerling B", ... throughout one export. Full
names (with and without the infix, and "achternaam, voornaam") of every pupil of the school are
replaced wherever they occur; first names, and last names with their infix, only for the pupils
involved in the same cases, reports, conversations and agreements, as whole words and in any
case. A first or last name the pupil shares with such a classmate is kept: it cannot be told
apart, and the pupil's own name must stay readable. Staff names stay: they act for the school.
"""
import csv
import dataclasses
import hashlib
import io
import re
import zipfile

from flask import current_app

import audit
from domain import evidence
from permissions import audit_log_scope, may_handle_complaints
from models import (
    Agreement, AgreementParty, AuditEvent, Case, CaseStep, ChecklistEntry, Complaint, Conversation,
    ConversationLine, ConversationParticipant, Evidence, FollowUp, Involvement, Measure, ParentContact, Pupil,
    Referral, Report, ReportPupil, SupportSession, User,
)

REQUESTERS = (("parent", "ouder/verzorger"), ("pupil", "leerling van 16 jaar of ouder"))
MAX_AUDIT_ROWS = 2000


def _letters(number):
    """0 -> A, 25 -> Z, 26 -> AA: the label's letters."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _full_names(pupil):
    """The ways a pupil's whole name is written."""
    given = " ".join(part for part in (pupil.first_name, pupil.infix) if part)
    names = {pupil.display_name, "%s %s" % (pupil.first_name, pupil.last_name), "%s, %s" % (pupil.last_name, given)}
    return {name for name in names if name.strip()}


def _short_names(pupil):
    """A pupil's first name, and last name with and without the infix."""
    names = {pupil.first_name, pupil.last_name}
    if pupil.infix:
        names.add("%s %s" % (pupil.infix, pupil.last_name))
    return {name for name in names if len(name.strip()) >= 2}


def _key(name):
    return " ".join(name.split()).casefold()


class Redactor:
    """Replaces other pupils' names by 'leerling A', 'leerling B', ... consistently within one export."""

    def __init__(self, subject, involved, school_pupils):
        self.subject = subject
        self.labels = {}
        self.by_id = {pupil.id: pupil for pupil in school_pupils}
        self.by_id.update({pupil.id: pupil for pupil in involved})
        for pupil in sorted(involved, key=lambda pupil: pupil.id):
            if pupil.id != subject.id:
                self.label(pupil)
        names = {_key(name): subject.id for name in _full_names(subject)}
        for pupil in self.by_id.values():
            if pupil.id != subject.id and not pupil.student_number.startswith("anon-"):
                for name in _full_names(pupil):
                    names.setdefault(_key(name), pupil.id)
        own_parts = {_key(name) for name in _short_names(subject)}
        for pupil in involved:
            if pupil.id != subject.id:
                for name in _short_names(pupil):
                    if _key(name) not in own_parts:
                        names.setdefault(_key(name), pupil.id)
        self.names = names
        alternatives = sorted(names, key=len, reverse=True)
        self.pattern = re.compile(r"(?<!\w)(%s)(?!\w)" % "|".join(
            r"\s+".join(re.escape(word) for word in name.split()) for name in alternatives),
            re.IGNORECASE) if alternatives else None

    def label(self, pupil):
        """The neutral label of another pupil (the pupil's own name for the pupil)."""
        if pupil.id == self.subject.id:
            return pupil.display_name
        if pupil.id not in self.labels:
            self.labels[pupil.id] = "leerling %s" % _letters(len(self.labels))
        return self.labels[pupil.id]

    def _replace(self, match):
        pupil_id = self.names.get(_key(match.group(0)))
        if pupil_id is None or pupil_id == self.subject.id:
            return match.group(0)
        return self.label(self.by_id[pupil_id])

    def __call__(self, value):
        """Free text with other pupils' names replaced."""
        if not value or self.pattern is None:
            return value or ""
        return self.pattern.sub(self._replace, value)


@dataclasses.dataclass
class EvidenceFile:
    """An evidence file as it goes into the ZIP: read, hashed again, under a neutral name."""

    item: Evidence
    name: str
    data: bytes
    sha256: str
    matches: bool  # the hash equals the one taken when it was collected


@dataclasses.dataclass
class PupilFile:
    """Everything of one pupil's file that an access request hands over, already redacted."""

    pupil: Pupil
    redact: Redactor
    cases: list  # (case, role, other pupils count, steps)
    reports: list
    conversations: list  # (conversation, participants, entries, lines)
    agreements: list  # (agreement, parties)
    follow_ups: list
    parent_contacts: list
    referrals: list
    support_reports: list
    measures: list
    evidence: list
    complaints: list  # None: left out, the counsellor handles them (counsellors names who that is)
    counsellors: list
    audit_trail: list  # (event, user's full name)
    audit_trail_cut: bool

    def party_name(self, party):
        """An agreement party as the export shows it: the pupil, a label, staff by name, a parent by role."""
        if party.pupil_id:
            return self.redact.label(self.redact.by_id.get(party.pupil_id) or Pupil.get_by_id(party.pupil_id))
        if party.role == "parent":
            return "ouder/verzorger"
        return party.name

    def participant_name(self, participant):
        """A talk's participant: a pupil as a label ("ouders van" the pupil in a talk with the parents), else
        the name as typed, redacted."""
        if participant.pupil_id:
            name = self.redact.label(self.redact.by_id.get(participant.pupil_id)
                                     or Pupil.get_by_id(participant.pupil_id))
            return "ouders van " + name if participant.role == "parents" else name
        return self.redact(participant.name)


def _ids(query):
    return list({row for (row,) in query.tuples()})


def gather(pupil, exporter):
    """The pupil's file for an access request, with the redactor for every text in it; of the audit
    trail, the events the exporter reads in the log (permissions.audit_log_scope)."""
    involvements = list(Involvement.select(Involvement, Case).join(Case).where(Involvement.pupil == pupil)
                        .order_by(Case.opened_at, Case.id))
    case_ids = [row.case_id for row in involvements]
    report_ids = _ids(ReportPupil.select(ReportPupil.report).where(ReportPupil.pupil == pupil))
    reports = list(Report.with_case().where(Report.id.in_(report_ids) | Report.case.in_(case_ids or [0]))
                   .order_by(Report.reported_on, Report.id))
    conversation_ids = _ids(ConversationParticipant.select(ConversationParticipant.conversation)
                            .where(ConversationParticipant.pupil == pupil))
    conversations = list(Conversation.select().where(Conversation.id.in_(conversation_ids))
                         .order_by(Conversation.started_at, Conversation.id))
    agreement_ids = _ids(AgreementParty.select(AgreementParty.agreement).where(AgreementParty.pupil == pupil))
    agreements = list(Agreement.select().where(Agreement.id.in_(agreement_ids))
                      .order_by(Agreement.created_at, Agreement.id))

    # Everyone who appears beside the pupil: their first names are replaced too.
    involved_ids = set(_ids(Involvement.select(Involvement.pupil).where(Involvement.case.in_(case_ids or [0]))))
    involved_ids |= set(_ids(ReportPupil.select(ReportPupil.pupil).where(
        ReportPupil.report.in_([report.id for report in reports] or [0]))))
    involved_ids |= set(_ids(ConversationParticipant.select(ConversationParticipant.pupil).where(
        ConversationParticipant.conversation.in_(conversation_ids or [0]),
        ConversationParticipant.pupil.is_null(False))))
    involved_ids |= set(_ids(AgreementParty.select(AgreementParty.pupil).where(
        AgreementParty.agreement.in_(agreement_ids or [0]), AgreementParty.pupil.is_null(False))))
    involved_ids |= set(_ids(Referral.select(Referral.pupil).where(
        Referral.case.in_(case_ids or [0]), Referral.pupil.is_null(False))))
    involved = list(Pupil.select().where(Pupil.id.in_(list(involved_ids | {pupil.id}))))
    school = list(Pupil.select(Pupil.id, Pupil.first_name, Pupil.infix, Pupil.last_name, Pupil.student_number))
    redact = Redactor(pupil, involved, school)

    cases = []
    for involvement in involvements:
        steps = list(CaseStep.select().where(CaseStep.case == involvement.case_id)
                     .order_by(CaseStep.position, CaseStep.id))
        others = Involvement.select().where(Involvement.case == involvement.case_id,
                                            Involvement.pupil != pupil).count()
        cases.append((involvement.case, involvement.role, others, steps))

    talks = []
    for conversation in conversations:
        participants = list(conversation.participants.order_by(ConversationParticipant.id))
        entries = list(conversation.entries.where(ChecklistEntry.done | (ChecklistEntry.note != ""))
                       .order_by(ChecklistEntry.position))
        lines = list(conversation.lines.where(ConversationLine.removed_at.is_null())
                     .order_by(ConversationLine.created_at, ConversationLine.id))
        talks.append((conversation, participants, entries, lines))

    # The pupil's own follow-up talks; one held with several pupils together (before talks were per
    # pupil) when the pupil was in its agreement or conversation.
    follow_ups = list(FollowUp.select().where(
        FollowUp.case.in_(case_ids or [0]), FollowUp.cancelled_at.is_null(),
        (FollowUp.pupil == pupil) | (FollowUp.pupil.is_null() & (
            FollowUp.agreement.in_(agreement_ids or [0]) | FollowUp.conversation.in_(conversation_ids or [0])
            | (FollowUp.agreement.is_null() & FollowUp.conversation.is_null()))))
        .order_by(FollowUp.due_on, FollowUp.id))
    referrals = list(Referral.select().where(
        Referral.case.in_(case_ids or [0]), (Referral.pupil == pupil) | Referral.pupil.is_null())
        .order_by(Referral.referred_on, Referral.id))
    # The support team's report back on the pupil's own referrals; a session without a referral
    # (a support group) belongs to the case, so its report back too.
    support_reports = list(SupportSession.select().where(
        SupportSession.case.in_(case_ids or [0]), SupportSession.report_back != "",
        SupportSession.referral.in_([referral.id for referral in referrals if referral.pupil_id] or [0])
        | SupportSession.referral.is_null()).order_by(SupportSession.held_on, SupportSession.id))

    trail = (audit.events(scope=audit_log_scope(exporter) or audit.NO_COMPLAINT_EVENTS, pupil_ids=[pupil.id])
             .where(AuditEvent.object_type.not_in(list(audit.PRIVATE_OBJECT_TYPES))).limit(MAX_AUDIT_ROWS + 1))
    trail = list(trail)
    users = {user.id: user.full_name for user in User.select(User.id, User.full_name).where(
        User.id.in_({event.user_id for event in trail if event.user_id} or {0}))}

    return PupilFile(
        pupil=pupil, redact=redact, cases=cases, reports=reports, conversations=talks,
        agreements=[(agreement, list(agreement.parties.order_by(AgreementParty.id))) for agreement in agreements],
        follow_ups=follow_ups,
        parent_contacts=list(ParentContact.select().where(ParentContact.pupil == pupil)
                             .order_by(ParentContact.contacted_on, ParentContact.id)),
        referrals=referrals, support_reports=support_reports,
        measures=list(Measure.select().where(Measure.pupil == pupil).order_by(Measure.decided_on, Measure.id)),
        evidence=list(Evidence.select().where(Evidence.case.in_(case_ids or [0]))
                      .order_by(Evidence.captured_at, Evidence.id)),
        complaints=(list(Complaint.select().where(Complaint.pupil == pupil).order_by(Complaint.received_on))
                    if may_handle_complaints(exporter) else None),
        counsellors=[user.full_name for user in User.with_role("counsellor")],
        audit_trail=[(event, users.get(event.user_id, event.username or "systeem"))
                     for event in trail[:MAX_AUDIT_ROWS]],
        audit_trail_cut=len(trail) > MAX_AUDIT_ROWS,
    )


def evidence_with_files(pupil):
    """The evidence items with a file in the pupil's cases: what the exporter may tick for the ZIP."""
    case_ids = Involvement.select(Involvement.case).where(Involvement.pupil == pupil)
    return list(Evidence.select().where(Evidence.case.in_(case_ids), Evidence.file_name.is_null(False))
                .order_by(Evidence.captured_at, Evidence.id))


def read_evidence(items):
    """Read the chosen files and hash them again; a missing file is left out (and logged, without names)."""
    files, missing = [], []
    for number, item in enumerate(items, 1):
        try:
            data = evidence.read(item.file_name)
        except (OSError, ValueError):
            current_app.logger.error("evidence file of item %d is missing", item.id)
            missing.append(item)
            continue
        digest = hashlib.sha256(data).hexdigest()
        name = "bewijs/bewijs-%02d%s" % (number, evidence.EXTENSIONS.get(item.content_type, ".bin"))
        files.append(EvidenceFile(item=item, name=name, data=data, sha256=digest,
                                  matches=not item.sha256 or item.sha256 == digest))
    return files, missing


def pack_zip(pdf_name, pdf_bytes, files):
    """The PDF, the evidence files and a manifest (name, bytes, SHA-256, checked) as ZIP bytes."""
    manifest = io.StringIO()
    writer = csv.writer(manifest, delimiter=";", lineterminator="\r\n")
    writer.writerow(("bestand", "bytes", "sha256", "controle"))
    writer.writerow((pdf_name, len(pdf_bytes), hashlib.sha256(pdf_bytes).hexdigest(), "overzicht"))
    for item in files:
        writer.writerow((item.name, len(item.data), item.sha256,
                         "gelijk aan vastlegging" if item.matches else "AFWIJKEND van vastlegging"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(pdf_name, pdf_bytes)
        for item in files:
            archive.writestr(item.name, item.data)
        archive.writestr("manifest.csv", ("\ufeff" + manifest.getvalue()).encode("utf-8"))
    return buffer.getvalue()
