"""E-mail notifications, sent to a real SMTP server (aiosmtpd) that the test starts on a free port.

The public page's notices go through the outbox and are sent by a thread after the response: tests
wait for the mail to arrive (a condition with a deadline), they never sleep.
"""
import asyncio
import datetime
import threading
import time

import pytest
from aiosmtpd.controller import Controller

import db
import models
from browser import free_port
from conftest import csrf_token, demo_case
from domain import followups
from test_public_reports import send_report


class Inbox:
    """Keeps every message the server receives; `hold` keeps the server from answering until released."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()
        self.hold = threading.Event()
        self.hold.set()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
        with self.arrived:
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address):
        return [body for recipients, body in self.messages if address in recipients]

    def wait_for(self, address, count=1, deadline=15):
        """The messages to `address` once there are `count` of them (fails after `deadline` seconds)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.to(address)) >= count, timeout=deadline), \
                "no mail for %s arrived" % address
        return self.to(address)


def outbox_settles(app, deadline=15):
    """Wait until the outbox's delivery threads have finished."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if not any(thread.name == "herstel-outbox" for thread in threading.enumerate()):
            return
        threading.Event().wait(0.02)
    raise AssertionError("the outbox thread did not finish")


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mail_on(app, smtp_server):
    controller, inbox = smtp_server
    with models.db.atomic():
        models.SchoolSettings.update(mail_enabled=True, smtp_host="127.0.0.1", smtp_port=controller.port,
                                     smtp_starttls=False, mail_sender="herstel@hetbaken.example",
                                     app_url="https://herstel.hetbaken.example",
                                     public_reports_enabled=True).execute()
    yield inbox
    # A delivery thread writes once more after the mail arrived: it finishes before the database goes.
    outbox_settles(app)


@pytest.fixture
def mail_without_address(mail_on):
    """Mail on, but no address of Herstel under Instellingen (the default)."""
    with models.db.atomic():
        models.SchoolSettings.update(app_url="").execute()
    return mail_on


def test_without_an_address_mail_carries_no_link_and_says_where_to_look(mail_without_address, client, login_as):
    send_report(client)
    [body] = mail_without_address.wait_for("coordinator@hetbaken.example")
    assert "http" not in body and "localhost" not in body
    assert "Lees haar in Herstel, onder Meldingen." in body and "geen adres van Herstel" in body
    settings_page = login_as("admin").get("/instellingen/").get_data(as_text=True)
    assert "Zonder adres hebben e-mails geen link" in settings_page


def test_a_forged_host_never_becomes_a_link_in_mail(mail_without_address, app, client):
    """Even with the host check switched off, the Host header an anonymous sender typed stays out of mail."""
    app.config["TRUSTED_HOSTS"] = None
    data = {"csrf_token": csrf_token(client, "/melden"), "choice": "report", "who": "pupil",
            "what": "Ze lachen me elke dag uit.", "whom": "Bij mij", "place": "Kantine", "platform": "",
            "since": "Sinds de herfstvakantie", "more": "", "name": "", "school_class": "", "website": ""}
    client.set_cookie("herstel_session", client.get_cookie("herstel_session").value, domain="evil.example")
    response = client.post("/melden", data=data, headers={"Host": "evil.example"})
    assert response.status_code == 200
    [body] = mail_without_address.wait_for("coordinator@hetbaken.example")
    assert "evil.example" not in body


def test_coordinator_hears_of_a_new_report_without_its_content(mail_on, client):
    send_report(client, what="Ze schoppen Daan elke dag.", name="Mila")
    report = models.Report.get(models.Report.channel == "report_page")
    [body] = mail_on.wait_for("coordinator@hetbaken.example")
    assert "https://herstel.hetbaken.example/meldingen/%d" % report.id in body
    assert "Daan" not in body and "schoppen" not in body and "Mila" not in body
    assert not mail_on.to("counsellor@hetbaken.example")


def test_counsellor_hears_of_a_new_complaint(mail_on, client):
    send_report(client, choice="complaint", what="De school doet niets.")
    [body] = mail_on.wait_for("counsellor@hetbaken.example")
    assert "nieuwe klacht" in body and "De school doet niets" not in body
    assert not mail_on.to("coordinator@hetbaken.example")


def test_reporter_reply_is_announced_to_whoever_answers(mail_on, client):
    from test_public_reports import open_status, receipt
    code, phrase = receipt(send_report(client))
    open_status(client, code, phrase)
    client.post("/melden/status/bericht", data={"csrf_token": csrf_token(client, "/melden/status"),
                                                "body": "Geheim verhaal"})
    bodies = mail_on.wait_for("coordinator@hetbaken.example", count=2)
    assert len(bodies) == 2 and "nieuw bericht" in bodies[1] and "Geheim verhaal" not in bodies[1]


def test_no_mail_while_mail_is_off(app, smtp_server, client):
    _, inbox = smtp_server
    with models.db.atomic():
        models.SchoolSettings.update(public_reports_enabled=True, smtp_host="127.0.0.1",
                                     smtp_port=smtp_server[0].port, smtp_starttls=False).execute()
    assert send_report(client).status_code == 200
    assert inbox.messages == [] and models.OutboxMail.select().count() == 0


def test_a_mail_server_that_is_down_does_not_lose_the_report(app, client):
    with models.db.atomic():
        models.SchoolSettings.update(mail_enabled=True, smtp_host="127.0.0.1", smtp_port=free_port(),
                                     smtp_starttls=False, public_reports_enabled=True).execute()
    response = send_report(client)
    assert response.status_code == 200 and "data-receipt" in response.get_data(as_text=True)
    assert models.Report.select().where(models.Report.channel == "report_page").count() == 1
    outbox_settles(app)
    [waiting] = models.OutboxMail.select()  # kept for the next try
    assert waiting.attempts == 1 and waiting.last_error and waiting.next_attempt_at > db.utcnow()


def test_the_receipt_does_not_wait_for_a_slow_mail_server(mail_on, app, client):
    """The mail server takes the message but does not answer: the pupil has their receipt anyway."""
    mail_on.hold.clear()
    try:
        response = send_report(client)
        assert response.status_code == 200 and "data-receipt" in response.get_data(as_text=True)
        report = models.Report.get(models.Report.channel == "report_page")
        [queued] = models.OutboxMail.select()  # written with the report, still being sent
        assert "/meldingen/%d" % report.id in queued.body
        assert mail_on.messages == []
    finally:
        mail_on.hold.set()
    [body] = mail_on.wait_for("coordinator@hetbaken.example")
    assert "/meldingen/%d" % report.id in body
    outbox_settles(app)
    assert models.OutboxMail.select().count() == 0, "a sent notice leaves the outbox"


def test_a_notice_the_mail_server_refused_is_sent_by_flask_notify(app, smtp_server, client):
    controller, inbox = smtp_server
    with models.db.atomic():
        models.SchoolSettings.update(mail_enabled=True, smtp_host="127.0.0.1", smtp_port=free_port(),
                                     smtp_starttls=False, public_reports_enabled=True).execute()
    send_report(client)
    outbox_settles(app)
    assert models.OutboxMail.get().attempts == 1
    with models.db.atomic():  # the server is back, and the retry is due
        models.SchoolSettings.update(smtp_port=controller.port).execute()
        models.OutboxMail.update(next_attempt_at=db.utcnow()).execute()
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    assert "1 melding(en) uit de wachtrij verstuurd" in result.output
    assert [body for body in inbox.to("coordinator@hetbaken.example") if "nieuwe melding" in body]
    assert models.OutboxMail.select().count() == 0


def test_a_notice_is_not_sent_twice_by_two_deliveries(mail_on, app):
    """Two deliveries at once (two reports at the same moment): each notice is claimed by one of them."""
    from domain import notify
    with app.app_context():
        with models.db.atomic():
            notify.queue(["coordinator@hetbaken.example"], "Test", "Een link")
        mail_on.hold.clear()
        first = notify.deliver_later(models.OutboxMail.get())
        end = time.monotonic() + 15
        while models.OutboxMail.get().next_attempt_at <= db.utcnow() and time.monotonic() < end:
            threading.Event().wait(0.02)  # until the first delivery has claimed it
        assert notify.deliver() == (0, 0)
        mail_on.hold.set()
        first.join(15)
    assert len(mail_on.wait_for("coordinator@hetbaken.example")) == 1
    assert models.OutboxMail.select().count() == 0


def due_step(case, days, owner="mentor"):
    step = models.CaseStep.select().where(models.CaseStep.case == case, models.CaseStep.status == "open").first()
    with models.db.atomic():
        models.CaseStep.update(status="done").where(models.CaseStep.case == case).execute()
        models.CaseStep.update(status="open", owner=owner, due_on=db.today() + datetime.timedelta(days=days)) \
            .where(models.CaseStep.id == step.id).execute()


def test_daily_digest_tells_the_mentor_of_steps_due_tomorrow_and_newly_overdue(mail_on, app):
    due_step(demo_case("0001"), 1)
    due_step(demo_case("0002"), -1)
    due_step(demo_case("0003"), 3)  # not due yet: not in the digest
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    [body] = mail_on.to("mentor@hetbaken.example")
    assert demo_case("0001").reference in body and demo_case("0002").reference in body
    assert "Morgen" in body and "te laat" in body
    pupils = [pupil.first_name for pupil in models.Pupil.select()]
    assert not any(name in body for name in pupils), "no pupil names in e-mail"
    # mentor2 has no step due; their digest (the demo's report of yesterday about 3C) names no case
    assert not any("dossier(s)" in body for body in mail_on.to("mentor2@hetbaken.example"))
    again = app.test_cli_runner().invoke(args=["notify"])
    assert again.exit_code == 0 and len(mail_on.to("mentor@hetbaken.example")) == 1, "one digest a day"


def test_daily_digest_tells_the_mentor_of_follow_up_talks_by_case_number_only(mail_on, app):
    case = demo_case("0001")
    with models.db.atomic():  # no step due but the follow-up step, under way: its talks come tomorrow
        models.CaseStep.update(status="done").where(models.CaseStep.step_key != "follow-up").execute()
        models.FollowUp.update(due_on=db.today() + datetime.timedelta(days=1)).where(
            models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
            models.FollowUp.due_on <= db.today()).execute()
        with app.app_context():
            followups.settle_step(case)
    step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "follow-up")
    assert step.status == "open" and step.due_on == db.today() + datetime.timedelta(days=1)
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    [body] = mail_on.to("mentor@hetbaken.example")
    assert "Morgen staat in 1 dossier(s) een vervolggesprek gepland: %s." % case.reference in body
    assert "een stap" not in body  # the follow-up step is its talks: told once, as talks
    assert not any(pupil.first_name in body or pupil.last_name in body for pupil in models.Pupil.select())


def test_digest_sends_nothing_while_mail_is_off(app, smtp_server):
    due_step(demo_case("0001"), 1)
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0 and "0 overzicht" in result.output
    assert smtp_server[1].messages == []


def test_admin_switches_the_page_and_mail_on_in_settings(login_as, client):
    admin = login_as("admin")
    token = csrf_token(admin, "/instellingen/")
    settings = models.SchoolSettings.current()
    data = {"csrf_token": token, "school_name": settings.school_name, "region": settings.region,
            "default_protocol": settings.default_protocol, "public_reports_enabled": "y", "mail_enabled": "y",
            "smtp_host": "", "smtp_port": "587"}
    refused = admin.post("/instellingen/", data=data)
    assert refused.status_code == 400 and "Vul de mailserver in" in refused.get_data(as_text=True)
    assert client.get("/melden").status_code == 404
    data.update(smtp_host="mail.hetbaken.example", mail_sender="herstel@hetbaken.example")
    assert admin.post("/instellingen/", data=data).status_code == 302
    settings = models.SchoolSettings.current()
    assert settings.public_reports_enabled and settings.mail_enabled and settings.smtp_host == "mail.hetbaken.example"
    assert client.get("/melden").status_code == 200


def fail_every_try(app, client):
    """A report whose notice the (absent) mail server refuses until delivery gives up on it."""
    from domain import notify
    with models.db.atomic():
        models.SchoolSettings.update(mail_enabled=True, smtp_host="127.0.0.1", smtp_port=free_port(),
                                     smtp_starttls=False, public_reports_enabled=True).execute()
    send_report(client)
    outbox_settles(app)
    with app.app_context():
        for _ in range(notify.MAX_ATTEMPTS - 1):
            with models.db.atomic():
                models.OutboxMail.update(next_attempt_at=db.utcnow()).execute()
            assert notify.deliver() == (0, 1)
        with models.db.atomic():
            models.OutboxMail.update(next_attempt_at=db.utcnow()).execute()
        assert notify.deliver() == (0, 0), "after the last try the notice waits for a person"
    [mail] = models.OutboxMail.select()
    assert mail.attempts == notify.MAX_ATTEMPTS
    return mail


def test_the_administrator_sees_mail_that_failed_every_try_and_sends_it_again(app, smtp_server, client, login_as):
    controller, inbox = smtp_server
    mail = fail_every_try(app, client)
    admin = login_as("admin")
    home = admin.get("/").get_data(as_text=True)
    assert "1 e-mail kon niet worden verstuurd." in home and "/instellingen/#niet-verstuurd" in home
    page = admin.get("/instellingen/").get_data(as_text=True)
    assert "Niet verstuurde e-mail" in page and mail.subject in page and "laatste fout" in page
    assert "Controleer de mailserver" in page

    with models.db.atomic():  # the administrator mends the mail server's port
        models.SchoolSettings.update(smtp_port=controller.port).execute()
    response = admin.post("/instellingen/e-mail", data={"csrf_token": csrf_token(admin, "/instellingen/"),
                                                        "actie": "opnieuw"})
    assert response.status_code == 302
    assert "1 e-mail wordt opnieuw verstuurd." in admin.get(response.headers["Location"]).get_data(as_text=True)
    inbox.wait_for("coordinator@hetbaken.example")
    outbox_settles(app)
    assert models.OutboxMail.select().count() == 0
    assert models.AuditEvent.select().where(models.AuditEvent.action == "mail.retry").count() == 1
    assert "Niet verstuurde e-mail" not in admin.get("/instellingen/").get_data(as_text=True)
    assert "kon niet worden verstuurd" not in admin.get("/").get_data(as_text=True)


def test_sending_again_while_mail_is_off_keeps_the_mail_and_says_why(app, client, login_as):
    mail = fail_every_try(app, client)
    with models.db.atomic():
        models.SchoolSettings.update(mail_enabled=False).execute()
    admin = login_as("admin")
    response = admin.post("/instellingen/e-mail", data={"csrf_token": csrf_token(admin, "/instellingen/"),
                                                        "actie": "opnieuw"})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "E-mail staat uit." in page and "wordt opnieuw verstuurd" not in page
    assert "Niet verstuurde e-mail" in page and mail.subject in page
    assert models.OutboxMail.get_by_id(mail.id).attempts == mail.attempts  # untouched, not dropped
    assert not models.AuditEvent.select().where(models.AuditEvent.action == "mail.retry").exists()


@pytest.mark.parametrize("username, status, left", [("admin", 302, 0), ("coordinator", 403, 1)])
def test_the_administrator_lets_go_of_mail_that_failed_every_try(app, client, login_as, username, status, left):
    fail_every_try(app, client)
    user = login_as(username)
    response = user.post("/instellingen/e-mail", data={"csrf_token": csrf_token(user, "/"), "actie": "weggooien"})
    assert response.status_code == status  # only the administrator
    assert models.OutboxMail.select().count() == left
    assert models.AuditEvent.select().where(models.AuditEvent.action == "mail.discard").count() == 1 - left
