"""Migration 0020, after 0019: a report confidential for the coordinator, what a named pupil did as the
report says, and the reason a step was set aside by hand; and back again, on SQLite and PostgreSQL."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0020_case_corrections"
ROWS = [
    "INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, close_reason) "
    "VALUES ('2026-0001', '', 'vo-nl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')",
    "INSERT INTO pupil (student_number, first_name, infix, last_name, is_active) VALUES ('1', 'Yara', '', 'X', TRUE)",
    "INSERT INTO report (reported_on, created_at, reporter_kind, reporter_name, channel, is_signal, place, platform, "
    "description, share_reporter_name, possibly_criminal, status, close_reason) VALUES ('2026-01-01', "
    "'2026-01-01 10:00:00', 'staff', '', 'conversation', FALSE, '', '', 'Gezien', FALSE, FALSE, 'new', '')",
    "INSERT INTO report_pupil (report_id, pupil_id) VALUES (1, 1)",
    "INSERT INTO case_step (case_id, step_key, position, owner, status, note) "
    "VALUES (1, 'police', 3, 'coordinator', 'open', '')",
]


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def test_confidential_reports_reported_roles_and_steps_set_aside_come_and_go(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    assert names.index(NAME) == names.index("0019_deciders_and_severity") + 1
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up("0019_deciders_and_severity")
    for statement in ROWS:
        database.execute_sql(statement)
    Runner(database, db.MIGRATIONS).up(NAME)

    assert database.execute_sql("SELECT confidential FROM report").fetchall() in ([(0,)], [(False,)])
    assert database.execute_sql("SELECT role FROM report_pupil").fetchall() == [(None,)]
    assert database.execute_sql("SELECT set_aside_reason FROM case_step").fetchall() == [("",)]
    database.execute_sql("UPDATE report_pupil SET role = 'bully'")
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("UPDATE report_pupil SET role = 'follower'")
    database.execute_sql("UPDATE report SET confidential = TRUE")
    database.execute_sql("UPDATE case_step SET status = 'not_applicable', set_aside_reason = 'Geen aangifte nodig'")

    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert database.execute_sql("SELECT report_id, pupil_id FROM report_pupil").fetchall() == [(1, 1)]
    assert database.execute_sql("SELECT description FROM report").fetchall() == [("Gezien",)]
    assert database.execute_sql("SELECT step_key, status FROM case_step").fetchall() == [("police", "not_applicable")]
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.close_all()
    drop_database(location)
