"""Steps by key and status: the overview's "open step" filter without walking every open step."""
from playhouse.migrate import *  # noqa: F401,F403


def up(migrator, db):
    migrator.migrate(migrator.add_index("case_step", ("step_key", "status"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("case_step", "case_step_step_key_status"))
