"""A pupil's page (issue 20): their cases over the school years for whoever may see one of them, with
nothing of the cases the viewer may not see; repeat warnings name only earlier cases."""
import datetime

import pytest

import models
from conftest import demo_case, demo_user


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


@pytest.fixture
def yaras_earlier_case(factory):
    """Yara bullied last school year too, in a case of another mentor's that the team leader never decided."""
    case = factory.case(mentor=demo_user("mentor2"), status="closed", victim=pupil("Sem"), bully=pupil("Yara"))
    opened = demo_case("0004").opened_at - datetime.timedelta(days=400)  # an earlier school year
    models.Case.update(opened_at=opened, closed_at=opened + datetime.timedelta(days=90)).where(
        models.Case.id == case.id).execute()
    return models.Case.get_by_id(case.id)


def test_the_coordinator_sees_every_case_of_the_pupil_by_school_year_with_the_role_in_each(
        login_as, yaras_earlier_case):
    client = login_as("coordinator")
    response = client.get("/leerlingen/%d" % pupil("Yara").id)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    threats = demo_case("0004")
    assert threats.reference in page and yaras_earlier_case.reference in page
    assert page.count("Schooljaar ") == 2  # two school years, the latest first
    assert page.index(threats.reference) < page.index(yaras_earlier_case.reference)
    assert "Eerder pester in dossier %s" % yaras_earlier_case.reference in page
    assert "Eerder pester in dossier %s" % threats.reference not in page  # a later case is never "eerder"
    assert ">Pester</span>" in page and "Herstelovereenkomsten" in page and "Vervolggesprekken gepland" in page
    assert "Afspraken niet nagekomen" in page  # the agreement's outcome, talk by talk
    event = models.AuditEvent.get(models.AuditEvent.action == "pupil.view")
    assert event.username == "coordinator" and event.object_id == pupil("Yara").id
    assert threats.reference in event.detail and yaras_earlier_case.reference in event.detail


def test_a_viewer_sees_only_the_cases_they_may_see_and_no_hint_of_the_others(login_as, yaras_earlier_case):
    page = login_as("teamleader").get("/leerlingen/%d" % pupil("Yara").id).get_data(as_text=True)
    assert demo_case("0004").reference in page
    assert yaras_earlier_case.reference not in page and "Eerder pester" not in page
    assert page.count("Schooljaar ") == 1
    assert "<dd>1</dd>" in page  # the cases they may see: one


@pytest.mark.parametrize("role, status", [
    ("coordinator", 200), ("mentor", 200), ("mentor2", 404), ("support", 404), ("counsellor", 404),
    ("teamleader", 200), ("management", 200), ("staff", 404), ("admin", 404)])
def test_the_pupil_page_as_each_role(login_as, role, status):
    assert login_as(role).get("/leerlingen/%d" % pupil("Yara").id).status_code == status


def test_a_pupil_without_a_case_and_an_unknown_pupil_are_not_found(login_as):
    client = login_as("coordinator")
    assert client.get("/leerlingen/%d" % pupil("Julia").id).status_code == 404
    assert client.get("/leerlingen/999999").status_code == 404


def test_the_case_page_links_each_pupil_to_their_page_and_warns_only_of_earlier_cases(
        login_as, yaras_earlier_case):
    client = login_as("coordinator")
    page = client.get("/dossiers/%d" % demo_case("0004").id).get_data(as_text=True)
    assert 'href="/leerlingen/%d"' % pupil("Yara").id in page and 'href="/leerlingen/%d"' % pupil("Luuk").id in page
    assert "eerder pester in dossier %s" % yaras_earlier_case.reference in page
    earlier = client.get("/dossiers/%d" % yaras_earlier_case.id).get_data(as_text=True)
    assert "eerder pester in dossier" not in earlier  # 0004 came after it


@pytest.mark.parametrize("role, warned", [("coordinator", True), ("mentor", True), ("teamleader", False),
                                          ("management", False)])
def test_the_case_page_names_an_earlier_case_only_to_those_who_may_open_it(login_as, yaras_earlier_case, role, warned):
    """The team leader and management read 0004 (they decide its phase 4) but not Yara's case of last year,
    mentor2's: for them the case page says nothing of it, not even that there was one."""
    client = login_as(role)
    page = client.get("/dossiers/%d" % demo_case("0004").id).get_data(as_text=True)
    assert ("eerder pester" in page) == warned
    assert (yaras_earlier_case.reference in page) == warned
    assert (client.get("/dossiers/%d" % yaras_earlier_case.id).status_code == 200) == warned
