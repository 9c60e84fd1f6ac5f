"""Migration 0031: the index of measures waiting for a second role comes after 0030 and goes again, on SQLite and
PostgreSQL (make test-postgres)."""
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0031_measures_waiting"
INDEX = "measure_waiting"


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def indexed(database):
    return INDEX in {index.name for index in database.get_indexes("measure")}


def test_the_index_of_measures_waiting_comes_after_0030_and_goes_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    names = list(statuses(database))
    assert names.index(NAME) > names.index("0030_overview_stamp")
    Runner(database, db.MIGRATIONS).up(names[names.index(NAME) - 1])
    assert not indexed(database)
    Runner(database, db.MIGRATIONS).up(NAME)
    assert indexed(database)
    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME] and not indexed(database)
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.close_all()
    drop_database(location)
