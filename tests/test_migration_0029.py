"""Migration 0029: the index of users by role comes after 0028 and goes again, on SQLite and PostgreSQL
(make test-postgres)."""
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0029_user_role_by_role"
INDEX = "user_role_role_user_id"


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def indexed(database):
    return INDEX in {index.name for index in database.get_indexes("user_role")}


def test_the_index_of_users_by_role_comes_after_0028_and_goes_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    names = list(statuses(database))
    assert names.index(NAME) > names.index("0028_measure_refusal")
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
