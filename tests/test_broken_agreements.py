"""After broken agreements: the one more chance is checked soon (the protocol's follow_up_after_broken), and
after a measure the parents of the pupil it concerns and of the bullied pupil hear of it (parents_after_measure)."""
import datetime

import db
import models
from conftest import csrf_token, demo_case
from domain import escalation, protocols
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


def test_parents_not_told_of_two_measures_hear_of_the_latest_by_the_day_the_first_was_due_in_the_case_s_order(app_context, factory):
    """Two measures the parents have not heard of: the to-do names the latest, late since the earliest's day;
    the parents due on one day in the case's order of pupils."""
    victim, bully = pupil("Sem"), pupil("Yara")
    case = factory.case(victim=victim, bully=bully)
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
