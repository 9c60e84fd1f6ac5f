"""The live checklist over HTTP: snapshots, retry-safe saves, conflicts, amendments, bad input."""
import datetime
import re

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user

HTMX = {"HX-Request": "true"}
DAY = datetime.timedelta(days=1)


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
    talk = models.Conversation.get(models.Conversation.case == case, models.Conversation.step_key == "joint-talk")
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


# The workflow itself (domain/conversations.py), called directly: what each save stores, to the letter
# where a reader later relies on it (the amendments after a talk was finished, the follow-up it plans).

def refused(message):
    """The workflow refuses with this whole message, as the user reads it."""
    from domain import conversations
    return pytest.raises(conversations.ChecklistError, match="^%s$" % re.escape(message))


def amendments(talk):
    return [(a.user.username, a.description) for a in
            models.ConversationAmendment.select().where(models.ConversationAmendment.conversation == talk)
            .order_by(models.ConversationAmendment.id)]


def test_a_tap_records_who_and_when_and_untapping_clears_both(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    item = entry(talk, 4)
    before = db.utcnow()
    with models.db.atomic():
        conversations.set_done(item, True, mentor)
    stored = entry(talk, 4)
    assert stored.done and stored.done_by == mentor and stored.done_at >= before and stored.updated_at >= before
    with models.db.atomic():
        conversations.set_done(entry(talk, 4), False, mentor)
    stored = entry(talk, 4)
    assert (stored.done, stored.done_at, stored.done_by_id) == (False, None, None)
    assert amendments(talk) == []  # a talk under way is simply changed, not amended


def test_every_change_after_finishing_is_an_amendment_in_words(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    with models.db.atomic():
        conversations.finish(talk, mentor)
    talk = models.Conversation.get_by_id(talk.id)
    ticked = entry(talk, 1)
    assert ticked.done  # the demo ticked items 1 to 3
    with models.db.atomic():
        conversations.set_done(ticked, False, mentor)
        conversations.set_done(entry(talk, 4), True, mentor)
        conversations.save_note(entry(talk, 6), "Later gehoord: het ging om de tas.", 0, mentor)
        conversations.save_note(entry(talk, 6), "", 1, mentor)
        line, created = conversations.add_line(talk, "wish", "  Met rust gelaten worden.  ", "amend-1", mentor)
        conversations.remove_line(line, mentor)
        conversations.remove_line(line, mentor)  # struck through already: nothing more to record
        conversations.set_appointment(talk, db.utcnow() + datetime.timedelta(days=3), mentor)
    assert created and line.text == "Met rust gelaten worden."
    assert amendments(talk) == [
        ("mentor2", "Punt 1 niet meer afgevinkt: %s" % ticked.text),
        ("mentor2", "Punt 4 afgevinkt: %s" % entry(talk, 4).text),
        ("mentor2", "Notitie bij punt 6: Later gehoord: het ging om de tas."),
        ("mentor2", "Notitie bij punt 6: (leeg)"),
        ("mentor2", "Toegevoegd (wish): Met rust gelaten worden."),
        ("mentor2", "Doorgehaald: Met rust gelaten worden."),
        ("mentor2", "Vervolgafspraak gezet"),
    ]


def test_a_note_of_the_longest_length_saves_and_one_more_character_is_refused(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    longest = "x" * conversations.NOTE_MAX_LENGTH
    assert conversations.NOTE_MAX_LENGTH == 20_000
    with models.db.atomic():
        conversations.save_note(entry(talk, 6), longest, 0, mentor)
    assert entry(talk, 6).note == longest and entry(talk, 6).note_version == 1
    with refused("Deze notitie is te lang (hoogstens 20000 tekens)."):
        conversations.save_note(entry(talk, 6), longest + "x", 1, mentor)
    assert entry(talk, 6).note == longest


def test_a_note_retried_after_it_landed_is_no_conflict_and_no_new_version(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    with models.db.atomic():
        conversations.save_note(entry(talk, 6), "eerste", 0, mentor)
        conversations.save_note(entry(talk, 6), "eerste", 0, mentor)  # the retry, still based on version 0
        conversations.save_note(entry(talk, 6), "tweede", 1, mentor)
    assert (entry(talk, 6).note, entry(talk, 6).note_version) == ("tweede", 2)
    with pytest.raises(conversations.NoteConflict):
        conversations.save_note(entry(talk, 6), "derde", 1, mentor)
    assert entry(talk, 6).note == "tweede"


def test_a_line_of_the_longest_length_is_added_and_one_more_character_is_refused(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    assert conversations.LINE_MAX_LENGTH == 2_000
    longest = "y" * conversations.LINE_MAX_LENGTH
    with models.db.atomic():
        line, created = conversations.add_line(talk, "note", " %s " % longest, "long-1", mentor)
    assert created and line.text == longest and line.created_by == mentor and line.kind == "note"
    with refused("Dit is te lang (hoogstens 2000 tekens)."):
        conversations.add_line(talk, "note", longest + "y", "long-2", mentor)
    with refused("Schrijf eerst iets op."):
        conversations.add_line(talk, "note", " \n ", "long-3", mentor)
    assert models.ConversationLine.get_or_none(models.ConversationLine.client_key.in_(["long-2", "long-3"])) is None


def test_a_line_key_of_another_conversation_is_refused_not_returned(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    other = models.Conversation.get(models.Conversation.id != talk.id)
    with models.db.atomic():
        mine, created = conversations.add_line(talk, "note", "Alleen hier.", "shared-key", mentor)
        again, created_again = conversations.add_line(talk, "note", "Alleen hier.", "shared-key", mentor)
    assert created and not created_again and again.id == mine.id
    with refused("Ongeldig formulier; laad de pagina opnieuw."):
        conversations.add_line(other, "note", "Alleen hier.", "shared-key", mentor)


def test_striking_a_line_through_keeps_when_it_was_first_struck(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    with models.db.atomic():
        line, _created = conversations.add_line(talk, "note", "Vergissing.", "strike-1", mentor)
        conversations.remove_line(line, mentor)
    first = models.ConversationLine.get_by_id(line.id).removed_at
    assert first is not None
    with models.db.atomic():
        conversations.remove_line(models.ConversationLine.get_by_id(line.id), mentor)
    assert models.ConversationLine.get_by_id(line.id).removed_at == first


def last_event(case):
    return models.CaseEvent.select().where(models.CaseEvent.case == case).order_by(models.CaseEvent.id.desc()).get()


def new_talk(case, user, participants):
    """A follow-up talk on `case` started now, with no follow-up planned from it yet."""
    from domain import conversations
    with models.db.atomic():
        return conversations.start(case, "follow-up", "follow-up-conversation", user, participants)


def test_an_appointment_is_counted_from_the_moment_given_to_a_year_and_a_day(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    now = db.utcnow() - datetime.timedelta(days=400)  # the demo plans its appointments from its own "now"
    with refused("Deze afspraak ligt in het verleden."):
        conversations.set_appointment(talk, now, mentor, now=now)
    with refused("Deze afspraak ligt meer dan een jaar vooruit."):
        conversations.set_appointment(talk, now + datetime.timedelta(days=366, seconds=1), mentor, now=now)
    with models.db.atomic():
        conversations.set_appointment(talk, now + datetime.timedelta(seconds=1), mentor, now=now)
    assert models.Conversation.get_by_id(talk.id).next_appointment_at == now + datetime.timedelta(seconds=1)
    with models.db.atomic():
        conversations.set_appointment(talk, now + datetime.timedelta(days=366), mentor, now=now)
    assert models.Conversation.get_by_id(talk.id).next_appointment_at == now + datetime.timedelta(days=366)


def test_an_appointment_plans_a_talk_with_each_pupil_who_took_part(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    isa, bram = (models.Pupil.get(models.Pupil.first_name == name) for name in ("Isa", "Bram"))
    started = new_talk(talk.case, mentor, [(isa, isa.display_name, "victim"), (None, "moeder van Isa", "other"),
                                           (bram, bram.display_name, "bully")])
    # 23:30 UTC is the next day at the school: the follow-up is due on the school's day.
    moment = datetime.datetime.combine(db.today() + datetime.timedelta(days=9), datetime.time(23, 30))
    with models.db.atomic():
        conversations.set_appointment(started, moment, mentor)
    planned = list(models.FollowUp.select().where(models.FollowUp.conversation == started)
                   .order_by(models.FollowUp.id))
    assert [(f.pupil_id, f.due_on, f.with_whom, f.note, f.case_id) for f in planned] == [
        (pupil.id, db.local_date(moment), "", "Vervolgafspraak uit: %s" % started.title, talk.case_id)
        for pupil in (isa, bram)]
    event = last_event(talk.case)
    assert (event.kind, event.text, event.user) == ("appointment", started.title, mentor)
    # A new moment moves the talks still to come; one already held stays where it was.
    models.FollowUp.update(done_at=db.utcnow()).where(models.FollowUp.id == planned[1].id).execute()
    later = moment + datetime.timedelta(days=5)
    with models.db.atomic():
        conversations.set_appointment(started, later, mentor)
    assert [models.FollowUp.get_by_id(f.id).due_on for f in planned] == [db.local_date(later), db.local_date(moment)]
    assert models.FollowUp.select().where(models.FollowUp.conversation == started).count() == 2
    # A talk cancelled (its pupil taken out of the case by mistake) stays on record as it was.
    models.FollowUp.update(done_at=None, cancelled_at=db.utcnow()).where(models.FollowUp.id == planned[1].id).execute()
    with models.db.atomic():
        conversations.set_appointment(started, later + DAY, mentor)
    assert [models.FollowUp.get_by_id(f.id).due_on for f in planned] == [
        db.local_date(later + DAY), db.local_date(moment)]


def test_an_appointment_of_a_talk_without_pupils_names_who_was_there(app_context, talk):
    from domain import conversations
    mentor = demo_user("mentor2")
    started = new_talk(talk.case, mentor, [(None, "moeder van Isa", "other"), (None, "x" * 190, "other")])
    with models.db.atomic():
        conversations.set_appointment(started, db.utcnow() + datetime.timedelta(days=2), mentor)
    planned = models.FollowUp.get(models.FollowUp.conversation == started)
    assert planned.pupil_id is None
    assert planned.with_whom == ("moeder van Isa, " + "x" * 190)[:200] and len(planned.with_whom) == 200


def test_finishing_records_the_end_once_and_leaves_the_step_unless_asked(app_context):
    from domain import conversations
    case, mentor = demo_case("0001"), demo_user("mentor")
    with models.db.atomic():
        joint = conversations.start(case, "joint-talk", "no-blame-joint-conversation", mentor, [])
    before = db.utcnow()
    with models.db.atomic():
        conversations.finish(joint, mentor)
    finished = models.Conversation.get_by_id(joint.id)
    assert finished.ended_at >= before
    event = last_event(case)
    assert (event.kind, event.text, event.user) == ("conversation_finished", joint.title, mentor)
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "joint-talk")
    assert step.status == "open"
    with refused("Dit gesprek is al afgerond."):
        conversations.finish(finished, mentor, complete_step=True)
    assert models.CaseStep.get_by_id(step.id).status == "open"


def test_finishing_with_the_step_notes_the_talk_on_the_step(app_context):
    from domain import conversations
    case, mentor = demo_case("0001"), demo_user("mentor")
    with models.db.atomic():
        joint = conversations.start(case, "joint-talk", "no-blame-joint-conversation", mentor, [])
        conversations.finish(joint, mentor, complete_step=True)
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "joint-talk")
    assert (step.status, step.done_by, step.note) == ("done", mentor, "Gesprek: %s" % joint.title)


def test_starting_copies_position_phase_and_hint_and_refuses_a_closed_case(app_context):
    from domain import conversations, protocols
    case, mentor = demo_case("0001"), demo_user("mentor")
    template = protocols.of_case(case).step("joint-talk").templates[0]
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    with models.db.atomic():
        joint = conversations.start(case, "joint-talk", template.key, mentor, [(noor, "Noor", "victim")])
    assert (joint.title, joint.held_by, joint.step_key, joint.template_key) == (
        template.title, mentor, "joint-talk", template.key)
    expected = [(position, phase.title, item.text, item.hint) for position, (phase, item) in enumerate(
        ((phase, item) for phase in template.phases for item in phase.items), start=1)]
    assert [(e.position, e.phase, e.text, e.hint) for e in joint.entries.order_by(models.ChecklistEntry.position)] \
        == expected
    assert any(hint for *_rest, hint in expected)  # the hints are copied, not only empty ones
    assert [(p.pupil_id, p.name, p.role) for p in joint.participants] == [(noor.id, "Noor", "victim")]
    event = last_event(case)
    assert (event.kind, event.text, event.user) == ("conversation_started", template.title, mentor)
    with refused("Dit gesprek hoort niet bij deze stap van het protocol."):
        conversations.start(case, "joint-talk", "victim-conversation", mentor, [])
    with refused("Dit gesprek hoort niet bij deze stap van het protocol."):
        conversations.start(case, "no-such-step", template.key, mentor, [])
    models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()  # no longer installed
    with refused("Dit gesprek hoort niet bij deze stap van het protocol."):
        conversations.start(models.Case.get_by_id(case.id), "joint-talk", template.key, mentor, [])
    models.Case.update(protocol_key=case.protocol_key, status="closed").where(models.Case.id == case.id).execute()
    with refused("Dit dossier is gesloten."):
        conversations.start(models.Case.get_by_id(case.id), "joint-talk", template.key, mentor, [])


def test_a_talk_left_halfway_is_offered_where_a_new_one_would_start_until_it_is_finished(mentor2, talk):
    """The to-do and the step's button lead to starting a talk; one begun and left is offered there first."""
    start = "/gesprekken/nieuw/%d/%s" % (talk.case_id, talk.step_key)
    page = mentor2.get(start, headers={}).get_data(as_text=True)
    offer = re.search(r'<div class="banner banner--warning under-way".*?</div>', page, re.S)
    assert offer and 'href="/gesprekken/%d"' % talk.id in offer.group(0) and "Verder met dit gesprek" in offer.group(0)
    assert talk.title in offer.group(0)
    assert mentor2.post("/gesprekken/%d/afronden" % talk.id, data={
        "csrf_token": mentor2.headers["X-CSRFToken"]}).status_code == 302
    assert "under-way" not in mentor2.get(start, headers={}).get_data(as_text=True)
