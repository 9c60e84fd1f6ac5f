"""Filing reports and opening cases through the forms, with the bad input the protocol meets."""
import datetime
import re

import db
import models
from conftest import csrf_token, demo_case, demo_user

DEMO_CASES = 5  # the cases of the demo school: none was added


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def report_form(client, **fields):
    data = {"csrf_token": csrf_token(client, "/meldingen/nieuw"), "reporter_kind": "staff",
            "channel": "conversation", "reported_on": db.today().isoformat(),
            "pupils": [pupil("Amira").id, pupil("Finn").id], "kinds": ["belongings"],
            "place": "Schoolplein", "description": "Finn pakt de tas van Amira af."}
    data.update(fields)
    return client.post("/meldingen/nieuw", data=data)


def new_reports():
    return models.Report.select().where(models.Report.description.contains("tas van Amira"))


def test_staff_files_a_report_and_sees_its_status(login_as):
    client = login_as("staff")
    response = report_form(client, possibly_criminal="y")
    assert response.status_code == 302
    report = new_reports().get()
    assert report.created_by == demo_user("staff") and report.status == "new" and report.possibly_criminal
    assert report.kinds == ["belongings"]
    assert {row.pupil.first_name for row in report.pupil_rows} == {"Amira", "Finn"}
    assert models.AuditEvent.select().where(models.AuditEvent.action == "report.create").count() == 1
    page = client.get("/meldingen/").get_data(as_text=True)
    assert "Finn pakt de tas van Amira af." in page and "Nieuw" in page


def test_report_without_pupils_is_refused_and_keeps_what_was_typed(login_as):
    response = report_form(login_as("staff"), pupils=[])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kies minstens één leerling." in html
    assert "Finn pakt de tas van Amira af." in html and 'value="Schoolplein"' in html
    assert not new_reports().exists()


def test_report_dated_in_the_future_is_refused(login_as):
    tomorrow = (db.today() + datetime.timedelta(days=1)).isoformat()
    response = report_form(login_as("staff"), reported_on=tomorrow)
    assert response.status_code == 400
    assert "Een datum in de toekomst kan niet." in response.get_data(as_text=True)
    assert not new_reports().exists()


def test_report_with_unknown_pupil_or_no_kind_is_refused(login_as):
    client = login_as("staff")
    unknown = report_form(client, pupils=[999999])
    no_kind = report_form(client, kinds=[])
    assert "Een gekozen leerling bestaat niet (meer)." in unknown.get_data(as_text=True)
    assert "Kies minstens één soort pesten" in no_kind.get_data(as_text=True)
    assert not new_reports().exists()


def test_a_signal_needs_no_kind_of_bullying(login_as):
    response = report_form(login_as("staff"), kinds=[], is_signal="y")
    assert response.status_code == 302
    assert new_reports().get().is_signal


def test_chosen_pupils_come_back_checked_after_an_error(login_as):
    html = report_form(login_as("staff"), description="").get_data(as_text=True)
    assert 'name="pupils" value="%d" checked' % pupil("Amira").id in html


def test_picker_finds_pupils_by_name_or_class_and_keeps_the_chosen(login_as):
    client = login_as("staff")
    html = client.get("/meldingen/leerlingen?q=3c&pupils=%d" % pupil("Noor").id).get_data(as_text=True)
    assert "Haddou, Amira" in html and "Brouwer, Sophie" in html  # class 3C
    assert 'value="%d" checked' % pupil("Noor").id in html  # chosen before, still chosen
    assert "Hoekstra, Noor" in html and html.index("Hoekstra, Noor") < html.index("Brouwer, Sophie")
    assert "Geen leerling gevonden" in client.get("/meldingen/leerlingen?q=zzzz").get_data(as_text=True)


def open_case_form(client, report=None, **fields):
    url = "/dossiers/nieuw" + ("?melding=%d" % report.id if report else "")
    data = {"csrf_token": csrf_token(client, url), "protocol": "vo-nl", "mentor": demo_user("mentor2").id,
            "title": "Tas afpakken", "role_%d" % pupil("Amira").id: "victim", "role_%d" % pupil("Finn").id: "bully"}
    data.update(fields)
    return client.post(url, data=data)


def test_coordinator_turns_a_report_into_a_case(login_as):
    teacher = login_as("staff")
    report_form(teacher)
    report = new_reports().get()
    client = login_as("coordinator")
    response = open_case_form(client, report)
    assert response.status_code == 302
    case = models.Case.get(models.Case.title == "Tas afpakken")
    assert response.headers["Location"] == "/dossiers/%d" % case.id
    assert {i.pupil.first_name: i.role for i in case.involvements} == {"Amira": "victim", "Finn": "bully"}
    assert models.Report.get_by_id(report.id).status == "in_case"
    assert models.CaseStep.select().where(models.CaseStep.case == case).count() == 9
    assert models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "police").status == "not_applicable"
    # The teacher sees the new status of their report.
    assert "In behandeling" in teacher.get("/meldingen/").get_data(as_text=True)
    # A report can become a case only once.
    again = open_case_form(client, report, title="Nog eens")
    assert again.status_code == 400 and "al verwerkt" in again.get_data(as_text=True)


def test_a_pupil_cannot_be_bully_and_victim_in_one_case(login_as):
    client = login_as("coordinator")
    amira = pupil("Amira").id
    response = client.post("/dossiers/nieuw", data={
        "csrf_token": csrf_token(client, "/dossiers/nieuw"), "protocol": "vo-nl",
        "mentor": demo_user("mentor2").id, "role_%d" % amira: ["victim", "bully"]})
    assert response.status_code == 400
    assert "Een leerling kan maar één rol hebben" in response.get_data(as_text=True)
    assert models.Case.select().count() == DEMO_CASES


def test_a_case_needs_a_victim(login_as):
    response = open_case_form(login_as("coordinator"), **{"role_%d" % pupil("Amira").id: "bystander"})
    assert response.status_code == 400
    assert "Geef minstens één leerling de rol gepeste leerling." in response.get_data(as_text=True)


def test_mentor_opens_a_case_only_for_pupils_of_their_own_class(login_as):
    client = login_as("mentor2")
    mixed = open_case_form(client, **{"role_%d" % pupil("Noor").id: "follower"})  # Noor is in 2B
    assert mixed.status_code == 400
    assert "Noor Hoekstra zit niet in een klas waarvan jij mentor bent." in mixed.get_data(as_text=True)
    own = open_case_form(client)  # Amira and Finn are in 3C
    assert own.status_code == 302


def test_mentor_cannot_make_another_mentor_responsible(login_as):
    response = open_case_form(login_as("mentor2"), mentor=demo_user("mentor").id)
    assert response.status_code == 400
    assert models.Case.select().count() == DEMO_CASES


def test_unknown_protocol_is_refused_in_dutch(login_as):
    response = open_case_form(login_as("coordinator"), protocol="no-such-protocol")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ongeldige keuze." in html
    assert models.Case.select().count() == DEMO_CASES


def test_completing_a_step_twice_gets_a_message(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    url = "/dossiers/%d/stappen/joint-talk" % case.id
    token = csrf_token(client, "/dossiers/%d" % case.id)
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    first = client.post(url, data={"note": "Goed gesprek"}, headers=headers)
    second = client.post(url, data={"note": "Nog eens"}, headers=headers)
    assert first.status_code == 200 and "tracker__step--done" in first.get_data(as_text=True)
    assert 'data-hx-swap-oob="true"' in first.get_data(as_text=True)
    assert second.status_code == 409 and "Deze stap is al afgerond." in second.get_data(as_text=True)
    row = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "joint-talk")
    assert row.note == "Goed gesprek" and row.done_by == demo_user("mentor")


def test_closing_a_report_needs_a_reason(login_as):
    report = models.Report.get(models.Report.status == "new")
    client = login_as("coordinator")
    url = "/meldingen/%d/sluiten" % report.id
    client.post(url, data={"close-csrf_token": csrf_token(client, "/meldingen/%d" % report.id), "close-reason": ""})
    assert models.Report.get_by_id(report.id).status == "new"
    client.post(url, data={"close-csrf_token": csrf_token(client, "/meldingen/%d" % report.id),
                           "close-reason": "Eenmalige ruzie, uitgepraat."})
    assert models.Report.get_by_id(report.id).status == "closed"


def test_coordinator_attaches_a_report_to_an_open_case(login_as):
    report = models.Report.get(models.Report.status == "new")
    case = demo_case("0003")
    client = login_as("coordinator")
    response = client.post("/meldingen/%d/koppelen" % report.id, data={
        "attach-csrf_token": csrf_token(client, "/meldingen/%d" % report.id), "attach-case_id": case.id})
    assert response.headers["Location"] == "/dossiers/%d" % case.id
    assert models.Report.get_by_id(report.id).case == case
    assert models.Involvement.get(models.Involvement.case == case, models.Involvement.pupil == pupil("Amira")).role == "bystander"


def test_close_and_reopen_a_case(login_as):
    client = login_as("coordinator")
    case = demo_case("0003")
    token = csrf_token(client, "/dossiers/%d" % case.id)
    client.post("/dossiers/%d/sluiten" % case.id, data={"csrf_token": token, "reason": "Opgelost."})
    assert models.Case.get_by_id(case.id).status == "closed"
    client.post("/dossiers/%d/heropenen" % case.id, data={"csrf_token": token, "reason": "Het gebeurt weer."})
    case = models.Case.get_by_id(case.id)
    assert case.status == "open"
    assert [e.kind for e in case.events.order_by(models.CaseEvent.id.desc()).limit(2)] == ["reopened", "closed"]


def test_default_protocol_comes_from_the_settings(login_as):
    admin = login_as("admin")
    admin.post("/instellingen/", data={"csrf_token": csrf_token(admin, "/instellingen/"),
                                       "school_name": "De Regenboog", "region": "vl",
                                       "default_protocol": "stappenplan-vl", "retention_months": "24"})
    assert models.SchoolSettings.current().default_protocol == "stappenplan-vl"
    html = login_as("coordinator").get("/dossiers/nieuw").get_data(as_text=True)
    assert '<option selected value="stappenplan-vl">' in html or 'value="stappenplan-vl" selected' in html


def test_overview_filters(login_as):
    client = login_as("coordinator")
    overdue = client.get("/dossiers/?te_laat=1").get_data(as_text=True)
    assert demo_case("0002").reference in overdue and demo_case("0001").reference not in overdue
    by_mentor = client.get("/dossiers/?mentor=%d" % demo_user("mentor2").id).get_data(as_text=True)
    assert demo_case("0003").reference in by_mentor and demo_case("0002").reference not in by_mentor
    by_step = client.get("/dossiers/?stap=joint-talk").get_data(as_text=True)
    assert demo_case("0001").reference in by_step and demo_case("0003").reference not in by_step


def test_case_page_warns_when_a_bully_bullied_before(login_as):
    client = login_as("coordinator")
    daan = pupil("Daan")
    response = open_case_form(client, **{"role_%d" % daan.id: "bully", "role_%d" % pupil("Amira").id: "victim",
                                         "role_%d" % pupil("Finn").id: ""})
    case = models.Case.get(models.Case.title == "Tas afpakken")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Herhaling:" in html and demo_case("0001").reference in html
    assert case.reference != demo_case("0001").reference


def test_a_page_number_beyond_any_school_shows_an_empty_page(login_as):
    response = login_as("coordinator").get("/dossiers/?pagina=99999999999999999999")
    assert response.status_code == 200 and "Geen dossiers gevonden." in response.get_data(as_text=True)


def test_the_overview_shows_follow_ups_to_come_and_sorts_by_the_next_deadline(login_as):
    client = login_as("coordinator")
    # The oldest open case gets the most pressing deadline: it comes last when newest first, first by deadline.
    with models.db.atomic():
        models.CaseStep.update(due_on=db.today() - datetime.timedelta(days=30)).where(
            models.CaseStep.case == demo_case("0004"), models.CaseStep.status == "open").execute()
    newest_first = client.get("/dossiers/").get_data(as_text=True)
    by_deadline = client.get("/dossiers/?volgorde=termijn").get_data(as_text=True)

    def order(html):
        return [match for match in re.findall(r"\d{4}-(\d{4}) · ", html)]

    due_dates = {}
    for suffix in order(newest_first):
        case = demo_case(suffix)
        open_steps = [step.due_on for step in case.steps if step.status == "open" and step.due_on]
        due_dates[suffix] = min(open_steps) if open_steps else None
    expected = sorted(due_dates, key=lambda suffix: (due_dates[suffix] is None, due_dates[suffix] or 0))
    assert order(by_deadline) == expected != order(newest_first)
    assert order(by_deadline)[0] == "0004" and order(newest_first)[-1] == "0004"
    assert sorted(order(by_deadline)) == sorted(order(newest_first))
    # Case 0001: Tim's talk is due today, the other talks are planned.
    to_come = models.FollowUp.select().where(models.FollowUp.case == demo_case("0001"),
                                             models.FollowUp.done_at.is_null(),
                                             models.FollowUp.cancelled_at.is_null()).count()
    assert "%d vervolggesprekken gepland · 1 nu te houden" % to_come in re.sub(r"\s+", " ", newest_first)
    # Case 0004: Yara broke the agreements again; the proposal links to the measure form for her.
    yara = models.Pupil.get(models.Pupil.first_name == "Yara")
    assert "Voorstel: fase 4 voor Yara" in newest_first
    assert "fase=4&amp;leerling=%d#measure" % yara.id in newest_first
    assert newest_first.count("Voorstel: fase") == 1


def _overview_key(case, column):
    """What the overview sorts a case by in a column, read from the database (None: no deadline)."""
    if column == "termijn":
        dates = [step.due_on for step in case.steps if step.status == "open" and step.due_on]
    elif column == "vervolg":
        dates = [row.due_on for row in models.FollowUp.select().where(
            models.FollowUp.case == case, models.FollowUp.done_at.is_null(), models.FollowUp.cancelled_at.is_null())]
    else:
        return {"dossier": case.reference, "mentor": case.mentor.full_name if case.mentor else "",
                "geopend": case.opened_at, "status": case.status}[column]
    return min(dates) if dates else None


def test_the_overview_sorts_by_each_column_both_ways_with_its_header_saying_so(login_as):
    client = login_as("coordinator")
    seen = set()
    for column in ("dossier", "mentor", "geopend", "termijn", "vervolg", "status"):
        for direction, aria in (("op", "ascending"), ("af", "descending")):
            html = client.get("/dossiers/?status=all&volgorde=%s&richting=%s" % (column, direction)).get_data(
                as_text=True)
            keys = [_overview_key(demo_case(suffix), column) for suffix in re.findall(r"\d{4}-(\d{4}) · ", html)]
            assert len(keys) == 5
            dated, undated = [key for key in keys if key is not None], [key for key in keys if key is None]
            assert keys == dated + undated, (column, keys)  # no deadline: last, whichever way
            assert dated == sorted(dated, reverse=direction == "af"), (column, direction, keys)
            seen.add(tuple(keys))
            # Only the sorted column's header says so; its link turns the order round.
            headers = re.findall(r'<th scope="col"( aria-sort="\w+")?>\s*<a class="sort-link[^"]*" href="([^"]+)"',
                                 html)
            assert [attribute for attribute, _ in headers].count(' aria-sort="%s"' % aria) == 1
            assert html.count("aria-sort=") == 1
            turned = "op" if direction == "af" else "af"
            assert any("volgorde=%s" % column in href and "richting=%s" % turned in href
                       for attribute, href in headers if attribute)
    assert len(seen) > 3  # the columns sort differently: the checks above can fail
    # Each row says when its case was opened.
    assert len(re.findall(r'data-label="Geopend">\d{1,2} \w+ \d{4}</td>', html)) == 5


def test_the_overview_keeps_its_filters_when_sorted_and_its_sort_when_filtered(login_as):
    client = login_as("coordinator")
    html = client.get("/dossiers/?status=all&te_laat=1&volgorde=mentor&richting=af&pagina=1").get_data(as_text=True)
    headers = dict(re.findall(r'href="(/dossiers/\?[^"]+)">([^<]+)', html))
    by_reference = next(href for href, text in headers.items() if text.strip() == "Dossier")
    assert "status=all" in by_reference and "te_laat=1" in by_reference and "volgorde=dossier" in by_reference
    assert "pagina" not in by_reference and "richting=op" in by_reference
    # The filter form sends the sort along.
    assert '<input type="hidden" name="volgorde" value="mentor">' in html
    assert '<input type="hidden" name="richting" value="af">' in html
    # Nonsense in the query string sorts newest first, no error.
    response = client.get("/dossiers/?volgorde=%27;drop&richting=sideways")
    assert response.status_code == 200 and 'aria-sort="descending"' in response.get_data(as_text=True)


def test_the_overview_links_each_next_step_to_its_place_on_the_case_page(login_as):
    html = login_as("coordinator").get("/dossiers/").get_data(as_text=True)
    case = demo_case("0002")
    step = min((row for row in case.steps if row.status == "open" and row.due_on),
               key=lambda row: (row.due_on, row.position))
    assert 'href="/dossiers/%d#step-%s"' % (case.id, step.step_key) in html
    page = login_as("coordinator").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert 'id="step-%s"' % step.step_key in page
