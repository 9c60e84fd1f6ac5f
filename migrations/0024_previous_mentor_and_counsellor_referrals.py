"""The previous mentor's reading after a handover, and a referral to the confidential counsellor (issue 20).

- A school setting: after a handover the previous mentor keeps reading, read-only, what they recorded
  in the case (off by default).
- Each handover of a case from one mentor to another is a row of its own (who, to whom, when, by whom):
  who the previous mentors are is a query, not a sentence on the timeline.
- A referral can go to the confidential counsellor (seed 001: the vertrouwenspersoon as help for a pupil).
  A referral's target is kept to the known targets by a CHECK; SQLite cannot change one, so there the
  referrals' table is built anew and its rows copied over, PostgreSQL swaps the CHECK in place.

On SQLite the old referrals' table is dropped while the migration's transaction keeps foreign keys on: that
drop empties it first, which sets the support sessions' pointers to it to NULL; they are put back after.
"""
import datetime

from peewee import (
    CharField, Check, DateField, DateTimeField, ForeignKeyField, Model, SqliteDatabase, TextField,
)

TARGETS = ("support_team", "clb", "training", "external", "police", "counsellor")
OLD_TARGETS = TARGETS[:5]
REFERRAL_COLUMNS = ("id, case_id, pupil_id, target, detail, referred_on, by_user_id, note, training, closed_on, "
                    "closed_by_id, close_note")


def _known(values):
    return ", ".join("'%s'" % value for value in values)


def _referrals_with(db, targets):
    """Keep the referrals' targets to `targets` (a CHECK), dropping the referrals to any other."""
    if not isinstance(db, SqliteDatabase):
        db.execute_sql("DELETE FROM referral WHERE target NOT IN (%s)" % _known(targets))
        db.execute_sql("ALTER TABLE referral DROP CONSTRAINT IF EXISTS referral_target_check")
        db.execute_sql("ALTER TABLE referral ADD CONSTRAINT referral_target_check CHECK (target IN (%s))"
                       % _known(targets))
        return

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Case(Model):
        class Meta:
            database = db
            table_name = "case"

    class Pupil(Model):
        class Meta:
            database = db
            table_name = "pupil"

    class Referral(Model):
        case = ForeignKeyField(Case, on_delete="CASCADE")
        pupil = ForeignKeyField(Pupil, null=True, on_delete="RESTRICT")
        target = CharField(max_length=16, constraints=[Check("target IN (%s)" % _known(targets))])
        detail = CharField(max_length=200, default="")
        referred_on = DateField()
        by_user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        note = TextField(default="")
        training = CharField(max_length=24, null=True, constraints=[
            Check("training IS NULL OR training IN ('social_skills', 'resilience', 'aggression_regulation', "
                  "'other')")])
        closed_on = DateField(null=True)
        closed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        close_note = TextField(default="")

        class Meta:
            database = db
            table_name = "referral_new"

    sessions = db.execute_sql("SELECT id, referral_id FROM support_session WHERE referral_id IS NOT NULL "
                              "AND referral_id IN (SELECT id FROM referral WHERE target IN (%s))"
                              % _known(targets)).fetchall()
    Referral._schema.create_table(safe=False)  # its indexes come after the rename, with the names they had
    db.execute_sql('INSERT INTO referral_new (%s) SELECT %s FROM referral WHERE target IN (%s)'
                   % (REFERRAL_COLUMNS, REFERRAL_COLUMNS, _known(targets)))
    db.execute_sql("DROP TABLE referral")
    db.execute_sql("ALTER TABLE referral_new RENAME TO referral")
    for column in ("case_id", "pupil_id", "by_user_id", "closed_by_id"):
        db.execute_sql('CREATE INDEX "referral_%s" ON "referral" ("%s")' % (column, column))
    for session_id, referral_id in sessions:
        db.execute_sql("UPDATE support_session SET referral_id = ? WHERE id = ?", (referral_id, session_id))


def up(migrator, db):
    db.execute_sql("ALTER TABLE school_settings ADD COLUMN previous_mentor_reads BOOLEAN NOT NULL DEFAULT FALSE")

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Case(Model):
        class Meta:
            database = db
            table_name = "case"

    class CaseHandover(Model):
        case = ForeignKeyField(Case, on_delete="CASCADE")
        from_mentor = ForeignKeyField(User, on_delete="CASCADE")
        to_mentor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        handed_over_at = DateTimeField(default=datetime.datetime.utcnow)
        handed_over_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "case_handover"
            indexes = ((("from_mentor", "case"), False),)

    db.create_tables([CaseHandover])
    _referrals_with(db, TARGETS)


def down(migrator, db):
    _referrals_with(db, OLD_TARGETS)
    db.execute_sql("DROP TABLE case_handover")
    migrator.migrate(migrator.drop_column("school_settings", "previous_mentor_reads"))
