"""Signals that reach the mentor, and a case that can be corrected (issue 20).

- A report can be confidential for the coordinator: the mentors of the pupils it names do not see it.
- A pupil named in a report can be named as the one who was bullied or the one who bullied; the
  coordinator's case form takes those roles over.
- A step set aside by hand (not applicable) keeps the reason; the protocol's own rules then leave it
  so until someone undoes it.

Each column is added with its default in one statement: the migrator would build a NOT NULL
column's table anew on SQLite.
"""


def up(migrator, db):
    for statement in (
            "ALTER TABLE report ADD COLUMN confidential BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE report_pupil ADD COLUMN role VARCHAR(16) "
            "CHECK (role IS NULL OR role IN ('victim', 'bully'))",
            "ALTER TABLE case_step ADD COLUMN set_aside_reason TEXT NOT NULL DEFAULT ''"):
        db.execute_sql(statement)


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("case_step", "set_aside_reason"),
        migrator.drop_column("report_pupil", "role"),
        migrator.drop_column("report", "confidential"),
    )
