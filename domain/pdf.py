"""PDFs are built here as bytes; views only send them."""
import collections
import datetime
import hashlib
import io
import threading
from xml.sax.saxutils import escape

from babel.dates import format_date, format_datetime
from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Image, KeepTogether, ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from db import SCHOOL_TIMEZONE
from domain import access_requests, agreements, complaints, evidence, protocols
from models import (
    AGREEMENT_STATUSES, BULLYING_KINDS, CASE_STATUSES, COMPLAINANT_KINDS, COMPLAINT_STATUSES,
    CONVERSATION_LINE_KINDS, FOLLOW_UP_OUTCOMES, INVOLVEMENT_ROLES, PARENT_CHANNELS, REFERRAL_TARGETS,
    REFERRAL_TRAININGS, REPORT_CHANNELS, REPORT_STATUSES, REPORTER_KINDS, STEP_STATUSES, SUPPORT_SESSION_KINDS,
    AgreementParty,
)
from terminology import dutch_term, label, region

# ReportLab fills its table of named colours ("black", which every table cell uses) on first use, without a lock:
# a second thread asking meanwhile finds it half filled and the PDF fails ("Invalid color value 'black'", a 500 on
# a worker's first PDFs built at once; seen under `make bench-postgres`). Filled here, at import, in the server's
# master before it forks its workers.
colors.getAllNamedColors()

ROLE_NAMES = {"victim": "gepeste leerling", "bully": "leerling die pestte", "follower": "meeloper",
              "parent": "ouder"}  # and the mentor, in the school's word: role_name()
STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11, textColor=colors.HexColor("#4f5b6b"))
HEADING = ParagraphStyle("heading", parent=STYLES["Heading2"], fontName="Helvetica-Bold", fontSize=12.5,
                         spaceBefore=10, spaceAfter=4, textColor=colors.HexColor("#073f49"))
TITLE = ParagraphStyle("title", parent=STYLES["Title"], fontName="Helvetica-Bold", fontSize=18, alignment=0,
                       spaceAfter=2, textColor=colors.HexColor("#073f49"))


# The support-group approach blames no one: those who bullied or followed are members of the group.
# A referral to the confidential counsellor: a PDF says it exists, never what it says (permissions.rules).
COUNSELLOR_ONLY = "alleen voor de vertrouwenspersoon"
SUPPORT_GROUP_ROLE_NAMES = dict(ROLE_NAMES, bully="lid van de steungroep", follower="lid van de steungroep")


def role_name(role, approach=None):
    """A party's role as the PDF (always Dutch) names it, in the words of the case's approach: the mentor
    as the school calls them."""
    names = SUPPORT_GROUP_ROLE_NAMES if approach == "non_confrontational" else ROLE_NAMES
    return dutch_term("mentor") if role == "mentor" else names.get(role, escape(role))


def dutch_date(value):
    return format_date(value, "d MMMM yyyy", locale="nl") if value else "-"


def text(value):
    """Free text as a safe Paragraph: escaped, line breaks kept."""
    return Paragraph(escape(value or "-").replace("\n", "<br/>"), BODY)


def _footer_canvas(footer, draft):
    """A canvas that writes 'page x of y' (known only at the end), the footer lines, and CONCEPT on drafts."""

    class FooterCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                if draft:
                    self.saveState()
                    self.setFont("Helvetica-Bold", 96)
                    self.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.18))
                    self.translate(A4[0] / 2, A4[1] / 2)
                    self.rotate(45)
                    self.drawCentredString(0, -30, "CONCEPT")
                    self.restoreState()
                self.setFont("Helvetica", 7.5)
                self.setFillColor(colors.HexColor("#4f5b6b"))
                for line_number, line in enumerate(footer):
                    self.drawString(18 * mm, (13 - 3.5 * line_number) * mm, line)
                self.drawRightString(A4[0] - 18 * mm, 13 * mm, "pagina %d van %d" % (number, total))
                super().showPage()
            super().save()

    return FooterCanvas


class _SignedPdfCache:
    """The last few signed agreements' PDFs, per worker.

    A signed (locked) agreement never changes (a change is a new version), so its PDF is
    built once per worker; the key also holds what the school may change (name, logo, region)
    that the PDF shows. Drafts are built anew each time.
    """

    SIZE = 32

    def __init__(self):
        self._pdfs = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._pdfs:
                self._pdfs.move_to_end(key)
                return self._pdfs[key]
        data = build()
        with self._lock:
            self._pdfs[key] = data
            while len(self._pdfs) > self.SIZE:
                self._pdfs.popitem(last=False)
        return data


_signed_pdfs = _SignedPdfCache()


def agreement_download(agreement, school_name, logo_png=None):
    """The PDF to send: a signed agreement's from the cache when this worker built it before."""
    names, reach = complaints.counsellor_route()  # the school may name another counsellor: a new PDF
    counsellor = (tuple(names), reach)
    if agreement.status != "locked":
        return agreement_pdf(agreement, school_name, logo_png, counsellor)
    key = (agreement.id, agreement.locked_at, agreement.content_sha256, school_name, region(),
           hashlib.sha256(logo_png).digest() if logo_png else None, counsellor)
    return _signed_pdfs.get(key, lambda: agreement_pdf(agreement, school_name, logo_png, counsellor))


def counsellor_paragraph(counsellor):
    """Where parents and the pupil go when they find the bullying badly handled (seed 001: the school's
    confidential counsellor, outside the approach), with the counsellor's name and how to reach them."""
    names, reach = counsellor
    who = ("de vertrouwenspersoon van de school, %s" % ", ".join(names) if names
           else "de vertrouwenspersoon van de school (de %s zegt wie dat is)" % dutch_term("mentor"))
    return Paragraph(escape(
        "Vinden de ouders of de leerling dat de school het pesten niet goed aanpakt, of helpen deze afspraken "
        "niet? Dan kunnen zij terecht bij %s%s." % (who, " (%s)" % reach.rstrip(".") if reach else "")), BODY)


def agreement_pdf(agreement, school_name, logo_png=None, counsellor=None):
    """The restoration agreement as an A4 PDF: parties, commitments, where to go when it goes badly,
    signatures, hashed footer. `counsellor`: complaints.counsellor_route(), looked up when not given."""
    if counsellor is None:
        names, reach = complaints.counsellor_route()
        counsellor = (tuple(names), reach)
    parties = list(agreement.parties.order_by(AgreementParty.id))
    draft = agreement.status != "locked"
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                 bottomMargin=20 * mm, title="Herstelovereenkomst %s" % agreement.case.reference,
                                 author=school_name, creator="Herstel")
    story = [Image(io.BytesIO(logo_png), width=40 * mm, height=16 * mm, kind="proportional", hAlign="LEFT")] \
        if logo_png else []
    story += [
        Paragraph(escape(school_name), SMALL),
        Paragraph("Herstelovereenkomst", TITLE),
        Paragraph("Dossier %s · versie %d · %s%s" % (
            escape(agreement.case.reference), agreement.version, dutch_date(agreement.created_at.date()),
            " · CONCEPT, nog niet ondertekend" if draft else ""), SMALL),
        Spacer(1, 6 * mm),
        Paragraph("Wie spreken dit af", HEADING),
        Table([[Paragraph(escape(p.name), BODY), Paragraph(role_name(p.role, agreement.case.approach), BODY)]
               for p in parties] or [["-", ""]], colWidths=[95 * mm, 70 * mm],
              style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1da")),
                                ("VALIGN", (0, 0), (-1, -1), "TOP")])),
        Paragraph("Wat we afspreken", HEADING),
        ListFlowable([ListItem(text(line), leftIndent=12) for line in agreements.commitment_lines(agreement)]
                     or [ListItem(text("-"))], bulletType="bullet", start="•"),
        Paragraph("Hersteldaad", HEADING), text(agreement.restorative_act),
        Paragraph("Steunfiguren", HEADING), text(agreement.support_figures),
    ]
    if agreement.coaching:
        story += [Paragraph("Coaching", HEADING), text(agreement.coaching)]
    story += [
        Paragraph("Periode en evaluatie", HEADING),
        Paragraph("De afspraken gelden van %s tot en met %s. Evaluatiegesprek: %s." % (
            dutch_date(agreement.period_start), dutch_date(agreement.period_end),
            dutch_date(agreement.evaluation_on)), BODY),
        Paragraph("Niet tevreden over de aanpak?", HEADING),
        counsellor_paragraph(counsellor),
        Paragraph("Handtekeningen", HEADING),
        _signatures(parties, agreement.case.approach),
    ]
    footer = ["Herstel · herstelovereenkomst %s · versie %d" % (agreement.case.reference, agreement.version),
              "SHA-256 van de inhoud: %s" % agreement.content_sha256]
    document.build(story, canvasmaker=_footer_canvas(footer, draft))
    return buffer.getvalue()


def _signatures(parties, approach=None):
    rows = []
    for party in parties:
        if party.signature_png:
            mark = Image(io.BytesIO(party.signature_png), width=55 * mm, height=20 * mm,
                         kind="proportional")
        elif party.signed_on_paper:
            mark = Paragraph("getekend op papier", BODY)
        else:
            mark = Paragraph("&nbsp;", BODY)
        when = format_datetime(party.signed_at.replace(tzinfo=datetime.timezone.utc),
                               "d MMMM yyyy HH:mm", tzinfo=SCHOOL_TIMEZONE, locale="nl") if party.signed_at else ""
        rows.append([Paragraph("<b>%s</b><br/>%s<br/>%s" % (escape(party.name), role_name(party.role, approach),
                                                            when), BODY), mark])
    return Table(rows or [["-", ""]], colWidths=[80 * mm, 85 * mm], rowHeights=[24 * mm] * max(len(rows), 1),
                 style=TableStyle([("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))


def _moment(value, pattern="d MMMM yyyy HH:mm"):
    """A stored (UTC) moment in the school's time zone."""
    return format_datetime(value.replace(tzinfo=datetime.timezone.utc), pattern, tzinfo=SCHOOL_TIMEZONE,
                           locale="nl") if value else "-"


# Pixels decoded for the screenshots of one evidence PDF, so that printing stays within seconds
# (the server gives a request 30): about four images at the upload limit, or some fifty phone
# screenshots. Images past it are left out with a line saying so; the files themselves are
# handed over beside the PDF, as PDF files already are.
EVIDENCE_PRINT_PIXELS = 150_000_000


def evidence_pdf(case, items, school_name, printed_by, images=None):
    """The case's evidence log as an A4 PDF for the police: each item's facts, file hash and image.

    `images` maps an item's id to the bytes of its (already checked and re-encoded) image; each is
    printed at the size it takes on paper, within EVIDENCE_PRINT_PIXELS for the whole PDF.
    """
    images = images or {}
    budget = EVIDENCE_PRINT_PIXELS
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                 bottomMargin=20 * mm, title="Bewijs online pesten %s" % case.reference,
                                 author=school_name, creator="Herstel")
    printed_at = _moment(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None))
    story = [
        Paragraph(escape(school_name), SMALL),
        Paragraph("Bewijs van online pesten", TITLE),
        Paragraph("Dossier %s · %d %s · afgedrukt op %s door %s" % (
            escape(case.reference), len(items), "stuk" if len(items) == 1 else "stukken", printed_at,
            escape(printed_by)), SMALL),
        Spacer(1, 4 * mm),
    ]
    if not items:
        story.append(Paragraph("Er is nog geen bewijs vastgelegd.", BODY))
    label_style = ParagraphStyle("label", parent=BODY, fontName="Helvetica-Bold")
    hash_style = ParagraphStyle("hash", parent=BODY, fontName="Courier", fontSize=8, leading=14)
    for number, item in enumerate(items, 1):
        rows = [
            ("Datum en tijd", _moment(item.captured_at, "d MMMM yyyy HH:mm:ss")),
            ("Platform", item.platform),
            ("Webadres of e-mailadres", item.url),
            ("Gebruikersnamen", item.usernames),
            ("Wat is te zien", item.description),
            ("Verzameld door", item.collected_by.full_name if item.collected_by else ""),
            ("Vastgelegd in het dossier", _moment(item.created_at)),
        ]
        if item.file_name:
            rows += [("Bestand", "%s (%s, %s bytes)" % (item.original_name or "-", item.content_type,
                                                        format(item.size, ",").replace(",", "."))),
                     ("SHA-256 van het bestand", Paragraph(item.sha256, hash_style))]
        block = [
            Paragraph("Bewijs %d" % number, HEADING),
            Table([[Paragraph(escape(name), label_style), value if isinstance(value, Paragraph) else text(value)]
                   for name, value in rows],
                  colWidths=[48 * mm, 126 * mm],
                  style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1da")),
                                    ("VALIGN", (0, 0), (-1, -1), "TOP")])),
        ]
        printed, decoded = evidence.print_copy(images[item.id], budget) if item.id in images else (None, 0)
        budget -= decoded
        if printed:
            block += [Spacer(1, 3 * mm),
                      Image(io.BytesIO(printed), width=174 * mm, height=120 * mm, kind="proportional", hAlign="LEFT")]
        elif item.id in images:
            block.append(Paragraph("De afbeelding staat niet in dit overzicht (met de afbeeldingen hiervoor zou het "
                                   "te groot worden); het bestand hoort als aparte bijlage bij dit overzicht.", SMALL))
        elif item.file_name and item.is_image:
            block.append(Paragraph("Het bestand ontbreekt op de server; meld dit aan de beheerder.", SMALL))
        elif item.file_name:
            block.append(Paragraph("Het bestand (PDF) hoort als aparte bijlage bij dit overzicht.", SMALL))
        story.append(KeepTogether(block))  # an item's facts and its screenshot on one page
    footer = ["Herstel · bewijs online pesten · dossier %s" % case.reference,
              "Afgedrukt op %s. Vertrouwelijk: bevat gegevens over leerlingen." % printed_at]
    document.build(story, canvasmaker=_footer_canvas(footer, draft=False))
    return buffer.getvalue()


def _facts(rows, redact=None):
    """Label/value rows as a two-column table; values are free text (redacted when a redactor is given)."""
    label_style = ParagraphStyle("fact-label", parent=BODY, fontName="Helvetica-Bold")
    cells = []
    for name, value in rows:
        if value in (None, ""):
            continue
        shown = value if isinstance(value, Paragraph) else text(redact(value) if redact else str(value))
        cells.append([Paragraph(escape(name), label_style), shown])
    return Table(cells or [["-", ""]], colWidths=[48 * mm, 126 * mm],
                 style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1da")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))


def _dutch(options, value):
    """A stored choice in Dutch, whatever the exporter's own language."""
    with force_locale("nl"):
        return str(label(options, value)) if value else ""


def pupil_file_pdf(pupil_file, request, school_name, logo_png=None, included_files=(), missing_files=()):
    """An access request's overview of one pupil's file as an A4 PDF, with a cover saying what is in and out.

    `request` holds for_whom, requester_name, requested_on, file_format, note and exporter (names in
    Dutch); every free text goes through the file's redactor.
    """

    redact = pupil_file.redact
    pupil = pupil_file.pupil
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                 bottomMargin=20 * mm, title="Inzage in het leerlingdossier",
                                 author=school_name, creator="Herstel")
    printed_at = _moment(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None))
    story = [Image(io.BytesIO(logo_png), width=40 * mm, height=16 * mm, kind="proportional", hAlign="LEFT")] \
        if logo_png else []
    in_zip = request["file_format"] == "zip"
    with_complaints = pupil_file.complaints is not None
    story += [
        Paragraph(escape(school_name), SMALL),
        Paragraph("Inzage in het dossier van %s" % escape(pupil.display_name), TITLE),
        Paragraph("Overzicht bij een inzageverzoek (AVG, artikel 15) · gemaakt op %s" % printed_at, SMALL),
        Spacer(1, 5 * mm),
        _facts([
            ("Leerling", "%s (leerlingnummer %s)" % (pupil.display_name, pupil.student_number)),
            ("Verzoek van", "%s, %s" % (request["requester_name"], dict(access_requests.REQUESTERS)[
                request["for_whom"]])),
            ("Verzoek ontvangen op", dutch_date(request["requested_on"])),
            ("Samengesteld door", request["exporter"]),
            ("Vorm", "ZIP met dit overzicht en %d bewijsbestand(en)" % len(included_files) if in_zip
             else "alleen dit overzicht (PDF)"),
            ("Opmerking", redact(request["note"])),
        ]),
        Paragraph("Wat in dit overzicht staat", HEADING),
        ListFlowable([ListItem(Paragraph(escape(line), BODY), leftIndent=12) for line in (
            "meldingen over de leerling en de meldingen in de dossiers van de leerling;",
            "elk dossier waarin de leerling betrokken is, met de rol van de leerling en de stappen;",
            "gesprekken waaraan de leerling meedeed: afgeronde punten, notities, afspraken en wensen;",
            "herstelovereenkomsten waarin de leerling partij is, met wie wanneer tekende;",
            "vervolggesprekken, oudercontacten, doorverwijzingen, maatregelen en klachten over de leerling;"
            if with_complaints else "vervolggesprekken, oudercontacten, doorverwijzingen en maatregelen over de "
                                    "leerling;",
            "de terugkoppeling van het ondersteuningsteam (niet de eigen sessienotities van het team: ook de "
            "mentor leest alleen de terugkoppeling);",
            "beschrijvingen van bewijs;",
            "wie het dossier van de leerling bekeek of wijzigde (het logboek).",
        )], bulletType="bullet", start="•"),
        Paragraph("Wat er bewust niet in staat", HEADING),
        ListFlowable([ListItem(Paragraph(escape(line), BODY), leftIndent=12) for line in (
            "namen van andere leerlingen: zij heten hier 'leerling A', 'leerling B', enzovoort (in dit hele "
            "overzicht dezelfde letter voor dezelfde leerling);",
            "persoonlijke werknotities van medewerkers (geen onderdeel van het dossier);",
            "de eigen notities van de vertrouwenspersoon;",
            "de naam van wie een melding deed, en naam en contactgegevens van een klager (zij worden beschermd);",
            "gebruikersnamen en webadressen bij bewijs, en gegevens over de begeleiding van andere leerlingen%s"
            % ("." if with_complaints else ";"),
        ) + (() if with_complaints else (
            "klachten over de leerling: die behandelt de vertrouwenspersoon (zie 'Klachten over de leerling').",))],
            bulletType="bullet", start="•"),
        Paragraph("Namen van medewerkers staan er wel in: zij handelen namens de school.", BODY),
    ]
    if in_zip:
        story.append(Paragraph(
            "Let op: schermafbeeldingen en andere bewijsbestanden kunnen niet worden bewerkt en kunnen namen of "
            "berichten van anderen tonen. %s heeft de meegestuurde bestanden bekeken voordat ze werden "
            "meegestuurd. De lijst met bestanden en hun SHA-256-controlegetal staat in manifest.csv."
            % escape(request["exporter"]), BODY))
    if missing_files:
        story.append(Paragraph("%d bewijsbestand(en) ontbraken op de server en zitten er niet bij."
                               % len(missing_files), BODY))

    story.append(Paragraph("Meldingen", HEADING))
    if not pupil_file.reports:
        story.append(Paragraph("Geen meldingen.", BODY))
    for report in pupil_file.reports:
        kinds = ", ".join(_dutch(BULLYING_KINDS, row.kind) for row in report.kind_rows)
        story += [Paragraph("Melding van %s" % dutch_date(report.reported_on), BODY), _facts([
            ("Gemeld door", _dutch(REPORTER_KINDS, report.reporter_kind)),
            ("Hoe", _dutch(REPORT_CHANNELS, report.channel)),
            ("Soort pesten", kinds), ("Plaats", report.place), ("Platform", report.platform),
            ("Wat er is gemeld", report.description),
            ("Status", _dutch(REPORT_STATUSES, report.shown_status)), ("Reden van afsluiten", report.close_reason),
        ], redact), Spacer(1, 3 * mm)]

    story.append(Paragraph("Dossiers", HEADING))
    if not pupil_file.cases:
        story.append(Paragraph("De leerling is in geen dossier betrokken.", BODY))
    for case, role, others, steps in pupil_file.cases:
        story += [Paragraph("Dossier %s" % escape(case.reference), BODY), _facts([
            ("Onderwerp", case.title),
            ("Rol van de leerling", _dutch(INVOLVEMENT_ROLES, role)),
            ("Andere betrokken leerlingen", str(others)),
            ("Mentor", case.mentor.full_name if case.mentor_id else ""),
            ("Geopend op", dutch_date(case.opened_at.date())),
            ("Status", _dutch(CASE_STATUSES, case.status)),
            ("Gesloten op", dutch_date(case.closed_at.date()) if case.closed_at else ""),
            ("Reden van sluiten", case.close_reason),
        ], redact)]
        step_rows = [[Paragraph(escape(protocols.step_title(case.protocol_key, step.step_key)), BODY),
                      Paragraph(escape(_dutch(STEP_STATUSES, step.status)), BODY),
                      Paragraph(dutch_date(step.done_at.date()) if step.done_at else "", BODY),
                      text(redact(step.note) or "")] for step in steps]
        if step_rows:
            story.append(Table([[Paragraph("<b>Stap</b>", BODY), Paragraph("<b>Status</b>", BODY),
                                 Paragraph("<b>Gedaan op</b>", BODY), Paragraph("<b>Notitie</b>", BODY)]] + step_rows,
                               colWidths=[52 * mm, 26 * mm, 30 * mm, 66 * mm], repeatRows=1,
                               style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1da")),
                                                 ("VALIGN", (0, 0), (-1, -1), "TOP")])))
        story.append(Spacer(1, 3 * mm))

    story.append(Paragraph("Gesprekken", HEADING))
    if not pupil_file.conversations:
        story.append(Paragraph("Geen gesprekken waaraan de leerling meedeed.", BODY))
    for conversation, participants, entries, lines in pupil_file.conversations:
        rows = [("Gesprek", conversation.title),
                ("Gevoerd door", conversation.held_by.full_name if conversation.held_by_id else ""),
                ("Begonnen", _moment(conversation.started_at)),
                ("Afgerond", _moment(conversation.ended_at) if conversation.ended_at else "nog niet"),
                ("Aanwezig", ", ".join(pupil_file.participant_name(p) for p in participants))]
        rows += [("Punt" + (" (gedaan)" if entry.done else ""), entry.text + ("\n" + entry.note if entry.note else ""))
                 for entry in entries]
        rows += [(_dutch(CONVERSATION_LINE_KINDS, line.kind), line.text) for line in lines]
        story += [_facts(rows, redact), Spacer(1, 3 * mm)]

    story.append(Paragraph("Herstelovereenkomsten", HEADING))
    if not pupil_file.agreements:
        story.append(Paragraph("Geen overeenkomsten waarin de leerling partij is.", BODY))
    for agreement, parties in pupil_file.agreements:
        signed = ["%s (%s): %s" % (pupil_file.party_name(party), ROLE_NAMES.get(party.role, party.role),
                                   _moment(party.signed_at) if party.signed_at else
                                   "getekend op papier" if party.signed_on_paper else "niet getekend")
                  for party in parties]
        story += [_facts([
            ("Overeenkomst", "versie %d, %s" % (agreement.version, _dutch(AGREEMENT_STATUSES, agreement.status))),
            ("Afspraken", agreement.commitments), ("Hersteldaad", agreement.restorative_act),
            ("Steunfiguren", agreement.support_figures), ("Coaching", agreement.coaching),
            ("Periode", "%s tot en met %s" % (dutch_date(agreement.period_start), dutch_date(agreement.period_end))),
            ("Evaluatie", dutch_date(agreement.evaluation_on)),
            ("Handtekeningen", "\n".join(signed)),
        ], redact), Spacer(1, 3 * mm)]

    def section(title, items, empty, rows_of):
        story.append(Paragraph(title, HEADING))
        if not items:
            story.append(Paragraph(empty, BODY))
        for item in items:
            story.extend([_facts(rows_of(item), redact), Spacer(1, 2 * mm)])

    section("Vervolggesprekken", pupil_file.follow_ups, "Geen vervolggesprekken.", lambda item: [
        ("Gepland op", dutch_date(item.due_on)), ("Met", item.with_whom),
        ("Gehouden", dutch_date(item.held_on or item.done_at) if item.done_at else "nog niet"),
        ("Uitkomst", _dutch(FOLLOW_UP_OUTCOMES, item.outcome)), ("Notitie", item.note)])
    section("Contact met ouders", pupil_file.parent_contacts, "Geen oudercontacten vastgelegd.", lambda item: [
        ("Datum", dutch_date(item.contacted_on)), ("Hoe", _dutch(PARENT_CHANNELS, item.channel)),
        ("Door", item.by_user.full_name if item.by_user_id else ""), ("Besproken", item.summary),
        ("Afgesproken", item.agreed)])
    section("Doorverwijzingen", pupil_file.referrals, "Geen doorverwijzingen.", lambda item: [
        ("Naar", _dutch(REFERRAL_TRAININGS, item.training) if item.training else _dutch(REFERRAL_TARGETS, item.target)),
        ("Datum", dutch_date(item.referred_on)),
        *([("Inhoud", COUNSELLOR_ONLY)] if item.is_confidential else [
            ("Toelichting", item.detail), ("Notitie", item.note)]),
        ("Afgesloten op", dutch_date(item.closed_on) if item.closed_on else ""),
        ("Afsluiting", "" if item.is_confidential else item.close_note)])
    section("Terugkoppeling van het %s" % dutch_term("support"), pupil_file.support_reports, "Geen terugkoppeling.",
            lambda item: [("Datum", dutch_date(item.held_on)), ("Soort", _dutch(SUPPORT_SESSION_KINDS, item.kind)),
                          ("Terugkoppeling", item.report_back)])
    section("Maatregelen", pupil_file.measures, "Geen maatregelen.", lambda item: [
        ("Voorgesteld op" if item.refused_at else "Besloten op", dutch_date(item.decided_on)), ("Fase", str(item.phase)),
        ("Maatregel", item.description), ("Geïnformeerd", item.informed)] + ([  # a refused one was never taken
            ("Niet genomen", "geweigerd op %s: %s" % (_moment(item.refused_at, "d MMMM yyyy"), item.refusal_reason))]
            if item.refused_at else []))
    section("Bewijs", pupil_file.evidence, "Geen bewijs vastgelegd.", lambda item: [
        ("Vastgelegd", _moment(item.captured_at)), ("Platform", item.platform), ("Wat is te zien", item.description),
        ("Bestand", next(("meegestuurd als %s" % f.name for f in included_files if f.item.id == item.id),
                         "niet meegestuurd" if item.file_name else ""))])
    if with_complaints:
        section("Klachten over de leerling", pupil_file.complaints, "Geen klachten.", lambda item: [
            ("Ontvangen op", dutch_date(item.received_on)), ("Van", _dutch(COMPLAINANT_KINDS, item.complainant_kind)),
            ("Waarover", item.description), ("Status", _dutch(COMPLAINT_STATUSES, item.status)),
            ("Advies", item.advice),
            ("Naar de klachtencommissie",
             dutch_date(item.committee_referred_on) if item.committee_referred_on else "")])
    else:
        # The same words whether or not there are complaints: the exporter learns nothing from them.
        story += [Paragraph("Klachten over de leerling", HEADING), Paragraph(escape(
            "Klachten over de leerling staan niet in dit overzicht: klachten behandelt de vertrouwenspersoon%s, "
            "die ook dat deel van een inzageverzoek afhandelt. Vraag het bij de vertrouwenspersoon op."
            % (" (%s)" % ", ".join(pupil_file.counsellors) if pupil_file.counsellors else "")), BODY)]

    story.append(Paragraph("Wie het dossier bekeek of wijzigde", HEADING))
    if pupil_file.audit_trail_cut:
        story.append(Paragraph("Alleen de nieuwste %d gebeurtenissen staan hier." % access_requests.MAX_AUDIT_ROWS,
                               SMALL))
    trail_rows = [[Paragraph(_moment(event.at), SMALL), Paragraph(escape(who), SMALL),
                   Paragraph(escape(event.action), SMALL),
                   Paragraph(escape("%s %s" % (event.object_type, event.object_id or "")), SMALL)]
                  for event, who in pupil_file.audit_trail]
    story.append(Table([[Paragraph("<b>Tijdstip</b>", SMALL), Paragraph("<b>Wie</b>", SMALL),
                         Paragraph("<b>Wat</b>", SMALL), Paragraph("<b>Waarop</b>", SMALL)]]
                       + (trail_rows or [[Paragraph("-", SMALL), "", "", ""]]),
                       colWidths=[38 * mm, 46 * mm, 50 * mm, 40 * mm], repeatRows=1,
                       style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1da")),
                                         ("VALIGN", (0, 0), (-1, -1), "TOP")])))
    footer = ["Herstel · inzage leerlingdossier · leerlingnummer %s" % pupil.student_number,
              "Gemaakt op %s. Vertrouwelijk: alleen voor de aanvrager." % printed_at]
    document.build(story, canvasmaker=_footer_canvas(footer, draft=False))
    return buffer.getvalue()
