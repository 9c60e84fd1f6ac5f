"""Signing in with the school's own accounts (issue 24): the provider's settings (one row) and which
provider account (issuer and subject) belongs to which user. New tables only, pointing at the user
table that 0001 made, so it stands on any migration before it."""
import datetime

from peewee import BooleanField, CharField, Check, DateTimeField, ForeignKeyField, Model

TABLES = ("user_identity", "sign_in_provider")


def up(migrator, db):
    now = datetime.datetime.utcnow

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class SignInProvider(Model):
        issuer = CharField(max_length=300, default="")
        client_id = CharField(max_length=300, default="")
        client_secret = CharField(max_length=500, default="")
        allowed_domains = CharField(max_length=500, default="")
        local_passwords = CharField(max_length=8, default="everyone",
                                    constraints=[Check("local_passwords IN ('everyone', 'admins')")])
        trust_provider_mfa = BooleanField(default=False)
        create_accounts = BooleanField(default=False)
        updated_at = DateTimeField(default=now)

        class Meta:
            database = db
            table_name = "sign_in_provider"
            constraints = [Check("id = 1")]

    class UserIdentity(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        issuer = CharField(max_length=300)
        subject = CharField(max_length=255)
        linked_at = DateTimeField(default=now)
        last_login_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "user_identity"
            indexes = ((("issuer", "subject"), True),)

    db.create_tables([SignInProvider, UserIdentity])


def down(migrator, db):
    for table in TABLES:
        db.execute_sql('DROP TABLE "%s"' % table)
