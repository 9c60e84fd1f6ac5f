"""Online evidence: uploads judged by their content, stored clean outside static/, served only to the
case's people with every look logged, and the evidence log as a PDF for the police."""
import datetime
import hashlib
import html
import io
import os
import re
import struct
import zipfile
import zlib

import pytest
from babel.dates import format_date
from PIL import Image, ImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject, DictionaryObject, IndirectObject, NameObject, RectangleObject, TextStringObject,
)
from reportlab.pdfgen import canvas

import db
import models
from conftest import csrf_token, demo_case
from databases import POSTGRES

YESTERDAY = db.today() - datetime.timedelta(days=1)
TYPED_MOMENT = YESTERDAY.isoformat() + "T21:14:05"
SHOWN_MOMENT = format_date(YESTERDAY, "d MMMM yyyy", locale="nl") + " 21:14:05"


def png_bytes(size=(120, 80), colour=(200, 30, 30), **save_options):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG", **save_options)
    return buffer.getvalue()


def jpeg_bytes(**save_options):
    buffer = io.BytesIO()
    Image.new("RGB", (90, 60), (20, 120, 200)).save(buffer, "JPEG", **save_options)
    return buffer.getvalue()


def pdf_bytes(text="Chat van 20 november: jij hoort er niet bij"):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def post_evidence(client, case, upload=None, **fields):
    """Post the evidence form; `upload` is (bytes, file name, content type the browser claims)."""
    values = {"captured_at": TYPED_MOMENT, "platform": "Snapchat", "url": "https://www.snapchat.com/add/pestkop",
              "usernames": "pestkop_1a", "description": "Bericht met een bedreiging aan Lotte."}
    values.update(fields)
    data = {"evidence-" + name: value for name, value in values.items()}
    data["evidence-csrf_token"] = csrf_token(client, "/account/")
    if upload is not None:
        content, name, content_type = upload
        data["evidence-file"] = (io.BytesIO(content), name, content_type)
    return client.post("/dossiers/%d/bewijs/nieuw" % case.id, data=data, content_type="multipart/form-data")


def stored_files(app):
    folder = app.config["EVIDENCE_DIR"]
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def newest_evidence():
    return models.Evidence.select().order_by(models.Evidence.id.desc()).first()


def stored_bytes(app, item):
    with open(os.path.join(app.config["EVIDENCE_DIR"], item.file_name), "rb") as handle:
        return handle.read()


@pytest.fixture
def mentor(login_as):
    return login_as("mentor")


@pytest.fixture
def online():
    return demo_case("0002")


def assert_refused(app, response, message, files_before, rows_before):
    """Refused with a message beside the file field; no row, no file left behind."""
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    error = re.search(r'<p class="field__error" id="evidence-file-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1)  # the page names the limits elsewhere too, for the browser's check
    assert models.Evidence.select().count() == rows_before
    assert stored_files(app) == files_before


def test_a_real_png_is_stored_under_a_random_name_outside_static(app, mentor, online):
    original = png_bytes()
    response = post_evidence(mentor, online, (original, "Screenshot 2026-11-20.png", "image/png"))
    assert response.status_code == 302 and response.headers["Location"].endswith("#evidence")
    item = newest_evidence()
    assert item.case_id == online.id and item.collected_by.username == "mentor"
    assert (item.platform, item.usernames, item.url) == (
        "Snapchat", "pestkop_1a", "https://www.snapchat.com/add/pestkop")
    assert item.captured_at == datetime.datetime.fromisoformat(TYPED_MOMENT).replace(
        tzinfo=db.SCHOOL_TIMEZONE).astimezone(datetime.timezone.utc).replace(tzinfo=None)
    assert item.original_name == "Screenshot 2026-11-20.png" and item.content_type == "image/png"
    assert len(item.file_name) == len("0" * 32 + ".png") and "Screenshot" not in item.file_name
    folder = os.path.realpath(app.config["EVIDENCE_DIR"])
    assert not folder.startswith(os.path.realpath(os.path.join(app.root_path, "static")))
    data = stored_bytes(app, item)
    assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (120, 80) and image.mode == "RGB"  # opaque: no alpha added
    assert oct(os.stat(os.path.join(folder, item.file_name)).st_mode & 0o777) == "0o600"
    page = html.unescape(mentor.get("/dossiers/%d" % online.id).get_data(as_text=True))
    assert SHOWN_MOMENT in page and "Bericht met een bedreiging aan Lotte." in page
    audit = models.AuditEvent.get(models.AuditEvent.action == "case.evidence_add")
    assert audit.object_id == online.id and item.sha256 in audit.detail


def test_a_png_with_a_wrong_extension_is_accepted_by_content_and_stored_as_png(app, mentor, online):
    response = post_evidence(mentor, online, (png_bytes(), "chat-export.jpg", "image/jpeg"))
    assert response.status_code == 302
    item = newest_evidence()
    assert item.content_type == "image/png" and item.file_name.endswith(".png")
    assert item.original_name == "chat-export.jpg"
    assert mentor.get("/bewijs/%d/bekijken" % item.id).headers["Content-Type"] == "image/png"


def test_a_file_that_claims_to_be_a_png_but_is_html_is_refused(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    fake = b"<!doctype html><html><script>fetch('/dossiers/')</script></html>"
    response = post_evidence(mentor, online, (fake, "screenshot.png", "image/png"))
    assert_refused(app, response, "Dit bestand is geen PNG, JPEG of PDF. Alleen schermafdrukken, foto's en PDF's "
                   "kunnen bij het bewijs.", files, rows)  # what can go with the evidence instead


def test_an_image_with_a_broken_inside_is_refused(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    broken = png_bytes()[:40] + b"\x00" * 200
    response = post_evidence(mentor, online, (broken, "half.png", "image/png"))
    assert_refused(app, response, "beschadigd of geen echte PNG of JPEG", files, rows)


def test_an_oversized_file_is_refused_with_a_message_and_the_typed_fields_stay(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    limit = app.config["EVIDENCE_MAX_BYTES"]
    big = png_bytes() + b"\x00" * limit
    assert len(big) < app.config["MAX_CONTENT_LENGTH"]
    response = post_evidence(mentor, online, (big, "lang.png", "image/png"), usernames="bewaard_na_fout")
    assert_refused(app, response, "Het bestand is te groot: hoogstens 6 MB.", files, rows)
    assert 'value="bewaard_na_fout"' in response.get_data(as_text=True)


def test_an_empty_file_is_refused_and_a_file_of_exactly_the_limit_is_kept(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    assert_refused(app, post_evidence(mentor, online, (b"", "leeg.png", "image/png")), "Het bestand is leeg.",
                   files, rows)
    from domain import evidence
    image = png_bytes()
    with app.app_context():
        assert evidence.clean_upload(image, len(image)).content_type == "image/png"
        with pytest.raises(evidence.UploadRefused) as refused:
            evidence.clean_upload(image, len(image) - 1)
    assert str(refused.value) == "Het bestand is te groot: hoogstens 0 MB."


def test_a_request_beyond_the_server_limit_gets_a_page_not_a_500(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * app.config["MAX_CONTENT_LENGTH"]
    response = post_evidence(mentor, online, (huge, "enorm.png", "image/png"))
    assert response.status_code == 413
    assert "Wat je verstuurde is te groot." in response.get_data(as_text=True)
    assert models.Evidence.select().count() == rows and stored_files(app) == files


def bomb_png(width, height):
    """A real PNG of width x height black-and-white pixels, all white: a few KB for any size."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_from_its_header_before_any_pixel_is_decoded(app, mentor, online,
                                                                                       monkeypatch):
    bomb = bomb_png(7745, 7745)  # 60 million pixels in a file of a few KB
    assert len(bomb) < 20_000
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size))
    files, rows = stored_files(app), models.Evidence.select().count()
    response = post_evidence(mentor, online, (bomb, "bom.png", "image/png"), usernames="bewaard_na_fout")
    assert_refused(app, response, "Deze afbeelding is te groot: 7745 × 7745 beeldpunten. Het kan tot 40 miljoen "
                   "beeldpunten en 20.000 per zijde. Verklein de foto of maak een schermafdruk.", files, rows)
    assert 'value="bewaard_na_fout"' in response.get_data(as_text=True)
    assert decoded == []


def test_a_long_scrolled_screenshot_within_the_limit_is_kept(app, mentor, online):
    response = post_evidence(mentor, online, (bomb_png(1440, 20_000), "lang.png", "image/png"))
    assert response.status_code == 302
    with Image.open(io.BytesIO(stored_bytes(app, newest_evidence()))) as image:
        assert image.size == (1440, 20_000)


def test_a_polyglot_png_keeps_only_the_re_encoded_clean_image(app, mentor, online):
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert('tekst in de afbeelding')</script>")
    original = png_bytes(pnginfo=info)
    polyglot = original + b"<html><body><script>alert(document.cookie)</script></body></html>"
    response = post_evidence(mentor, online, (polyglot, "grappig.png", "image/png"))
    assert response.status_code == 302
    data = stored_bytes(app, newest_evidence())
    assert b"<script" not in data and b"<html" not in data and b"Comment" not in data
    assert data.endswith(b"IEND\xaeB`\x82")
    with Image.open(io.BytesIO(data)) as clean, Image.open(io.BytesIO(original)) as before:
        assert clean.convert("RGB").tobytes() == before.convert("RGB").tobytes()


def test_a_gifar_is_refused(app, mentor, online):
    """A GIF with a Java archive glued on: not a PNG or JPEG, whatever its name says."""
    files, rows = stored_files(app), models.Evidence.select().count()
    gif = io.BytesIO()
    Image.new("P", (10, 10)).save(gif, "GIF")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    response = post_evidence(mentor, online, (gif.getvalue() + archive.getvalue(), "foto.png", "image/png"))
    assert_refused(app, response, "Dit bestand is geen PNG, JPEG of PDF.", files, rows)


def test_a_jpeg_is_stored_without_its_hidden_comment(app, mentor, online):
    original = jpeg_bytes(comment=b"<script>alert(1)</script>")
    assert b"<script>" in original
    response = post_evidence(mentor, online, (original, "foto.jpeg", "image/jpeg"))
    assert response.status_code == 302
    item = newest_evidence()
    data = stored_bytes(app, item)
    assert item.content_type == "image/jpeg" and item.file_name.endswith(".jpg")
    assert b"<script>" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (90, 60)


def test_a_pdf_is_written_anew_without_scripts_or_what_follows_it(app, mentor, online):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_open_action(JavaScript("app.alert('bij het openen');"))
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('pagina');")})})
    with_script = io.BytesIO()
    writer.write(with_script)
    upload = with_script.getvalue() + b"\n<html><script>alert(1)</script></html>"
    assert b"/JavaScript" in upload
    response = post_evidence(mentor, online, (upload, "chat.pdf", "application/pdf"))
    assert response.status_code == 302
    item = newest_evidence()
    data = stored_bytes(app, item)
    assert item.content_type == "application/pdf" and item.file_name.endswith(".pdf")
    assert b"/JavaScript" not in data and b"<script" not in data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 and "jij hoort er niet bij" in reader.pages[0].extract_text()
    assert "/AA" not in reader.pages[0] and "/OpenAction" not in reader.trailer["/Root"]
    assert "/Names" not in reader.trailer["/Root"]


def javascript_action(writer, script):
    return writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                NameObject("/JS"): TextStringObject(script)}))


def objects_of(data):
    """Every object in a PDF file, by number, and the numbers reachable from its trailer."""
    reader = PdfReader(io.BytesIO(data))
    numbers = {number for table in reader.xref.values() for number in table} | set(reader.xref_objStm)
    objects = {number: reader.get_object(number) for number in numbers if number}
    reachable, todo = set(), [reader.trailer]
    while todo:
        item = todo.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in reachable:
                continue
            reachable.add(item.idnum)
            item = item.get_object()
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return objects, reachable


def test_a_cleaned_pdf_keeps_no_object_its_pages_do_not_use(app, mentor, online):
    """Actions and annotations held as objects of their own: leaving the page behind is not enough."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.pages[0][NameObject("/AA")] = DictionaryObject({
        NameObject("/O"): javascript_action(writer, "app.alert('pagina open');")})
    link = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): RectangleObject([0, 0, 100, 100]),
        NameObject("/A"): javascript_action(writer, "app.alert('link');")}))
    writer.pages[0][NameObject("/Annots")] = ArrayObject([link])
    upload = io.BytesIO()
    writer.write(upload)
    assert sum(1 for value in objects_of(upload.getvalue())[0].values()
               if isinstance(value, dict) and "/JS" in value) == 2
    assert post_evidence(mentor, online, (upload.getvalue(), "chat.pdf", "application/pdf")).status_code == 302
    data = stored_bytes(app, newest_evidence())
    objects, reachable = objects_of(data)
    assert set(objects) <= reachable
    assert not [value for value in objects.values() if isinstance(value, dict) and ("/JS" in value or "/A" in value)]
    assert "jij hoort er niet bij" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


# The whole message: it tells the user what to do instead.
UNREADABLE_PDF = "Deze PDF kan niet worden gelezen. Sla het gesprek opnieuw op als PDF, of maak een schermafdruk."


def test_a_fake_or_locked_pdf_is_refused(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    fake = b"%PDF-1.7\n<html><script>alert(1)</script></html>"
    assert_refused(app, post_evidence(mentor, online, (fake, "chat.pdf", "application/pdf")),
                   UNREADABLE_PDF, files, rows)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("geheim")
    locked = io.BytesIO()
    writer.write(locked)
    assert_refused(app, post_evidence(mentor, online, (locked.getvalue(), "chat.pdf", "application/pdf")),
                   "Deze PDF is met een wachtwoord beveiligd en kan niet worden opgeslagen.", files, rows)
    from domain import evidence
    with app.app_context(), pytest.raises(evidence.UploadRefused) as refused:
        evidence.clean_upload(locked.getvalue(), 10 * 1024 * 1024)
    assert str(refused.value) == "Deze PDF is met een wachtwoord beveiligd en kan niet worden opgeslagen."


def test_nothing_is_half_saved_when_the_database_refuses_the_row(app, mentor, online):
    """The file is written first; when the row does not make it, the file goes too."""
    files, rows = stored_files(app), models.Evidence.select().count()
    if POSTGRES:
        models.db.execute_sql("CREATE FUNCTION refuse_evidence() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'schijf vol'; END $$ LANGUAGE plpgsql")
        models.db.execute_sql("CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence "
                              "FOR EACH ROW EXECUTE FUNCTION refuse_evidence()")
    else:
        models.db.execute_sql("CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence "
                              "BEGIN SELECT RAISE(ABORT, 'schijf vol'); END")
    response = post_evidence(mentor, online, (png_bytes(), "schermafdruk.png", "image/png"))
    assert response.status_code == 503
    assert "Het bewijs kon niet worden opgeslagen. Probeer het opnieuw." in response.get_data(as_text=True)
    assert models.Evidence.select().count() == rows and stored_files(app) == files


def test_a_file_that_cannot_be_written_is_a_message_and_no_row(app, mentor, online, tmp_path):
    """The evidence folder is not writable (here: a plain file stands where the folder should be)."""
    blocker = tmp_path / "no-folder"
    blocker.write_text("not a folder")
    app.config["EVIDENCE_DIR"] = str(blocker)
    rows = models.Evidence.select().count()
    response = post_evidence(mentor, online, (png_bytes(), "schermafdruk.png", "image/png"), usernames="blijft_staan")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Het bewijs kon niet worden opgeslagen. Probeer het opnieuw." in page and 'value="blijft_staan"' in page
    assert models.Evidence.select().count() == rows


def test_bad_input_on_every_field_keeps_what_was_typed_and_stores_no_file(app, mentor, online):
    files, rows = stored_files(app), models.Evidence.select().count()
    future = (datetime.datetime.now(db.SCHOOL_TIMEZONE) + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = post_evidence(mentor, online, (png_bytes(), "goed.png", "image/png"), captured_at=future,
                             platform=" ", url="javascript:alert(1)", usernames="u" * 501, description="  ")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="evidence-captured_at-error">Dit tijdstip ligt in de toekomst.' in page
    assert 'id="evidence-platform-error">Vul het platform of de app in' in page
    assert 'id="evidence-url-error">Vul een volledig webadres in (beginnend met https://) of een e-mailadres.' in page
    assert 'id="evidence-usernames-error">Hoogstens 500 tekens.' in page
    assert 'id="evidence-description-error">Beschrijf wat het bewijs laat zien.' in page
    assert 'value="javascript:alert(1)"' in page and 'value="%s"' % future in page
    assert "Kies het bestand opnieuw" in page
    assert models.Evidence.select().count() == rows and stored_files(app) == files
    unreadable = post_evidence(mentor, online, captured_at="gisteravond laat")
    assert unreadable.status_code == 400 and 'id="evidence-captured_at-error"' in unreadable.get_data(as_text=True)


def test_an_email_address_or_no_address_is_fine(app, mentor, online):
    assert post_evidence(mentor, online, url="anoniem123@mail.example").status_code == 302
    assert post_evidence(mentor, online, url="").status_code == 302
    assert newest_evidence().file_name is None


def test_the_image_is_shown_inline_or_downloaded_with_its_checked_type_and_both_are_logged(mentor, online):
    item = models.Evidence.get(models.Evidence.case == online, models.Evidence.file_name.is_null(False))
    shown = mentor.get("/bewijs/%d/bekijken" % item.id)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/png"
    expected_name = "bewijs-%s-%d.png" % (online.reference, item.id)
    assert shown.headers["Content-Disposition"] == "inline; filename=%s" % expected_name
    assert shown.headers["X-Content-Type-Options"] == "nosniff" and shown.headers["Cache-Control"] == "no-store"
    assert hashlib.sha256(shown.data).hexdigest() == item.sha256
    downloaded = mentor.get("/bewijs/%d/downloaden" % item.id)
    assert downloaded.headers["Content-Disposition"] == "attachment; filename=%s" % expected_name
    logged = [(event.action, event.username, event.object_type, event.object_id) for event in
              models.AuditEvent.select().where(models.AuditEvent.action.startswith("evidence."))
              .order_by(models.AuditEvent.id)]
    assert logged == [("evidence.view", "mentor", "evidence", item.id),
                      ("evidence.download", "mentor", "evidence", item.id)]


def test_a_pdf_is_never_shown_inline(mentor, online):
    post_evidence(mentor, online, (pdf_bytes(), "chat.pdf", "application/pdf"))
    shown = mentor.get("/bewijs/%d/bekijken" % newest_evidence().id)
    assert shown.headers["Content-Type"] == "application/pdf"
    assert shown.headers["Content-Disposition"].startswith("attachment;")


def test_another_mentor_is_blind_to_the_evidence_and_the_refusal_is_logged(login_as, online):
    item = models.Evidence.get(models.Evidence.case == online, models.Evidence.file_name.is_null(False))
    other = login_as("mentor2")
    for path in ("/bewijs/%d/bekijken" % item.id, "/bewijs/%d/downloaden" % item.id,
                 "/dossiers/%d/bewijs.pdf" % online.id):
        response = other.get(path)
        assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    denied = models.AuditEvent.select().where(models.AuditEvent.action == "access.denied",
                                              models.AuditEvent.username == "mentor2")
    assert denied.count() == 3
    assert not models.AuditEvent.select().where(models.AuditEvent.action.in_(
        ("evidence.view", "evidence.download", "evidence.print"))).exists()


def test_the_evidence_pdf_for_the_police_reads_back_with_every_item(mentor, online):
    assert post_evidence(mentor, online, (png_bytes(), "snap.png", "image/png")).status_code == 302
    response = mentor.get("/dossiers/%d/bewijs.pdf" % online.id)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=bewijs-%s.pdf" % online.reference
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Bewijs van online pesten" in text and online.reference in text and "3 stukken" in text
    for item in models.Evidence.select().where(models.Evidence.case == online):
        assert item.platform in text and item.usernames in text
        if item.sha256:
            assert item.sha256 in text
    assert SHOWN_MOMENT in text and "Bericht met een bedreiging aan Lotte." in text
    assert "afgedrukt op" in text and "Jeroen Bakker" in text
    assert sum(len(page.images) for page in reader.pages) == 2  # the demo screenshot and this one
    event = models.AuditEvent.get(models.AuditEvent.action == "evidence.print")
    assert (event.username, event.object_id, event.detail) == ("mentor", online.id, "3 stukken bewijs")


def test_the_evidence_pdf_prints_images_at_paper_size_and_leaves_out_what_is_past_its_budget(mentor, online,
                                                                                              monkeypatch):
    from domain import evidence, pdf
    for _ in range(2):  # 9 million pixels each; black and white, so a small file
        assert post_evidence(mentor, online, (bomb_png(3600, 2500), "groot.png", "image/png")).status_code == 302
    monkeypatch.setattr(pdf, "EVIDENCE_PRINT_PIXELS", 12_000_000, raising=False)  # the demo screenshot and one
    response = mentor.get("/dossiers/%d/bewijs.pdf" % online.id)
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    printed = [image.image.size for page in reader.pages for image in page.images]
    assert len(printed) == 2
    assert all(width <= evidence.PRINT_BOX[0] and height <= evidence.PRINT_BOX[1] for width, height in printed)
    assert (2040, 1417) in printed  # 3600 x 2500 fills the box's height at 300 dpi
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert text.count("De afbeelding staat niet in dit overzicht") == 1
    assert text.count("hoort als aparte bijlage bij dit overzicht") == 1


def test_the_evidence_pdf_of_a_case_without_evidence_says_so(login_as):
    text = PdfReader(io.BytesIO(login_as("mentor2").get("/dossiers/%d/bewijs.pdf" % demo_case("0003").id).data)) \
        .pages[0].extract_text()
    assert "Er is nog geen bewijs vastgelegd." in text


def test_the_demo_screenshot_is_a_real_png_on_disk(app, online):
    item = models.Evidence.get(models.Evidence.case == online, models.Evidence.file_name.is_null(False))
    data = stored_bytes(app, item)
    assert hashlib.sha256(data).hexdigest() == item.sha256
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (540, 960)


# Deleting a mistaken upload ---------------------------------------------------------------------------

def delete_evidence(client, item):
    return client.post("/bewijs/%d/verwijderen" % item.id, data={"csrf_token": csrf_token(client, "/account/")})


def test_a_mistaken_upload_is_deleted_with_its_file_and_logged(app, mentor, online):
    post_evidence(mentor, online, (png_bytes(), "verkeerde-foto.png", "image/png"))
    item = newest_evidence()
    path = os.path.join(app.config["EVIDENCE_DIR"], item.file_name)
    assert os.path.exists(path)
    page = mentor.get("/dossiers/%d" % online.id).get_data(as_text=True)
    assert "/bewijs/%d/verwijderen" % item.id in page and "Ja, dit bewijs verwijderen" in page
    response = delete_evidence(mentor, item)
    assert response.status_code == 302
    assert models.Evidence.get_or_none(models.Evidence.id == item.id) is None
    assert not os.path.exists(path)
    event = models.AuditEvent.get(models.AuditEvent.action == "evidence.delete")
    assert (event.username, event.object_type, event.object_id) == ("mentor", "evidence", item.id)
    assert item.sha256 in event.detail
    assert models.CaseEvent.select().where(models.CaseEvent.case == online,
                                           models.CaseEvent.kind == "evidence_deleted").count() == 1
    assert "Het bewijs is verwijderd." in mentor.get(response.headers["Location"]).get_data(as_text=True)


def test_the_coordinator_deletes_evidence_someone_else_added(app, login_as, mentor, online):
    post_evidence(mentor, online, (png_bytes(), "verkeerde-foto.png", "image/png"))
    item = newest_evidence()
    assert delete_evidence(login_as("coordinator"), item).status_code == 302
    assert models.Evidence.get_or_none(models.Evidence.id == item.id) is None
    assert item.file_name not in stored_files(app)


def test_a_colleague_on_the_case_may_not_delete_what_another_added(app, login_as, factory, online):
    item = newest_evidence()
    colleague = factory.user("mentor3", roles=("mentor",))
    with models.db.atomic():
        models.Case.update(mentor=colleague).where(models.Case.id == online.id).execute()
    client = login_as("mentor3")
    assert "/bewijs/%d/verwijderen" % item.id not in client.get("/dossiers/%d" % online.id).get_data(as_text=True)
    assert delete_evidence(client, item).status_code == 403
    assert models.Evidence.get_or_none(models.Evidence.id == item.id) is not None


def test_evidence_of_a_closed_case_stays(app, login_as, mentor, online):
    item = models.Evidence.get(models.Evidence.file_name.is_null(False), models.Evidence.case == online)
    with models.db.atomic():
        models.Case.update(status="closed", closed_at=db.utcnow()).where(models.Case.id == online.id).execute()
    for client in (mentor, login_as("coordinator")):
        assert "/verwijderen" not in client.get("/dossiers/%d" % online.id).get_data(as_text=True)
        assert delete_evidence(client, item).status_code == 403
    assert item.file_name in stored_files(app)
    assert models.Evidence.get_or_none(models.Evidence.id == item.id) is not None


def test_without_a_valid_token_nothing_is_deleted(app, mentor, online):
    item = models.Evidence.get(models.Evidence.file_name.is_null(False), models.Evidence.case == online)
    response = mentor.post("/bewijs/%d/verwijderen" % item.id, data={})
    assert response.status_code == 400
    assert models.Evidence.get_or_none(models.Evidence.id == item.id) is not None
    assert item.file_name in stored_files(app)


def test_the_file_stays_when_the_rows_deletion_does_not_commit(app, mentor, online):
    item = models.Evidence.get(models.Evidence.file_name.is_null(False), models.Evidence.case == online)
    if POSTGRES:
        models.db.execute_sql("CREATE FUNCTION keep_evidence() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION 'schijf vol'; END $$")
        models.db.execute_sql("CREATE TRIGGER keep_evidence BEFORE DELETE ON evidence "
                              "FOR EACH ROW EXECUTE FUNCTION keep_evidence()")
    else:
        models.db.execute_sql("CREATE TRIGGER keep_evidence BEFORE DELETE ON evidence "
                              "BEGIN SELECT RAISE(ABORT, 'schijf vol'); END")
    response = delete_evidence(mentor, item)
    assert response.status_code == 302
    assert "Het bewijs kon niet worden verwijderd." in mentor.get(response.headers["Location"]).get_data(as_text=True)
    assert models.Evidence.get_or_none(models.Evidence.id == item.id) is not None
    assert item.file_name in stored_files(app)


def test_retention_removes_old_files_no_row_points_to_and_leaves_young_ones(app, online):
    folder = app.config["EVIDENCE_DIR"]
    with app.app_context():
        kept = models.Evidence.get(models.Evidence.file_name.is_null(False)).file_name
    old_orphan, young_orphan = "a" * 32 + ".png", "b" * 32 + ".jpg"
    for name in (old_orphan, young_orphan):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(png_bytes())
    two_hours_ago = datetime.datetime.now().timestamp() - 7200
    os.utime(os.path.join(folder, old_orphan), (two_hours_ago, two_hours_ago))
    os.utime(os.path.join(folder, kept), (two_hours_ago, two_hours_ago))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "--dry-run"])
    assert "1 bewijsbestanden zonder bewijsregel zouden worden verwijderd." in dry.output
    assert old_orphan in stored_files(app)
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "1 bewijsbestanden zonder bewijsregel verwijderd." in result.output
    files = stored_files(app)
    assert old_orphan not in files and young_orphan in files and kept in files
    with app.app_context():
        assert models.AuditEvent.select().where(models.AuditEvent.action == "evidence.orphans_removed").count() == 1


def pdf_of_pages(count):
    buffer = io.BytesIO()
    pages = canvas.Canvas(buffer)
    for number in range(count):
        pages.drawString(72, 720, "Bericht %d" % (number + 1))
        pages.showPage()
    pages.save()
    return buffer.getvalue()


def test_a_pdf_of_no_pages_is_unreadable_and_one_of_the_most_pages_is_kept(app, mentor, online):
    """At most MAX_PDF_PAGES pages: that many are kept, one more is refused with the limit named."""
    files, rows = stored_files(app), models.Evidence.select().count()
    empty = io.BytesIO()
    PdfWriter().write(empty)
    assert_refused(app, post_evidence(mentor, online, (empty.getvalue(), "chat.pdf", "application/pdf")),
                   UNREADABLE_PDF, files, rows)
    from domain import evidence
    too_many = pdf_of_pages(evidence.MAX_PDF_PAGES + 1)
    assert_refused(app, post_evidence(mentor, online, (too_many, "chat.pdf", "application/pdf")),
                   "Deze PDF heeft te veel pagina's (hoogstens %d)." % evidence.MAX_PDF_PAGES, files, rows)
    response = post_evidence(mentor, online, (pdf_of_pages(evidence.MAX_PDF_PAGES), "chat.pdf", "application/pdf"))
    assert response.status_code == 302
    assert len(PdfReader(io.BytesIO(stored_bytes(app, newest_evidence()))).pages) == evidence.MAX_PDF_PAGES


def test_a_pdf_whose_cross_reference_pointer_is_off_is_read_leniently_and_kept(app, mentor, online):
    """Files edited by other tools often point a few bytes beside their cross-reference table; pypdf
    finds it when not strict, and the page is kept (written anew, with a correct table)."""
    data = pdf_bytes()
    tail = data.rindex(b"startxref")
    offset = int(data[tail:].split()[1])
    off = data[:tail] + b"startxref\n%d\n%%%%EOF\n" % (offset + 7)
    with pytest.raises(Exception, match="xref"):
        PdfReader(io.BytesIO(off), strict=True)
    response = post_evidence(mentor, online, (off, "chat.pdf", "application/pdf"))
    assert response.status_code == 302
    kept = PdfReader(io.BytesIO(stored_bytes(app, newest_evidence())), strict=True)
    assert "jij hoort er niet bij" in kept.pages[0].extract_text()


def test_orphans_are_those_strictly_older_than_the_age_and_a_vanished_or_known_file_stops_nothing(app):
    """A file exactly `older_than` old is not yet an orphan; a name whose file is gone when it is looked
    at (a dangling link here: removed between the listing and the look), a file a row names and a name
    we did not make are each passed over, not the end, whichever way they sort."""
    from domain import evidence
    folder = app.config["EVIDENCE_DIR"]
    os.makedirs(folder, exist_ok=True)
    vanished, known, orphan = "0" * 32 + ".png", "0" * 31 + "f.jpg", "1" * 32 + ".png"
    os.symlink(os.path.join(folder, "nowhere"), os.path.join(folder, vanished))
    for name in (known, orphan, ".not-ours"):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(png_bytes())
        os.utime(os.path.join(folder, name), (1_000_000_000, 1_000_000_000))
    ours = [".not-ours", vanished, known, orphan]
    assert [name for name in sorted(os.listdir(folder)) if name in ours] == ours  # the order they are met in
    with app.app_context():
        assert evidence.orphans({known}, older_than=60, now=1_000_000_060) == []
        assert evidence.orphans({known}, older_than=60, now=1_000_000_061) == [orphan]
        assert evidence.orphans({known, orphan}, older_than=60, now=1_000_000_061) == []
        assert evidence.orphans(set(), older_than=60, now=1_000_000_061) == [known, orphan]


def test_a_removal_while_a_backup_copies_leaves_the_file_and_a_gone_file_is_no_error(app):
    """While a backup holds removals, a removal leaves its file (False) for the archive; afterwards it goes
    (True), and removing it again is fine. The lock lives beside the folder, never among the files."""
    from domain import evidence
    with app.app_context():
        name = evidence.store(evidence.CleanFile(png_bytes(), "image/png"))
        with evidence.removals_held():
            assert evidence.remove(name) is False
            assert name in stored_files(app)
        assert evidence.remove(name) is True and name not in stored_files(app)
        assert evidence.remove(name) is True
    folder = os.path.normpath(app.config["EVIDENCE_DIR"])
    assert os.path.exists(folder + ".backup-lock") and not any("lock" in name for name in stored_files(app))


def test_wiping_the_demo_removes_every_stored_evidence_file_and_nothing_else(app, tmp_path):
    """The demo reset empties the evidence folder of the files it stored, leaves whatever else lies there,
    and is fine with no folder at all."""
    from domain import evidence
    with app.app_context():
        stored = evidence.store(evidence.CleanFile(png_bytes(), "image/png"))
        folder = app.config["EVIDENCE_DIR"]
        with open(os.path.join(folder, "LEESMIJ.txt"), "w") as handle:
            handle.write("Niet van Herstel.")
        assert any(name != stored and evidence.STORED_NAME.match(name) for name in stored_files(app))  # the demo's
        evidence.remove_all()
        assert stored_files(app) == {"LEESMIJ.txt"}
        app.config["EVIDENCE_DIR"] = str(tmp_path / "nog-niet-aangemaakt")
        try:
            evidence.remove_all()
            assert not os.path.exists(app.config["EVIDENCE_DIR"])
        finally:
            app.config["EVIDENCE_DIR"] = folder


def test_a_jpeg_that_holds_more_pictures_than_one_is_refused_as_no_plain_jpeg(app, mentor, online):
    """A phone's multi-picture JPEG (MPO) starts like a JPEG but is another format: refused, with the reason."""
    first, second = Image.new("RGB", (40, 30), (1, 2, 3)), Image.new("RGB", (40, 30), (9, 9, 9))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    files, rows = stored_files(app), models.Evidence.select().count()
    response = post_evidence(mentor, online, (buffer.getvalue(), "foto.jpg", "image/jpeg"))
    assert_refused(app, response, "Dit bestand lijkt een afbeelding, maar is beschadigd of geen echte PNG of JPEG.",
                   files, rows)


def test_an_image_of_exactly_the_most_pixels_is_kept_and_one_pixel_more_refused(app, mentor, online, monkeypatch):
    """The pixel limit holds its own number (here set to a small image's, so that nothing big is decoded)."""
    from domain import evidence
    monkeypatch.setattr(evidence, "MAX_PIXELS", 120 * 80)
    assert post_evidence(mentor, online, (png_bytes((120, 80)), "precies.png", "image/png")).status_code == 302
    files, rows = stored_files(app), models.Evidence.select().count()
    assert_refused(app, post_evidence(mentor, online, (png_bytes((121, 80)), "groter.png", "image/png")),
                   "Deze afbeelding is te groot: 121 × 80 beeldpunten.", files, rows)


@pytest.mark.parametrize("mode, colour, info", [
    ("RGBA", (200, 30, 30, 0), {}), ("LA", (90, 0), {}), ("P", None, {"transparency": 0}),
    ("RGB", (200, 30, 30), {"transparency": (200, 30, 30)})])
def test_a_transparent_png_keeps_its_transparency(app, mentor, online, mode, colour, info):
    """Whatever way a PNG says a pixel is see-through (an alpha channel, or a colour marked transparent),
    the stored copy still says so: an RGBA image whose first pixel is fully transparent."""
    image = Image.new(mode, (120, 80), colour) if colour is not None else Image.new("P", (120, 80), 0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **info)
    assert post_evidence(mentor, online, (buffer.getvalue(), "doorzichtig.png", "image/png")).status_code == 302
    with Image.open(io.BytesIO(stored_bytes(app, newest_evidence()))) as kept:
        assert kept.format == "PNG" and kept.mode == "RGBA" and kept.getpixel((0, 0))[3] == 0


def test_a_photo_taken_sideways_is_stored_upright_and_a_jpeg_stays_opaque(app, mentor, online):
    """A phone stores a portrait photo lying down with an orientation tag: the kept copy is turned upright
    (and holds no tag any more); a JPEG has no transparency to keep."""
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to show
    buffer = io.BytesIO()
    Image.new("RGB", (90, 60), (20, 120, 200)).save(buffer, "JPEG", exif=exif.tobytes())
    assert post_evidence(mentor, online, (buffer.getvalue(), "foto.jpg", "image/jpeg")).status_code == 302
    with Image.open(io.BytesIO(stored_bytes(app, newest_evidence()))) as kept:
        assert kept.format == "JPEG" and kept.mode == "RGB" and kept.size == (60, 90)
        assert 0x0112 not in kept.getexif()


def test_a_jpeg_is_written_anew_at_quality_92_so_the_text_of_a_photographed_chat_stays_sharp(app, mentor, online):
    """Pillow's default (75) blurs small letters; the kept copy carries the quantisation tables of 92."""
    assert post_evidence(mentor, online, (jpeg_bytes(quality=60), "foto.jpg", "image/jpeg")).status_code == 302
    reference = io.BytesIO()
    Image.new("RGB", (8, 8)).save(reference, "JPEG", quality=92)
    with Image.open(io.BytesIO(stored_bytes(app, newest_evidence()))) as kept, Image.open(reference) as at_92:
        assert kept.quantization == at_92.quantization


def test_the_evidence_folder_is_made_readable_by_the_server_alone(app, tmp_path):
    """Made on the first upload: no other account on the server may list or open what is in it."""
    from domain import evidence
    folder = app.config["EVIDENCE_DIR"]
    app.config["EVIDENCE_DIR"] = str(tmp_path / "bewijs")
    try:
        with app.app_context():
            name = evidence.store(evidence.CleanFile(png_bytes(), "image/png"))
        assert oct(os.stat(tmp_path / "bewijs").st_mode & 0o777) == "0o700"
        assert oct(os.stat(tmp_path / "bewijs" / name).st_mode & 0o777) == "0o600"
    finally:
        app.config["EVIDENCE_DIR"] = folder


def test_a_file_that_fails_halfway_through_writing_is_taken_away_again(app, monkeypatch):
    """The disk fails while the file is flushed: the error is the disk's, and no half-written file stays."""
    from domain import evidence

    def disk_error(fd):
        raise OSError(5, "Input/output error")

    with app.app_context():
        before = stored_files(app)
        monkeypatch.setattr(evidence.os, "fsync", disk_error)
        with pytest.raises(OSError, match="Input/output error"):
            evidence.store(evidence.CleanFile(png_bytes(), "image/png"))
        assert stored_files(app) == before
