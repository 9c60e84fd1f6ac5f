"""Herstel's commands: `flask --app app <command>` (migrate, demo, create-admin, notify, backup, backup-key,
restore, export, import, retention)."""
import datetime
import os

import click
from flask import current_app
from flask.cli import with_appcontext

import demo
import models
from db import SCHOOL_TIMEZONE, InUse, db, migrate_database, migration_status
from domain import archive, backup, export, notify, public, restore, retention
from forms.admin import password_problem


def register(app):
    """Add every command to the app's `flask` command line."""
    for command in (create_admin, demo_command, migrate_command, notify_command, backup_command, backup_key_command,
                    restore_command, export_command, import_command, retention_command):
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
@click.option("--unencrypted", is_flag=True,
              help="Write the archive without encryption, on purpose: anyone who reads it reads the pupils' data.")
def backup_command(path, force, unencrypted):
    """One archive with the database and every evidence file, encrypted for HERSTEL_BACKUP_RECIPIENT."""
    try:
        keys = [] if unencrypted else archive.recipients(current_app.config["BACKUP_RECIPIENTS"])
        if not keys and not unencrypted:
            raise archive.ArchiveError(archive.NO_KEY)
        made = backup.make_backup(current_app.config, path, keys, force=force)
    except archive.ArchiveError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Reservekopie gemaakt: %s (%s, database en %d bewijsbestanden, %s)." % (
        made.path, human_size(made.size), made.evidence_files,
        "versleuteld" if made.encrypted else "ONVERSLEUTELD: bewaar het als de gegevens zelf"))
    if made.missing_evidence:
        click.echo("Let op: de bestanden van bewijsregel(s) %s stonden al niet meer in %s; de rest is bewaard." % (
            ", ".join(map(str, made.missing_evidence)), current_app.config["EVIDENCE_DIR"]))


def human_size(size):
    return "%.1f MB" % (size / 1024 / 1024) if size >= 100 * 1024 else "%d kB" % max(1, round(size / 1024))


@click.command("backup-key")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--no-passphrase", is_flag=True, help="Leave the key file unprotected (keep it somewhere locked).")
def backup_key_command(path, no_passphrase):
    """Make the backups' key pair: the secret key into PATH (keep it off this server), the public key on screen."""
    passphrase = ""
    if not no_passphrase:
        passphrase = click.prompt("Wachtwoordzin voor het sleutelbestand", hide_input=True,
                                  confirmation_prompt="Herhaal de wachtwoordzin")
        if len(passphrase) < MIN_PASSPHRASE:
            raise click.ClickException("Kies een wachtwoordzin van minstens %d tekens (of --no-passphrase)."
                                       % MIN_PASSPHRASE)
    try:
        public = archive.new_key(path, passphrase)
    except archive.ArchiveError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Geheime sleutel geschreven naar %s%s." % (
        path, ", beschermd met de wachtwoordzin" if passphrase else ""))
    click.echo("Zet dit in de omgeving van de dienst (niet in de database):")
    click.echo("  HERSTEL_BACKUP_RECIPIENT=%s" % public)
    click.echo("Bewaar het sleutelbestand (en de wachtwoordzin) buiten deze server, op twee plekken. Zonder die "
               "sleutel kan niemand de reservekopieën openen, ook wij niet.")


MIN_PASSPHRASE = 12


@click.command("restore")
@with_appcontext
@click.argument("archive_path", metavar="ARCHIVE", type=click.Path(dir_okay=False))
@click.option("--key-file", help="The secret key made by backup-key (default: HERSTEL_BACKUP_IDENTITY).")
def restore_command(archive_path, key_file):
    """Check a backup completely, keep the current data aside, put the backup in place (server stopped)."""
    try:
        done = restore.restore(
            current_app.config, archive_path, current_app.extensions["herstel.running"],
            key_file=key_file or current_app.config["BACKUP_IDENTITY_FILE"] or None,
            ask_passphrase=lambda: click.prompt("Wachtwoordzin van het sleutelbestand", hide_input=True))
    except (archive.ArchiveError, InUse) as error:
        raise click.ClickException(str(error)) from error
    made_at = datetime.datetime.fromisoformat(done.made_at).astimezone(SCHOOL_TIMEZONE)
    click.echo("Teruggezet: de reservekopie van %s, met %d bewijsbestanden; alles is gecontroleerd." % (
        made_at.strftime("%d-%m-%Y %H:%M:%S"), done.evidence_files))
    if done.migrations_applied:
        click.echo("Bijgewerkt met de migraties %s." % ", ".join(done.migrations_applied))
    if done.aside:
        click.echo("Wat er stond, staat opzij (zo maak je het ongedaan: server stoppen, terugzetten):")
        for path in done.aside:
            click.echo("  " + path)
    click.echo("Start de server weer.")


@click.command("export")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH when it exists.")
def export_command(path, force):
    """Everything in open formats in one ZIP: JSON per table, CSV lists, evidence files, signed agreements."""
    try:
        done = export.save_export(path, force=force)
    except export.ExportError as error:
        raise click.ClickException(str(error)) from error
    with db.atomic():
        models.AuditEvent.append(action="school.export", username="cli", object_type="school", detail=(
            "%d rijen, %d bewijsbestanden, %d overeenkomsten" % (done.rows, done.evidence_files, done.agreements)))
    click.echo("Export geschreven: %s (%d tabellen, %d rijen, %d bewijsbestanden, %d ondertekende overeenkomsten)."
               % (os.path.abspath(path), done.tables, done.rows, done.evidence_files, done.agreements))
    click.echo("Hij is niet versleuteld: bewaar hem als de gegevens zelf. README.md erin beschrijft de inhoud.")
    if done.missing_evidence:
        click.echo("Let op: de bestanden van bewijsregel(s) %s ontbraken al." % ", ".join(
            map(str, done.missing_evidence)))


@click.command("import")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path):
    """Read an export (flask export) into this empty installation; the server must be stopped."""
    try:
        done = export.import_export(path, current_app.config, current_app.extensions["herstel.running"])
    except (export.ExportError, InUse) as error:
        raise click.ClickException(str(error)) from error
    click.echo("Ingelezen: de export van %s, %d rijen en %d bewijsbestanden; alles is gecontroleerd." % (
        done.made_at, done.rows, done.evidence_files))
    click.echo("Wachtwoorden zijn meegekomen, tweede factoren en agendalinks niet: wie die had, stelt ze opnieuw in. "
               "Start de server.")


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
