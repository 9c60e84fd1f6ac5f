"""Migration 0028: a measure keeps when, by whom and why a role it waited for refused it; a measure recorded
before has none of it (not refused), and the columns go again, the monitor's triggers on the table kept both ways
(on both databases: make test-postgres)."""
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0028_measure_refusal"
ROWS = [
    "INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, created_at, "
    "password_changed_at) VALUES ('d', 'D', '', FALSE, TRUE, 'nl', '2026-01-01 10:00:00', '2026-01-01 10:00:00')",
    "INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, "
    "close_reason) VALUES ('2026-0001', '', 'vo-nl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')",
    "INSERT INTO pupil (student_number, first_name, infix, last_name, is_active) VALUES ('1', 'Sem', '', 'X', TRUE)",
    "INSERT INTO measure (case_id, pupil_id, phase, description, decided_by_id, decided_on, informed, "
    "deciding_roles, waiting_for) VALUES (1, 1, 4, 'Schorsing', 1, '2026-01-05', '', 'teamleader management', "
    "'management')",
]


def triggers(database):
    """The monitor's triggers on the measures' table (a table rebuilt on SQLite loses them)."""
    if db.is_sqlite(database):
        return sorted(row[0] for row in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'measure'").fetchall())
    return sorted(row[0] for row in database.execute_sql(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = 'measure' "
        "AND NOT t.tgisinternal").fetchall())


def columns(database):
    return {column.name for column in database.get_columns("measure")}


def test_a_measure_keeps_its_refusal_and_the_columns_go_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up("0027_approach_words")
    for statement in ROWS:
        database.execute_sql(statement)
    kept = triggers(database)
    assert len(kept) >= 2
    Runner(database, db.MIGRATIONS).up(NAME)
    assert triggers(database) == kept  # the monitor still hears of every change to a measure
    assert database.execute_sql("SELECT refused_at, refused_by_id, refusal_reason, waiting_for FROM measure"
                                ).fetchall() == [(None, None, "", "management")]
    database.execute_sql("UPDATE measure SET refused_at = '2026-01-06 09:00:00', refused_by_id = 1, "
                         "refusal_reason = 'Te zwaar', waiting_for = ''")
    Runner(database, db.MIGRATIONS).down(NAME)
    assert not {"refused_at", "refused_by_id", "refusal_reason"} & columns(database)
    assert triggers(database) == kept
    assert database.execute_sql("SELECT description FROM measure").fetchall() == [("Schorsing",)]
    database.close_all()
    drop_database(location)
