"""The measure form records that the parents the protocol names heard of the measure (parents_after_measure): a
full-row box per pupil, a parent contact each in the same transaction as the measure, so their to-do clears; the
free text stays for the others informed. Nothing is half saved on an error."""
import datetime
import re

import pytest
from flask_babel import force_locale

import db
import models
from conftest import csrf_token, demo_case, demo_user, school_protocol
from domain import escalation, followups, protocols


@pytest.fixture
def bas_broke_twice(app, factory):
    """Anna bullied by Bas, Cor following, on the mentor's case: Bas broke the agreements twice, phase 1 proposed
    (the mentor decides it)."""
    return broke_twice(app, factory, "vo-nl")


def broke_twice(app, factory, protocol_key):
    """bas_broke_twice on a case that follows this protocol, its pupils in it for a month."""
    from domain import cases
    with app.app_context():
        school_class = factory.school_class(mentor=demo_user("mentor"))
        anna, bas, cor = (factory.pupil(school_class, name) for name in ("Anna", "Bas", "Cor"))
        with models.db.atomic():
            case, _ = cases.open_case(protocol_key, demo_user("mentor"),
                                      {anna: "victim", bas: "bully", cor: "follower"}, demo_user("coordinator"))
            models.Involvement.update(added_at=db.utcnow() - datetime.timedelta(days=30)).where(
                models.Involvement.case == case).execute()
            for _ in range(2):
                talk = models.FollowUp.create(case=case, pupil=bas, due_on=db.today())
                followups.record(talk, demo_user("mentor"), "not_kept", db.today())
    return case, anna, bas, cor


def post_measure(client, case, pupil, phase, parents=(), description="Schrijfopdracht over wat pesten doet."):
    return client.post("/dossiers/%d/maatregelen" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "pupil": pupil.id, "phase": phase,
        "description": description, "decided_on": db.today().isoformat(), "informed": "teamleider",
        "parents_informed": [pupil.id for pupil in parents], "parents_channel": "phone"})


def contacts(case):
    return list(models.ParentContact.select().where(models.ParentContact.case == case)
                .order_by(models.ParentContact.id))


def test_ticking_the_parents_records_their_contact_with_the_measure_and_clears_their_to_do(app, login_as,
                                                                                            bas_broke_twice):
    case, anna, bas, cor = bas_broke_twice
    mentor = login_as("mentor")
    page = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
    for pupil in (bas, cor, anna):  # whose parents hear of a measure: its pupil's, and the bullied pupil's
        assert "Ouders van %s zijn ingelicht" % pupil.display_name in page
    assert post_measure(mentor, case, bas, 1, parents=(bas, anna)).status_code == 302
    measure = models.Measure.get(models.Measure.case == case)
    assert measure.informed == "teamleider"  # the free text, for the others informed
    assert [(row.pupil_id, row.contacted_on, row.by_user.username, row.channel) for row in contacts(case)] == [
        (bas.id, measure.decided_on, "mentor", "phone"), (anna.id, measure.decided_on, "mentor", "phone")]
    assert contacts(case)[0].summary.startswith("Over de maatregel: fase 1")
    with app.app_context():
        assert escalation.parents_to_inform(models.Case.get_by_id(case.id)) == []  # the to-do is cleared
    assert "Ouders nog niet ingelicht over een maatregel" not in mentor.get("/dossiers/%d" % case.id).get_data(
        as_text=True)
    lines = [event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case,
                                                                     models.CaseEvent.kind == "parent_contact")]
    assert lines == ["ouders van %s (telefoon), over de maatregel van fase 1" % pupil.display_name
                     for pupil in (bas, anna)]
    assert models.AuditEvent.select().where(models.AuditEvent.action == "case.parent_contact",
                                            models.AuditEvent.detail.contains("over de maatregel")).count() == 2


def test_unticked_parents_still_wait_to_hear_of_it(app, login_as, bas_broke_twice):
    case, anna, bas, cor = bas_broke_twice
    assert post_measure(login_as("mentor"), case, bas, 1, parents=(anna,)).status_code == 302
    assert [row.pupil_id for row in contacts(case)] == [anna.id]
    with app.app_context():
        assert [item.pupil.id for item in escalation.parents_to_inform(models.Case.get_by_id(case.id))] == [bas.id]


def test_the_parents_of_a_pupil_the_measure_is_not_for_are_refused_by_the_field_and_nothing_is_saved(
        login_as, bas_broke_twice):
    case, anna, bas, cor = bas_broke_twice
    response = post_measure(login_as("mentor"), case, bas, 1, parents=(cor, anna))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    message = ("Deze maatregel is niet voor %s: haal het vinkje bij de ouders van %s weg, of kies %s als leerling."
               % ((cor.display_name,) * 3))
    assert 'id="parents_informed-error">%s</p>' % message in page and 'href="#parents_informed-0"' in page
    boxes = _boxes(page)
    assert boxes == {bas.id: False, cor.id: True, anna.id: True}  # what was ticked stays ticked
    assert models.Measure.select().where(models.Measure.case == case).count() == 0 and contacts(case) == []


def test_a_measure_refused_where_it_is_kept_records_no_parent_contact_either(login_as):
    """Yara has phase 4 proposed; the coordinator's phase 2 is refused by the measure's own checks, after the form
    passed: the parents' contacts ticked with it are not saved."""
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    before = len(contacts(case))
    response = post_measure(login_as("coordinator"), case, yara, 2, parents=(yara,))
    assert response.status_code == 400 and "Er ligt een voorstel voor fase 4" in response.get_data(as_text=True)
    assert len(contacts(case)) == before
    assert not models.Measure.select().where(models.Measure.case == case, models.Measure.phase == 2,
                                             models.Measure.decided_on == db.today()).exists()


def _boxes(page):
    """The parents' boxes on the page: pupil id -> ticked."""
    found = {}
    for tag in re.findall(r'<input[^>]*name="parents_informed"[^>]*>', page):
        found[int(re.search(r'value="(\d+)"', tag).group(1))] = " checked" in tag
    return found


def test_a_box_for_no_pupil_offered_is_refused_not_an_error(login_as, bas_broke_twice):
    case, anna, bas, cor = bas_broke_twice
    client = login_as("mentor")
    response = client.post("/dossiers/%d/maatregelen" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "pupil": bas.id, "phase": 1,
        "description": "Schrijfopdracht.", "decided_on": db.today().isoformat(), "parents_informed": ["2147483648"],
        "parents_channel": "phone"})
    assert response.status_code == 400
    assert models.Measure.select().where(models.Measure.case == case).count() == 0 and contacts(case) == []


def test_the_parents_who_hear_of_a_measure_are_those_of_each_pupil_it_can_be_for_then_of_the_bullied(
        app, bas_broke_twice):
    """The measure form's boxes: Bas and Cor (a measure can be for them), then Anna (bullied), each once with why;
    none in a case whose protocol is no longer installed."""
    case, anna, bas, cor = bas_broke_twice
    with app.app_context():
        case = models.Case.get_by_id(case.id)
        assert [(row.pupil.id, row.role) for row in case.involved_pupils()] == [
            (anna.id, "victim"), (bas.id, "bully"), (cor.id, "follower")]
        assert [(pupil.id, why) for pupil, why in escalation.parents_who_hear(case)] == [
            (bas.id, "pupil"), (cor.id, "pupil"), (anna.id, "victim")]
        models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()  # no longer installed
        assert escalation.parents_who_hear(models.Case.get_by_id(case.id)) == []


def test_the_parents_contact_of_a_measure_names_its_phase_and_first_500_characters_and_who_told_them(
        app, bas_broke_twice):
    """Recorded with the measure, by a mentor who reads English: a contact on the day it was decided, about the
    phase by number and title and the description's first 500 characters; the timeline line in Dutch, by them."""
    case, anna, bas, cor = bas_broke_twice
    description = ("Schrijfopdracht over wat pesten doet, en een gesprek met Anna erover. " * 10)[:501]
    assert len(description) == 501 and description == description.strip()
    with app.app_context(), force_locale("en"):
        mentor = demo_user("mentor")
        with models.db.atomic():
            measure = escalation.decide_measure(models.Case.get_by_id(case.id), bas, 1, description, mentor,
                                                db.today() - datetime.timedelta(days=1))
            told = escalation.record_parents_informed(measure, [bas], "phone", mentor)
    assert [row.id for row in told] == [row.id for row in contacts(case)]
    assert [(row.pupil_id, row.contacted_on, row.by_user_id, row.channel, row.summary) for row in contacts(case)] == [
        (bas.id, db.today() - datetime.timedelta(days=1), mentor.id, "phone",
         "Over de maatregel: fase 1 (Lichte corrigerende maatregel). " + description[:500])]
    event = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                            models.CaseEvent.kind == "parent_contact").get()
    assert (event.text, event.user.username) == (
        "ouders van %s (telefoon), over de maatregel van fase 1" % bas.display_name, "mentor")


def test_the_parents_of_a_pupil_taken_out_of_the_case_after_their_measure_are_no_longer_to_be_told(
        app, login_as, bas_broke_twice):
    """Bas's measure is decided, nobody told yet: Anna's parents and his, due the same day, in the case's order.
    Then Bas is taken out of the case (added by mistake): his parents leave the to-do, on the home page too (the
    parent contact form no longer offers him, so nothing could clear it), and Anna's stay."""
    from domain import corrections
    case, anna, bas, cor = bas_broke_twice
    with app.app_context():
        with models.db.atomic():
            measure = escalation.decide_measure(models.Case.get_by_id(case.id), bas, 1, "Schrijfopdracht.",
                                                demo_user("mentor"), db.today())

        def to_inform():
            return [(item.pupil.id, item.measure.id, item.due_on)
                    for item in escalation.parents_to_inform(models.Case.get_by_id(case.id))]
        due_on = db.today() + datetime.timedelta(days=7)
        assert to_inform() == [(anna.id, measure.id, due_on), (bas.id, measure.id, due_on)]
        told = "Ouders van %s inlichten over de maatregel (fase 1)"
        home = login_as("mentor").get("/").get_data(as_text=True)
        assert told % anna.display_name in home and told % bas.display_name in home
        with models.db.atomic():
            corrections.remove_pupil(models.Case.get_by_id(case.id), bas, "Per vergissing toegevoegd.",
                                     demo_user("coordinator"))
        assert [row.pupil.id for row in models.Case.get_by_id(case.id).involved_pupils()] == [anna.id, cor.id]
        assert to_inform() == [(anna.id, measure.id, due_on)]
        assert [(item.pupil.id, item.due_on) for item in escalation.parents_due_for(demo_user("mentor"))
                if item.case.id == case.id] == [(anna.id, due_on)]
        home = login_as("mentor").get("/").get_data(as_text=True)
        assert told % anna.display_name in home and told % bas.display_name not in home


@pytest.mark.parametrize("of, whom", [(("victim",), ["anna"]), (("pupil",), ["bas"])])
def test_a_school_protocol_s_own_parents_rule_says_whose_parents_hear_and_within_how_many_days(
        app, factory, of, whom):
    """A school's own protocol gives parents 10 days, and tells only the bullied pupils' parents, or only those of
    the pupil a measure is for: the form offers those, the to-do lists those, due 10 days after the decision, and
    the home page (a week ahead) lists them only from 7 days before."""
    with app.app_context():
        school_protocol("eigen", parents_after_measure=protocols.ParentsRule(days=10, of=of))
        case, anna, bas, cor = broke_twice(app, factory, "eigen")
        pupils = {"anna": anna.id, "bas": bas.id, "cor": cor.id}
        why = {"anna": "victim", "bas": "pupil", "cor": "pupil"}
        assert [(pupil.id, reason) for pupil, reason in escalation.parents_who_hear(models.Case.get_by_id(case.id))] \
            == [(pupils[name], why[name]) for name in ("bas", "cor", "anna") if why[name] in of]
        with models.db.atomic():
            measure = escalation.decide_measure(models.Case.get_by_id(case.id), bas, 1, "Schrijfopdracht.",
                                                demo_user("mentor"), db.today() - datetime.timedelta(days=2))
        due_on = db.today() + datetime.timedelta(days=8)
        assert [(item.pupil.id, item.measure.id, item.due_on)
                for item in escalation.parents_to_inform(models.Case.get_by_id(case.id))] == [
            (pupils[name], measure.id, due_on) for name in whom]

        def on_home_page():
            return [item.pupil.id for item in escalation.parents_due_for(demo_user("mentor"))
                    if item.case.id == case.id]
        assert on_home_page() == []  # due in 8 days: not yet
        models.Measure.update(decided_on=db.today() - datetime.timedelta(days=3)).where(
            models.Measure.id == measure.id).execute()
        assert on_home_page() == [pupils[name] for name in whom]  # due in 7 days


def test_a_bullied_pupil_added_after_the_measure_is_due_by_the_day_they_joined_plus_the_protocol_s_days(
        app, login_as, bas_broke_twice, factory):
    """Bas's measure was decided ten days ago and nobody told; today a correction adds Dirk as a second bullied
    pupil. Anna's and Bas's parents were due three days ago (overdue); Dirk's parents are due a week from today,
    the day he joined the case, not overdue the moment he is added: nobody could have told them before."""
    from domain import corrections
    case, anna, bas, cor = bas_broke_twice
    with app.app_context():
        decided_on = db.today() - datetime.timedelta(days=10)
        with models.db.atomic():
            measure = escalation.decide_measure(models.Case.get_by_id(case.id), bas, 1, "Schrijfopdracht.",
                                                demo_user("mentor"), decided_on)
            dirk = factory.pupil(anna.school_class, "Dirk")
            corrections.add_pupil(models.Case.get_by_id(case.id), dirk, "victim", demo_user("coordinator"))
        overdue, due = decided_on + datetime.timedelta(days=7), db.today() + datetime.timedelta(days=7)
        assert [(item.pupil.id, item.measure.id, item.due_on)
                for item in escalation.parents_to_inform(models.Case.get_by_id(case.id))] == [
            (anna.id, measure.id, overdue), (bas.id, measure.id, overdue), (dirk.id, measure.id, due)]
        home = login_as("mentor").get("/").get_data(as_text=True)
        rows = re.findall(r'Ouders van ([^<]*?) inlichten over de maatregel \(fase 1\).*?<span class="due ([^"]*)"',
                          home, re.S)
        assert sorted(rows) == sorted([(anna.display_name, "due--overdue"), (bas.display_name, "due--overdue"),
                                       (dirk.display_name, "")]), rows


def test_a_pupil_made_a_bullied_one_after_the_measure_is_due_by_that_day_plus_the_protocol_s_days(
        app, bas_broke_twice, factory):
    """Dirk was in the case from its start as a bystander; ten days after Bas's measure a correction makes him a
    bullied pupil. His parents are due a week from the correction, Anna's stay due a week from the measure."""
    from domain import corrections
    case, anna, bas, cor = bas_broke_twice
    with app.app_context():
        dirk = factory.pupil(anna.school_class, "Dirk")
        models.Involvement.create(case=case, pupil=dirk, role="bystander",
                                  added_at=db.utcnow() - datetime.timedelta(days=30))
        decided_on = db.today() - datetime.timedelta(days=10)
        with models.db.atomic():
            escalation.decide_measure(models.Case.get_by_id(case.id), bas, 1, "Schrijfopdracht.", demo_user("mentor"),
                                      decided_on)
            corrections.change_role(models.Case.get_by_id(case.id), dirk, "victim", demo_user("coordinator"))
        overdue, due = decided_on + datetime.timedelta(days=7), db.today() + datetime.timedelta(days=7)
        assert [(item.pupil.id, item.due_on)
                for item in escalation.parents_to_inform(models.Case.get_by_id(case.id))] == [
            (anna.id, overdue), (bas.id, overdue), (dirk.id, due)]
        assert [(item.pupil.id, item.due_on) for item in escalation.parents_due_for(demo_user("mentor"))
                if item.case.id == case.id] == [(anna.id, overdue), (bas.id, overdue), (dirk.id, due)]
