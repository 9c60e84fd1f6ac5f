"""Conversations keep their notes, wishes and agreements as lines, and amendments after finishing;
a follow-up can come from a conversation's next appointment."""
import datetime

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Conversation(Model):
        class Meta:
            database = db
            table_name = "conversation"

    class ConversationLine(Model):
        conversation = ForeignKeyField(Conversation, on_delete="CASCADE")
        kind = CharField(max_length=16, constraints=[Check("kind IN ('note', 'wish', 'agreement')")])
        text = TextField()
        client_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        removed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "conversation_line"

    class ConversationAmendment(Model):
        conversation = ForeignKeyField(Conversation, on_delete="CASCADE")
        at = DateTimeField(default=datetime.datetime.now)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        description = TextField()

        class Meta:
            database = db
            table_name = "conversation_amendment"

    db.create_tables([ConversationLine, ConversationAmendment])
    migrator.migrate(
        migrator.drop_column("conversation", "general_notes"),
        migrator.drop_column("conversation", "pupil_wishes"),
        migrator.add_column("follow_up", "conversation_id", ForeignKeyField(
            Conversation, field=Conversation.id, null=True, on_delete="SET NULL")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("follow_up", "conversation_id"),
        migrator.add_column("conversation", "general_notes", TextField(default="")),
        migrator.add_column("conversation", "pupil_wishes", TextField(default="")),
        migrator.drop_table("conversation_amendment"),
        migrator.drop_table("conversation_line"),
    )
