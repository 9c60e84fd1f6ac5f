"""A referral to a training names which one; closing a referral records who closed it and why."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.add_column("referral", "training", CharField(max_length=24, null=True, constraints=[
            Check("training IS NULL OR training IN "
                  "('social_skills', 'resilience', 'aggression_regulation', 'other')")])),
        migrator.add_column("referral", "closed_by_id", ForeignKeyField(
            User, field=User.id, null=True, on_delete="SET NULL")),
        migrator.add_column("referral", "close_note", TextField(default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("referral", "close_note"),
        migrator.drop_column("referral", "closed_by_id"),
        migrator.drop_column("referral", "training"),
    )
