"""The second factor at login: the confirmed and the pending TOTP secret, the last step a code
was accepted for, hashed recovery codes, and notices a user reads at their next login."""
import datetime

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("user", "totp_pending_secret", CharField(max_length=64, null=True)),
        migrator.add_column("user", "totp_last_step", IntegerField(null=True)),
        migrator.add_column("user", "totp_enabled_at", DateTimeField(null=True)),
    )

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class RecoveryCode(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        code_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "recovery_code"

    class SecurityNotice(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        kind = CharField(max_length=16, constraints=[
            Check("kind IN ('mfa_enrolled', 'mfa_reset', 'mfa_disabled', 'recovery_used')")])
        created_at = DateTimeField(default=datetime.datetime.now)
        actor = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "security_notice"
            indexes = ((("user", "created_at"), False),)

    db.create_tables([RecoveryCode, SecurityNotice])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table("security_notice"),
        migrator.drop_table("recovery_code"),
        migrator.drop_column("user", "totp_enabled_at"),
        migrator.drop_column("user", "totp_last_step"),
        migrator.drop_column("user", "totp_pending_secret"),
    )
