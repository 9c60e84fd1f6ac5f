"""Users by role: the overview's mentor filter finds the school's mentors through it, and asks whether there are
more than it lists (a board's hundreds) without reading every role of every user."""
from playhouse.migrate import *  # noqa: F401,F403


def up(migrator, db):
    migrator.migrate(migrator.add_index("user_role", ("role", "user_id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("user_role", "user_role_role_user_id"))
