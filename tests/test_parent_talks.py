"""A talk with the parents held through the protocol's guide is recorded as the parent contact it is (seed 001
step 6): finishing it leads to the parent contact filled in from the talk, which completes the parents' step."""
import html
import re

import db
import models
from conftest import csrf_token, demo_case, demo_user


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def step(case, key):
    return models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == key)


def parents_talk(case, pupils, notes=(), agreements=()):
    """The 11-step talk with the parents of a bully, started by the mentor with `pupils`, notes and agreements."""
    from domain import conversations
    mentor = demo_user("mentor")
    with models.db.atomic():
        talk = conversations.start(case, "inform-parents", "bully-parents-eleven-steps", mentor,
                                   [(p, p.display_name, "bully") for p in pupils] + [(None, "vader van Daan", "other")])
        for number, text in enumerate(notes):
            conversations.add_line(talk, "note", text, "note-%d-%d" % (talk.id, number), mentor)
        for number, text in enumerate(agreements):
            conversations.add_line(talk, "agreement", text, "agreement-%d-%d" % (talk.id, number), mentor)
    return talk


def selected(page, name):
    """The value of the option chosen in the select `name` of the page."""
    select = re.search(r'<select[^>]*name="%s".*?</select>' % name, page, re.S).group(0)
    chosen = re.search(r'<option selected value="([^"]*)"', select)
    return chosen.group(1) if chosen else None


def textarea(page, name):
    found = re.search(r'<textarea[^>]*name="%s"[^>]*>(.*?)</textarea>' % name, page, re.S)
    return html.unescape(found.group(1)).strip()


def test_finishing_a_talk_with_the_parents_opens_the_parent_contact_filled_in_from_it(app, login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    with app.app_context():
        talk = parents_talk(case, [pupil("Daan")], notes=["Vader schrok, moeder herkent het van thuis."],
                            agreements=["Ouders praten vanavond met Daan.", "Mentor belt over een week terug."])
    page = client.get("/gesprekken/%d" % talk.id).get_data(as_text=True)
    assert "Na het afronden leg je vast dat je de ouders hebt gesproken" in page
    response = client.post("/gesprekken/%d/afronden" % talk.id, data={
        "csrf_token": csrf_token(client, "/gesprekken/%d" % talk.id), "complete_step": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dossiers/%d/oudercontacten/nieuw?gesprek=%d" % (case.id, talk.id)
    assert models.Conversation.get_by_id(talk.id).is_finished
    # The step waits for the parent contact: that is what the protocol records it with.
    assert step(case, "inform-parents").status == "open"
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kijk het oudercontact na en leg het vast" in html.unescape(form)
    assert selected(form, "parent-pupil") == str(pupil("Daan").id)
    read = models.AuditEvent.select().where(models.AuditEvent.action == "conversation.view").order_by(
        models.AuditEvent.id.desc()).first()
    assert (read.object_id, read.detail) == (talk.id, "oudercontact invullen")
    assert selected(form, "parent-channel") == "school"
    assert selected(form, "parent-by_user") == str(demo_user("mentor").id)
    assert selected(form, "parent-complete_step") == "inform-parents"
    assert 'value="%s"' % db.local_date(talk.started_at).isoformat() in form
    assert textarea(form, "parent-summary") == ("Gesprek gevoerd met de leidraad «%s».\n"
                                                "Vader schrok, moeder herkent het van thuis." % talk.title)
    assert textarea(form, "parent-agreed") == "Ouders praten vanavond met Daan.\nMentor belt over een week terug."
    saved = client.post("/dossiers/%d/oudercontacten/nieuw" % case.id, data={
        "parent-csrf_token": csrf_token(client, "/account/"), "parent-pupil": pupil("Daan").id,
        "parent-channel": "school", "parent-contacted_on": db.today().isoformat(),
        "parent-by_user": demo_user("mentor").id, "parent-summary": textarea(form, "parent-summary"),
        "parent-agreed": textarea(form, "parent-agreed"), "parent-complete_step": "inform-parents"})
    assert saved.status_code == 302
    assert step(case, "inform-parents").status == "done"
    contact = models.ParentContact.select().where(models.ParentContact.case == case).order_by(
        models.ParentContact.id.desc()).first()
    assert (contact.pupil.first_name, contact.channel) == ("Daan", "school")


def test_a_talk_with_several_pupils_leaves_whose_parents_to_the_mentor(app, login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    with app.app_context():
        talk = parents_talk(case, [pupil("Daan"), pupil("Tim")])
    form = client.get("/dossiers/%d/oudercontacten/nieuw?gesprek=%d" % (case.id, talk.id)).get_data(as_text=True)
    assert selected(form, "parent-pupil") in ("", None)
    assert textarea(form, "parent-summary").startswith("Gesprek gevoerd met de leidraad")


def test_a_talk_of_another_case_or_step_fills_in_nothing(app, login_as, factory):
    from domain import conversations
    client = login_as("mentor")
    case = demo_case("0001")
    with app.app_context():
        other = parents_talk(factory.case(mentor=demo_user("mentor")), [])
        with models.db.atomic():
            joint = conversations.start(case, "joint-talk", "no-blame-joint-conversation", demo_user("mentor"), [])
    for talk in (other, joint):
        form = client.get("/dossiers/%d/oudercontacten/nieuw?gesprek=%d" % (case.id, talk.id)).get_data(as_text=True)
        assert "Gesprek gevoerd met de leidraad" not in form and selected(form, "parent-complete_step") in ("", None)


def test_finishing_another_talk_still_completes_its_own_step(app, login_as):
    from domain import conversations
    client = login_as("mentor")
    case = demo_case("0001")
    with app.app_context(), models.db.atomic():
        joint = conversations.start(case, "joint-talk", "no-blame-joint-conversation", demo_user("mentor"), [])
    response = client.post("/gesprekken/%d/afronden" % joint.id, data={
        "csrf_token": csrf_token(client, "/gesprekken/%d" % joint.id), "complete_step": "y"})
    assert response.headers["Location"] == "/gesprekken/%d" % joint.id
    assert step(case, "joint-talk").status == "done"


def test_the_parents_step_offers_the_talk_and_a_contact_first_on_the_case_page(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    next_block = re.search(r'<section class="card next".*?</section>', page, re.S).group(0)
    assert 'href="/gesprekken/nieuw/%d/inform-parents"' % case.id in next_block
    assert 'href="/dossiers/%d/oudercontacten/nieuw?stap=inform-parents"' % case.id in next_block


def test_a_talk_with_the_parents_ticks_the_pupils_whose_parents_the_guide_is_for(login_as):
    """Each parents' guide names, as protocol data, whose parents it is for: the victim's talk ticks Noor,
    the 11-step talk the bully and the follower (Daan and Tim), and the page says so beside each guide."""
    from test_conversations import ticked_pupils
    client = login_as("mentor")
    url = "/gesprekken/nieuw/%d/inform-parents" % demo_case("0001").id
    victims = client.get(url + "?sjabloon=victim-parents-conversation").get_data(as_text=True)
    assert ticked_pupils(victims) == ["Noor"]
    assert ticked_pupils(client.get(url + "?sjabloon=bully-parents-eleven-steps").get_data(as_text=True)) == [
        "Daan", "Tim"]
    assert "Met de ouders van: Noor Hoekstra" in html.unescape(victims)


def test_starting_a_talk_with_the_parents_of_one_pupil_names_them_through_to_the_contact(app, login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    url = "/gesprekken/nieuw/%d/inform-parents" % case.id
    noor = pupil("Noor")
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "template": "victim-parents-conversation",
                                      "pupils": [noor.id], "others": "moeder van Noor"})
    assert response.status_code == 302
    talk = models.Conversation.select().where(models.Conversation.case == case).order_by(
        models.Conversation.id.desc()).first()
    assert [(p.pupil_id, p.role) for p in talk.participants.order_by(models.ConversationParticipant.id)] == [
        (noor.id, "parents"), (None, "other")]
    page = html.unescape(client.get("/gesprekken/%d" % talk.id).get_data(as_text=True))
    assert "Met: de ouders van Noor Hoekstra, moeder van Noor" in page
    started = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                              models.CaseEvent.kind == "conversation_started").order_by(
        models.CaseEvent.id.desc()).first()
    assert started.text == "%s (ouders van Noor Hoekstra)" % talk.title
    case_page = html.unescape(client.get("/dossiers/%d" % case.id).get_data(as_text=True))
    assert '<span class="rows__main">%s · de ouders van Noor Hoekstra</span>' % talk.title in case_page
    form = client.get("/dossiers/%d/oudercontacten/nieuw?gesprek=%d" % (case.id, talk.id)).get_data(as_text=True)
    assert selected(form, "parent-pupil") == str(noor.id)


def test_a_talk_with_the_parents_asks_whose_parents_when_no_pupil_is_ticked(app, login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    url = "/gesprekken/nieuw/%d/inform-parents" % case.id
    before = models.Conversation.select().count()
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "template": "victim-parents-conversation",
                                      "others": "moeder van Noor"})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert '<a href="#pupils-0">Kies de leerling met wiens ouders je spreekt.</a>' in page  # the error summary
    assert '<p class="field__error" id="pupils-error">Kies de leerling met wiens ouders je spreekt.</p>' in page
    assert 'value="moeder van Noor"' in page  # what was typed stays
    assert models.Conversation.select().count() == before


def test_the_parents_guide_of_the_flemish_bully_step_is_for_the_bully(app):
    with app.app_context():
        from domain import protocols
        vl = protocols.get("stappenplan-vl")
    assert vl.step("inform-bully-parents").templates[0].parents_of == ("bully",)
    assert vl.step("choose-approach").templates[1].parents_of == ("victim",)


def test_the_case_pdf_says_whose_parents_a_talk_was_with(app, login_as):
    from test_case_pdf import pdf_text
    case = demo_case("0001")
    with app.app_context():
        parents_talk(case, [pupil("Daan")])
    text = pdf_text(login_as("coordinator").get("/dossiers/%d/dossier.pdf" % case.id).data)
    assert "Aanwezig ouders van Daan van den Berg, vader van Daan" in text


def test_the_pupils_own_file_says_a_talk_was_with_their_parents(app, login_as):
    from test_access_requests import ask, flat, pdf_text
    case = demo_case("0001")
    with app.app_context():
        from domain import conversations
        with models.db.atomic():
            talk = conversations.start(case, "inform-parents", "victim-parents-conversation", demo_user("mentor"),
                                       [(pupil("Noor"), "Noor Hoekstra", "victim")])
    text = flat(pdf_text(ask(login_as("coordinator"), pupil("Noor")).data))
    assert talk.title in text and "ouders van Noor Hoekstra" in text


def test_starting_a_talk_with_the_parents_of_two_pupils_names_both_on_the_timeline(app):
    case = demo_case("0001")
    with app.app_context():
        talk = parents_talk(case, [pupil("Daan"), pupil("Tim")])
        started = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                                  models.CaseEvent.kind == "conversation_started").order_by(
            models.CaseEvent.id.desc()).first()
        assert started.text == "%s (ouders van Daan van den Berg, Tim Kok)" % talk.title
        assert [p.role for p in talk.participants.order_by(models.ConversationParticipant.id)] == [
            "parents", "parents", "other"]


def test_the_parent_contact_names_the_pupil_whose_parents_were_spoken_with_before_any_other_pupil_there(app):
    """Whose parents: the one pupil there as "parents", though another pupil took part; in a talk started before
    the guides said whose parents they are for (its pupils under their own roles), the one pupil in it."""
    from domain import conversations
    case = demo_case("0001")
    with app.app_context():
        talk = parents_talk(case, [pupil("Daan")])
        models.ConversationParticipant.create(conversation=talk, pupil=pupil("Tim"), name="Tim Kok", role="follower")
        assert conversations.parent_contact_draft(talk)["pupil"] == pupil("Daan").id
        older = parents_talk(case, [pupil("Tim")])
        models.ConversationParticipant.update(role="follower").where(
            models.ConversationParticipant.conversation == older, models.ConversationParticipant.pupil.is_null(False)
        ).execute()
        assert conversations.parent_contact_draft(older)["pupil"] == pupil("Tim").id
        models.ConversationParticipant.create(conversation=older, pupil=pupil("Daan"), name="Daan", role="bully")
        assert conversations.parent_contact_draft(older)["pupil"] is None  # two pupils, nobody's parents: ask


def test_the_parent_contact_takes_the_talks_notes_and_agreements_and_not_what_the_pupil_wished(app):
    from domain import conversations
    case = demo_case("0001")
    mentor = demo_user("mentor")
    with app.app_context():
        talk = parents_talk(case, [pupil("Daan")], notes=["Eerste notitie."], agreements=["Eerste afspraak."])
        with models.db.atomic():
            conversations.add_line(talk, "wish", "Daan wil met rust gelaten worden.", "wish-%d" % talk.id, mentor)
            conversations.add_line(talk, "note", "Tweede notitie.", "note-late-%d" % talk.id, mentor)
        draft = conversations.parent_contact_draft(talk)
    assert draft["summary"] == "Gesprek gevoerd met de leidraad «%s».\nEerste notitie.\nTweede notitie." % talk.title
    assert draft["agreed"] == "Eerste afspraak."


def test_a_talk_whose_protocol_is_no_longer_installed_records_no_parent_contact(app):
    from domain import conversations
    case = demo_case("0001")
    with app.app_context():
        talk = parents_talk(case, [pupil("Daan")])
        assert conversations.records_parent_contact(talk) is True
        models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()
        assert conversations.records_parent_contact(models.Conversation.get_by_id(talk.id)) is False
