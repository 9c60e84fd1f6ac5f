"""The coordinator's overview of cases kept until what it shows changes (issue 23), as the monitor's figures are.

The overview reads the tables of migration 0025's stamp and four more: follow-up talks (the column of talks to
come and the escalation proposals), users and their roles (the mentor's name, the mentor filter) and the
school's settings (its region words the page). A change to any of these four renews a second stamp, the column
`overview` of the same one-row table; the overview is kept under both (views/cases.py).

The same row, not a second table: on PostgreSQL a stamp's UPDATE holds its row until the transaction ends, and
two rows taken in different orders by two transactions (a case, then a follow-up talk; a follow-up talk, then a
case) would wait for each other. One row is taken by every such write in the one order there is.
"""
from playhouse.migrate import *  # noqa: F401,F403

# The tables the overview reads beyond migration 0025's (tests/test_overview_kept.py checks each has its triggers).
TABLES = ("follow_up", "user", "user_role", "school_settings")


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        db.execute_sql("ALTER TABLE monitor_stamp ADD COLUMN overview BIGINT NOT NULL DEFAULT 0")
        db.execute_sql("UPDATE monitor_stamp SET overview = random() WHERE id = 1")
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                db.execute_sql('CREATE TRIGGER overview_stamp_%s_%s AFTER %s ON "%s" BEGIN '
                               "UPDATE monitor_stamp SET overview = random() WHERE id = 1; END"
                               % (table, event.lower(), event, table))
    else:
        db.execute_sql("ALTER TABLE monitor_stamp ADD COLUMN overview BIGINT NOT NULL DEFAULT 0")
        db.execute_sql("UPDATE monitor_stamp SET overview = (random() * 9e18)::bigint WHERE id = 1")
        db.execute_sql("CREATE OR REPLACE FUNCTION overview_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       "BEGIN UPDATE monitor_stamp SET overview = (random() * 9e18)::bigint WHERE id = 1; "
                       "RETURN NULL; END $$")
        for table in TABLES:
            db.execute_sql('CREATE TRIGGER overview_stamp_%s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "%s" '
                           "FOR EACH STATEMENT EXECUTE FUNCTION overview_stamp_renew()" % (table, table))


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                db.execute_sql("DROP TRIGGER IF EXISTS overview_stamp_%s_%s" % (table, event))
    else:
        for table in TABLES:
            db.execute_sql('DROP TRIGGER IF EXISTS overview_stamp_%s ON "%s"' % (table, table))
        db.execute_sql("DROP FUNCTION IF EXISTS overview_stamp_renew()")
    db.execute_sql("ALTER TABLE monitor_stamp DROP COLUMN overview")
