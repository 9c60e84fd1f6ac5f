"""After broken agreements: the one more chance is checked soon (the protocol's follow_up_after_broken), and
after a measure the parents of the pupil it concerns and of the bullied pupil hear of it (parents_after_measure)."""
import datetime

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user
from domain import escalation, followups, protocols
from domain.followups import dutch_day as long_date

DAY = datetime.timedelta(days=1)


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def to_come(case, first_name):
    return list(models.FollowUp.select().where(
        models.FollowUp.case == case, models.FollowUp.pupil == pupil(first_name),
        models.FollowUp.cancelled_at.is_null(), models.FollowUp.conversation.is_null(),
        models.FollowUp.done_at.is_null()).order_by(models.FollowUp.due_on))


def record(client, follow_up, outcome, note=""):
    prefix = "f%d-" % follow_up.id
    return client.post("/vervolg/%d" % follow_up.id, data={
        prefix + "csrf_token": csrf_token(client, "/dossiers/%d" % follow_up.case_id),
        prefix + "outcome": outcome, prefix + "note": note, prefix + "with_whom": "",
        prefix + "held_on": db.today().isoformat()}, follow_redirects=True)


def due_today(follow_up, days=0):
    models.FollowUp.update(due_on=db.today() + days * DAY).where(models.FollowUp.id == follow_up.id).execute()
    return models.FollowUp.get_by_id(follow_up.id)


def test_the_protocols_say_how_soon_broken_agreements_are_checked_and_when_parents_hear_of_a_measure(app_context):
    for key in ("vo-nl", "stappenplan-vl", "online-pesten"):
        protocol = protocols.get(key)
        assert protocol.follow_up_after_broken == 7
        assert protocol.parents_after_measure == protocols.ParentsRule(days=7, of=("pupil", "victim"))


def test_broken_agreements_bring_each_pupil_s_next_talk_within_a_week_not_months_on(login_as):
    client, case = login_as("mentor"), demo_case("0004")  # Yara's talks are three months apart by now
    yara, luuk = to_come(case, "Yara")[0], to_come(case, "Luuk")[0]
    assert yara.due_on > db.today() + 30 * DAY  # the schedule's next talk, in the second half of the two years
    yara = due_today(yara)
    luuk = due_today(luuk, days=3)  # Luuk's own next talk is sooner than a week: he keeps it, no extra one
    page = record(client, yara, "not_kept", "Yara wachtte Luuk weer op.").get_data(as_text=True)
    week = db.today() + 7 * DAY
    assert [row.due_on for row in to_come(case, "Yara")][:1] == [week]
    assert to_come(case, "Luuk")[0].id == luuk.id
    assert week not in {row.due_on for row in to_come(case, "Luuk")}
    extra = to_come(case, "Yara")[0]
    assert extra.agreement_id == yara.agreement_id and not extra.evaluation
    assert "Extra vervolggesprek gepland op" in page and "Yara" in page[page.index("Extra vervolggesprek"):][:200]
    event = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                            models.CaseEvent.kind == "follow_ups_planned").order_by(
        models.CaseEvent.id.desc()).get()
    assert event.text.startswith("Afspraken niet nagekomen: extra vervolggesprek op") and "Yara" in event.text
    assert "Luuk" not in event.text
    # The follow-up step shows the next talk: the extra one or Luuk's, whichever is sooner.
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "follow-up")
    assert step.due_on == luuk.due_on


def test_a_talk_that_goes_well_plans_nothing_extra(login_as):
    client, case = login_as("mentor"), demo_case("0004")
    yara = due_today(to_come(case, "Yara")[0])
    before = [row.due_on for row in to_come(case, "Yara")][1:]
    page = record(client, yara, "going_well").get_data(as_text=True)
    assert [row.due_on for row in to_come(case, "Yara")] == before
    assert "Extra vervolggesprek" not in page


def test_a_break_at_the_last_talk_of_the_series_opens_the_follow_up_step_again(login_as):
    client, case = login_as("mentor"), demo_case("0001")  # Noor, Daan and Tim each have their series
    for name in ("Noor", "Daan", "Tim"):  # every talk but Daan's last one recorded
        rows = to_come(case, name)
        models.FollowUp.update(done_at=db.utcnow(), held_on=db.today() - DAY, outcome="going_well").where(
            models.FollowUp.id.in_([row.id for row in rows if name != "Daan" or row.id != rows[-1].id])).execute()
    last = due_today(to_come(case, "Daan")[-1])
    record(client, last, "not_kept")
    week = db.today() + 7 * DAY
    for name in ("Noor", "Daan", "Tim"):  # the agreements broke: everyone of the series talks again within a week
        assert [row.due_on for row in to_come(case, name)] == [week]
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "follow-up")
    assert step.status == "open" and step.due_on == week


def post_parent_contact(client, case, pupil_id, on=None):
    data = {"parent-" + name: value for name, value in {
        "pupil": pupil_id, "channel": "phone", "contacted_on": (on or db.today()).isoformat(),
        "by_user": models.User.by_username("mentor").id, "summary": "Gebeld over de maatregel.", "agreed": ""}.items()}
    data["parent-csrf_token"] = csrf_token(client, "/account/")
    return client.post("/dossiers/%d/oudercontacten/nieuw" % case.id, data=data)


def test_after_a_measure_the_parents_who_have_not_heard_of_it_are_on_the_case_s_to_do_until_a_contact(login_as):
    client, case = login_as("mentor"), demo_case("0004")  # Yara's parents heard of phases 1 to 3, Luuk's not of 3
    third = models.Measure.get(models.Measure.case == case, models.Measure.phase == 3)
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    todo = page[page.index('id="next"'):page.index("</section>", page.index('id="next"'))]
    assert "Ouders van Luuk Dekker inlichten over de maatregel (fase 3)" in todo
    assert "Ouders van Yara" not in todo
    assert 'href="/dossiers/%d/oudercontacten/nieuw?leerling=%d"' % (case.id, pupil("Luuk").id) in todo
    assert "te laat: uiterlijk %s" % long_date(third.decided_on + 7 * DAY) in todo
    assert "Ouders nog niet ingelicht over een maatregel" in page  # beside the measures too
    form = client.get("/dossiers/%d/oudercontacten/nieuw?leerling=%d" % (case.id, pupil("Luuk").id))
    assert '<option selected value="%d">Luuk Dekker</option>' % pupil("Luuk").id in form.get_data(as_text=True)
    # A contact from before the measure does not count; one on or after its day does.
    assert post_parent_contact(client, case, pupil("Luuk").id, on=third.decided_on - DAY).status_code == 302
    assert "Ouders van Luuk Dekker inlichten" in client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert post_parent_contact(client, case, pupil("Luuk").id, on=third.decided_on).status_code == 302
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "inlichten over de maatregel" not in page and "Ouders nog niet ingelicht" not in page


def test_a_measure_that_waits_for_a_second_role_asks_for_the_parents_once_decided(login_as):
    case, yara = demo_case("0004"), pupil("Yara")
    teamleader = login_as("teamleader")
    assert teamleader.post("/dossiers/%d/maatregelen" % case.id, data={
        "pupil": yara.id, "phase": 4, "description": "Eén dag schorsing.", "decided_on": db.today().isoformat(),
        "informed": "", "csrf_token": csrf_token(teamleader, "/dossiers/%d" % case.id)}).status_code == 302
    with_app = models.Measure.get(models.Measure.case == case, models.Measure.phase == 4)
    mentor = login_as("mentor")
    page = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Ouders van Yara Öztürk inlichten" not in page  # not decided yet
    management = login_as("management")
    assert management.post("/maatregelen/%d/akkoord" % with_app.id, data={
        "csrf_token": csrf_token(management, "/dossiers/%d" % case.id)}).status_code == 302
    todo = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
    todo = todo[todo.index('id="next"'):todo.index("</section>", todo.index('id="next"'))]
    week = long_date(db.today() + 7 * DAY)
    assert "Ouders van Yara Öztürk inlichten over de maatregel (fase 4)" in todo
    assert "Ouders van Luuk Dekker inlichten over de maatregel (fase 4)" in todo  # the bullied pupil's too
    assert "uiterlijk %s" % week in todo
    # Management decides nothing on the case but phases: no parent contact to record, no such to-do.
    page = management.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "inlichten over de maatregel" not in page[page.index('id="next"'):page.index('id="next"') + 3000]


def test_parents_to_hear_of_a_measure_decided_today_are_on_the_home_page_at_once(app_context, login_as):
    """Due in a week, within the home page's horizon from the day it was decided."""
    case, sem = demo_case("0002"), pupil("Sem")
    coordinator = login_as("coordinator")
    assert "Ouders van Sem" not in coordinator.get("/").get_data(as_text=True)
    with models.db.atomic():
        escalation.decide_measure(case, sem, 2, "Nablijven en een gesprek.", models.User.by_username("coordinator"),
                                  db.today())
    assert "Ouders van Sem" in coordinator.get("/").get_data(as_text=True)


def test_only_a_contact_in_the_measure_s_own_case_tells_the_parents_of_it(app_context, factory):
    """Luuk's parents, told of another case (Luuk is in two), have not heard of this case's measure."""
    case, luuk = demo_case("0004"), pupil("Luuk")
    other = factory.case(victim=luuk, bully=pupil("Sem"))
    assert "Luuk" in [item.pupil.first_name for item in escalation.parents_to_inform(case)]
    models.ParentContact.create(case=other, pupil=luuk, channel="phone", contacted_on=db.today(),
                                summary="Over de andere zaak.")
    assert "Luuk" in [item.pupil.first_name for item in escalation.parents_to_inform(case)]
    models.ParentContact.create(case=case, pupil=luuk, channel="phone", contacted_on=db.today(), summary="Fase 3.")
    assert "Luuk" not in [item.pupil.first_name for item in escalation.parents_to_inform(case)]


def test_a_measure_still_waiting_holds_back_no_measure_decided_after_it(app_context, factory):
    """A measure waiting for its second deciding role asks for no parents yet; one decided after it does."""
    victim, bully, follower = pupil("Yara"), pupil("Sem"), pupil("Luuk")
    case = factory.case(victim=victim, bully=bully, follower=follower)
    models.Measure.create(case=case, pupil=bully, phase=4, description="Schorsing", decided_on=db.today(),
                          waiting_for="management")
    assert escalation.parents_to_inform(case) == []
    models.Measure.create(case=case, pupil=follower, phase=1, description="Strafwerk", decided_on=db.today())
    assert sorted(item.pupil.first_name for item in escalation.parents_to_inform(case)) == ["Luuk", "Yara"]


def test_parents_not_told_of_two_measures_hear_of_the_latest_by_the_day_the_first_was_due_in_the_case_s_order(
        app_context, factory):
    """Two measures the parents have not heard of: the to-do names the latest, late since the earliest's day;
    the parents due on one day in the case's order of pupils."""
    victim, bully = pupil("Sem"), pupil("Yara")
    case = factory.case(victim=victim, bully=bully, opened=db.utcnow() - 30 * DAY)
    first_day = db.today() - 10 * DAY
    models.Measure.create(case=case, pupil=bully, phase=1, description="Strafwerk", decided_on=first_day)
    models.Measure.create(case=case, pupil=bully, phase=2, description="Gesprek", decided_on=db.today())
    # Due the same day, in the case's order of pupils (by name): Sem's parents before Yara's.
    assert [(item.pupil.first_name, item.measure.phase, item.due_on) for item in escalation.parents_to_inform(case)
            ] == [("Sem", 2, first_day + 7 * DAY), ("Yara", 2, first_day + 7 * DAY)]


def test_a_case_whose_protocol_is_no_longer_installed_has_no_phases_and_no_parents_to_inform(app_context):
    """No protocol to say who decides or which parents hear of a measure: nothing to decide, nothing asked,
    rather than an error on every page that shows the case."""
    case = demo_case("0004")  # measures taken, Luuk's parents not told of phase 3
    assert escalation.parents_to_inform(case) and escalation.phases_for(models.User.by_username("coordinator"), case)
    models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()  # no longer installed
    case = models.Case.get_by_id(case.id)
    assert escalation.phases_for(models.User.by_username("coordinator"), case) == []
    assert escalation.parents_to_inform(case) == []


def test_the_online_case_asks_for_the_bullied_pupil_s_parents_after_the_coordinator_s_talk_with_sem_s(app_context):
    case = demo_case("0002")  # phase 2 was a talk with Sem's parents, recorded as a parent contact; Lotte's wait
    from domain import escalation
    assert [(item.pupil.first_name, item.measure.phase) for item in escalation.parents_to_inform(case)] == [
        ("Lotte", 2)]


def test_the_home_page_lists_the_parents_to_inform_for_the_case_s_mentor_and_the_coordinator(login_as):
    case, luuk = demo_case("0004"), pupil("Luuk")
    link = 'href="/dossiers/%d/oudercontacten/nieuw?leerling=%d"' % (case.id, luuk.id)
    for username in ("mentor", "coordinator"):
        home = login_as(username).get("/").get_data(as_text=True)
        assert link in home and "Ouders van Luuk Dekker inlichten over de maatregel (fase 3)" in home
    for username in ("mentor2", "teamleader", "management", "support"):  # not their case, or no parent contacts
        assert "inlichten over de maatregel" not in login_as(username).get("/").get_data(as_text=True)


def test_whoever_records_parent_contacts_reads_to_whom_and_how_parents_go_who_find_it_badly_handled(login_as):
    case = demo_case("0004")
    route = "Vertrouwenspersoon: Peter Hendriks · Via de receptie of vertrouwenspersoon@hetbaken.example."
    mentor, form = login_as("mentor"), "/dossiers/%d/oudercontacten/nieuw" % case.id
    # The form the case page loads in place (htmx) and its own page both say it, beside the form.
    fragment = mentor.get(form, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ouders niet tevreden over de aanpak?" in fragment and route in fragment
    assert "<html" not in fragment and 'id="parents"' in mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert route in mentor.get(form).get_data(as_text=True)
    assert login_as("teamleader").get(form).status_code in (403, 404)  # reads the case, records no parent contacts
    models.UserRole.delete().where(models.UserRole.role == "counsellor").execute()
    page = mentor.get(form).get_data(as_text=True)
    assert route not in page and "Er is nog geen vertrouwenspersoon in Herstel." in page


def test_the_follow_up_talks_show_what_was_agreed_in_the_agreement_that_stands(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    signed = models.Agreement.get(models.Agreement.case == case, models.Agreement.status == "locked")
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    aftercare = page[page.index('id="aftercare"'):]
    agreed = aftercare[aftercare.index('id="agreed"'):aftercare.index('class="followups"')]
    assert "Wat is afgesproken" in agreed and "Herstelovereenkomst versie %d" % signed.version in agreed
    for line in [line.strip() for line in signed.commitments.splitlines() if line.strip()]:
        assert "<li>%s</li>" % line in agreed
    assert signed.restorative_act in agreed
    # A draft of a new version changes nothing until it is signed; the case without a signed one shows none.
    models.Agreement.create(case=case, version=signed.version + 1,
                            commitments="Nieuwe afspraak die nog niemand tekende.")
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Herstelovereenkomst versie %d" % signed.version in page and "Nieuwe afspraak" not in page
    other = login_as("mentor2").get("/dossiers/%d" % demo_case("0003").id).get_data(as_text=True)
    assert 'class="followups"' in other and 'id="agreed"' not in other  # talks planned, only a draft agreement


def test_the_digest_tells_the_mentor_and_the_coordinator_by_case_number_when_parents_are_due_to_hear(app_context):
    from domain import notify
    case = demo_case("0004")
    third = models.Measure.get(models.Measure.case == case, models.Measure.phase == 3)

    def told(on):
        return {entry["user"].username for entry in notify.digests(on) if case.reference in entry["parents"]}

    assert told(db.today()) == set()  # Luuk's parents were due months ago: told once, the day it became late
    assert told(third.decided_on + 8 * DAY) == {"mentor", "coordinator"}  # overdue since that day
    assert told(third.decided_on + 6 * DAY) == {"mentor", "coordinator"}  # due tomorrow
    assert told(third.decided_on + 3 * DAY) == set()


def support_group_case(factory, approach_at):
    """A Flemish case under the support group, chosen at `approach_at`, with the bully Wout: the switch's rule."""
    from domain import cases
    mentor = demo_user("mentor")
    wout = factory.pupil(first_name="Wout")
    case = factory.case(mentor=mentor, protocol="stappenplan-vl", victim=factory.pupil(first_name="Lien"), bully=wout)
    with models.db.atomic():
        cases.set_approach(case, "non_confrontational", "group", demo_user("coordinator"))
    models.CaseEvent.update(at=approach_at).where(models.CaseEvent.case == case).execute()
    return models.Case.get_by_id(case.id), wout


def timeline(case, kind):
    return [event.text for event in models.CaseEvent.select().where(
        models.CaseEvent.case == case, models.CaseEvent.kind == kind).order_by(models.CaseEvent.id)]


def test_a_talk_s_appointment_from_the_signing_day_to_the_series_second_talk_is_its_first_unless_the_evaluation_is(
        app_context, factory):
    """The appointment takes the first talk's place on the signing day and on the second talk's day, not the day
    before or after; only the agreement it now checks is written to it. Not when the first talk is the evaluation."""
    anna, bram, cas, dirk, eva = (factory.pupil(first_name=name) for name in ("Anna", "Bram", "Cas", "Dirk", "Eva"))
    case = factory.case(victim=anna, bully=bram, follower=cas)
    agreement = models.Agreement.create(case=case, status="locked", locked_at=db.utcnow())
    start, schedule = db.today(), protocols.get("vo-nl").follow_up_schedule
    dates = followups.series_dates(schedule, start)
    assert dates[:3] == [start + 2 * DAY, start + 7 * DAY, followups.add_months(start, 1)]
    days = {anna: start, bram: dates[1], cas: start - DAY, dirk: dates[1] + DAY, eva: start}
    appointments = {who.id: models.FollowUp.create(case=case, pupil=who, due_on=day) for who, day in days.items()}
    # Meanwhile the mentor noted who comes to Anna's talk: the row read before keeps it.
    models.FollowUp.update(with_whom="Anna en haar vader").where(
        models.FollowUp.id == appointments[anna.id].id).execute()
    with models.db.atomic():
        rows = followups._plan(case, [anna, bram, cas, dirk], start, schedule, agreement, None, appointments)
        rows += followups._plan(case, [eva], start, schedule, agreement, dates[0], appointments)
    for who, planned, tied in ((anna, dates[1:], agreement.id), (bram, dates[1:], agreement.id),
                               (cas, dates, None), (dirk, dates, None), (eva, dates, None)):
        assert [row.due_on for row in rows if row.pupil_id == who.id] == planned, who.first_name
        assert models.FollowUp.get_by_id(appointments[who.id].id).agreement_id == tied, who.first_name
    assert [(row.pupil_id, row.due_on) for row in rows if row.evaluation] == [(eva.id, dates[0])]
    assert models.FollowUp.get_by_id(appointments[anna.id].id).with_whom == "Anna en haar vader"


def test_the_timeline_says_for_whom_until_when_and_the_evaluation_talk_of_a_planned_series(app_context):
    noor, daan = pupil("Noor"), pupil("Daan")
    rows = [models.FollowUp(due_on=datetime.date(2026, 3, 2)), models.FollowUp(due_on=datetime.date(2028, 1, 31)),
            models.FollowUp(due_on=datetime.date(2026, 4, 1), evaluation=True),
            models.FollowUp(due_on=datetime.date(2027, 6, 5))]
    assert followups._series_summary([noor, daan], rows) == (
        "voor Noor Hoekstra, Daan van den Berg, tot 31 januari 2028; evaluatiegesprek op 1 april 2026")
    assert followups._series_summary([daan], rows[:2] + rows[3:]) == "voor Daan van den Berg, tot 31 januari 2028"


def test_recording_a_talk_refuses_in_exact_words_and_writes_the_timeline_s_exact_words(app_context):
    case, mentor = demo_case("0001"), demo_user("mentor")  # Daan broke the agreements this morning, Tim not yet

    def refusal(talk):
        with pytest.raises(followups.FollowUpError) as refused:
            followups.record(talk, mentor, "going_well", db.today())
        return str(refused.value)

    assert [row.pupil.first_name for row in models.FollowUp.select().where(
        models.FollowUp.case == case, models.FollowUp.outcome == "not_kept")] == ["Daan"]
    tim, daan, noor = to_come(case, "Tim")[0], due_today(to_come(case, "Daan")[0]), due_today(to_come(case, "Noor")[0])
    assert tim.due_on == db.today()
    joint = models.FollowUp.create(case=case, due_on=db.today())  # with the pupils together, as before
    with models.db.atomic():
        assert followups.record(noor, mentor, "going_well", db.today()) == "ok"  # no note typed
        assert followups.record(joint, mentor, "going_well", db.today()) == "ok"
        assert followups.record(tim, mentor, "not_kept", db.today()) == "one_more_chance"
        assert followups.record(daan, mentor, "not_kept", db.today()) == "escalate"
    assert models.FollowUp.get_by_id(noor.id).note == ""
    assert timeline(case, "follow_up")[-4:] == [
        "Noor Hoekstra: Gaat goed", "Gaat goed", "Tim Kok: Afspraken niet nagekomen: nog één kans",
        "Daan van den Berg: Afspraken opnieuw niet nagekomen"]
    assert refusal(models.FollowUp.get_by_id(daan.id)) == "Dit vervolggesprek is al vastgelegd."
    cancelled = to_come(case, "Noor")[0]
    models.FollowUp.update(cancelled_at=db.utcnow()).where(models.FollowUp.id == cancelled.id).execute()
    assert refusal(models.FollowUp.get_by_id(cancelled.id)) == (
        "Dit vervolggesprek is geannuleerd: een nieuwe herstelovereenkomst verving het.")
    models.Case.update(status="closed").where(models.Case.id == case.id).execute()
    assert refusal(models.FollowUp.get_by_id(to_come(case, "Tim")[0].id)) == "Dit dossier is gesloten."
    # A phase the protocol does not have is proposed by its number alone.
    assert followups.proposal_text(case, daan.pupil, 6) == "Voorstel: fase 6 voor Daan van den Berg"


def test_a_talk_that_goes_well_after_the_switch_was_proposed_proposes_it_no_second_time(app_context, factory):
    case, wout = support_group_case(factory, db.utcnow() - DAY)
    mentor = demo_user("mentor")
    for outcome in ("not_kept", "going_well", "not_held"):
        talk = models.FollowUp.create(case=case, pupil=wout, due_on=db.today())
        with models.db.atomic():
            followups.record(talk, mentor, outcome, db.today(), note="Ziek.")
    assert timeline(case, "approach_switch_proposed") == [
        "Overschakelen op de confronterende aanpak; beslist: anti-pestcoördinator"]


def test_the_switch_counts_this_case_s_talks_recorded_after_its_own_last_approach_and_not_cancelled(
        app_context, factory):
    now = db.utcnow()
    chosen = now - 3 * datetime.timedelta(hours=1)
    case, wout = support_group_case(factory, chosen)

    def broken(done_at, **fields):
        return models.FollowUp.create(case=case, pupil=wout, due_on=db.today() - DAY, held_on=db.today() - DAY,
                                      done_at=done_at, outcome="not_kept", **fields)

    broken(chosen - DAY)  # before the approach was chosen
    broken(chosen)  # recorded at the very moment it was chosen: not after it
    broken(now - 2 * datetime.timedelta(hours=1), cancelled_at=now)
    assert followups.approach_switch(case) is None
    counted = broken(now - 2 * datetime.timedelta(hours=1))
    assert [row.id for row in followups._broken_since_approach(case)] == [counted.id]
    # Another case chose its approach since: this case's own choice is the one that counts.
    other, _bully = support_group_case(factory, now - datetime.timedelta(hours=1))
    assert followups.approach_switch(case).to == "confrontational"
    assert followups.approach_switch(other) is None
    # A case whose approach never was chosen on its timeline counts every talk not kept.
    models.CaseEvent.delete().where(models.CaseEvent.case == case).execute()
    assert len(list(followups._broken_since_approach(case))) == 3


def test_the_extra_talks_go_by_the_pupils_next_talks_in_order_in_the_series_of_their_latest_talk(
        app_context, factory):
    """Anna's talk was planned first, Bram's comes sooner: Bram is named first. Bram's talk of version 1 was held
    late, after version 2 was signed: his extra talk checks version 2, the series of his next talk."""
    anna, bram = factory.pupil(first_name="Anna"), factory.pupil(first_name="Bram")
    case = factory.case(victim=anna, bully=bram)
    first = models.Agreement.create(case=case, version=1, status="locked", locked_at=db.utcnow())
    second = models.Agreement.create(case=case, version=2, status="locked", locked_at=db.utcnow())
    models.FollowUp.create(case=case, pupil=anna, agreement=second, due_on=db.today() + 30 * DAY)
    models.FollowUp.create(case=case, pupil=bram, agreement=second, due_on=db.today() + 20 * DAY)
    talk = models.FollowUp.create(case=case, pupil=bram, agreement=first, due_on=db.today() - DAY,
                                  held_on=db.today(), done_at=db.utcnow(), outcome="not_kept")
    with models.db.atomic():
        rows = followups.check_soon(talk, demo_user("mentor"))
    week = db.today() + 7 * DAY
    assert [(row.pupil_id, row.due_on, row.agreement_id) for row in rows] == [
        (bram.id, week, second.id), (anna.id, week, second.id)]
    assert timeline(case, "follow_ups_planned") == ["Afspraken niet nagekomen: extra vervolggesprek op %s met %s, %s"
                                                    % (long_date(week), bram.display_name, anna.display_name)]
