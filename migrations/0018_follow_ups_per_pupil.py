"""Follow-ups per pupil (issue 19): each talk is with one pupil, on a day the user enters, and may be
"not held" (with why); a follow-up can be the agreement's evaluation talk, or cancelled when a new
agreement replaces its series. An agreement records when a later version superseded it.

Existing follow-ups get their pupil where it can be known: the one pupil of their agreement (or of
their conversation), and an open one planned for several pupils becomes one per pupil, each with
their own series. A follow-up held with several pupils together keeps no pupil: who it was about
was never recorded.

SQLite cannot change a CHECK, so there the follow-ups' table is built anew and its rows copied
over; PostgreSQL adds the columns and swaps the CHECK in place.
"""
from peewee import (
    BooleanField, CharField, Check, DateField, DateTimeField, ForeignKeyField, Model, SqliteDatabase, TextField,
)

PUPIL_ROLES = ("victim", "bully", "follower")
NEW_COLUMNS = ("pupil_id", "evaluation", "held_on", "cancelled_at")


def _outcomes(outcomes):
    return "outcome IS NULL OR outcome IN (%s)" % ", ".join("'%s'" % outcome for outcome in outcomes)


def _follow_up_model(db, outcomes, per_pupil):
    """The follow-ups' table as it stands before (per_pupil False) or after this migration."""

    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    user, case, pupil = table("user"), table("case"), table("pupil")
    agreement, conversation = table("agreement"), table("conversation")
    fields = {
        "case": ForeignKeyField(case, field=case.id, on_delete="CASCADE"),
        "agreement": ForeignKeyField(agreement, field=agreement.id, null=True, on_delete="SET NULL"),
        "conversation": ForeignKeyField(conversation, field=conversation.id, null=True, on_delete="SET NULL"),
        "due_on": DateField(),
        "with_whom": CharField(max_length=200, default=""),
        "done_at": DateTimeField(null=True),
        "done_by": ForeignKeyField(user, field=user.id, null=True, on_delete="SET NULL"),
        "outcome": CharField(max_length=16, null=True, constraints=[Check(_outcomes(outcomes))]),
        "note": TextField(default=""),
    }
    if per_pupil:
        fields.update({
            "pupil": ForeignKeyField(pupil, field=pupil.id, null=True, on_delete="RESTRICT"),
            "evaluation": BooleanField(default=False),
            "held_on": DateField(null=True),
            "cancelled_at": DateTimeField(null=True),
        })
    meta = type("Meta", (), {"database": db, "table_name": "follow_up",
                             "indexes": ((("done_at", "due_on"), False), (("outcome", "case"), False))})
    return type("FollowUp", (Model,), dict(fields, Meta=meta))


def _rebuild_sqlite(db, outcomes, per_pupil, copied_columns):
    db.execute_sql('ALTER TABLE "follow_up" RENAME TO "follow_up_old"')
    for (name,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                                  "'follow_up_old' AND sql IS NOT NULL").fetchall():
        db.execute_sql('DROP INDEX "%s"' % name)
    db.create_tables([_follow_up_model(db, outcomes, per_pupil)])
    columns = ", ".join('"%s"' % column for column in copied_columns)
    new, old = (columns + ', "evaluation"', columns + ", FALSE") if per_pupil else (columns, columns)
    db.execute_sql('INSERT INTO "follow_up" (%s) SELECT %s FROM "follow_up_old"' % (new, old))
    db.execute_sql('DROP TABLE "follow_up_old"')


OLD_COLUMNS = ("id", "case_id", "agreement_id", "conversation_id", "due_on", "with_whom", "done_at", "done_by_id",
               "outcome", "note")


def _pupils_of(db, agreement_id, conversation_id):
    """The pupils a follow-up was planned for: its agreement's pupil parties, or its conversation's pupils."""
    if agreement_id is not None:
        rows = db.execute_sql(
            "SELECT pupil_id FROM agreement_party WHERE agreement_id = %s AND pupil_id IS NOT NULL "
            "AND role IN (%s) ORDER BY id" % (db.param, ", ".join("'%s'" % role for role in PUPIL_ROLES)),
            (agreement_id,)).fetchall()
    elif conversation_id is not None:
        rows = db.execute_sql("SELECT pupil_id FROM conversation_participant WHERE conversation_id = %s "
                              "AND pupil_id IS NOT NULL ORDER BY id" % db.param, (conversation_id,)).fetchall()
    else:
        rows = []
    seen = []
    for (pupil_id,) in rows:
        if pupil_id not in seen:
            seen.append(pupil_id)
    return seen


def _give_pupils(db):
    """Each follow-up the pupil it can be known to be about; an open one for several, one per pupil."""
    p = db.param
    rows = db.execute_sql("SELECT id, case_id, agreement_id, conversation_id, due_on, with_whom, done_at, note "
                          "FROM follow_up WHERE pupil_id IS NULL ORDER BY id").fetchall()
    for follow_up_id, case_id, agreement_id, conversation_id, due_on, _, done_at, note in rows:
        pupils = _pupils_of(db, agreement_id, conversation_id)
        if done_at is not None:
            if len(pupils) == 1:
                db.execute_sql("UPDATE follow_up SET pupil_id = %s WHERE id = %s" % (p, p), (pupils[0], follow_up_id))
            continue
        if pupils:  # a talk still to come: with each pupil their own, named by the row's pupil
            db.execute_sql("UPDATE follow_up SET pupil_id = %s, with_whom = '' WHERE id = %s" % (p, p),
                           (pupils[0], follow_up_id))
        for pupil_id in pupils[1:]:
            db.execute_sql(
                "INSERT INTO follow_up (case_id, pupil_id, agreement_id, conversation_id, due_on, with_whom, "
                "note, evaluation) VALUES (%s)" % ", ".join([p] * 8),
                (case_id, pupil_id, agreement_id, conversation_id, due_on, "", note, False))
    # A recorded talk happened on the day it was recorded: the best that is known.
    db.execute_sql("UPDATE follow_up SET held_on = DATE(done_at) WHERE done_at IS NOT NULL")


def up(migrator, db):
    migrator.migrate(migrator.add_column("agreement", "superseded_at", DateTimeField(null=True)))
    outcomes = ("going_well", "not_kept", "not_held")
    if isinstance(db, SqliteDatabase):
        _rebuild_sqlite(db, outcomes, True, OLD_COLUMNS)
    else:
        class Pupil(Model):
            class Meta:
                database = db
                table_name = "pupil"

        migrator.migrate(
            migrator.add_column("follow_up", "pupil_id", ForeignKeyField(
                Pupil, field=Pupil.id, null=True, on_delete="RESTRICT")),
            migrator.add_column("follow_up", "evaluation", BooleanField(default=False)),
            migrator.add_column("follow_up", "held_on", DateField(null=True)),
            migrator.add_column("follow_up", "cancelled_at", DateTimeField(null=True)),
        )
        db.execute_sql("ALTER TABLE follow_up DROP CONSTRAINT IF EXISTS follow_up_outcome_check")
        db.execute_sql("ALTER TABLE follow_up ADD CONSTRAINT follow_up_outcome_check CHECK (%s)" % _outcomes(outcomes))
    _give_pupils(db)


def down(migrator, db):
    old = ("going_well", "not_kept")
    # What the old table cannot hold: the copies per pupil of an open follow-up, talks not held.
    db.execute_sql("DELETE FROM follow_up WHERE cancelled_at IS NOT NULL OR outcome = 'not_held' OR id IN ("
                   "SELECT f.id FROM follow_up f JOIN follow_up g ON g.case_id = f.case_id AND g.due_on = f.due_on "
                   "AND g.done_at IS NULL AND f.done_at IS NULL AND g.id < f.id "
                   "AND COALESCE(g.agreement_id, 0) = COALESCE(f.agreement_id, 0) "
                   "AND COALESCE(g.conversation_id, 0) = COALESCE(f.conversation_id, 0))")
    if isinstance(db, SqliteDatabase):
        _rebuild_sqlite(db, old, False, OLD_COLUMNS)
    else:
        db.execute_sql("ALTER TABLE follow_up DROP CONSTRAINT IF EXISTS follow_up_outcome_check")
        db.execute_sql("ALTER TABLE follow_up ADD CONSTRAINT follow_up_outcome_check CHECK (%s)" % _outcomes(old))
        migrator.migrate(*[migrator.drop_column("follow_up", column) for column in reversed(NEW_COLUMNS)])
    migrator.migrate(migrator.drop_column("agreement", "superseded_at"))
