"""The calendar feed: a secret link per user, what is due, and no pupil names."""
import re

import models
from conftest import csrf_token, demo_case


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
