"""Importing pupils, classes and mentors from a CSV export: preview, all or nothing, re-import updates."""
import io
import os
import re

import pytest

import models
from conftest import csrf_token
from domain import pupil_import

HEADER = "Leerlingnummer;Roepnaam;Tussenvoegsel;Achternaam;Klas;Mentor e-mail\r\n"
TOKEN_RE = re.compile(r'name="token"[^>]*value="([^"]+)"')


def upload(client, content, filename="leerlingen.csv"):
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    token = csrf_token(client, "/beheer/import/")
    return client.post("/beheer/import/", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def confirm(client, preview):
    token = TOKEN_RE.search(preview.get_data(as_text=True)).group(1)
    return client.post("/beheer/import/bevestigen", data={
        "csrf_token": csrf_token(client, "/beheer/import/"), "token": token})


def pending_files(app):
    folder = os.path.join(app.instance_path, "imports")
    return os.listdir(folder) if os.path.isdir(folder) else []


def pupil(number):
    return models.Pupil.get_or_none(models.Pupil.student_number == number)


def snapshot():
    return (sorted(models.Pupil.select().tuples()), sorted(models.SchoolClass.select().tuples()))


def test_preview_then_import_creates_pupils_classes_and_mentors(app, login_as):
    client = login_as("admin")
    content = HEADER + ("900001;Anouk;van;Leeuwen;4D;mentor2@hetbaken.example\r\n"
                        "900002;Bas;;Smit;4D;mentor2@hetbaken.example\r\n"
                        "20240001;Sem;;Jansen;1A;\r\n")
    preview = upload(client, content)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "2 nieuwe leerlingen" in page and "1 leerling ongewijzigd" in page
    assert "Nieuwe klassen: 4D" in page and "Mentor van 4D: Fatima El Amrani" in page
    assert pupil("900001") is None  # a preview writes nothing
    assert len(pending_files(app)) == 1

    done = confirm(client, preview)
    assert done.status_code == 302
    anouk = pupil("900001")
    assert (anouk.first_name, anouk.infix, anouk.last_name) == ("Anouk", "van", "Leeuwen")
    assert anouk.school_class.name == "4D"
    assert anouk.school_class.year_level == 4 and anouk.school_class.mentor.username == "mentor2"
    assert pending_files(app) == []  # the upload is gone once imported
    event = models.AuditEvent.get(models.AuditEvent.action == "pupil_import.apply")
    assert event.username == "admin" and "nieuw 2" in event.detail
    assert "Anouk" not in event.detail  # counts, not names


def test_reimporting_updates_and_never_duplicates(login_as):
    client = login_as("admin")
    first = HEADER + "900010;Cas;;Bos;1A;\r\n"
    confirm(client, upload(client, first))
    count = models.Pupil.select().count()
    again = HEADER + "900010;Cas;de;Bosch;2b;\r\n"  # a corrected name; moved to 2B, class name in other case
    preview = upload(client, again)
    page = preview.get_data(as_text=True)
    assert "1 leerling bijgewerkt" in page and "achternaam: Bos → Bosch" in page and "klas: 1A → 2B" in page
    assert "Nieuwe klassen" not in page
    confirm(client, preview)
    cas = pupil("900010")
    assert (cas.infix, cas.last_name, cas.school_class.name) == ("de", "Bosch", "2B")
    assert models.Pupil.select().count() == count
    assert models.SchoolClass.select().where(models.SchoolClass.name ** "2b").count() == 1


def test_bad_rows_are_named_with_their_line_and_nothing_is_saved(app, login_as):
    client = login_as("admin")
    before = snapshot()
    content = HEADER + ("900020;Dirk;;Visser;1A;\r\n"
                        "900021;;;Visser;1A;\r\n"
                        "900020;Dirk;;Dubbel;1A;\r\n"
                        "900022;Eva;;Klein;XYZ;\r\n"
                        "900023;Fem;;Groot;1A;onbekend@hetbaken.example\r\n"
                        "900024;Gijs;;Lang;1A;support@hetbaken.example\r\n"
                        "900025;Hugo;;Kort\r\n"
                        "900026;Ilse;;Mos;1A;geen-adres\r\n")
    response = upload(client, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problems = dict(re.findall(r"Regel (\d+)</span> <span class=\"field__error\">([^<]+)<", page))
    assert problems["3"] == "De voornaam ontbreekt."
    assert problems["4"] == "Leerlingnummer 900020 staat ook op regel 2."
    assert "leerjaar" in problems["5"]
    assert "onbekend@hetbaken.example is geen actieve mentor" in problems["6"]
    assert "support@hetbaken.example heeft (nog) geen rol mentor" in problems["7"]
    assert problems["8"] == "De regel heeft te weinig kolommen."
    assert "geen e-mailadres" in problems["9"]
    assert "2" not in problems
    assert "Er wordt niets geïmporteerd" in page and 'name="token"' not in page
    assert pending_files(app) == []
    assert snapshot() == before


def test_two_mentors_for_one_class_is_a_bad_row(login_as):
    content = HEADER + ("900030;Jan;;Wit;1A;mentor@hetbaken.example\r\n"
                        "900031;Kim;;Zwart;1A;mentor2@hetbaken.example\r\n")
    page = upload(login_as("admin"), content).get_data(as_text=True)
    assert "Klas 1A heeft op regel 2 een andere mentor (mentor@hetbaken.example)." in page


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("cp1252", False)])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_encodings_and_delimiters_of_the_usual_exports(login_as, encoding, bom, delimiter):
    client = login_as("admin")
    lines = ["Stamnummer,Voornaam,Voorvoegsel,Achternaam,Stamgroep,E-mailadres mentor,Geboortedatum",
             "900040,Zoë,,Çelik,1A,,2012-03-04",
             "900041,Anaïs,van 't,Hoëvenaar,1A,,2012-05-06"]
    text = "\r\n".join(line.replace(",", delimiter) for line in lines) + "\r\n"
    data = ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)
    preview = upload(client, data)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert "Niet gebruikte kolommen: Geboortedatum" in preview.get_data(as_text=True)
    confirm(client, preview)
    assert (pupil("900040").first_name, pupil("900040").last_name) == ("Zoë", "Çelik")
    assert pupil("900041").infix == "van 't" and pupil("900041").last_name == "Hoëvenaar"


def test_quoted_fields_with_the_delimiter_inside(login_as):
    client = login_as("admin")
    content = 'leerlingnummer,voornaam,tussenvoegsel,achternaam,klas\r\n900050,"Jan, Piet",,"de Wit",1A\r\n'
    confirm(client, upload(client, content))
    assert pupil("900050").first_name == "Jan, Piet"


@pytest.mark.parametrize("content,message", [
    (b"", "Kies een bestand."),
    (b"   \r\n", "Het bestand is leeg."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binaire gegevens"),
    ("Leerlingnummer;Roepnaam;Achternaam\r\n1;A;B\r\n".encode(), "Deze kolommen ontbreken: klas."),
    ("Naam van de leerling\r\nA\r\n".encode(), "geen scheidingsteken"),
    (HEADER.encode(), "geen leerlingen"),
    ("\ufeff".encode("utf-16-le") + HEADER.encode("utf-16-le"), "UTF-16"),
    (HEADER.encode() + b"900060;\x81\x8d;;X;1A;\r\n", "niet te lezen"),
    (HEADER.encode() + b'900061;"open quote;;X;1A;\r\n', None),
])
def test_unreadable_files_get_a_message_beside_the_field(app, login_as, content, message):
    before = snapshot()
    client = login_as("admin")
    if content:
        response = upload(client, content)
    else:
        response = client.post("/beheer/import/", data={"csrf_token": csrf_token(client, "/beheer/import/")},
                               content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    if message is None:  # an unclosed quote swallows the rest: then the row is short or the file is refused
        assert response.status_code in (400, 422)
    else:
        assert response.status_code == 400
        assert 'class="field__error"' in page and message in page
    assert snapshot() == before and pending_files(app) == []


def test_a_ten_megabyte_file_gets_a_message_not_an_error_page(login_as):
    content = HEADER.encode() + b"900070;Lang;;Bestand;1A;\r\n" * (10 * 1024 * 1024 // 26)
    response = upload(login_as("admin"), content)
    assert response.status_code == 400
    assert "groter dan 5 MB" in response.get_data(as_text=True)


class CountingStream(io.BytesIO):
    """A request body that remembers how much of it the server read."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.read_bytes += len(data)
        return data


@pytest.mark.parametrize("role, htmx, status", [
    (None, False, 302), (None, True, 401), ("mentor", False, 403), ("coordinator", True, 403)])
def test_only_an_administrators_upload_is_read_at_all(login_as, role, htmx, status):
    """A large upload of anyone else is refused before a byte of it is read (it could be 32 MB)."""
    body = (b"--grens\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            + HEADER.encode() + b"900090;Veel;;Regels;1A;\r\n" * (20 * 1024 * 1024 // 26) + b"\r\n--grens--\r\n")
    stream = CountingStream(body)
    response = login_as(role).post("/beheer/import/", input_stream=stream, content_length=len(body),
                                   content_type="multipart/form-data; boundary=grens",
                                   headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == status
    assert stream.read_bytes == 0
    assert pupil("900090") is None


def test_more_rows_than_a_school_has_are_refused():
    content = HEADER + "".join("%d;A;;B;1A;\r\n" % (100000 + n) for n in range(pupil_import.MAX_ROWS + 1))
    with pytest.raises(pupil_import.ImportFileError, match="meer dan 10000 leerlingen"):
        pupil_import.read_rows(content.encode())


def test_a_stale_or_foreign_token_imports_nothing(login_as):
    admin = login_as("admin")
    preview = upload(admin, HEADER + "900080;Lex;;Rood;1A;\r\n")
    token = TOKEN_RE.search(preview.get_data(as_text=True)).group(1)
    other_admin_session = login_as("admin")  # another session of an administrator does not hold the token
    response = other_admin_session.post("/beheer/import/bevestigen", data={
        "csrf_token": csrf_token(other_admin_session, "/beheer/import/"), "token": token})
    assert response.status_code == 302 and pupil("900080") is None
    assert confirm(admin, preview).status_code == 302 and pupil("900080") is not None
    again = admin.post("/beheer/import/bevestigen", data={
        "csrf_token": csrf_token(admin, "/beheer/import/"), "token": token})
    assert again.status_code == 302
    assert "verlopen of al uitgevoerd" in admin.get("/beheer/import/").get_data(as_text=True)


def test_changes_between_preview_and_confirm_are_checked_again(login_as, factory):
    client = login_as("admin")
    preview = upload(client, HEADER + "900090;Mia;;Geel;1A;mentor2@hetbaken.example\r\n")
    models.UserRole.delete().where(models.UserRole.user == models.User.by_username("mentor2")).execute()
    response = confirm(client, preview)
    assert response.status_code == 409
    assert "geen rol mentor" in response.get_data(as_text=True)
    assert pupil("900090") is None


def test_cancel_removes_the_kept_upload(app, login_as):
    client = login_as("admin")
    preview = upload(client, HEADER + "900095;Nina;;Blauw;1A;\r\n")
    token = TOKEN_RE.search(preview.get_data(as_text=True)).group(1)
    response = client.post("/beheer/import/annuleren", data={
        "csrf_token": csrf_token(client, "/beheer/import/"), "token": token})
    assert response.status_code == 302 and pending_files(app) == [] and pupil("900095") is None
