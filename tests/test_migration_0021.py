"""Migration 0021: the prevention tables (the plan, the log, class agreements, the policy, the contract's
signatures) come after 0019 and go again, on SQLite and PostgreSQL (make test-postgres). It adds tables only,
so it stands on 0019 whatever 0020 holds."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0021_prevention"
ROWS = [
    "INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, created_at, "
    "password_changed_at) VALUES ('m', 'M', '', FALSE, TRUE, 'nl', '2026-01-01 10:00:00', '2026-01-01 10:00:00')",
    "INSERT INTO school_class (name, year_level, mentor_id) VALUES ('1A', 1, 1)",
    "INSERT INTO pupil (student_number, first_name, infix, last_name, is_active, school_class_id) "
    "VALUES ('1', 'Sem', '', 'X', TRUE, 1)",
]


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def test_the_prevention_tables_come_after_0019_and_go_again(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    assert names.index(NAME) > names.index("0019_deciders_and_severity")
    before = names[names.index(NAME) - 1]
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up(before)
    for statement in ROWS:
        database.execute_sql(statement)
    Runner(database, db.MIGRATIONS).up(NAME)
    database.execute_sql("INSERT INTO prevention_plan_item (school_year, kind, title, due_on, year_levels, note, "
                         "created_at) VALUES (2026, 'mentor_lesson', 'Les', '2026-10-01', '1', '', '2026-09-01')")
    database.execute_sql("INSERT INTO prevention_activity (kind, held_on, school_class_id, audience, led_by, note, "
                         "plan_item_id, recorded_at) VALUES ('mentor_lesson', '2026-09-20', 1, '', 'M', '', 1, "
                         "'2026-09-20 10:00:00')")
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("INSERT INTO prevention_activity (kind, held_on, audience, led_by, note, recorded_at) "
                             "VALUES ('party', '2026-09-20', '', 'M', '', '2026-09-20 10:00:00')")
    database.execute_sql("INSERT INTO class_agreement (school_class_id, school_year, rules, made_on, updated_at, "
                         "content_sha256) VALUES (1, 2026, 'We luisteren naar elkaar.', '2026-09-05', "
                         "'2026-09-05 10:00:00', '')")
    with pytest.raises(IntegrityError), database.atomic():  # one set of agreements per class and school year
        database.execute_sql("INSERT INTO class_agreement (school_class_id, school_year, rules, made_on, updated_at, "
                             "content_sha256) VALUES (1, 2026, 'Nog eens.', '2026-09-06', '2026-09-06 10:00:00', '')")
    database.execute_sql("INSERT INTO class_agreement_signature (class_agreement_id, name, signature_png, signed_at) "
                         "VALUES (1, 'Sem', %s, '2026-09-05 11:00:00')" % ("X'89504e47'" if isinstance(
                             database, SqliteDatabase) else "'\\x89504e47'"))
    database.execute_sql("INSERT INTO contract_signature (pupil_id, school_year, signed_on, recorded_at) "
                         "VALUES (1, 2026, '2026-09-10', '2026-09-10 10:00:00')")
    with pytest.raises(IntegrityError), database.atomic():  # a pupil signs once a school year
        database.execute_sql("INSERT INTO contract_signature (pupil_id, school_year, signed_on, recorded_at) "
                             "VALUES (1, 2026, '2026-09-11', '2026-09-11 10:00:00')")
    database.execute_sql("INSERT INTO prevention_policy (id, contract_text, protocol_public, coordinator_reach, "
                         "counsellor_reach) VALUES (1, '', FALSE, '', '')")
    with pytest.raises(IntegrityError), database.atomic():  # a single row
        database.execute_sql("INSERT INTO prevention_policy (id, contract_text, protocol_public, coordinator_reach, "
                             "counsellor_reach) VALUES (2, '', FALSE, '', '')")
    database.execute_sql("DELETE FROM prevention_plan_item")  # the log keeps what was done
    assert database.execute_sql("SELECT plan_item_id FROM prevention_activity").fetchall() == [(None,)]

    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert database.execute_sql("SELECT name FROM school_class").fetchall() == [("1A",)]
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    assert database.execute_sql("SELECT COUNT(*) FROM prevention_activity").fetchall() == [(0,)]
    database.close_all()
    drop_database(location)
