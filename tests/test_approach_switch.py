"""Seed 004 step 4: when the support group (the non-confrontational approach) does not work, the school can
switch to the confrontational approach. A follow-up talk that finds the agreements not kept proposes it to
whoever chooses the approach (the coordinator); one tap switches (the confrontational steps then apply,
counting from that day) or keeps the support group, on the timeline and in the audit log."""
import datetime
import html
import re

import pytest

import db
import models
from conftest import csrf_token, demo_user
from domain import cases, followups
from test_followups import record

DAY = datetime.timedelta(days=1)


@pytest.fixture
def support_group_case(app, factory):
    """A Flemish case of the demo's mentor, under the support-group approach since the consultation, with a
    follow-up talk with the bully due today."""
    mentor = demo_user("mentor")
    with app.app_context():
        case = factory.case(mentor=mentor, protocol="stappenplan-vl", victim=factory.pupil(first_name="Lien"),
                            bully=factory.pupil(first_name="Wout"))
        with models.db.atomic():
            cases.set_approach(case, "non_confrontational", "group", demo_user("coordinator"))
            # The consultation that chose the support group was three weeks ago.
            models.CaseStep.update(status="done", done_at=db.utcnow() - 21 * DAY).where(
                models.CaseStep.case == case,
                models.CaseStep.step_key.in_(["report", "victim-talk", "choose-approach"])).execute()
            cases.sync_steps(case)
            bully = models.Involvement.get(models.Involvement.case == case, models.Involvement.role == "bully")
            talk = models.FollowUp.create(case=case, pupil=bully.pupil_id, due_on=db.today())
    return models.Case.get_by_id(case.id), talk


def next_block(client, case):
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    return html.unescape(re.search(r'<section class="card next".*?</section>', page, re.S).group(0))


def decide(client, case, decision):
    return client.post("/dossiers/%d/aanpak/wisselen" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "decision": decision})


def step(case, key):
    return models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == key)


def events(case, kind):
    return [event.text for event in models.CaseEvent.select().where(
        models.CaseEvent.case == case, models.CaseEvent.kind == kind).order_by(models.CaseEvent.id)]


def test_agreements_not_kept_under_the_support_group_propose_the_confrontational_approach(
        app, login_as, support_group_case):
    case, talk = support_group_case
    mentor, coordinator = login_as("mentor"), login_as("coordinator")
    assert "Overschakelen op" not in next_block(coordinator, case)
    assert record(mentor, talk, "not_kept").status_code == 302
    block = next_block(coordinator, case)
    assert "Werkt de niet-confronterende aanpak niet?" in block
    assert 'name="decision" value="switch"' in block and 'name="decision" value="keep"' in block
    # The mentor holds the talks; the coordinator chooses the approach (DESIGN.md): the mentor reads it on the
    # timeline, without the buttons.
    assert "Overschakelen op" not in next_block(mentor, case)
    assert events(case, "approach_switch_proposed") == [
        "Overschakelen op de confronterende aanpak; beslist: anti-pestcoördinator"]
    with app.app_context():
        assert followups.approach_switch(case).to == "confrontational"


def test_one_tap_switches_to_the_confrontational_steps_counting_from_today(app, login_as, support_group_case):
    case, talk = support_group_case
    record(login_as("mentor"), talk, "not_kept")
    coordinator = login_as("coordinator")
    assert step(case, "confront-talk").status == "not_applicable"
    assert step(case, "support-group").status == "open"
    response = decide(coordinator, case, "switch")
    assert response.status_code == 302 and response.headers["Location"] == "/dossiers/%d" % case.id
    case = models.Case.get_by_id(case.id)
    assert (case.approach, case.approach_level) == ("confrontational", "group")
    confront = step(case, "confront-talk")
    assert (confront.status, confront.due_on) == ("open", db.today() + 2 * DAY)  # not overdue since long ago
    assert step(case, "support-group").status == "not_applicable"
    assert events(case, "approach_switched") == [
        "Van de niet-confronterende aanpak naar de confronterende aanpak"]
    line = models.AuditEvent.select().where(models.AuditEvent.action == "case.approach").order_by(
        models.AuditEvent.id.desc()).first()
    assert (line.object_id, line.detail, line.username) == (case.id, "confrontational/overgeschakeld", "coordinator")
    assert "Overschakelen op" not in next_block(coordinator, case)
    assert decide(coordinator, case, "switch").status_code == 409  # nothing left to switch


def test_keeping_the_support_group_ends_the_proposal_until_agreements_break_again(app, login_as, support_group_case):
    case, talk = support_group_case
    mentor, coordinator = login_as("mentor"), login_as("coordinator")
    assert events(case, "approach") == ["niet-confronterende aanpak, in de groep"]  # in words on the timeline
    record(mentor, talk, "not_kept")
    assert decide(coordinator, case, "keep").status_code == 302
    assert models.Case.get_by_id(case.id).approach == "non_confrontational"
    assert events(case, "approach_kept") == ["De niet-confronterende aanpak gaat door"]
    assert "Overschakelen op" not in next_block(coordinator, case)
    again = models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null()).first()
    models.FollowUp.update(due_on=db.today()).where(models.FollowUp.id == again.id).execute()
    record(mentor, models.FollowUp.get_by_id(again.id), "not_kept")
    assert "Overschakelen op" in next_block(coordinator, case)
    assert len(events(case, "approach_switch_proposed")) == 2


def test_no_proposal_when_it_goes_well_or_under_the_confrontational_approach(app, login_as, support_group_case):
    case, talk = support_group_case
    mentor, coordinator = login_as("mentor"), login_as("coordinator")
    record(mentor, talk, "going_well")
    assert "Overschakelen op" not in next_block(coordinator, case)
    assert decide(coordinator, case, "switch").status_code == 409
    assert decide(mentor, case, "switch").status_code == 403
    models.Case.update(approach="confrontational").where(models.Case.id == case.id).execute()
    later = models.FollowUp.create(case=case, pupil=talk.pupil_id, due_on=db.today())
    record(mentor, later, "not_kept")
    assert "Overschakelen op" not in next_block(coordinator, case)
    assert events(case, "approach_switch_proposed") == []


def test_an_empty_decision_is_refused_with_a_message(login_as, support_group_case):
    case, talk = support_group_case
    record(login_as("mentor"), talk, "not_kept")
    coordinator = login_as("coordinator")
    response = decide(coordinator, case, "")
    assert response.status_code == 400
    assert "Kies: overschakelen of de aanpak voortzetten." in html.unescape(response.get_data(as_text=True))
    assert models.Case.get_by_id(case.id).approach == "non_confrontational"
