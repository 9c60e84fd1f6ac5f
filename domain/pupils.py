"""A pupil's page: their cases over the school years, as far as the viewer may see them.

Whoever may see one of a pupil's cases sees the pupil's page with the cases they may see, and only
those: nothing counts or hints at the others. Of each case, the records the viewer may read
(permissions.readable: the counsellor reads only what concerns a complaint's pupil).
"""
from peewee import JOIN

from db import local_date
from domain.monitor import school_year_of
from models import (
    Agreement, AgreementParty, FollowUp, Involvement, ParentContact, Pupil, Referral, User,
)
from permissions import pupil_cases, readable


def school_year_label(day):
    start = school_year_of(day)
    return "%d–%d" % (start, start + 1)


def pupil_file(pupil, user):
    """The pupil's cases the user may see, oldest first, each as a dict: the case, the pupil's role in it,
    its school year, the agreements the pupil is a party to with the outcome of their follow-ups, the
    pupil's follow-ups still to come, referrals and parent contacts, and the repeat warning (only an
    earlier case, and only one the user sees)."""
    entries = []
    bullied_before = []
    for case in pupil_cases(user, pupil):
        role = Involvement.get(Involvement.case == case, Involvement.pupil == pupil).role
        agreements = readable(user, case, Agreement.select().join(AgreementParty).where(
            Agreement.case == case, AgreementParty.pupil == pupil).order_by(Agreement.version))
        follow_ups = readable(user, case, FollowUp.select().where(
            FollowUp.case == case, FollowUp.pupil == pupil, FollowUp.cancelled_at.is_null()).order_by(FollowUp.due_on))
        held = [talk for talk in follow_ups if talk.done_at is not None]
        entries.append({
            "case": case, "role": role, "school_year": school_year_label(local_date(case.opened_at)),
            "agreements": [{"agreement": agreement,
                            "outcomes": [talk for talk in held if talk.agreement_id == agreement.id]}
                           for agreement in agreements],
            "outcomes": [talk for talk in held if talk.agreement_id is None],
            "to_come": [talk for talk in follow_ups if talk.done_at is None] if case.status == "open" else [],
            "referrals": readable(user, case, Referral.select().where(
                Referral.case == case, Referral.pupil == pupil).order_by(Referral.referred_on)),
            "parent_contacts": readable(user, case, ParentContact.select(ParentContact, User.id, User.full_name)
                                        .join(User, JOIN.LEFT_OUTER, on=(ParentContact.by_user == User.id))
                                        .where(ParentContact.case == case, ParentContact.pupil == pupil)
                                        .order_by(ParentContact.contacted_on)),
            "earlier_bullying": list(bullied_before) if role == "bully" else [],
        })
        if role == "bully":
            bullied_before.append(case)
    return entries


def school_years(entries):
    """The entries grouped by school year, the latest year first: [(label, entries)]."""
    years = {}
    for entry in entries:
        years.setdefault(entry["school_year"], []).append(entry)
    return sorted(years.items(), reverse=True)


def pupil_with_class(pupil_id):
    return Pupil.with_class().where(Pupil.id == pupil_id).get()
