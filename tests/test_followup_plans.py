"""What signing a restoration agreement does to the case's follow-up talks (followups.plan_for_agreement), and
the answers to_come and escalation_proposal give: earlier versions of that case only superseded, talks to come
cancelled, talks due on or before the signing day kept, each pupil's series planned (a talk's next appointment
as its first), and the timeline's exact lines, written in the signer's name.

The demo school is built by this same code (demo.py signs agreements in two cases and drafts one in a third),
so the tests check the state they start from, and that the other cases are left as they were."""
import datetime

from peewee import fn

import models
from conftest import demo_case, demo_user
from db import today, utcnow
from domain import agreements, conversations, followups

DAY = datetime.timedelta(days=1)
FollowUp, Agreement, CaseEvent = models.FollowUp, models.Agreement, models.CaseEvent


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def sign_all(agreement, user):
    """Every party signs on paper, the mentor first and the pupils last, in `user`'s name: the agreement is
    locked and planned. The order the parties were added in is not the order they signed in."""
    for party in agreement.parties.order_by(models.AgreementParty.id.desc()):
        agreements.sign(agreement, party, on_paper=True, user=user)
    return Agreement.get_by_id(agreement.id)


def new_version(case, user, evaluation_in=14):
    agreement = agreements.draft(case, user)
    return agreements.update(agreement, evaluation_on=today() + evaluation_in * DAY)


def open_ids(case):
    return [row.id for row in FollowUp.select().where(FollowUp.case == case, FollowUp.done_at.is_null(),
                                                      FollowUp.cancelled_at.is_null()).order_by(FollowUp.id)]


def the_rest_of_the_school(case):
    """What signing in `case` must leave alone: every other case's agreements, open talks and appointments."""
    others = models.Case.select().where(models.Case.id != case.id)
    return {other.reference: (
        [(row.id, row.superseded_at) for row in Agreement.select().where(Agreement.case == other)],
        open_ids(other),
        [(row.id, row.agreement_id) for row in FollowUp.select().where(
            FollowUp.case == other, FollowUp.conversation.is_null(False)).order_by(FollowUp.id)],
        CaseEvent.select().where(CaseEvent.case == other).count()) for other in others}


def lines_since(case, event_id):
    """The case's timeline lines written after `event_id`: (kind, text, username)."""
    return [(event.kind, event.text, event.user.username if event.user else None)
            for event in CaseEvent.select().where(CaseEvent.case == case, CaseEvent.id > event_id)
            .order_by(CaseEvent.id)]


def last_event_id():
    return CaseEvent.select(fn.MAX(CaseEvent.id)).scalar()


def planned_by(agreement):
    return list(FollowUp.select().where(FollowUp.agreement == agreement).order_by(FollowUp.due_on, FollowUp.id))


def summary(agreement, names):
    """The planned line's middle part, as _series_summary writes it for the agreement's rows."""
    return "voor %s, tot %s; evaluatiegesprek op %s" % (
        ", ".join(names), followups.dutch_day(max(row.due_on for row in planned_by(agreement))),
        followups.dutch_day(agreement.evaluation_on))


KEPT_ONE = ("1 vervolggesprek dat op of vóór de dag van ondertekening gepland stond, blijft open: het toetst "
            "de vorige afspraken")
KEPT_MANY = ("%d vervolggesprekken die op of vóór de dag van ondertekening gepland stonden, blijven open: ze "
             "toetsen de vorige afspraken")
CANCELLED = "%d open vervolggesprek(ken) vervangen door die van herstelovereenkomst versie %d"


def test_signing_a_new_version_supersedes_only_that_cases_open_versions_and_says_so_in_the_signers_name(
        app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")
    first = Agreement.get(Agreement.case == case)
    others = the_rest_of_the_school(case)
    # Before: version 1 is the current one here; 0003's draft and 0004's signed agreement are current too.
    assert first.status == "locked" and first.superseded_at is None
    assert [(ref, [at for _id, at in rows[0]]) for ref, rows in sorted(others.items())] == [
        ("2024-0014", []), ("%d-0002" % today().year, []), ("%d-0003" % today().year, [None]),
        ("%d-0004" % today().year, [None])]
    with models.db.atomic():
        second = new_version(case, mentor)
        third = new_version(case, mentor)  # closes the draft of version 2
        fourth = new_version(case, mentor)  # closes the draft of version 3
        # Version 3's draft left open, as drafts were before a new one closed them: signing closes it.
        Agreement.update(superseded_at=None).where(Agreement.id == third.id).execute()
        closed_second = Agreement.get_by_id(second.id).superseded_at
        assert closed_second is not None
        to_come = FollowUp.select().where(FollowUp.case == case, FollowUp.done_at.is_null(),
                                          FollowUp.cancelled_at.is_null(), FollowUp.due_on > today()).count()
        since = last_event_id()
        fourth = sign_all(fourth, mentor)
    assert Agreement.get_by_id(first.id).superseded_at is not None
    assert Agreement.get_by_id(third.id).superseded_at is not None
    assert Agreement.get_by_id(second.id).superseded_at == closed_second  # closed already: left as it was
    assert fourth.superseded_at is None
    assert to_come == 29 and len(planned_by(fourth)) == 3 * 11
    assert lines_since(case, since) == [
        ("agreement_signed", "Versie 4", None),
        ("agreement_superseded", "versie 1, versie 3 (concept) vervangen door versie 4", "mentor"),
        ("follow_ups_cancelled", CANCELLED % (29, 4), "mentor"),
        ("follow_ups_planned", "Herstelovereenkomst versie 4: %s. %s" % (
            summary(fourth, ["Daan van den Berg", "Tim Kok", "Noor Hoekstra"]), KEPT_ONE), "mentor")]
    assert the_rest_of_the_school(case) == others  # nothing superseded, cancelled, re-tied or written elsewhere


def test_a_version_without_pupils_plans_nothing_and_says_on_a_line_of_its_own_which_talk_stays_open(app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")
    late = FollowUp.get(FollowUp.case == case, FollowUp.done_at.is_null(), FollowUp.due_on <= today())
    with models.db.atomic():
        second = new_version(case, mentor)
        # Agreed among the adults alone: the pupils' parties struck before anyone signed.
        models.AgreementParty.delete().where(models.AgreementParty.agreement == second,
                                             models.AgreementParty.pupil.is_null(False)).execute()
        agreements.seal(second)
        since = last_event_id()
        second = sign_all(second, mentor)
    assert planned_by(second) == [] and open_ids(case) == [late.id]
    assert lines_since(case, since) == [
        ("agreement_signed", "Versie 2", None),
        ("agreement_superseded", "versie 1 vervangen door versie 2", "mentor"),
        ("follow_ups_cancelled", CANCELLED % (29, 2), "mentor"),
        ("follow_ups_planned", KEPT_ONE, "mentor")]


def test_a_talks_next_appointment_due_before_the_second_talk_is_the_pupils_first_of_this_case_only(
        app_context, factory):
    case, mentor2 = demo_case("0003"), demo_user("mentor2")
    isa = pupil("Isa")
    draft = Agreement.get(Agreement.case == case)
    visit = FollowUp.get(FollowUp.case == case, FollowUp.conversation.is_null(False))
    # Before: the draft's version 1 unsigned; Isa's appointment from this morning's talk, in a week, tied to nothing.
    assert (draft.version, draft.status, visit.pupil_id, visit.due_on, visit.agreement_id) == (
        1, "draft", isa.id, today() + 7 * DAY, None)
    with models.db.atomic():
        talk = visit.conversation
        held = FollowUp.create(case=case, conversation=talk, pupil=isa, due_on=today(), held_on=today(),
                               done_at=utcnow(), done_by=mentor2, outcome="going_well")
        dropped = FollowUp.create(case=case, conversation=talk, pupil=isa, due_on=today() + DAY,
                                  cancelled_at=utcnow())
        sooner = FollowUp.create(case=case, conversation=talk, pupil=isa, due_on=today() + 5 * DAY)
        # Isa in another case too, with an appointment there sooner still: not this case's to tie.
        other = factory.case(mentor=mentor2, victim=isa)
        there = conversations.start(other, "victim-talk", "victim-conversation", mentor2,
                                    [(isa, isa.display_name, "victim")])
        elsewhere = FollowUp.create(case=other, conversation=there, pupil=isa, due_on=today() + DAY)
        # Bram's and Finn's next talks of the protocol's series come due today: they stay open.
        for name in ("Bram", "Finn"):
            row = (FollowUp.select().where(FollowUp.case == case, FollowUp.pupil == pupil(name),
                                           FollowUp.done_at.is_null()).order_by(FollowUp.due_on).first())
            FollowUp.update(due_on=today()).where(FollowUp.id == row.id).execute()
        series_to_come = FollowUp.select().where(FollowUp.case == case, FollowUp.conversation.is_null(),
                                                 FollowUp.done_at.is_null(), FollowUp.due_on > today()).count()
        others = the_rest_of_the_school(case)
        agreements.update(draft, evaluation_on=today() + 14 * DAY)
        since = last_event_id()
        draft = sign_all(draft, mentor2)
    tied = {row.id: FollowUp.get_by_id(row.id).agreement_id for row in (visit, held, dropped, sooner, elsewhere)}
    assert tied == {visit.id: None, held.id: None, dropped.id: None, sooner.id: draft.id, elsewhere.id: None}
    firsts = {name: [row.due_on for row in planned_by(draft) if row.pupil_id == pupil(name).id]
              for name in ("Bram", "Finn", "Isa")}
    # Isa's series starts with the appointment in five days, not with a talk of its own in two.
    assert firsts["Bram"] == firsts["Finn"] and len(firsts["Bram"]) == 11 and firsts["Bram"][0] == today() + 2 * DAY
    assert firsts["Isa"] == [today() + 5 * DAY] + firsts["Bram"][1:]
    assert series_to_come == 22
    assert lines_since(case, since) == [
        ("agreement_signed", "Versie 1", None),
        ("follow_ups_cancelled", CANCELLED % (22, 1), "mentor2"),
        ("follow_ups_planned", "Herstelovereenkomst versie 1: %s. %s" % (
            summary(draft, ["Bram van der Linden", "Finn Meijer", "Isa Vos"]), KEPT_MANY % 2), "mentor2")]
    assert the_rest_of_the_school(case) == others


def test_a_case_whose_protocol_is_gone_gets_only_the_evaluation_talks_and_its_one_talk_to_come_is_cancelled(
        app_context, factory):
    mentor = demo_user("mentor")
    victim, bully = factory.pupil(first_name="Roos", last_name="Smit"), factory.pupil(first_name="Joep",
                                                                                      last_name="Bos")
    case = factory.case(mentor=mentor, protocol="not-loaded-any-more", victim=victim, bully=bully)
    with models.db.atomic():
        planned_before = FollowUp.create(case=case, pupil=victim, due_on=today() + 3 * DAY)
        agreement = agreements.update(new_version(case, mentor), commitments="Joep laat Roos met rust.")
        since = last_event_id()
        agreement = sign_all(agreement, mentor)
    assert FollowUp.get_by_id(planned_before.id).cancelled_at is not None
    assert [(row.pupil_id, row.due_on, row.evaluation) for row in planned_by(agreement)] == [
        (bully.id, today() + 14 * DAY, True), (victim.id, today() + 14 * DAY, True)]
    assert lines_since(case, since) == [
        ("agreement_signed", "Versie 1", None),
        ("follow_ups_cancelled", CANCELLED % (1, 1), "mentor"),
        ("follow_ups_planned", "Herstelovereenkomst versie 1: voor Joep Bos, Roos Smit, tot %s; evaluatiegesprek op %s"
         % (followups.dutch_day(today() + 14 * DAY), followups.dutch_day(today() + 14 * DAY)), "mentor")]


def test_the_talks_to_come_are_by_date_then_as_planned_with_their_pupil_read_along_and_none_cancelled(app_context):
    case = demo_case("0001")
    with models.db.atomic():
        together = FollowUp.create(case=case, due_on=today() + DAY, with_whom="Daan en Tim")  # from before pupils
        dropped = FollowUp.create(case=case, pupil=pupil("Noor"), due_on=today() + DAY, cancelled_at=utcnow())
    rows = list(FollowUp.select().where(FollowUp.case == case, FollowUp.done_at.is_null(),
                                        FollowUp.cancelled_at.is_null()))
    by_date = [row.id for row in sorted(rows, key=lambda row: (row.due_on, row.id))]
    # The one more chance's talks (planned last) come before the series' later talks; three talks share a day.
    assert by_date != sorted(by_date) and len({row.due_on for row in rows}) < len(rows)
    answer = list(followups.to_come(case))
    assert [row.id for row in answer] == by_date and dropped.id not in by_date and together.id in by_date
    assert [row.due_on for row in answer] == sorted(row.due_on for row in rows)
    assert all("pupil" in row.__rel__ for row in answer if row.pupil_id)  # read with the row, not one by one
    assert {row.id: row.pupil.first_name if row.pupil_id else None for row in answer} == {
        row.id: row.pupil.first_name if row.pupil_id else None for row in rows}


def test_the_escalation_proposal_answers_from_what_the_case_page_has_read_not_from_a_second_read(app_context):
    case = demo_case("0004")  # Yara broke the agreements again after phase 3: phase 4 proposed
    follow_ups, measures = list(FollowUp.of_case(case)), list(models.Measure.of_case(case))
    involvements = list(case.involved_pupils())
    assert followups.escalation_proposal(case) == 4
    assert followups.escalation_proposal(case, follow_ups, measures, involvements) == 4
    assert followups.escalation_proposal(case, [], measures, involvements) is None  # no broken agreements read
    assert followups.escalation_proposal(case, follow_ups, [], involvements) == 1  # no measure read: the first
    assert followups.escalation_proposal(case, follow_ups, measures, []) is None  # no pupil who committed read
    assert [(row.reference, phase) for row, phase in followups.open_proposals()] == [(case.reference, 4)]


def test_a_version_signed_earlier_plans_each_series_from_the_day_it_was_locked_not_from_today(app_context):
    case, mentor2 = demo_case("0003"), demo_user("mentor2")
    draft = Agreement.get(Agreement.case == case)
    signed_on = today() - 3 * DAY
    with models.db.atomic():
        for party in draft.parties:  # signed on paper three days ago, recorded today (as demo.py does)
            party.signed_on_paper, party.signed_at = True, utcnow()
            party.save()
        agreements.lock(draft)
        # Just after midnight in the school's time zone: in UTC still the day before.
        moment = datetime.datetime.combine(signed_on, datetime.time(0, 30)) - datetime.timedelta(hours=1)
        Agreement.update(locked_at=moment).where(Agreement.id == draft.id).execute()
        rows = followups.plan_for_agreement(Agreement.get_by_id(draft.id), mentor2)
    firsts = sorted({row.due_on for row in rows})
    assert firsts[:2] == [signed_on + 2 * DAY, signed_on + 7 * DAY]  # two days, a week after it was signed
    # The talks due after that day, even those already past today, are the new version's to hold.
    assert not FollowUp.select().where(FollowUp.case == case, FollowUp.agreement.is_null(), FollowUp.done_at.is_null(),
                                       FollowUp.cancelled_at.is_null(), FollowUp.conversation.is_null()).exists()
