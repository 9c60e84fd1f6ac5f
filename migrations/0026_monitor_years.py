"""The monitor's closed school years, stored (issue 23): computed once, then read by every worker and after a
restart, until a change to what they count marks them stale.

monitor_year holds, per school year (its first calendar year), the numbers of its figures as JSON (no words:
labels are applied when the page is drawn, in the reader's language) and a generation. A trigger on each table
the figures read adds one to the generation of every school year a row's old and new values count in, and
clears its figures, in the same transaction as the change. domain/monitor.py stores a year's figures only if
its generation is still the one it read before it began computing them, so figures computed while a change
was being written are never stored (a year without a row gets one, empty, before it is computed).

Which school years a row counts in (the school year of a date or moment as db.school_year_of computes it):
- report: its day's year (reports, kinds), and its case's year (days to the first talk: the case's first report);
- report_kind: its report's year;
- case: its opening year (cases, the victims' year levels, days to the first talk);
- involvement, conversation: their case's year;
- pupil: the years of the cases in which the pupil is the victim (their class's year level is counted);
- school_class: the years of the cases whose victim is in the class;
- measure, complaint, case_step: the year of their day (decided, received, deadline).
Only a change to a column the figures read marks a year (UPDATE OF): a case's status or title changes often
and counts nowhere. On PostgreSQL a TRUNCATE marks every year.
"""
from playhouse.migrate import *  # noqa: F401,F403

# table: (columns whose change counts, the school years a row R counts in; {year(X)} is X's school year in SQL)
YEARS = {
    "report": (("reported_on", "is_signal", "case_id"),
               ("{year(R.reported_on)}", 'SELECT {year(c.opened_at)} FROM "case" c WHERE c.id = R.case_id')),
    "report_kind": (("kind", "report_id"),
                    ("SELECT {year(r.reported_on)} FROM report r WHERE r.id = R.report_id",)),
    "case": (("opened_at",), ("{year(R.opened_at)}",)),
    "involvement": (("role", "case_id", "pupil_id"),
                    ('SELECT {year(c.opened_at)} FROM "case" c WHERE c.id = R.case_id',)),
    "pupil": (("school_class_id",),
              ('SELECT {year(c.opened_at)} FROM involvement i JOIN "case" c ON c.id = i.case_id '
               "WHERE i.pupil_id = R.id AND i.role = 'victim'",)),
    "school_class": (("year_level",),
                     ('SELECT {year(c.opened_at)} FROM pupil p JOIN involvement i ON i.pupil_id = p.id '
                      "JOIN \"case\" c ON c.id = i.case_id WHERE p.school_class_id = R.id AND i.role = 'victim'",)),
    "measure": (("decided_on", "phase"), ("{year(R.decided_on)}",)),
    "complaint": (("received_on", "status"), ("{year(R.received_on)}",)),
    "conversation": (("case_id", "started_at"), ('SELECT {year(c.opened_at)} FROM "case" c WHERE c.id = R.case_id',)),
    "case_step": (("due_on", "status", "done_at"), ("{year(R.due_on)}",)),
}
STALE = "UPDATE monitor_year SET generation = generation + 1, figures = NULL WHERE school_year IN (%s)"


def _year(sqlite, field):
    if sqlite:
        return "(CAST(substr(%s, 1, 4) AS INTEGER) - (substr(%s, 6, 2) < '08'))" % (field, field)
    return "monitor_school_year(%s)" % field


def marks(table, row, sqlite):
    """The statements that mark stale the school years `row` (OLD or NEW) of `table` counts in."""
    statements = []
    for source in YEARS[table][1]:
        text = source.replace("R.", row + ".")
        while "{year(" in text:
            start = text.index("{year(")
            end = text.index(")}", start)
            text = text[:start] + _year(sqlite, text[start + 6:end]) + text[end + 2:]
        statements.append(STALE % text)
    return statements


def up(migrator, db):
    sqlite = isinstance(db, SqliteDatabase)
    db.execute_sql("CREATE TABLE monitor_year (school_year INTEGER NOT NULL PRIMARY KEY, "
                   "generation BIGINT NOT NULL DEFAULT 0, figures TEXT)")
    if sqlite:
        for table, (columns, _) in YEARS.items():
            for event, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)),
                                ("UPDATE OF %s" % ", ".join(columns), ("OLD", "NEW"))):
                body = " ".join(statement + ";" for row in rows for statement in marks(table, row, True))
                db.execute_sql('CREATE TRIGGER monitor_year_%s_%s AFTER %s ON "%s" BEGIN %s END'
                               % (table, event.split()[0].lower(), event, table, body))
        return
    db.execute_sql("CREATE OR REPLACE FUNCTION monitor_school_year(moment timestamp) RETURNS integer "
                   "LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(date_part('year', moment) AS integer) "
                   "- CASE WHEN date_part('month', moment) < 8 THEN 1 ELSE 0 END $$")
    db.execute_sql("CREATE OR REPLACE FUNCTION monitor_year_all() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "UPDATE monitor_year SET generation = generation + 1, figures = NULL; RETURN NULL; END $$")
    for table, (columns, _) in YEARS.items():
        old = " ".join(statement + ";" for statement in marks(table, "OLD", False))
        new = " ".join(statement + ";" for statement in marks(table, "NEW", False))
        db.execute_sql("CREATE OR REPLACE FUNCTION monitor_year_%s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       "IF TG_OP <> 'INSERT' THEN %s END IF; IF TG_OP <> 'DELETE' THEN %s END IF; "
                       "RETURN NULL; END $$" % (table, old, new))
        db.execute_sql('CREATE TRIGGER monitor_year_%s AFTER INSERT OR DELETE OR UPDATE OF %s ON "%s" '
                       "FOR EACH ROW EXECUTE FUNCTION monitor_year_%s()" % (table, ", ".join(columns), table, table))
        db.execute_sql('CREATE TRIGGER monitor_year_%s_truncate AFTER TRUNCATE ON "%s" '
                       "FOR EACH STATEMENT EXECUTE FUNCTION monitor_year_all()" % (table, table))


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        for table in YEARS:
            for event in ("insert", "delete", "update"):
                db.execute_sql("DROP TRIGGER IF EXISTS monitor_year_%s_%s" % (table, event))
    else:
        for table in YEARS:
            db.execute_sql('DROP TRIGGER IF EXISTS monitor_year_%s ON "%s"' % (table, table))
            db.execute_sql('DROP TRIGGER IF EXISTS monitor_year_%s_truncate ON "%s"' % (table, table))
            db.execute_sql("DROP FUNCTION IF EXISTS monitor_year_%s()" % table)
        db.execute_sql("DROP FUNCTION IF EXISTS monitor_year_all()")
        db.execute_sql("DROP FUNCTION IF EXISTS monitor_school_year(timestamp)")
    db.execute_sql("DROP TABLE monitor_year")
