"""An administrator's reset of a password or a second factor: when it happened (until the user proves
a second factor of their own, their confidential notes stay sealed), and two notices that tell the
user: "password_reset" and "reset_both" (password and second factor, which together let whoever
reset them log in as the user).

SQLite cannot change a CHECK, so there the notices' table is built anew and its rows copied over;
PostgreSQL swaps the CHECK in place.
"""
import datetime

from peewee import CharField, Check, DateTimeField, ForeignKeyField, Model, SqliteDatabase

KINDS = ("mfa_enrolled", "mfa_reset", "mfa_disabled", "recovery_used", "password_reset", "reset_both")
OLD_KINDS = KINDS[:4]


def _known(kinds):
    return ", ".join("'%s'" % kind for kind in kinds)


def _notices_with(db, kinds):
    """Build the notices' table anew with a CHECK for `kinds`, keeping every row of such a kind."""
    if not isinstance(db, SqliteDatabase):
        db.execute_sql("DELETE FROM security_notice WHERE kind NOT IN (%s)" % _known(kinds))
        db.execute_sql("ALTER TABLE security_notice DROP CONSTRAINT IF EXISTS security_notice_kind_check")
        db.execute_sql("ALTER TABLE security_notice ADD CONSTRAINT security_notice_kind_check CHECK (kind IN (%s))"
                       % _known(kinds))
        return

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class SecurityNotice(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        kind = CharField(max_length=16, constraints=[Check("kind IN (%s)" % _known(kinds))])
        created_at = DateTimeField(default=datetime.datetime.now)
        actor = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "security_notice"
            indexes = ((("user", "created_at"), False),)

    db.execute_sql('ALTER TABLE "security_notice" RENAME TO "security_notice_old"')
    for index in ("securitynotice_user_id", "securitynotice_user_id_created_at"):
        db.execute_sql('DROP INDEX IF EXISTS "%s"' % index)
    db.create_tables([SecurityNotice])
    db.execute_sql('INSERT INTO "security_notice" (id, user_id, kind, created_at, actor) '
                   'SELECT id, user_id, kind, created_at, actor FROM "security_notice_old" WHERE kind IN (%s)'
                   % _known(kinds))
    db.execute_sql('DROP TABLE "security_notice_old"')


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("user", "admin_password_reset_at", DateTimeField(null=True)),
        migrator.add_column("user", "admin_factor_reset_at", DateTimeField(null=True)),
    )
    _notices_with(db, KINDS)


def down(migrator, db):
    _notices_with(db, OLD_KINDS)
    migrator.migrate(
        migrator.drop_column("user", "admin_factor_reset_at"),
        migrator.drop_column("user", "admin_password_reset_at"),
    )
