"""A measure that waits for a second deciding role can be refused by that role, with a reason: when, by whom and
why are kept on the measure. A refused measure is not decided; the proposal it answered comes back.

peewee adds a NOT NULL column in three steps, the last of which rebuilds the table on SQLite, and a rebuilt
table loses the monitor's triggers (0025, 0026). So on SQLite the reason's column is added NOT NULL with its
default in one statement, which SQLite allows; every column here is added and dropped without a rebuild."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.add_column("measure", "refused_at", DateTimeField(null=True)),
        migrator.add_column("measure", "refused_by_id", ForeignKeyField(
            User, field=User.id, null=True, on_delete="SET NULL")),
    )
    if isinstance(db, SqliteDatabase):
        db.execute_sql("ALTER TABLE measure ADD COLUMN refusal_reason TEXT NOT NULL DEFAULT ''")
    else:
        migrator.migrate(migrator.add_column("measure", "refusal_reason", TextField(default="")))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("measure", "measure_refused_by_id"),  # SQLite drops no column an index names
        migrator.drop_column("measure", "refusal_reason"),
        migrator.drop_column("measure", "refused_by_id"),
        migrator.drop_column("measure", "refused_at"),
    )
