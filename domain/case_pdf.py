"""The whole case as one PDF ("Dossier als PDF"): for a handover, the pupils' school files or management.

Steps with who and when, reports, conversations with their checklists and notes, agreements (each
version, signed ones with their hash), follow-ups, measures, parent contacts, referrals and the
evidence log. Never personal work notes, the support team's own notes or anything of the
confidential counsellor: those are not the case file's. One pupil's view replaces every other
pupil's name, also in free text, by their role in the case (as the access export does with letters).
Written in Dutch, the language of the case file, whoever prints it.
"""
import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from domain import protocols
from domain.access_requests import Redactor
from domain.pdf import (
    BODY, COUNSELLOR_ONLY, HEADING, SMALL, TITLE, _dutch, _facts, _footer_canvas, _moment, dutch_date, role_name,
)
from models import (
    AGREEMENT_STATUSES, APPROACHES, BULLYING_KINDS, CASE_STATUSES, CONVERSATION_LINE_KINDS, FOLLOW_UP_OUTCOMES,
    PARENT_CHANNELS, REFERRAL_TARGETS, REFERRAL_TRAININGS, REPORT_CHANNELS, REPORTER_KINDS, SEVERITIES,
    STEP_STATUSES, Agreement, AgreementParty, CaseStep, ChecklistEntry, Conversation, ConversationLine,
    ConversationParticipant, Evidence, FollowUp, Involvement, Measure, ParentContact, Pupil, Referral, Report,
    ReportKind, User,
)
from terminology import dutch_term


class RoleRedactor(Redactor):
    """One pupil's view: every other pupil is named by their role in the case ("meeloper", "pester 2")."""

    def __init__(self, subject, roles, approach, involved, school_pupils):
        self.roles, self.approach, self.counts = roles, approach, {}
        super().__init__(subject, involved, school_pupils)

    def label(self, pupil):
        if pupil.id == self.subject.id:
            return pupil.display_name
        if pupil.id not in self.labels:
            word = role_name(self.roles[pupil.id], self.approach) if pupil.id in self.roles else "leerling"
            self.counts[word] = self.counts.get(word, 0) + 1
            self.labels[pupil.id] = word if self.counts[word] == 1 else "%s %d" % (word, self.counts[word])
            if self.counts[word] == 2:  # the first of a role that turns out to be shared gets its number too
                first = next(key for key, value in self.labels.items() if value == word)
                self.labels[first] = "%s 1" % word
        return self.labels[pupil.id]


def _hash(value):
    """A SHA-256 in small type, so that it stays on one line (and can be compared by eye)."""
    return Paragraph(escape(value), SMALL)


def _names(user_ids):
    return {user.id: user.full_name for user in User.select(User.id, User.full_name).where(User.id.in_(user_ids))}


def case_pdf(case, school_name, printed_by, pupil=None):
    """The case file as an A4 PDF (bytes); with `pupil`, that pupil's view."""
    involvements = list(Involvement.of_case(case))
    roles = {involvement.pupil_id: involvement.role for involvement in involvements}
    redact = None
    if pupil is not None:
        redact = RoleRedactor(pupil, roles, case.approach, [involvement.pupil for involvement in involvements],
                              list(Pupil.select()))

    def name_of(pupil_id):
        pupil_row = next((i.pupil for i in involvements if i.pupil_id == pupil_id), None) or Pupil.get_by_id(pupil_id)
        return redact.label(pupil_row) if redact else pupil_row.display_name

    def clean(value):
        return redact(value) if redact else (value or "")

    steps = list(CaseStep.select().where(CaseStep.case == case).order_by(CaseStep.position))
    conversations = list(Conversation.select().where(Conversation.case == case)
                         .order_by(Conversation.started_at, Conversation.id))
    talk_ids = [talk.id for talk in conversations] or [0]
    entries, lines, participants = {}, {}, {}
    for entry in ChecklistEntry.select().where(ChecklistEntry.conversation.in_(talk_ids)).order_by(
            ChecklistEntry.position):
        entries.setdefault(entry.conversation_id, []).append(entry)
    for line in ConversationLine.select().where(ConversationLine.conversation.in_(talk_ids),
                                                ConversationLine.removed_at.is_null()).order_by(ConversationLine.id):
        lines.setdefault(line.conversation_id, []).append(line)
    for participant in ConversationParticipant.select().where(
            ConversationParticipant.conversation.in_(talk_ids)).order_by(ConversationParticipant.id):
        participants.setdefault(participant.conversation_id, []).append(participant)
    agreements = list(Agreement.select().where(Agreement.case == case).order_by(Agreement.version))
    parties = {}
    for party in AgreementParty.select().where(AgreementParty.agreement.in_([a.id for a in agreements] or [0])) \
            .order_by(AgreementParty.id):
        parties.setdefault(party.agreement_id, []).append(party)
    follow_ups = list(FollowUp.select().where(FollowUp.case == case, FollowUp.cancelled_at.is_null())
                      .order_by(FollowUp.due_on, FollowUp.id))
    measures = list(Measure.select().where(Measure.case == case).order_by(Measure.decided_on, Measure.id))
    contacts = list(ParentContact.select().where(ParentContact.case == case)
                    .order_by(ParentContact.contacted_on, ParentContact.id))
    referrals = list(Referral.select().where(Referral.case == case).order_by(Referral.referred_on, Referral.id))
    evidence = list(Evidence.select().where(Evidence.case == case).order_by(Evidence.captured_at, Evidence.id))
    reports = list(Report.select().where(Report.case == case).order_by(Report.reported_on, Report.id))
    kinds = {}
    for row in ReportKind.select().where(ReportKind.report.in_([r.id for r in reports] or [0])):
        kinds.setdefault(row.report_id, []).append(_dutch(BULLYING_KINDS, row.kind))
    users = _names(({case.mentor_id} | {s.done_by_id for s in steps} | {t.held_by_id for t in conversations}
                    | {f.done_by_id for f in follow_ups} | {m.decided_by_id for m in measures}
                    | {m.refused_by_id for m in measures}
                    | {c.by_user_id for c in contacts} | {r.by_user_id for r in referrals}
                    | {e.collected_by_id for e in evidence}) - {None})

    def who(user_id):
        return users.get(user_id, "") if user_id else ""

    def role_of(role):
        return role_name(role, case.approach)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                 bottomMargin=20 * mm, title="Dossier %s" % case.reference, author=school_name,
                                 creator="Herstel")
    story = [Paragraph(escape(school_name), SMALL), Paragraph("Dossier %s" % escape(case.reference), TITLE)]
    if pupil is not None:
        story.append(Paragraph("Overzicht voor het leerlingdossier van %s: andere leerlingen staan er met hun rol "
                               "in het dossier, niet met hun naam." % escape(pupil.display_name), SMALL))
    story += [Spacer(1, 4 * mm), _facts([
        ("Titel", clean(case.title)), ("Protocol", protocols.names_of(case)),
        ("Status", _dutch(CASE_STATUSES, case.status)), ("Geopend", _moment(case.opened_at)),
        ("Gesloten", _moment(case.closed_at) + (": " + case.close_reason if case.close_reason else "")
         if case.closed_at else ""),
        (dutch_term("mentor", capital=True), who(case.mentor_id)),
        ("Ernst", _dutch(SEVERITIES, case.severity)),
        ("Aanpak", _dutch(APPROACHES, case.approach) if case.approach else "nog niet gekozen"),
        ("Online", "ja" if case.online else "nee"),
        ("Mogelijk strafbaar", "ja" if case.possibly_criminal else "nee"),
    ])]

    story.append(Paragraph("Betrokken leerlingen", HEADING))
    story.append(_facts([(name_of(involvement.pupil_id), role_of(involvement.role)) for involvement in involvements]
                        or [("-", "geen")]))

    story.append(Paragraph("Meldingen", HEADING))
    if not reports:
        story.append(Paragraph("Geen meldingen.", BODY))
    for report in reports:
        story += [_facts([
            ("Gemeld op", dutch_date(report.reported_on)),
            ("Door", _dutch(REPORTER_KINDS, report.reporter_kind)), ("Hoe", _dutch(REPORT_CHANNELS, report.channel)),
            ("Soort", ", ".join(kinds.get(report.id, [])) or ("signaal" if report.is_signal else "")),
            ("Waar", clean(report.place or report.platform)), ("Wat", clean(report.description)),
        ]), Spacer(1, 2 * mm)]

    story.append(Paragraph("Stappen van het protocol", HEADING))
    story.append(_facts([(
        protocols.step_title(case.protocol_key, step.step_key),
        "%s%s%s%s" % (_dutch(STEP_STATUSES, step.status),
                      " op %s door %s" % (_moment(step.done_at), who(step.done_by_id) or "-") if step.done_at else
                      (", uiterlijk %s" % dutch_date(step.due_on) if step.due_on and step.status == "open" else ""),
                      ". " + clean(step.note) if step.note else "",
                      ". Reden: " + clean(step.set_aside_reason) if step.set_aside_reason else ""))
        for step in steps] or [("-", "geen stappen")]))

    story.append(Paragraph("Gesprekken", HEADING))
    if not conversations:
        story.append(Paragraph("Geen gesprekken.", BODY))
    for talk in conversations:
        present = ", ".join(
            ("ouders van %s" if p.role == "parents" else "%%s (%s)" % role_of(p.role)) % name_of(p.pupil_id)
            if p.pupil_id else clean(p.name)
            for p in participants.get(talk.id, []))
        rows = [("Gesprek", talk.title), ("Gevoerd door", who(talk.held_by_id)), ("Begonnen", _moment(talk.started_at)),
                ("Afgerond", _moment(talk.ended_at) if talk.ended_at else "nog niet"), ("Aanwezig", present)]
        rows += [("%d.%s" % (entry.number, " (gedaan)" if entry.done else ""),
                  clean(entry.bare_text) + ("\nNotitie: " + clean(entry.note) if entry.note else ""))
                 for entry in entries.get(talk.id, [])]
        rows += [(_dutch(CONVERSATION_LINE_KINDS, line.kind), clean(line.text)) for line in lines.get(talk.id, [])]
        story += [_facts(rows), Spacer(1, 3 * mm)]

    story.append(Paragraph("Herstelovereenkomsten", HEADING))
    if not agreements:
        story.append(Paragraph("Geen overeenkomsten.", BODY))
    for agreement in agreements:
        signed = ["%s (%s): %s" % (name_of(party.pupil_id) if party.pupil_id else
                                   ("ouder/verzorger" if redact and party.role == "parent" else party.name),
                                   role_of(party.role),
                                   _moment(party.signed_at) if party.signed_at else
                                   "getekend op papier" if party.signed_on_paper else "niet getekend")
                  for party in parties.get(agreement.id, [])]
        story += [_facts([
            ("Overeenkomst", "versie %d, %s%s" % (agreement.version, _dutch(AGREEMENT_STATUSES, agreement.status),
                                                  ", vervangen" if agreement.superseded_at else "")),
            ("Afspraken", clean(agreement.commitments)), ("Hersteldaad", clean(agreement.restorative_act)),
            ("Steunfiguren", clean(agreement.support_figures)), ("Coaching", clean(agreement.coaching)),
            ("Periode", "%s tot en met %s" % (dutch_date(agreement.period_start), dutch_date(agreement.period_end))),
            ("Evaluatie", dutch_date(agreement.evaluation_on)),
            ("Handtekeningen", "\n".join(signed)),
            ("SHA-256", _hash(agreement.content_sha256) if agreement.status == "locked" else ""),
        ]), Spacer(1, 3 * mm)]

    def section(title, items, empty, rows_of):
        story.append(Paragraph(title, HEADING))
        if not items:
            story.append(Paragraph(empty, BODY))
        for item in items:
            story.extend([_facts(rows_of(item)), Spacer(1, 2 * mm)])

    section("Vervolggesprekken", follow_ups, "Geen vervolggesprekken.", lambda item: [
        ("Met", name_of(item.pupil_id) if item.pupil_id else clean(item.with_whom)),
        ("Gepland op", dutch_date(item.due_on)),
        ("Gehouden", "%s door %s" % (dutch_date(item.held_on), who(item.done_by_id)) if item.done_at else "nog niet"),
        ("Uitkomst", _dutch(FOLLOW_UP_OUTCOMES, item.outcome)), ("Notitie", clean(item.note))])
    section("Maatregelen", measures, "Geen maatregelen.", lambda item: [
        ("Leerling", name_of(item.pupil_id)), ("Fase", str(item.phase)),
        ("Besloten", "%s door %s" % (dutch_date(item.decided_on), who(item.decided_by_id))),
        ("Maatregel", clean(item.description)), ("Geïnformeerd", clean(item.informed))] + ([
            ("Geweigerd", "%s door %s: %s" % (_moment(item.refused_at, "d MMMM yyyy"), who(item.refused_by_id),
                                              clean(item.refusal_reason)))] if item.refused_at else []))
    section("Contact met ouders", contacts, "Geen oudercontacten vastgelegd.", lambda item: [
        ("Ouders van", name_of(item.pupil_id)), ("Datum", dutch_date(item.contacted_on)),
        ("Hoe", _dutch(PARENT_CHANNELS, item.channel)), ("Door", who(item.by_user_id)),
        ("Besproken", clean(item.summary)), ("Afgesproken", clean(item.agreed))])
    section("Doorverwijzingen", referrals, "Geen doorverwijzingen.", lambda item: [
        ("Leerling", name_of(item.pupil_id) if item.pupil_id else "het hele dossier"),
        ("Naar", _dutch(REFERRAL_TRAININGS, item.training) if item.training else _dutch(REFERRAL_TARGETS, item.target)),
        ("Datum", "%s door %s" % (dutch_date(item.referred_on), who(item.by_user_id))),
        *([("Inhoud", COUNSELLOR_ONLY)] if item.is_confidential else [
            ("Toelichting", clean(item.detail)), ("Notitie", clean(item.note))]),
        ("Afgesloten op", dutch_date(item.closed_on) if item.closed_on else "")])
    section("Bewijslog", evidence, "Geen bewijs vastgelegd.", lambda item: [
        ("Vastgelegd", "%s door %s" % (_moment(item.captured_at), who(item.collected_by_id))),
        ("Platform", clean(item.platform)), ("Adres", clean(item.url)), ("Gebruikersnamen", clean(item.usernames)),
        ("Wat is te zien", clean(item.description)),
        ("Bestand", clean(item.original_name or "bestand") if item.file_name else ""),
        ("SHA-256", _hash(item.sha256) if item.file_name else "")])

    story += [Spacer(1, 4 * mm), Paragraph(
        "Niet in dit overzicht: persoonlijke werkaantekeningen, de eigen notities van het %s en alles van de "
        "vertrouwenspersoon." % dutch_term("support"), SMALL)]
    view = " · leerlingoverzicht" if pupil else ""
    footer = ["Herstel · dossier %s%s · afgedrukt door %s" % (case.reference, view, printed_by.full_name),
              "Vertrouwelijk: bevat gegevens over leerlingen."]
    document.build(story, canvasmaker=_footer_canvas(footer, draft=False))
    return buffer.getvalue()
