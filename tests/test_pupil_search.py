"""Finding a pupil (issue 20: "the pupil picker links to the pupil's page"): /leerlingen/ lists the pupils of
the cases in one's lists, each linking to their page, and nothing of a pupil in a case one may not see."""
import re

import pytest

import models
from conftest import demo_user


def found_ids(page):
    return {int(number) for number in re.findall(r'href="/leerlingen/(\d+)"', page)}


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def visible_pupil_ids(client):
    """The oracle, written apart from the code under test: the pupils of every case whose page opens."""
    seen = {case.id for case in models.Case.select() if client.get("/dossiers/%d" % case.id).status_code == 200}
    return {involvement.pupil_id for involvement in models.Involvement.select() if involvement.case_id in seen}


@pytest.mark.parametrize("username", ["coordinator", "mentor", "mentor2", "support", "teamleader", "management"])
def test_a_search_finds_exactly_the_pupils_of_the_cases_one_may_see(login_as, username):
    client = login_as(username)
    found = set()
    for school_class in models.SchoolClass.select():  # every class, so every pupil is asked for
        response = client.get("/leerlingen/?q=%s" % school_class.name)
        assert response.status_code == 200
        found |= found_ids(response.get_data(as_text=True))
    assert found == visible_pupil_ids(client)
    for pupil_id in found:  # and every pupil found opens
        assert client.get("/leerlingen/%d" % pupil_id).status_code == 200


def test_without_a_search_a_mentor_sees_the_pupils_of_their_open_cases(login_as):
    mentor = demo_user("mentor2")
    page = login_as("mentor2").get("/leerlingen/").get_data(as_text=True)
    open_pupils = {involvement.pupil_id for involvement in models.Involvement.select().join(models.Case).where(
        models.Case.mentor == mentor, models.Case.status == "open")}
    assert open_pupils and open_pupils <= found_ids(page)


def test_a_name_finds_the_pupil_and_links_to_their_page_and_the_search_is_logged_by_pupil(login_as):
    noor = pupil("Noor")
    client = login_as("coordinator")
    page = client.get("/leerlingen/?q=noor").get_data(as_text=True)
    assert found_ids(page) == {noor.id}
    assert 'value="noor"' in page  # what was typed stays in the field
    event = models.AuditEvent.select().where(models.AuditEvent.action == "pupil.search").order_by(
        models.AuditEvent.id.desc()).get()
    assert event.username == "coordinator" and event.detail == "leerlingen: %d" % noor.id
    assert "noor" not in event.detail.lower()  # what was typed is not logged, only who was shown


def test_while_typing_htmx_gets_the_results_alone(login_as):
    response = login_as("coordinator").get("/leerlingen/?q=noor", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page and found_ids(page) == {pupil("Noor").id}


def test_nothing_found_says_so_and_escapes_what_was_typed(login_as):
    page = login_as("coordinator").get("/leerlingen/?q=%3Cb%3Ezz").get_data(as_text=True)
    assert "Geen leerling gevonden" in page and "<b>zz" not in page and "&lt;b&gt;zz" in page


@pytest.mark.parametrize("role", ["counsellor", "staff", "admin"])
def test_who_has_no_case_list_finds_no_pupils(login_as, role):
    assert login_as(role).get("/leerlingen/?q=noor").status_code == 403
