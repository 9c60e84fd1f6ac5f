"""The case page: what one view of a case costs the database, and its forms keeping what was typed."""
import datetime
import re

import pytest

import db
import models
from conftest import csrf_token, demo_case


class Statements:
    """Records every SQL statement sent to the database while it is open."""

    def __init__(self):
        self.sql = []

    def __enter__(self):
        database = models.db.obj
        send = database.execute_sql

        def record(sql, *args, **kwargs):
            self.sql.append(sql)
            return send(sql, *args, **kwargs)

        database.execute_sql = record
        return self

    def __exit__(self, *exc_info):
        del models.db.obj.execute_sql


def statements_for(client, url):
    """The statements one GET of the page sends (after a first GET, which also notes the session as seen)."""
    assert client.get(url).status_code == 200
    with Statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements.sql


# A view of a case: the session, the case with its mentor, the audit log's line, the school's settings,
# and everything the page lists in one statement; one more for a reader whose right to the case takes a
# query (the support team: referred to it?; the counsellor: a complaint about it?). Before the case page
# had one home each of these views cost 20 statements (21 for the support team). The counsellor, who reads
# only what concerns the complaint's pupil, needs four more: who each talk, agreement, report and referral
# is about (permissions._record_pupils), however many records the case holds.
@pytest.mark.parametrize("username,suffix,budget", [
    ("mentor", "0001", 5),  # the mentor's richest demo case: follow-ups, sessions, referral, parents, notes
    ("mentor", "0002", 5),  # the online case: evidence and measures
    ("mentor2", "0003", 5),  # a conversation under way and a draft agreement
    ("coordinator", "0001", 5),
    ("support", "0001", 6),
    ("counsellor", "0001", 10),
])
def test_a_view_of_a_case_costs_a_handful_of_statements(login_as, username, suffix, budget):
    sql = statements_for(login_as(username), "/dossiers/%d" % demo_case(suffix).id)
    assert len(sql) <= budget, "\n".join(statement[:120] for statement in sql)


# A form on the case page that comes back with an error shows the page again: status 400 for what was
# typed (409 when the case changed meanwhile), the message in Dutch beside its field and in the summary
# at the top, and what was typed still in the form.

def post_from_case_page(client, case, path, data):
    token = csrf_token(client, "/dossiers/%d" % case.id)
    prefix = data.pop("prefix", "")
    return client.post(path, data={prefix + "csrf_token": token, **{prefix + k: v for k, v in data.items()}})


def error_beside(html, field_id, message):
    """The message in the field's own error element, and linked from the summary at the top."""
    return ('id="%s-error">%s<' % (field_id, message) in html
            and '<a href="#%s">%s</a>' % (field_id, message) in html)


def test_an_approach_level_without_an_approach_comes_back_beside_its_field(login_as):
    client, case = login_as("coordinator"), demo_case("0001")
    response = post_from_case_page(client, case, "/dossiers/%d/aanpak" % case.id,
                                   {"approach": "", "approach_level": "group"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_beside(html, "approach_level", "Kies eerst de aanpak.")
    assert re.search(r'<option selected value="group">', html)
    assert models.Case.get_by_id(case.id).approach_level is None


def test_closing_without_a_reason_asks_for_one_beside_the_field(login_as):
    client, case = login_as("coordinator"), demo_case("0001")
    response = post_from_case_page(client, case, "/dossiers/%d/sluiten" % case.id, {"reason": "   "})
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "reason", "Geef een reden.")
    assert models.Case.get_by_id(case.id).status == "open"


def test_closing_with_follow_ups_to_come_names_them_and_the_protocol_s_own_period(login_as):
    client, case = login_as("coordinator"), demo_case("0001")
    to_come = models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
                                             models.FollowUp.cancelled_at.is_null()).count()
    html = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    steer = html[html.index('id="steer"'):]
    assert "Er staan nog %d vervolggesprekken open (Daan van den Berg, Noor Hoekstra, Tim Kok)" % to_come in steer
    assert "Het protocol volgt de leerlingen 2 jaar." in steer  # seed 001 step 5
    assert "Bijvoorbeeld: afspraken 2 jaar nagekomen." in steer and "drie maanden" not in steer
    online = client.get("/dossiers/%d" % demo_case("0002").id).get_data(as_text=True)
    assert "Bijvoorbeeld: afspraken 3 maanden nagekomen." in online  # the online protocol's own schedule
    assert "vervolggesprekken open" not in online  # none planned there
    response = post_from_case_page(client, case, "/dossiers/%d/sluiten" % case.id, {"reason": "Verhuisd."})
    assert response.status_code == 302
    closed = models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "closed")
    assert closed.text == "Verhuisd. (%d vervolggesprek(ken) stonden nog open)" % to_come


def test_the_counsellor_reads_the_complaint_pupil_s_own_follow_up_talks_only(login_as):
    html = login_as("counsellor").get("/dossiers/%d" % demo_case("0001").id).get_data(as_text=True)
    aftercare = html[html.index('id="aftercare"'):]
    assert "Noor speelt mee" in aftercare and "Rustig in de pauzes" in aftercare
    assert "Daan groet Noor weer" not in aftercare and "Tim doet mee" not in aftercare


def test_closing_a_case_someone_closed_meanwhile_is_a_conflict_said_on_the_page(login_as):
    client, case = login_as("coordinator"), demo_case("0001")
    token = csrf_token(client, "/dossiers/%d" % case.id)
    client.post("/dossiers/%d/sluiten" % case.id, data={"csrf_token": token, "reason": "Opgelost."})
    again = client.post("/dossiers/%d/sluiten" % case.id, data={"csrf_token": token, "reason": "Ook opgelost."})
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and '<a href="#steer">Dit dossier is al gesloten.</a>' in html
    assert "Dossier heropenen" in html  # the page as the case now stands


def test_a_reopening_reason_that_is_too_long_stays_in_its_field(login_as):
    client, case = login_as("coordinator"), demo_case("0014")  # the closed case of last year
    reason = "Het pesten in de gymles is terug. " * 60
    response = post_from_case_page(client, case, "/dossiers/%d/heropenen" % case.id, {"reason": reason})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_beside(html, "reason", "Hoogstens 2000 tekens.")
    assert reason.strip() in html
    assert models.Case.get_by_id(case.id).status == "closed"


def test_a_refused_step_note_stays_in_its_step_without_htmx(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    note = "Gezamenlijk gesprek met Noor, Daan en Tim; " * 12
    response = post_from_case_page(client, case, "/dossiers/%d/stappen/joint-talk" % case.id, {"note": note})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_beside(html, "note-joint-talk", "Hoogstens 500 tekens.")
    assert 'id="note-joint-talk" name="note"' in html and 'value="%s"' % note.strip() in html
    assert models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "joint-talk").status == "open"


def test_a_step_done_meanwhile_is_a_conflict_said_above_the_tracker_without_htmx(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    url = "/dossiers/%d/stappen/joint-talk" % case.id
    token = csrf_token(client, "/dossiers/%d" % case.id)
    assert client.post(url, data={"csrf_token": token, "note": "Goed gesprek"}).status_code == 302
    again = client.post(url, data={"csrf_token": token, "note": "Nog eens"})
    assert again.status_code == 409
    assert '<a href="#case-steps">Deze stap is al afgerond.</a>' in again.get_data(as_text=True)


def test_a_follow_up_without_an_outcome_keeps_who_was_there_and_the_note(login_as):
    client, case = login_as("mentor"), demo_case("0001")
    follow_up = (models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null())
                 .order_by(models.FollowUp.due_on).first())
    prefix = "f%d-" % follow_up.id
    response = post_from_case_page(client, case, "/vervolg/%d" % follow_up.id, {
        "prefix": prefix, "with_whom": "Daan, Tim en Noor", "note": "Ze spelen weer samen in de pauze."})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="%soutcome-error">Kies of het goed gaat of niet.<' % prefix in html
    assert '<a href="#%soutcome-0">Kies of het goed gaat of niet.</a>' % prefix in html
    assert 'value="Daan, Tim en Noor"' in html and "Ze spelen weer samen in de pauze.</textarea>" in html
    assert models.FollowUp.get_by_id(follow_up.id).done_at is None


@pytest.mark.parametrize("change,field,message", [
    ({"decided_on": (db.today() + datetime.timedelta(days=3)).isoformat()}, "decided_on",
     "Een datum in de toekomst kan niet."),
    ({"description": "  "}, "description", "Beschrijf de maatregel."),
    ({"phase": 4}, "phase", "Over fase 4 (Schorsing) beslist: teamleider en directie."),
])
def test_a_refused_measure_comes_back_open_with_what_was_typed(login_as, change, field, message):
    client, case = login_as("mentor"), demo_case("0002")  # the online case, Sem in phase 2
    sem = models.Pupil.get(models.Pupil.first_name == "Sem")
    data = {"pupil": sem.id, "phase": 1, "description": "Een week in de pauze apart van Lotte.",
            "decided_on": db.today().isoformat(), "informed": "Ouders van Sem", **change}
    response = post_from_case_page(client, case, "/dossiers/%d/maatregelen" % case.id, dict(data))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_beside(html, field, message)
    assert '<details class="measure" id="measure" open>' in html and 'value="Ouders van Sem"' in html
    assert data["description"].strip() in html and 'value="%s"' % data["decided_on"] in html
    assert models.Measure.select().where(models.Measure.case == case).count() == 2


def test_the_home_page_s_due_items_lead_straight_to_their_action(login_as):
    """A step with a conversation guide leads to starting the talk, a parent contact to its form (with the
    step chosen), a referral to the police to its form, a step ticked off by hand to its place on the case
    page (where it opens, with its button), a follow-up talk to its form; a second protocol's steps too."""
    from test_scale import add_cases
    case_id, flemish_id = add_cases(2, 0)
    with models.db.atomic():
        models.CaseStep.update(due_on=db.today()).where(models.CaseStep.case.in_([case_id, flemish_id])).execute()
        models.Case.update(second_protocol_key="online-pesten", second_protocol_added_at=db.utcnow()).where(
            models.Case.id == case_id).execute()
        models.Case.update(protocol_key="stappenplan-vl").where(models.Case.id == flemish_id).execute()
        for key, case in (("police", case_id), ("online-pesten:agreement", case_id),
                          ("online-pesten:bully-talk", case_id), ("inform-victim-parents", flemish_id)):
            models.CaseStep.create(case=case, step_key=key, position=9, owner="mentor", status="open",
                                   due_on=db.today())
    client = login_as("mentor")
    html = client.get("/").get_data(as_text=True)
    due = html[html.index("Wat moet er gebeuren"):html.index("</section>", html.index("Wat moet er gebeuren"))]
    links = re.findall(r'class="rows__link" href="([^"]+)"', due)
    assert "/gesprekken/nieuw/%d/victim-talk" % case_id in links
    assert "/gesprekken/nieuw/%d/online-pesten:bully-talk" % case_id in links
    assert "/dossiers/%d/doorverwijzingen/nieuw?naar=police" % case_id in links
    assert "/dossiers/%d/oudercontacten/nieuw?stap=inform-victim-parents" % flemish_id in links
    assert "/dossiers/%d#step-online-pesten:agreement" % case_id in links
    assert "/dossiers/%d" % case_id not in links  # no item leads only to the case
    tims = models.FollowUp.get(models.FollowUp.case == demo_case("0001"), models.FollowUp.due_on == db.today(),
                               models.FollowUp.done_at.is_null())
    assert "/dossiers/%d#followup-%d" % (demo_case("0001").id, tims.id) in links
    # Each leads somewhere that answers, and the step's place is there to open; the parent contact's form
    # has the step chosen.
    for link in links:
        assert client.get(link.split("#")[0]).status_code == 200, link
    assert 'id="step-online-pesten:agreement"' in client.get("/dossiers/%d" % case_id).get_data(as_text=True)
    form = client.get("/dossiers/%d/oudercontacten/nieuw?stap=inform-victim-parents" % flemish_id).get_data(as_text=True)
    assert re.search(r'value="inform-victim-parents"[^>]*checked|<option[^>]*selected[^>]*value="inform-victim-'
                     r'parents"|value="inform-victim-parents"[^>]*selected', form), form
