"""What recording a follow-up talk leaves behind, and what the case page reads from the talks recorded: the
timeline's lines in the name of who recorded the talk, the proposals per pupil, the hand-over to the
coordinator (seed 001 step 5) read from this case's own talks and measures, and each pupil's series."""
import datetime

import db
import models
from conftest import demo_case, demo_user
from domain import corrections, followups
from test_case_page import Statements

DAY = datetime.timedelta(days=1)
HAND_OVER_TALK = "Gesprek door de anti-pestcoördinator bij herhaling"


def at_ten(day):
    """A stored (UTC) moment on that day, the same day in the school's time zone."""
    return datetime.datetime.combine(day, datetime.time(10))


def broken(case, pupil, held_on, recorded_on=None):
    """A talk with the pupil that found the agreements not kept, held on `held_on` and written down that day or
    on `recorded_on`."""
    return models.FollowUp.create(case=case, pupil=pupil, due_on=held_on, held_on=held_on, outcome="not_kept",
                                  done_at=at_ten(recorded_on or held_on), done_by=demo_user("mentor"))


def talk(case, template_key, day, step_key="follow-up"):
    """A conversation of the case under that guide, started on that day."""
    return models.Conversation.create(case=case, step_key=step_key, template_key=template_key, title=template_key,
                                      held_by=demo_user("coordinator"), started_at=at_ten(day))


def bullying_case(factory, **roles):
    """A case of the demo's mentor under the Dutch protocol: Vera Visser bullied by Bram Bakker, and `roles`."""
    vera = factory.pupil(first_name="Vera", last_name="Visser")
    bram = factory.pupil(first_name="Bram", last_name="Bakker")
    return factory.case(mentor=demo_user("mentor"), victim=vera, bully=bram, **roles), bram


def events(case):
    return [(event.kind, event.text, event.user_id) for event in models.CaseEvent.select().where(
        models.CaseEvent.case == case).order_by(models.CaseEvent.id)]


def handed(case, *lists):
    """Each hand-over of the case: (pupil id, to whom, at which step, the talk's title)."""
    return [(item.pupil.id, item.rule.hand_to, item.step_key, item.title)
            for item in followups.hand_overs(case, *lists)]


def proposed(case):
    return [(pupil.id, phase) for pupil, phase in followups.pupil_proposals(case)]


def broken_twice(factory):
    """A case whose bully broke the agreements nine days ago and again four days ago, so that it is handed over,
    and a second case of his, of another victim: (case, the bully, his other case)."""
    case, bram = bullying_case(factory)
    other = factory.case(mentor=demo_user("mentor"), victim=factory.pupil(first_name="Ot"), bully=bram)
    broken(case, bram, db.today() - 9 * DAY)
    broken(case, bram, db.today() - 4 * DAY)
    assert handed(case) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    return case, bram, other


# The timeline's lines, in the name of who recorded the talk

def test_broken_again_the_proposal_and_the_hand_over_are_written_on_the_timeline_in_the_recorder_s_name(
        app_context, factory):
    case, bram = bullying_case(factory)
    today, mentor = db.today(), demo_user("mentor")
    broken(case, bram, today - 3 * DAY)  # his one more chance
    second = models.FollowUp.create(case=case, pupil=bram, due_on=today)
    assert events(case) == []
    with models.db.atomic():
        assert followups.record(second, mentor, "not_kept", today) == "escalate"
    assert events(case) == [
        ("follow_up", "Bram Bakker: Afspraken opnieuw niet nagekomen", mentor.id),
        ("follow_ups_planned", "Afspraken niet nagekomen: extra vervolggesprek op %s met Bram Bakker"
         % followups.dutch_day(today + 7 * DAY), mentor.id),
        ("escalation_proposed", "Voorstel: fase 1 (Lichte corrigerende maatregel) voor Bram Bakker; beslist: mentor",
         mentor.id),
        ("escalation_proposed", "Afspraken opnieuw niet nagekomen: dossier naar de anti-pestcoördinator", mentor.id),
    ]


def test_the_switch_of_approach_is_proposed_on_the_timeline_in_the_recorder_s_name(app_context, factory):
    from domain import cases
    mentor, coordinator = demo_user("mentor"), demo_user("coordinator")
    wout = factory.pupil(first_name="Wout", last_name="Wouters")
    case = factory.case(mentor=mentor, protocol="stappenplan-vl", victim=factory.pupil(first_name="Lien"), bully=wout)
    with models.db.atomic():
        cases.set_approach(case, "non_confrontational", "group", coordinator)
    models.CaseEvent.update(at=db.utcnow() - DAY).where(models.CaseEvent.case == case).execute()
    case = models.Case.get_by_id(case.id)
    assert [kind for kind, _text, _user in events(case)] == ["approach"]
    talk_with_wout = models.FollowUp.create(case=case, pupil=wout, due_on=db.today())
    with models.db.atomic():
        assert followups.record(talk_with_wout, mentor, "not_kept", db.today()) == "one_more_chance"
    assert events(case)[1:] == [
        ("follow_up", "Wout Wouters: Afspraken niet nagekomen: nog één kans", mentor.id),
        ("follow_ups_planned", "Afspraken niet nagekomen: extra vervolggesprek op %s met Wout Wouters"
         % followups.dutch_day(db.today() + 7 * DAY), mentor.id),
        ("approach_switch_proposed", "Overschakelen op de confronterende aanpak; beslist: anti-pestcoördinator",
         mentor.id),
    ]


def step_done(case):
    """The follow-up step's status and who did it, and the timeline's lines that it is done (with whose name)."""
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "follow-up")
    lines = [(text, user) for kind, text, user in events(case) if kind == "step_done" and text.startswith(
        "Vervolggesprekken")]
    return step.status, step.done_by_id, lines


def series_but_one(case):
    """The demo case's follow-up talks still to be held: Tim's of today, and the others of the series; the step
    they stand for open, due today, no line yet that it is done."""
    to_hold = list(models.FollowUp.select().where(
        models.FollowUp.case == case, models.FollowUp.conversation.is_null(), models.FollowUp.done_at.is_null(),
        models.FollowUp.cancelled_at.is_null()).order_by(models.FollowUp.due_on, models.FollowUp.id))
    last = to_hold[0]
    assert (last.pupil.first_name, last.due_on) == ("Tim", db.today()) and to_hold[1].due_on > db.today()
    assert len(to_hold) > 10  # Noor's, Daan's and Tim's, for two years
    assert step_done(case) == ("open", None, [])
    return last, [row.id for row in to_hold[1:]]


def test_the_series_last_talk_recorded_completes_the_follow_up_step_in_the_recorder_s_name(app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")
    last, others = series_but_one(case)
    models.FollowUp.update(outcome="going_well", held_on=db.today() - DAY, done_at=db.utcnow() - DAY,
                           done_by=mentor).where(models.FollowUp.id.in_(others)).execute()
    with models.db.atomic():
        assert followups.record(last, mentor, "going_well", db.today()) == "ok"
    assert step_done(case) == ("done", mentor.id, [("Vervolggesprekken: elk vervolggesprek is vastgelegd", mentor.id)])


def test_talks_cancelled_by_a_new_agreement_are_not_talks_still_to_come(app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")
    last, others = series_but_one(case)
    models.FollowUp.update(cancelled_at=db.utcnow() - DAY).where(models.FollowUp.id.in_(others)).execute()
    assert followups.series_under_way(case, "follow-up")  # Tim's talk of today
    with models.db.atomic():
        assert followups.record(last, mentor, "going_well", db.today()) == "ok"
    assert step_done(case) == ("done", mentor.id, [("Vervolggesprekken: elk vervolggesprek is vastgelegd", mentor.id)])
    assert not followups.series_under_way(case, "follow-up")


# The proposals per pupil

def test_a_bully_without_a_second_break_hides_no_follower_after_them(app_context, factory):
    case, bram = bullying_case(factory, follower=factory.pupil(first_name="Cas", last_name="Claes"))
    cas = models.Involvement.get(models.Involvement.case == case, models.Involvement.role == "follower").pupil
    assert [(row.pupil.first_name, row.role) for row in case.involved_pupils()] == [
        ("Bram", "bully"), ("Cas", "follower"), ("Vera", "victim")]
    today = db.today()
    broken(case, bram, today - 9 * DAY)  # once: his one more chance
    broken(case, cas, today - 6 * DAY)
    broken(case, cas, today - DAY)
    assert proposed(case) == [(cas.id, 1)]


def test_a_bully_whose_measure_answered_their_breaks_hides_no_follower_after_them(app_context, factory):
    case, bram = bullying_case(factory, follower=factory.pupil(first_name="Cas", last_name="Claes"))
    cas = models.Involvement.get(models.Involvement.case == case, models.Involvement.role == "follower").pupil
    today = db.today()
    for who in (bram, cas):
        broken(case, who, today - 10 * DAY)
        broken(case, who, today - 5 * DAY)
    assert proposed(case) == [(bram.id, 1), (cas.id, 1)]
    models.Measure.create(case=case, pupil=bram, phase=1, description="Strafwerk", decided_on=today - 3 * DAY)
    assert proposed(case) == [(cas.id, 1)]


def test_a_measure_decided_after_the_break_was_held_answers_it_though_the_talk_was_written_down_later(
        app_context, factory):
    case, bram = bullying_case(factory)
    today = db.today()
    broken(case, bram, today - 10 * DAY)
    broken(case, bram, today - 6 * DAY, recorded_on=today)  # written down only today
    assert proposed(case) == [(bram.id, 1)]
    models.Measure.create(case=case, pupil=bram, phase=1, description="Strafwerk", decided_on=today - 3 * DAY)
    assert proposed(case) == []


def breaks_without_their_day(case, pupil, *days):
    """Breaks as recorded before a talk had its own day: only when they were written down."""
    for day in days:
        models.FollowUp.update(held_on=None).where(models.FollowUp.id == broken(case, pupil, day).id).execute()
    assert [row.held_on for row in models.FollowUp.select().where(models.FollowUp.case == case)] == [None] * len(days)


def test_breaks_recorded_before_talks_had_a_day_count_from_the_day_they_were_written_down(app_context, factory):
    case, bram = bullying_case(factory)
    today = db.today()
    breaks_without_their_day(case, bram, today - 5 * DAY, today - 2 * DAY)
    assert proposed(case) == [(bram.id, 1)]
    models.Measure.create(case=case, pupil=bram, phase=1, description="Strafwerk", decided_on=today - 3 * DAY)
    assert proposed(case) == [(bram.id, 2)]  # the second break came after the measure


# The hand-over to the coordinator

def test_a_coordinator_talk_started_before_the_last_break_hands_the_case_over_all_the_same(app_context, factory):
    case, bram = bullying_case(factory)
    today = db.today()
    broken(case, bram, today - 9 * DAY)
    talk(case, "coordinator-conversation", today - 6 * DAY)  # after the first break: the one more chance
    broken(case, bram, today - 4 * DAY)
    assert proposed(case) == [(bram.id, 1)]
    assert handed(case) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    talk(case, "coordinator-conversation", today - 4 * DAY)  # on the day of the last break
    assert handed(case) == []


def test_a_break_recorded_before_talks_had_a_day_hands_over_from_the_day_it_was_written_down(
        app_context, factory):
    case, bram = bullying_case(factory)
    today = db.today()
    breaks_without_their_day(case, bram, today - 5 * DAY, today - 2 * DAY)
    talk(case, "coordinator-conversation", today - 3 * DAY)  # before the second break
    assert handed(case) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    talk(case, "coordinator-conversation", today - 2 * DAY)
    assert handed(case) == []


def test_a_talk_started_after_the_break_was_held_counts_though_the_break_was_written_down_later(
        app_context, factory):
    case, bram = bullying_case(factory)
    today = db.today()
    broken(case, bram, today - 9 * DAY)
    broken(case, bram, today - 4 * DAY, recorded_on=today)
    assert handed(case) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    talk(case, "coordinator-conversation", today - 2 * DAY)
    assert handed(case) == []


def test_a_hand_over_reads_only_this_case_s_coordinator_talks(app_context, factory):
    case, bram, other = broken_twice(factory)
    today = db.today()
    talk(other, "coordinator-conversation", today)  # Bram's other case
    talk(case, "follow-up-conversation", today)  # the mentor's own follow-up talk in this one
    talk(case, "bully-guidance", today, step_key="bully-talk")
    assert handed(case) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    talk(case, "coordinator-conversation", today)
    assert handed(case) == []


def test_a_measure_in_another_case_leaves_the_hand_over_in_this_one(app_context, factory):
    case, bram, other = broken_twice(factory)
    today = db.today()
    models.Measure.create(case=other, pupil=bram, phase=2, description="Apart gezet", decided_on=today - DAY)
    assert handed(case) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    models.Measure.create(case=case, pupil=bram, phase=1, description="Strafwerk", decided_on=today - DAY)
    assert handed(case) == []  # with a measure here he is in the coordinator's hands already


def test_a_case_whose_protocol_is_no_longer_installed_hands_nothing_over(app_context, factory):
    case, bram, _other = broken_twice(factory)
    models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()
    case = models.Case.get_by_id(case.id)
    assert proposed(case) == [(bram.id, 1)]
    assert handed(case) == []


def test_with_the_case_s_own_lists_a_hand_over_reads_nothing_but_the_case_s_talks(app_context, factory):
    case, bram, _other = broken_twice(factory)
    follow_ups, measures = list(models.FollowUp.of_case(case)), list(models.Measure.of_case(case))
    proposals = followups.pupil_proposals(case, follow_ups, measures)
    assert handed(case, proposals, follow_ups, measures) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    with Statements() as statements:  # the school's settings (the talk's title names its role) read by now
        assert handed(case, proposals, follow_ups, measures) == [(bram.id, "coordinator", "follow-up", HAND_OVER_TALK)]
    assert [sql[sql.index(" FROM "):].split()[1] for sql in statements.sql] == ['"conversation"']


# Each pupil's series on the case page

def test_each_pupil_s_series_lists_every_talk_not_cancelled_under_their_role_talks_together_last(
        app_context, factory):
    aerts, mulder = (factory.pupil(first_name=first, last_name=last) for first, last in (("Anna", "Aerts"),
                                                                                         ("Mo", "Mulder")))
    case, bram = bullying_case(factory, follower=aerts)
    models.Involvement.create(case=case, pupil=mulder, role="follower")
    vera = models.Involvement.get(models.Involvement.case == case, models.Involvement.role == "victim").pupil
    today, mentor = db.today(), demo_user("mentor")

    def row(pupil, days, done=False, cancelled=False):
        day = today + days * DAY
        held = {"held_on": day, "outcome": "going_well", "done_at": at_ten(day), "done_by": mentor} if done else {}
        return models.FollowUp.create(case=case, pupil=pupil, due_on=day,
                                      cancelled_at=db.utcnow() if cancelled else None, **held).id

    cancelled = row(aerts, -30, cancelled=True)  # the first of the list
    together = row(None, -20, done=True)  # from before follow-ups were per pupil
    aerts_held, mulder_held = row(aerts, -10, done=True), row(mulder, -9, done=True)
    vera_held = row(vera, -5, done=True)
    bram_due, vera_planned, aerts_planned = row(bram, 0), row(vera, 2), row(aerts, 7)
    with models.db.atomic():  # Mo was added by mistake; what was recorded with him stays
        corrections.remove_pupil(case, mulder, "Verkeerde leerling.", demo_user("coordinator"))
    follow_ups = list(models.FollowUp.of_case(case))
    assert follow_ups[0].id == cancelled and len(follow_ups) == 8
    groups = followups.by_pupil(case.involved_pupils(), follow_ups, today)
    assert [(group.pupil.first_name if group.pupil else None, group.role, [row.id for row in group.held],
             [row.id for row in group.due], [row.id for row in group.planned]) for group in groups] == [
        ("Vera", "victim", [vera_held], [], [vera_planned]),
        ("Bram", "bully", [], [bram_due], []),
        ("Anna", "follower", [aerts_held], [], [aerts_planned]),
        ("Mo", None, [mulder_held], [], []),  # taken out of the case
        (None, None, [together], [], []),
    ]
