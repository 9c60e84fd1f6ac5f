"""The outbox: the public page's notices are written with what they announce and e-mailed after the response."""
import datetime

from peewee import *


def up(migrator, db):
    class OutboxMail(Model):
        recipients = TextField()
        subject = CharField(max_length=200)
        body = TextField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(default=datetime.datetime.utcnow, index=True)
        last_error = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "outbox_mail"

    db.create_tables([OutboxMail])


def down(migrator, db):
    db.execute_sql("DROP TABLE outbox_mail")
