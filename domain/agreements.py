"""The restoration agreement (herstelovereenkomst): drafted from a conversation, versioned, hashed.

The SHA-256 covers everything the parties agree to, so the printed footer proves which
text was signed. A locked (signed) agreement is never edited: a change is a new version.
Functions that write expect to run inside the caller's transaction.

Refusals speak the user's language; what is stored (timeline events, follow-up notes) is
written in Dutch, the language of the case file, whoever happens to read them later.
"""
import calendar
import datetime
import hashlib
import io
import json

from flask_babel import gettext as _
from peewee import fn
from PIL import Image

from db import local_date, utcnow
from domain import protocols
from models import Agreement, AgreementParty, CaseEvent, ConversationLine, FollowUp

MAX_SIGNATURE_BYTES = 512 * 1024
MIN_INK_PIXELS = 150


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


def draft(case, user, conversation=None):
    """A new draft: the pupils who commit, the victim and the mentor as parties; the
    agreements made in the conversation as commitments. A later draft is the next version."""
    version = (Agreement.select(fn.MAX(Agreement.version)).where(Agreement.case == case).scalar() or 0) + 1
    commitments = []
    if conversation is not None:
        commitments = [line.text for line in ConversationLine.select().where(
            ConversationLine.conversation == conversation, ConversationLine.kind == "agreement",
            ConversationLine.removed_at.is_null()).order_by(ConversationLine.created_at, ConversationLine.id)]
    agreement = Agreement.create(case=case, conversation=conversation, version=version, created_by=user,
                                 commitments="\n".join(commitments))
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


def add_parent(agreement, name):
    """A parent who is present signs too."""
    if agreement.status == "locked":
        raise AgreementError(_("Deze overeenkomst is ondertekend en kan niet meer veranderen. "
                               "Maak een nieuwe versie."))
    name = name.strip()
    if not name or len(name) > 200:
        raise AgreementError(_("Vul de naam van de ouder in (hoogstens 200 tekens)."))
    AgreementParty.create(agreement=agreement, name=name, role="parent")
    return seal(agreement)


def update(agreement, **fields):
    """Change a draft; a signed agreement is locked."""
    if agreement.status == "locked":
        raise AgreementError(_("Deze overeenkomst is ondertekend en kan niet meer veranderen. "
                               "Maak een nieuwe versie."))
    start, end = fields.get("period_start"), fields.get("period_end")
    if start and end and end < start:
        raise AgreementError(_("De periode eindigt voordat ze begint."))
    for name, value in fields.items():
        setattr(agreement, name, value)
    return seal(agreement)


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


def sign(agreement, party, png=None, on_paper=False):
    """Record a party's signature (drawn, or on paper); the last one locks the agreement and
    schedules the follow-ups. Returns True when the agreement is now locked."""
    if agreement.status == "locked":
        raise AgreementError(_("Deze overeenkomst is al ondertekend en vergrendeld."))
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
    schedule_follow_ups(agreement)
    return True


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_dates(schedule, start):
    """The dates of the protocol's follow-up schedule, counted from `start`."""
    dates = []
    for rule in schedule:
        if rule.days or rule.weeks:
            dates.append(start + datetime.timedelta(days=rule.days + 7 * rule.weeks))
        elif rule.months:
            dates.append(add_months(start, rule.months))
        else:
            # Every n months after the last fixed follow-up, up to the limit.
            month = (max(dates, default=start) - start).days // 30 + rule.every_months
            while month <= rule.until_months:
                dates.append(add_months(start, month))
                month += rule.every_months
    return sorted(set(dates))


def schedule_follow_ups(agreement):
    """Plan the protocol's follow-ups from the day the agreement was signed."""
    protocol = protocols.get(agreement.case.protocol_key)
    start = local_date(agreement.locked_at)
    parties = ", ".join(p.name for p in agreement.parties if p.role in ("victim", "bully", "follower"))
    for day in follow_up_dates(protocol.follow_up_schedule if protocol else (), start):
        FollowUp.create(case=agreement.case, agreement=agreement, due_on=day, with_whom=parties[:200],
                        note="Volgt uit herstelovereenkomst versie %d" % agreement.version)
