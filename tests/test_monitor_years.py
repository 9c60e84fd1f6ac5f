"""The monitor shows the years: a chart per figure over the school years (SVG drawn on the server, valid, readable
without JavaScript, black in print), numbers as the school writes them, the years side by side as CSV, the
prevention plan against what was done; and the duty-of-care checklist on the coordinator's home page."""
import csv
import datetime
import io
import random
import re
import xml.etree.ElementTree as ElementTree

import models
from db import today
from domain import monitor, prevention

SVG = "{http://www.w3.org/2000/svg}"


def charts(html):
    return {element.get("data-chart"): element for element in (
        ElementTree.fromstring(svg) for svg in re.findall(r"<svg xmlns=.*?</svg>", html, re.S))}


def test_each_series_is_a_valid_svg_chart_with_a_bar_and_a_value_per_school_year(app, login_as):
    html = login_as("coordinator").get("/monitor/").get_data(as_text=True)
    drawn = charts(html)
    assert {"trend-reports", "trend-cases", "trend-days_to_talk", "trend-steps_on_time", "trend-escalations",
            "trend-complaints"} <= set(drawn)
    years = monitor.trend_years(monitor.school_year_of(today()))
    with app.test_request_context():
        data = monitor.trends(years)
    for key, _title, values in data["series"]:
        svg = drawn["trend-" + key]
        assert svg.find(SVG + "title").text  # named for screen readers
        bars = svg.findall(SVG + "rect")
        assert len(bars) == len(years)
        written = [text.text for text in svg.findall(SVG + "text") if "year-chart__value" in text.get("class")]
        assert written == [monitor.dutch_number(value) for value in values]
        tallest = max((value for value in values if value), default=0)
        for bar, value in zip(bars, values):
            assert (float(bar.get("height")) > 0) == bool(value)
            if value == tallest and value:
                assert float(bar.get("height")) == max(float(other.get("height")) for other in bars)
    assert any("soort" in key or "kind" in key for key in drawn)


def test_the_demo_school_has_cases_in_two_school_years(app_context):
    years = {monitor.school_year_of(case.opened_at.date()) for case in models.Case.select()}
    current = monitor.school_year_of(today())
    assert {current, current - 1} <= years or {current - 1, current - 2} <= years


def test_numbers_are_written_as_the_school_writes_them():
    assert monitor.dutch_number(2.5) == "2,5" and monitor.dutch_number(4.0) == "4"
    assert monitor.dutch_number(1234) == "1.234" and monitor.dutch_number(None) == "–"


def test_the_median_on_the_page_has_a_decimal_comma(app_context, login_as, factory, monkeypatch):
    monkeypatch.setattr(monitor, "_median_days_to_first_conversation", lambda case_ids: 2.5)
    html = login_as("coordinator").get("/monitor/").get_data(as_text=True)
    assert "<dd>2,5</dd>" in html and "2.5" not in html


def test_the_years_csv_has_a_column_per_school_year_and_no_names(login_as):
    response = login_as("coordinator").get("/monitor/jaren.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    years = monitor.trend_years(monitor.school_year_of(today()))
    assert rows[0] == ["reeks"] + ["%d-%d" % (year, year + 1) for year in years]
    assert rows[1][0] == "Meldingen" and len(rows[1]) == len(years) + 1
    assert any(row[0].startswith("preventie leerjaar 1") for row in rows)
    text = response.data.decode("utf-8-sig")
    for pupil in models.Pupil.select():
        assert pupil.last_name not in text
    assert login_as("mentor").get("/monitor/jaren.csv").status_code == 403


def parts_per_level(school_year):
    """The oracle: plan()'s parts counted per year level ("school" for the whole school), (planned, done)."""
    expected = {}
    for entry in prevention.plan(school_year):
        for part in entry.parts:
            level = part.school_class.year_level if part.school_class else "school"
            planned, done = expected.get(level, (0, 0))
            expected[level] = (planned + 1, done + (part.activity is not None))
    return expected


def test_the_prevention_figures_count_the_plans_parts_per_year_level(app_context):
    year = prevention.current_school_year()
    figures = {level: (planned, done) for level, planned, done in prevention.level_figures(year)}
    assert figures == parts_per_level(year) and figures


def test_the_prevention_figures_count_the_plans_parts_for_any_plan(app_context):
    """Counted from ids (level_figures), the figures are plan()'s parts counted: items for some year levels, for
    levels no class has, the same level twice, for the whole school; activities for a class of the item's levels,
    for another class, for no class, for another year's item."""
    rng = random.Random(23)
    year = prevention.current_school_year()
    classes = list(models.SchoolClass.select())
    for round_ in range(6):
        for school_year in (year, year - 1):
            for _ in range(rng.randint(0, 5)):
                levels = rng.choice(["", "", "1", "2 3", "3 3", "9", "1 2 3 4 5 6", "x 2"])
                item = models.PreventionPlanItem.create(school_year=school_year, kind="mentor_lesson", title="P",
                                                        due_on=prevention.school_year_span(school_year)[0],
                                                        year_levels=levels)
                for _ in range(rng.randint(0, 4)):
                    models.PreventionActivity.create(
                        kind="mentor_lesson", held_on=today(), led_by="M", plan_item=item,
                        school_class=rng.choice(classes + [None]))
        for school_year in (year, year - 1, year + 1):
            expected = parts_per_level(school_year)
            figures = prevention.level_figures(school_year)
            assert [level for level, _planned, _done in figures] == sorted(
                expected, key=lambda level: (level == "school", str(level)))
            assert {level: (planned, done) for level, planned, done in figures} == expected, (round_, school_year)
    assert prevention.level_figures(year) and not prevention.level_figures(year + 1)


def test_the_coordinators_home_has_the_duty_of_care_checklist(login_as):
    coordinator = login_as("coordinator")

    def states():
        html = coordinator.get("/").get_data(as_text=True)
        return {key: state for state, key in re.findall(r'duty-list__item--(done|open)" data-duty="(\w+)"', html)}
    before = states()
    assert before == {"coordinator": "done", "published": "open", "monitored": "open", "planned": "done",
                      "agreements": "done"}
    coordinator.get("/monitor/")
    with models.db.atomic():
        models.PreventionPolicy.update(protocol_public=True).execute()
    assert states()["monitored"] == "done" and states()["published"] == "done"
    assert 'data-duty=' not in login_as("mentor").get("/").get_data(as_text=True)


def _duty_of_care_by_hand(year):
    """The duty of care read from the rows one by one (the oracle for prevention.duty_of_care's one statement)."""
    start = datetime.datetime(year, 8, 1)
    policy = models.PreventionPolicy.get_or_none(models.PreventionPolicy.id == 1)
    classes = list(models.SchoolClass.select())
    agreements = [a for a in models.ClassAgreement.select() if a.school_year == year]
    return [
        ("coordinator", any(role.role == "coordinator" and role.user.is_active for role in models.UserRole.select())),
        ("published", bool(policy.protocol_public) if policy else models.PreventionPolicy().protocol_public),
        ("monitored", any(event.action in ("monitor.view", "monitor.export") and event.at >= start
                          for event in models.AuditEvent.select())),
        ("planned", any(item.school_year == year for item in models.PreventionPlanItem.select())),
        ("agreements", len(classes) > 0 and len(agreements) >= len(classes)),
    ]


def test_the_duty_of_care_is_each_question_answered_from_the_rows_whatever_they_hold(app):
    rng = random.Random(3)
    with app.test_request_context():
        year = prevention.current_school_year()
        start = datetime.datetime(year, 8, 1)
        seen = set()
        # The monitor read (the audit log keeps every event) the moment before the school year, then at its start.
        for action, moment, monitored in (("monitor.view", start - datetime.timedelta(seconds=1), False),
                                          ("monitor.export", start, True)):
            models.AuditEvent.insert(action=action, at=moment).execute()
            assert dict(prevention.duty_of_care())["monitored"] is monitored
            assert prevention.duty_of_care() == _duty_of_care_by_hand(year)
            seen.add(("monitored", monitored))
        for round_ in range(40):
            with models.db.atomic():
                change = rng.randrange(8)
                if change == 0:  # the coordinators come and go, or are deactivated
                    coordinator = models.User.by_username("coordinator")
                    coordinator.is_active = not coordinator.is_active
                    coordinator.save()
                elif change == 1:
                    models.UserRole.delete().where(models.UserRole.role == "coordinator").execute()
                elif change == 2:  # the policy published, unpublished or never saved
                    models.PreventionPolicy.delete().execute()
                    if rng.random() < 0.6:
                        models.PreventionPolicy(id=1, protocol_public=rng.random() < 0.5).store()
                elif change == 3:  # something else read at the year's first moment
                    models.AuditEvent.insert(action="case.list", at=start).execute()
                elif change == 4:  # prevention planned this year, another year, or not at all
                    models.PreventionPlanItem.delete().execute()
                    if rng.random() < 0.6:
                        models.PreventionPlanItem.create(school_year=year + rng.choice((0, 0, -1, 1)),
                                                         kind="mentor_lesson", title="P", due_on=start.date())
                else:  # classes with and without this year's agreements
                    school_class = rng.choice(list(models.SchoolClass.select()))
                    models.ClassAgreement.delete().where(models.ClassAgreement.school_class == school_class).execute()
                    if change == 5:
                        models.ClassAgreement.create(school_class=school_class, school_year=year + rng.choice((0, -1)),
                                                     rules="R", made_on=start.date())
                    elif change == 6:
                        for each in models.SchoolClass.select():
                            models.ClassAgreement.get_or_create(school_class=each, school_year=year,
                                                                defaults={"rules": "R", "made_on": start.date()})
                    elif rng.random() < 0.5:
                        models.SchoolClass.create(name="N%d" % round_, year_level=1)
            expected = _duty_of_care_by_hand(year)
            assert prevention.duty_of_care() == expected, (round_, change)
            seen.update(expected)
        assert len(seen) == 10  # every question was seen answered both ways
