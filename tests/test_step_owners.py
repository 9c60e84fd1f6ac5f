"""Who completes a step is its owner in the protocol file, plus the coordinator: the support team acts on
the steps it owns (completes, notes, schedules them, and holds their talks with their own guide)."""
import datetime

import pytest
import time_machine

import models
import permissions
from conftest import csrf_token, demo_user
from domain import cases, followups, protocols

PROTOCOLS = ["vo-nl", "stappenplan-vl", "online-pesten"]
# Every role that could touch a case; "mentor" is the walked case's mentor, "mentor2" a mentor of another class.
USERS = ["mentor", "mentor2", "coordinator", "support", "counsellor", "teamleader", "management", "staff"]


def new_case(factory, protocol_key, referred=True):
    """A case of the demo mentor's class, referred to the support team (so its members work on it)."""
    school_class = factory.school_class(mentor=demo_user("mentor"))
    victim, bully = factory.pupil(school_class, "Anna"), factory.pupil(school_class, "Bas")
    with models.db.atomic():
        case, _ = cases.open_case(protocol_key, demo_user("mentor"), {victim: "victim", bully: "bully"},
                                  demo_user("coordinator"))
        if referred:
            models.Referral.create(case=case, pupil=victim, target="support_team", referred_on=case.opened_at)
    return models.Case.get_by_id(case.id)


def expected(username, owner):
    return username == "coordinator" or username == owner  # the demo's users are named after their role


@pytest.mark.parametrize("protocol_key", PROTOCOLS)
def test_who_may_complete_a_step_is_its_owner_in_the_protocol_plus_the_coordinator(app_context, factory,
                                                                                   protocol_key):
    protocol = protocols.get(protocol_key)
    case = new_case(factory, protocol_key)
    owners = {step.owner for step in protocol.steps}
    assert owners <= set(protocols.OWNERS)
    for step in protocol.steps:
        row = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == step.key)
        assert row.owner == step.owner  # copied from the file: permissions read the row
        for username in USERS:
            assert permissions.may_complete_step(demo_user(username), case, row.owner) == \
                expected(username, step.owner), (step.key, username)


def test_the_support_team_completes_nothing_on_a_case_it_was_not_asked_to_help_with(app_context, factory):
    case = new_case(factory, "stappenplan-vl", referred=False)
    assert not permissions.may_complete_step(demo_user("support"), case, "support")
    with models.db.atomic():
        models.CaseMember.create(case=case, user=demo_user("support"))  # or where a member was added
    assert permissions.may_complete_step(demo_user("support"), case, "support")


def complete_as(client, case, step_key, note=""):
    return client.post("/dossiers/%d/stappen/%s" % (case.id, step_key), data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "note": note})


def record_series(app, case, user):
    """Every follow-up talk of the case's series recorded by `user`, each on its own day (going well)."""
    with app.app_context():
        talks = list(models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
                                                    models.FollowUp.cancelled_at.is_null())
                     .order_by(models.FollowUp.due_on, models.FollowUp.id))
        for talk in talks:
            with time_machine.travel(datetime.datetime.combine(talk.due_on, datetime.time(12)), tick=False):
                with models.db.atomic():
                    followups.record(models.FollowUp.get_by_id(talk.id), user, "going_well", talk.due_on)
    return len(talks)


def walk(login_as, app, case, before_each=None):
    """Complete every open step in protocol order by its owner through the page, after a case worker who does
    not own it was refused; then every step is done or does not apply. The protocol's follow-up step completes
    itself: not by hand (a conflict, even for its owner), but when its owner recorded every pupil's talks."""
    clients = {username: login_as(username) for username in ("mentor", "coordinator", "support")}
    done_by = {}
    while True:
        row = (models.CaseStep.select().where(models.CaseStep.case == case, models.CaseStep.status == "open")
               .order_by(models.CaseStep.position).first())
        if row is None:
            return done_by
        if before_each:
            before_each(row)
        others = [name for name in ("mentor", "support") if name != row.owner]
        for other in others:
            assert complete_as(clients[other], case, row.step_key).status_code in (403, 404), (row.step_key, other)
        owner = row.owner
        with app.app_context():
            under_way = followups.series_under_way(case, row.step_key)
        if under_way:
            assert complete_as(clients[owner], case, row.step_key, "Door %s" % owner).status_code == 409
            assert record_series(app, case, demo_user(owner)) >= 2  # the victim's series and the bully's
            done = models.CaseStep.get_by_id(row.id)
            assert done.status == "done" and done.done_by.username == owner, row.step_key
        else:
            assert complete_as(clients[owner], case, row.step_key, "Door %s" % owner).status_code == 302, \
                row.step_key
            done = models.CaseStep.get_by_id(row.id)
            assert done.status == "done" and done.done_by.username == owner and done.note == "Door %s" % owner
        done_by[row.step_key] = owner


@pytest.mark.parametrize("protocol_key,approach", [("vo-nl", None), ("online-pesten", None),
                                                   ("stappenplan-vl", "confrontational"),
                                                   ("stappenplan-vl", "non_confrontational")])
def test_every_owner_completes_its_own_steps_of_a_walked_protocol(login_as, factory, app, protocol_key, approach):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False):  # (a session lasts 30 minutes)
        with app.app_context():
            case = new_case(factory, protocol_key)
            with models.db.atomic():  # maybe criminal: the police step, the coordinator's, applies too
                case.possibly_criminal = True
                case.save()
                cases.sync_steps(case)

        def choose_approach(row):
            if approach and row.step_key == "choose-approach":  # the internal consultation picks it
                with app.app_context(), models.db.atomic():
                    cases.set_approach(models.Case.get_by_id(case.id), approach, "group", demo_user("coordinator"))

        done_by = walk(login_as, app, case, choose_approach)
    owners = {step.key: step.owner for step in protocols.load_all()[protocol_key].steps}
    assert done_by == {key: owners[key] for key in done_by}
    assert set(done_by.values()) == ({"mentor", "coordinator"} if protocol_key == "online-pesten"
                                     else {"mentor", "coordinator", "support"})
    if protocol_key == "vo-nl":
        assert done_by["extra-help"] == "support" and done_by["police"] == "coordinator"


def test_the_support_team_holds_the_support_group_as_a_talk_with_its_own_guide(login_as, factory, app):
    with app.app_context():
        case = new_case(factory, "stappenplan-vl")
        with models.db.atomic():
            cases.set_approach(case, "non_confrontational", "group", demo_user("coordinator"))
    support, mentor2 = login_as("support"), login_as("mentor2")
    # While the step waits for the choice of approach to be done, it offers no action yet.
    page = support.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "/gesprekken/nieuw/%d/support-group" % case.id not in page
    with app.app_context(), models.db.atomic():
        cases.complete_step(case, "choose-approach", demo_user("coordinator"))
    page = support.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "/gesprekken/nieuw/%d/support-group" % case.id in page
    assert "/gesprekken/nieuw/%d/victim-talk" % case.id not in page  # the mentor's step: not the team's talk
    assert support.get("/gesprekken/nieuw/%d/victim-talk" % case.id).status_code == 403
    start = support.post("/gesprekken/nieuw/%d/support-group" % case.id, data={
        "csrf_token": csrf_token(support, "/gesprekken/nieuw/%d/support-group" % case.id),
        "template": "support-group-meeting", "others": "Emma, Yara en Luuk"})
    assert start.status_code == 302, start.get_data(as_text=True)
    talk = models.Conversation.get(models.Conversation.case == case)
    assert talk.template_key == "support-group-meeting" and talk.held_by == demo_user("support")
    entry = talk.entries.order_by(models.ChecklistEntry.position).first()
    token = csrf_token(support, "/gesprekken/%d" % talk.id)
    tick = support.post("/gesprekken/%d/punten/%d" % (talk.id, entry.id), data={"csrf_token": token, "done": "1"})
    assert tick.status_code == 200 and models.ChecklistEntry.get_by_id(entry.id).done
    note = support.post("/gesprekken/%d/punten/%d/notitie" % (talk.id, entry.id), data={
        "csrf_token": token, "note": "Emma en Luuk doen mee.", "base_version": "0"})
    assert note.status_code == 200
    planned = support.post("/gesprekken/%d/afspraak" % talk.id, data={
        "csrf_token": token, "moment": (datetime.datetime.now() + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")})
    assert planned.status_code == 200  # the team schedules its next meeting
    # Someone who does not work on the case may not change the talk.
    assert mentor2.post("/gesprekken/%d/punten/%d" % (talk.id, entry.id), data={
        "csrf_token": csrf_token(mentor2, "/account/"), "done": "0"}).status_code == 404
    finished = support.post("/gesprekken/%d/afronden" % talk.id, data={"csrf_token": token, "complete_step": "y"})
    assert finished.status_code == 302
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "support-group")
    assert step.status == "done" and step.done_by == demo_user("support")


def test_a_talk_held_at_another_role_s_step_does_not_complete_that_step(login_as, factory, app):
    """The mentor may hold the talk of a coordinator's step; finishing it leaves the step to its owner."""
    with app.app_context():
        case = new_case(factory, "stappenplan-vl")
    mentor = login_as("mentor")
    path = "/gesprekken/nieuw/%d/choose-approach" % case.id
    start = mentor.post(path, data={"csrf_token": csrf_token(mentor, path), "template": "approach-consultation",
                                    "others": "Zorgteam en klascoach"})
    assert start.status_code == 302
    talk = models.Conversation.get(models.Conversation.case == case)
    checklist = mentor.get("/gesprekken/%d" % talk.id).get_data(as_text=True)
    assert "is hiermee gedaan" not in checklist
    mentor.post("/gesprekken/%d/afronden" % talk.id, data={
        "csrf_token": csrf_token(mentor, "/gesprekken/%d" % talk.id), "complete_step": "y"})
    assert models.Conversation.get_by_id(talk.id).ended_at is not None
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "choose-approach")
    assert step.status == "open"
