"""Migration 0031: the index of measures waiting for a second role comes after 0030 and goes again, on SQLite and
PostgreSQL (make test-postgres)."""
from databases import check_migration_comes_and_goes


def test_the_index_of_measures_waiting_comes_after_0030_and_goes_again(tmp_path):
    check_migration_comes_and_goes(tmp_path, "0031_measures_waiting", "0030_overview_stamp", lambda database: (
        "measure_waiting" in {index.name for index in database.get_indexes("measure")}))
