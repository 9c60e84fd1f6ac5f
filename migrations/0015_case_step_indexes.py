"""Indexes for the lists of a school with 20,000 cases.

Steps by key and status: the overview's "open step" filter without walking every open step.
Steps by owner, status and deadline: the coordinator's "what is due" on the home page.
Follow-ups by outcome: the cases whose agreements were broken twice, on the same page.
"""
from playhouse.migrate import *  # noqa: F401,F403


def up(migrator, db):
    migrator.migrate(migrator.add_index("case_step", ("step_key", "status"), False),
                     migrator.add_index("case_step", ("owner", "status", "due_on"), False),
                     migrator.add_index("follow_up", ("outcome", "case_id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("follow_up", "follow_up_outcome_case_id"),
                     migrator.drop_index("case_step", "case_step_owner_status_due_on"),
                     migrator.drop_index("case_step", "case_step_step_key_status"))
