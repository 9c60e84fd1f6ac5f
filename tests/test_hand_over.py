"""Agreements broken again after the one more chance: seed 001 step 5 hands the case to the anti-bullying
coordinator, who talks with the pupils and their parents and steers the case from then on (the VO protocol's
`after_broken_again`)."""
import html
import re

import db
import models
from conftest import csrf_token, demo_case



def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def daan():
    return pupil("Daan")


def next_talk(case, first_name):
    """The pupil's next follow-up talk, moved to today so it can be recorded."""
    row = (models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.pupil == pupil(first_name),
                                          models.FollowUp.done_at.is_null(), models.FollowUp.cancelled_at.is_null())
           .order_by(models.FollowUp.due_on).first())
    models.FollowUp.update(due_on=db.today()).where(models.FollowUp.id == row.id).execute()
    return row


def record_broken(client, case, first_name="Daan"):
    follow_up = next_talk(case, first_name)
    prefix = "f%d-" % follow_up.id
    return client.post("/vervolg/%d" % follow_up.id, data={
        prefix + "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), prefix + "outcome": "not_kept",
        prefix + "note": "Daan stuurde Noor weer weg.", prefix + "with_whom": "",
        prefix + "held_on": db.today().isoformat()}, follow_redirects=True).get_data(as_text=True)


def next_block(page):
    start = page.index('id="next"')
    return html.unescape(page[start:page.index("</section>", start)])


def broken_again(login_as):
    """Daan had his one more chance in the demo; he breaks the agreements again."""
    mentor, case = login_as("mentor"), demo_case("0001")
    return mentor, case, html.unescape(record_broken(mentor, case))


def test_broken_again_the_mentor_reads_that_the_case_goes_to_the_coordinator(login_as):
    mentor, case, page = broken_again(login_as)
    assert "Het dossier gaat nu naar de anti-pestcoördinator, die de leerlingen en hun ouders spreekt" in page
    banner = page[page.index('id="proposal-%d"' % daan().id):]
    assert "Het dossier gaat nu naar de anti-pestcoördinator: die voert eerst het «Gesprek door de " \
           "anti-pestcoördinator bij herhaling»" in banner[:banner.index("</div>")]
    event = models.CaseEvent.select().where(models.CaseEvent.case == case).order_by(models.CaseEvent.id.desc()).get()
    assert event.text == "Afspraken opnieuw niet nagekomen: dossier naar de anti-pestcoördinator"
    assert "het dossier is nu aan jou" not in next_block(page)  # the mentor hands it over


def test_the_coordinator_finds_the_talk_first_on_the_case_until_it_is_started(login_as):
    _mentor, case, _page = broken_again(login_as)
    coordinator = login_as("coordinator")
    todo = next_block(coordinator.get("/dossiers/%d" % case.id).get_data(as_text=True))
    assert "Afspraken opnieuw niet nagekomen door Daan" in todo and "het dossier is nu aan jou" in todo
    start = "/gesprekken/nieuw/%d/follow-up?sjabloon=coordinator-conversation" % case.id
    assert 'href="%s"' % start.replace("&", "&amp;") in todo or 'href="%s"' % start in todo
    form = coordinator.get(start).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="coordinator-conversation"', form)
    assert coordinator.post("/gesprekken/nieuw/%d/follow-up" % case.id, data={
        "csrf_token": csrf_token(coordinator, start), "template": "coordinator-conversation",
        "pupils": [daan().id], "others": ""}).status_code == 302
    page = html.unescape(coordinator.get("/dossiers/%d" % case.id).get_data(as_text=True))
    assert "het dossier is nu aan jou" not in next_block(page)
    assert "Het dossier gaat nu naar de anti-pestcoördinator" not in page  # the talk is under way
    assert 'id="proposal-%d"' % daan().id in page  # the phase is still to decide


def test_a_first_break_hands_nothing_over(login_as):
    mentor, case = login_as("mentor"), demo_case("0001")
    page = html.unescape(record_broken(mentor, case, "Tim"))  # Tim kept to the agreements until now
    assert "De leerling krijgt nog één kans." in page
    assert "naar de anti-pestcoördinator" not in page
    coordinator = login_as("coordinator")
    assert "het dossier is nu aan jou" not in next_block(coordinator.get("/dossiers/%d" % case.id).get_data(
        as_text=True))


def test_a_pupil_with_a_measure_already_is_in_the_coordinator_s_hands(login_as):
    case = demo_case("0004")  # Yara broke the agreements after phase 3 as well: phase 4 is proposed
    page = html.unescape(login_as("coordinator").get("/dossiers/%d" % case.id).get_data(as_text=True))
    assert 'id="proposal-%d"' % pupil("Yara").id in page
    assert "het dossier is nu aan jou" not in next_block(page) and "Het dossier gaat nu naar" not in page


def test_the_coordinator_s_digest_names_the_case_handed_to_them_until_the_talk_starts(app, login_as):
    from domain import conversations, notify
    _mentor, case, _page = broken_again(login_as)
    with app.test_request_context():
        handed = {entry["user"].username for entry in notify.digests() if case.reference in entry["handed"]}
        assert handed == {"coordinator"}
        assert not [entry for entry in notify.digests() if demo_case("0004").reference in entry["handed"]]
        with models.db.atomic():
            conversations.start(case, "follow-up", "coordinator-conversation", models.User.by_username("coordinator"),
                                [])
        assert not [entry for entry in notify.digests() if case.reference in entry["handed"]]
