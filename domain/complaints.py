"""Complaints to the confidential counsellor: intake, status, advice, the committee, private notes.

A complaint runs received -> investigating -> advised -> closed. The counsellor may close it
at any stage (a complaint can be withdrawn) and take it up again; "advised" needs the advice
to the school board written first. A referral to the external complaints committee is a date
of its own, because the complainant may go on at any stage.
"""
from flask_babel import gettext as _

from db import today, utcnow
from models import COMPLAINT_STATUSES, Case, Complaint, ComplaintNote, Involvement, PreventionPolicy, User
from terminology import label

NEXT_STATUSES = {
    "received": ("investigating", "closed"),
    "investigating": ("advised", "closed"),
    "advised": ("investigating", "closed"),
    "closed": ("investigating",),
}
NOTE_MAX = 10_000


def counsellor_route():
    """Who the confidential counsellor is and how parents reach them: ([names], how to reach, as the school wrote it
    for its published protocol). Seed 001: parents or a pupil who find that the school does not handle the
    bullying well, or that its approach does not help, can go to the counsellor; whoever speaks with them
    should be able to say to whom and how."""
    return [user.full_name for user in User.with_role("counsellor")], PreventionPolicy.current().counsellor_reach


class ComplaintError(Exception):
    """A change the rules refuse; the message is for the counsellor."""


def next_statuses(complaint):
    """The statuses the complaint may move to from where it is."""
    return NEXT_STATUSES.get(complaint.status, ())


def find_case(reference, pupil):
    """The case with this reference that the complaint's pupil is in.

    A complaint is linked to a case only through its pupil (the link lets the counsellor read what
    concerns that pupil in the case: see permissions/rules.py), so a typo opens no other child's case. A
    wrong pair gets the same answer, from the same one query, whether the number exists or not: no
    one learns which case numbers exist by typing them.
    """
    reference = (reference or "").strip()
    if pupil is None:
        raise ComplaintError(_("Kies eerst de leerling over wie de klacht gaat: een dossier wordt alleen via een "
                               "leerling van dat dossier gekoppeld."))
    case = (Case.select().join(Involvement)
            .where(Case.reference == reference, Involvement.pupil == pupil).first())
    if case is None:
        raise ComplaintError(_("%(name)s is niet betrokken bij een dossier met nummer %(reference)s. Controleer het "
                               "dossiernummer.", name=pupil.display_name, reference=reference))
    return case


def check_link(pupil, case):
    """Refuse a case that is not linked through a pupil of it (find_case finds only such a case)."""
    if case is not None and (pupil is None or not Involvement.select().where(
            Involvement.case == case, Involvement.pupil == pupil).exists()):
        raise ComplaintError(_("Een dossier wordt alleen via een leerling van dat dossier gekoppeld."))


def check_open(complaint):
    """Refuse changes to a closed complaint's details and advice (notes may still be added)."""
    if complaint.status == "closed":
        raise ComplaintError(_("Deze klacht is gesloten. Zet haar eerst terug op ‘In onderzoek’ om iets te "
                               "wijzigen."))


def check_received_on(received_on):
    if received_on is None:
        raise ComplaintError(_("Vul een datum in."))
    if received_on > today():
        raise ComplaintError(_("Een datum in de toekomst kan niet."))


def record(user, **fields):
    """Take in a new complaint; the counsellor who records it is its counsellor."""
    check_received_on(fields.get("received_on"))
    if not (fields.get("description") or "").strip():
        raise ComplaintError(_("Beschrijf waar de klacht over gaat."))
    check_link(fields.get("pupil"), fields.get("case"))
    return Complaint.create(counsellor=user, status="received", **fields)


def update(complaint, **fields):
    """Change the complaint's intake details."""
    check_open(complaint)
    check_received_on(fields.get("received_on", complaint.received_on))
    if "description" in fields and not (fields["description"] or "").strip():
        raise ComplaintError(_("Beschrijf waar de klacht over gaat."))
    if complaint.committee_referred_on and fields.get("received_on", complaint.received_on) > \
            complaint.committee_referred_on:
        raise ComplaintError(_("De klacht kan niet na de doorverwijzing naar de klachtencommissie zijn ontvangen."))
    if "pupil" in fields or "case" in fields:
        check_link(fields.get("pupil", complaint.pupil), fields.get("case", complaint.case))
    for name, value in fields.items():
        setattr(complaint, name, value)
    complaint.save()
    return complaint


def write_advice(complaint, experts_consulted, advice):
    """Record the experts consulted and the advice to the school board."""
    check_open(complaint)
    if complaint.status == "advised" and not advice.strip():
        raise ComplaintError(_("Het advies is al gegeven en kan niet leeg worden. Zet de klacht eerst terug op "
                               "‘In onderzoek’."))
    complaint.experts_consulted, complaint.advice = experts_consulted, advice
    complaint.save()
    return complaint


def change_status(complaint, status):
    """Move the complaint to another status, if the rules allow it; returns the old status."""
    if status not in dict(COMPLAINT_STATUSES):
        raise ComplaintError(_("Kies een status uit de lijst."))
    if status == complaint.status:
        raise ComplaintError(_("De klacht heeft deze status al."))
    if status not in next_statuses(complaint):
        raise ComplaintError(_("Van ‘%(old)s’ kan een klacht niet naar ‘%(new)s’.",
                               old=label(COMPLAINT_STATUSES, complaint.status), new=label(COMPLAINT_STATUSES, status)))
    if status == "advised" and not complaint.advice.strip():
        raise ComplaintError(_("Schrijf eerst het advies aan het schoolbestuur."))
    old = complaint.status
    complaint.status = status
    complaint.closed_at = utcnow() if status == "closed" else None
    complaint.save()
    return old


def refer_to_committee(complaint, referred_on):
    """Record the day the complainant took the complaint to the external complaints committee."""
    if referred_on is None:
        raise ComplaintError(_("Vul een datum in."))
    if referred_on > today():
        raise ComplaintError(_("Een datum in de toekomst kan niet."))
    if referred_on < complaint.received_on:
        raise ComplaintError(_("De doorverwijzing kan niet vóór de ontvangst van de klacht liggen."))
    complaint.committee_referred_on = referred_on
    complaint.save()
    return complaint


def add_note(complaint, author, body):
    """Add the counsellor's private note; it is shown to its author alone."""
    body = (body or "").strip()
    if not body:
        raise ComplaintError(_("Schrijf eerst een notitie."))
    if len(body) > NOTE_MAX:
        raise ComplaintError(_("Hoogstens 10.000 tekens."))
    return ComplaintNote.create(complaint=complaint, author=author, body=body)


def notes_of(complaint, reader):
    """The notes on the complaint that `reader` wrote, oldest first.

    A note is read by its author alone. Another counsellor, or an administrator who gives
    themselves the counsellor's role, sees the complaint but none of the notes on it.
    """
    return ComplaintNote.select().where(ComplaintNote.complaint == complaint, ComplaintNote.author == reader).order_by(
        ComplaintNote.created_at, ComplaintNote.id)
