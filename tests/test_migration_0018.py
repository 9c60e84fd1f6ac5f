"""Migration 0018: follow-ups from before they were per pupil get their pupil where it can be known."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

ROWS = [
    # case, pupil, agreement, conversation, due, with whom, done at, outcome
    "INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, created_at, "
    "password_changed_at) VALUES ('m', 'M', '', FALSE, TRUE, 'nl', '2026-01-01 10:00:00', '2026-01-01 10:00:00')",
    "INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, close_reason) "
    "VALUES ('2026-0001', '', 'vo-nl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')",
] + [
    "INSERT INTO pupil (student_number, first_name, infix, last_name, is_active) VALUES ('%d', '%s', '', 'X', TRUE)"
    % (number, name) for number, name in enumerate(("Isa", "Bram", "Finn", "Sem"), 1)
] + [
    # Agreement 1 with Isa (victim), Bram (bully), Finn (follower) and the mentor; agreement 2 with Sem alone.
    "INSERT INTO agreement (case_id, version, status, commitments, restorative_act, support_figures, coaching, "
    "content_sha256, created_at) VALUES (1, %d, 'locked', '', '', '', '', '', '2026-01-01 10:00:00')" % version
    for version in (1, 2)
] + [
    "INSERT INTO agreement_party (agreement_id, pupil_id, name, role, signed_on_paper) VALUES (%s, %s, 'x', '%s', TRUE)"
    % row for row in ((1, 1, "victim"), (1, 2, "bully"), (1, 3, "follower"), (1, "NULL", "mentor"), (2, 4, "bully"))
] + [
    "INSERT INTO follow_up (case_id, agreement_id, due_on, with_whom, done_at, outcome, note) VALUES %s" % row
    for row in (
        "(1, 1, '2026-01-03', 'Isa, Bram, Finn', '2026-01-03 11:00:00', 'not_kept', 'Bram duwde weer')",  # together
        "(1, 1, '2026-01-08', 'Isa, Bram, Finn', NULL, NULL, '')",  # to come: one for each
        "(1, 2, '2026-01-03', 'Sem', '2026-01-04 09:00:00', 'going_well', 'Goed')",  # Sem's alone
        "(1, NULL, '2026-01-05', '', NULL, NULL, '')",  # from nowhere: no pupil to know
    )
]


def test_follow_ups_get_their_pupil_and_open_ones_for_several_become_one_each(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    before = names[names.index("0018_follow_ups_per_pupil") - 1]
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up(before)
    for statement in ROWS:
        database.execute_sql(statement)
    Runner(database, db.MIGRATIONS).up()
    rows = database.execute_sql("SELECT due_on, pupil_id, CASE WHEN done_at IS NULL THEN 0 ELSE 1 END, outcome, "
                                "held_on, with_whom FROM follow_up ORDER BY due_on, COALESCE(pupil_id, 0)").fetchall()
    assert [tuple(str(value) if value is not None else None for value in row) for row in rows] == [
        ("2026-01-03", None, "1", "not_kept", "2026-01-03", "Isa, Bram, Finn"),  # held together: who, unknown
        ("2026-01-03", "4", "1", "going_well", "2026-01-04", "Sem"),
        ("2026-01-05", None, "0", None, None, ""),
        ("2026-01-08", "1", "0", None, None, ""),
        ("2026-01-08", "2", "0", None, None, ""),
        ("2026-01-08", "3", "0", None, None, ""),
    ]
    database.execute_sql("UPDATE follow_up SET outcome = 'not_held' WHERE pupil_id = 1")
    with pytest.raises(IntegrityError):
        database.execute_sql("UPDATE follow_up SET outcome = 'whatever' WHERE pupil_id = 2")
    assert database.execute_sql("SELECT superseded_at FROM agreement WHERE id = 1").fetchone() == (None,)
    database.close_all()
    drop_database(location)
