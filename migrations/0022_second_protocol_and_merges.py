"""A second protocol beside a case's own, and two cases merged into one (issue 20).

- A case can follow a second protocol beside its first (the online protocol beside the school's own):
  its key, and when it was added (its deadlines count from that day).
- A merge keeps what it moved (JSON, so that undoing it on the same day puts every record back) and
  points from the closed case to the one it went into; an undone merge keeps its row, with when.

The case's columns are added in one statement each: the migrator would build the table anew on SQLite,
and "case" is the table half the others point to. The pointer lives in the merge's own table, so the
case table gains no foreign key (SQLite cannot drop a column that has one).
"""
import datetime

from peewee import DateTimeField, ForeignKeyField, Model, SqliteDatabase, TextField


def up(migrator, db):
    moment = "DATETIME" if isinstance(db, SqliteDatabase) else "TIMESTAMP"
    for statement in (
            'ALTER TABLE "case" ADD COLUMN second_protocol_key VARCHAR(64)',
            'ALTER TABLE "case" ADD COLUMN second_protocol_added_at %s' % moment):
        db.execute_sql(statement)

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Case(Model):
        class Meta:
            database = db
            table_name = "case"

    class CaseMerge(Model):
        kept = ForeignKeyField(Case, on_delete="CASCADE")
        merged = ForeignKeyField(Case, on_delete="CASCADE")
        merged_at = DateTimeField(default=datetime.datetime.utcnow)
        merged_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        moved = TextField(default="{}")
        undone_at = DateTimeField(null=True)
        undone_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "case_merge"
            indexes = ((("merged", "undone_at"), False), (("kept", "undone_at"), False))

    db.create_tables([CaseMerge])


def down(migrator, db):
    db.execute_sql("DROP TABLE case_merge")
    migrator.migrate(
        migrator.drop_column("case", "second_protocol_added_at"),
        migrator.drop_column("case", "second_protocol_key"),
    )
