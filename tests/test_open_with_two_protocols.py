"""Opening a case with a second protocol beside its own from the start (issue 20): the open-case form's
choice, proposed for a report about online bullying, refused in Dutch beside the field when it repeats the
first, and giving the same case as one opened without it and given it at once under Corrigeren."""
import datetime
import re

import time_machine

import db
import models
from conftest import csrf_token, demo_user
from domain import cases, corrections

NEW = "/dossiers/nieuw"


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def open_form(client, report=None, **fields):
    url = NEW + ("?melding=%d" % report.id if report else "")
    data = {"csrf_token": csrf_token(client, url), "protocol": "vo-nl", "mentor": demo_user("mentor2").id,
            "title": "Filmpje in de groepsapp", "role_%d" % pupil("Amira").id: "victim",
            "role_%d" % pupil("Finn").id: "bully"}
    data.update(fields)
    return client.post(url, data=data)


def selected(html, name):
    """The value of the chosen option of a select, "" for none chosen."""
    select = re.search(r'<select[^>]*name="%s".*?</select>' % name, html, re.S).group(0)
    chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select)
    return next((value for value in chosen.groups() if value is not None), "") if chosen else ""


def report(app, online):
    with app.app_context(), models.db.atomic():
        row = models.Report.create(reported_on=db.today(), reporter_kind="staff", channel="conversation",
                                   description="Een filmpje van Amira gaat rond.",
                                   platform="WhatsApp" if online else "", created_by=demo_user("staff"))
        models.ReportPupil.create(report=row, pupil=pupil("Amira"))
    return row


def step_state(case):
    return sorted((row.step_key, row.status, row.due_on, row.owner, row.position) for row in
                  models.CaseStep.select().where(models.CaseStep.case == case))


def test_the_form_proposes_the_online_protocol_for_an_online_report_and_explains_why(app, login_as):
    client = login_as("coordinator")
    plain = client.get(NEW).get_data(as_text=True)
    assert 'name="second_protocol"' in plain and selected(plain, "second_protocol") == ""
    assert "Tweede protocol ernaast (niet verplicht)" in plain
    assert "Gaat het (ook) om online pesten, kies dan Online pesten naast het protocol van de school." in plain
    assert selected(plain, "protocol") == "vo-nl"
    online = client.get(NEW + "?melding=%d" % report(app, online=True).id).get_data(as_text=True)
    assert selected(online, "second_protocol") == "online-pesten"
    offline = client.get(NEW + "?melding=%d" % report(app, online=False).id).get_data(as_text=True)
    assert selected(offline, "second_protocol") == ""


def test_a_second_protocol_equal_to_the_first_or_unknown_is_refused_beside_the_field_keeping_the_input(login_as):
    client = login_as("coordinator")
    before = models.Case.select().count()
    same = open_form(client, second_protocol="vo-nl")
    html = same.get_data(as_text=True)
    assert same.status_code == 400
    message = "Kies als tweede protocol een ander dan het eerste, of kies Geen."
    assert re.search(r'id="second_protocol-error">%s<' % re.escape(message), html)  # beside the field
    assert '<a href="#second_protocol">%s</a>' % message in html  # and in the summary at the top, linking to it
    assert html.index("error-summary") < html.index("<h1")
    assert 'value="Filmpje in de groepsapp"' in html and selected(html, "second_protocol") == "vo-nl"
    assert 'aria-invalid="true"' in html[html.index('name="second_protocol"') - 300:html.index('name="second_protocol"')]
    unknown = open_form(client, second_protocol="geen-protocol")
    assert unknown.status_code == 400 and 'id="second_protocol-error"' in unknown.get_data(as_text=True)
    assert models.Case.select().count() == before
    # Without the field (an older form), the case opens with its own protocol only.
    alone = open_form(client, title="Zonder tweede")
    assert alone.status_code == 302
    assert models.Case.get(models.Case.title == "Zonder tweede").second_protocol_key is None


def test_opening_with_it_is_opening_and_adding_it_under_corrigeren(app, login_as):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False):
        client = login_as("coordinator")
        opened = open_form(client, report(app, online=True), second_protocol="online-pesten", title="Met beide")
        assert opened.status_code == 302
        both = models.Case.get(models.Case.title == "Met beide")
        assert opened.headers["Location"] == "/dossiers/%d" % both.id
        same_report = report(app, online=True)
        with app.app_context(), models.db.atomic():
            alone, _warnings = cases.open_case(
                "vo-nl", demo_user("mentor2"), {pupil("Amira"): "victim", pupil("Finn"): "bully"},
                demo_user("coordinator"), reports=[same_report], title="Later erbij")
            corrections.add_second_protocol(alone, "online-pesten", demo_user("coordinator"))
        alone = models.Case.get_by_id(alone.id)
    assert both.online and both.second_protocol_key == alone.second_protocol_key == "online-pesten"
    assert both.second_protocol_added_at == alone.second_protocol_added_at == datetime.datetime(2026, 11, 2, 9, 0)
    assert step_state(both) == step_state(alone)
    assert any(key.startswith("online-pesten:") for key, *_rest in step_state(both))
    opened_event = models.CaseEvent.get(models.CaseEvent.case == both, models.CaseEvent.kind == "opened")
    assert opened_event.text == "VO-protocol (NL), met Online pesten ernaast"
    assert models.AuditEvent.get(models.AuditEvent.action == "case.create",
                                 models.AuditEvent.object_id == both.id).detail == "naast online-pesten"
    page = login_as("mentor2").get("/dossiers/%d" % both.id).get_data(as_text=True)
    assert '<h3 class="tracker__protocol">Online pesten <span' in page
