"""Migration 0026: the monitor's stored school years (table monitor_year and a trigger on every table the figures
read) come after 0025 and go again, on SQLite and PostgreSQL (make test-postgres)."""
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0026_monitor_years"


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def triggers(database):
    if db.is_sqlite(database):
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE %s"
    return {row[0] for row in database.execute_sql(sql, ("monitor_year%",)).fetchall()}


def test_the_stored_years_come_after_0025_and_go_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    names = list(statuses(database))
    assert names.index(NAME) == names.index("0025_monitor_indexes") + 1
    Runner(database, db.MIGRATIONS).up("0025_monitor_indexes")
    assert "monitor_year" not in database.get_tables() and not triggers(database)
    Runner(database, db.MIGRATIONS).up(NAME)
    assert "monitor_year" in database.get_tables()
    # Each table's insert, update and delete (PostgreSQL: one row trigger for the three, and one for TRUNCATE).
    assert len(triggers(database)) == 10 * (3 if db.is_sqlite(database) else 2)
    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert "monitor_year" not in database.get_tables() and not triggers(database)
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.close_all()
    drop_database(location)
