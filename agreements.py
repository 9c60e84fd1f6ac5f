"""The restoration agreement (herstelovereenkomst): drafted from a conversation, versioned, hashed.

The SHA-256 covers everything the parties agree to, so the printed footer proves which
text was signed. A locked (signed) agreement is never edited: a change is a new version.
Functions that write expect to run inside the caller's transaction.
"""
import hashlib
import json

from models import Agreement, AgreementParty, ConversationLine, fn, utcnow


class AgreementError(Exception):
    """A change the agreement refuses; the message is for the user."""


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


def update(agreement, **fields):
    """Change a draft; a signed agreement is locked."""
    if agreement.status == "locked":
        raise AgreementError("Deze overeenkomst is ondertekend en kan niet meer veranderen. "
                             "Maak een nieuwe versie.")
    start, end = fields.get("period_start"), fields.get("period_end")
    if start and end and end < start:
        raise AgreementError("De periode eindigt voordat ze begint.")
    for name, value in fields.items():
        setattr(agreement, name, value)
    return seal(agreement)


def lock(agreement):
    """Lock the agreement once every party has signed (on screen or on paper)."""
    unsigned = [p for p in agreement.parties if not (p.signed_at or p.signed_on_paper)]
    if unsigned:
        raise AgreementError("Nog niet iedereen heeft getekend.")
    agreement.status, agreement.locked_at = "locked", utcnow()
    return seal(agreement)
