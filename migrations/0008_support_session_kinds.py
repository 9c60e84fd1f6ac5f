"""Support sessions: their kind is one of the known kinds (a CHECK), and they remember when they were recorded.

SQLite cannot add a CHECK to a table, so there the table is built anew and its rows copied over;
PostgreSQL adds the CHECK and the column in place.
"""
import datetime

from peewee import *

KINDS = ("individual", "training", "support_group")


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Case(Model):
        class Meta:
            database = db
            table_name = "case"

    class Referral(Model):
        class Meta:
            database = db
            table_name = "referral"

    class SupportSession(Model):
        case = ForeignKeyField(Case, on_delete="CASCADE")
        referral = ForeignKeyField(Referral, null=True, on_delete="SET NULL")
        kind = CharField(max_length=32, constraints=[Check("kind IN (%s)" % ", ".join("'%s'" % k for k in KINDS))])
        held_on = DateField()
        participants = TextField(default="")
        notes = TextField(default="")
        report_back = TextField(default="")
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            database = db
            table_name = "support_session"

    known = ", ".join("'%s'" % k for k in KINDS)
    if not isinstance(db, SqliteDatabase):
        db.execute_sql("UPDATE support_session SET kind = 'individual' WHERE kind NOT IN (%s)" % known)
        db.execute_sql("ALTER TABLE support_session ADD COLUMN created_at TIMESTAMP")
        db.execute_sql("UPDATE support_session SET created_at = held_on")
        db.execute_sql("ALTER TABLE support_session ALTER COLUMN created_at SET NOT NULL")
        db.execute_sql("ALTER TABLE support_session ADD CONSTRAINT support_session_kind_check CHECK (kind IN (%s))"
                       % known)
        return
    db.execute_sql('ALTER TABLE "support_session" RENAME TO "support_session_old"')
    for index in ("supportsession_case_id", "supportsession_referral_id", "supportsession_recorded_by_id"):
        db.execute_sql('DROP INDEX IF EXISTS "%s"' % index)
    db.create_tables([SupportSession])
    # A session of an unknown kind (none were recorded through the app) becomes individual guidance.
    db.execute_sql(
        'INSERT INTO "support_session" (id, case_id, referral_id, kind, held_on, participants, notes, report_back, '
        'recorded_by_id, created_at) '
        'SELECT id, case_id, referral_id, CASE WHEN kind IN (%s) THEN kind ELSE \'individual\' END, held_on, '
        'participants, notes, report_back, recorded_by_id, held_on FROM "support_session_old"' % known)
    db.execute_sql('DROP TABLE "support_session_old"')


def down(migrator, db):
    migrator.migrate(migrator.drop_column("support_session", "created_at"))
