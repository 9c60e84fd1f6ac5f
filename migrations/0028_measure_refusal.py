"""A measure that waits for a second deciding role can be refused by that role, with a reason: when, by whom and
why are kept on the measure. A refused measure is not decided; the proposal it answered comes back.

peewee adds a NOT NULL column in three steps, the last of which rebuilds the table on SQLite, and a rebuilt
table loses the monitor's triggers (0025, 0026). So on SQLite the reason's column is added NOT NULL with its
default in one statement, which SQLite allows; every column here is added and dropped without a rebuild.

A refused measure is not counted by the monitor, so refusing one marks its school year's stored figures stale:
the measure's trigger of 0026 watches refused_at too (UPDATE OF decided_on, phase, refused_at)."""
import importlib

from peewee import *

YEARS = importlib.import_module("migrations.0026_monitor_years")
WATCHED = YEARS.YEARS["measure"][0] + ("refused_at",)


def _watch(db, columns):
    """The measure's trigger of 0026, watching these columns."""
    if isinstance(db, SqliteDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS monitor_year_measure_update")
        body = " ".join(statement + ";" for row in ("OLD", "NEW") for statement in YEARS.marks("measure", row, True))
        db.execute_sql('CREATE TRIGGER monitor_year_measure_update AFTER UPDATE OF %s ON "measure" BEGIN %s END'
                       % (", ".join(columns), body))
    else:
        db.execute_sql('DROP TRIGGER IF EXISTS monitor_year_measure ON "measure"')
        db.execute_sql('CREATE TRIGGER monitor_year_measure AFTER INSERT OR DELETE OR UPDATE OF %s ON "measure" '
                       "FOR EACH ROW EXECUTE FUNCTION monitor_year_measure()" % ", ".join(columns))


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
    _watch(db, WATCHED)


def down(migrator, db):
    _watch(db, YEARS.YEARS["measure"][0])  # first: no column a trigger names is dropped
    migrator.migrate(
        migrator.drop_index("measure", "measure_refused_by_id"),  # SQLite drops no column an index names
        migrator.drop_column("measure", "refusal_reason"),
        migrator.drop_column("measure", "refused_by_id"),
        migrator.drop_column("measure", "refused_at"),
    )
