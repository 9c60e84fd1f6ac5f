"""Migration 0025: the monitor's indexes come after 0023 (0024 on main) and go again, on SQLite and PostgreSQL
(make test-postgres); the monitor's per-year queries find their rows through them."""
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0025_monitor_indexes"
INDEXES = {"report": "report_reported_on_is_signal", "measure": "measure_decided_on",
           "complaint": "complaint_received_on", "case_step": "case_step_due_on_status_done_at"}


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def index_names(database):
    return {table: {index.name for index in database.get_indexes(table)} for table in INDEXES}


def test_the_monitor_indexes_come_after_0023_and_go_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    names = list(statuses(database))
    assert names.index(NAME) > names.index("0023_school_accounts")
    Runner(database, db.MIGRATIONS).up(names[names.index(NAME) - 1])
    assert not any(INDEXES[table] in found for table, found in index_names(database).items())
    Runner(database, db.MIGRATIONS).up(NAME)
    assert all(INDEXES[table] in found for table, found in index_names(database).items())
    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert not any(INDEXES[table] in found for table, found in index_names(database).items())
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.close_all()
    drop_database(location)
