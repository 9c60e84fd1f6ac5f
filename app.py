"""Herstel: the app factory and its command-line commands."""
import os

import click
from flask import Flask, has_request_context, session
from flask.cli import with_appcontext
from flask_babel import Babel, format_datetime, get_locale
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from playhouse.migrations import Runner
from werkzeug.local import LocalProxy
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import backup
import config
import i18n
import models
import permissions
import protocols
import retention
import security
import terminology
import workflow

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


def select_locale():
    """The user's language, else the one chosen on the login page, else Dutch."""
    from flask_login import current_user
    if not has_request_context():
        return "nl"  # command-line tools speak the default language
    if current_user and current_user.is_authenticated:
        return current_user.language
    return session.get("language") or "nl"


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in our routes: a number beyond the database's largest integer matches no
    route (404), where it would otherwise overflow in the query (500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2 ** 63 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config=None):
    """Build the Herstel app; test_config overrides the environment's settings."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RecordIdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["EVIDENCE_DIR"]:
        app.config["EVIDENCE_DIR"] = config.evidence_dir(app.config["DATABASE"], app.instance_path)
    if app.config["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    # A malformed protocol stops the start with a message naming the file and the problem.
    app.extensions["protocols"] = protocols.load_every_region(app.config["PROTOCOL_DIR"])

    models.db.initialize(models.open_database(app.config["DATABASE"]))
    migrate_database()
    close_all_connections()  # workers forked from a preloading server must open their own
    app.before_request(_open_database)
    app.teardown_request(_close_database)

    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.install(app.jinja_env)
    htmx.init_app(app)
    security.init_app(app, login_manager)
    app.jinja_env.globals.update(permissions.template_globals(), label=i18n.label, labels=i18n.labels, choices={
        "roles": models.ROLES, "involvement_roles": models.INVOLVEMENT_ROLES,
        "report_statuses": models.REPORT_STATUSES, "case_statuses": models.CASE_STATUSES,
        "step_statuses": models.STEP_STATUSES, "complaint_statuses": models.COMPLAINT_STATUSES,
        "approaches": models.APPROACHES, "approach_levels": models.APPROACH_LEVELS,
        "languages": models.LANGUAGES, "reporter_kinds": models.REPORTER_KINDS,
        "report_channels": models.REPORT_CHANNELS, "follow_up_outcomes": models.FOLLOW_UP_OUTCOMES, "bullying_kinds": models.BULLYING_KINDS,
        "complainant_kinds": models.COMPLAINANT_KINDS, "support_session_kinds": models.SUPPORT_SESSION_KINDS,
        "parent_channels": models.PARENT_CHANNELS, "referral_targets": models.REFERRAL_TARGETS,
        "referral_trainings": models.REFERRAL_TRAININGS,
    }, get_locale=get_locale, **terminology.template_globals())
    app.jinja_env.filters.update(date=i18n.long_date,
                                 datetime=lambda value: format_datetime(value, "d MMMM yyyy HH:mm")
                                 if value else "")
    app.jinja_env.globals.update(
        step_state=workflow.step_state,
        event_label=lambda kind: i18n.label(models.CASE_EVENT_KINDS, kind),
        protocol_step_title=protocols.step_title)
    app.jinja_env.filters["reject_keys"] = lambda mapping, *keys: {
        key: value for key, value in mapping.items() if key not in keys}
    # Only pages that show the school's name read the settings; htmx fragments do not.
    app.context_processor(lambda: {"school": LocalProxy(school_settings)})

    from views import (
        account, admin, agreements, auth, calendar, cases, complaints, conversations, errors, evidence, followups, home,
        monitor, notes, parents, public, public_thread, referrals, reports, settings, support, system,
    )
    for blueprint in (auth.bp, home.bp, account.bp, admin.bp, settings.bp, reports.bp, cases.bp,
                      conversations.bp, agreements.bp, followups.bp, monitor.bp, calendar.bp, support.bp,
                      complaints.bp, public.bp, public_thread.bp, system.bp, errors.bp, parents.bp, referrals.bp,
                      evidence.bp, notes.bp):
        app.register_blueprint(blueprint)
    from views import access_requests, audit_log, pupil_import
    app.register_blueprint(access_requests.bp)
    app.register_blueprint(audit_log.bp)
    app.register_blueprint(pupil_import.bp)

    app.cli.add_command(create_admin)
    app.cli.add_command(demo_command)
    app.cli.add_command(migrate_command)
    app.cli.add_command(notify_command)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(retention.retention_command)
    return app


def school_settings():
    """The school's settings, read at most once per request."""
    return models.SchoolSettings.cached()


def close_all_connections():
    """Really close every connection (a pool keeps them open otherwise)."""
    close_all = getattr(models.db.obj, "close_all", None)
    if close_all:
        close_all()
    elif not models.db.is_closed():
        models.db.close()


def _open_database():
    models.db.connect(reuse_if_open=True)


def _close_database(exc):
    if not models.db.is_closed():
        models.db.close()


def migrate_database():
    """Apply pending migrations and refresh the query planner's statistics; return the names applied.

    Without statistics SQLite can pick an index that reads every open step of the school
    instead of the few of one page of cases; ANALYZE takes about 0.15 s on 200,000 items.
    PostgreSQL's ANALYZE refreshes its planner's statistics the same way.
    """
    applied = Runner(models.db.obj, MIGRATIONS).up()
    models.db.execute_sql("ANALYZE")
    return applied


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Apply pending database migrations."""
    migrate_database()
    runner = Runner(models.db.obj, MIGRATIONS)
    for migration in runner.status():
        click.echo("%s %s" % ("[x]" if migration.applied else "[ ]", migration.name))
    click.echo("De database is bij.")


@click.command("notify")
@with_appcontext
def notify_command():
    """Send what waits in the outbox, then today's e-mail digests of due and overdue steps (from cron)."""
    import notify
    import public_reports
    with models.db.atomic():
        public_reports.purge_expired_counters()
    queued_sent, queued_failed = notify.deliver()
    if queued_sent or queued_failed:
        click.echo("%d melding(en) uit de wachtrij verstuurd, %d mislukt." % (queued_sent, queued_failed))
    sent, failed = notify.send_digests()
    click.echo("%d overzicht(en) verstuurd, %d mislukt." % (sent, failed))
    if failed or queued_failed:
        raise SystemExit(1)


@click.command("create-admin")
@with_appcontext
@click.option("--username", prompt="Gebruikersnaam")
@click.option("--full-name", prompt="Volledige naam")
@click.password_option("--password", prompt="Wachtwoord", confirmation_prompt="Herhaal het wachtwoord")
def create_admin(username, full_name, password):
    """Create an administrator account (for the first login on a non-demo install)."""
    from forms.admin import password_problem
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    if models.User.by_username(username):
        raise click.ClickException("Gebruiker %r bestaat al." % username)
    with models.db.atomic():
        user = models.User(username=username.strip(), full_name=full_name.strip(), is_admin=True)
        user.set_password(password)
        user.save()
        models.AuditEvent.create(action="user.create", username="cli", object_type="user",
                                 object_id=user.id, detail="beheerder aangemaakt via de opdrachtregel")
    click.echo("Beheerder %s aangemaakt." % user.username)


@click.command("demo")
@with_appcontext
@click.option("--reset", is_flag=True, help="Wipe the database and load the demo data anew.")
def demo_command(reset):
    """Load the demo school when the database is empty (or, with --reset, always)."""
    import demo
    if reset:
        demo.wipe()
    if models.User.select().exists():
        click.echo("De database bevat al gegevens; demo niet opnieuw geladen "
                   "(gebruik 'make demo-reset' om opnieuw te beginnen).")
    else:
        demo.load()
        click.echo("Demodata geladen.")
    click.echo(demo.accounts_text())
