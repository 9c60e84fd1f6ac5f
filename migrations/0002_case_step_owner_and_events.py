"""Steps carry their owner and position; cases get a timeline of events."""
import datetime

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("case_step", "position", IntegerField(default=0)),
        migrator.add_column("case_step", "owner", CharField(max_length=16, default="mentor", constraints=[
            Check("owner IN ('mentor', 'coordinator', 'support', 'counsellor')")])),
    )

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Case(Model):
        class Meta:
            database = db
            table_name = "case"

    class CaseEvent(Model):
        case = ForeignKeyField(Case, on_delete="CASCADE")
        at = DateTimeField(default=datetime.datetime.now)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        kind = CharField(max_length=32)
        text = TextField(default="")

        class Meta:
            database = db
            table_name = "case_event"
            indexes = ((("case", "at"), False),)

    db.create_tables([CaseEvent])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("case_event"),
                     migrator.drop_column("case_step", "owner"),
                     migrator.drop_column("case_step", "position"))
