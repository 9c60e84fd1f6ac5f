"""The calendar feed: a secret link per user, what is due, and no pupil names."""
import re

import models
from conftest import PASSWORD, csrf_token, demo_case


def new_link(client):
    html = client.post("/account/agenda", data={"csrf_token": csrf_token(client, "/account/")}).get_data(as_text=True)
    return re.search(r'value="http://localhost(/agenda/[^"]+\.ics)"', html).group(1)


def test_the_feed_lists_what_is_due_without_pupil_names(app, login_as):
    link = new_link(login_as("mentor"))
    response = app.test_client().get(link)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert body.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in body
    assert "dossier %s" % demo_case("0002").reference in body and "Herstel: vervolggesprek" in body
    for pupil in models.Pupil.select():
        assert pupil.first_name not in body and pupil.last_name not in body
    assert models.AuditEvent.select().where(models.AuditEvent.action == "calendar.feed").count() == 1


def test_a_renewed_link_replaces_the_old_one(app, login_as):
    client = login_as("mentor")
    old, new = new_link(client), new_link(client)
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200


def test_a_deactivated_users_link_stops_working(app, login_as):
    link = new_link(login_as("mentor"))
    models.User.update(is_active=False).where(models.User.username == "mentor").execute()
    assert app.test_client().get(link).status_code == 404


def test_logging_out_everywhere_stops_the_link_until_the_user_makes_a_new_one(app, login_as):
    client = login_as("mentor")
    link = new_link(client)
    response = client.post("/account/sessies/beeindigen", data={"csrf_token": csrf_token(client, "/account/")})
    assert "Je agenda-link werkt niet meer" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404
    renewed = new_link(login_as("mentor"))
    assert app.test_client().get(renewed).status_code == 200


def test_a_password_change_stops_the_link(app, login_as):
    client = login_as("mentor")
    link = new_link(client)
    assert "Je hebt een werkende agenda-link." in client.get("/account/").get_data(as_text=True)
    response = client.post("/account/wachtwoord", data={
        "csrf_token": csrf_token(client, "/account/"), "current_password": PASSWORD,
        "new_password": "a-new-long-password", "confirm": "a-new-long-password"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Je agenda-link werkt niet meer" in page and "Je hebt geen werkende agenda-link." in page
    assert app.test_client().get(link).status_code == 404


def test_logging_out_everywhere_without_a_link_says_nothing_of_one(login_as):
    client = login_as("mentor")
    response = client.post("/account/sessies/beeindigen", data={"csrf_token": csrf_token(client, "/account/")})
    assert "agenda-link" not in client.get(response.headers["Location"]).get_data(as_text=True)


def events(body):
    """Each event of a feed as {field: value}, its lines unfolded."""
    return [dict(line.split(":", 1) for line in block.split("\r\n") if ":" in line)
            for block in body.split("BEGIN:VEVENT")[1:]]


def parents_events(app, link):
    return [event for event in events(app.test_client().get(link).get_data(as_text=True))
            if "ouders" in event["SUMMARY"]]


def test_the_feed_holds_the_parents_to_inform_of_a_measure_as_the_home_page_does(app, login_as):
    import datetime
    case = demo_case("0004")  # Luuk's parents have not heard of phase 3 (see test_broken_agreements)
    third = models.Measure.get(models.Measure.case == case, models.Measure.phase == 3)
    due = (third.decided_on + datetime.timedelta(days=7)).strftime("%Y%m%d")
    wanted = {"SUMMARY": "Herstel: ouders inlichten over de maatregel (dossier %s)" % case.reference,
              "DTSTART;VALUE=DATE": due, "URL": "http://localhost/dossiers/%d" % case.id}
    for username in ("mentor", "coordinator"):  # the case's mentor, and the coordinator of every case
        found = [event for event in parents_events(app, new_link(login_as(username)))
                 if case.reference in event["SUMMARY"]]
        assert [{name: event[name] for name in wanted} for event in found] == [wanted]
    for username in ("mentor2", "teamleader", "support"):  # not their case, or no parent contacts to make
        assert parents_events(app, new_link(login_as(username))) == []
    # Once the parents heard of it, it is off the feed; a second pupil's parents make the day's one event say two.
    client = login_as("mentor")
    link = new_link(client)
    luuk = models.Pupil.get(models.Pupil.first_name == "Luuk")  # the bullied pupil, whose parents hear of it too
    models.ParentContact.create(case=case, pupil=luuk, channel="phone", contacted_on=third.decided_on,
                                by_user=models.User.by_username("mentor"), summary="Gebeld.")
    assert [event for event in parents_events(app, link) if case.reference in event["SUMMARY"]] == []
    yara = models.Pupil.get(models.Pupil.first_name == "Yara")
    models.Measure.create(case=case, pupil=yara, phase=4, description="Schorsing.",
                          decided_on=third.decided_on + datetime.timedelta(days=2))  # after Yara's call
    found = [event for event in parents_events(app, link) if case.reference in event["SUMMARY"]]
    assert [event["SUMMARY"] for event in found] == [
        "Herstel: ouders van 2 leerlingen inlichten over de maatregel (dossier %s)" % case.reference]
