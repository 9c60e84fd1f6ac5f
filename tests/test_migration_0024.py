"""Migration 0024, after 0023: the school's setting for the previous mentor's reading, the handovers of a case,
and the confidential counsellor as a referral's target (the referrals' CHECK widened, every referral and the
support sessions' pointers to them kept); and back again. On SQLite the referrals' table is built anew, on
PostgreSQL its CHECK is swapped in place: the test runs on both (make test-postgres)."""
import pytest
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0024_previous_mentor_and_counsellor_referrals"
ROWS = [
    "INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, created_at, "
    "password_changed_at) VALUES ('%s', '%s', '', FALSE, TRUE, 'nl', '2026-01-01 10:00:00', '2026-01-01 10:00:00')"
    % (name, name.title()) for name in ("m", "n", "c")
] + [
    "INSERT INTO school_settings (id, school_name, region, default_protocol, retention_months, "
    "public_reports_enabled, mfa_required_roles, mail_enabled, smtp_host, smtp_port, smtp_username, smtp_starttls, "
    "mail_sender, app_url) VALUES (1, 'School', 'nl', 'vo-nl', 24, FALSE, '', FALSE, '', 587, '', TRUE, '', '')",
    "INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, close_reason) "
    "VALUES ('2026-0001', '', 'vo-nl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')",
    "INSERT INTO pupil (student_number, first_name, infix, last_name, is_active) VALUES ('1', 'Yara', '', 'X', TRUE)",
    "INSERT INTO referral (case_id, pupil_id, target, detail, referred_on, by_user_id, note, close_note) "
    "VALUES (1, 1, 'support_team', '', '2026-01-02', 1, 'Naar het team', '')",
    "INSERT INTO referral (case_id, pupil_id, target, detail, referred_on, by_user_id, note, training, close_note) "
    "VALUES (1, 1, 'training', '', '2026-01-03', 1, '', 'resilience', '')",
    "INSERT INTO support_session (case_id, referral_id, kind, held_on, participants, notes, report_back, created_at) "
    "VALUES (1, 1, 'individual', '2026-01-04', '', '', '', '2026-01-04 10:00:00')",
]
COUNSELLOR = ("INSERT INTO referral (case_id, pupil_id, target, detail, referred_on, by_user_id, note, close_note) "
              "VALUES (1, 1, 'counsellor', '', '2026-01-05', 1, 'Alleen voor de vertrouwenspersoon', '')")


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def test_the_counsellor_as_target_the_handovers_and_the_setting_come_and_go_keeping_every_referral(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    assert names.index(NAME) == names.index("0023_school_accounts") + 1
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up("0023_school_accounts")
    for statement in ROWS:
        database.execute_sql(statement)
    with pytest.raises(IntegrityError), database.atomic():  # before: no referral to the counsellor
        database.execute_sql(COUNSELLOR)
    Runner(database, db.MIGRATIONS).up(NAME)

    def referrals():
        return database.execute_sql("SELECT id, target, note, training FROM referral ORDER BY id").fetchall()

    assert referrals() == [(1, "support_team", "Naar het team", None), (2, "training", "", "resilience")]
    assert database.execute_sql("SELECT referral_id FROM support_session").fetchall() == [(1,)]  # still pointing
    database.execute_sql(COUNSELLOR)
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql(COUNSELLOR.replace("'counsellor'", "'headmaster'"))
    with pytest.raises(IntegrityError), database.atomic():  # the referral still belongs to a case that exists
        database.execute_sql(COUNSELLOR.replace("VALUES (1, 1,", "VALUES (99, 1,"))
    assert database.execute_sql("SELECT previous_mentor_reads FROM school_settings").fetchall() in ([(0,)], [(False,)])
    database.execute_sql("INSERT INTO case_handover (case_id, from_mentor_id, to_mentor_id, handed_over_at, "
                         "handed_over_by_id) VALUES (1, 1, 2, '2026-01-06 10:00:00', 3)")
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql("INSERT INTO case_handover (case_id, from_mentor_id, handed_over_at) "
                             "VALUES (99, 1, '2026-01-06 10:00:00')")
    assert database.execute_sql("SELECT COUNT(*) FROM case_handover").fetchall() == [(1,)]

    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    assert referrals() == [(1, "support_team", "Naar het team", None), (2, "training", "", "resilience")]
    assert database.execute_sql("SELECT referral_id FROM support_session").fetchall() == [(1,)]
    with pytest.raises(IntegrityError), database.atomic():
        database.execute_sql(COUNSELLOR)
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    database.execute_sql(COUNSELLOR)
    database.close_all()
    drop_database(location)
