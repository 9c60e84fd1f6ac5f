"""Retention beyond cases: when a loose report or a complaint was anonymised, and when a complaint closed.

Complaints closed before this migration get today as their closing day: their period starts
now, so nothing is removed sooner than the school's period allows.
"""
import datetime

from peewee import DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("report", "anonymised_at", DateTimeField(null=True)),
        migrator.add_column("complaint", "closed_at", DateTimeField(null=True)),
        migrator.add_column("complaint", "anonymised_at", DateTimeField(null=True)),
    )
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    db.execute_sql("UPDATE complaint SET closed_at = %s WHERE status = 'closed'" % db.param, (now,))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("report", "anonymised_at"),
        migrator.drop_column("complaint", "closed_at"),
        migrator.drop_column("complaint", "anonymised_at"),
    )
