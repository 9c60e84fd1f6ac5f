"""The way out: everything the school keeps in Herstel in open formats, in one ZIP file (`flask export`,
and the administrator's button under Instellingen), and `flask import` of such a file into an empty
installation, which gives the same school back.

    README.md                 what is where, and every table's fields with their meaning
    manifest.json             each file's SHA-256 and size, the schema version, the Herstel version, the time
    tables/<table>.json       one per table: its fields, documented, and its rows (what `flask import` reads)
    lists/<list>.csv          pupils, staff, cases, reports, complaints and the audit log, for a spreadsheet
    evidence/<name>           the evidence files, under the name their row in tables/evidence.json gives
    agreements/<case>-versie-<n>.pdf   the signed restoration agreements

Work notes and the counsellor's notes stay out: they are their authors' alone. So do the secrets of
logging in other than the password hashes (second factors, recovery codes, calendar links, sessions),
and what only the running server needs (login counters, unsent mail).
"""
import base64
import csv
import dataclasses
import datetime
import hashlib
import io
import json
import os
import zipfile

from flask_babel import force_locale
from peewee import (
    AutoField, BlobField, BooleanField, DateField, DateTimeField, ForeignKeyField, IntegerField, sort_models,
)

import audit
import config
from db import db, is_sqlite, local_date, migrate_database, migration_names, read_snapshot, utcnow
from domain import evidence, export_fields, pdf
from models import (
    BULLYING_KINDS, CASE_STATUSES, COMPLAINANT_KINDS, COMPLAINT_STATUSES, INVOLVEMENT_ROLES, MODELS,
    REPORT_CHANNELS, REPORT_STATUSES, REPORTER_KINDS, ROLES, Agreement, AuditEvent, Case, Complaint, ComplaintNote,
    Evidence, Involvement, LoginThrottle, OutboxMail, PersonalNote, PublicAccess, PublicThrottle, Pupil,
    RecoveryCode, Report, ReportKind, SchoolClass, SchoolSettings, SecurityNotice, SignInProvider, User, UserRole,
    UserSession,
)
from terminology import label

FORMAT = "herstel-export"
FORMAT_VERSION = 1
# Left out, with the reason the README gives.
LEFT_OUT = {
    PersonalNote: "werkaantekeningen zijn alleen van wie ze schreef",
    ComplaintNote: "de notities van de vertrouwenspersoon zijn alleen van haar of hem",
    UserSession: "lopende inlogsessies", RecoveryCode: "herstelcodes van de tweede factor",
    SecurityNotice: "meldingen over inloggen voor de volgende keer",
    LoginThrottle: "tellers van mislukte inlogpogingen",
    PublicThrottle: "tellers van de meldknop", PublicAccess: "open toegang van een browser tot een meldknopgesprek",
    OutboxMail: "nog niet verstuurde e-mail",
}
LEFT_OUT_COLUMNS = {User: ("totp_secret", "totp_pending_secret", "totp_last_step", "totp_enabled_at",
                           "calendar_token_hash"),
                    SignInProvider: ("client_secret",)}


class ExportError(Exception):
    """An export that cannot be read or imported; the message (Dutch, for the operator) says why and what to do."""


def exported_models():
    """The tables in the export, each after the tables it refers to."""
    return [model for model in sort_models(MODELS) if model not in LEFT_OUT]


def fields_of(model):
    return [field for field in model._meta.sorted_fields if field.name not in LEFT_OUT_COLUMNS.get(model, ())]


# Writing ------------------------------------------------------------------------------------------------

class _Entry:
    """One file being written into the ZIP, hashed on the way."""

    def __init__(self, archive, name):
        self.name, self._handle = name, archive.open(name, "w", force_zip64=True)
        self.sha256, self.size = hashlib.sha256(), 0

    def write(self, data):
        data = data.encode("utf-8") if isinstance(data, str) else data
        self.sha256.update(data)
        self.size += len(data)
        self._handle.write(data)

    def close(self):
        self._handle.close()
        return {"name": self.name, "sha256": self.sha256.hexdigest(), "size": self.size}


@dataclasses.dataclass(frozen=True)
class Exported:
    tables: int
    rows: int
    evidence_files: int
    agreements: int
    missing_evidence: list


def write_export(out):
    """Write the export into the binary file `out`, from one consistent view of the database.

    Evidence files stay on disk while they are copied (a deletion meanwhile leaves its file for
    `flask retention`), as during a backup.
    """
    files, rows, missing = [], 0, []
    settings = SchoolSettings.current()
    with force_locale("nl"), evidence.removals_held(), read_snapshot(), \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for model in exported_models():
            entry = _Entry(archive, "tables/%s.json" % model._meta.table_name)
            rows += _write_table(entry, model)
            files.append(entry.close())
        for name, content in _lists():
            entry = _Entry(archive, "lists/%s.csv" % name)
            entry.write(content)
            files.append(entry.close())
        stored = list(Evidence.select(Evidence.id, Evidence.file_name).where(Evidence.file_name.is_null(False))
                      .order_by(Evidence.id).tuples())
        for evidence_id, file_name in stored:
            try:
                data = evidence.read(file_name)
            except (OSError, ValueError):
                missing.append(evidence_id)
                continue
            entry = _Entry(archive, "evidence/" + file_name)
            entry.write(data)
            files.append(entry.close())
        signed = list(Agreement.select().join(Case).where(Agreement.status == "locked")
                      .order_by(Case.reference, Agreement.version))
        for agreement in signed:
            entry = _Entry(archive, "agreements/%s-versie-%d.pdf" % (agreement.case.reference, agreement.version))
            entry.write(pdf.agreement_pdf(agreement, settings.school_name, settings.logo_png))
            files.append(entry.close())
        entry = _Entry(archive, "README.md")
        entry.write(readme())
        files.append(entry.close())
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "made_at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "herstel_version": config.herstel_version(), "database": "sqlite" if is_sqlite() else "postgresql",
            "schema": sorted(_applied_migrations()), "files": files, "missing_evidence": missing,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return Exported(len(exported_models()), rows, len(stored) - len(missing), len(signed), missing)


def _applied_migrations():
    return [name for (name,) in db.execute_sql("SELECT name FROM schema_migration")]


def _write_table(entry, model):
    """The table's JSON, written a row at a time (the audit log of a large school is long)."""
    fields = fields_of(model)
    head = {"table": model._meta.table_name, "description": _description(model),
            "fields": [_field_doc(model, field) for field in fields]}
    text = json.dumps(head, ensure_ascii=False, indent=1)
    entry.write(text[:-2] + ',\n "rows": [')
    count = 0
    query = model.select(*fields).order_by(model._meta.primary_key).tuples()
    for values in query.iterator():
        row = {field.column_name: _json_value(value) for field, value in zip(fields, values, strict=True)}
        entry.write(("\n  " if not count else ",\n  ") + json.dumps(row, ensure_ascii=False))
        count += 1
    entry.write("\n ]\n}\n")
    return count


def _json_value(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat() + "Z"  # stored in UTC
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _description(model):
    return export_fields.TABLES.get(model._meta.table_name, "")


def _field_doc(model, field):
    doc = {"name": field.column_name, "type": _kind(field), "required": not field.null,
           "description": export_fields.field_description(model._meta.table_name, field.column_name) or ""}
    if field.choices:
        doc["values"] = {value: str(text) for value, text in field.choices}
    return doc


def _kind(field):
    if isinstance(field, ForeignKeyField):
        return "verwijzing naar %s.id" % field.rel_model._meta.table_name
    if isinstance(field, AutoField):
        return "geheel getal (sleutel)"
    if isinstance(field, DateTimeField):
        return "tijdstip in UTC (ISO 8601)"
    if isinstance(field, DateField):
        return "datum (ISO 8601)"
    if isinstance(field, BooleanField):
        return "true/false"
    if isinstance(field, IntegerField):
        return "geheel getal"
    if isinstance(field, BlobField):
        return "PNG-afbeelding, base64"
    return "tekst"


def _csv(header, rows):
    """CSV as Dutch spreadsheets read it (';', UTF-8 with BOM); a cell that would run as a formula gets a '."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([audit.spreadsheet_safe("" if value is None else value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _day(value):
    """A date, or a stored moment as the school's calendar day."""
    if isinstance(value, datetime.datetime):
        value = local_date(value)
    return value.isoformat() if value else ""


def _lists():
    """(name, CSV bytes) of the lists people open in a spreadsheet."""
    classes = {school_class.id: school_class.name for school_class in SchoolClass.select()}
    users = {user.id: user for user in User.select()}
    pupils = {pupil.id: pupil for pupil in Pupil.select()}
    yield "leerlingen", _csv(
        ["leerlingnummer", "voornaam", "tussenvoegsel", "achternaam", "klas", "geboortedatum", "actief"],
        ([pupil.student_number, pupil.first_name, pupil.infix, pupil.last_name,
          classes.get(pupil.school_class_id, ""), _day(pupil.date_of_birth), "ja" if pupil.is_active else "nee"]
         for pupil in sorted(pupils.values(), key=lambda pupil: pupil.sort_name.lower())))
    roles = {}
    for row in UserRole.select():
        roles.setdefault(row.user_id, []).append(label(ROLES, row.role))
    yield "medewerkers", _csv(
        ["gebruikersnaam", "naam", "e-mail", "rollen", "beheerder", "actief"],
        ([user.username, user.full_name, user.email or "", ", ".join(sorted(roles.get(user.id, []))),
          "ja" if user.is_admin else "nee", "ja" if user.is_active else "nee"]
         for user in sorted(users.values(), key=lambda user: user.username)))
    involved = {}
    for row in Involvement.select().order_by(Involvement.id):
        pupil = pupils[row.pupil_id]
        involved.setdefault(row.case_id, []).append(
            "%s (%s)" % (pupil.display_name, label(INVOLVEMENT_ROLES, row.role)))
    yield "dossiers", _csv(
        ["dossier", "titel", "protocol", "status", "geopend op", "gesloten op", "mentor", "betrokkenen"],
        ([case.reference, case.title, case.protocol_key, label(CASE_STATUSES, case.status), _day(case.opened_at),
          _day(case.closed_at), users[case.mentor_id].full_name if case.mentor_id else "",
          "; ".join(involved.get(case.id, []))] for case in Case.select().order_by(Case.reference)))
    kinds = {}
    for row in ReportKind.select():
        kinds.setdefault(row.report_id, []).append(label(BULLYING_KINDS, row.kind))
    references = {case.id: case.reference for case in Case.select(Case.id, Case.reference)}
    yield "meldingen", _csv(
        ["datum", "melder", "kanaal", "soorten pesten", "plaats", "status", "dossier"],
        ([_day(report.reported_on), label(REPORTER_KINDS, report.reporter_kind), label(REPORT_CHANNELS, report.channel),
          ", ".join(sorted(kinds.get(report.id, []))), report.place, label(REPORT_STATUSES, report.shown_status),
          references.get(report.case_id, "")] for report in Report.with_case().order_by(Report.id)))
    yield "klachten", _csv(
        ["ontvangen op", "klager", "leerling", "dossier", "status", "naar de klachtencommissie op"],
        ([_day(complaint.received_on), label(COMPLAINANT_KINDS, complaint.complainant_kind),
          pupils[complaint.pupil_id].display_name if complaint.pupil_id else "",
          references.get(complaint.case_id, ""), label(COMPLAINT_STATUSES, complaint.status),
          _day(complaint.committee_referred_on)] for complaint in Complaint.select().order_by(Complaint.id)))
    yield "logboek", audit.export_csv(AuditEvent.select().order_by(AuditEvent.id))


def readme():
    """The README inside the export: what is where, and every table's fields."""
    lines = [
        "# Export uit Herstel", "",
        "Alles wat de school in Herstel bijhoudt, in open formaten. `flask --app app import` leest dit bestand "
        "weer in een lege installatie van Herstel in; een ander systeem leest de JSON- en CSV-bestanden.", "",
        "- `manifest.json`: elk bestand met zijn SHA-256 en grootte, de versie van het schema (de toegepaste "
        "migraties), de versie van Herstel en het tijdstip van de export.",
        "- `tables/<tabel>.json`: per tabel een object met `table`, `description`, `fields` (naam, soort, "
        "verplicht, uitleg en de toegestane waarden met hun betekenis) en `rows` (de rijen, met de veldnamen "
        "als sleutels). Hieronder staat elke tabel met haar velden.",
        "- `lists/*.csv`: leerlingen, medewerkers, dossiers, meldingen, klachten en het logboek, voor een "
        "spreadsheet (scheidingsteken `;`, UTF-8).",
        "- `evidence/<naam>`: de bewijsbestanden (schermafdrukken, foto's, pdf's); de naam staat in "
        "`file_name` van `tables/evidence.json`, met de SHA-256 in `sha256`.",
        "- `agreements/<dossier>-versie-<n>.pdf`: de ondertekende herstelovereenkomsten.", "",
        "Tijdstippen staan in UTC (ISO 8601, met een Z), datums als JJJJ-MM-DD. Een verwijzing naar een andere "
        "tabel is het `id` van die rij.", "",
        "Niet in de export:", "",
    ]
    lines += ["- `%s`: %s." % (model._meta.table_name, why) for model, why in LEFT_OUT.items()]
    lines += ["- in `user`: de geheimen van de tweede factor en de agendalink (%s). Wie een tweede factor had, "
              "stelt die na het inlezen opnieuw in." % ", ".join(LEFT_OUT_COLUMNS[User]), ""]
    for model in exported_models():
        lines += ["## %s" % model._meta.table_name, "", _description(model) or "-", "",
                  "| veld | soort | verplicht | uitleg |", "|---|---|---|---|"]
        for field in fields_of(model):
            doc = _field_doc(model, field)
            meaning = doc.get("description", "")
            if "values" in doc:
                meaning = (meaning + "; " if meaning else "") + ", ".join(
                    "`%s` = %s" % (value, text) for value, text in doc["values"].items())
            lines.append("| `%s` | %s | %s | %s |" % (doc["name"], doc["type"], "ja" if doc["required"] else "nee",
                                                      meaning.replace("|", "/")))
        lines.append("")
    return "\n".join(lines)


# Reading back -------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Imported:
    rows: int
    evidence_files: int
    made_at: str


def import_export(path, settings, lock):
    """Read an export into this empty installation, all or nothing; the server must be stopped."""
    with lock.alone():
        try:
            archive = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise ExportError("%s is geen export van Herstel (geen leesbaar ZIP-bestand: %s). Er is niets veranderd."
                              % (path, error)) from None
        with archive:
            manifest = _checked_export(archive)
            _refuse_unless_empty()
            written = []
            try:
                with db.atomic():
                    rows = sum(_import_table(archive, model) for model in exported_models())
                    for entry in manifest["files"]:
                        if entry["name"].startswith("evidence/"):
                            _write_evidence(archive, entry["name"], written)
                    if not is_sqlite():
                        _reset_sequences()
                    AuditEvent.append(action="school.import", username="cli", detail=(
                        "export van %s ingelezen: %d rijen, %d bewijsbestanden" % (
                            manifest["made_at"], rows, len(written))))
            except BaseException:
                for file_name in written:
                    evidence.remove(file_name)
                raise
        migrate_database()
    return Imported(rows, len(written), manifest["made_at"])


def _checked_export(archive):
    try:
        manifest = json.loads(archive.read("manifest.json"))
        listed = {entry["name"]: entry for entry in manifest["files"]}
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as error:
        raise ExportError("Dit is geen export van Herstel, of hij is beschadigd (geen leesbare manifest.json: %s). "
                          "Er is niets veranderd." % error) from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ExportError("Dit bestand is geen export van Herstel in een indeling die deze versie kent. Er is niets "
                          "veranderd.")
    newer = sorted(set(manifest["schema"]) - set(migration_names()))
    if newer:
        raise ExportError("Deze export komt uit een nieuwere versie van Herstel (migraties %s). Werk Herstel eerst "
                          "bij. Er is niets veranderd." % ", ".join(newer))
    present = set(archive.namelist()) - {"manifest.json"}
    if present != set(listed):
        raise ExportError("De export klopt niet met zijn manifest.json (%s). Er is niets veranderd." % ", ".join(
            sorted(present ^ set(listed))[:5]))
    for name, entry in listed.items():
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(name) as handle:
                while chunk := handle.read(1024 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ExportError("De export is beschadigd (%s: %s). Er is niets veranderd." % (name, error)) from None
        if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
            raise ExportError("De export is beschadigd: de SHA-256 van %s klopt niet. Er is niets veranderd." % name)
        if name.startswith("evidence/") and not evidence.STORED_NAME.match(name[len("evidence/"):]):
            raise ExportError("De export bevat een onverwacht bestand (%s). Er is niets veranderd." % name)
    for model in exported_models():
        if "tables/%s.json" % model._meta.table_name not in listed:
            raise ExportError("De tabel %s ontbreekt in de export. Er is niets veranderd." % model._meta.table_name)
    return manifest


def _refuse_unless_empty():
    for model in MODELS:
        count = model.select().count()
        if count > (1 if model is SchoolSettings else 0):
            raise ExportError("Deze installatie is niet leeg (tabel %s heeft %d rijen). Een export gaat alleen in een "
                              "lege installatie: maak een nieuwe database (een nieuw DATABASE_URL, of een nieuw "
                              "instance/herstel.db) en lees hem daarin in. Er is niets veranderd."
                              % (model._meta.table_name, count))


def _import_table(archive, model):
    with archive.open("tables/%s.json" % model._meta.table_name) as handle:
        table = json.load(handle)
    fields = {field.column_name: field for field in model._meta.sorted_fields}
    unknown = sorted({name for row in table["rows"] for name in row} - set(fields))
    if unknown:
        raise ExportError("De tabel %s in de export heeft velden die deze versie van Herstel niet kent (%s). Er is "
                          "niets veranderd." % (model._meta.table_name, ", ".join(unknown)))
    if model is SchoolSettings:
        SchoolSettings.delete().execute()
    rows = [{fields[name]: _python_value(fields[name], value) for name, value in row.items()} for row in table["rows"]]
    for start in range(0, len(rows), 200):
        model.insert_many(rows[start:start + 200]).execute()
    return len(rows)


def _python_value(field, value):
    if value is None:
        return None
    if isinstance(field, DateTimeField):
        return datetime.datetime.fromisoformat(value.rstrip("Z"))
    if isinstance(field, DateField):
        return datetime.date.fromisoformat(value)
    if isinstance(field, BlobField):
        return base64.b64decode(value)
    return value


def _write_evidence(archive, name, written):
    """Write an evidence file under its own name, flushed to disk as an upload is; its name."""
    file_name = name[len("evidence/"):]
    try:
        os.makedirs(evidence.directory(), mode=0o700, exist_ok=True)
        fd = os.open(evidence.path_of(file_name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise ExportError("Het bewijsbestand %s kon niet worden geschreven in %s: %s. Er is niets veranderd." % (
            file_name, evidence.directory(), error.strerror)) from None
    written.append(file_name)  # from here on it is removed again when the import fails
    with os.fdopen(fd, "wb") as handle:
        handle.write(archive.read(name))
        handle.flush()
        os.fsync(handle.fileno())
    return file_name


def _reset_sequences():
    """After rows with their own ids, PostgreSQL's sequences go on from the highest."""
    for model in exported_models():
        table = model._meta.table_name
        db.execute_sql("SELECT setval(pg_get_serial_sequence('\"%s\"', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                       "FROM \"%s\"" % (table, table))


def save_export(path, force=False):
    """Write the export to path: under a temporary name beside it, mode 0600 (it holds everything in the
    clear), renamed when complete. Never over an existing file unless forced."""
    path = os.path.abspath(path)
    if os.path.isdir(path) or not os.path.isdir(os.path.dirname(path)):
        raise ExportError("Geef de naam van een bestand in een bestaande map, niet %s." % path)
    if os.path.exists(path) and not force:
        raise ExportError("Het bestand %s bestaat al. Kies een andere naam, of gebruik --force." % path)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            done = write_export(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise ExportError("De export kon niet worden geschreven: %s." % (error.strerror or error)) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return done


def export_name(now=None):
    """The export's file name: herstel-export-2026-12-03.zip."""
    return "herstel-export-%s.zip" % (now or datetime.date.today()).isoformat()



def own_notes(user, complaint_notes):
    """A user's own notes, which the school's export leaves out, as one JSON document for their author
    alone: their work notes on cases and, with `complaint_notes` (the counsellor, notes not sealed),
    their notes on complaints. Each note says what it belongs to by case number or complaint number."""
    work_notes = (PersonalNote.select(PersonalNote, Case).join(Case).where(PersonalNote.author == user)
                  .order_by(Case.reference, PersonalNote.created_at, PersonalNote.id))
    document = {
        "format": "herstel-eigen-aantekeningen", "author": user.full_name, "made_at": _json_value(utcnow()),
        "work_notes": [{"case": note.case.reference, "created_at": _json_value(note.created_at),
                        "updated_at": _json_value(note.updated_at), "text": note.body} for note in work_notes],
    }
    if complaint_notes:
        notes = (ComplaintNote.select().where(ComplaintNote.author == user)
                 .order_by(ComplaintNote.complaint, ComplaintNote.created_at, ComplaintNote.id))
        document["complaint_notes"] = [{"complaint": note.complaint_id, "created_at": _json_value(note.created_at),
                                        "text": note.body} for note in notes]
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
