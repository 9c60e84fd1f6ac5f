"""Migration 0022, after 0021: a case's second protocol (and since when) and the merges of two cases (what
moved, undone or not); and back again, on SQLite and PostgreSQL."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0022_second_protocol_and_merges"
CASE = ("INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, "
        "close_reason) VALUES ('%s', '', 'vo-nl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')")


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def test_second_protocols_and_merges_come_after_0021_and_go_again(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    assert names.index(NAME) == names.index("0021_prevention") + 1
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up("0021_prevention")
    for reference in ("2026-0001", "2026-0002"):
        database.execute_sql(CASE % reference)
    Runner(database, db.MIGRATIONS).up(NAME)

    assert database.execute_sql('SELECT second_protocol_key, second_protocol_added_at FROM "case"').fetchall() == [
        (None, None), (None, None)]
    database.execute_sql("UPDATE \"case\" SET second_protocol_key = 'online-pesten', "
                         "second_protocol_added_at = '2026-01-02 10:00:00' WHERE id = 1")
    database.execute_sql("INSERT INTO case_merge (kept_id, merged_id, merged_at, moved) "
                         "VALUES (1, 2, '2026-01-03 10:00:00', '{\"report\": []}')")
    with pytest.raises(IntegrityError), database.atomic():  # a merge points at cases that exist
        database.execute_sql("INSERT INTO case_merge (kept_id, merged_id, merged_at, moved) "
                             "VALUES (1, 99, '2026-01-03 10:00:00', '{}')")

    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert database.execute_sql('SELECT reference FROM "case" ORDER BY id').fetchall() == [
        ("2026-0001",), ("2026-0002",)]
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.close_all()
    drop_database(location)
