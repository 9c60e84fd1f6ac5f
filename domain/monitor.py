"""The yearly monitor (zorgplicht sociale veiligheid): counts and timings over a period, no names.

Each figure is one aggregate query, so the page costs the same at 200 or 20,000 cases. Free
text (places, platforms) is only shown for values that at least MIN_GROUP reports share: a
place written once ("bij Sem thuis") could name a child.
"""
import csv
import datetime
import io
import json
import statistics

import babel.numbers
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import fn

import i18n
from db import Kept, day_of, days_between, db, school_year_of as school_year_in_sql, today as school_today
from domain import protocols
from models import (
    APPROACHES, BULLYING_KINDS, COMPLAINT_STATUSES, Case, CaseStep, Complaint, Conversation, Involvement, Measure,
    Pupil, Report, ReportKind, SchoolClass,
)
from terminology import label, region

MIN_GROUP = 2
TOP = 8


def school_year_of(day):
    """The first calendar year of the school year a day falls in (it starts on 1 August)."""
    return day.year if day.month >= 8 else day.year - 1


def school_year(start_year):
    """[1 August, 1 August next year) as a period."""
    return datetime.date(start_year, 8, 1), datetime.date(start_year + 1, 8, 1)


def _moment(day):
    return datetime.datetime.combine(day, datetime.time())


def _rows(query):
    return [(key, count) for key, count in query.tuples() if count]


def _labelled(rows, options):
    return [(label(options, key), count) for key, count in rows]


def _top_free_text(field, reports):
    """The most frequent values of a free-text field, case and spaces ignored; rare ones grouped."""
    value = fn.LOWER(fn.TRIM(field))
    rows = (Report.select(value, fn.COUNT(Report.id)).where(reports, field != "")
            .group_by(value).order_by(fn.COUNT(Report.id).desc(), value).tuples())
    shown = [(key, count) for key, count in rows if count >= MIN_GROUP]
    rest = sum(count for _, count in rows if count < MIN_GROUP)
    return shown[:TOP] + ([(_("(overige)"), rest + sum(count for _, count in shown[TOP:]))] if rest or shown[TOP:] else [])


def figures(start, end):
    """Every figure of the monitor for reports, cases, steps, measures and complaints in [start, end)."""
    reports = (Report.reported_on >= start) & (Report.reported_on < end) & (Report.is_signal == False)  # noqa: E712
    cases = (Case.opened_at >= _moment(start)) & (Case.opened_at < _moment(end))
    case_ids = Case.select(Case.id).where(cases)

    kinds = (ReportKind.select(ReportKind.kind, fn.COUNT(ReportKind.id)).join(Report).where(reports)
             .group_by(ReportKind.kind).order_by(fn.COUNT(ReportKind.id).desc(), ReportKind.kind))
    victims = (Involvement.select(Involvement.case, fn.MIN(SchoolClass.year_level).alias("year_level"))
               .join(Pupil).join(SchoolClass).where(Involvement.role == "victim", Involvement.case.in_(case_ids))
               .group_by(Involvement.case))
    years = (Case.select(victims.c.year_level, fn.COUNT(victims.c.case_id)).from_(victims)
             .group_by(victims.c.year_level).order_by(victims.c.year_level))
    by_protocol = (Case.select(Case.protocol_key, fn.COUNT(Case.id)).where(cases)
                   .group_by(Case.protocol_key).order_by(fn.COUNT(Case.id).desc()))
    by_approach = (Case.select(fn.COALESCE(Case.approach, ""), fn.COUNT(Case.id)).where(cases)
                   .group_by(fn.COALESCE(Case.approach, "")).order_by(fn.COUNT(Case.id).desc()))
    phases = (Measure.select(Measure.phase, fn.COUNT(Measure.id))
              .where(Measure.decided_on >= start, Measure.decided_on < end, Measure.refused_at.is_null())
              .group_by(Measure.phase).order_by(Measure.phase))
    complaints = (Complaint.select(Complaint.status, fn.COUNT(Complaint.id))
                  .where(Complaint.received_on >= start, Complaint.received_on < end).group_by(Complaint.status)
                  .order_by(Complaint.status))

    protocol_titles = {key: protocol.name for key, protocol in protocols.registry().items()}
    approach_options = APPROACHES + (("", _("Nog niet gekozen")),)
    return {
        "start": start, "end": end, "last_day": end - datetime.timedelta(days=1),
        "reports": Report.select().where(reports).count(),
        "cases": Case.select().where(cases).count(),
        "kinds": _labelled(_rows(kinds), BULLYING_KINDS),
        "places": _top_free_text(Report.place, reports),
        "platforms": _top_free_text(Report.platform, reports),
        "class_years": [(_("Leerjaar %(year)d", year=year), count) for year, count in _rows(years)],
        "protocols": [(protocol_titles.get(key, key), count) for key, count in _rows(by_protocol)],
        "approaches": _labelled(_rows(by_approach), approach_options),
        "escalations": [(_("Fase %(phase)d", phase=phase), count) for phase, count in _rows(phases)],
        "complaints": _labelled(_rows(complaints), COMPLAINT_STATUSES),
        "repeat_cases": _repeat_cases(case_ids),
        "median_days_to_first_conversation": _median_days_to_first_conversation(case_ids),
        "steps_on_time": _steps_on_time(start, end),
    }


def _median_days_to_first_conversation(case_ids):
    """Median days from a case's first report to its first conversation (cases that had one)."""
    first_report = (Report.select(Report.case, fn.MIN(Report.reported_on).alias("day"))
                    .where(Report.case.in_(case_ids)).group_by(Report.case))
    first_talk = (Conversation.select(Conversation.case, fn.MIN(Conversation.started_at).alias("moment"))
                  .where(Conversation.case.in_(case_ids)).group_by(Conversation.case))
    pairs = (Case.select(first_report.c.day, first_talk.c.moment).from_(first_report)
             .join(first_talk, on=(first_report.c.case_id == first_talk.c.case_id)).tuples())
    days = [(day_of(moment) - day_of(day)).days for day, moment in pairs]
    return statistics.median(days) if days else None


def _steps_on_time(start, end):
    """(done in time, with a deadline in the period) for steps whose deadline has passed or that are done."""
    due = (CaseStep.due_on >= start) & (CaseStep.due_on < end) & (CaseStep.status != "not_applicable")
    in_time = fn.SUM(((CaseStep.status == "done") & (fn.DATE(CaseStep.done_at) <= CaseStep.due_on)).cast("INTEGER"))
    settled = (CaseStep.status == "done") | (CaseStep.due_on < school_today())
    done, total = CaseStep.select(fn.COALESCE(in_time, 0), fn.COUNT(CaseStep.id)).where(due, settled).scalar(
        as_tuple=True)
    return int(done), total


def _repeat_cases(case_ids):
    """Cases of the period in which a pupil who bullies was named as bully in an earlier case."""
    earlier, earlier_case = Involvement.alias(), Case.alias()
    named_before = (earlier.select(earlier.id).join(earlier_case, on=(earlier.case == earlier_case.id))
                    .where(earlier.pupil == Involvement.pupil, earlier.role == "bully",
                           earlier_case.opened_at < Case.opened_at).limit(1))
    return (Involvement.select(fn.COUNT(Involvement.case.distinct())).join(Case)
            .where(Involvement.role == "bully", Involvement.case.in_(case_ids), fn.EXISTS(named_before))
            .scalar())


SECTIONS = [
    ("kinds", _l("Soort pesten (meldingen)")), ("places", _l("Plaats")), ("platforms", _l("Platform")),
    ("class_years", _l("Leerjaar van de gepeste leerling (dossiers)")), ("protocols", _l("Protocol (dossiers)")),
    ("approaches", _l("Aanpak (dossiers)")), ("escalations", _l("Maatregelen per fase")),
    ("complaints", _l("Klachten")),
]


def figures_csv(data):
    """The monitor as CSV (semicolons, as Dutch spreadsheets expect): section, label, count. No names."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["onderdeel", "waarde", "aantal"])
    writer.writerow(["periode", "%s tot %s" % (data["start"].isoformat(), data["end"].isoformat()), ""])
    writer.writerow(["totaal", "meldingen", data["reports"]])
    writer.writerow(["totaal", "dossiers", data["cases"]])
    writer.writerow(["totaal", "herhaalde dossiers", data["repeat_cases"]])
    median = data["median_days_to_first_conversation"]
    writer.writerow(["doorlooptijd", "mediaan dagen tot eerste gesprek",  # 4,5: as a Dutch spreadsheet reads it
                     "" if median is None else babel.numbers.format_decimal(median, locale="nl_NL")])
    done, total = data["steps_on_time"]
    writer.writerow(["stappen", "op tijd gedaan", done])
    writer.writerow(["stappen", "met een termijn", total])
    for key, title in SECTIONS:
        for value, count in data[key]:
            writer.writerow([str(title), _cell(str(value)), count])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(text):
    """Free text that a spreadsheet would run as a formula gets a leading quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# The years side by side (issue 22): the same figures per school year, for the charts and the CSV, and the
# prevention log's figures against the plan. Numbers are written as the school writes them (2,5 not 2.5).
TREND_YEARS = 5


def dutch_number(value, digits=1):
    """A number in the school's locale: 2,5; a whole number without decimals; "–" for none."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return babel.numbers.format_decimal(int(value), locale="nl_NL")
    return babel.numbers.format_decimal(round(value, digits), format="#,##0.#" if digits == 1 else None,
                                        locale="nl_NL")


def trend_years(last_year, count=TREND_YEARS):
    """The school years the trend shows, oldest first, ending with `last_year`."""
    return list(range(last_year - count + 1, last_year + 1))


def trends(years):
    """Per school year: reports, cases, median days to the first talk, steps in time (%), measures, complaints,
    cases per kind and per year level. {"years": [...], "series": [(key, title, [value per year])],
    "kinds": [(label, [count per year])], "class_years": [(label, [count per year])]}."""
    return trends_of(years, stored_year_figures(years))


def trends_of(years, rows):
    """The trends from each year's figures (`year_figures`, or `figures` per school year: the same)."""

    def percent(done_total):
        done, total = done_total
        return round(100 * done / total, 1) if total else None

    series = [
        ("reports", _("Meldingen"), [row["reports"] for row in rows]),
        ("cases", _("Dossiers geopend"), [row["cases"] for row in rows]),
        ("days_to_talk", _("Mediaan dagen tot het eerste gesprek"),
         [row["median_days_to_first_conversation"] for row in rows]),
        ("steps_on_time", _("Stappen op tijd gedaan (%)"), [percent(row["steps_on_time"]) for row in rows]),
        ("escalations", _("Maatregelen (escalaties)"), [sum(count for _, count in row["escalations"]) for row in rows]),
        ("complaints", _("Klachten"), [sum(count for _, count in row["complaints"]) for row in rows]),
    ]

    def spread(key):
        labels = []
        for row in rows:
            labels += [value for value, _ in row[key] if value not in labels]
        return [(value, [dict(row[key]).get(value, 0) for row in rows]) for value in labels]

    return {"years": years, "series": series, "kinds": spread("kinds"),
            "class_years": sorted(spread("class_years"), key=lambda pair: str(pair[0]))}


# The figures the trends show, for every school year at once: one query per figure, grouped by school year,
# so the page costs as many queries for five years as for one (figures() per year cost 14 queries a year).
# Each row is what figures() gives for that school year, for the keys the trends read (a test compares them).
TREND_KEYS = ("reports", "cases", "kinds", "class_years", "escalations", "complaints",
              "median_days_to_first_conversation", "steps_on_time")


def _in_years(field, years, moments=False):
    """The rows of `field` in any of the years: a range per run of consecutive years (the stale closed years and
    the open one need not be neighbours)."""
    runs, clause = [], None
    for year in sorted(years):
        if runs and runs[-1][1] == year - 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    for first, last in runs:
        start, end = school_year(first)[0], school_year(last)[1]
        part = (field >= _moment(start)) & (field < _moment(end)) if moments else (field >= start) & (field < end)
        clause = part if clause is None else clause | part
    return clause


def _per_year(query, years, empty=0):
    """{year: value} from (year, value) rows, every year present."""
    found = {year: value for year, value in query.tuples() if year is not None}
    return {year: found.get(year, empty) for year in years}


def _grouped(query, years):
    """{year: [(key, count)]} from (year, key, count) rows, each year's rows in the query's order."""
    found = {year: [] for year in years}
    for year, key, count in query.tuples():
        if year in found and count:
            found[year].append((key, count))
    return found


def year_figures(years):
    """figures(*school_year(year)) for each year, for the TREND_KEYS only, in a fixed number of queries."""
    numbers = year_numbers(years)
    return [worded(numbers[year]) for year in years]


def worded(numbers):
    """A year's figures with their labels, in the reader's language, from its numbers (`year_numbers`)."""
    return dict(numbers, kinds=_labelled(numbers["kinds"], BULLYING_KINDS),
                class_years=[(_("Leerjaar %(year)d", year=level), count) for level, count in numbers["class_years"]],
                escalations=[(_("Fase %(phase)d", phase=phase), count) for phase, count in numbers["escalations"]],
                complaints=_labelled(numbers["complaints"], COMPLAINT_STATUSES))


def year_numbers(years):
    """{year: the TREND_KEYS' figures as numbers and keys, without words}, every year in the same queries."""
    report_year = school_year_in_sql(Report.reported_on)
    reports = _in_years(Report.reported_on, years) & (Report.is_signal == False)  # noqa: E712
    case_year = school_year_in_sql(Case.opened_at)
    cases = _in_years(Case.opened_at, years, moments=True)

    report_counts = _per_year(Report.select(report_year, fn.COUNT(Report.id)).where(reports).group_by(report_year),
                              years)
    case_counts = _per_year(Case.select(case_year, fn.COUNT(Case.id)).where(cases).group_by(case_year), years)
    kinds = (ReportKind.select(report_year, ReportKind.kind, fn.COUNT(ReportKind.id)).join(Report).where(reports)
             .group_by(report_year, ReportKind.kind)
             .order_by(report_year, fn.COUNT(ReportKind.id).desc(), ReportKind.kind))
    victims = (Involvement.select(Case.id.alias("case_id"), case_year.alias("school_year"),
                                  fn.MIN(SchoolClass.year_level).alias("year_level"))
               .join(Case).switch(Involvement).join(Pupil).join(SchoolClass)
               .where(Involvement.role == "victim", cases).group_by(Case.id))
    levels = (Case.select(victims.c.school_year, victims.c.year_level, fn.COUNT(victims.c.case_id)).from_(victims)
              .group_by(victims.c.school_year, victims.c.year_level)
              .order_by(victims.c.school_year, victims.c.year_level))
    measure_year = school_year_in_sql(Measure.decided_on)
    phases = (Measure.select(measure_year, Measure.phase, fn.COUNT(Measure.id))
              .where(_in_years(Measure.decided_on, years), Measure.refused_at.is_null())
              .group_by(measure_year, Measure.phase).order_by(measure_year, Measure.phase))
    complaint_year = school_year_in_sql(Complaint.received_on)
    complaints = (Complaint.select(complaint_year, Complaint.status, fn.COUNT(Complaint.id))
                  .where(_in_years(Complaint.received_on, years))
                  .group_by(complaint_year, Complaint.status).order_by(complaint_year, Complaint.status))

    kinds, levels = _grouped(kinds, years), _grouped(levels, years)
    phases, complaints = _grouped(phases, years), _grouped(complaints, years)
    medians, steps = _median_days_per_year(years, case_year, cases), _steps_on_time_per_year(years)
    return {year: {
        "reports": report_counts[year], "cases": case_counts[year], "kinds": kinds[year],
        "class_years": levels[year], "escalations": phases[year], "complaints": complaints[year],
        "median_days_to_first_conversation": medians[year], "steps_on_time": steps[year],
    } for year in years}


def _median_days_per_year(years, case_year, cases):
    """Per school year of the case: _median_days_to_first_conversation, the days counted in the database
    (each case's first report and first talk found once, grouped; a window per year, or a lookup per case,
    cost SQLite more than reading a number per case)."""
    case_ids = Case.select(Case.id).where(cases)
    first_report = (Report.select(Report.case, fn.MIN(Report.reported_on).alias("day"))
                    .where(Report.case.in_(case_ids)).group_by(Report.case))
    first_talk = (Conversation.select(Conversation.case, fn.MIN(Conversation.started_at).alias("moment"))
                  .where(Conversation.case.in_(case_ids)).group_by(Conversation.case))
    pairs = (Case.select(case_year, days_between(first_report.c.day, first_talk.c.moment)).from_(first_report)
             .join(first_talk, on=(first_report.c.case_id == first_talk.c.case_id))
             .join(Case, on=(Case.id == first_report.c.case_id)).tuples())
    days = {year: [] for year in years}
    for year, count in pairs:
        if year in days:
            days[year].append(int(count))
    return {year: statistics.median(days[year]) if days[year] else None for year in years}


def _steps_on_time_per_year(years):
    """_steps_on_time for each school year of the step's deadline."""
    due_year = school_year_in_sql(CaseStep.due_on)
    due = _in_years(CaseStep.due_on, years) & (CaseStep.status != "not_applicable")
    in_time = fn.SUM(((CaseStep.status == "done") & (fn.DATE(CaseStep.done_at) <= CaseStep.due_on)).cast("INTEGER"))
    settled = (CaseStep.status == "done") | (CaseStep.due_on < school_today())
    rows = CaseStep.select(due_year, fn.COALESCE(in_time, 0), fn.COUNT(CaseStep.id)).where(due, settled).group_by(
        due_year)
    found = {year: (int(done), total) for year, done, total in rows.tuples() if year is not None}
    return {year: found.get(year, (0, 0)) for year in years}


# The closed school years' figures, stored (migration 0026): computed once, then read by every worker and after
# a restart until a change to what they count marks the year stale (its generation goes up). A school year is
# closed from 1 August on: no step of it can still become late, and nothing else of it depends on the day. The
# open year is computed each time, with the stale closed years, in one pass.
LISTS = ("kinds", "class_years", "escalations", "complaints")


def closed(year):
    """Whether a school year is over: its figures change only when its data do."""
    return school_year(year)[1] <= school_today()


def stored_year_figures(years):
    """year_figures(years), the closed years read from monitor_year (and stored there when stale or new)."""
    numbers = stored_year_numbers(years)
    return [worded(numbers[year]) for year in years]


def stored_year_numbers(years):
    """year_numbers(years), the closed years as stored, the others (and the stale ones) computed in one pass."""
    closed_years = sorted({int(year) for year in years if closed(year)})
    rows = {}
    if closed_years:
        rows = {year: (generation, figures) for year, generation, figures in db.execute_sql(
            "SELECT school_year, generation, figures FROM monitor_year WHERE school_year IN (%s)"
            % ", ".join(str(year) for year in closed_years)).fetchall()}
    numbers = {year: _numbers_of(figures) for year, (_generation, figures) in rows.items() if figures is not None}
    stale = [year for year in closed_years if year not in numbers]
    new = [year for year in stale if year not in rows]
    if new:  # a row first, so that a change written while the year is computed marks it stale
        with db.atomic():
            db.execute_sql("INSERT INTO monitor_year (school_year, generation) VALUES %s ON CONFLICT (school_year) "
                           "DO NOTHING" % ", ".join("(%d, 0)" % year for year in new))
    generations = {year: rows[year][0] if year in rows else 0 for year in stale}
    wanted = stale + [year for year in years if year not in closed_years and year not in stale]
    if wanted:
        numbers.update(year_numbers(wanted))
    if stale:  # only if no change came since the generation was read: the figures are then those of the data
        with db.atomic():
            for year in stale:
                db.execute_sql("UPDATE monitor_year SET figures = {0} WHERE school_year = {0} AND generation = {0}"
                               .format(db.param), (json.dumps(numbers[year]), year, generations[year]))
    return numbers


def _numbers_of(text):
    data = json.loads(text)
    return dict(data, steps_on_time=tuple(data["steps_on_time"]),
                **{key: [tuple(pair) for pair in data[key]] for key in LISTS})


# The figures kept per process until what they count changes (migration 0025's stamp, which a trigger on every
# table they read renews in the same transaction as the change), for the language and region they were worded
# in and the day (a step counts as late from the day after its deadline). A few are kept: the page's period and
# its years, for the languages in use.
KEPT = Kept(("stamp",), 16)


def kept(function, *args):
    """function(*args) (figures or trends), computed again only when the data, the day or the words changed."""
    return KEPT.get((school_today(), id(i18n.catalogue()), region(), function.__name__, args),
                    lambda: function(*args))


def trends_csv(data, prevention_rows):
    """The years side by side as CSV (semicolons), without names: series, then a column per school year."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["reeks"] + ["%d-%d" % (year, year + 1) for year in data["years"]])
    for _key, title, values in data["series"]:
        writer.writerow([str(title)] + [dutch_number(value) if value is not None else "" for value in values])
    for prefix, key in (("soort", "kinds"), ("leerjaar", "class_years")):
        for value, counts in data[key]:
            writer.writerow(["%s: %s" % (prefix, _cell(str(value)))] + counts)
    for level, planned, done in prevention_rows:
        writer.writerow(["preventie leerjaar %s: gedaan van gepland" % level, "%d van %d" % (done, planned)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
