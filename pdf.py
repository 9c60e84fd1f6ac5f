"""PDFs are built here as bytes; views only send them."""
import datetime
import io
from xml.sax.saxutils import escape

from babel.dates import format_date, format_datetime
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Image, KeepTogether, ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

import agreements
from models import SCHOOL_TIMEZONE, AgreementParty
from terminology import dutch_term

ROLE_NAMES = {"victim": "gepeste leerling", "bully": "leerling die pestte", "follower": "meeloper",
              "parent": "ouder"}  # and the mentor, in the school's word: role_name()
STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11, textColor=colors.HexColor("#4f5b6b"))
HEADING = ParagraphStyle("heading", parent=STYLES["Heading2"], fontName="Helvetica-Bold", fontSize=12.5,
                         spaceBefore=10, spaceAfter=4, textColor=colors.HexColor("#073f49"))
TITLE = ParagraphStyle("title", parent=STYLES["Title"], fontName="Helvetica-Bold", fontSize=18, alignment=0,
                       spaceAfter=2, textColor=colors.HexColor("#073f49"))


def role_name(role):
    """A party's role as the PDF (always Dutch) names it: the mentor as the school calls them."""
    return dutch_term("mentor") if role == "mentor" else ROLE_NAMES.get(role, escape(role))


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


def agreement_pdf(agreement, school_name, logo_png=None):
    """The restoration agreement as an A4 PDF: parties, commitments, signatures, hashed footer."""
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
        Table([[Paragraph(escape(p.name), BODY), Paragraph(role_name(p.role), BODY)]
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
        Paragraph("Handtekeningen", HEADING),
        _signatures(parties),
    ]
    footer = ["Herstel · herstelovereenkomst %s · versie %d" % (agreement.case.reference, agreement.version),
              "SHA-256 van de inhoud: %s" % agreement.content_sha256]
    document.build(story, canvasmaker=_footer_canvas(footer, draft))
    return buffer.getvalue()


def _signatures(parties):
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
        rows.append([Paragraph("<b>%s</b><br/>%s<br/>%s" % (escape(party.name), role_name(party.role),
                                                            when), BODY), mark])
    return Table(rows or [["-", ""]], colWidths=[80 * mm, 85 * mm], rowHeights=[24 * mm] * max(len(rows), 1),
                 style=TableStyle([("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))


def _moment(value, pattern="d MMMM yyyy HH:mm"):
    """A stored (UTC) moment in the school's time zone."""
    return format_datetime(value.replace(tzinfo=datetime.timezone.utc), pattern, tzinfo=SCHOOL_TIMEZONE,
                           locale="nl") if value else "-"


def evidence_pdf(case, items, school_name, printed_by, images=None):
    """The case's evidence log as an A4 PDF for the police: each item's facts, file hash and image.

    `images` maps an item's id to the bytes of its (already checked and re-encoded) image.
    """
    images = images or {}
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
        if item.id in images:
            block += [Spacer(1, 3 * mm),
                      Image(io.BytesIO(images[item.id]), width=174 * mm, height=120 * mm, kind="proportional",
                            hAlign="LEFT")]
        elif item.file_name and item.is_image:
            block.append(Paragraph("Het bestand ontbreekt op de server; meld dit aan de beheerder.", SMALL))
        elif item.file_name:
            block.append(Paragraph("Het bestand (PDF) hoort als aparte bijlage bij dit overzicht.", SMALL))
        story.append(KeepTogether(block))  # an item's facts and its screenshot on one page
    footer = ["Herstel · bewijs online pesten · dossier %s" % case.reference,
              "Afgedrukt op %s. Vertrouwelijk: bevat gegevens over leerlingen." % printed_at]
    document.build(story, canvasmaker=_footer_canvas(footer, draft=False))
    return buffer.getvalue()
