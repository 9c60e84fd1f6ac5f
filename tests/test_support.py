"""The support team: whom it sees, its workspace, its sessions and what the mentor reads of them."""
import datetime
import re

import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
import models
from conftest import csrf_token, demo_case, demo_user
from databases import drop_database, new_database
from domain import support

NOTES = "Noor huilde even; thuis speelt ook van alles."
REPORT_BACK = "Noor oefent wat ze zegt als ze wordt weggestuurd. Graag een vaste pauzeplek."


def session_data(client, path, **fields):
    data = {"csrf_token": csrf_token(client, path), "kind": "individual", "held_on": db.today().isoformat(),
            "referral": "", "participants": "Noor Hoekstra; Sanne Visser", "notes": NOTES, "report_back": REPORT_BACK}
    data.update(fields)
    return data


def new_session_path(case):
    return "/ondersteuning/dossiers/%d/sessies/nieuw" % case.id


def field_error(html, field_id):
    match = re.search(r'<p class="field__error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    return match.group(1) if match else None


def refer(case, target="support_team", pupil=None, closed_on=None, days_ago=2):
    return models.Referral.create(case=case, pupil=pupil, target=target, closed_on=closed_on,
                                  referred_on=db.today() - datetime.timedelta(days=days_ago))


# Whom the support team sees ---------------------------------------------------------------------------

def test_support_sees_the_case_referred_to_the_team_and_no_other(login_as):
    client = login_as("support")
    assert client.get("/dossiers/%d" % demo_case("0001").id).status_code == 200
    for suffix in ("0002", "0003"):
        assert client.get("/dossiers/%d" % demo_case(suffix).id).status_code == 404


def test_a_referral_to_another_service_does_not_open_the_case_to_the_support_team(login_as):
    online = demo_case("0002")
    for target in ("clb", "training", "external", "police"):
        refer(online, target)
    client = login_as("support")
    assert client.get("/dossiers/%d" % online.id).status_code == 404
    assert online.reference not in client.get("/dossiers/?status=all").get_data(as_text=True)
    assert online.reference not in client.get("/ondersteuning/").get_data(as_text=True)


def test_a_referral_to_the_team_opens_the_case_to_every_team_member(login_as, factory):
    physical = demo_case("0003")
    colleague = factory.user("zorg2", roles=("support",))
    assert login_as(colleague.username).get("/dossiers/%d" % physical.id).status_code == 404
    refer(physical, pupil=models.Pupil.get(models.Pupil.first_name == "Isa"))
    for username in ("support", colleague.username):
        client = login_as(username)
        assert client.get("/dossiers/%d" % physical.id).status_code == 200
        assert "Vos, Isa" in client.get("/ondersteuning/").get_data(as_text=True)


def test_a_member_added_to_a_case_sees_it_and_the_rest_of_the_team_does_not(login_as, factory):
    online = demo_case("0002")
    colleague = factory.user("zorg3", roles=("support",))
    models.CaseMember.create(case=online, user=colleague)
    added = login_as(colleague.username)
    assert added.get("/dossiers/%d" % online.id).status_code == 200
    assert online.reference in added.get("/ondersteuning/").get_data(as_text=True)
    assert added.get(new_session_path(online)).status_code == 200
    assert login_as("support").get("/dossiers/%d" % online.id).status_code == 404
    assert login_as("support").get(new_session_path(online)).status_code == 404


def test_a_staff_member_added_to_a_case_without_the_support_role_sees_nothing(login_as, factory):
    teacher = factory.user("docent", roles=("staff",))
    models.CaseMember.create(case=demo_case("0002"), user=teacher)
    assert login_as(teacher.username).get("/dossiers/%d" % demo_case("0002").id).status_code == 404
    assert login_as(teacher.username).get("/ondersteuning/").status_code == 403


# The workspace --------------------------------------------------------------------------------------

def test_the_workspace_lists_open_referrals_before_finished_ones(login_as):
    physical = demo_case("0003")
    refer(physical, pupil=models.Pupil.get(models.Pupil.first_name == "Bram"), closed_on=db.today(), days_ago=1)
    html = login_as("support").get("/ondersteuning/").get_data(as_text=True)
    assert html.index("Hoekstra, Noor") < html.index("Afgeronde begeleiding") < html.index("Linden, Bram van der")
    assert "2 sessies" in html
    assert models.AuditEvent.select().where(models.AuditEvent.action == "support.list").count() == 1


def test_the_support_members_home_leads_to_the_workspace(login_as):
    html = login_as("support").get("/").get_data(as_text=True)
    assert 'href="/ondersteuning/"' in html and "Noor Hoekstra" in html


def test_finishing_a_referral_moves_it_down_and_cannot_happen_twice(login_as):
    referral = models.Referral.get(models.Referral.target == "support_team")
    client = login_as("support")
    path = "/ondersteuning/doorverwijzingen/%d/afronden" % referral.id
    response = client.post(path, data={"csrf_token": csrf_token(client, "/ondersteuning/")})
    assert response.status_code == 302
    assert models.Referral.get_by_id(referral.id).closed_on == db.today()
    assert models.CaseEvent.select().where(models.CaseEvent.kind == "referral_closed").count() == 1
    response = client.post(path, data={"csrf_token": csrf_token(client, "/ondersteuning/")}, follow_redirects=True)
    assert "Deze begeleiding is al afgerond." in response.get_data(as_text=True)
    assert models.CaseEvent.select().where(models.CaseEvent.kind == "referral_closed").count() == 1


def test_a_referral_to_another_service_cannot_be_finished_from_the_workspace(login_as):
    referral = refer(demo_case("0001"), "clb")
    client = login_as("support")
    response = client.post("/ondersteuning/doorverwijzingen/%d/afronden" % referral.id,
                           data={"csrf_token": csrf_token(client, "/ondersteuning/")})
    assert response.status_code == 404
    assert models.Referral.get_by_id(referral.id).closed_on is None


# Sessions ------------------------------------------------------------------------------------------

def test_a_session_reports_back_to_the_mentor_who_does_not_read_the_teams_notes(login_as):
    case = demo_case("0001")
    client = login_as("support")
    referral = models.Referral.get(models.Referral.case == case)
    response = client.post(new_session_path(case), data=session_data(client, new_session_path(case),
                                                                     referral=str(referral.id)))
    assert response.status_code == 302
    session = models.SupportSession.get(models.SupportSession.notes == NOTES)
    assert (session.referral_id, session.recorded_by_id) == (referral.id, demo_user("support").id)
    mentor_page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert REPORT_BACK in mentor_page and NOTES not in mentor_page
    assert NOTES in login_as("coordinator").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert NOTES in client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    counsellor_page = login_as("counsellor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert REPORT_BACK in counsellor_page and NOTES not in counsellor_page
    timeline = [event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case)]
    assert "Individuele begeleiding" in timeline and not any(NOTES in text for text in timeline)
    event = models.AuditEvent.get(models.AuditEvent.action == "support_session.create")
    assert (event.object_type, event.object_id) == ("support_session", session.id)
    assert NOTES not in event.detail


def test_a_support_group_meeting_of_the_non_confrontational_approach_is_recorded(login_as):
    case = demo_case("0001")
    client = login_as("support")
    response = client.post(new_session_path(case), data=session_data(
        client, new_session_path(case), kind="support_group", participants="Emma, Yara, Luuk", report_back=""))
    assert response.status_code == 302
    session = models.SupportSession.get(models.SupportSession.participants == "Emma, Yara, Luuk")
    assert session.kind == "support_group"
    page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Steungroep (niet-confronterende aanpak)" in page


def test_a_report_back_written_later_shows_once_on_the_timeline(login_as):
    session = models.SupportSession.get(models.SupportSession.report_back == "")
    client = login_as("support")
    path = "/ondersteuning/sessies/%d" % session.id
    page = client.get(path).get_data(as_text=True)
    assert session.participants in page and session.notes in page  # the form holds what was saved
    events = models.CaseEvent.select().where(models.CaseEvent.kind == "support_report").count()
    for text in ("De groep heeft een plan; de mentor kan het vieren.", "Nog een zin erbij."):
        response = client.post(path, data=session_data(client, path, kind=session.kind,
                                                       participants=session.participants, notes=session.notes,
                                                       held_on=session.held_on.isoformat(), report_back=text))
        assert response.status_code == 302
    assert models.SupportSession.get_by_id(session.id).report_back == "Nog een zin erbij."
    assert models.CaseEvent.select().where(models.CaseEvent.kind == "support_report").count() == events + 1


@pytest.mark.parametrize("fields,field,message", [
    ({"participants": "  "}, "participants", "Schrijf op wie erbij waren."),
    ({"held_on": ""}, "held_on", "Vul een datum in."),
    ({"held_on": (db.today() + datetime.timedelta(days=1)).isoformat()}, "held_on",
     "Een datum in de toekomst kan niet."),
    ({"held_on": "2000-01-01"}, "held_on", "De sessie kan niet vóór de opening van het dossier liggen."),
    ({"held_on": "morgen"}, "held_on", None),
    ({"kind": "therapy"}, "kind", None),
    ({"referral": "abc"}, "referral", None),
    ({"referral": "999999"}, "referral", None),
    ({"report_back": "x" * 2001}, "report_back", "Hoogstens 2000 tekens."),
    ({"notes": "x" * 10_001}, "notes", "Hoogstens 10.000 tekens."),
])
def test_bad_session_input_is_refused_beside_the_field_and_nothing_saved(login_as, fields, field, message):
    case = demo_case("0001")
    client = login_as("support")
    sessions, events = models.SupportSession.select().count(), models.CaseEvent.select().count()
    response = client.post(new_session_path(case), data=session_data(client, new_session_path(case), **fields))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, field)
    assert error and "Not a valid" not in error and "Invalid" not in error, error
    if message:
        assert error == message
    if field != "participants":
        assert "Noor Hoekstra; Sanne Visser" in html  # what was typed stays
    assert (models.SupportSession.select().count(), models.CaseEvent.select().count()) == (sessions, events)


def test_a_referral_of_another_case_cannot_be_chosen(login_as):
    other = refer(demo_case("0003"))
    case = demo_case("0001")
    client = login_as("support")
    response = client.post(new_session_path(case), data=session_data(client, new_session_path(case),
                                                                     referral=str(other.id)))
    assert response.status_code == 400 and field_error(response.get_data(as_text=True), "referral")
    assert not models.SupportSession.select().where(models.SupportSession.referral == other).exists()


def test_the_domain_refuses_what_the_form_would(app_context):
    case = demo_case("0001")
    member = demo_user("support")
    other = refer(demo_case("0003"))
    for kwargs in [dict(kind="therapy"), dict(held_on=db.today() + datetime.timedelta(days=1)),
                   dict(participants=" "), dict(referral=other)]:
        values = dict(kind="individual", held_on=db.today(), participants="Noor", referral=None)
        values.update(kwargs)
        with pytest.raises(support.SupportError):
            support.record_session(case, member, **values)
    assert models.SupportSession.select().count() == 2  # the demo's two


def test_the_database_refuses_an_unknown_session_kind(app_context):
    with pytest.raises(IntegrityError):
        with models.db.atomic():
            models.SupportSession.create(case=demo_case("0001"), kind="therapy", held_on=db.today())


def test_migration_0008_keeps_recorded_sessions(tmp_path):
    """A database from before 0008 keeps its sessions; an unknown kind becomes individual guidance."""
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    before = names[names.index("0008_support_session_kinds") - 1]
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up(before)
    database.execute_sql('INSERT INTO "case" (reference, title, protocol_key, mentor_id, status, online, '
                         'possibly_criminal, opened_at, close_reason) '
                         "VALUES ('2020-0001', '', 'vo-nl', NULL, 'open', FALSE, FALSE, '2020-01-01 10:00:00', '')")
    for kind in ("training", "groepje"):
        database.execute_sql("INSERT INTO support_session (case_id, kind, held_on, participants, notes, report_back) "
                             "VALUES (1, %s, '2020-01-02', 'Noor', 'n', 'r')" % database.param, (kind,))
    Runner(database, db.MIGRATIONS).up()
    rows = database.execute_sql("SELECT kind, participants, report_back, created_at FROM support_session "
                                "ORDER BY id").fetchall()
    assert [row[:3] for row in rows] == [("training", "Noor", "r"), ("individual", "Noor", "r")]
    assert all(row[3] for row in rows)
    with pytest.raises(IntegrityError):
        database.execute_sql("INSERT INTO support_session (case_id, kind, held_on, participants, notes, report_back,"
                             " created_at) VALUES (1, 'groepje', '2020-01-02', '', '', '', '2020-01-02')")
    database.close_all()
    drop_database(location)


def test_the_support_members_case_page_offers_their_sessions_and_notes_and_no_protocol_buttons(login_as):
    case = demo_case("0001")
    # (The follow-up step has no button: it completes itself while its talks are to come.)
    protocol_actions = ["/dossiers/%d/stappen/joint-talk" % case.id, "/dossiers/%d/stappen/inform-parents" % case.id,
                        "/gesprekken/nieuw/%d/joint-talk" % case.id,
                        "/dossiers/%d/maatregelen" % case.id, "/vervolg/", "/herstelovereenkomsten/nieuw/%d" % case.id,
                        "/dossiers/%d/oudercontacten/nieuw" % case.id, "/dossiers/%d/doorverwijzingen/nieuw" % case.id,
                        "/dossiers/%d/bewijs/nieuw" % case.id]
    referral = models.Referral.get(models.Referral.case == case, models.Referral.target == "support_team")
    own_work = [new_session_path(case), "/dossiers/%d/werkaantekeningen/nieuw" % case.id,
                "/doorverwijzingen/%d/afsluiten" % referral.id,
                # the protocol gives this step to the support team: it completes it and holds its talk
                "/dossiers/%d/stappen/extra-help" % case.id, "/gesprekken/nieuw/%d/extra-help" % case.id]
    mentor_page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert all(action in mentor_page for action in protocol_actions)  # the check below can fail
    support_page = login_as("support").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert [action for action in protocol_actions if action in support_page] == []
    assert all(action in support_page for action in own_work)
