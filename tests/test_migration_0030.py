"""Migration 0030: the overview's stamp (a column of the monitor's one-row stamp table, and the triggers that renew
it) comes after 0029 and goes again, on SQLite and PostgreSQL (make test-postgres)."""
import datetime

from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0030_overview_stamp"


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def stamped(database):
    return "overview" in {column.name for column in database.get_columns("monitor_stamp")}


def renews(database):
    """Whether a change to a user renews the overview's stamp."""
    before = database.execute_sql("SELECT overview FROM monitor_stamp WHERE id = 1").fetchone()[0]
    database.execute_sql('UPDATE "user" SET id = id')
    return database.execute_sql("SELECT overview FROM monitor_stamp WHERE id = 1").fetchone()[0] != before


def test_the_overviews_stamp_comes_after_0029_and_goes_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    names = list(statuses(database))
    assert names.index(NAME) > names.index("0029_user_role_by_role")
    Runner(database, db.MIGRATIONS).up(names[names.index(NAME) - 1])
    assert not stamped(database)
    database.execute_sql("INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, "
                         "created_at, password_changed_at) VALUES ('u', 'U', '', %s, %s, 'nl', %s, %s)"
                         % ((database.param,) * 4), (False, True) + (datetime.datetime(2026, 12, 5),) * 2)
    Runner(database, db.MIGRATIONS).up(NAME)
    assert stamped(database) and renews(database)
    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME] and not stamped(database)
    database.execute_sql('UPDATE "user" SET id = id')  # no trigger is left to write to the column that went
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values()) and renews(database)
    database.close_all()
    drop_database(location)
