"""The public report page (meldknop): report without an account, code and phrase, answers both ways."""
import datetime
import html
import re

import pytest
import time_machine

import db
import models
from conftest import HeldChecks, csrf_token, in_parallel
from domain import public

CODE_RE = re.compile(r'data-receipt="code">([^<]+)<')
PHRASE_RE = re.compile(r'data-receipt="phrase">([^<]+)<')


@pytest.fixture
def switched_on(app):
    with models.db.atomic():
        models.SchoolSettings.update(public_reports_enabled=True).execute()
    return app


def send_report(client, address="10.1.1.1", **fields):
    data = {"csrf_token": csrf_token(client, "/melden"), "choice": "report", "who": "pupil",
            "what": "Ze lachen me elke dag uit in de kantine.", "whom": "Bij mij, door drie kinderen uit 2B",
            "place": "Kantine", "platform": "", "since": "Sinds de herfstvakantie", "more": "", "name": "",
            "school_class": "", "website": ""}
    data.update(fields)
    return client.post("/melden", data=data, environ_base={"REMOTE_ADDR": address})


def receipt(response):
    html = response.get_data(as_text=True)
    return CODE_RE.search(html).group(1), PHRASE_RE.search(html).group(1)


def open_status(client, code, phrase, address="10.1.1.1"):
    return client.post("/melden/status", data={"csrf_token": csrf_token(client, "/melden/status"), "code": code,
                                               "phrase": phrase}, environ_base={"REMOTE_ADDR": address})


def public_reports_of_page():
    return models.Report.select().where(models.Report.channel == "report_page")


def test_the_page_is_off_by_default_with_a_friendly_404(client):
    for path in ("/melden", "/melden/status"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Deze meldpagina staat niet aan" in response.get_data(as_text=True)
        assert "0800-0432" in response.get_data(as_text=True)
    token = csrf_token(client, "/login")
    assert client.post("/melden", data={"what": "iets", "csrf_token": token}).status_code == 404
    assert not public_reports_of_page().exists()


def test_flemish_school_shows_its_own_help_lines(switched_on, client):
    with models.db.atomic():
        models.SchoolSettings.update(region="vl").execute()
    html = client.get("/melden").get_data(as_text=True)
    assert "1712" in html and "Awel" in html and "0800-0432" not in html


def test_anonymous_round_trip_report_answer_read_reply(switched_on, client, login_as):
    """A pupil reports, gets code and phrase; the coordinator answers by role; the pupil reads and replies."""
    response = send_report(client)
    assert response.status_code == 200
    code, phrase = receipt(response)
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code) and len(phrase.split()) == 4
    report = public_reports_of_page().get()
    assert (report.reporter_kind, report.reporter_name, report.status) == ("anonymous", "", "new")
    assert "Ze lachen me elke dag uit" in report.description and report.place == "Kantine"
    thread = models.PublicThread.get(models.PublicThread.report == report)
    assert phrase not in thread.phrase_hash and thread.phrase_hash.startswith("$argon2id$")
    created = models.AuditEvent.get(models.AuditEvent.action == "public.report")
    assert (created.address, created.user_id, created.object_id) == ("", None, report.id)

    coordinator = login_as("coordinator")
    assert report.id in [r.id for r in models.Report.select().where(models.Report.status == "new")]
    page = coordinator.get("/meldingen/%d" % report.id).get_data(as_text=True)
    assert "Gesprek met de melder" in page
    token = csrf_token(coordinator, "/meldingen/%d" % report.id)
    prefix = "thread%d-" % thread.id
    answered = coordinator.post("/meldknop/%d/antwoord" % thread.id, headers={"HX-Request": "true"},
                                data={"csrf_token": token, prefix + "body": "Dank je. Ik kom morgen in de kantine kijken."})
    fragment = answered.get_data(as_text=True)
    assert answered.status_code == 200 and fragment.count("Ik kom morgen in de kantine kijken.") == 1, \
        "shown once as a message, and the answer field is empty again"
    actions = [e.action for e in models.AuditEvent.select().where(models.AuditEvent.username == "coordinator")]
    assert "thread.view" in actions and "thread.answer" in actions

    opened = open_status(client, code.lower().replace("-", " "), phrase.upper())
    assert opened.status_code == 303
    thread_page = client.get("/melden/status").get_data(as_text=True)
    assert "Ik kom morgen in de kantine kijken." in thread_page
    assert "De anti-pestcoördinator" in thread_page and "Marleen" not in thread_page

    token = csrf_token(client, "/melden/status")
    replied = client.post("/melden/status/bericht", data={"csrf_token": token, "body": "Het was vandaag weer."})
    assert replied.status_code == 303
    assert "Het was vandaag weer." in client.get("/melden/status").get_data(as_text=True)
    assert "Het was vandaag weer." in coordinator.get("/meldingen/%d" % report.id).get_data(as_text=True)
    assert [m.author_kind for m in thread.messages_in_order()] == ["staff", "reporter"]
    assert all(e.address == "" for e in models.AuditEvent.select().where(models.AuditEvent.action.startswith("public.")))


def test_staff_member_may_show_their_name(switched_on, client, login_as):
    code, phrase = receipt(send_report(client))
    thread = models.PublicThread.get(models.PublicThread.receipt_code == code)
    coordinator = login_as("coordinator")
    token = csrf_token(coordinator, "/meldingen/%d" % thread.report_id)
    prefix = "thread%d-" % thread.id
    response = coordinator.post("/meldknop/%d/antwoord" % thread.id, data={
        "csrf_token": token, prefix + "body": "Ik ben het.", prefix + "show_name": "y"})
    assert response.status_code == 302
    open_status(client, code, phrase)
    assert "Marleen de Vries (de anti-pestcoördinator)" in client.get("/melden/status").get_data(as_text=True)


def test_a_named_complaint_goes_to_the_counsellor(switched_on, client):
    response = send_report(client, choice="complaint", who="parent", name="Els Jansen", school_class="2B",
                           what="De school doet al weken niets.")
    code, _ = receipt(response)
    complaint = models.Complaint.get(models.Complaint.description.contains("De school doet al weken niets."))
    assert (complaint.complainant_kind, complaint.complainant_name, complaint.status) == ("parent", "Els Jansen",
                                                                                          "received")
    assert "klas 2B" in complaint.description
    assert models.PublicThread.get(models.PublicThread.receipt_code == code).complaint_id == complaint.id
    assert not public_reports_of_page().exists()


def test_a_named_report_is_not_anonymous_and_online_is_its_kind(switched_on, client):
    send_report(client, name="Sem", who="pupil", platform="Snapchat")
    report = public_reports_of_page().get()
    assert (report.reporter_kind, report.reporter_name, report.platform) == ("pupil", "Sem", "Snapchat")
    assert report.kinds == ["online"]


def test_complaint_thread_is_answered_by_the_counsellor_only(switched_on, client, login_as):
    code, _ = receipt(send_report(client, choice="complaint"))
    thread = models.PublicThread.get(models.PublicThread.receipt_code == code)
    for role, expected in (("coordinator", 404), ("mentor", 404), ("counsellor", 200)):
        user = login_as(role)
        token = csrf_token(user, "/account/")
        response = user.post("/meldknop/%d/antwoord" % thread.id, headers={"HX-Request": "true"},
                             data={"csrf_token": token, "thread%d-body" % thread.id: "Antwoord"})
        assert response.status_code == expected, role
    staff = models.ThreadMessage.get()
    assert (staff.author.username, staff.author_role) == ("counsellor", "counsellor")
    counsellor = login_as("counsellor")
    page = counsellor.get("/klachten/%d" % thread.complaint_id).get_data(as_text=True)
    assert "Gesprek met de melder (meldknop)" in page and "Antwoord" in page
    response = counsellor.post("/meldknop/%d/antwoord" % thread.id, data={
        "csrf_token": csrf_token(counsellor, "/account/"), "thread%d-body" % thread.id: "Ik bel je ouders."})
    assert response.headers["Location"].startswith("/klachten/%d" % thread.complaint_id)


def test_wrong_code_and_wrong_phrase_get_the_same_refusal(switched_on, client):
    code, phrase = receipt(send_report(client))
    wrong_phrase = open_status(client, code, "kat boom zon fiets" if phrase != "kat boom zon fiets" else "a b c d")
    wrong_code = open_status(client, "AAAA-BBBB-CCCC-DDDD", phrase)
    nonsense = open_status(client, "<script>", phrase)
    for response in (wrong_phrase, wrong_code, nonsense):
        assert response.status_code == 400
        assert "De code of de geheime zin klopt niet." in response.get_data(as_text=True)
    # Refused three times, the visitor still sees only the form that asks for code and phrase.
    after = client.get("/melden/status").get_data(as_text=True)
    assert "Je geheime zin" in after and "Je gesprek met de school" not in after


def text(response):
    return html.unescape(response.get_data(as_text=True))


def test_a_guesser_with_a_known_code_waits_and_the_owner_elsewhere_reads_at_once(switched_on, app, client):
    """Five wrong phrases from one address: there even the right phrase waits, a minute, then two;
    the owner on another connection is not held up."""
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        code, phrase = receipt(send_report(client))
        guesser, owner = app.test_client(), app.test_client()
        for number in range(5):
            assert open_status(guesser, code, "fout %d" % number, address="10.9.9.9").status_code == 400
        locked = open_status(guesser, code, phrase, address="10.9.9.9")
        assert locked.status_code == 429
        assert "Te veel verkeerde pogingen met deze code. Probeer het over 1 minuut opnieuw." in text(locked)
        assert 'value="%s"' % code in text(locked) and 'value="%s"' % phrase in text(locked)  # what was typed stays
        assert open_status(owner, code, phrase, address="10.1.1.1").status_code == 303
        clock.shift(datetime.timedelta(seconds=61))
        assert open_status(guesser, code, "fout 6", address="10.9.9.9").status_code == 400
        assert "over 2 minuten" in text(open_status(guesser, code, phrase, address="10.9.9.9"))
        clock.shift(datetime.timedelta(seconds=121))
        assert open_status(guesser, code, phrase, address="10.9.9.9").status_code == 303


def test_a_guesser_with_many_addresses_makes_the_code_wait_until_the_owner_gets_in(switched_on, app, client):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        code, phrase = receipt(send_report(client))
        for number in range(20):
            assert open_status(app.test_client(), code, "fout", address="10.6.%d.1" % number).status_code == 400
        owner = app.test_client()
        assert open_status(owner, code, phrase, address="10.5.5.5").status_code == 429
        clock.shift(datetime.timedelta(seconds=61))
        assert open_status(owner, code, phrase, address="10.5.5.5").status_code == 303
    keys = [row.key for row in models.PublicThrottle.select()]
    assert not any(key.startswith("fail:c:") for key in keys), "the right phrase clears the code's counter"
    assert not any("10.6." in key or "10.5." in key for key in keys), "addresses are stored only as hashes"


def test_a_whole_school_behind_one_address_survives_someone_trying_codes_there(switched_on, app, client,
                                                                               monkeypatch):
    code, phrase = receipt(send_report(client))
    checks = []
    monkeypatch.setattr(models.User, "burn_password_check", staticmethod(checks.append))
    trier = app.test_client()
    for number in range(40):
        assert open_status(trier, "AAAA-BBBB-CCCC-%04d" % (2000 + number), "kat boom zon fiets",
                           address="10.7.7.7").status_code == 400
    assert len(checks) == 30, "past 30 wrong tries from one address a code that does not exist costs no check"
    assert open_status(app.test_client(), code, phrase, address="10.7.7.7").status_code == 303


def test_an_ipv6_guesser_counts_by_its_connections_block_not_by_each_address(switched_on, app, client):
    code, phrase = receipt(send_report(client))
    for number in range(5):
        open_status(app.test_client(), code, "fout", address="2001:db8:5:7::%x" % (number + 1))
    assert open_status(app.test_client(), code, phrase, address="2001:db8:5:7::ffff").status_code == 429
    assert open_status(app.test_client(), code, phrase, address="2001:db8:5:8::1").status_code == 303


def test_wrong_tries_from_everywhere_lock_no_one_out(switched_on, app, client, monkeypatch):
    """25 wrong tries from 25 networks: more than the overall cap of 20 an hour there once was, which let anyone
    lock every reporter out."""
    monkeypatch.setattr(models.User, "burn_password_check", staticmethod(lambda phrase: None))
    code, phrase = receipt(send_report(client))
    for number in range(25):
        open_status(app.test_client(), "AAAA-BBBB-CCCC-%04d" % (3000 + number), "x", address="10.6.%d.1" % number)
    assert open_status(app.test_client(), code, phrase, address="10.5.5.5").status_code == 303


def test_wrong_phrases_sent_in_parallel_get_no_more_checks_than_the_throttle_allows(switched_on, app, client,
                                                                                     monkeypatch):
    code, phrase = receipt(send_report(client))
    tries = 12
    guessers = [app.test_client() for _ in range(tries)]
    tokens = [csrf_token(guesser, "/melden/status") for guesser in guessers]
    gate = HeldChecks(tries)
    monkeypatch.setattr(models.PublicThread, "check_phrase", gate.wrap(models.PublicThread.check_phrase))
    statuses = in_parallel([lambda guesser=guesser, token=token: gate.answer(lambda: guesser.post(
        "/melden/status", data={"csrf_token": token, "code": code, "phrase": "fout"},
        environ_base={"REMOTE_ADDR": "10.8.8.8"}).status_code) for guesser, token in zip(guessers, tokens)])
    assert gate.calls == 5
    assert sorted(statuses) == [400] * 5 + [429] * (tries - 5)


def test_closing_the_thread_ends_its_access_on_the_server_even_for_a_copy_of_the_cookie(switched_on, app,
                                                                                         client):
    code, phrase = receipt(send_report(client))
    assert open_status(client, code, phrase).status_code == 303
    assert "Je gesprek met de school" in text(client.get("/melden/status"))
    copied = client.get_cookie("herstel_session").value
    token = csrf_token(client, "/melden/status")
    assert client.post("/melden/status/sluiten", data={"csrf_token": token}).status_code == 303
    replay = app.test_client()
    replay.set_cookie("herstel_session", copied)
    page = text(replay.get("/melden/status"))
    assert "Je gesprek met de school" not in page and "Je geheime zin" in page
    replay.post("/melden/status/bericht", data={"csrf_token": token, "body": "Met een oude cookie"})
    assert not models.ThreadMessage.select().where(models.ThreadMessage.body == "Met een oude cookie").exists()
    assert not models.PublicAccess.select().exists()


def test_half_an_hour_idle_ends_the_threads_access(switched_on, client):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        code, phrase = receipt(send_report(client))
        open_status(client, code, phrase)
        clock.shift(datetime.timedelta(minutes=29))
        assert "Je gesprek met de school" in text(client.get("/melden/status"))
        clock.shift(datetime.timedelta(minutes=31))
        assert "Je geheime zin" in text(client.get("/melden/status"))
    assert not models.PublicAccess.select().exists()


def test_a_flood_of_reports_does_not_stop_a_reporter_replying(switched_on, app, client):
    code, phrase = receipt(send_report(client))
    app.config["PUBLIC_SENDS_PER_HOUR"] = 1  # the report above used it up
    assert send_report(app.test_client(), address="10.4.4.4").status_code == 429
    assert open_status(client, code, phrase).status_code == 303
    token = csrf_token(client, "/melden/status")
    assert client.post("/melden/status/bericht", data={"csrf_token": token, "body": "Nog steeds"}).status_code == 303
    assert models.ThreadMessage.select().where(models.ThreadMessage.body == "Nog steeds").exists()


def test_counters_expire(switched_on, client):
    with models.db.atomic():
        models.PublicThrottle.create(key="fail:all", count=10_000,
                                     expires_at=db.utcnow() - datetime.timedelta(seconds=1))
    code, phrase = receipt(send_report(client))
    assert open_status(client, code, phrase).status_code == 303
    assert models.PublicThrottle.get_or_none(models.PublicThrottle.key == "fail:all") is None


def test_sending_is_limited_per_address_and_overall(switched_on, app, client):
    for number in range(5):
        assert send_report(client, what="Melding %d" % number).status_code == 200
    limited = send_report(client, what="Melding zes")
    assert limited.status_code == 429 and "nog niet verstuurd" in limited.get_data(as_text=True)
    assert "Melding zes" in limited.get_data(as_text=True)  # what was typed stays
    assert send_report(client, address="10.2.2.2", what="Van een ander adres").status_code == 200
    app.config["PUBLIC_SENDS_PER_HOUR"] = 6
    assert send_report(client, address="10.3.3.3", what="Nog een").status_code == 429
    assert public_reports_of_page().count() == 6


def test_honeypot_refuses_and_stores_nothing(switched_on, client):
    response = send_report(client, website="http://spam.example")
    assert response.status_code == 400 and not public_reports_of_page().exists()


def test_empty_report_gets_a_clear_message(switched_on, client):
    response = send_report(client, what="   ", whom="Sem")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vertel wat er gebeurd is. Dit moet je invullen." in html and 'value="Sem"' in html
    assert not public_reports_of_page().exists()


def test_a_megabyte_of_text_is_refused_with_a_clear_message(switched_on, client):
    too_long = send_report(client, what="x" * 1_000_000)
    assert too_long.status_code == 400
    assert "Dit is te lang: hoogstens 5.000 tekens." in too_long.get_data(as_text=True)
    too_big = send_report(client, what="x" * 9_000_000)  # past MAX_CONTENT_LENGTH
    assert too_big.status_code == 413
    assert "Je bericht is te lang" in too_big.get_data(as_text=True)
    assert not public_reports_of_page().exists()


def test_emoji_and_right_to_left_text_arrive_intact(switched_on, client, login_as):
    text = "Ze sturen 🤬😡 berichten: \u05d0\u05ea\u05d4 \u05dc\u05d0 \u05e9\u05d9\u05d9\u05da · \u0644\u0627 \u0623\u062d\u062f \u064a\u062d\u0628\u0643 \u202e"
    assert send_report(client, what=text, whom="\u202ePaul").status_code == 200
    report = public_reports_of_page().get()
    assert report.description.startswith(text.strip())
    page = login_as("coordinator").get("/meldingen/%d" % report.id)
    assert page.status_code == 200 and "🤬😡" in page.get_data(as_text=True)


def test_markup_sent_is_shown_inert_everywhere(switched_on, client, login_as):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    code, phrase = receipt(send_report(client, what=attack, name=attack, place=attack))
    thread = models.PublicThread.get(models.PublicThread.receipt_code == code)
    open_status(client, code, phrase)
    client.post("/melden/status/bericht", data={"csrf_token": csrf_token(client, "/melden/status"), "body": attack})
    coordinator = login_as("coordinator")
    token = csrf_token(coordinator, "/account/")
    coordinator.post("/meldknop/%d/antwoord" % thread.id, data={"csrf_token": token,
                                                               "thread%d-body" % thread.id: attack})
    pages = [client.get("/melden/status"), coordinator.get("/meldingen/%d" % thread.report_id),
             coordinator.get("/meldingen/")]
    for page in pages:
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in pages[0].get_data(as_text=True)
    assert "&lt;script&gt;alert" in pages[1].get_data(as_text=True)


def test_reply_needs_the_code_first_and_is_not_empty(switched_on, client):
    token = csrf_token(client, "/melden/status")
    refused = client.post("/melden/status/bericht", data={"csrf_token": token, "body": "Hallo"})
    assert refused.status_code == 303 and not models.ThreadMessage.select().exists()
    code, phrase = receipt(send_report(client))
    open_status(client, code, phrase)
    empty = client.post("/melden/status/bericht", data={"csrf_token": token, "body": "  "})
    assert empty.status_code == 400 and "Schrijf eerst een bericht." in empty.get_data(as_text=True)
    client.post("/melden/status/sluiten", data={"csrf_token": token})
    assert "Je geheime zin" in client.get("/melden/status").get_data(as_text=True)


def test_posting_without_csrf_token_is_refused(switched_on, client):
    response = client.post("/melden", data={"choice": "report", "who": "pupil", "what": "Zonder token"})
    assert response.status_code == 400 and not public_reports_of_page().exists()


def test_codes_and_phrases_come_from_the_unambiguous_alphabet_and_word_list():
    codes = {public.new_receipt_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(set(code.replace("-", "")) <= set(public.CODE_ALPHABET) for code in codes)
    assert not set("01IO") & set(public.CODE_ALPHABET)
    assert all(word in public.PHRASE_WORDS for word in public.new_phrase().split())


def test_a_code_is_sixteen_drawn_letters_in_four_groups(monkeypatch):
    letters = iter(public.CODE_ALPHABET)
    monkeypatch.setattr(public.secrets, "choice", lambda alphabet: next(letters))
    assert public.new_receipt_code() == "ABCD-EFGH-JKLM-NPQR"


@pytest.mark.parametrize("choice,role", [("report", "coordinator"), ("complaint", "counsellor")])
def test_an_answer_without_javascript_that_is_too_long_keeps_its_text_beside_a_message(
        switched_on, client, login_as, choice, role):
    code, _ = receipt(send_report(client, choice=choice))
    thread = models.PublicThread.get(models.PublicThread.receipt_code == code)
    staff = login_as(role)
    prefix = "thread%d-" % thread.id
    typed = "Wij nemen dit serieus & spreken Sem morgen. " + "x" * 5000
    response = staff.post("/meldknop/%d/antwoord" % thread.id, data={
        "csrf_token": csrf_token(staff, "/account/"), prefix + "body": typed, prefix + "show_name": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="field__error" id="%sbody-error">([^<]*)</p>' % prefix, page)
    assert error and "hoogstens 5.000 tekens" in error.group(1)
    assert html.escape(typed, quote=False) in page  # in the field, to shorten and send again
    assert "checked" in re.search(r'<input[^>]*id="%sshow_name"[^>]*>' % prefix, page).group(0)
    assert models.ThreadMessage.select().where(models.ThreadMessage.thread == thread,
                                               models.ThreadMessage.author_kind == "staff").count() == 0


def test_an_empty_answer_without_javascript_says_so_beside_the_field(switched_on, client, login_as):
    code, _ = receipt(send_report(client))
    thread = models.PublicThread.get(models.PublicThread.receipt_code == code)
    coordinator = login_as("coordinator")
    response = coordinator.post("/meldknop/%d/antwoord" % thread.id, data={
        "csrf_token": csrf_token(coordinator, "/account/"), "thread%d-body" % thread.id: "   "})
    assert response.status_code == 400
    assert ('id="thread%d-body-error">Schrijf eerst een antwoord.</p>' % thread.id) in response.get_data(as_text=True)


# The page's counters and texts (domain/public.py), called directly: to the second and to the letter.

def counter(count, last_try):
    """A counter row as stored: it expires an hour after its last wrong try."""
    return models.PublicThrottle(key="k", count=count, expires_at=last_try + public.WINDOW)


def new_thread():
    with models.db.atomic():
        return public.file_report({"choice": "report", "who": "pupil", "what": "Ze lachen me uit."})[0]


def test_a_code_waits_one_two_four_minutes_after_the_allowed_wrong_tries_up_to_an_hour():
    last = datetime.datetime(2026, 11, 2, 9, 0)
    assert public._wait_for(None, 5, last) == 0
    assert public._wait_for(counter(4, last), 5, last) == 0
    assert [public._wait_for(counter(count, last), 5, last) for count in (5, 6, 7, 11, 12, 30)] == [
        60, 120, 240, 3600, 3600, 3600]
    assert public._wait_for(counter(5, last), 5, last + datetime.timedelta(seconds=59, microseconds=1)) == 1
    assert public._wait_for(counter(5, last), 5, last + datetime.timedelta(seconds=61)) == 0


def test_a_refusal_tells_its_wait_in_whole_minutes_rounded_up():
    assert [public.PublicError(wait=seconds).wait_minutes for seconds in (1, 60, 61, 3600)] == [1, 1, 2, 60]
    assert public.PublicError(wait=0).wait_minutes == 1
    assert public.PublicError(wait=30).locked and not public.PublicError().locked


def test_a_use_is_counted_against_every_limit_or_against_none(app_context):
    with models.db.atomic():
        assert public.take([("test:a", 2), ("test:b", 5)])
        assert public.take([("test:a", 2), ("test:b", 5)])
        assert not public.take([("test:a", 2), ("test:b", 5)])  # a is used up: b not counted either
        assert public.take([("test:c", 1)]) and not public.take([("test:c", 1)])  # a limit of one allows one
    assert {row.key: row.count for row in models.PublicThrottle.select().where(
        models.PublicThrottle.key.startswith("test:"))} == {"test:a": 2, "test:b": 2, "test:c": 1}


def test_a_counter_is_forgotten_on_the_second_its_hour_ends_and_an_access_after_half_an_hour_idle(app_context):
    start = datetime.datetime(2026, 11, 2, 9, 0)
    thread = new_thread()

    def kept():
        return (models.PublicThrottle.select().where(models.PublicThrottle.key == "test:hour").exists(),
                models.PublicAccess.select().where(models.PublicAccess.thread == thread).exists())
    with time_machine.travel(start.replace(tzinfo=datetime.timezone.utc), tick=False) as clock:
        with models.db.atomic():
            public.take([("test:hour", 10)])
            public.grant_access(thread)
        clock.shift(datetime.timedelta(minutes=30))  # idle exactly half an hour: still open
        public.purge_expired_counters()
        assert kept() == (True, True)
        clock.shift(datetime.timedelta(seconds=1))
        public.purge_expired_counters()
        assert kept() == (True, False)
        clock.shift(datetime.timedelta(minutes=29, seconds=58))
        public.purge_expired_counters()
        assert kept() == (True, False)
        clock.shift(datetime.timedelta(seconds=1))  # the counter's hour is over
        public.purge_expired_counters()
        assert kept() == (False, False)


def test_an_open_thread_notes_its_reader_once_a_minute_and_closes_after_half_an_hour_idle(app_context):
    start = datetime.datetime(2026, 11, 2, 9, 0)
    thread = new_thread()
    with time_machine.travel(start.replace(tzinfo=datetime.timezone.utc), tick=False) as clock:
        with models.db.atomic():
            token = public.grant_access(thread)

        def seen():
            return models.PublicAccess.get(models.PublicAccess.thread == thread).last_seen_at
        clock.shift(datetime.timedelta(seconds=60))
        assert public.thread_of_access(token) == thread and seen() == start
        clock.shift(datetime.timedelta(seconds=1))
        assert public.thread_of_access(token) == thread and seen() == start + datetime.timedelta(seconds=61)
        clock.shift(datetime.timedelta(minutes=30, seconds=1))
        assert public.thread_of_access(token) is None
        assert public.thread_of_access("") is None


def test_each_browser_s_token_opens_its_own_thread_and_closing_or_idling_one_leaves_the_others(app_context):
    """Two reporters read their threads at once: a token nobody was given opens nothing, and what happens
    to one browser's access (noted as read, idle for half an hour, closed) happens to that one alone."""
    start = datetime.datetime(2026, 11, 2, 9, 0)
    first, second, third = new_thread(), new_thread(), new_thread()
    with time_machine.travel(start.replace(tzinfo=datetime.timezone.utc), tick=False) as clock:
        with models.db.atomic():
            tokens = {thread: public.grant_access(thread) for thread in (first, second)}
        clock.shift(datetime.timedelta(minutes=29))
        with models.db.atomic():
            tokens[third] = public.grant_access(third)
        assert public.thread_of_access("nooit-gegeven") is None
        assert public.thread_of_access(tokens[first]) == first
        assert models.PublicAccess.get(models.PublicAccess.thread == second).last_seen_at == start
        with models.db.atomic():
            public.end_access(tokens[first])
        assert public.thread_of_access(tokens[first]) is None
        clock.shift(datetime.timedelta(minutes=2))  # the second browser idle past half an hour
        assert public.thread_of_access(tokens[second]) is None
        assert public.thread_of_access(tokens[third]) == third
        clock.shift(datetime.timedelta(minutes=30))  # idle exactly half an hour since: still open
        assert public.thread_of_access(tokens[third]) == third


def test_a_complaint_from_the_page_says_who_complains(app_context):
    for who, kind in (("pupil", "pupil"), ("parent", "parent"), ("teacher", "other")):
        with models.db.atomic():
            thread = public.file_report({"choice": "complaint", "who": who, "what": "Er gebeurt niets."})[0]
        assert thread.complaint.complainant_kind == kind


def test_replies_count_per_address_and_per_thread_30_an_hour_and_reports_5_per_address_and_100_in_all(
        app_context):
    thread, other = new_thread(), new_thread()
    (by_address, per_address), (by_thread, per_thread) = public.send_limits("10.0.0.1", thread)
    assert (per_address, per_thread) == (30, 30)
    assert by_address == public.send_limits("10.0.0.1", other)[0][0] != public.send_limits("10.0.0.2", thread)[0][0]
    assert by_thread == public.send_limits("10.0.0.2", thread)[1][0] != public.send_limits("10.0.0.1", other)[1][0]
    assert [limit for _key, limit in public.send_limits("10.0.0.1")] == [5, 100]


def test_the_right_phrase_gives_its_address_the_try_back_and_no_other_address(app_context):
    with models.db.atomic():
        thread, code, phrase = public.file_report({"choice": "report", "who": "pupil", "what": "Ze lachen me uit."})
        other_code = public.file_report({"choice": "report", "who": "pupil", "what": "Ze lachen me uit."})[1]

    def tries(address):
        key = public._failure_keys(address, code)["address"]  # one count per address, over every code
        row = models.PublicThrottle.get_or_none(models.PublicThrottle.key == key)
        return row.count if row else 0
    with pytest.raises(public.PublicError):
        public.open_thread(other_code, "fout", "10.0.0.2")
    assert public.open_thread(code, phrase, "10.0.0.1") == thread
    assert (tries("10.0.0.1"), tries("10.0.0.2")) == (0, 1)
    for _ in range(2):
        with pytest.raises(public.PublicError):
            public.open_thread(code, "fout", "10.0.0.1")
    assert public.open_thread(code, phrase, "10.0.0.1") == thread
    assert (tries("10.0.0.1"), tries("10.0.0.2")) == (2, 1)


def test_a_report_s_public_thread_is_its_own_or_none(app_context):
    thread = new_thread()
    assert public.thread_for(thread.report) == thread
    assert public.thread_for(models.Report.create(reported_on=db.today(), reporter_kind="staff",
                                                  channel="conversation", description="x")) is None


def test_an_ipv6_address_counts_by_its_block_and_an_ipv4_one_by_itself(app_context):
    key = public.address_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") != key("2001:db8:1:3::1")
    assert key("10.0.0.1") != key("10.0.0.2") and key("::ffff:10.0.0.1") != key("::ffff:10.0.0.2")
    assert key("not an address") != key("") and len(key("10.0.0.1")) == 32
    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    today_s = key("10.0.0.1")
    with time_machine.travel(tomorrow, tick=False):
        assert key("10.0.0.1") != today_s  # the salt changes with the day


def test_the_report_s_text_puts_each_answer_under_its_heading():
    assert public.compose_description({"what": "Ze pakken mijn tas af."}) == "Ze pakken mijn tas af."
    assert public.compose_description({
        "what": "Ze pakken mijn tas af.", "whom": "Bram", "since": "september", "more": "Op het plein.",
        "name": "Isa", "school_class": "2B"}) == (
        "Ze pakken mijn tas af.\n\nOver wie: Bram\n\nSinds wanneer: september\n\nVerder: Op het plein."
        "\n\nNaam: Isa (klas 2B)")
    assert public.compose_description({"what": "Iets.", "name": "Isa"}) == "Iets.\n\nNaam: Isa"
    assert public.compose_description({"what": "Iets.", "school_class": "2B"}) == "Iets.\n\nKlas: 2B"


def test_a_report_from_the_page_keeps_who_sent_it_where_and_on_which_platform(app_context):
    with models.db.atomic():
        thread, code, phrase = public.file_report({
            "choice": "report", "who": "parent", "name": "Moeder van Isa", "what": "Berichten.",
            "place": "p" * 201, "platform": "q" * 101})
        anonymous, _code, _phrase = public.file_report({"choice": "report", "who": "pupil", "what": "Iets."})
        other, _code, _phrase = public.file_report({"choice": "report", "who": "teacher", "name": "X",
                                                    "what": "Iets."})
        complaint, _code, _phrase = public.file_report({"choice": "complaint", "who": "neighbour", "what": "Iets."})
    report = thread.report
    assert (report.reporter_kind, report.reporter_name, report.channel, report.place, report.platform) == (
        "parent", "Moeder van Isa", "report_page", "p" * 200, "q" * 100)
    assert [kind.kind for kind in models.ReportKind.select().where(models.ReportKind.report == report)] == ["online"]
    assert (anonymous.report.reporter_kind, other.report.reporter_kind) == ("anonymous", "external")
    # What was not sent is kept as nothing, not as some placeholder.
    assert (anonymous.report.reporter_name, anonymous.report.place, anonymous.report.platform) == ("", "", "")
    assert complaint.complaint.complainant_name == ""
    assert not models.ReportKind.select().where(models.ReportKind.report == anonymous.report).exists()
    assert (complaint.complaint.complainant_kind, complaint.complaint.description) == ("other", "Iets.")
    assert thread.receipt_code == code and thread.check_phrase(phrase)
    assert public.thread_for(report) == thread and public.thread_for(complaint.complaint) == complaint


def test_a_staff_answer_shows_the_role_and_not_the_name_unless_asked(app_context):
    thread = new_thread()
    coordinator = models.User.get(models.User.username == "coordinator")
    with models.db.atomic():
        unnamed = public.add_staff_message(thread, coordinator, "Dank je.")
        named = public.add_staff_message(thread, coordinator, "Ik ben het.", show_name="y")
    assert (unnamed.author_role, unnamed.show_name, named.show_name) == ("coordinator", False, True)
    assert [message.show_name for message in thread.messages_in_order()] == [False, True]


# The limits are the app's settings, each under its own name, with their values in config.py beside
# the login's (not read from the environment, so every school gets the numbers the README names).
# Tests lower them (create_app's test_config or app.config).

def test_the_limits_are_the_numbers_the_readme_names(app_context):
    assert {name: value for name, value in app_context.config.items() if name.startswith("PUBLIC_")} == {
        "PUBLIC_SENDS_PER_ADDRESS": 5, "PUBLIC_SENDS_PER_HOUR": 100, "PUBLIC_REPLIES_PER_ADDRESS": 30,
        "PUBLIC_REPLIES_PER_THREAD": 30, "PUBLIC_FAILURES_PER_CODE_AND_ADDRESS": 5, "PUBLIC_FAILURES_PER_CODE": 20,
        "PUBLIC_FAILURES_PER_ADDRESS": 30}


def test_each_send_and_reply_limit_is_read_from_its_own_setting(app_context):
    thread = new_thread()
    app_context.config.update(PUBLIC_SENDS_PER_ADDRESS=2, PUBLIC_SENDS_PER_HOUR=3, PUBLIC_REPLIES_PER_ADDRESS=4,
                              PUBLIC_REPLIES_PER_THREAD=6)
    assert [limit for _key, limit in public.send_limits("10.0.0.1")] == [2, 3]
    assert [limit for _key, limit in public.send_limits("10.0.0.1", thread)] == [4, 6]


def test_each_wrong_try_limit_is_read_from_its_own_setting(app_context, monkeypatch):
    """One wrong try allowed per code and address, two per code, one per address before codes that do not
    exist go unchecked: each limit bites at its setting, long before its default (5, 20, 30)."""
    with models.db.atomic():
        _thread, code, phrase = public.file_report({"choice": "report", "who": "pupil", "what": "Ze lachen me uit."})
    app_context.config.update(PUBLIC_FAILURES_PER_CODE_AND_ADDRESS=1, PUBLIC_FAILURES_PER_CODE=2,
                              PUBLIC_FAILURES_PER_ADDRESS=1)

    def refusal(code, phrase, address):
        with pytest.raises(public.PublicError) as refused:
            public.open_thread(code, phrase, address)
        return refused.value.locked
    assert not refusal(code, "fout", "10.0.0.1")
    assert refusal(code, phrase, "10.0.0.1"), "one wrong try at this code from this address: it waits"
    assert not refusal(code, "fout", "10.0.0.2")
    assert refusal(code, phrase, "10.0.0.3"), "two wrong tries at this code from anywhere: it waits"
    checks = []
    monkeypatch.setattr(models.User, "burn_password_check", staticmethod(checks.append))
    assert not refusal("AAAA-BBBB-CCCC-DDDD", "van 1", "10.0.0.1")  # one wrong try from here already
    assert not refusal("AAAA-BBBB-CCCC-DDDD", "van 4", "10.0.0.4")
    assert checks == ["van 4"], "past one wrong try from an address, a code that does not exist costs no check"
