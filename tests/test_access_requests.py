"""Access requests (AVG inzage): one pupil's file, read back from the PDF and the ZIP, with others' names gone."""
import csv
import datetime
import hashlib
import io
import re
import zipfile

import pypdf

import models
from conftest import csrf_token, demo_case, demo_user
from domain import access_requests
from db import today as school_today


def noor():
    return models.Pupil.get(models.Pupil.first_name == "Noor")


def pupil_url(pupil):
    return "/inzageverzoek/leerling/%d" % pupil.id


def ask(client, pupil, **fields):
    """Submit the access request form; fields default to a parent's request for a PDF, made today."""
    data = {"csrf_token": csrf_token(client, pupil_url(pupil)), "for_whom": "parent",
            "requester_name": "Karin Hoekstra", "requested_on": school_today().isoformat(),
            "file_format": "pdf", "note": ""}
    data.update(fields)
    return client.post(pupil_url(pupil), data=data)


def pdf_text(data):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def flat(text):
    """Extracted text with line breaks as spaces: a name may be wrapped across lines."""
    return " ".join(text.split())


def test_export_for_a_parent_redacts_other_pupils_and_leaves_out_private_notes(login_as):
    case = demo_case("0001")
    pupil, coordinator = noor(), demo_user("coordinator")
    # A pupil of another class, in none of Noor's cases: their full name still goes.
    outsider = models.Pupil.select().where(models.Pupil.id.not_in(
        models.Involvement.select(models.Involvement.pupil).where(models.Involvement.case == case))).first()
    models.CaseStep.update(note="Gesproken met Daan van den Berg; daarna zei daan sorry. Ook %s keek toe."
                           % outsider.display_name).where(
        models.CaseStep.case == case, models.CaseStep.step_key == "signal").execute()
    conversation = models.Conversation.create(case=case, step_key="victim-talk", template_key="victim-conversation",
                                              title="Gesprek met Noor", held_by=demo_user("mentor"))
    models.ConversationParticipant.create(conversation=conversation, pupil=pupil, name="Noor Hoekstra",
                                          role="victim")
    models.ConversationLine.create(conversation=conversation, kind="wish", client_key="k-wish",
                                   text="Noor wil dat Tim ophoudt met lachen")
    models.PersonalNote.create(case=case, author=demo_user("mentor"), body="Werknotitie-geheim-3141")
    complaint = models.Complaint.get(models.Complaint.pupil == pupil)
    models.ComplaintNote.create(complaint=complaint, author=demo_user("counsellor"), body="Vertrouwelijk-2718")

    client = login_as("coordinator")
    response = ask(client, pupil, note="Gevraagd per e-mail; Daan niet noemen")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    text = flat(pdf_text(response.data))

    # The pupil's own file is there.
    for own in ("Noor Hoekstra", "Karin Hoekstra", case.reference, "Gepeste leerling",
                "Noor slaapt slecht en wil niet meer naar de pauze.", "Moeder geïnformeerd over de melding",
                "Noor wil dat leerling", "Gesprek met Noor", "Noor komt graag", "pagina 1 van"):
        assert own in text, own
    # Other pupils are labels, in typed text too (full name, first name in lower case, infix).
    for other in ("Daan", "daan", "van den Berg", "Tim Kok", "Tim", outsider.display_name):
        assert not re.search(r"(?<!\w)%s(?!\w)" % re.escape(other), text), other  # whole words: "gedaan" stays
    assert "Gesproken met leerling A; daarna zei leerling A sorry." in text
    # Left out by law and policy.
    for private in ("Werknotitie-geheim-3141", "Vertrouwelijk-2718", "Noor piekert",
                    "Sanne Visser (ondersteuningsteam)"):
        assert private not in text, private
    # Complaints about the pupil are the counsellor's: not in the coordinator's export.
    assert complaint.description[:40] not in text and complaint.complainant_contact not in text
    # Staff act for the school: their names stay.
    assert coordinator.full_name in text and "Jeroen Bakker" in text

    event = models.AuditEvent.get(models.AuditEvent.action == "access_request.export")
    assert (event.username, event.object_type, event.object_id) == ("coordinator", "pupil", pupil.id)
    assert "ouder/verzorger" in event.detail and "pdf" in event.detail
    assert "Karin" not in event.detail and "Gevraagd" not in event.detail  # who asked and the note stay out


def test_the_export_holds_the_pupil_s_own_follow_up_talks_not_the_other_pupils(login_as):
    text = flat(pdf_text(ask(login_as("coordinator"), noor()).data))
    assert "Noor speelt mee; het gaat goed." in text and "Rustig in de pauzes" in text  # Noor's talks
    assert "hij krijgt nog één kans" not in text and "doet mee met uitnodigen" not in text  # Daan's, Tim's


def test_the_export_shows_who_looked_at_the_pupil_s_file(login_as):
    pupil = noor()
    login_as("mentor").get("/dossiers/%d" % demo_case("0001").id)
    text = flat(pdf_text(ask(login_as("coordinator"), pupil).data))
    assert "Wie het dossier bekeek of wijzigde" in text
    assert "Jeroen Bakker" in text and "case.view" in text


LEFT_OUT = "Klachten over de leerling staan niet in dit overzicht"


def test_the_coordinator_s_export_leaves_complaints_out_and_says_who_handles_them(login_as):
    """The coordinator may not read complaints on screen, so not in an export either."""
    complaint = models.Complaint.get(models.Complaint.pupil == noor())
    models.Complaint.update(advice="Advies-aan-het-bestuur-GEHEIM").where(models.Complaint.id == complaint.id).execute()
    client = login_as("coordinator")
    text = flat(pdf_text(ask(client, noor()).data))
    for secret in (complaint.description[:40], "Advies-aan-het-bestuur-GEHEIM", "In onderzoek"):
        assert secret not in text, secret
    assert LEFT_OUT in text and "vertrouwenspersoon (Peter Hendriks)" in text
    assert "maatregelen en klachten over de leerling" not in text
    # The same line for a pupil without complaints: it tells nothing about whether there are any.
    daan = models.Pupil.get(models.Pupil.first_name == "Daan")
    assert not models.Complaint.select().where(models.Complaint.pupil == daan).exists()
    assert LEFT_OUT in flat(pdf_text(ask(client, daan).data))
    # Who is also the counsellor reads complaints on screen, and in the export: the check above can fail.
    demo_user("coordinator").set_roles(["coordinator", "counsellor"])
    text = flat(pdf_text(ask(login_as("coordinator"), noor()).data))
    assert complaint.description[:40] in text and "Advies-aan-het-bestuur-GEHEIM" in text and LEFT_OUT not in text
    assert complaint.complainant_contact not in text


def test_the_form_says_complaints_stay_with_the_counsellor(login_as):
    page = login_as("coordinator").get(pupil_url(noor())).get_data(as_text=True)
    assert "Klachten over de leerling staan er niet in" in page


def test_the_export_s_audit_trail_holds_no_event_on_a_complaint_for_the_coordinator(login_as):
    """The coordinator reads no event on a complaint in the log; the export shows her none either."""
    complaint = models.Complaint.get(models.Complaint.pupil == noor())
    assert login_as("counsellor").get("/klachten/%d" % complaint.id).status_code == 200
    login_as("mentor").get("/dossiers/%d" % demo_case("0001").id)
    assert models.AuditEvent.select().where(models.AuditEvent.action == "complaint.view").exists()
    text = flat(pdf_text(ask(login_as("coordinator"), noor()).data))
    assert "case.view" in text  # the trail is there: the check below can fail
    assert "complaint.view" not in text and "complaint %d" % complaint.id not in text


def test_zip_holds_the_pdf_the_ticked_evidence_and_a_manifest_whose_hashes_match(login_as):
    item = models.Evidence.get(models.Evidence.file_name.is_null(False))
    pupil = models.Involvement.get(models.Involvement.case == item.case_id, models.Involvement.role == "victim").pupil
    client = login_as("coordinator")
    page = client.get(pupil_url(pupil)).get_data(as_text=True)
    assert 'value="%d" checked' % item.id in page  # every file is ticked to start with

    response = ask(client, pupil, file_format="zip", evidence=[str(item.id)], reviewed="y")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    pdf_names = [name for name in names if name.endswith(".pdf") and not name.startswith("bewijs/")]
    assert len(pdf_names) == 1 and "manifest.csv" in names
    evidence_names = [name for name in names if name.startswith("bewijs/")]
    assert len(evidence_names) == 1 and item.original_name not in evidence_names[0]
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")), delimiter=";"))
    assert {row["bestand"] for row in rows} == {pdf_names[0], evidence_names[0]}
    for row in rows:
        data = archive.read(row["bestand"])
        assert row["sha256"] == hashlib.sha256(data).hexdigest() and int(row["bytes"]) == len(data)
    assert hashlib.sha256(archive.read(evidence_names[0])).hexdigest() == item.sha256
    assert [row["controle"] for row in rows if row["bestand"] == evidence_names[0]] == ["gelijk aan vastlegging"]
    cover = flat(pdf_text(archive.read(pdf_names[0])))
    assert "kunnen namen of berichten van anderen tonen" in cover and "Marleen de Vries heeft" in cover


def test_unticked_evidence_stays_out_of_the_zip(login_as):
    item = models.Evidence.get(models.Evidence.file_name.is_null(False))
    pupil = models.Involvement.get(models.Involvement.case == item.case_id, models.Involvement.role == "victim").pupil
    response = ask(login_as("coordinator"), pupil, file_format="zip")
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert not [name for name in names if name.startswith("bewijs/")] and "manifest.csv" in names


def test_ticked_evidence_needs_the_exporter_to_have_looked(login_as):
    item = models.Evidence.get(models.Evidence.file_name.is_null(False))
    pupil = models.Involvement.get(models.Involvement.case == item.case_id, models.Involvement.role == "victim").pupil
    response = ask(login_as("coordinator"), pupil, file_format="zip", evidence=[str(item.id)])
    assert response.status_code == 400
    assert "Bekijk de aangevinkte bestanden" in response.get_data(as_text=True)
    assert not models.AuditEvent.select().where(models.AuditEvent.action == "access_request.export").exists()


def test_bad_input_gets_dutch_messages_next_to_the_fields_and_keeps_what_was_typed(login_as):
    client = login_as("coordinator")
    tomorrow = (school_today() + datetime.timedelta(days=1)).isoformat()
    response = ask(client, noor(), for_whom="", requester_name="", requested_on=tomorrow, note="Blijft staan")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="for_whom-error">Kies voor wie het overzicht is.' in page
    assert 'id="requester_name-error">Vul de naam in van wie om inzage vroeg.' in page
    assert 'id="requested_on-error">Deze datum ligt in de toekomst.' in page
    assert tomorrow in page and "Blijft staan" in page
    response = ask(client, noor(), for_whom="someone", file_format="docx", evidence=["abc"])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kies voor wie het overzicht is." in page and "Kies een vorm." in page
    assert "Een gekozen bestand hoort niet bij deze leerling." in page
    assert not models.AuditEvent.select().where(models.AuditEvent.action == "access_request.export").exists()


def test_a_pupil_under_sixteen_cannot_ask_for_themselves(login_as):
    pupil = noor()
    models.Pupil.update(date_of_birth=school_today().replace(year=school_today().year - 14)).where(
        models.Pupil.id == pupil.id).execute()
    response = ask(login_as("coordinator"), pupil, for_whom="pupil")
    assert response.status_code == 400 and "Deze leerling is nog geen 16" in response.get_data(as_text=True)
    assert ask(login_as("coordinator"), pupil, for_whom="parent").status_code == 200


def test_unknown_pupil_is_404_and_other_roles_are_refused(login_as):
    assert login_as("coordinator").get("/inzageverzoek/leerling/999999").status_code == 404
    assert login_as("coordinator").get("/inzageverzoek/leerling/%d" % 2 ** 70).status_code == 404
    assert login_as("coordinator").get("/inzageverzoek/?pupil=%d" % 2 ** 70).status_code == 200
    for role in ("mentor", "support", "counsellor", "admin"):
        client = login_as(role)
        assert client.get(pupil_url(noor())).status_code == 403
        assert ask(client, noor()).status_code == 403
    assert not models.AuditEvent.select().where(models.AuditEvent.action == "access_request.export").exists()


def test_choosing_a_pupil_leads_to_their_form(login_as):
    client = login_as("coordinator")
    response = client.get("/inzageverzoek/?pupil=%d" % noor().id)
    assert response.status_code == 302 and response.headers["Location"].endswith(pupil_url(noor()))
    assert "Kies een leerling uit de lijst." in client.get("/inzageverzoek/?pupil=999999").get_data(as_text=True)


def test_the_case_page_links_each_pupil_to_an_access_request_for_the_coordinator_only(login_as):
    case = demo_case("0001")
    link = 'href="%s"' % pupil_url(noor())
    assert link in login_as("coordinator").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert link not in login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)


def pupil_like(pupil_id, first, last, infix=""):
    return models.Pupil(id=pupil_id, first_name=first, infix=infix, last_name=last, student_number=str(pupil_id))


def test_redaction_rule_full_names_always_first_names_of_those_involved():
    subject = pupil_like(1, "Noor", "Hoekstra")
    daan = pupil_like(2, "Daan", "Berg", "van den")
    tim = pupil_like(3, "Tim", "Kok")
    other_noor = pupil_like(4, "Noor", "Jansen")
    outsider = pupil_like(5, "Sam", "Peters")
    redact = access_requests.Redactor(subject, [subject, daan, tim, other_noor], [outsider])
    assert redact("DAAN VAN DEN BERG en Daan  Berg, Berg, Daan van den") == "leerling A en leerling A, leerling A"
    assert redact("daan zag het; Van den Berg ook") == "leerling A zag het; leerling A ook"
    assert redact("Timo en Tim") == "Timo en leerling B"  # whole words only
    assert redact("Sam Peters zag het, Sam ook") == "leerling D zag het, Sam ook"  # an outsider's first name stays
    # Noor shares her first name with Noor Jansen: the first name alone stays, the full names do not mix up.
    assert redact("Noor Hoekstra en Noor Jansen; Noor") == "Noor Hoekstra en leerling C; Noor"
    assert redact.label(daan) == "leerling A" and redact.label(subject) == "Noor Hoekstra"


def test_a_refused_measure_reads_as_not_taken_in_the_pupil_s_file(app, login_as):
    """Parents reading their child's file see that a measure that was refused was proposed, not decided."""
    from domain import escalation
    case, yara = demo_case("0004"), models.Pupil.get(models.Pupil.first_name == "Yara")
    with app.test_request_context(), models.db.atomic():
        measure = escalation.decide_measure(case, yara, 4, "Eén dag schorsing.", demo_user("teamleader"),
                                            school_today())
        escalation.refuse(measure, case, demo_user("management"), "Eerst een gesprek met de ouders.")
    text = flat(pdf_text(ask(login_as("coordinator"), yara).data))
    line = text[text.index("Eén dag schorsing") - 80:text.index("Eén dag schorsing") + 200]
    assert "Voorgesteld op" in line and "Niet genomen geweigerd op" in line, line
    assert "Eerst een gesprek met de ouders." in line
