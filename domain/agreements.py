"""The restoration agreement (herstelovereenkomst): drafted from a conversation, versioned, hashed.

The SHA-256 covers everything the parties agree to, so the printed footer proves which
text was signed. A locked (signed) agreement is never edited: a change is a new version.
Functions that write expect to run inside the caller's transaction.

Refusals speak the user's language; what is stored (timeline events, follow-up notes) is
written in Dutch, the language of the case file, whoever happens to read them later.
"""
import datetime
import hashlib
import io
import json

from flask_babel import gettext as _
from peewee import fn
from PIL import Image

from db import today, utcnow
from domain import followups
from models import Agreement, AgreementParty, CaseEvent, ConversationLine

MAX_SIGNATURE_BYTES = 512 * 1024
MIN_INK_PIXELS = 150
PERIOD = datetime.timedelta(weeks=6)  # a new draft's period, from today: long enough to show it holds


class AgreementError(Exception):
    """A change the agreement refuses; the message is for the user, in their language."""


def content_hash(agreement, parties=None):
    """SHA-256 over the agreement's content, in a fixed form."""
    parties = parties if parties is not None else list(agreement.parties.order_by(AgreementParty.id))
    content = {
        "case": agreement.case.reference, "version": agreement.version,
        "parties": [[party.name, party.role] for party in parties],
        "commitments": commitment_lines(agreement), "restorative_act": agreement.restorative_act,
        "support_figures": agreement.support_figures, "coaching": agreement.coaching,
        "period": [str(agreement.period_start or ""), str(agreement.period_end or "")],
        "evaluation_on": str(agreement.evaluation_on or ""),
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def commitment_lines(agreement):
    return [line.strip() for line in agreement.commitments.splitlines() if line.strip()]


CARRIED = ("restorative_act", "support_figures", "coaching")  # what a new version takes from the one before


def draft(case, user, conversation=None):
    """A new draft: the pupils who commit, the victim and the mentor as parties; the agreements
    made in the conversation as commitments; a period of six weeks from today. A later draft is
    the next version, and closes an earlier draft (two texts cannot both be signed); it starts from
    the version before it (the restorative act, who supports, the coaching, and its commitments when the
    conversation holds none), so a new version changes what changed, not what was agreed."""
    version = (Agreement.select(fn.MAX(Agreement.version)).where(Agreement.case == case).scalar() or 0) + 1
    previous = (Agreement.select().where(Agreement.case == case).order_by(Agreement.version.desc()).first()
                if version > 1 else None)
    commitments = []
    if conversation is not None:
        commitments = [line.text for line in ConversationLine.select().where(
            ConversationLine.conversation == conversation, ConversationLine.kind == "agreement",
            ConversationLine.removed_at.is_null()).order_by(ConversationLine.created_at, ConversationLine.id)]
    drafts = list(Agreement.select().where(Agreement.case == case, Agreement.status == "draft",
                                           Agreement.superseded_at.is_null()).order_by(Agreement.version))
    if drafts:
        Agreement.update(superseded_at=utcnow()).where(Agreement.id.in_([row.id for row in drafts])).execute()
        CaseEvent.add(case, "agreement_superseded", "Concept %s gesloten: versie %d is opgesteld" % (
            ", ".join("versie %d" % row.version for row in drafts), version), user)
    agreement = Agreement.create(
        case=case, conversation=conversation, version=version, created_by=user,
        commitments="\n".join(commitments) or (previous.commitments if previous else ""), period_start=today(),
        period_end=today() + PERIOD, **({field: getattr(previous, field) for field in CARRIED} if previous else {}))
    order = {role: n for n, role in enumerate(("bully", "follower", "victim"))}
    involvements = sorted((i for i in case.involved_pupils() if i.role in order), key=lambda i: order[i.role])
    for involvement in involvements:
        AgreementParty.create(agreement=agreement, pupil=involvement.pupil, name=involvement.pupil.display_name,
                              role=involvement.role)
    if case.mentor is not None:
        AgreementParty.create(agreement=agreement, name=case.mentor.full_name, role="mentor")
    return seal(agreement)


def seal(agreement):
    """Store the content hash after a change."""
    agreement.content_sha256 = content_hash(agreement)
    agreement.save()
    return agreement


def _refuse_change(agreement):
    """A text that is signed, being signed, or replaced by a later version does not change."""
    if agreement.status == "locked":
        raise AgreementError(_("Deze overeenkomst is ondertekend en kan niet meer veranderen. "
                               "Maak een nieuwe versie."))
    if agreement.superseded_at is not None:
        raise AgreementError(_("Dit concept is gesloten: er is een nieuwere versie."))
    if AgreementParty.select().where(AgreementParty.agreement == agreement,
                                     AgreementParty.signed_at.is_null(False)).exists():
        raise AgreementError(_("Er is al voor deze tekst getekend; een andere tekst is een nieuwe versie."))


def add_parent(agreement, name):
    """A parent who is present signs too."""
    _refuse_change(agreement)
    name = name.strip()
    if not name or len(name) > 200:
        raise AgreementError(_("Vul de naam van de ouder in (hoogstens 200 tekens)."))
    AgreementParty.create(agreement=agreement, name=name, role="parent")
    return seal(agreement)


def update(agreement, **fields):
    """Change a draft; a signed agreement is locked."""
    _refuse_change(agreement)
    start, end = fields.get("period_start"), fields.get("period_end")
    if start and end and end < start:
        raise AgreementError(_("De periode eindigt voordat ze begint."))
    for name, value in fields.items():
        setattr(agreement, name, value)
    return seal(agreement)


def problems_before_signing(commitments, period_start, period_end, evaluation_on):
    """What keeps a text from being signed, by field: {field name: message}. An agreement needs a
    commitment, the period in which it must be realised, and the day of the evaluation talk (seed 000
    points 8 and 10), which is then planned as a follow-up and so cannot lie in the past."""
    problems = {}
    if not [line for line in (commitments or "").splitlines() if line.strip()]:
        problems["commitments"] = _("Schrijf minstens één afspraak op.")
    if period_start is None:
        problems["period_start"] = _("Vul in vanaf wanneer de afspraken gelden.")
    if period_end is None:
        problems["period_end"] = _("Vul in tot en met wanneer de afspraken gelden.")
    elif period_start is not None and period_end < period_start:
        problems["period_end"] = _("De periode eindigt voordat ze begint.")
    if evaluation_on is None:
        problems["evaluation_on"] = _("Vul de dag van het evaluatiegesprek in.")
    elif evaluation_on < today():
        problems["evaluation_on"] = _("Het evaluatiegesprek kan niet in het verleden liggen.")
    elif period_start is not None and evaluation_on < period_start:
        problems["evaluation_on"] = _("Het evaluatiegesprek ligt vóór het begin van de periode.")
    return problems


def problems_of(agreement):
    """problems_before_signing for the agreement as it is stored."""
    return problems_before_signing(agreement.commitments, agreement.period_start, agreement.period_end,
                                   agreement.evaluation_on)


def lock(agreement):
    """Lock the agreement once every party has signed (on screen or on paper)."""
    unsigned = [p for p in agreement.parties if not (p.signed_at or p.signed_on_paper)]
    if unsigned:
        raise AgreementError(_("Nog niet iedereen heeft getekend."))
    agreement.status, agreement.locked_at = "locked", utcnow()
    CaseEvent.add(agreement.case, "agreement_signed", "Versie %d" % agreement.version, at=agreement.locked_at)
    return seal(agreement)


def signature_png(data):
    """Check a drawn signature and return it re-encoded as a clean PNG, or raise AgreementError.

    Only a real PNG of sane size and dimensions with some ink on it is accepted; re-encoding
    drops anything a file could carry besides the picture.
    """
    if len(data) > MAX_SIGNATURE_BYTES:
        raise AgreementError(_("Deze handtekening is te groot."))
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise AgreementError(_("Dit is geen PNG-afbeelding van een handtekening."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise AgreementError(_("Dit is geen PNG-afbeelding van een handtekening."))
            width, height = image.size
            if not (100 <= width <= 4000 and 40 <= height <= 2000):
                raise AgreementError(_("Deze handtekening heeft een onmogelijke maat."))
            image = image.convert("RGBA")
            ink = sum(image.getchannel("A").histogram()[33:])  # pixels with some opacity
            if ink < MIN_INK_PIXELS:
                raise AgreementError(_("Er staat nog geen handtekening in het vak."))
            clean = io.BytesIO()
            image.save(clean, "PNG", optimize=True)
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise AgreementError(_("Dit is geen bruikbare PNG-afbeelding.")) from error
    return clean.getvalue()


def sign(agreement, party, png=None, on_paper=False, user=None):
    """Record a party's signature (drawn, or on paper); the last one locks the agreement, plans
    each pupil's follow-ups and supersedes the earlier versions. Returns True when it is now locked."""
    if agreement.status == "locked":
        raise AgreementError(_("Deze overeenkomst is al ondertekend en vergrendeld."))
    if agreement.superseded_at is not None:
        raise AgreementError(_("Dit concept is gesloten: er is een nieuwere versie."))
    problems = problems_of(agreement)
    if problems:
        raise AgreementError(" ".join(problems.values()))
    if party.signed_at or party.signed_on_paper:
        raise AgreementError(_("%(name)s heeft al getekend.", name=party.name))
    if on_paper:
        party.signed_on_paper, party.signed_at = True, utcnow()
    else:
        party.signature_png, party.signed_at = signature_png(png or b""), utcnow()
    party.save()
    if AgreementParty.select().where(AgreementParty.agreement == agreement, AgreementParty.signed_at.is_null()).exists():
        return False
    lock(agreement)
    followups.plan_for_agreement(agreement, user)
    return True
