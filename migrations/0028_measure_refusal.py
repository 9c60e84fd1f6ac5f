"""A measure that waits for a second deciding role can be refused by that role, with a reason: when, by whom
and why are kept on the measure. A refused measure is not decided; the proposal it answered comes back."""
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
        migrator.add_column("measure", "refusal_reason", TextField(default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("measure", "measure_refused_by_id"),  # SQLite drops no column an index names
        migrator.drop_column("measure", "refusal_reason"),
        migrator.drop_column("measure", "refused_by_id"),
        migrator.drop_column("measure", "refused_at"),
    )
