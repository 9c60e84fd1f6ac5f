"""The prevention area's PDFs, built as bytes (views only send them), always in Dutch like the school's other
documents: the published protocol, a class's agreements as an A4 poster, and the first-years' contract per pupil."""
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image, KeepTogether, ListFlowable, ListItem, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from domain.pdf import BODY, HEADING, SMALL, TITLE, _footer_canvas, dutch_date, text

POSTER_TITLE = ParagraphStyle("poster-title", parent=TITLE, fontSize=34, leading=40, alignment=1, spaceAfter=4)
POSTER_RULE = ParagraphStyle("poster-rule", parent=BODY, fontName="Helvetica-Bold", fontSize=22, leading=28)
POSTER_SMALL = ParagraphStyle("poster-small", parent=BODY, fontSize=13, leading=17, alignment=1)
STEP_TITLE = ParagraphStyle("step-title", parent=HEADING, fontSize=11.5, spaceBefore=8)


def _document(buffer, title, school_name, margins=18):
    return SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margins * mm, rightMargin=margins * mm,
                             topMargin=margins * mm, bottomMargin=20 * mm, title=title, author=school_name,
                             creator="Herstel")


def _logo(logo_png):
    return [Image(io.BytesIO(logo_png), width=40 * mm, height=16 * mm, kind="proportional", hAlign="LEFT")] \
        if logo_png else []


def protocol_pdf(published, school_name, contacts, reporting, logo_png=None, printed_on=None):
    """The school's published protocol: how to report, who to reach, and each protocol's steps (who does what and
    by when), its follow-up talks and its phases with who decides them. `published` is a list of
    domain.prevention.PublishedProtocol, `contacts` [(heading, [(name, e-mail)], how to reach)], `reporting` lines."""
    buffer = io.BytesIO()
    document = _document(buffer, "Pestprotocol %s" % school_name, school_name)
    story = _logo(logo_png) + [
        Paragraph(escape(school_name), SMALL),
        Paragraph("Ons pestprotocol", TITLE),
        Paragraph("Zo pakt %s pesten aan. Dit is het protocol waarmee de school werkt; de stappen, termijnen en "
                  "beslissers hieronder zijn dezelfde als die in Herstel, het systeem van de school."
                  % escape(school_name), BODY),
        Paragraph("Pesten melden", HEADING),
        ListFlowable([ListItem(text(line), leftIndent=12) for line in reporting], bulletType="bullet", start="•"),
        Paragraph("Wie je kunt bereiken", HEADING),
    ]
    for heading, people, reach in contacts:
        names = "; ".join(escape(name) for name, _email in people)  # e-mail addresses are not published
        story.append(Paragraph("<b>%s</b>: %s" % (escape(heading), names or "nog niet aangewezen"), BODY))
        if reach:
            story.append(Paragraph(escape(reach), SMALL))
    for protocol in published:
        story += [PageBreak(), Paragraph(escape(protocol.name), TITLE), text(protocol.description),
                  Paragraph("De stappen", HEADING)]
        for step in protocol.steps:
            facts = "Wie: %s · Termijn: %s%s" % (escape(step.owner), escape(step.deadline),
                                                 " · %s" % escape(step.condition) if step.condition else "")
            block = [Paragraph("Stap %d. %s" % (step.number, escape(step.title)), STEP_TITLE),
                     Paragraph(facts, SMALL), text(step.description)]
            if step.tasks:
                block.append(ListFlowable([ListItem(text(task), leftIndent=12) for task in step.tasks],
                                          bulletType="bullet", start="•"))
            story.append(KeepTogether(block))
        if protocol.follow_ups:
            story += [Paragraph("Vervolggesprekken", HEADING),
                      text("De afspraken worden gevolgd met vervolggesprekken: %s." % protocol.follow_ups)]
        story.append(Paragraph("Als het pesten niet stopt: de fasen", HEADING))
        for number, title, description, deciders in protocol.phases:
            story.append(KeepTogether([
                Paragraph("Fase %d. %s" % (number, escape(title)), STEP_TITLE),
                Paragraph("Wie beslist: %s" % escape(deciders), SMALL), text(description)]))
    footer = ["Herstel · pestprotocol van %s" % school_name,
              "Afgedrukt op %s" % dutch_date(printed_on) if printed_on else ""]
    document.build(story, canvasmaker=_footer_canvas(footer, draft=False))
    return buffer.getvalue()


def poster_pdf(agreement, school_name, year_label, logo_png=None):
    """A class's agreements as an A4 poster in large type, to hang in the classroom."""
    buffer = io.BytesIO()
    class_name = agreement.school_class.name
    document = _document(buffer, "Klassenafspraken %s %s" % (class_name, year_label), school_name, margins=16)
    rules = [ListItem(Paragraph(escape(rule), POSTER_RULE), leftIndent=22, spaceAfter=10)
             for rule in agreement.rule_lines]
    story = _logo(logo_png) + [
        Paragraph("Zo gaan wij met elkaar om", POSTER_TITLE),
        Paragraph("Klas %s · %s · %s" % (escape(class_name), escape(school_name), year_label), POSTER_SMALL),
        Spacer(1, 12 * mm),
        ListFlowable(rules, bulletType="bullet", start="•", bulletFontSize=22, leftIndent=26),
        Spacer(1, 10 * mm),
        Paragraph("Samen gemaakt op %s%s" % (dutch_date(agreement.made_on), " · besproken op %s" % dutch_date(
            agreement.reviewed_on) if agreement.reviewed_on else ""), POSTER_SMALL),
    ]
    footer = ["Herstel · klassenafspraken %s %s" % (class_name, year_label)]
    if agreement.locked_at is not None:
        signatures = list(agreement.signatures)
        story += [Spacer(1, 8 * mm), Paragraph("Getekend door", POSTER_SMALL),
                  Table([[Image(io.BytesIO(signature.signature_png), width=40 * mm, height=14 * mm,
                                kind="proportional") for signature in signatures[row:row + 4]]
                         for row in range(0, len(signatures), 4)], hAlign="CENTER"),
                  Paragraph(escape(", ".join(signature.name for signature in signatures)), POSTER_SMALL)]
        footer.append("SHA-256 van de getekende afspraken: %s" % agreement.content_sha256)
    document.build(story, canvasmaker=_footer_canvas(footer, draft=False))
    return buffer.getvalue()


def contract_pdf(contract_text, school_name, class_name, year_label, pupils, logo_png=None):
    """The first-years' bullying contract, one page per pupil with their name and lines to sign (pupil and parent)."""
    buffer = io.BytesIO()
    document = _document(buffer, "Pestcontract %s %s" % (class_name, year_label), school_name)
    lines = [line for line in contract_text.splitlines()]
    signature = Table([["Handtekening leerling", "Handtekening ouder of verzorger"], ["", ""], ["Datum:", "Datum:"]],
                      colWidths=[82 * mm, 82 * mm], rowHeights=[7 * mm, 22 * mm, 8 * mm],
                      style=TableStyle([("LINEBELOW", (0, 1), (-1, 1), 0.6, colors.black),
                                        ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                                        ("FONTSIZE", (0, 0), (-1, -1), 9.5)]))
    story = []
    for number, pupil in enumerate(pupils):
        if number:
            story.append(PageBreak())
        story += _logo(logo_png) + [
            Paragraph(escape(school_name), SMALL),
            Paragraph("Pestcontract", TITLE),
            Paragraph("Klas %s · schooljaar %s" % (escape(class_name), year_label), SMALL),
            Spacer(1, 4 * mm),
            Paragraph("Naam: <b>%s</b>" % escape(pupil.display_name), BODY),
            Spacer(1, 4 * mm),
        ] + [text(line) if line.strip() else Spacer(1, 3 * mm) for line in lines] + [Spacer(1, 10 * mm), signature]
    if not story:
        story = [Paragraph("Pestcontract", TITLE), text("Deze klas heeft geen leerlingen.")]
    document.build(story, canvasmaker=_footer_canvas(["Herstel · pestcontract %s %s" % (class_name, year_label)],
                                                     draft=False))
    return buffer.getvalue()
