"""When a pupil took the role they have in a case, where that differs from when they were added to it: a
correction that gives a bystander the role of a bullied pupil. The parents of a bullied pupil hear of a measure
counted from the day the pupil was one in the case (domain/escalation.parents_to_inform); before this column, a
pupil made a bullied one after a measure stood overdue at once. Empty for a pupil whose role is the one they were
added with."""
from playhouse.migrate import *  # noqa: F401,F403


def up(migrator, db):
    migrate(migrator.add_column("involvement", "role_since", DateTimeField(null=True)))


def down(migrator, db):
    migrate(migrator.drop_column("involvement", "role_since"))
