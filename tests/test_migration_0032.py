"""Migration 0032: when a pupil took their role in a case (a column of involvement) comes after 0031 and goes
again, on SQLite and PostgreSQL (make test-postgres)."""
from databases import check_migration_comes_and_goes


def test_the_day_a_pupil_took_their_role_comes_after_0031_and_goes_again(tmp_path):
    check_migration_comes_and_goes(tmp_path, "0032_involvement_role_since", "0031_measures_waiting", lambda database: (
        "role_since" in {column.name for column in database.get_columns("involvement")}))
