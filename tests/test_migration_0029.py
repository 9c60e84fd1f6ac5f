"""Migration 0029: the index of users by role comes after 0028 and goes again, on SQLite and PostgreSQL
(make test-postgres)."""
from databases import check_migration_comes_and_goes


def test_the_index_of_users_by_role_comes_after_0028_and_goes_again(tmp_path):
    check_migration_comes_and_goes(tmp_path, "0029_user_role_by_role", "0028_measure_refusal", lambda database: (
        "user_role_role_user_id" in {index.name for index in database.get_indexes("user_role")}))
