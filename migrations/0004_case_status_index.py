"""Cases by status and opening date: the overview's count and page without a table scan."""
from playhouse.migrate import *  # noqa: F401,F403


def up(migrator, db):
    migrator.migrate(migrator.add_index("case", ("status", "opened_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("case", "case_status_opened_at"))
