"""Escalation decided by the people the protocol names, and a case's severity (issue 19).

- Two roles: the team leader and management (a user's role is kept to the known roles by a CHECK;
  SQLite cannot change one, so there the roles' table is built anew and its rows copied over,
  PostgreSQL swaps the CHECK in place).
- A case's severity (seed 001 step 6: the parents hear sooner when the bullying is serious), and the
  escalation phase it stands at with the roles that decide that phase.
- A measure keeps the roles that decide its phase and those it still waits for, and each role's
  decision is a row of its own.

The case's columns are added with a default in one statement each: the migrator would build a
NOT NULL column's table anew on SQLite, and "case" is the table half the others point to.
"""
import datetime

from peewee import CharField, Check, DateTimeField, ForeignKeyField, Model, SqliteDatabase

ROLES = ("staff", "mentor", "coordinator", "support", "counsellor", "teamleader", "management")
OLD_ROLES = ROLES[:5]


def _known(values):
    return ", ".join("'%s'" % value for value in values)


def _roles_with(db, roles):
    """Build the roles' table anew with a CHECK for `roles`, keeping every row of such a role."""
    if not isinstance(db, SqliteDatabase):
        db.execute_sql("DELETE FROM user_role WHERE role NOT IN (%s)" % _known(roles))
        db.execute_sql("ALTER TABLE user_role DROP CONSTRAINT IF EXISTS user_role_role_check")
        db.execute_sql("ALTER TABLE user_role ADD CONSTRAINT user_role_role_check CHECK (role IN (%s))"
                       % _known(roles))
        return

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class UserRole(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = CharField(max_length=16, constraints=[Check("role IN (%s)" % _known(roles))])

        class Meta:
            database = db
            table_name = "user_role"
            indexes = ((("user", "role"), True),)

    db.execute_sql('ALTER TABLE "user_role" RENAME TO "user_role_old"')
    for index in ("userrole_user_id", "userrole_user_id_role"):
        db.execute_sql('DROP INDEX IF EXISTS "%s"' % index)
    db.create_tables([UserRole])
    db.execute_sql('INSERT INTO "user_role" (id, user_id, role) '
                   'SELECT id, user_id, role FROM "user_role_old" WHERE role IN (%s)' % _known(roles))
    db.execute_sql('DROP TABLE "user_role_old"')


def up(migrator, db):
    _roles_with(db, ROLES)
    for statement in (
            "ALTER TABLE \"case\" ADD COLUMN severity VARCHAR(8) NOT NULL DEFAULT 'normal' "
            "CHECK (severity IN ('normal', 'serious'))",
            'ALTER TABLE "case" ADD COLUMN escalation_phase INTEGER '
            "CHECK (escalation_phase IS NULL OR escalation_phase BETWEEN 1 AND 5)",
            "ALTER TABLE \"case\" ADD COLUMN escalation_deciders VARCHAR(100) NOT NULL DEFAULT ''",
            "ALTER TABLE measure ADD COLUMN deciding_roles VARCHAR(100) NOT NULL DEFAULT ''",
            "ALTER TABLE measure ADD COLUMN waiting_for VARCHAR(100) NOT NULL DEFAULT ''"):
        db.execute_sql(statement)

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Measure(Model):
        class Meta:
            database = db
            table_name = "measure"

    class MeasureDecider(Model):
        measure = ForeignKeyField(Measure, on_delete="CASCADE")
        role = CharField(max_length=16, constraints=[Check("role IN (%s)" % _known(ROLES))])
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        decided_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            database = db
            table_name = "measure_decider"
            indexes = ((("measure", "role"), True),)

    db.create_tables([MeasureDecider])


def down(migrator, db):
    db.execute_sql("DROP TABLE measure_decider")
    migrator.migrate(
        migrator.drop_column("measure", "waiting_for"),
        migrator.drop_column("measure", "deciding_roles"),
        migrator.drop_column("case", "escalation_deciders"),
        migrator.drop_column("case", "escalation_phase"),
        migrator.drop_column("case", "severity"),
    )
    _roles_with(db, OLD_ROLES)
