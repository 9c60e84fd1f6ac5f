"""The coordinator's overview of cases is kept until what it shows changes (the stamps of migrations 0025 and
0030): a kept page reads the stamps instead of the cases, any insert, update or delete in a table the page reads
renews one, and the kept page is the page drawn afresh after any change. A mentor's list is never the kept one.
On SQLite and, under `make test-postgres`, on PostgreSQL."""
import datetime
import importlib
import random
import re

import models
from conftest import demo_case, demo_user
from sql_log import recorded_sql
from views import cases as case_views

STAMPED = (set(importlib.import_module("migrations.0025_monitor_indexes").TABLES)
           | set(importlib.import_module("migrations.0030_overview_stamp").TABLES))
OVERVIEW_TABLES = importlib.import_module("migrations.0030_overview_stamp").TABLES

# Every filter and sort of the page, each way its query is built.
PATHS = ("/dossiers/", "/dossiers/?status=all&volgorde=vervolg&richting=af", "/dossiers/?status=closed",
         "/dossiers/?status=all&te_laat=1&volgorde=termijn", "/dossiers/?stap=vo-nl:bully-talk&volgorde=mentor",
         "/dossiers/?stap=bully-talk&volgorde=status&richting=af", "/dossiers/?mentor_naam=bakker&volgorde=dossier",
         "/dossiers/?klas_naam=2b", "/dossiers/?klas=1&mentor=3&status=all", "/dossiers/?status=all&pagina=2")


def stamps():
    return tuple(models.db.execute_sql("SELECT stamp, overview FROM monitor_stamp WHERE id = 1").fetchone())


def page(client, path):
    """The page as drawn, without its form tokens (new for every page)."""
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r'("X-CSRFToken": "|name="csrf_token"[^>]*value=")[^"]*', "", response.get_data(as_text=True))


def tables_of(sent):
    return {table for sql, _params in (entry for entry in sent if isinstance(entry, tuple))
            for table in re.findall(r'(?:FROM|JOIN|INTO|UPDATE) "?(\w+)', sql)}


def test_every_table_the_overview_reads_renews_a_stamp_on_every_change(app, login_as):
    client = login_as("coordinator")
    read = set()
    for path in PATHS:
        case_views.KEPT.clear()
        with recorded_sql() as sent:
            page(client, path)
        read |= tables_of(sent)
    # A page that read another table would be kept past a change to it: it needs a trigger too. The session
    # and the audit line are the request's own, read and written whether the page is kept or not.
    assert read - {"user_session", "audit_event", "monitor_stamp"} <= STAMPED, read
    assert {"follow_up", "case_step", "school_class", "measure"} <= read  # the reader saw the queries
    with app.app_context():
        for table in OVERVIEW_TABLES:
            before = stamps()
            with models.db.atomic():  # a change that changes nothing still counts
                models.db.execute_sql('UPDATE "%s" SET id = id WHERE id = (SELECT MIN(id) FROM "%s")'
                                      % (table, table))
            assert stamps()[1] != before[1] and stamps()[0] == before[0], table
        for make in (lambda: models.UserRole.create(user=demo_user("staff"), role="mentor"),
                     lambda: models.FollowUp.create(case=demo_case("0001"), due_on=datetime.date(2030, 1, 1))):
            before = stamps()
            row = make()
            assert stamps()[1] != before[1]
            before = stamps()
            row.delete_instance()
            assert stamps()[1] != before[1]


def test_a_kept_overview_reads_the_stamps_not_the_cases_and_shows_a_change_at_once(app, login_as):
    client = login_as("coordinator")
    first = page(client, "/dossiers/")
    with recorded_sql() as sent:
        assert page(client, "/dossiers/") == first
    statements = [sql for sql, _params in (entry for entry in sent if isinstance(entry, tuple))]
    assert [sql for sql in statements if "monitor_stamp" in sql] == [
        "SELECT stamp, overview FROM monitor_stamp WHERE id = 1"]
    assert not tables_of(sent) & {"case", "case_step", "follow_up", "involvement", "school_class"}, statements
    assert "audit_event" in tables_of(sent)  # who saw the list is logged, kept or not
    with app.app_context():
        case = demo_case("0001")
        models.User.update(full_name="Jeroen Hernoemd").where(models.User.id == case.mentor_id).execute()
    assert "Jeroen Hernoemd" in page(client, "/dossiers/")
    planned = re.compile(re.escape(case.reference) + r".*?(\d+) vervolggesprekk?e?n? gepland", re.S)
    before = planned.search(page(client, "/dossiers/?status=all")).group(1)
    with app.app_context():
        models.FollowUp.create(case=case, due_on=datetime.date(2030, 1, 1))
    assert planned.search(page(client, "/dossiers/?status=all")).group(1) == str(int(before) + 1)


def test_a_mentor_never_gets_the_coordinators_kept_overview(app, login_as):
    coordinator, mentor = login_as("coordinator"), login_as("mentor")
    for path in ("/dossiers/", "/dossiers/?status=all"):
        everyone = page(coordinator, path)
        own = page(mentor, path)
        with app.app_context():
            theirs = models.Case.select().where(models.Case.mentor != demo_user("mentor")).first()
        assert theirs.reference in everyone or "status=all" not in path
        assert re.findall(r"\d+ dossiers?</p>", own) != re.findall(r"\d+ dossiers?</p>", everyone)
        assert theirs.reference not in own


def _change_something(rng):
    """One change of what the overview shows, in one of the tables it reads."""
    cases = list(models.Case.select())
    case = rng.choice(cases)
    pupil = rng.choice(list(models.Pupil.select()))
    change = rng.randrange(10)
    if change == 0:  # a mentor is renamed, or leaves
        mentor = rng.choice(list(models.User.with_role("mentor")))
        mentor.full_name = "Hernoemd %d" % rng.randrange(1000)
        mentor.save()
    elif change == 1:
        models.UserRole.delete().where(models.UserRole.role == "mentor",
                                       models.UserRole.user == rng.choice(list(models.User.with_role("mentor")))
                                       ).execute()
    elif change == 2:  # a follow-up talk planned, held or broken
        models.FollowUp.create(case=case, pupil=pupil, due_on=datetime.date.today() + datetime.timedelta(
            days=rng.randrange(-5, 30)))
    elif change == 3:
        models.FollowUp.update(done_at=datetime.datetime(2026, 11, 1, 9), outcome="not_kept",
                               held_on=datetime.date(2026, 11, 1)).where(models.FollowUp.case == case).execute()
    elif change == 4:  # a step done
        models.CaseStep.update(status="done").where(models.CaseStep.id == models.CaseStep.select(
            models.CaseStep.id).where(models.CaseStep.case == case, models.CaseStep.status == "open")
            .order_by(models.CaseStep.position).limit(1)).execute()
    elif change == 5:  # a pupil renamed, or moved to another class
        pupil.last_name = "Anders%d" % rng.randrange(1000)
        pupil.school_class = rng.choice(list(models.SchoolClass.select()))
        pupil.save()
    elif change == 6:
        models.Involvement.create(case=case, pupil=pupil, role=rng.choice(("victim", "bully")))
    elif change == 7:  # a case closed or opened again, given another mentor
        case.status = "closed" if case.status == "open" else "open"
        case.mentor = rng.choice(list(models.User.with_role("mentor")) or [None])
        case.save()
    elif change == 8:
        school_class = rng.choice(list(models.SchoolClass.select()))
        school_class.name = rng.choice(("2B", "2b", "3C", "1A"))
        school_class.save()
    else:  # a measure decided
        models.Measure.create(case=case, pupil=pupil, phase=rng.randrange(1, 4), decided_on=datetime.date.today(),
                              decided_by=demo_user("coordinator"), description="M")


def test_the_kept_overview_is_the_overview_drawn_afresh_after_any_changes(app, login_as):
    rng = random.Random(23)
    with app.app_context():  # two coordinators, one reading in English: no write between their pages
        models.UserRole.create(user=demo_user("management"), role="coordinator")
        models.User.update(language="en").where(models.User.username == "management").execute()
    readers = {"nl": login_as("coordinator"), "en": login_as("management")}
    for _ in range(4):
        kept, drawn = {}, {}
        for path in PATHS:
            for language, client in readers.items():  # in turn, each after the other's
                page(client, path)
                kept[language, path] = page(client, path)
        for path in PATHS:
            for language, client in readers.items():
                case_views.KEPT.clear()
                drawn[language, path] = page(client, path)
        assert kept == drawn
        assert len(set(drawn.values())) == len(drawn)  # every page differs: a key that left one out would fail
        with app.app_context(), models.db.atomic():
            for _ in range(3):
                _change_something(rng)
