"""The database keeps data: pragmas, write locks, schema from migrations, append-only audit log."""
import sqlite3

import peewee
import pytest
from playhouse.schema_diff import diff_models

import db
import models
from domain import merges
from databases import Connection, postgres_only, sqlite_only


@sqlite_only("PRAGMAs are SQLite's connection settings")
def test_pragmas_are_set_on_a_live_connection(app):
    db = models.db
    db.connect(reuse_if_open=True)
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


@sqlite_only("BEGIN IMMEDIATE is SQLite's; the PostgreSQL test below checks its writer lock")
def test_transactions_take_the_write_lock_at_begin(app):
    """BEGIN IMMEDIATE: a second writer is refused at once while a transaction is open,
    even before the first one has written anything."""
    other = sqlite3.connect(app.config["DATABASE"], timeout=0, isolation_level=None)
    with models.db.atomic():
        models.User.select().count()  # a read only
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # free again after commit
    other.execute("ROLLBACK")
    other.close()


@postgres_only
def test_postgresql_transactions_take_the_writer_lock_at_begin(app):
    """Writers take turns on PostgreSQL too: while a transaction is open, even one that has
    only read, another connection cannot take the writers' lock; after commit it can."""
    lock = db.SerialWritesPostgresqlDatabase.WRITER_LOCK
    with Connection(app.config["DATABASE"]) as other:
        with models.db.atomic():
            models.User.select().count()  # a read only
            assert other.execute("SELECT pg_try_advisory_lock(?)", (lock,)) == [(False,)]
        assert other.execute("SELECT pg_try_advisory_lock(?)", (lock,)) == [(True,)]
        other.execute("SELECT pg_advisory_unlock(?)", (lock,))


def test_database_url_picks_the_database(tmp_path):
    """A file path is SQLite, postgresql:// (or postgres://) a pooled PostgreSQL; anything else is refused."""
    assert isinstance(db.open_database(str(tmp_path / "a.db")), db.QueuedWritesSqliteDatabase)
    for url in ("postgresql://herstel:geheim@127.0.0.1:5432/school", "postgres://herstel@db.example/school"):
        database = db.open_database(url)
        assert isinstance(database, db.SerialWritesPostgresqlDatabase) and not db.is_sqlite(database)
        assert database.database.startswith("postgresql://")
    with pytest.raises(ValueError, match="postgresql://"):
        db.open_database("mysql://herstel@127.0.0.1/school")


def test_migrations_build_exactly_the_schema_of_the_models(app):
    diff = diff_models(models.db.obj, models.MODELS)
    assert not diff, str(diff)


def test_check_constraints_refuse_unknown_choices(app, factory):
    user = factory.user()
    with pytest.raises(peewee.IntegrityError):
        with models.db.atomic():
            models.UserRole.create(user=user, role="headmaster")
    with pytest.raises(peewee.IntegrityError):
        with models.db.atomic():
            models.Involvement.create(case=factory.case(), pupil=factory.pupil(), role="villain")


def test_foreign_keys_are_enforced(app):
    with pytest.raises(peewee.IntegrityError):
        with models.db.atomic():
            models.Involvement.create(case=999999, pupil=999999, role="victim")


def test_audit_log_cannot_be_changed_or_deleted(app):
    event = models.AuditEvent.create(action="test.event", detail="original")
    with pytest.raises(peewee.DatabaseError, match="append-only"):
        with models.db.atomic():
            models.AuditEvent.update(detail="rewritten").where(models.AuditEvent.id == event.id).execute()
    with pytest.raises(peewee.DatabaseError, match="append-only"):
        with models.db.atomic():
            models.AuditEvent.delete().where(models.AuditEvent.id == event.id).execute()
    assert models.AuditEvent.get_by_id(event.id).detail == "original"


@postgres_only
def test_audit_log_triggers_of_the_first_migration_fire_on_postgresql(app):
    """Migration 0001's PL/pgSQL trigger refuses a change from any connection, not only the app's."""
    event = models.AuditEvent.create(action="test.event", detail="original")
    with Connection(app.config["DATABASE"]) as other:
        assert other.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                             "AND NOT tgisinternal") == [("audit_event_append_only",)]
        for statement in ("UPDATE audit_event SET detail = 'rewritten' WHERE id = ?",
                          "DELETE FROM audit_event WHERE id = ?"):
            with pytest.raises(Exception, match="append-only"):
                other.execute(statement, (event.id,))
        assert other.execute("SELECT detail FROM audit_event WHERE id = ?", (event.id,)) == [("original",)]


def test_audit_log_outlives_a_deleted_user(app, factory):
    user = factory.user("leaver")
    models.AuditEvent.create(action="login.success", user_id=user.id, username=user.username)
    user.delete_instance(recursive=True)
    assert models.AuditEvent.select().where(models.AuditEvent.username == "leaver").count() == 1


def test_pupils_are_listed_in_dutch_name_order(app, factory):
    school_class = factory.school_class()
    for first, infix, last in [("Daan", "van den", "Berg"), ("Anna", "", "Berg"), ("Kim", "de", "Aalst")]:
        factory.pupil(school_class, first, last, infix)
    names = [p.sort_name for p in models.Pupil.select().where(models.Pupil.school_class == school_class)
             .order_by(*models.Pupil.dutch_order())]
    assert names == ["Aalst, Kim de", "Berg, Anna", "Berg, Daan van den"]


def test_a_prepared_query_binds_new_values_each_call(app, factory):
    first, second = factory.user(username="eerste"), factory.user(username="tweede")
    by_name = db.Prepared(lambda name: models.User.select().where(models.User.username == name).limit(1))
    assert by_name.first("eerste").id == first.id
    assert by_name.first("tweede").id == second.id  # the SQL is reused, the value is not
    assert by_name.first("niemand") is None


def test_a_prepared_query_takes_a_list_for_in_built_once_per_length(app, factory):
    users = [factory.user(username="lijst%d" % number) for number in range(3)]
    by_ids = db.Prepared(lambda ids, name: models.User.select(models.User.username)
                             .where(models.User.id.in_(ids) & (models.User.username != name))
                             .order_by(models.User.username).tuples())
    ids = [user.id for user in users]
    assert by_ids.all(ids, "lijst1") == [("lijst0",), ("lijst2",)]
    assert by_ids.all(ids[:2], "lijst0") == [("lijst1",)]
    assert by_ids.all(ids[1:], "niemand") == [("lijst1",), ("lijst2",)]  # same length: the SQL is reused
    assert len(by_ids._compiled) == 2
    with pytest.raises(TypeError):
        by_ids.all(ids)


def test_forget_all_builds_every_prepared_query_afresh_at_its_next_run(app, factory):
    factory.user(username="eerste")
    built = []
    by_name = db.Prepared(lambda name: built.append(name) or models.User.select().where(models.User.username == name))
    by_name.first("eerste")
    by_name.first("eerste")
    assert len(built) == 1
    db.Prepared.forget_all()
    assert by_name.first("eerste").username == "eerste"
    assert len(built) == 2


def test_a_prepared_query_refuses_an_argument_that_never_reaches_its_sql(app):
    ignoring = db.Prepared(lambda name: models.User.select().limit(1))
    with pytest.raises(ValueError, match="parameter"):
        ignoring.first("eerste")



def _as_read(row):
    """A row as a query handed it out (joined records and extra columns included), to compare two readings."""
    if not isinstance(row, peewee.Model):
        return row
    extra = {name: value for name, value in vars(row).items() if not name.startswith("_")}
    return type(row).__name__, row.__data__, extra, {name: _as_read(joined) for name, joined in row.__rel__.items()}


def test_queries_read_together_give_what_each_gives_alone(app, factory):
    """The case page reads its lists in one statement (db.together): each list must be what its own query
    returns, the same rows in the same order, with the same types (days, times, booleans) and joined records."""
    daan = models.Pupil.get(models.Pupil.first_name == "Daan")
    factory.case(bully=daan, victim=factory.pupil())  # Daan bullied before: a list of earlier bullying
    reader = models.User.by_username("mentor")
    # Two cases about the same events, merged: the list of merges.
    with app.app_context():
        merges.merge(factory.case(mentor=reader), factory.case(mentor=reader), models.User.by_username("coordinator"))
    filled = set()
    for case in models.Case.select():
        together = case.contents(reader)
        alone = {name: list(query) for name, query in
                 models.cases._CASE_CONTENTS.query(case.id, reader.id).queries.items()}
        assert together.keys() == alone.keys()
        for name, rows in alone.items():
            assert [_as_read(row) for row in together[name]] == [_as_read(row) for row in rows], name
            filled |= {name} if rows else set()
    assert filled == set(alone), "a list no demo case fills is not compared: %s" % (set(alone) - filled)
