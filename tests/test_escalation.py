"""Escalation decided by the people the protocol names: each phase's `decided_by` is the rule.

The three protocols are walked on a frozen clock through their five phases: agreements broken again,
the proposal (the pupil, the phase by its title and description, who decides) reaching the deciders,
the first decider recording the measure and a second deciding role agreeing to it, both named.
"""
import dataclasses
import datetime

import pytest
import time_machine
from flask_babel import force_locale

import db
import models
import permissions
from conftest import csrf_token, demo_case, demo_user, school_protocol
from domain import escalation, followups, monitor, notify, protocols

PROTOCOLS = ["vo-nl", "stappenplan-vl", "online-pesten"]
NOT_WAITING = "^Deze maatregel wacht niet op jouw besluit\\.$"  # the whole refusal
# Who holds each role in the demo school; "mentor" is the mentor of the walked case's class.
ROLE_USERS = {"mentor": "mentor", "coordinator": "coordinator", "teamleader": "teamleader",
              "management": "management", "support": "support", "counsellor": "counsellor", "staff": "staff"}


@pytest.fixture
def pupils(app_context, factory):
    school_class = factory.school_class(mentor=demo_user("mentor"))
    return [factory.pupil(school_class, name) for name in ("Anna", "Bas", "Cor")]


def open_case(protocol, pupils, **fields):
    from domain import cases
    victim, bully, follower = pupils
    with models.db.atomic():
        case, _ = cases.open_case(protocol, demo_user("mentor"), {victim: "victim", bully: "bully",
                                                                  follower: "follower"},
                                  demo_user("coordinator"), **fields)
    return case


def break_agreements(case, pupil, times=2):
    """The pupil's follow-up talks recorded as not kept, today, as the follow-up page records them."""
    with models.db.atomic():
        for _ in range(times):
            talk = models.FollowUp.create(case=case, pupil=pupil, due_on=db.today())
            followups.record(talk, demo_user("mentor"), "not_kept", db.today())
    return models.Case.get_by_id(case.id)


def record_not_kept(client, case, follow_up):
    """The follow-up talk recorded through its form on the case page: the agreements were not kept, today."""
    prefix = "f%d-" % follow_up.id
    response = client.post("/vervolg/%d" % follow_up.id, data={
        prefix + "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), prefix + "outcome": "not_kept",
        prefix + "held_on": db.today().isoformat()})
    assert response.status_code == 302


def fresh(case):
    """The case as a new request reads it (permissions keep answers for a request only)."""
    return models.Case.get_by_id(case.id)


def suspension_waiting_for_management():
    """Case 0004: the team leader records Yara's suspension (phase 4) today; it waits for management.
    (case, the measure)."""
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    with models.db.atomic():
        measure = escalation.decide_measure(case, yara, 4, "Eén dag schorsing.", demo_user("teamleader"), db.today())
    return case, measure


@pytest.mark.parametrize("protocol_key", PROTOCOLS)
def test_each_phase_is_decided_by_the_roles_its_protocol_names_and_records_them_all(pupils, protocol_key):
    protocol = protocols.get(protocol_key)
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        case = open_case(protocol_key, pupils)
        bas = pupils[1]
        for number in range(1, 6):
            case = break_agreements(case, bas, times=2 if number == 1 else 1)
            phase = protocol.phase(number)
            assert [(p.pupil.id, p.phase) for p in escalation.proposals(case)] == [(bas.id, phase)]
            assert case.escalation_phase == number and case.escalation_deciders.split() == list(phase.decided_by)
            for role, username in ROLE_USERS.items():
                user = demo_user(username)
                decides = role in phase.decided_by
                assert permissions.may_decide_phase(user, case, phase.decided_by) == decides, (number, role)
                assert (case in [p.case for p in escalation.proposals_for(user)]) == (
                    decides or role == "coordinator"), (number, role)  # the coordinator steers every case
                if role in permissions.ESCALATION_ROLES:  # they read the case whose phase they decide
                    reads = decides or (role == "management" and number >= 4)
                    assert permissions.may_case("view", case, user) == reads, (number, role)
                    assert (case.id in [c.id for c in permissions.visible_cases(user)]) == reads
            outsider = next(demo_user(u) for r, u in ROLE_USERS.items() if r not in phase.decided_by)
            with pytest.raises(escalation.MeasureError, match="Over fase %d beslist" % number):
                escalation.decide_measure(case, bas, number, "Maatregel", outsider, db.today())
            first, *others = phase.decided_by
            with models.db.atomic():
                measure = escalation.decide_measure(case, bas, number, "Maatregel van fase %d" % number,
                                                    demo_user(ROLE_USERS[first]), db.today())
            assert measure.waiting_roles == tuple(others)
            assert escalation.proposals(fresh(case)) == []  # the measure answers the proposal
            for role in others:
                waiter = demo_user(ROLE_USERS[role])
                assert [m.id for m, _ in escalation.awaiting_for(waiter)] == [measure.id]
                with pytest.raises(escalation.MeasureError, match=NOT_WAITING):
                    escalation.agree(measure, fresh(case), demo_user(ROLE_USERS[first]))
                with models.db.atomic():
                    escalation.agree(models.Measure.get_by_id(measure.id), fresh(case), waiter)
                assert escalation.awaiting_for(waiter) == []
            deciders = models.MeasureDecider.select().where(models.MeasureDecider.measure == measure)
            assert {(row.role, row.user.username) for row in deciders} == {
                (role, ROLE_USERS[role]) for role in phase.decided_by}
            assert models.Measure.get_by_id(measure.id).waiting_for == ""
            clock.shift(datetime.timedelta(days=7))
    assert [m.phase for m in models.Measure.select().where(models.Measure.case == case)] == [1, 2, 3, 4, 5]


def test_a_case_s_mentor_decides_the_mentor_s_phase_and_another_mentor_does_not(pupils):
    case = break_agreements(open_case("vo-nl", pupils), pupils[1])
    assert escalation.proposals(case)[0].phase.decided_by == ("mentor",)
    assert permissions.may_decide_phase(demo_user("mentor"), case, ("mentor",))
    assert not permissions.may_decide_phase(demo_user("mentor2"), case, ("mentor",))


def test_management_reads_every_case_at_phase_4_or_5_and_the_team_leader_only_those_they_decide(pupils):
    case = open_case("vo-nl", pupils)
    with models.db.atomic():  # a phase the file gives to neither of them
        models.Case.update(escalation_phase=4, escalation_deciders="coordinator").where(
            models.Case.id == case.id).execute()
    case = fresh(case)
    assert permissions.may_case("view", case, demo_user("management"))
    assert not permissions.may_case("edit", case, demo_user("management"))
    assert not permissions.may_case("view", case, demo_user("teamleader"))
    with models.db.atomic():
        models.Case.update(escalation_phase=3).where(models.Case.id == case.id).execute()
    assert not permissions.may_case("view", fresh(case), demo_user("management"))


def test_the_proposal_on_the_case_page_names_the_pupil_the_phase_and_who_decides(login_as):
    case = demo_case("0004")  # the demo's case at phase 4
    yara = models.Pupil.get(models.Pupil.first_name == "Yara")
    page = login_as("teamleader").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Voorstel: fase 4, Schorsing</strong> · voor Yara Öztürk" in page
    assert "Yara Öztürk kwam de afspraken opnieuw niet na." in page
    assert "eerst één dag, bij herhaling langer" in page  # the phase's description
    assert "Wie beslist: teamleider en directie" in page
    button = 'href="/dossiers/%d?fase=4&amp;leerling=%d#measure">Maatregel vastleggen</a>' % (case.id, yara.id)
    assert button in page
    assert "Voorstel: fase 4 (Schorsing) voor Yara Öztürk; beslist: teamleider en directie" in page  # the timeline
    mentor_page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Voorstel: fase 4, Schorsing" in mentor_page
    assert "?fase=4&amp;" not in mentor_page  # the mentor does not decide suspension
    opened = login_as("teamleader").get("/dossiers/%d?fase=4&leerling=%d" % (case.id, yara.id)).get_data(as_text=True)
    assert '<details class="measure" id="measure" open>' in opened
    assert '<option selected value="4">4. Schorsing</option>' in opened
    assert '<option selected value="%d">Yara Öztürk</option>' % yara.id in opened


@pytest.mark.parametrize("username,decides", [("teamleader", True), ("management", True), ("coordinator", False),
                                              ("mentor", False), ("support", False)])
def test_the_proposal_reaches_the_deciders_home_pages(login_as, username, decides):
    case = demo_case("0004")
    home = login_as(username).get("/").get_data(as_text=True)
    shown = "Voorstel: fase 4, Schorsing" in home
    assert shown == (decides or username == "coordinator")  # the coordinator sees every proposal
    assert ("?fase=4&amp;leerling=" in home) == decides
    if shown:
        assert "Yara Öztürk" in home and "Wie beslist: teamleider en directie" in home and case.reference in home


def test_suspension_is_recorded_by_the_team_leader_and_agreed_by_management(login_as):
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    data = {"pupil": yara.id, "phase": 4, "description": "Eén dag schorsing en een training agressieregulatie.",
            "decided_on": db.today().isoformat(), "informed": "Ouders van Yara"}
    coordinator = login_as("coordinator")
    refused = coordinator.post("/dossiers/%d/maatregelen" % case.id,
                               data=dict(data, csrf_token=csrf_token(coordinator, "/dossiers/%d" % case.id)))
    assert refused.status_code == 400 and "Over fase 4 (Schorsing) beslist: teamleider en directie." in \
        refused.get_data(as_text=True)
    teamleader = login_as("teamleader")
    response = teamleader.post("/dossiers/%d/maatregelen" % case.id,
                               data=dict(data, csrf_token=csrf_token(teamleader, "/dossiers/%d" % case.id)))
    assert response.status_code == 302
    measure = models.Measure.get(models.Measure.case == case, models.Measure.phase == 4)
    assert measure.waiting_roles == ("management",)
    assert measure.decided_by.username == "teamleader"  # the case's PDF and the export name who decided
    # The measure keeps whom the decider informed, and which roles its phase needed, both of them.
    assert measure.informed == "Ouders van Yara" and measure.roles_to_decide == ("teamleader", "management")
    management = login_as("management")
    home = management.get("/").get_data(as_text=True)
    assert "Maatregel van fase 4, Schorsing, wacht op jouw besluit" in home
    # The home page's link leads to the measure's own line, where the button is, not the section's top.
    assert 'href="/dossiers/%d#measure-%d"' % (case.id, measure.id) in home
    page = management.get("/dossiers/%d" % case.id).get_data(as_text=True)
    line = page[page.index('id="measure-%d"' % measure.id):]
    assert "Instemmen met deze maatregel" in line[:line.index("</li>")]
    assert "wacht op directie" in page and "Instemmen met deze maatregel" in page
    assert "Instemmen met deze maatregel" not in teamleader.get("/dossiers/%d" % case.id).get_data(as_text=True)
    agreed = management.post("/maatregelen/%d/akkoord" % measure.id,
                             data={"csrf_token": csrf_token(management, "/dossiers/%d" % case.id)})
    assert agreed.status_code == 302
    again = management.post("/maatregelen/%d/akkoord" % measure.id,
                            data={"csrf_token": csrf_token(management, "/dossiers/%d" % case.id)})
    assert again.status_code == 403  # nothing waits for management any more
    page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Besloten door: Hanneke Bos (teamleider," in page and "Robert Verhoeven (directie," in page
    assert "ingelicht: Ouders van Yara" in page
    agreed_events = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                                    models.CaseEvent.kind == "measure_agreed")
    assert [(e.text, e.user.username) for e in agreed_events] == [("Fase 4: directie stemt in", "management")]
    assert models.AuditEvent.select().where(models.AuditEvent.action == "case.measure_agreed",
                                            models.AuditEvent.username == "management").exists()


def test_the_timeline_lines_of_a_measure_are_dutch_whatever_language_its_deciders_read(app_context):
    """The case file is Dutch: a team leader and a management member who read English record and agree to a
    measure, and the timeline names the roles in Dutch."""
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    with force_locale("en"):
        assert escalation.deciders_text(("management",)) != "directie"  # the refusals speak English
        with models.db.atomic():
            measure = escalation.decide_measure(case, yara, 4, "Eén dag schorsing.", demo_user("teamleader"),
                                                db.today())
        with models.db.atomic():
            escalation.agree(measure, fresh(case), demo_user("management"))
    lines = [e.text for e in models.CaseEvent.select().where(models.CaseEvent.case == case,
                                                             models.CaseEvent.kind.in_(["measure", "measure_agreed"]))
             .order_by(models.CaseEvent.id)]
    assert lines[-2:] == ["Fase 4 (Schorsing): Eén dag schorsing.; wacht op directie", "Fase 4: directie stemt in"]


def test_the_timeline_line_of_a_measure_names_who_recorded_it_and_the_first_150_characters(app_context):
    """The timeline keeps a measure's line short: its description's first 150 characters (the measure keeps
    all of it), and it names who recorded it, as every line of the case file does."""
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    description = "Eén dag schorsing; " + "daarna een gesprek met de ouders en de teamleider. " * 5
    with models.db.atomic():
        measure = escalation.decide_measure(case, yara, 5, "  %s  " % description, demo_user("management"),
                                            db.today())
    assert measure.description == description.strip()
    line = models.CaseEvent.select().where(models.CaseEvent.case == case, models.CaseEvent.kind == "measure") \
        .order_by(models.CaseEvent.id.desc()).first()
    phase = protocols.get(case.protocol_key).phase(5)
    assert line.text == "Fase 5 (%s): %s; wacht op teamleider" % (phase.title, description.strip()[:150])
    assert line.user.username == "management"


def test_a_phase_that_three_roles_decide_names_them_all_in_order(app_context):
    """A school's own protocol may let three roles decide a phase together: all three are named, in the
    protocol's order, in the reader's language and in the case file's."""
    roles = ("mentor", "teamleader", "management")
    assert escalation.deciders_text(roles) == "mentor, teamleider en directie"
    assert escalation.deciders_text(roles, dutch=True) == "mentor, teamleider en directie"
    with force_locale("en"):
        english = escalation.deciders_text(roles)
    assert english == "mentor, team leader and management"
    assert escalation.deciders_text(("management",)) == "directie" and escalation.deciders_text(()) == ""


def test_each_refusal_of_a_measure_says_why_in_full_and_stores_nothing(app_context):
    """Every reason a measure is refused, one at a time, each other detail valid: the team leader recording
    phase 4 (the one proposed for Yara) on the open case, today."""
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    stranger = models.Involvement.select().where(
        models.Involvement.case != case, models.Involvement.pupil.not_in(
            models.Involvement.select(models.Involvement.pupil).where(models.Involvement.case == case))).first().pupil
    valid = dict(pupil=yara, number=4, description="Eén dag schorsing.", user=demo_user("teamleader"),
                 decided_on=db.today())
    refusals = [
        ({"number": 9}, "Kies een fase uit het protocol van dit dossier."),
        ({"user": demo_user("staff")}, "Over fase 4 beslist: teamleider en directie."),
        ({"description": "  "}, "Beschrijf de maatregel."),
        ({"decided_on": db.today() + datetime.timedelta(days=1)}, "Een besluit kan niet in de toekomst liggen."),
        ({"pupil": stranger}, "Deze leerling hoort niet bij dit dossier."),
        ({"number": 1, "user": demo_user("mentor")}, "Er ligt een voorstel voor fase 4 (Schorsing); een maatregel van "
         "een lagere fase beantwoordt het niet. Daarover beslist: teamleider en directie."),
    ]
    measures = models.Measure.select().count()
    for change, message in refusals:
        arguments = dict(valid, **change)
        with pytest.raises(escalation.MeasureError) as refused:
            escalation.decide_measure(fresh(case), **arguments)
        assert str(refused.value) == message, change
    models.Case.update(status="closed").where(models.Case.id == case.id).execute()
    with pytest.raises(escalation.MeasureError) as refused:
        escalation.decide_measure(fresh(case), **valid)
    assert str(refused.value) == "Dit dossier is gesloten."
    assert models.Measure.select().count() == measures


def test_a_measure_waiting_on_a_case_closed_meanwhile_is_not_agreed_to(app_context, login_as):
    """Closed between the page and the tap: the agreement is refused with the reason, and nothing changes."""
    case, measure = suspension_waiting_for_management()
    management = login_as("management")
    token = csrf_token(management, "/dossiers/%d" % case.id)
    models.Case.update(status="closed").where(models.Case.id == case.id).execute()
    refused = management.post("/maatregelen/%d/akkoord" % measure.id, data={"csrf_token": token})
    assert refused.status_code == 409
    assert "Dit dossier is gesloten." in refused.get_data(as_text=True)
    with pytest.raises(escalation.MeasureError) as error:
        escalation.agree(measure, fresh(case), demo_user("management"))
    assert str(error.value) == "Dit dossier is gesloten."  # the whole reason
    assert models.Measure.get_by_id(measure.id).waiting_roles == ("management",)
    assert not models.MeasureDecider.select().where(models.MeasureDecider.measure == measure,
                                                    models.MeasureDecider.role == "management").exists()


def test_a_follow_up_that_proposes_a_phase_shows_the_case_to_its_deciders(login_as):
    """Recording Sem's agreements broken again through the page keeps the case's phase, so the team leader
    finds a case at phase 3 (decided with the coordinator) without anyone sharing it."""
    case = demo_case("0002")  # online: Sem's phases 1 and 2 taken
    sem = models.Pupil.get(models.Pupil.first_name == "Sem")
    follow_ups = []
    with models.db.atomic():
        for days in (3, 2):
            follow_ups.append(models.FollowUp.create(case=case, pupil=sem,
                                                     due_on=db.today() - datetime.timedelta(days=days)))
    assert login_as("teamleader").get("/dossiers/%d" % case.id).status_code == 404
    mentor = login_as("mentor")
    for follow_up in follow_ups:
        record_not_kept(mentor, case, follow_up)
    flashed = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Voorgesteld voor Sem Jansen: fase 3, Sanctie volgens het schoolreglement" in flashed
    assert "Daarover beslist: anti-pestcoördinator en teamleider." in flashed
    assert login_as("teamleader").get("/dossiers/%d" % case.id).status_code == 200
    assert login_as("management").get("/dossiers/%d" % case.id).status_code == 404


def test_the_deciders_digest_names_the_cases_that_wait_for_them_and_no_pupil(app_context):
    case = demo_case("0004")
    by_user = {entry["user"].username: entry for entry in notify.digests()}
    assert by_user["teamleader"]["decide"] == {case.reference}
    assert by_user["management"]["decide"] == {case.reference}
    assert case.reference not in by_user.get("mentor", {}).get("decide", set())
    assert case.reference not in by_user.get("coordinator", {}).get("decide", set())


def test_the_administrator_gives_the_new_roles_in_the_school_s_words(login_as):
    settings = models.SchoolSettings.current()
    settings.region = "vl"
    settings.save()
    admin = login_as("admin")
    form = admin.get("/beheer/gebruikers/nieuw").get_data(as_text=True)
    assert "Graadcoördinator</span></label>" in form and "Directie</span></label>" in form
    response = admin.post("/beheer/gebruikers/nieuw", data={
        "csrf_token": csrf_token(admin, "/beheer/gebruikers/nieuw"), "username": "gcoord", "full_name": "Lien Peeters",
        "email": "lien@school.example", "language": "nl", "roles": ["teamleader", "management"],
        "password": "a-long-enough-password"})
    assert response.status_code == 302
    assert models.User.by_username("gcoord").roles == {"teamleader", "management"}
    assert "Graadcoördinator, Directie" in admin.get("/beheer/gebruikers").get_data(as_text=True) or \
        "Directie, Graadcoördinator" in admin.get("/beheer/gebruikers").get_data(as_text=True)


def test_a_lighter_measure_does_not_take_the_proposal_from_those_who_decide_it(app_context):
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    with pytest.raises(escalation.MeasureError, match="Er ligt een voorstel voor fase 4 \\(Schorsing\\)"):
        escalation.decide_measure(case, yara, 1, "Strafwerk", demo_user("mentor"), db.today())
    assert escalation.proposal_for(fresh(case), yara).phase.phase == 4
    assert permissions.may_case("view", fresh(case), demo_user("management"))


def test_each_pupil_has_their_own_proposal_and_the_case_waits_for_each_one_s_deciders(pupils):
    """Counted per pupil: the bully at phase 4 and the follower at phase 1 are two proposals, each with its
    own deciders; the case shows itself to all of them, and a lighter measure is refused only for the pupil
    whose proposal it would take."""
    _victim, bas, cor = pupils
    case = open_case("vo-nl", pupils)
    with models.db.atomic():
        for number in (1, 2, 3):
            models.Measure.create(case=case, pupil=bas, phase=number, description="Eerder", decided_on=db.today()
                                  - datetime.timedelta(days=30))
    case = break_agreements(break_agreements(case, bas), cor)
    assert [(p.pupil.id, p.phase.phase) for p in escalation.proposals(case)] == [(bas.id, 4), (cor.id, 1)]
    assert case.escalation_phase == 4
    assert case.escalation_deciders.split() == ["teamleader", "management", "mentor"]
    timeline = [e.text for e in models.CaseEvent.select().where(models.CaseEvent.case == case,
                                                                models.CaseEvent.kind == "escalation_proposed")]
    assert "Voorstel: fase 4 (Schorsing) voor %s; beslist: teamleider en directie" % bas.display_name in timeline
    assert "Voorstel: fase 1 (Lichte corrigerende maatregel) voor %s; beslist: mentor" % cor.display_name in timeline
    with pytest.raises(escalation.MeasureError, match="Er ligt een voorstel voor fase 4"):
        escalation.decide_measure(case, bas, 1, "Strafwerk", demo_user("mentor"), db.today())
    with models.db.atomic():  # Cor's own proposal is phase 1: the mentor answers it
        escalation.decide_measure(case, cor, 1, "Strafwerk", demo_user("mentor"), db.today())
    assert [p.pupil.id for p in escalation.proposals(fresh(case))] == [bas.id]
    homes = {name: [p.pupil.id for p in escalation.proposals_for(demo_user(name)) if p.case.id == case.id]
             for name in ("teamleader", "mentor", "coordinator")}
    assert homes == {"teamleader": [bas.id], "mentor": [], "coordinator": [bas.id]}


def test_the_overview_reads_the_proposals_of_its_page_of_cases_only_each_naming_its_case(pupils):
    """The overview asks for its page of cases: their open proposals by case, and no other case's."""
    case = break_agreements(open_case("vo-nl", pupils), pupils[1])
    other = demo_case("0004")  # Yara's phase 4
    assert escalation.open_proposals_of([case.id]) == {case.id: escalation.proposals(fresh(case))}
    assert [(p.case, p.pupil.id, p.phase.phase) for p in escalation.open_proposals_of([case.id])[case.id]] == [
        (case, pupils[1].id, 1)]
    assert set(escalation.open_proposals_of([case.id, other.id])) == {case.id, other.id}
    assert escalation.open_proposals_of([]) == {}


def test_one_broken_agreement_proposes_nothing_and_the_second_proposes_the_first_phase(pupils, login_as):
    """Broken once, the pupil gets one more chance: no proposal on the case page or on the home pages
    of those who decide or steer. Broken again, the first phase is proposed for that pupil, on each."""
    case = open_case("vo-nl", pupils)
    bas = pupils[1]
    mentor, coordinator = login_as("mentor"), login_as("coordinator")
    decide = "?fase=1&amp;leerling=%d" % bas.id  # the mentor decides the first phase
    row = 'href="/dossiers/%d#proposal-%d"' % (case.id, bas.id)

    def shown():
        page = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
        return ("Voorstel: fase 1" in page, decide in page, decide in mentor.get("/").get_data(as_text=True),
                row in coordinator.get("/").get_data(as_text=True))

    with models.db.atomic():
        follow_ups = [models.FollowUp.create(case=case, pupil=bas, due_on=db.today() - datetime.timedelta(days=days))
                      for days in (3, 2)]
    seen = []
    for follow_up in follow_ups:
        record_not_kept(mentor, case, follow_up)
        seen.append(shown())
    assert seen == [(False, False, False, False), (True, True, True, True)]


def test_the_digest_asks_the_case_s_own_active_mentor_to_decide_the_mentor_s_phase(pupils, factory):
    """A proposal of phase 1 (decided by the mentor) reaches the case's mentor's digest: not another mentor
    who may edit the case (the mentor of a pupil's class), not a mentor who left (inactive), not a case mentor
    who no longer holds the mentor's role."""
    victim, bas, cor = pupils
    other = factory.user(roles=("mentor",))
    other.email = "klas@school.example"
    other.save()
    cor.school_class = factory.school_class(mentor=other)
    cor.save()
    case = break_agreements(open_case("vo-nl", pupils), bas)
    assert [p.phase.decided_by for p in escalation.proposals(case)] == [("mentor",)]
    assert permissions.may_decide_phase(other, case, ("mentor",))  # Cor's class mentor may decide, unasked

    def asked():
        return sorted(entry["user"].username for entry in notify.digests() if case.reference in entry["decide"])

    assert asked() == ["mentor"]
    mentor = demo_user("mentor")
    mentor.set_roles(("staff",))
    assert asked() == []
    mentor.set_roles(("mentor",))
    mentor.is_active = False
    mentor.save()
    assert asked() == []


def refuse_measure(client, case, measure, reason):
    prefix = "r%d-" % measure.id
    return client.post("/maatregelen/%d/weigeren" % measure.id, data={
        prefix + "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), prefix + "reason": reason})


def test_management_refuses_a_suspension_with_a_reason_and_the_proposal_comes_back(app, login_as):
    """The team leader records phase 4 for Yara; management refuses it, saying why (required, by the field). The
    measure is not taken: it waits no more, shows as refused with who and why, asks no parent contact, leaves the
    case's phase to the proposal, which comes back to its deciders; the team leader sees it at home until they
    decide a new measure."""
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    teamleader, management = login_as("teamleader"), login_as("management")
    assert teamleader.post("/dossiers/%d/maatregelen" % case.id, data={
        "csrf_token": csrf_token(teamleader, "/dossiers/%d" % case.id), "pupil": yara.id, "phase": 4,
        "description": "Eén dag schorsing.", "decided_on": db.today().isoformat()}).status_code == 302
    measure = models.Measure.get(models.Measure.case == case, models.Measure.phase == 4)
    assert "Weigeren of terugsturen" in management.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Weigeren of terugsturen" not in teamleader.get("/dossiers/%d" % case.id).get_data(as_text=True)
    empty = refuse_measure(management, case, measure, "   ")
    page = empty.get_data(as_text=True)
    assert empty.status_code == 400
    assert 'href="#r%d-reason"' % measure.id in page  # the error summary links to the field
    assert 'id="r%d-reason-error">Schrijf op waarom je de maatregel weigert.</p>' % measure.id in page
    assert '<details class="fold" id="fold-aftercare" open>' in page  # its section unfolded, the form too
    assert '<details class="measure-row__refuse" open>' in page
    assert models.Measure.get_by_id(measure.id).waiting_roles == ("management",)
    assert refuse_measure(teamleader, case, measure, "Nee.").status_code == 403  # the team leader decided already
    reason = "Eerst een gesprek met de ouders van Yara; schorsing is nu te zwaar."
    assert refuse_measure(management, case, measure, reason).status_code == 302
    measure = models.Measure.get_by_id(measure.id)
    assert measure.refused_at is not None and measure.refused_by.username == "management"
    assert (measure.refusal_reason, measure.waiting_for) == (reason, "")
    assert refuse_measure(management, case, measure, "Nog eens.").status_code == 403  # it waits no more
    case = fresh(case)
    with app.app_context():
        assert measure.id not in {item.measure.id for item in escalation.parents_to_inform(case)}
        year = monitor.school_year_of(db.today())  # the monitor counts measures taken, not one refused
        assert dict(monitor.figures(*monitor.school_year(year))["escalations"]).get("Fase 4", 0) == 0
        assert dict(monitor.year_figures([year])[0]["escalations"]).get("Fase 4", 0) == 0
        assert [(proposal.pupil.id, proposal.phase.phase) for proposal in escalation.proposals(case)] == [
            (yara.id, 4)]
    assert case.escalation_phase == 4 and "management" in case.escalation_deciders  # the proposal's, again
    page = teamleader.get("/dossiers/%d" % case.id).get_data(as_text=True)
    line = page[page.index('id="measure-%d"' % measure.id):]
    line = line[:line.index("</li>")]
    assert "geweigerd" in line and "Robert Verhoeven" in line and reason in line
    assert "Voorgesteld door: Hanneke Bos" in line and "Besloten door" not in line  # it was never decided
    assert "Voorstel: fase 4, Schorsing" in page
    home = teamleader.get("/").get_data(as_text=True)
    assert "Je maatregel van fase 4, Schorsing, is geweigerd door Robert Verhoeven" in home and reason in home
    assert "is geweigerd door" not in management.get("/").get_data(as_text=True)
    hanneke = models.User.by_username("teamleader")  # a mentor now, not deciding it: no longer at her home
    roles = hanneke.roles
    hanneke.set_roles(("mentor",))
    assert "is geweigerd door" not in teamleader.get("/").get_data(as_text=True)
    hanneke.set_roles(roles)
    events = models.CaseEvent.select().where(models.CaseEvent.case == case, models.CaseEvent.kind == "measure_refused")
    assert [(e.text, e.user.username) for e in events] == [
        ("Fase 4 (Schorsing) voor Yara Öztürk: directie weigert: " + reason, "management")]
    assert models.AuditEvent.select().where(models.AuditEvent.action == "case.measure_refused",
                                            models.AuditEvent.username == "management").exists()
    from test_case_pdf import pdf_text
    printed = pdf_text(login_as("coordinator").get("/dossiers/%d/dossier.pdf" % case.id).data)
    assert "door Robert Verhoeven: Eerst een gesprek" in " ".join(printed.split())  # the case file says so too
    assert teamleader.post("/dossiers/%d/maatregelen" % case.id, data={  # they act: a new measure
        "csrf_token": csrf_token(teamleader, "/dossiers/%d" % case.id), "pupil": yara.id, "phase": 4,
        "description": "Schorsing na het gesprek met de ouders.", "decided_on": db.today().isoformat()}
    ).status_code == 302
    assert "is geweigerd door" not in teamleader.get("/").get_data(as_text=True)


def test_a_measure_agreed_to_meanwhile_is_not_refused(app_context):
    """Agreed on one tablet, refused on another a moment later: the refusal says it no longer waits."""
    case, measure = suspension_waiting_for_management()
    stale = models.Measure.get_by_id(measure.id)
    with models.db.atomic():
        escalation.agree(measure, fresh(case), demo_user("management"))
    with pytest.raises(escalation.MeasureError, match=NOT_WAITING):
        escalation.refuse(stale, fresh(case), demo_user("management"), "Te zwaar.")
    assert models.Measure.get_by_id(measure.id).refused_at is None


def test_a_refusal_without_a_reason_is_refused_whole_where_it_is_kept_and_the_measure_still_waits(app_context):
    """The form asks for the reason first; refuse() asks again where the refusal is kept: none, or only spaces,
    is refused with the whole message, and the measure still waits for management."""
    case, measure = suspension_waiting_for_management()
    for reason in (None, "", "   "):
        with pytest.raises(escalation.MeasureError) as refused:
            escalation.refuse(measure, fresh(case), demo_user("management"), reason)
        assert str(refused.value) == "Schrijf op waarom je de maatregel weigert.", reason
    stored = models.Measure.get_by_id(measure.id)
    assert (stored.refused_at, stored.refused_by, stored.refusal_reason) == (None, None, "")
    assert stored.waiting_roles == ("management",)


def test_a_refusal_keeps_5000_characters_of_its_reason_and_its_dutch_timeline_line_the_first_150(app_context):
    """Management reads English and refuses with a reason longer than the form lets through: the measure keeps
    its first 5000 characters, the timeline line (Dutch, naming the phase, its pupil and who refuses) the first
    150, written by management."""
    case, measure = suspension_waiting_for_management()
    reason = ("Eerst een gesprek met de ouders van Yara; schorsing is nu te zwaar. " * 80)[:5001]
    assert len(reason) == 5001 and reason == reason.strip()
    with force_locale("en"), models.db.atomic():
        assert escalation.deciders_text(("management",)) != "directie"  # the reader's words are English
        escalation.refuse(measure, fresh(case), demo_user("management"), "  %s  " % reason)
    stored = models.Measure.get_by_id(measure.id)
    assert stored.refusal_reason == reason[:5000] and stored.refused_by.username == "management"
    event = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                            models.CaseEvent.kind == "measure_refused").get()
    assert (event.text, event.user.username) == (
        "Fase 4 (Schorsing) voor Yara Öztürk: directie weigert: " + reason[:150], "management")


def test_a_refusal_in_a_case_whose_protocol_is_no_longer_installed_names_the_phase_by_its_number(app_context):
    """The protocol's file is gone, the measure still waits for management: refusing it works, and its timeline
    line names the phase by its number alone."""
    case, measure = suspension_waiting_for_management()
    models.Case.update(protocol_key="withdrawn").where(models.Case.id == case.id).execute()  # no longer installed
    with models.db.atomic():
        escalation.refuse(measure, fresh(case), demo_user("management"), "Te zwaar.")
    assert models.Measure.get_by_id(measure.id).refusal_reason == "Te zwaar."
    event = models.CaseEvent.select().where(models.CaseEvent.case == case,
                                            models.CaseEvent.kind == "measure_refused").get()
    assert event.text == "Fase 4 voor Yara Öztürk: directie weigert: Te zwaar."


def test_a_phase_all_four_deciding_roles_decide_waits_for_each_one_still_to_decide(pupils):
    """A school's own protocol may let every deciding role decide a phase together: the mentor records it, and the
    measure waits for the three others by name, then for the two left after the team leader agrees, and so on."""
    everyone = ("mentor", "coordinator", "teamleader", "management")
    school_protocol("samen", escalation_phases=tuple(
        dataclasses.replace(phase, decided_by=everyone) if phase.phase == 5 else phase
        for phase in protocols.get("vo-nl").escalation_phases))
    case = open_case("samen", pupils)
    bas = pupils[1]
    with models.db.atomic():
        measure = escalation.decide_measure(case, bas, 5, "Verwijdering.", demo_user("mentor"), db.today())
    stored = models.Measure.get_by_id(measure.id)
    assert (stored.waiting_for, stored.waiting_roles) == ("coordinator teamleader management",
                                                          ("coordinator", "teamleader", "management"))
    with models.db.atomic():
        assert escalation.agree(stored, fresh(case), demo_user("teamleader")) == ["coordinator", "management"]
    assert models.Measure.get_by_id(measure.id).waiting_roles == ("coordinator", "management")
    with models.db.atomic():
        assert escalation.agree(stored, fresh(case), demo_user("management")) == ["coordinator"]
    assert [(row.role, row.user.username) for row in models.MeasureDecider.select().where(
        models.MeasureDecider.measure == measure).order_by(models.MeasureDecider.id)] == [
        ("mentor", "mentor"), ("teamleader", "teamleader"), ("management", "management")]
    assert models.Measure.get_by_id(measure.id).waiting_roles == ("coordinator",)
