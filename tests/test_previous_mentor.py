"""The previous mentor after a handover (issue 20): when the school says so (the setting, off by default), the
mentor a case was handed away from keeps reading it, read-only: the case page and what they recorded themselves,
on their home page as "overgedragen" and never in their to-do. What others record is not shown or counted."""
import re

import pytest

import models
from conftest import csrf_token, demo_case, demo_user
from access_routes import hand_over_0003
from db import today as school_today


def settings_form(client, **changes):
    """The administrator's settings form as it stands, with `changes`."""
    settings = models.SchoolSettings.current()
    data = {"csrf_token": csrf_token(client, "/instellingen/"), "school_name": settings.school_name,
            "region": settings.region, "default_protocol": settings.default_protocol,
            "retention_months": settings.retention_months, "smtp_port": settings.smtp_port}
    data.update({name: "y" for name, value in changes.items() if value})
    return client.post("/instellingen/", data=data)


def test_the_handover_is_kept_and_the_setting_is_off_by_default(login_as):
    case = demo_case("0003")
    client = login_as("coordinator")
    response = client.post("/dossiers/%d/overdragen" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d/corrigeren" % case.id), "mentor": demo_user("mentor").id})
    assert response.status_code == 302
    handover = models.CaseHandover.get(models.CaseHandover.case == case)
    assert (handover.from_mentor_id, handover.to_mentor_id, handover.handed_over_by_id) == (
        demo_user("mentor2").id, demo_user("mentor").id, demo_user("coordinator").id)
    assert models.SchoolSettings.current().previous_mentor_reads is False


def test_the_administrator_switches_the_setting_and_the_previous_mentor_s_access_follows(login_as):
    hand_over_0003(False)
    case_url = "/dossiers/%d" % demo_case("0003").id
    mentor2, admin = login_as("mentor2"), login_as("admin")
    form = admin.get("/instellingen/").get_data(as_text=True)
    assert "Vorige mentor houdt leesrecht na overdracht" in form and "Uit laten als overdracht" in form
    assert mentor2.get(case_url).status_code == 404
    assert "Overgedragen dossiers" not in mentor2.get("/").get_data(as_text=True)

    assert settings_form(admin, previous_mentor_reads=True).status_code == 302
    assert models.SchoolSettings.current().previous_mentor_reads is True
    event = models.AuditEvent.select().where(models.AuditEvent.action == "settings.save").order_by(
        models.AuditEvent.id.desc()).first()
    assert "vorige mentor leest na overdracht: ja" in event.detail
    page = mentor2.get(case_url)
    assert page.status_code == 200
    assert "Dit dossier is overgedragen aan" in page.get_data(as_text=True)

    assert settings_form(admin, previous_mentor_reads=False).status_code == 302
    assert mentor2.get(case_url).status_code == 404


def test_the_previous_mentor_reads_what_they_recorded_and_nothing_others_recorded(login_as):
    hand_over_0003(True)
    case = demo_case("0003")
    isa = models.Pupil.get(models.Pupil.first_name == "Isa")
    own_note = models.PersonalNote.get(models.PersonalNote.case == case, models.PersonalNote.author == demo_user("mentor2"))
    # The new mentor records a parent contact and a note of their own after the handover.
    with models.db.atomic():
        models.ParentContact.create(case=case, pupil=isa, channel="phone", contacted_on=school_today(),
                                    by_user=demo_user("mentor"), summary="Nieuw-na-overdracht-8812")
        models.PersonalNote.create(case=case, author=demo_user("mentor"), body="Nieuwe-mentor-notitie-6630")
        models.CaseEvent.add(case, "parent_contact", "Nieuwe-gebeurtenis-2291", demo_user("mentor"))
    page = login_as("mentor2").get("/dossiers/%d" % case.id).get_data(as_text=True)
    for own in (own_note.body, "Isa", "Bram"):  # their work note, the pupils and their roles
        assert own in page, own
    own_contacts = models.ParentContact.select().where(models.ParentContact.case == case,
                                                       models.ParentContact.by_user == demo_user("mentor2"))
    assert own_contacts.count() and all(contact.summary[:30] in page for contact in own_contacts if contact.summary)
    for others in ("Nieuw-na-overdracht-8812", "Nieuwe-mentor-notitie-6630", "Nieuwe-gebeurtenis-2291"):
        assert others not in page, others
    # Nothing to write: no form on the page but logging out and the language, no htmx request.
    assert set(re.findall(r'<form[^>]*action="([^"]*)"', page)) == {"/logout", "/taal"}
    assert "data-hx-post" not in page and "Bewerken" not in page
    # Isa's page, as the case page: the parent contact the new mentor made is not there.
    pupil_page = login_as("mentor2").get("/leerlingen/%d" % isa.id)
    assert pupil_page.status_code == 200 and "Nieuw-na-overdracht-8812" not in pupil_page.get_data(as_text=True)
    # The new mentor reads it all: the checks above can fail.
    whole = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Nieuw-na-overdracht-8812" in whole
    assert "Nieuw-na-overdracht-8812" in login_as("mentor").get("/leerlingen/%d" % isa.id).get_data(as_text=True)
    event = models.AuditEvent.select().where(models.AuditEvent.action == "case.view",
                                             models.AuditEvent.username == "mentor2").get()
    assert event.object_id == case.id  # reading is logged as every read


def test_the_case_is_on_the_previous_mentor_s_home_page_as_handed_over_and_not_in_their_to_do(login_as):
    hand_over_0003(True)
    case = demo_case("0003")
    models.CaseStep.update(due_on=school_today()).where(models.CaseStep.case == case,
                                                                models.CaseStep.status == "open").execute()
    home = login_as("mentor2").get("/").get_data(as_text=True)
    section = home.split("Overgedragen dossiers (alleen lezen)")[1].split("</section>")[0]
    assert case.reference in section and "overgedragen" in section
    assert "nu bij %s" % case.mentor.full_name in section
    assert section.count("overgedragen") == 1, "the badge says it; the line under the case does not repeat it"
    to_do = home.split('id="due-title"')[1].split("</section>")[0] if 'id="due-title"' in home else ""
    assert case.reference not in to_do
    assert case.reference not in login_as("mentor2").get("/dossiers/?status=all").get_data(as_text=True)
    # The new mentor has it in their to-do: the check above can fail.
    new_home = login_as("mentor").get("/").get_data(as_text=True)
    assert case.reference in new_home.split('id="due-title"')[1].split("</section>")[0]


@pytest.mark.parametrize("reads", [False, True], ids=["setting off", "setting on"])
def test_handed_back_the_mentor_reads_and_works_on_the_whole_case_again(login_as, reads):
    from domain import corrections
    hand_over_0003(reads)
    case = demo_case("0003")
    with models.db.atomic():
        corrections.hand_over(case, demo_user("mentor2"), demo_user("coordinator"))
    client = login_as("mentor2")
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Dit dossier is overgedragen aan" not in page and "Doorverwijzen" in page
    assert "Overgedragen dossiers" not in client.get("/").get_data(as_text=True)


def test_the_pages_of_a_handover_and_of_a_referral_to_the_counsellor_are_valid_html(login_as, tmp_path):
    """The sections these bring (the previous mentor's home and case page, the counsellor's referrals, a referral
    to the counsellor on the case page, its closing page, the setting) through the W3C Nu Html Checker."""
    checker = pytest.importorskip("test_valid_html")
    if not checker.JAVA:
        pytest.skip("the Nu Html Checker needs Java")
    from test_counsellor_referrals import refer
    hand_over_0003(True)
    assert refer(login_as("mentor"), demo_case("0001")).status_code == 302
    referral = models.Referral.get(models.Referral.target == "counsellor")
    pages = {"mentor2_home": ("mentor2", "/"), "mentor2_case": ("mentor2", "/dossiers/%d" % demo_case("0003").id),
             "counsellor_home": ("counsellor", "/"), "mentor_case": ("mentor", "/dossiers/%d" % demo_case("0001").id),
             "counsellor_close": ("counsellor", "/doorverwijzingen/%d/afsluiten" % referral.id),
             "admin_settings": ("admin", "/instellingen/")}
    for name, (role, url) in pages.items():
        response = login_as(role).get(url)
        assert response.status_code == 200, name
        (tmp_path / ("%s.html" % name)).write_text(response.get_data(as_text=True))
    assert "Overgedragen dossiers" in (tmp_path / "mentor2_home.html").read_text()
    assert "Doorverwezen naar de vertrouwenspersoon" in (tmp_path / "counsellor_home.html").read_text()
    errors = checker.checker_errors(tmp_path)
    assert not errors, "\n".join(errors)
