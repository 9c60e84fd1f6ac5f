"""Herstel's commands: `flask --app app <command>` (migrate, demo, create-admin, notify, backup, retention)."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext

import demo
import models
from db import db, migrate_database, migration_status
from domain import backup, notify, public, retention
from forms.admin import password_problem


def register(app):
    """Add every command to the app's `flask` command line."""
    for command in (create_admin, demo_command, migrate_command, notify_command, backup_command, retention_command):
        app.cli.add_command(command)


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Apply pending database migrations."""
    migrate_database()
    for name, applied in migration_status():
        click.echo("%s %s" % ("[x]" if applied else "[ ]", name))
    click.echo("De database is bij.")


@click.command("notify")
@with_appcontext
def notify_command():
    """Send what waits in the outbox, then today's e-mail digests of due and overdue steps (from cron)."""
    with db.atomic():
        public.purge_expired_counters()
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
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    if models.User.by_username(username):
        raise click.ClickException("Gebruiker %r bestaat al." % username)
    with db.atomic():
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
    if reset:
        demo.wipe()
    if models.User.select().exists():
        click.echo("De database bevat al gegevens; demo niet opnieuw geladen "
                   "(gebruik 'make demo-reset' om opnieuw te beginnen).")
    else:
        demo.load()
        click.echo("Demodata geladen.")
    click.echo(demo.accounts_text())


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH when it exists.")
def backup_command(path, force):
    """Copy the database to PATH while the app runs (SQLite's online backup)."""
    try:
        size = backup.make_backup(current_app.config["DATABASE"], path, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Reservekopie gemaakt: %s (%.1f MB, integriteit in orde)." % (
        os.path.abspath(path), size / 1024 / 1024))


@click.command("retention")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Only list what would be anonymised.")
def retention_command(dry_run):
    """Anonymise closed cases, loose reports and closed complaints older than the school's retention period."""
    months = models.SchoolSettings.current().retention_months
    if dry_run:
        work = retention.plan()
        click.echo("Proefdraai (er verandert niets). Bewaartermijn: %d maanden na sluiten." % months)
        for cleanup in work.cleanups():
            click.echo("- " + retention.describe(cleanup))
        click.echo("%s zouden worden geanonimiseerd." % retention.counts(work))
        click.echo("%d bewijsbestanden zonder bewijsregel zouden worden verwijderd." % len(retention.orphan_files()))
        return
    work, leftovers = retention.run()
    orphans, orphans_left = retention.remove_orphan_files()
    leftovers += orphans_left
    for cleanup in work.cleanups():
        click.echo("- " + retention.describe(cleanup, ids_only=True))
    click.echo("%s geanonimiseerd (bewaartermijn %d maanden); vastgelegd in het logboek."
               % (retention.counts(work), months))
    if orphans:
        click.echo("%d bewijsbestanden zonder bewijsregel verwijderd." % len(orphans))
    if leftovers:
        raise click.ClickException("Deze bewijsbestanden konden niet worden verwijderd: %s" % ", ".join(leftovers))
