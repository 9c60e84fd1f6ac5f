"""After the agreement: each pupil's follow-up talks, one more chance, escalation proposed per pupil,
measures by phase; the follow-up step completes itself, and every list agrees with it."""
import datetime
import re

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user
from domain import followups, monitor, protocols
from i18n import long_date

DAY = datetime.timedelta(days=1)


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def series_of(case, first_name):
    """A pupil's follow-ups in the case, not cancelled, in the order they are due."""
    return list(models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.pupil == pupil(first_name),
                                               models.FollowUp.cancelled_at.is_null())
                .order_by(models.FollowUp.due_on))


def to_come(case, first_name):
    return [row for row in series_of(case, first_name) if row.done_at is None]


def record(client, follow_up, outcome, note="", held_on=None, with_whom=""):
    prefix = "f%d-" % follow_up.id
    return client.post("/vervolg/%d" % follow_up.id, data={
        prefix + "csrf_token": csrf_token(client, "/dossiers/%d" % follow_up.case_id),
        prefix + "outcome": outcome, prefix + "note": note, prefix + "with_whom": with_whom,
        prefix + "held_on": (held_on or db.today()).isoformat()})


def make_due_today(follow_up, days_ago=0):
    models.FollowUp.update(due_on=db.today() - days_ago * DAY).where(models.FollowUp.id == follow_up.id).execute()
    return models.FollowUp.get_by_id(follow_up.id)


def make_late(app, case, follow_up, days=2):
    """The talk came due `days` ago and was not held; the step follows it (as recording anything would)."""
    follow_up = make_due_today(follow_up, days_ago=days)
    with app.app_context():
        followups.settle_step(case)
    return follow_up


def page_of(client, case):
    return client.get("/dossiers/%d" % case.id).get_data(as_text=True)


def test_each_pupil_of_the_signed_agreement_has_their_own_series_with_the_evaluation_talk(app_context):
    case = demo_case("0001")  # Noor (victim), Daan (bully), Tim (follower) signed; Emma helps
    agreement = models.Agreement.get(models.Agreement.case == case, models.Agreement.status == "locked")
    signed_on = db.local_date(agreement.locked_at)
    expected = sorted(set(followups.series_dates(protocols.get("vo-nl").follow_up_schedule, signed_on))
                      | {agreement.evaluation_on})
    # Daan broke the agreements this morning: Noor and Daan talk again within a week; Tim's talk is today.
    broken = [row for row in series_of(case, "Daan") if row.outcome == "not_kept"]
    assert len(broken) == 1 and broken[0].held_on == db.today()
    check = broken[0].held_on + protocols.get("vo-nl").follow_up_after_broken * DAY
    for name in ("Noor", "Daan", "Tim"):
        rows = series_of(case, name)
        assert [row.due_on for row in rows] == sorted(expected + ([check] if name != "Tim" else []))
        assert [row.due_on for row in rows if row.evaluation] == [agreement.evaluation_on]
        assert rows[-1].due_on >= followups.add_months(signed_on, 22)  # every three months, up to two years
    assert series_of(case, "Emma") == []


def test_broken_once_is_one_more_chance_twice_proposes_the_next_phase_counted_per_pupil(login_as):
    client, case = login_as("mentor"), demo_case("0001")  # Daan broke the agreements once already
    tim = to_come(case, "Tim")[0]  # due today
    response = record(client, tim, "not_kept", "Tim lachte weer mee.")
    assert response.status_code == 302
    page = page_of(client, case)
    assert "nog één kans" in page and "Voorstel: fase" not in page
    # The message stands in the follow-up section the page returns to, not at the top, out of view.
    aftercare = page[page.index('id="aftercare"'):]
    assert "nog één kans" in aftercare[:aftercare.index('class="followups"')] and 'class="flashes"' not in page
    assert followups.pupil_proposals(case) == []  # once for Daan and once for Tim: twice for no one

    daan = make_due_today(to_come(case, "Daan")[0])
    response = record(client, daan, "not_kept", "Daan stuurde Noor weer weg.")
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "opnieuw niet nagekomen" in flashed
    assert "Voorgesteld voor Daan van den Berg: fase 1, Lichte corrigerende maatregel. Daarover beslist: mentor." \
        in flashed
    # The proposal names the pupil, the phase by its title and description, who decides, and offers the button.
    assert "Voorstel: fase 1, Lichte corrigerende maatregel</strong> · voor Daan van den Berg" in flashed
    assert "Daan van den Berg kwam de afspraken opnieuw niet na. Een kleine maatregel" in flashed
    assert "Wie beslist: mentor" in flashed
    assert '?fase=1&amp;leerling=%d#measure">Maatregel vastleggen</a>' % pupil("Daan").id in flashed
    assert [(proposed.first_name, phase) for proposed, phase in followups.pupil_proposals(case)] == [("Daan", 1)]
    event = models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "escalation_proposed")
    assert event.text == "Voorstel: fase 1 (Lichte corrigerende maatregel) voor Daan van den Berg; beslist: mentor"
    home = login_as("coordinator").get("/").get_data(as_text=True)
    assert "Voorstellen tot escalatie" in home
    assert "Daan van den Berg kwam de afspraken opnieuw niet na. Voorstel: fase 1, Lichte corrigerende maatregel" \
        in home and "Wie beslist: mentor" in home
    assert "Tim Kok kwam" not in home
    again = record(client, daan, "going_well")  # the same talk again, as from a second tablet
    assert models.FollowUp.get_by_id(daan.id).outcome == "not_kept" and again.status_code == 409
    assert "Dit vervolggesprek is al vastgelegd." in again.get_data(as_text=True)


def test_the_bullied_pupil_saying_the_agreements_were_broken_proposes_no_phase_for_them(app_context, factory):
    case = demo_case("0001")
    factory.case(bully=pupil("Noor"), victim=factory.pupil())  # what Noor is in another case does not count here
    for talk in to_come(case, "Noor")[:2]:
        with models.db.atomic():
            assert followups.record(make_due_today(talk), demo_user("mentor"), "not_kept", db.today()) == "not_kept"
    assert followups.pupil_proposals(case) == []


def test_a_second_break_plans_no_second_check_on_the_day_one_is_planned_and_checks_belong_to_the_agreement(app_context):
    case = demo_case("0001")  # Daan broke the agreements this morning: Noor and Daan talk again in a week
    agreement = models.Agreement.get(models.Agreement.case == case, models.Agreement.status == "locked")
    check = db.today() + protocols.get("vo-nl").follow_up_after_broken * DAY
    with models.db.atomic():
        followups.record(to_come(case, "Tim")[0], demo_user("mentor"), "not_kept", db.today())
    for name in ("Noor", "Daan", "Tim"):
        checks = [row for row in to_come(case, name) if row.due_on == check]
        assert len(checks) == 1, name
        assert checks[0].agreement_id == agreement.id  # its form shows what was agreed; a new version replaces it
    event = models.CaseEvent.select().where(models.CaseEvent.case == case, models.CaseEvent.kind == "follow_ups_planned"
                                            ).order_by(models.CaseEvent.id.desc()).get()
    assert event.text == "Afspraken niet nagekomen: extra vervolggesprek op %s met Tim Kok" % followups.dutch_day(check)
    assert event.user_id == demo_user("mentor").id


def test_broken_agreements_in_a_case_whose_protocol_is_no_longer_installed_are_kept_without_a_check(app_context):
    case = demo_case("0001")
    models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()  # no longer installed
    tim, planned = to_come(case, "Tim")[0], len(series_of(case, "Tim"))
    with models.db.atomic():
        meaning = followups.record(tim, demo_user("mentor"), "not_kept", db.today(), note="Tim lachte weer mee.")
    assert meaning == "one_more_chance" and models.FollowUp.get_by_id(tim.id).outcome == "not_kept"
    assert len(series_of(case, "Tim")) == planned  # no protocol to say how soon: no extra talk


def test_a_talk_with_the_pupils_together_counts_for_each_and_a_break_in_another_case_not_at_all(app_context, factory):
    case, mentor = demo_case("0001"), demo_user("mentor")  # Daan broke the agreements once already
    other = factory.case(bully=pupil("Tim"), victim=factory.pupil())
    models.FollowUp.create(case=other, pupil=pupil("Tim"), due_on=db.today(), held_on=db.today(),
                           done_at=db.utcnow(), outcome="not_kept")
    with models.db.atomic():
        assert followups.record(to_come(case, "Tim")[0], mentor, "not_kept", db.today()) == "one_more_chance"
    # A talk with Daan and Tim together, from before each pupil had their own: the second break for both.
    together = models.FollowUp.create(case=case, due_on=db.today())
    with models.db.atomic():
        assert followups.record(together, mentor, "not_kept", db.today()) == "escalate"
    assert [(proposed.first_name, phase) for proposed, phase in followups.pupil_proposals(case)] == [
        ("Daan", 1), ("Tim", 1)]


def test_a_break_on_the_day_of_a_measure_is_answered_by_it_no_new_chance_and_no_proposal(app_context):
    from domain import escalation
    case, mentor = demo_case("0001"), demo_user("mentor")  # Daan broke the agreements once already, today
    with models.db.atomic():
        escalation.decide_measure(case, pupil("Daan"), 1, "Een gesprek met de teamleider.", mentor, db.today())
        assert followups.record(make_due_today(to_come(case, "Daan")[0]), mentor, "not_kept", db.today()) == "not_kept"
    event = models.CaseEvent.select().where(models.CaseEvent.case == case, models.CaseEvent.kind == "follow_up"
                                            ).order_by(models.CaseEvent.id.desc()).get()
    assert event.text == "Daan van den Berg: Afspraken niet nagekomen"
    assert followups.pupil_proposals(case) == []


def test_a_follow_up_is_recorded_on_or_after_its_day_on_the_day_the_user_enters(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    tim = make_late(client.application, case, to_come(case, "Tim")[0])  # due two days ago
    before = tim.due_on - DAY
    response = record(client, tim, "going_well", "Gaat prima.", held_on=before)
    html = response.get_data(as_text=True)
    with client.application.test_request_context():
        message = "Dit vervolggesprek staat gepland op %s: leg het vast op of na die dag." % long_date(tim.due_on)
    assert response.status_code == 400
    assert 'id="f%d-held_on-error">%s<' % (tim.id, message) in html  # beside the field
    assert '<a href="#f%d-held_on">%s</a>' % (tim.id, message) in html  # and in the summary at the top
    assert 'value="%s"' % before.isoformat() in html and "Gaat prima.</textarea>" in html  # what was typed stays
    future = record(client, tim, "going_well", held_on=db.today() + DAY)
    assert future.status_code == 400 and "Een gesprek dat nog moet komen kan niet worden vastgelegd." in \
        future.get_data(as_text=True)

    later = to_come(case, "Daan")[0]  # its day is still to come: no form for it, and the server refuses it
    assert later.due_on > db.today() and 'action="/vervolg/%d"' % later.id not in page_of(client, case)
    assert record(client, later, "going_well").status_code == 400
    assert models.FollowUp.get_by_id(later.id).done_at is None

    assert record(client, tim, "going_well", held_on=db.today() - DAY).status_code == 302
    held = models.FollowUp.get_by_id(tim.id)
    assert held.held_on == db.today() - DAY and held.done_by == demo_user("mentor")


def test_a_cancelled_follow_up_or_one_of_a_closed_case_is_not_recorded(app_context):
    case = demo_case("0001")
    tim = to_come(case, "Tim")[0]
    models.FollowUp.update(cancelled_at=db.utcnow()).where(models.FollowUp.id == tim.id).execute()
    with pytest.raises(followups.FollowUpError, match="geannuleerd"):
        followups.record(models.FollowUp.get_by_id(tim.id), demo_user("mentor"), "going_well", db.today())
    noor = make_due_today(to_come(case, "Noor")[0])
    models.Case.update(status="closed").where(models.Case.id == case.id).execute()
    with pytest.raises(followups.FollowUpError, match="gesloten"):
        followups.record(models.FollowUp.get_by_id(noor.id), demo_user("mentor"), "going_well", db.today())
    assert models.FollowUp.get_by_id(noor.id).done_at is None


def test_a_follow_up_with_the_form_filled_on_the_case_page_defaults_to_today(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    tim = to_come(case, "Tim")[0]
    html = page_of(client, case)
    assert re.search(r'id="f%d-held_on"[^>]*value="%s"' % (tim.id, db.today().isoformat()), html)


def test_a_talk_not_held_says_why(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    tim = to_come(case, "Tim")[0]
    response = record(client, tim, "not_held")
    assert response.status_code == 400
    assert 'id="f%d-note-error">Schrijf op waarom het gesprek niet is gehouden.<' % tim.id in \
        response.get_data(as_text=True)
    assert record(client, tim, "not_held", "Tim was op schoolreis.").status_code == 302
    held = models.FollowUp.get_by_id(tim.id)
    assert (held.outcome, held.note) == ("not_held", "Tim was op schoolreis.")
    assert "Niet gehouden" in page_of(client, case)


def test_the_case_page_shows_each_pupil_with_their_own_talks(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    html = page_of(client, case)
    section = html[html.index('id="aftercare"'):html.index("</section>", html.index('id="aftercare"'))]
    names = re.findall(r'class="followups__who"[^>]*>(?:<a class="pupil-link" href="/leerlingen/\d+">)?([^<]+)<',
                       section)  # each name links to the pupil's page
    assert [name.strip() for name in names] == ["Noor Hoekstra", "Daan van den Berg", "Tim Kok"]
    assert section.count("2 gesprekken gehouden") == 2 and "1 gesprek gehouden" in section
    assert "Afspraken niet nagekomen" in section and "evaluatiegesprek" in section


def test_the_follow_up_step_shows_its_next_talk_and_every_list_agrees(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    assert to_come(case, "Tim")[0].due_on == db.today()  # the demo's: due today, not late
    assert case.reference not in client.get("/dossiers/?te_laat=1").get_data(as_text=True)
    tim = make_late(client.application, case, to_come(case, "Tim")[0])  # the earliest talk to come, two days late
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "follow-up")
    assert step.status == "open" and step.due_on == tim.due_on
    with client.application.test_request_context():
        late = long_date(tim.due_on)
    assert "loopt; te laat: vervolggesprek van %s" % late in page_of(client, case)
    home = client.get("/").get_data(as_text=True)
    assert "Vervolggesprek: Tim Kok" in home
    assert '<span class="rows__main">Vervolggesprekken</span>' not in home  # the step is its talks, listed once
    overview = client.get("/dossiers/?te_laat=1").get_data(as_text=True)
    assert case.reference in overview and '#step-follow-up">Vervolggesprekken</a>' in overview
    start, end = db.today() - datetime.timedelta(days=30), db.today() + DAY
    with client.application.test_request_context():
        before = monitor.figures(start, end)["steps_on_time"]

    assert record(client, tim, "going_well").status_code == 302
    step = models.CaseStep.get_by_id(step.id)
    assert step.status == "open" and step.due_on > db.today()  # under way, the next talk still to come
    with client.application.test_request_context():
        assert monitor.figures(start, end)["steps_on_time"] == (before[0], before[1] - 1)
        next_talk = long_date(step.due_on)
    assert "loopt; volgend vervolggesprek %s" % next_talk in page_of(client, case)
    assert "Vervolggesprek: Tim Kok" not in client.get("/").get_data(as_text=True)
    assert case.reference not in client.get("/dossiers/?te_laat=1").get_data(as_text=True)


def test_the_home_page_s_escalation_proposals_agree_with_each_case_and_cost_one_query(login_as):
    """open_proposals answers for the whole school what escalation_proposal says per case, per pupil."""
    from test_scale import add_cases, queries_for
    coordinator = login_as("coordinator")
    coordinator.get("/")
    before = queries_for(coordinator, "/")
    daan, tim, noor = pupil("Daan"), pupil("Tim"), pupil("Noor")
    day = db.today() - datetime.timedelta(days=10)

    def broken(case_id, who, last, times=2):
        for moment in [last - datetime.timedelta(days=3 * n) for n in range(times)]:
            models.FollowUp.create(case=case_id, pupil=who, due_on=moment, held_on=moment, outcome="not_kept",
                                   done_at=datetime.datetime.combine(moment, datetime.time(10)))

    with models.db.atomic():
        fresh, measured, answered, earlier, each_once, together = add_cases(6, 0)
        for case_id in (fresh, measured, answered, earlier, each_once, together):
            models.Involvement.create(case=case_id, pupil=tim, role="follower")
        for case_id in (fresh, measured, answered, earlier):
            broken(case_id, daan, day)
        broken(fresh, tim, day)  # Tim too, in the same case: a proposal of his own
        models.Measure.create(case=measured, pupil=daan, phase=2, description="Apart in de pauze",
                              decided_on=day - datetime.timedelta(days=7))  # before the last broken agreement
        models.Measure.create(case=measured, pupil=tim, phase=4, description="Geschorst",
                              decided_on=day)  # Tim's measure is not Daan's
        models.Measure.create(case=answered, pupil=daan, phase=1, description="Gesprek met ouders",
                              decided_on=day)  # the measure answered it
        models.Measure.create(case=earlier, pupil=daan, phase=5, description="Verwijderd",
                              decided_on=day - datetime.timedelta(days=30))
        broken(each_once, daan, day, times=1)
        broken(each_once, tim, day, times=1)  # once each: one more chance for both
        broken(each_once, noor, day, times=2)  # the bullied pupil's word: no phase for her
        # From before follow-ups were per pupil: two talks with the pupils together, for each who committed.
        broken(together, None, day)
    added = (fresh, measured, answered, earlier, each_once, together)  # beside the demo's case at phase 4
    proposals = {(case.id, who.first_name): phase for case, who, phase in followups.open_pupil_proposals()
                 if case.id in added}
    assert proposals == {(fresh, "Daan"): 1, (fresh, "Tim"): 1, (measured, "Daan"): 3, (earlier, "Daan"): 5,
                         (together, "Daan"): 1, (together, "Tim"): 1}
    by_case = {case.id: phase for case, phase in followups.open_proposals() if case.id in added}
    assert by_case == {fresh: 1, measured: 3, earlier: 5, together: 1}  # where each case stands: its highest
    for case_id in added:
        case = models.Case.get_by_id(case_id)
        assert {(case_id, who.first_name): phase for who, phase in followups.pupil_proposals(case)} == {
            key: phase for key, phase in proposals.items() if key[0] == case_id}
        assert followups.escalation_proposal(case) == by_case.get(case_id)
        assert coordinator.get("/dossiers/%d" % case_id).status_code == 200  # a measured case's page too
    assert queries_for(coordinator, "/") == before  # however many cases are proposed


def test_the_schedule_counts_two_days_a_week_a_month_then_every_three_months_for_two_years(app_context):
    """vo-nl's schedule from 31 January: months without a 31st end on their last day."""
    dates = followups.series_dates(protocols.get("vo-nl").follow_up_schedule, datetime.date(2026, 1, 31))
    assert dates == [datetime.date(*day) for day in (
        (2026, 2, 2), (2026, 2, 7), (2026, 2, 28), (2026, 4, 30), (2026, 7, 31), (2026, 10, 31), (2027, 1, 31),
        (2027, 4, 30), (2027, 7, 31), (2027, 10, 31), (2028, 1, 31))]
    # Days and weeks in one rule add up; the repeating rule counts on from the last fixed talk.
    rules = (protocols.FollowUpRule(days=1, weeks=1), protocols.FollowUpRule(months=2),
             protocols.FollowUpRule(every_months=2, until_months=6))
    assert followups.series_dates(rules, datetime.date(2026, 3, 1)) == [
        datetime.date(2026, 3, 9), datetime.date(2026, 5, 1), datetime.date(2026, 7, 1), datetime.date(2026, 9, 1)]
    assert followups.series_dates((protocols.FollowUpRule(every_months=4, until_months=8),),
                                  datetime.date(2026, 3, 1)) == [datetime.date(2026, 7, 1), datetime.date(2026, 11, 1)]


def test_months_are_added_across_years_and_to_the_last_day_of_a_shorter_month():
    assert followups.add_months(datetime.date(2027, 12, 15), 1) == datetime.date(2028, 1, 15)
    assert followups.add_months(datetime.date(2028, 1, 31), 1) == datetime.date(2028, 2, 29)
    assert followups.add_months(datetime.date(2026, 11, 30), 14) == datetime.date(2028, 1, 30)
    assert followups.add_months(datetime.date(2026, 5, 31), 0) == datetime.date(2026, 5, 31)


def test_a_talk_is_held_on_its_day_or_later_but_never_tomorrow(app_context):
    today = db.today()
    assert followups.held_on_problem(today, today) is None
    assert followups.held_on_problem(today - DAY, today - DAY) is None
    assert followups.held_on_problem(None, today) == "Vul de datum van het gesprek in."
    assert followups.held_on_problem(today + DAY, today) == "Een gesprek dat nog moet komen kan niet worden vastgelegd."
    assert followups.held_on_problem(today - DAY, today) == (
        "Dit vervolggesprek staat gepland op %s: leg het vast op of na die dag." % long_date(today))


def test_the_deciders_are_named_as_a_sentence_names_them(app_context):
    assert followups.dutch_roles(()) == ""
    assert followups.dutch_roles(("mentor",)) == "mentor"
    assert followups.dutch_roles(("mentor", "coordinator")) == "mentor en anti-pestcoördinator"
    assert followups.dutch_roles(("mentor", "coordinator", "mentor")) == \
        "mentor, anti-pestcoördinator en mentor"


def test_a_recorded_talk_is_on_the_timeline_in_words_with_its_note_where_it_says_why(app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")
    noor = [make_due_today(row) for row in to_come(case, "Noor")[:3]]

    def last_event(*kinds):
        events = models.CaseEvent.select().where(models.CaseEvent.case == case)
        if kinds:
            events = events.where(models.CaseEvent.kind.in_(kinds))
        return events.order_by(models.CaseEvent.id.desc()).get()

    with models.db.atomic():
        assert followups.record(noor[0], mentor, "going_well", db.today(), note="  Rustige week.  ") == "ok"
    assert (last_event().kind, last_event().text, last_event().user) == (
        "follow_up", "Noor Hoekstra: Gaat goed: Rustige week.", mentor)
    stored = models.FollowUp.get_by_id(noor[0].id)
    assert (stored.outcome, stored.held_on, stored.done_by, stored.note) == (
        "going_well", db.today(), mentor, "Rustige week.")
    assert stored.done_at is not None
    with pytest.raises(followups.FollowUpError, match="^Schrijf op waarom het gesprek niet is gehouden.$"):
        followups.record(noor[1], mentor, "not_held", db.today(), note="   ")
    with pytest.raises(followups.FollowUpError, match="^Kies of het goed gaat, of de afspraken niet zijn nagekomen, "
                                                      "of dat het gesprek niet is gehouden.$"):
        followups.record(noor[1], mentor, "fine", db.today())
    with models.db.atomic():
        assert followups.record(noor[1], mentor, "not_held", db.today(), note="Ziek.") == "not_held"
    assert last_event().text == "Noor Hoekstra: Niet gehouden: Ziek."
    with models.db.atomic():  # the bullied pupil's word that the agreements were broken: noted, the note not shown
        assert followups.record(noor[2], mentor, "not_kept", db.today(), note="Daan weer.") == "not_kept"
    # (After it, the timeline says when the one more chance is checked: the extra talks it planned.)
    assert last_event("follow_up").text == "Noor Hoekstra: Afspraken niet nagekomen"
    assert last_event().kind == "follow_ups_planned"


def test_a_recorded_talk_keeps_who_was_there_and_its_note_to_their_lengths(app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")
    first, second = (make_due_today(row) for row in to_come(case, "Noor")[:2])
    models.FollowUp.update(with_whom="Noor en haar moeder").where(models.FollowUp.id == first.id).execute()
    first = models.FollowUp.get_by_id(first.id)
    with models.db.atomic():
        followups.record(first, mentor, "going_well", db.today())
        followups.record(second, mentor, "going_well", db.today(), with_whom="w" * 201, note="n" * 5001)
    assert models.FollowUp.get_by_id(first.id).with_whom == "Noor en haar moeder"  # none typed: kept
    stored = models.FollowUp.get_by_id(second.id)
    assert (stored.with_whom, stored.note) == ("w" * 200, "n" * 5000)


@pytest.mark.parametrize("days_ahead, replaces_first", [(3, True), (12, False)])
def test_a_talks_next_appointment_before_the_series_second_talk_is_its_first(app_context, factory, days_ahead,
                                                                              replaces_first):
    """The mentor set the next appointment with the pupils in the joint talk, then they signed: the series does
    not put a second talk in the same days (three days out: the appointment is the first talk; twelve days
    out, after the week's talk, the series stands whole beside it)."""
    from domain import agreements, cases, conversations
    mentor = demo_user("mentor")
    victim, bully = factory.pupil(first_name="Lien"), factory.pupil(first_name="Wout")
    case = factory.case(mentor=mentor, victim=victim, bully=bully)
    moment = db.utcnow() + days_ahead * DAY
    with models.db.atomic():
        cases.sync_steps(case)
        joint = conversations.start(case, "joint-talk", "no-blame-joint-conversation", mentor,
                                    [(victim, victim.display_name, "victim"), (bully, bully.display_name, "bully")])
        conversations.set_appointment(joint, moment, mentor)
        agreement = agreements.draft(case, mentor, joint)
        agreement.locked_at = db.utcnow()
        followups.plan_for_agreement(agreement, mentor)
    dates = followups.series_dates(protocols.get("vo-nl").follow_up_schedule, db.local_date(agreement.locked_at))
    for pupil in (victim, bully):
        rows = list(models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.pupil == pupil,
                                                   models.FollowUp.cancelled_at.is_null())
                    .order_by(models.FollowUp.due_on))
        appointment = [row for row in rows if row.conversation_id == joint.id]
        assert [row.due_on for row in appointment] == [db.local_date(moment)]
        series = [row.due_on for row in rows if row.conversation_id is None and not row.evaluation]
        assert series == (dates[1:] if replaces_first else dates)
        assert appointment[0].agreement_id == (agreement.id if replaces_first else None)


def test_a_new_version_keeps_the_talks_due_on_the_signing_day_or_late_and_cancels_those_to_come(app, login_as):
    """Signing version 2 while Daan's talk is due today and Tim's is two days late: those two check version 1, the
    mentor may be about to hold them and a broken agreement there counts, so they stay open (on the case page and
    home); only the talks still to come give way to version 2's series."""
    from domain import agreements
    with app.app_context():
        case, mentor, due_today, late = _sign_a_second_version_with_talks_due(agreements)
    client = login_as("mentor")
    page = page_of(client, case)
    for kept in (due_today, late):
        assert 'action="/vervolg/%d"' % kept.id in page
    assert "toetst de afspraken van versie 1" in page
    assert record(client, late, "not_kept").status_code == 302  # held: broken there, it counts
    assert models.FollowUp.get_by_id(late.id).outcome == "not_kept"


def _sign_a_second_version_with_talks_due(agreements):
    case, mentor = demo_case("0001"), demo_user("mentor")
    first = models.Agreement.get(models.Agreement.case == case, models.Agreement.status == "locked")
    due_today = make_due_today(to_come(case, "Daan")[0])
    late = make_due_today(to_come(case, "Tim")[0], days_ago=2)
    models.FollowUp.update(due_on=db.today() + DAY).where(  # nothing else of version 1 late: the two are all
        models.FollowUp.case == case, models.FollowUp.done_at.is_null(), models.FollowUp.due_on <= db.today(),
        models.FollowUp.id.not_in([due_today.id, late.id])).execute()
    to_be_replaced = [row.id for row in models.FollowUp.select().where(
        models.FollowUp.case == case, models.FollowUp.done_at.is_null(), models.FollowUp.cancelled_at.is_null(),
        models.FollowUp.due_on > db.today())]
    with models.db.atomic():
        second = agreements.draft(case, mentor)
        agreements.update(second, commitments="Van nu af aan laat Daan Noor meedoen.",
                          evaluation_on=db.today() + 14 * DAY)
        for party in second.parties.order_by(models.AgreementParty.id):
            agreements.sign(second, party, on_paper=True)
    for kept in (due_today, late):
        kept = models.FollowUp.get_by_id(kept.id)
        assert kept.cancelled_at is None and kept.agreement_id == first.id  # tied to the version it checks
    assert models.FollowUp.select().where(models.FollowUp.id.in_(to_be_replaced),
                                          models.FollowUp.cancelled_at.is_null()).count() == 0
    events = [event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case)]
    assert "%d open vervolggesprek(ken) vervangen door die van herstelovereenkomst versie 2" % len(
        to_be_replaced) in events
    assert any(text.startswith("Herstelovereenkomst versie 2: voor ") and text.endswith(
        ". 2 vervolggesprekken die op of vóór de dag van ondertekening gepland stonden, blijven open: ze toetsen de "
        "vorige afspraken") for text in events)
    assert {due_today.id, late.id} <= {row.id for row in followups.due_for(mentor)}  # on the mentor's home page
    return case, mentor, due_today, late


def _under_way():
    """(case reference, step key) of every step whose series has a talk still to come, as the lists ask."""
    return sorted((step.case.reference, step.step_key) for step in models.CaseStep.select(
        models.CaseStep, models.Case).join(models.Case).where(followups.steps_under_way()))


def test_a_step_is_under_way_only_for_its_own_protocols_and_an_open_talk_of_its_own_series(app_context, monkeypatch):
    # 0001, 0003 and 0004 (vo-nl) have talks to come; 0014 (closed) has them all recorded; 0002 (online pesten
    # beside vo-nl) has none yet.
    assert _under_way() == [("2026-0001", "follow-up"), ("2026-0003", "follow-up"), ("2026-0004", "follow-up")]
    two = demo_case("0002")
    conversation = models.Conversation.create(case=two, step_key="bully-talk", template_key="bully-talk", title="T")
    models.FollowUp.create(case=two, pupil=pupil("Daan"), due_on=db.today(), conversation=conversation)
    models.FollowUp.create(case=two, pupil=pupil("Daan"), due_on=db.today(), cancelled_at=db.utcnow())
    # A step left from online pesten, as if it had been the second protocol of 0003: not 0003's series now.
    models.CaseStep.create(case=demo_case("0003"), step_key="online-pesten:evaluation", status="open")
    assert _under_way() == [("2026-0001", "follow-up"), ("2026-0003", "follow-up"), ("2026-0004", "follow-up")]
    models.FollowUp.create(case=two, pupil=pupil("Daan"), due_on=db.today())
    assert _under_way() == [("2026-0001", "follow-up"), ("2026-0002", "evaluation"), ("2026-0002", "vo-nl:follow-up"),
                            ("2026-0003", "follow-up"), ("2026-0004", "follow-up")]
    steps = models.CaseStep.select(models.CaseStep, models.Case).join(models.Case)
    monkeypatch.setattr(followups, "series_step_rules", lambda: ())  # no protocol with a series
    assert steps.where(followups.steps_under_way()).count() == 0
    assert steps.where(~followups.steps_under_way()).count() == models.CaseStep.select().count()


def test_the_follow_up_step_is_settled_as_its_series_stands_and_planned_from_the_protocol_by_whom(app_context):
    mentor, coordinator = demo_user("mentor"), demo_user("coordinator")
    two = demo_case("0002")  # online pesten beside vo-nl: its steps open, no series yet
    assert followups.settle_step(two).step_key == "evaluation"  # nothing planned without the day it counts from
    assert models.FollowUp.select().where(models.FollowUp.case == two).count() == 0
    anchor = db.today() - 3 * DAY
    assert followups.settle_step(two, coordinator, anchor=anchor).step_key == "evaluation"
    rows = list(models.FollowUp.select().where(models.FollowUp.case == two).order_by(models.FollowUp.id))
    assert [row.pupil.first_name for row in rows[::len(rows) // 3]] == ["Lotte", "Sem", "Milan"]
    planned = models.CaseEvent.select().where(models.CaseEvent.case == two,
                                              models.CaseEvent.kind == "follow_ups_planned").get()
    assert planned.text == "Volgens het protocol: voor Lotte van Dijk, Sem Jansen, Milan Peters, tot %s" % (
        followups.dutch_day(max(row.due_on for row in rows)))
    assert planned.user_id == coordinator.id

    three = demo_case("0003")  # a series with talks to come; its follow-up step set aside
    step = models.CaseStep.get(models.CaseStep.case == three, models.CaseStep.step_key == "follow-up")
    models.CaseStep.update(status="not_applicable", due_on=None).where(models.CaseStep.id == step.id).execute()
    assert followups.settle_step(three).id == step.id
    step = models.CaseStep.get_by_id(step.id)
    assert (step.status, step.due_on) == ("not_applicable", None)

    four = demo_case("0004")  # every talk to come recorded now, the last by the coordinator
    talks = list(followups._series(four).where(models.FollowUp.done_at.is_null()).order_by(models.FollowUp.due_on))
    assert len(talks) >= 2
    minute, start = datetime.timedelta(minutes=1), db.utcnow().replace(microsecond=0) - datetime.timedelta(hours=1)
    for number, talk in enumerate(talks):
        models.FollowUp.update(done_at=start + number * minute, outcome="going_well",
                               done_by=coordinator if talk == talks[-1] else mentor).where(
            models.FollowUp.id == talk.id).execute()
    events = models.CaseEvent.select().where(models.CaseEvent.case == four, models.CaseEvent.kind == "step_done")
    before = events.count()
    assert followups.settle_step(four, mentor).step_key == "follow-up"
    step = models.CaseStep.get(models.CaseStep.case == four, models.CaseStep.step_key == "follow-up")
    assert (step.status, step.done_at, step.done_by_id, step.due_on) == (
        "done", start + (len(talks) - 1) * minute, coordinator.id, talks[-1].due_on)
    done = events.order_by(models.CaseEvent.id.desc()).first()
    assert (events.count(), done.text, done.user_id) == (
        before + 1, "Vervolggesprekken: elk vervolggesprek is vastgelegd", mentor.id)
    followups.settle_step(four, coordinator)  # done already: said once
    assert events.count() == before + 1


def test_the_school_s_proposals_count_the_day_held_and_measures_not_refused_in_open_cases_by_case_and_name(
        app_context):
    from test_scale import add_cases
    day = db.today() - 10 * DAY

    def broken(case_id, who, held_on=None, recorded=None):
        for back in (0, 3):
            moment = (held_on or recorded) - back * DAY
            models.FollowUp.create(case=case_id, pupil=who, due_on=moment, held_on=held_on and moment,
                                   outcome="not_kept", done_at=datetime.datetime.combine(recorded or moment,
                                                                                         datetime.time(10)))

    first, second, third, closed, late, unheld = added = add_cases(6, 0)
    models.Involvement.create(case=first, pupil=pupil("Tim"), role="follower")
    broken(first, pupil("Tim"), day)  # Kok, in the first case, before van den Berg in the second
    broken(second, pupil("Daan"), day)
    models.Measure.create(case=second, pupil=pupil("Daan"), phase=3, description="Geschorst", decided_on=day,
                          refused_at=db.utcnow())  # refused: not taken, the proposal stands
    for name, role in (("Sem", "bully"), ("Ayoub", "follower")):  # Jansen and Benali, by name
        models.Involvement.create(case=third, pupil=pupil(name), role=role)
        broken(third, pupil(name), day)
    broken(closed, pupil("Daan"), day)
    models.Case.update(status="closed").where(models.Case.id == closed).execute()
    broken(late, pupil("Daan"), day - 10 * DAY, recorded=day)  # held before the measure, recorded after it
    broken(unheld, pupil("Daan"), recorded=day)  # recorded before talks had their day
    for case_id, phase in ((late, 1), (unheld, 2)):
        models.Measure.create(case=case_id, pupil=pupil("Daan"), phase=phase, description="Gesprek",
                              decided_on=day - 7 * DAY)
    assert [(case.id, who.first_name, phase) for case, who, phase in followups.open_pupil_proposals()
            if case.id in added] == [(first, "Tim", 1), (second, "Daan", 1), (third, "Ayoub", 1), (third, "Sem", 1),
                                     (unheld, "Daan", 3)]


def test_the_mentor_s_talks_due_are_open_ones_of_open_cases_within_a_week_with_or_without_a_pupil(app_context):
    mentor, one, closed = demo_user("mentor"), demo_case("0001"), demo_case("0014")
    models.Case.update(mentor=mentor).where(models.Case.id == closed.id).execute()
    before = followups.due_for(mentor)
    assert before and all(row.case.status == "open" and row.case.mentor_id == mentor.id for row in before)
    together = models.FollowUp.create(case=one, due_on=db.today() + 7 * DAY)  # with the pupils together
    later = models.FollowUp.create(case=one, pupil=pupil("Tim"), due_on=db.today() + 8 * DAY)
    cancelled = models.FollowUp.create(case=one, pupil=pupil("Tim"), due_on=db.today(), cancelled_at=db.utcnow())
    of_closed = models.FollowUp.create(case=closed, pupil=closed.involved_pupils()[0].pupil, due_on=db.today())
    after = followups.due_for(mentor)
    assert [row.id for row in after] == [row.id for row in sorted(
        before + [together], key=lambda row: (row.due_on, row.case.reference, row.id))]
    assert (after[-1].id, after[-1].pupil, after[-1].case.reference) == (together.id, None, "2026-0001")
    assert {later.id, cancelled.id, of_closed.id}.isdisjoint(row.id for row in after)
    assert later.id in [row.id for row in followups.due_for(mentor, horizon_days=8)]
    from sql_log import recorded_sql
    with recorded_sql() as statements:  # each with its case and pupil: the home page asks no more
        assert len({(row.case.reference, row.pupil and row.pupil.first_name) for row in followups.due_for(mentor)}) > 1
    assert len(statements) <= 1


def test_a_refused_measure_sets_no_phase_and_a_series_counts_from_the_day_its_step_s_deadline_gives(app_context):
    from test_scale import add_cases
    case = models.Case.get_by_id(add_cases(1, 0)[0])
    models.Measure.create(case=case, pupil=pupil("Daan"), phase=3, description="Geschorst", decided_on=db.today(),
                          waiting_for="director", refused_at=db.utcnow())
    followups.sync_escalation(case)
    case = models.Case.get_by_id(case.id)
    assert (case.escalation_phase, case.escalation_deciders) == (None, "")
    assert followups.series_anchor(None, case, {"follow-up": db.today()}) is None
    # A protocol whose follow-up step comes due sooner after the talk for serious bullying: the anchor follows it.
    import dataclasses
    own = protocols.get("vo-nl")
    sooner = protocols.Deadline(days=2, after="joint-talk", if_serious=protocols.Deadline(days=7, after="signal"))
    edited = dataclasses.replace(own, steps=tuple(dataclasses.replace(step, deadline=sooner)
                                                  if step.key == "follow-up" else step for step in own.steps))
    dates = {"follow-up": db.today()}
    assert [followups.series_anchor(edited, demo_case(reference), dates) for reference in ("0001", "0004")] == [
        db.today() - 2 * DAY, db.today() - 7 * DAY]  # normal, serious


def test_the_series_rules_are_worked_out_once_per_set_of_protocols_and_again_when_one_changes(app_context,
                                                                                               monkeypatch):
    import collections
    import dataclasses
    monkeypatch.setattr(followups, "_SERIES_STEP_RULES", collections.OrderedDict())
    rules = followups.series_step_rules()
    assert ("vo-nl", None, "follow-up") in rules and followups.series_step_rules() is rules  # kept
    registry = protocols.registry()
    own = registry["vo-nl"]
    steps = tuple(dataclasses.replace(step, shared="") if step.shared == "follow-up" else step for step in own.steps)
    registry["vo-nl"] = dataclasses.replace(own, follow_up_step="", follow_up_with=(), follow_up_schedule=(),
                                            steps=steps)
    try:  # the school edits its protocol in place: no series any more
        assert [rule for rule in followups.series_step_rules() if rule[0] == "vo-nl"] == [
            ("vo-nl", "online-pesten", "online-pesten:evaluation"),
            ("vo-nl", "stappenplan-vl", "stappenplan-vl:follow-up")]
    finally:
        registry["vo-nl"] = own
    assert followups.series_step_rules() is rules
    kept = followups._SERIES_STEP_RULES
    keys, others = [], [dataclasses.replace(own, key="eigen-%d" % number) for number in range(17)]
    for number, other in enumerate(others):  # as many apps as a test process builds, and one more: the oldest goes
        monkeypatch.setattr(protocols, "registry", lambda other=other: {other.key: other})
        assert followups.series_step_rules() == ((other.key, None, "follow-up"),)
        keys.append(next(reversed(kept)))
    assert list(kept) == keys[1:]
