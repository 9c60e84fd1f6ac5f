"""The public report page: threads with the reporter, their messages, expiring counters; mail settings."""
import datetime

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("school_settings", "mail_enabled", BooleanField(default=False)),
        migrator.add_column("school_settings", "smtp_host", CharField(max_length=200, default="")),
        migrator.add_column("school_settings", "smtp_port", IntegerField(default=587, constraints=[
            Check("smtp_port BETWEEN 1 AND 65535")])),
        migrator.add_column("school_settings", "smtp_username", CharField(max_length=200, default="")),
        migrator.add_column("school_settings", "smtp_starttls", BooleanField(default=True)),
        migrator.add_column("school_settings", "mail_sender", CharField(max_length=254, default="")),
        migrator.add_column("school_settings", "app_url", CharField(max_length=200, default="")),
    )

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Report(Model):
        class Meta:
            database = db
            table_name = "report"

    class Complaint(Model):
        class Meta:
            database = db
            table_name = "complaint"

    class PublicThread(Model):
        receipt_code = CharField(max_length=19, unique=True)
        phrase_hash = CharField(max_length=255)
        report = ForeignKeyField(Report, null=True, unique=True, on_delete="CASCADE")
        complaint = ForeignKeyField(Complaint, null=True, unique=True, on_delete="CASCADE")
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        reporter_seen_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "public_thread"
            constraints = [Check("(report_id IS NULL) <> (complaint_id IS NULL)")]

    class ThreadMessage(Model):
        thread = ForeignKeyField(PublicThread, on_delete="CASCADE")
        author_kind = CharField(max_length=8, constraints=[Check("author_kind IN ('reporter', 'staff')")])
        author = ForeignKeyField(User, null=True, on_delete="SET NULL")
        author_role = CharField(max_length=16, default="")
        show_name = BooleanField(default=False)
        body = TextField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            database = db
            table_name = "thread_message"
            indexes = ((("thread", "created_at"), False),)

    class PublicThrottle(Model):
        key = CharField(max_length=100, unique=True)
        count = IntegerField(default=0)
        expires_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "public_throttle"

    db.create_tables([PublicThread, ThreadMessage, PublicThrottle])


def down(migrator, db):
    db.execute_sql("DROP TABLE thread_message")
    db.execute_sql("DROP TABLE public_thread")
    db.execute_sql("DROP TABLE public_throttle")
    for column in ("mail_enabled", "smtp_host", "smtp_port", "smtp_username", "smtp_starttls", "mail_sender",
                   "app_url"):
        migrator.migrate(migrator.drop_column("school_settings", column))
