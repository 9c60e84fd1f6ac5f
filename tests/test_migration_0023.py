"""Migration 0023: the provider's settings and the provider accounts linked to users come after 0021 and go
again, on SQLite and PostgreSQL (make test-postgres). It adds tables only."""
import pytest
from peewee import IntegrityError
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0023_school_accounts"
USER = ("INSERT INTO \"user\" (username, full_name, password_hash, is_admin, is_active, language, created_at, "
        "password_changed_at) VALUES ('m', 'M', '', FALSE, TRUE, 'nl', '2026-01-01 10:00:00', '2026-01-01 10:00:00')")
IDENTITY = ("INSERT INTO user_identity (user_id, issuer, subject, linked_at) "
            "VALUES (1, 'https://login.example', %s, '2026-01-01 10:00:00')")
PROVIDER = ("INSERT INTO sign_in_provider (id, issuer, client_id, client_secret, allowed_domains, local_passwords, "
            "trust_provider_mfa, create_accounts, updated_at) VALUES (%d, '', '', '', '', '%s', FALSE, FALSE, "
            "'2026-01-01 10:00:00')")


def statuses(database):
    return {migration.name: migration.applied for migration in Runner(database, db.MIGRATIONS).status()}


def test_the_school_account_tables_come_after_0021_and_go_again(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    names = list(statuses(database))
    assert names.index(NAME) > names.index("0021_prevention")
    Runner(database, db.MIGRATIONS).up(names[names.index(NAME) - 1])
    database.execute_sql(USER)
    Runner(database, db.MIGRATIONS).up(NAME)
    database.execute_sql(PROVIDER % (1, "everyone"))
    with pytest.raises(IntegrityError), database.atomic():  # a single row
        database.execute_sql(PROVIDER % (2, "everyone"))
    database.execute_sql("DELETE FROM sign_in_provider")
    with pytest.raises(IntegrityError), database.atomic():  # everyone or administrators only
        database.execute_sql(PROVIDER % (1, "nobody"))
    database.execute_sql(IDENTITY % "'abc'")
    with pytest.raises(IntegrityError), database.atomic():  # one user per provider account
        database.execute_sql(IDENTITY % "'abc'")
    database.execute_sql('DELETE FROM "user"')  # a user's provider accounts go with the user
    assert database.execute_sql("SELECT COUNT(*) FROM user_identity").fetchall() == [(0,)]

    Runner(database, db.MIGRATIONS).down(NAME)
    assert not statuses(database)[NAME]
    Runner(database, db.MIGRATIONS).up()
    assert all(statuses(database).values())
    assert database.execute_sql("SELECT COUNT(*) FROM user_identity").fetchall() == [(0,)]
    database.close_all()
    drop_database(location)
