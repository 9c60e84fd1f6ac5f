"""Importing pupils, classes and their mentors from a student information system's CSV export.

Read the file, check every row and plan what would change (`plan`), show that plan, then
carry it out all at once (`apply`). Pupils are matched on their pupil number, classes on
their name (ignoring case), mentors on their e-mail address. A mentor e-mail that matches no
active user with the mentor role is a bad row: accounts have roles and passwords, so the
administrator makes them under Gebruikers, and a typo must not pass unnoticed.
"""
import csv
import dataclasses
import io
import re

from flask_babel import gettext as _

from db import db
from models import Pupil, SchoolClass, User, UserRole
from terminology import term

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

# Column names of the usual exports (Magister, SOMtoday, ParnasSys, Smartschool, Informat),
# compared without case, spaces or punctuation.
COLUMNS = {
    "number": ("leerlingnummer", "leerlingnr", "llnr", "stamnummer", "studentnummer", "pupilnumber",
               "studentnumber", "nummer"),
    "first_name": ("roepnaam", "voornaam", "firstname"),
    "infix": ("tussenvoegsel", "tussenvoegsels", "voorvoegsel", "voorvoegsels", "infix"),
    "last_name": ("achternaam", "familienaam", "lastname"),
    "class_name": ("klas", "stamgroep", "groep", "klasnaam", "class"),
    "mentor_email": ("mentoremail", "mentoremailadres", "emailmentor", "emailadresmentor", "mentor",
                     "klascoachemail", "emailklascoach", "emailadresklascoach", "klascoach"),  # Flemish schools
}
REQUIRED = ("number", "first_name", "last_name", "class_name")
COLUMN_LABELS = {
    "number": "leerlingnummer", "first_name": "voornaam", "infix": "tussenvoegsel", "last_name": "achternaam",
    "class_name": "klas", "mentor_email": "e-mail mentor",
}
LIMITS = {"number": 32, "first_name": 100, "infix": 32, "last_name": 100, "class_name": 32, "mentor_email": 254}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, in the user's language."""


@dataclasses.dataclass
class Row:
    line: int
    number: str
    first_name: str
    infix: str
    last_name: str
    class_name: str
    mentor_email: str
    action: str = ""  # "new", "update" or "same"
    changes: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Plan:
    rows: list
    problems: list  # (line, message)
    new_classes: list  # names
    mentor_changes: list  # (class name, old mentor name or "", new mentor name)
    ignored_columns: list

    @property
    def ok(self):
        return not self.problems

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)


def decode(data):
    """The file's text: UTF-8 (with or without BOM) or Windows-1252."""
    if not data.strip():
        raise ImportFileError(_("Het bestand is leeg."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("Dit bestand is opgeslagen als UTF-16. Sla het op als CSV (UTF-8 of "
                                "Windows-1252) en probeer het opnieuw."))
    if b"\x00" in data:
        raise ImportFileError(_("Dit is geen CSV-bestand: het bevat binaire gegevens."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(_("De tekens in dit bestand zijn niet te lezen; sla het op als CSV in UTF-8 "
                                "of Windows-1252.")) from error


def _key(name):
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def _delimiter(header_line):
    """`;` or `,`, whichever separates the header (Sniffer when the header has both)."""
    semicolons, commas = header_line.count(";"), header_line.count(",")
    if not semicolons and not commas:
        raise ImportFileError(_("De kopregel heeft geen scheidingsteken: gebruik ; of , tussen de kolommen."))
    if semicolons and commas:
        try:
            return csv.Sniffer().sniff(header_line, delimiters=";,").delimiter
        except csv.Error:
            pass
    return ";" if semicolons >= commas else ","


def _columns(header):
    """Where each of our fields is in the header; the names of the columns we do not use."""
    positions, ignored = {}, []
    for index, name in enumerate(header):
        key = _key(name)
        field = next((field for field, names in COLUMNS.items() if key in names), None)
        if field and field not in positions:
            positions[field] = index
        elif name.strip():
            ignored.append(name.strip())
    missing = [COLUMN_LABELS[field] for field in REQUIRED if field not in positions]
    if missing:
        raise ImportFileError(_("Deze kolommen ontbreken: %(missing)s. Gevonden: %(found)s.",
                                missing=", ".join(missing),
                                found=", ".join(name.strip() for name in header if name.strip()) or "-"))
    return positions, ignored


def read_rows(data):
    """The rows of the file, each with its line number, and the columns that were ignored."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("Het bestand is groter dan 5 MB; zo groot is de leerlingenlijst van een school niet."))
    text = decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        header = next(row for row in reader if any(cell.strip() for cell in row))
        positions, ignored = _columns(header)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(_("Het bestand heeft meer dan %(max)d leerlingen. Splits het in kleinere "
                                        "bestanden.", max=MAX_ROWS))
            values = {field: (cells[index].strip() if index < len(cells) else None)
                      for field, index in positions.items()}
            rows.append((reader.line_num, values))
    except csv.Error as error:
        raise ImportFileError(_("Regel %(line)d is geen geldige CSV: %(error)s",
                                line=reader.line_num, error=str(error))) from error
    if not rows:
        raise ImportFileError(_("Het bestand heeft een kopregel maar geen leerlingen."))
    return rows, ignored


def year_level(class_name):
    """The year a class is in, from the first digit of its name ('2B' is 2, 'groep 8' is 8), or None."""
    match = re.search(r"\d", class_name)
    level = int(match.group()) if match else 0
    return level if 1 <= level <= 8 else None


def _row_problems(values):
    problems = []
    if any(value is None for field, value in values.items() if field in REQUIRED):
        return [_("De regel heeft te weinig kolommen.")]
    for field, message in (("number", _("Het leerlingnummer ontbreekt.")),
                           ("first_name", _("De voornaam ontbreekt.")),
                           ("last_name", _("De achternaam ontbreekt.")),
                           ("class_name", _("De klas ontbreekt."))):
        if not values[field]:
            problems.append(message)
    for field, limit in LIMITS.items():
        if len(values.get(field) or "") > limit:
            problems.append(_("De %(column)s is te lang (hoogstens %(limit)d tekens).",
                              column=COLUMN_LABELS[field], limit=limit))
    email = values.get("mentor_email") or ""
    if email and not EMAIL.match(email):
        problems.append(_("“%(email)s” is geen e-mailadres.", email=email))
    return problems


def plan(data):
    """Read the file and work out what importing it would change; nothing is written."""
    raw_rows, ignored = read_rows(data)
    pupils = {pupil.student_number: pupil for pupil in Pupil.with_class()}
    classes = {school_class.name.lower(): school_class for school_class in SchoolClass.select()}
    mentors = {user.email.lower(): user for user in
               User.select().join(UserRole).where(UserRole.role == "mentor", User.is_active == True,  # noqa: E712
                                                  User.email.is_null(False))}
    known_emails = {email.lower() for (email,) in User.select(User.email).where(User.email.is_null(False)).tuples()}
    rows, problems, seen_numbers, class_mentor = [], [], {}, {}
    for line, values in raw_rows:
        row_problems = _row_problems(values)
        if not row_problems:
            number, class_name = values["number"], values["class_name"]
            email = (values.get("mentor_email") or "").lower()
            if number in seen_numbers:
                row_problems.append(_("Leerlingnummer %(number)s staat ook op regel %(line)d.",
                                      number=number, line=seen_numbers[number]))
            seen_numbers.setdefault(number, line)
            if class_name.lower() not in classes and year_level(class_name) is None:
                row_problems.append(_("Klas “%(name)s” is nieuw, maar uit de naam valt het leerjaar niet af te "
                                      "leiden (een cijfer van 1 tot 8).", name=class_name))
            if email and email not in mentors:
                row_problems.append(
                    _("%(email)s is geen actieve %(mentor)s. Maak de %(mentor)s eerst aan onder Gebruikers.",
                      email=email, mentor=term("mentor"))
                    if email not in known_emails else
                    _("%(email)s heeft (nog) geen rol %(mentor)s, of het account staat uit.", email=email,
                      mentor=term("mentor")))
            if email:
                earlier = class_mentor.setdefault(class_name.lower(), (email, line))
                if earlier[0] != email:
                    row_problems.append(_("Klas %(name)s heeft op regel %(line)d een andere %(mentor)s (%(email)s).",
                                          mentor=term("mentor"), name=class_name, line=earlier[1], email=earlier[0]))
        if row_problems:
            problems.append((line, " ".join(row_problems)))
            continue
        row = Row(line=line, mentor_email=email, infix=values.get("infix") or "",
                  **{field: values[field] for field in ("number", "first_name", "last_name", "class_name")})
        existing = pupils.get(row.number)
        if existing is None:
            row.action = "new"
        else:
            for label, old, new in ((_("voornaam"), existing.first_name, row.first_name),
                                    (_("tussenvoegsel"), existing.infix, row.infix),
                                    (_("achternaam"), existing.last_name, row.last_name),
                                    (_("klas"), existing.school_class.name if existing.school_class else "",
                                     classes.get(row.class_name.lower()).name
                                     if row.class_name.lower() in classes else row.class_name)):
                if old != new:
                    row.changes.append((label, old, new))
            if not existing.is_active:
                row.changes.append((_("actief"), _("nee"), _("ja")))
            row.action = "update" if row.changes else "same"
        rows.append(row)

    new_classes = {}
    for row in rows:
        if row.class_name.lower() not in classes:
            new_classes.setdefault(row.class_name.lower(), row.class_name)
    new_classes = sorted(new_classes.values(), key=str.lower)
    mentor_changes = []
    for class_key, (email, _line) in sorted(class_mentor.items()):
        if not problems:
            school_class = classes.get(class_key)
            old = school_class.mentor if school_class and school_class.mentor_id else None
            if old is None or old.id != mentors[email].id:
                name = school_class.name if school_class else next(
                    row.class_name for row in rows if row.class_name.lower() == class_key)
                mentor_changes.append((name, old.full_name if old else "", mentors[email].full_name))
    return Plan(rows=rows, problems=problems, new_classes=new_classes, mentor_changes=mentor_changes,
                ignored_columns=ignored)


def apply(data):
    """Plan the file anew (the database may have changed since the preview) and, when every row
    is good, carry it out in one transaction. Returns the plan; nothing is written when it has problems."""
    with db.atomic():
        result = plan(data)
        if not result.ok:
            return result
        classes = {school_class.name.lower(): school_class for school_class in SchoolClass.select()}
        mentors = {user.email.lower(): user for user in User.select().where(User.email.is_null(False))}
        for name in result.new_classes:
            classes[name.lower()] = SchoolClass.create(name=name, year_level=year_level(name))
        for row in result.rows:
            school_class = classes[row.class_name.lower()]
            if row.mentor_email and school_class.mentor_id != mentors[row.mentor_email].id:
                school_class.mentor = mentors[row.mentor_email]
                school_class.save()
            if row.action == "new":
                Pupil.create(student_number=row.number, first_name=row.first_name, infix=row.infix,
                             last_name=row.last_name, school_class=school_class)
            elif row.action == "update":
                Pupil.update(first_name=row.first_name, infix=row.infix, last_name=row.last_name,
                             school_class=school_class, is_active=True).where(
                    Pupil.student_number == row.number).execute()
    return result
