"""The public page's open threads: which browser may read which thread, kept on the server so that
closing a thread (or 30 idle minutes) ends that browser's access even to a copy of its cookie."""
import datetime

from peewee import *


def up(migrator, db):
    class PublicThread(Model):
        class Meta:
            database = db
            table_name = "public_thread"

    class PublicAccess(Model):
        thread = ForeignKeyField(PublicThread, on_delete="CASCADE")
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        last_seen_at = DateTimeField(default=datetime.datetime.utcnow, index=True)

        class Meta:
            database = db
            table_name = "public_access"

    db.create_tables([PublicAccess])


def down(migrator, db):
    db.execute_sql("DROP TABLE public_access")
