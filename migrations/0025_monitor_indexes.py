"""The monitor's school years (issue 23): indexes, so that none of its queries reads a table whole, and a
stamp that every change to what it counts replaces, so that its figures can be kept until then.

Reports, measures and complaints by their day: the monitor counts them per school year.
Steps by deadline, with their status and when they were done: whether a year's steps were done in
time is read from the index alone, without a row lookup per step (a third of the time at 20,000 cases).

monitor_stamp holds one random number. A trigger on each table the monitor reads gives it a new one
in the same transaction as any insert, update or delete, so a figure kept under a stamp is the figure
of the data as long as the stamp reads the same (domain/monitor.py keeps them). A random number, not
a counter: a restored backup brings back its own stamp with its own data, never one a later write
could reach again.
"""
from playhouse.migrate import *  # noqa: F401,F403

# The tables whose rows any monitor figure reads (tests/test_monitor_kept.py checks each has its triggers).
TABLES = ("report", "report_kind", "case", "involvement", "pupil", "school_class", "measure", "complaint",
          "conversation", "case_step")


def up(migrator, db):
    migrator.migrate(migrator.add_index("report", ("reported_on", "is_signal"), False),
                     migrator.add_index("measure", ("decided_on",), False),
                     migrator.add_index("complaint", ("received_on",), False),
                     migrator.add_index("case_step", ("due_on", "status", "done_at"), False))
    db.execute_sql("CREATE TABLE monitor_stamp (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), stamp BIGINT NOT NULL)")
    if isinstance(db, SqliteDatabase):
        db.execute_sql("INSERT INTO monitor_stamp (id, stamp) VALUES (1, random())")
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                db.execute_sql('CREATE TRIGGER monitor_stamp_%s_%s AFTER %s ON "%s" BEGIN '
                               "UPDATE monitor_stamp SET stamp = random() WHERE id = 1; END"
                               % (table, event.lower(), event, table))
    else:
        db.execute_sql("INSERT INTO monitor_stamp (id, stamp) VALUES (1, (random() * 9e18)::bigint)")
        db.execute_sql("CREATE OR REPLACE FUNCTION monitor_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       "UPDATE monitor_stamp SET stamp = (random() * 9e18)::bigint WHERE id = 1; RETURN NULL; END $$")
        for table in TABLES:
            db.execute_sql('CREATE TRIGGER monitor_stamp_%s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "%s" '
                           "FOR EACH STATEMENT EXECUTE FUNCTION monitor_stamp_renew()" % (table, table))


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                db.execute_sql("DROP TRIGGER IF EXISTS monitor_stamp_%s_%s" % (table, event))
    else:
        for table in TABLES:
            db.execute_sql('DROP TRIGGER IF EXISTS monitor_stamp_%s ON "%s"' % (table, table))
        db.execute_sql("DROP FUNCTION IF EXISTS monitor_stamp_renew()")
    db.execute_sql("DROP TABLE monitor_stamp")
    migrator.migrate(migrator.drop_index("case_step", "case_step_due_on_status_done_at"),
                     migrator.drop_index("complaint", "complaint_received_on"),
                     migrator.drop_index("measure", "measure_decided_on"),
                     migrator.drop_index("report", "report_reported_on_is_signal"))
