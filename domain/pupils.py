"""A pupil's page: their cases over the school years, as far as the viewer may see them.

Whoever may see one of a pupil's cases sees the pupil's page with the cases they may see, and only
those: nothing counts or hints at the others. Of each case, the records the viewer may read
(permissions.readable: the counsellor reads only what concerns a complaint's pupil).
"""
from peewee import JOIN, fn

from db import local_date
from domain.monitor import school_year_of
from models import (
    Agreement, AgreementParty, Case, FollowUp, Involvement, ParentContact, Pupil, Referral, SchoolClass, User,
)
from permissions import pupil_cases, readable, visible_cases

FOUND_LIMIT = 50


def search(query, active_only=True):
    """Pupils whose name or class matches every word typed (the first five), in Dutch order."""
    full_name = fn.lower(Pupil.first_name.concat(" ").concat(Pupil.infix).concat(" ").concat(Pupil.last_name))
    found = Pupil.with_class()
    if active_only:
        found = found.where(Pupil.is_active == True)  # noqa: E712
    for word in query.lower().split()[:5]:
        found = found.where(full_name.contains(word) | (fn.lower(SchoolClass.name) == word))
    return found.order_by(*Pupil.dutch_order())


def findable(user, query):
    """The pupils whose page the user can open from their lists: those in a case the user's lists hold
    (pupils who left school too), matching the query; without a query, those in the user's open cases.
    At most FOUND_LIMIT, and whether there were more."""
    cases = visible_cases(user)
    if not query:
        cases = cases.where(Case.status == "open")
    involved = Involvement.select(Involvement.pupil).where(Involvement.case.in_(cases.select(Case.id)))
    found = list(search(query, active_only=False).where(Pupil.id.in_(involved)).limit(FOUND_LIMIT + 1))
    return found[:FOUND_LIMIT], len(found) > FOUND_LIMIT


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
