"""The live checklist over HTTP: snapshots, retry-safe saves, conflicts, amendments, bad input."""
import datetime
import re

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def talk():
    """The demo conversation under way on mentor2's case 0003."""
    return models.Conversation.get(models.Conversation.ended_at.is_null())


@pytest.fixture
def mentor2(login_as, talk):
    client = login_as("mentor2")
    client.headers = dict(HTMX, **{"X-CSRFToken": csrf_token(client, "/gesprekken/%d" % talk.id)})
    return client


def post(client, url, **data):
    return client.post(url, data=data, headers=client.headers)


def entry(talk, position):
    return models.ChecklistEntry.get(models.ChecklistEntry.conversation == talk,
                                     models.ChecklistEntry.position == position)


def test_starting_a_conversation_copies_the_template(app, login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    url = "/gesprekken/nieuw/%d/joint-talk" % case.id
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "template": "no-blame-joint-conversation",
                                      "pupils": [noor.id], "others": "moeder van Noor; meneer Kok (gym)"})
    assert response.status_code == 302
    talk = models.Conversation.get(models.Conversation.case == case)
    with app.app_context():
        from domain import protocols
        template = protocols.get("vo-nl").template("no-blame-joint-conversation")
    entries = list(talk.entries.order_by(models.ChecklistEntry.position))
    assert [e.text for e in entries] == [item.text for phase in template.phases for item in phase.items]
    assert entries[0].phase == template.phases[0].title
    assert [p.name for p in talk.participants.order_by(models.ConversationParticipant.id)] == [
        "Noor Hoekstra", "moeder van Noor", "meneer Kok (gym)"]
    assert response.headers["Location"] == "/gesprekken/%d" % talk.id


def ticked_pupils(html):
    """The first names of the pupils ticked on the "Gesprek starten" page."""
    ids = [int(i) for i in re.findall(r'<input checked[^>]*name="pupils"[^>]*value="(\d+)"', html)]
    return sorted(pupil.first_name for pupil in models.Pupil.select().where(models.Pupil.id.in_(ids)))


def test_starting_a_conversation_ticks_the_pupils_the_guides_are_written_for(login_as):
    """Case 0001's talk with the bullies has three guides: for the bully, for bully and followers,
    for the follower. Daan is its bully, Tim its follower (Noor and Emma are not for this step)."""
    client = login_as("mentor")
    url = "/gesprekken/nieuw/%d/bully-talk" % demo_case("0001").id
    page = client.get(url).get_data(as_text=True)
    assert ticked_pupils(page) == ["Daan", "Tim"]  # no guide chosen yet: whom any of them is for
    assert ticked_pupils(client.get(url + "?sjabloon=follower-talk").get_data(as_text=True)) == ["Tim"]
    # Choosing a guide in the page ticks its pupils (static/js/herstel.js reads these).
    daan, tim = (models.Pupil.get(models.Pupil.first_name == name).id for name in ("Daan", "Tim"))
    assert 'data-pupils="%d"' % daan in page and 'data-pupils="%d %d"' % (daan, tim) in page
    assert 'data-pupils="%d"' % tim in page


def test_the_snapshot_survives_a_change_to_the_protocol(app, talk):
    with app.app_context():
        from domain import protocols
        original = entry(talk, 1).text
        registry = protocols.registry()
        registry["vo-nl"] = registry["online-pesten"]  # the school switches or edits its protocol
        assert protocols.get("vo-nl").template("follow-up-conversation") is None
    assert entry(talk, 1).text == original


def progress(client, talk):
    html = client.get("/gesprekken/%d" % talk.id).get_data(as_text=True)
    return re.search(r'id="progress"[^>]*><span data-progress-done>(\d+)</span> van (\d+)<', html).groups()


def test_a_tap_saves_the_wanted_state_and_the_page_counts_it(mentor2, talk):
    url = "/gesprekken/%d/punten/%d" % (talk.id, entry(talk, 4).id)
    assert progress(mentor2, talk) == ("3", "11")
    response = post(mentor2, url, done="1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-pressed="true"' in html
    # No count in the answer: the page counts its own ticks (answers to two taps may cross).
    assert 'id="progress"' not in html
    assert entry(talk, 4).done and entry(talk, 4).done_by == demo_user("mentor2")
    assert progress(mentor2, talk) == ("4", "11")
    # A retry of the same tap changes nothing; tapping back undoes it.
    assert 'aria-pressed="true"' in post(mentor2, url, done="1").get_data(as_text=True)
    assert progress(mentor2, talk) == ("4", "11")
    assert 'aria-pressed="false"' in post(mentor2, url, done="0").get_data(as_text=True)
    assert not entry(talk, 4).done and progress(mentor2, talk) == ("3", "11")


def test_each_tap_is_in_the_audit_log_with_the_item_and_its_state(mentor2, talk):
    url = "/gesprekken/%d/punten/%d" % (talk.id, entry(talk, 4).id)
    for done in ("1", "0"):
        assert post(mentor2, url, done=done).status_code == 200
    taps = models.AuditEvent.select().where(models.AuditEvent.action == "conversation.tick").order_by(
        models.AuditEvent.id)
    assert [(event.username, event.object_type, event.object_id, event.detail) for event in taps] == [
        ("mentor2", "conversation", talk.id, "punt 4: True"), ("mentor2", "conversation", talk.id, "punt 4: False")]


def test_a_line_with_markup_is_stored_as_typed_and_shown_as_text(mentor2, talk):
    typed = '<img src=x onerror="alert(1)"> <b>Jan</b> & co'
    answer = post(mentor2, "/gesprekken/%d/regels" % talk.id, kind="note", text=typed, client_key="markup-1")
    assert answer.status_code == 200
    assert models.ConversationLine.get(models.ConversationLine.client_key.startswith("markup-1:")).text == typed
    page = mentor2.get("/gesprekken/%d" % talk.id, headers={}).get_data(as_text=True)
    for html in (answer.get_data(as_text=True), page):
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &lt;b&gt;Jan&lt;/b&gt; &amp; co" in html
        assert "<img src=x" not in html and "<b>Jan" not in html


def test_a_note_saves_and_a_stale_device_gets_a_conflict_not_a_loss(mentor2, login_as, talk):
    item = entry(talk, 5)
    url = "/gesprekken/%d/punten/%d/notitie" % (talk.id, item.id)
    first = post(mentor2, url, note="Bram zegt dat het goed gaat", base_version="0")
    assert first.status_code == 200 and "Opgeslagen" in first.get_data(as_text=True)
    assert 'name="base_version" value="1"' in first.get_data(as_text=True)
    # The same save again (a retry whose answer got lost) is fine.
    assert post(mentor2, url, note="Bram zegt dat het goed gaat", base_version="0").status_code == 200
    # A second tablet still on version 0 with other text: conflict, both texts shown, nothing overwritten.
    other = login_as("coordinator")
    other.headers = dict(HTMX, **{"X-CSRFToken": csrf_token(other, "/gesprekken/%d" % talk.id)})
    conflict = post(other, url, note="Finn was er ook bij", base_version="0")
    html = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert "Bram zegt dat het goed gaat" in html and "Beide bewaren" in html
    assert entry(talk, 5).note == "Bram zegt dat het goed gaat"
    assert 'id="note-version-' not in html  # the stale device keeps its old version: it must choose first
    again = post(other, url, note="Finn was er ook bij, zei hij", base_version="0")
    assert again.status_code == 409 and entry(talk, 5).note == "Bram zegt dat het goed gaat"
    merged = post(other, url, note="Finn was er ook bij", merge="1")
    assert merged.status_code == 200 and 'data-hx-swap-oob="true"' in merged.get_data(as_text=True)
    assert entry(talk, 5).note == "Bram zegt dat het goed gaat\nFinn was er ook bij"


def test_a_one_megabyte_note_is_refused_with_a_message(mentor2, talk):
    item = entry(talk, 6)
    url = "/gesprekken/%d/punten/%d/notitie" % (talk.id, item.id)
    huge = post(mentor2, url, note="x" * (1024 * 1024), base_version="0")
    assert huge.status_code == 422 and "te lang" in huge.get_data(as_text=True)
    too_big = post(mentor2, url, note="x" * (9 * 1024 * 1024), base_version="0")
    assert too_big.status_code == 413 and "te groot" in too_big.get_data(as_text=True)
    assert entry(talk, 6).note == ""


def test_added_lines_are_stored_once_even_when_retried(mentor2, talk):
    url = "/gesprekken/%d/regels" % talk.id
    data = {"kind": "agreement", "text": "Van nu af aan zit Isa naast Sophie.", "client_key": "k1"}
    first = post(mentor2, url, **data)
    retry = post(mentor2, url, **data)
    assert first.status_code == retry.status_code == 200
    assert 'id="line-key-agreement"' in first.get_data(as_text=True)  # a fresh key for the next line
    lines = models.ConversationLine.select().where(models.ConversationLine.conversation == talk,
                                                   models.ConversationLine.kind == "agreement")
    assert [line.text for line in lines] == ["Van nu af aan zit Isa naast Sophie."]
    # Same form key but other text: a second line, never swallowed as a retry.
    post(mentor2, url, kind="agreement", text="Bram zegt sorry.", client_key="k1")
    assert lines.count() == 2
    empty = post(mentor2, url, kind="agreement", text="  ", client_key="k2")
    assert empty.status_code == 422 and empty.headers["HX-Retarget"] == "#line-error-agreement"


def test_the_next_appointment_becomes_a_follow_up(mentor2, talk):
    day = db.today() + datetime.timedelta(days=10)
    response = post(mentor2, "/gesprekken/%d/afspraak" % talk.id, moment="%sT14:30" % day.isoformat())
    assert response.status_code == 200 and "Afspraak vastgelegd." in response.get_data(as_text=True)
    last_month = (db.today() - datetime.timedelta(days=20)).isoformat() + "T14:30"
    past = post(mentor2, "/gesprekken/%d/afspraak" % talk.id, moment=last_month)
    assert past.status_code == 422 and "in het verleden" in past.get_data(as_text=True)
    assert 'value="%s"' % last_month in past.get_data(as_text=True)  # what was typed stays
    garbage = post(mentor2, "/gesprekken/%d/afspraak" % talk.id, moment="volgende week")
    assert garbage.status_code == 422
    talk = models.Conversation.get_by_id(talk.id)
    local = datetime.datetime(day.year, day.month, day.day, 14, 30, tzinfo=db.SCHOOL_TIMEZONE)
    assert talk.next_appointment_at == local.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    follow_ups = models.FollowUp.select().where(models.FollowUp.conversation == talk, models.FollowUp.done_at.is_null())
    assert [f.due_on for f in follow_ups] == [day]  # the demo's appointment moved, not a second one


def test_finishing_marks_the_step_and_later_changes_are_amendments(mentor2, talk):
    client = mentor2
    response = client.post("/gesprekken/%d/afronden" % talk.id, data={
        "csrf_token": client.headers["X-CSRFToken"], "complete_step": "y"})
    assert response.status_code == 302
    talk = models.Conversation.get_by_id(talk.id)
    assert talk.is_finished
    # A follow-up conversation does not end the follow-up step: that is done when every pupil's talks are.
    step = models.CaseStep.get(models.CaseStep.case == talk.case, models.CaseStep.step_key == "follow-up")
    assert step.status == "open"
    report = client.get("/gesprekken/%d" % talk.id, headers={}).get_data(as_text=True)
    assert "Aanvullen" in report and "Gesprek afronden" not in report
    post(client, "/gesprekken/%d/punten/%d" % (talk.id, entry(talk, 7).id), done="1")
    amendment = models.ConversationAmendment.get(models.ConversationAmendment.conversation == talk)
    assert amendment.user == demo_user("mentor2") and "Punt 7 afgevinkt" in amendment.description
    assert "Aanvullingen na afronding" in client.get("/gesprekken/%d" % talk.id, headers={}).get_data(as_text=True)
    again = client.post("/gesprekken/%d/afronden" % talk.id, data={"csrf_token": client.headers["X-CSRFToken"]})
    assert again.status_code == 302 and models.ConversationAmendment.select().count() == 1


def test_finishing_a_conversation_at_an_open_step_marks_that_step_done(app_context):
    from domain import conversations
    case = demo_case("0001")  # the joint talk is still to be held
    with models.db.atomic():
        joint = conversations.start(case, "joint-talk", "no-blame-joint-conversation", demo_user("mentor"), [])
        conversations.finish(joint, demo_user("mentor"), complete_step=True)
    assert models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "joint-talk").status == "done"


def test_an_item_of_another_conversation_is_not_found(mentor2, talk):
    other = models.Conversation.get(models.Conversation.id != talk.id)
    foreign = other.entries.where(models.ChecklistEntry.done == False).first()  # noqa: E712 (peewee)
    assert foreign is not None  # an unticked item elsewhere, so a wrongly saved tap would show
    response = post(mentor2, "/gesprekken/%d/punten/%d" % (talk.id, foreign.id), done="1")
    assert response.status_code == 404
    assert not models.ChecklistEntry.get_by_id(foreign.id).done


def test_another_mentor_cannot_tap_in_this_case(login_as, talk):
    client = login_as("mentor")
    token = csrf_token(client, "/")
    response = client.post("/gesprekken/%d/punten/%d" % (talk.id, entry(talk, 4).id), data={"done": "1"},
                           headers=dict(HTMX, **{"X-CSRFToken": token}))
    assert response.status_code == 404 and not entry(talk, 4).done


def test_an_expired_session_answers_401_to_htmx_so_the_page_keeps_its_text(mentor2, talk):
    models.UserSession.delete().execute()  # the session ended on the server (idle, or logged out elsewhere)
    response = post(mentor2, "/gesprekken/%d/punten/%d/notitie" % (talk.id, entry(talk, 5).id),
                    note="typed while logged out", base_version="0")
    assert response.status_code == 401
    assert mentor2.get("/gesprekken/%d" % talk.id, headers={}).status_code == 302  # a page goes to the login form
    assert entry(talk, 5).note == ""


def test_a_stale_csrf_token_gets_a_fresh_one_for_htmx(mentor2, talk):
    response = mentor2.post("/gesprekken/%d/punten/%d" % (talk.id, entry(talk, 4).id), data={"done": "1"},
                            headers=dict(HTMX, **{"X-CSRFToken": "stale"}))
    assert response.status_code == 400
    fresh = response.headers["X-CSRFToken"]
    retry = mentor2.post("/gesprekken/%d/punten/%d" % (talk.id, entry(talk, 4).id), data={"done": "1"},
                         headers=dict(HTMX, **{"X-CSRFToken": fresh}))
    assert retry.status_code == 200 and entry(talk, 4).done
