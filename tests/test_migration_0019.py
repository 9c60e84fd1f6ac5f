"""Migration 0019, after 0018's follow-ups per pupil: the team leader and management as roles (the roles'
CHECK widened, every existing role kept), a case's severity and escalation phase, the measure's deciding
roles and each role's decision; and back again. On SQLite the roles' table is built anew, on PostgreSQL
its CHECK is swapped in place: the test runs on both (make test-postgres)."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0019_deciders_and_severity"
ROWS = [
    "INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, created_at, "
    "password_changed_at) VALUES ('%s', '%s', '', FALSE, TRUE, 'nl', '2026-01-01 10:00:00', '2026-01-01 10:00:00')"
    % (name, name.title()) for name in ("m", "c", "t")
] + [
    "INSERT INTO user_role (user_id, role) VALUES (1, 'mentor'), (2, 'coordinator'), (2, 'counsellor')",
    "INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, close_reason) "
    "VALUES ('2026-0001', '', 'vo-nl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')",
    "INSERT INTO pupil (student_number, first_name, infix, last_name, is_active) VALUES ('1', 'Yara', '', 'X', TRUE)",
    "INSERT INTO measure (case_id, pupil_id, phase, description, decided_by_id, decided_on, informed) "
    "VALUES (1, 1, 2, 'Gesprek met de ouders', 2, '2026-01-05', '')",
]


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def test_the_new_roles_severity_and_deciders_come_and_go_keeping_every_role_there_was(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    assert names.index(NAME) == names.index("0018_follow_ups_per_pupil") + 1  # after the follow-ups per pupil
    before = names[names.index(NAME) - 1]
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up(before)
    for statement in ROWS:
        database.execute_sql(statement)
    Runner(database, db.MIGRATIONS).up(NAME)

    def roles():
        return sorted(database.execute_sql("SELECT user_id, role FROM user_role").fetchall())

    assert roles() == [(1, "mentor"), (2, "coordinator"), (2, "counsellor")]
    database.execute_sql("INSERT INTO user_role (user_id, role) VALUES (3, 'teamleader'), (3, 'management')")
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("INSERT INTO user_role (user_id, role) VALUES (1, 'headmaster')")
    with pytest.raises(IntegrityError), database.atomic():  # one role once per user, as before
        database.execute_sql("INSERT INTO user_role (user_id, role) VALUES (1, 'mentor')")
    assert database.execute_sql("SELECT severity, escalation_phase, escalation_deciders FROM \"case\"").fetchall() \
        == [("normal", None, "")]
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("UPDATE \"case\" SET severity = 'extreme'")
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("UPDATE \"case\" SET escalation_phase = 6")
    assert database.execute_sql("SELECT deciding_roles, waiting_for FROM measure").fetchall() == [("", "")]
    database.execute_sql("INSERT INTO measure_decider (measure_id, role, user_id, decided_at) "
                         "VALUES (1, 'teamleader', 3, '2026-01-06 10:00:00')")
    with pytest.raises(IntegrityError), database.atomic():  # one decision per role
        database.execute_sql("INSERT INTO measure_decider (measure_id, role, user_id, decided_at) "
                             "VALUES (1, 'teamleader', 3, '2026-01-07 10:00:00')")

    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert roles() == [(1, "mentor"), (2, "coordinator"), (2, "counsellor")]  # the new roles leave with it
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("INSERT INTO user_role (user_id, role) VALUES (3, 'teamleader')")
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.execute_sql("INSERT INTO user_role (user_id, role) VALUES (3, 'management')")
    database.close_all()
    drop_database(location)
