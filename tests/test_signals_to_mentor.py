"""Signals reach the mentor (issue 20): a report naming pupils is read, with its status, by the mentors of
their classes, unless the reporter kept it for the coordinator; who was bullied and who bullied, as the
reporter says, is taken over by the coordinator's case form; a teacher's own report defaults to staff."""
import datetime
import re

import db
import models
from conftest import csrf_token, demo_user
from domain import notify


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def file_report(client, **fields):
    data = {"csrf_token": csrf_token(client, "/meldingen/nieuw"), "reporter_kind": "staff",
            "channel": "conversation", "reported_on": db.today().isoformat(),
            "pupils": [pupil("Amira").id, pupil("Finn").id], "kinds": ["verbal"],
            "place": "Kantine", "description": "Finn scheldt Amira uit in de kantine."}
    data.update(fields)
    return client.post("/meldingen/nieuw", data=data)


def the_report():
    return models.Report.get(models.Report.description == "Finn scheldt Amira uit in de kantine.")


def test_a_teachers_own_report_defaults_to_staff_in_person(login_as):
    page = login_as("staff").get("/meldingen/nieuw").get_data(as_text=True)
    assert re.search(r'<option selected value="staff">Medewerker', page)
    assert re.search(r'<option selected value="conversation">Gesprek', page)


def test_the_mentors_of_the_named_pupils_classes_read_the_report_and_its_status(login_as):
    assert file_report(login_as("staff")).status_code == 302
    report = the_report()
    mentor2 = login_as("mentor2")  # mentor of 3C, Amira's and Finn's class
    home = mentor2.get("/").get_data(as_text=True)
    assert "Meldingen over leerlingen van jouw klas" in home and "/meldingen/%d" % report.id in home
    page = mentor2.get("/meldingen/%d" % report.id)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nieuw" in html and "Dossier openen" not in html and "Afsluiten zonder dossier" not in html
    assert models.AuditEvent.select().where(models.AuditEvent.action == "report.view",
                                            models.AuditEvent.username == "mentor2").exists()
    other = login_as("mentor")  # 1A and 2B: not their pupils
    assert other.get("/meldingen/%d" % report.id).status_code == 404
    assert "/meldingen/%d" % report.id not in other.get("/").get_data(as_text=True)
    # The status follows: the coordinator closes it, the mentor reads that.
    coordinator = login_as("coordinator")
    coordinator.post("/meldingen/%d/sluiten" % report.id, data={
        "csrf_token": csrf_token(coordinator, "/meldingen/%d" % report.id), "close-reason": "Eenmalig conflict."})
    assert "Eenmalig conflict." in mentor2.get("/meldingen/%d" % report.id).get_data(as_text=True)


def test_a_report_kept_for_the_coordinator_does_not_reach_the_mentor(login_as):
    client = login_as("staff")
    form = client.get("/meldingen/nieuw").get_data(as_text=True)
    assert "Alleen voor de anti-pestcoördinator" in form and "zelf bij het pesten betrokken" in form
    assert file_report(client, confidential="y").status_code == 302
    report = the_report()
    assert report.confidential
    mentor2 = login_as("mentor2")
    assert mentor2.get("/meldingen/%d" % report.id).status_code == 404
    assert "/meldingen/%d" % report.id not in mentor2.get("/").get_data(as_text=True)
    assert login_as("coordinator").get("/meldingen/%d" % report.id).status_code == 200
    assert client.get("/meldingen/%d" % report.id).status_code == 200  # the reporter still reads its status


def test_the_digest_tells_the_mentor_of_yesterdays_reports_about_their_pupils(app, login_as):
    file_report(login_as("staff"))
    file_report(login_as("staff"), description="Iets vertrouwelijks over Amira.", confidential="y")
    yesterday = datetime.datetime.utcnow() - datetime.timedelta(days=1)
    models.Report.update(created_at=yesterday).where(models.Report.place == "Kantine").execute()
    with app.app_context():
        by_user = {entry["user"].username: entry for entry in notify.digests()}
        secret = models.Report.get(models.Report.description == "Iets vertrouwelijks over Amira.")
        assert the_report().id in by_user["mentor2"]["class_reports"]
        assert secret.id not in by_user["mentor2"]["class_reports"]
        assert not by_user.get("mentor", {}).get("class_reports")
        assert not by_user.get("staff", {}).get("class_reports")


def test_who_was_bullied_and_who_bullied_go_from_the_report_to_the_case_form(login_as):
    client = login_as("staff")
    response = file_report(client, **{"reported_role_%d" % pupil("Amira").id: "victim",
                                      "reported_role_%d" % pupil("Finn").id: "bully"})
    assert response.status_code == 302
    report = the_report()
    assert {row.pupil.first_name: row.role for row in report.pupil_rows} == {"Amira": "victim", "Finn": "bully"}
    assert "Werd gepest" in client.get("/meldingen/%d" % report.id).get_data(as_text=True)
    form = login_as("coordinator").get("/dossiers/nieuw?melding=%d" % report.id).get_data(as_text=True)
    amira = form[form.index('name="role_%d"' % pupil("Amira").id):]
    finn = form[form.index('name="role_%d"' % pupil("Finn").id):]
    assert '<option value="victim" selected' in amira.split("</select>")[0]
    assert '<option value="bully" selected' in finn.split("</select>")[0]


def test_a_role_the_report_does_not_know_is_refused_by_the_form(login_as):
    response = file_report(login_as("staff"), **{"reported_role_%d" % pupil("Amira").id: "boss"})
    assert response.status_code == 400 and "Onbekende rol." in response.get_data(as_text=True)
    assert not models.Report.select().where(models.Report.place == "Kantine").exists()


def test_the_report_picker_keeps_what_each_chosen_pupil_did(login_as):
    html = login_as("staff").get("/meldingen/leerlingen?mode=report&q=3c&pupils=%d&reported_role_%d=bully" % (
        pupil("Finn").id, pupil("Finn").id)).get_data(as_text=True)
    finn = html[html.index('name="reported_role_%d"' % pupil("Finn").id):]
    assert '<option value="bully" selected' in finn.split("</select>")[0]
    assert 'name="reported_role_' not in login_as("staff").get(
        "/meldingen/leerlingen?q=3c").get_data(as_text=True)  # the audit log's picker asks no role
