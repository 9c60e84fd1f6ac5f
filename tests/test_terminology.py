"""The school's words: a Flemish school reads klascoach, zorgteam and zorgcoördinator where a
Dutch school reads mentor, ondersteuningsteam and anti-pestcoördinator; English stays English."""
import html
import io
import re
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

import db
import models
import terminology
from conftest import csrf_token, demo_case, demo_user
from domain import pupil_import

DUTCH_WORDS = re.compile(r"\bmentor(en)?\b|ondersteuningsteam|anti-pestcoördinator", re.IGNORECASE)
FLEMISH_WORDS = re.compile(r"klascoach|zorgteam|zorgcoördinator", re.IGNORECASE)


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(response, status=200):
    assert response.status_code == status, response.status_code
    parser = VisibleText()
    parser.feed(response.get_data(as_text=True))
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def set_school(region=None, **fields):
    settings = models.SchoolSettings.current()
    if region:
        settings.region = region
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.save()


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def flemish_case(factory):
    """A case on the Flemish stappenplan, referred to the care team, with a session that reports back."""
    mentor = demo_user("mentor")
    victim, bully = factory.pupil(first_name="Lien"), factory.pupil(first_name="Wout")
    case = factory.case(mentor=mentor, protocol="stappenplan-vl", victim=victim, bully=bully)
    with models.db.atomic():
        referral = models.Referral.create(case=case, pupil=victim, target="support_team",
                                          referred_on=db.today(), by_user=mentor)
        models.SupportSession.create(case=case, referral=referral, kind="individual", held_on=db.today(),
                                     participants="Lien", notes="Rustig gesprek.", report_back="Gaat beter.",
                                     recorded_by=demo_user("support"))
    return case


# The words themselves -------------------------------------------------------------------------------

def test_each_country_has_its_own_words(app):
    for region, expected in (("nl", ("mentor", "Mentoren", "ondersteuningsteam", "Anti-pestcoördinator")),
                             ("vl", ("klascoach", "Klascoaches", "zorgteam", "Zorgcoördinator"))):
        set_school(region)
        with app.app_context():  # a fresh context reads the settings anew
            assert (terminology.term("mentor"), terminology.term("mentor", plural=True, capital=True),
                    terminology.term("support"), terminology.term("coordinator", capital=True)) == expected
            assert terminology.dutch_term("mentor") == expected[0]


def test_role_labels_follow_the_country(app):
    set_school("vl")
    with app.app_context():
        assert [str(label) for _, label in models.ROLES][1:4] == ["Klascoach", "Zorgcoördinator", "Zorgteam"]
        assert str(terminology.label(models.CASE_EVENT_KINDS, "support_session")) == "Sessie van het zorgteam"


def test_the_settings_are_read_once_per_request_however_many_words_a_page_shows(login_as, monkeypatch,
                                                                                 flemish_case):
    set_school("vl")
    client = login_as("coordinator")
    reads = []
    current = models.SchoolSettings.current.__func__

    def counted(cls):
        reads.append(cls)
        return current(cls)
    monkeypatch.setattr(models.SchoolSettings, "current", classmethod(counted))
    text = visible_text(client.get("/dossiers/%d" % flemish_case.id))
    assert text.count("Klascoach") + text.count("klascoach") + text.count("Zorg") >= 4
    assert len(reads) == 1


# A Flemish school ------------------------------------------------------------------------------------

FLEMISH_PAGES = [
    ("coordinator", "/"), ("coordinator", "/dossiers/"), ("coordinator", "/dossiers/{case}"),
    ("coordinator", "/meldingen/nieuw"), ("coordinator", "/inzageverzoek/leerling/{pupil}"), ("mentor", "/"), ("mentor", "/dossiers/{case}"),
    ("support", "/"), ("support", "/ondersteuning/"), ("support", "/dossiers/{case}"),
    ("admin", "/beheer/gebruikers"), ("admin", "/beheer/gebruikers/nieuw"), ("admin", "/beheer/import/"),
    (None, "/melden"),
]


@pytest.mark.parametrize("username, path", FLEMISH_PAGES)
def test_a_flemish_school_reads_no_dutch_role_names(login_as, flemish_case, username, path):
    set_school("vl", public_reports_enabled=True)
    pupil = flemish_case.involved_pupils()[0].pupil
    text = visible_text(login_as(username).get(path.format(case=flemish_case.id, pupil=pupil.id)))
    for user in models.User.select(models.User.username):  # the demo's login names are data, not words
        text = re.sub(r"(?<![\w-])%s(?![\w-])" % re.escape(user.username), "", text)
    assert not DUTCH_WORDS.search(text), DUTCH_WORDS.search(text).group(0)


def test_a_flemish_case_on_the_protocol_for_both_countries_reads_klascoach(login_as):
    """The online-bullying protocol serves schools in both countries; its texts name roles with
    placeholders, so a Flemish school reads its own words in it too."""
    set_school("vl")
    online = demo_case("0002")
    assert online.protocol_key == "online-pesten"
    text = visible_text(login_as("coordinator").get("/dossiers/%d" % online.id))
    # The demo's notes are a Dutch school's words ("Mentor belt vrijdag."): data, not the protocol's.
    assert not re.search(r"\bde mentor|de anti-pestcoördinator", text, re.IGNORECASE)
    assert "Wat deze stap vraagt Kort na de overeenkomst kijkt de klascoach met alle betrokken leerlingen" in text


@pytest.mark.parametrize("region, offered, not_offered", [
    ("nl", ["VO-protocol (NL)", "Online pesten"], "Stappenplan (Vlaanderen)"),
    ("vl", ["Stappenplan (Vlaanderen)", "Online pesten"], "VO-protocol (NL)"),
])
def test_a_new_case_is_offered_the_protocols_of_the_schools_country(login_as, region, offered, not_offered):
    set_school(region, default_protocol="online-pesten")
    page = visible_text(login_as("coordinator").get("/dossiers/nieuw"))
    assert all(name in page for name in offered) and not_offered not in page


def test_the_default_protocol_must_fit_the_country(login_as):
    admin = login_as("admin")
    data = {"csrf_token": csrf_token(admin, "/instellingen/"), "school_name": "Sint-Jozefscollege", "region": "vl",
            "default_protocol": "vo-nl", "retention_months": "24"}
    refused = admin.post("/instellingen/", data=data)
    assert refused.status_code == 400
    assert "Dit protocol is niet voor scholen in Vlaanderen; kies er een dat daarbij past." in visible_text(
        refused, 400)
    assert 'value="Sint-Jozefscollege"' in refused.get_data(as_text=True)  # what was typed stays
    assert models.SchoolSettings.current().region == "nl"
    for protocol in ("stappenplan-vl", "online-pesten"):
        assert admin.post("/instellingen/", data=dict(data, default_protocol=protocol)).status_code == 302
        assert models.SchoolSettings.current().default_protocol == protocol


def test_a_flemish_case_page_names_klascoach_zorgteam_and_zorgcoordinator(login_as, flemish_case):
    set_school("vl")
    text = visible_text(login_as("coordinator").get("/dossiers/%d" % flemish_case.id))
    assert "Zorgcoördinator" in text  # the user's role in the top bar
    assert "Klascoach Jeroen Bakker" in text
    assert "Terugkoppeling aan de klascoach" in text and "Notities van het zorgteam" in text


def test_a_flemish_school_sees_its_words_in_the_menu_filters_and_role_choices(login_as):
    set_school("vl")
    support = visible_text(login_as("support").get("/"))
    assert "Doorverwezen naar het zorgteam" in support and "Naar het zorgteam" in support
    cases = login_as("coordinator").get("/dossiers/").get_data(as_text=True)
    assert '<label class="field__label" for="f-mentor">Klascoach</label>' in cases
    assert "Alle klascoaches" in cases
    users = visible_text(login_as("admin").get("/beheer/gebruikers/nieuw"))
    assert "Medewerker Klascoach Zorgcoördinator Zorgteam Vertrouwenspersoon" in users
    assert "Een klascoach ziet de dossiers van zijn of haar klassen; de zorgcoördinator ziet alle" in users


def test_the_report_page_and_the_filed_report_name_the_zorgcoordinator(login_as, client):
    set_school("vl", public_reports_enabled=True)
    page = visible_text(client.get("/melden"))
    assert "Dan leest de zorgcoördinator van de school het." in page and "Awel" in page
    set_school(public_reports_enabled=False)
    assert "Vertel het aan je klascoach" in visible_text(client.get("/melden"), status=404)
    staff = login_as("mentor")
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    response = staff.post("/meldingen/nieuw", data={
        "csrf_token": csrf_token(staff, "/meldingen/nieuw"), "pupils": [str(noor.id)], "kinds": ["verbal"],
        "description": "Noor wordt uitgescholden op de speelplaats.", "reporter_kind": "staff",
        "channel": "conversation", "reported_on": db.today().isoformat(), "place": "speelplaats"},
        follow_redirects=True)
    assert "De zorgcoördinator neemt haar in behandeling." in visible_text(response)


def test_the_agreement_pdf_names_the_klascoach(login_as):
    agreement = models.Agreement.get(models.Agreement.case == demo_case("0001"))
    client = login_as("mentor")
    set_school("vl")
    flemish = pdf_text(client.get("/herstelovereenkomsten/%d/pdf" % agreement.id).data)
    assert "klascoach" in flemish and not re.search(r"\bmentor\b", flemish.replace("(mentor)", ""))
    set_school("nl")
    dutch = pdf_text(client.get("/herstelovereenkomsten/%d/pdf" % agreement.id).data)
    assert "klascoach" not in dutch and re.search(r"\bmentor\b", dutch)


def test_english_pdfs_stay_dutch_with_the_schools_word(login_as):
    """PDFs are written in Dutch whatever the user's language, with the school's own word."""
    agreement = models.Agreement.get(models.Agreement.case == demo_case("0001"))
    with models.db.atomic():
        models.User.update(language="en").where(models.User.username == "mentor").execute()
    set_school("vl")
    text = pdf_text(login_as("mentor").get("/herstelovereenkomsten/%d/pdf" % agreement.id).data)
    assert "klascoach" in text and "class coach" not in text


def test_who_decides_a_phase_is_said_in_the_flemish_words(app_context, factory):
    from domain import escalation
    set_school("vl")
    case = factory.case(mentor=demo_user("mentor"), bully=factory.pupil())
    with pytest.raises(escalation.MeasureError, match="beslist: graadcoördinator en directie"):
        escalation.decide_measure(case, case.involvements[0].pupil, 4, "Schorsing", demo_user("mentor"),
                                  db.today())


def test_a_flemish_import_file_may_name_the_klascoach_column(app_context):
    set_school("vl")
    data = ("leerlingnummer;voornaam;achternaam;klas;e-mail klascoach\n"
            "V1;Lien;Peeters;1A;%s\n" % demo_user("mentor").email).encode()
    plan = pupil_import.plan(data)
    assert not plan.problems and plan.rows[0].mentor_email == demo_user("mentor").email


# The CLB ---------------------------------------------------------------------------------------------

def post_referral(client, case, target):
    pupil = case.involvements[0].pupil
    return client.post("/dossiers/%d/doorverwijzingen/nieuw" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "referral-target": target,
        "referral-pupil": str(pupil.id), "referral-referred_on": db.today().isoformat()})


def test_only_a_flemish_school_refers_to_the_clb(login_as, flemish_case):
    client = login_as("mentor")
    form_path = "/dossiers/%d/doorverwijzingen/nieuw" % flemish_case.id
    set_school("nl")
    assert 'value="clb"' not in client.get(form_path).get_data(as_text=True)
    assert post_referral(client, flemish_case, "clb").status_code == 400
    assert not models.Referral.select().where(models.Referral.target == "clb").exists()
    set_school("vl")
    assert 'value="clb"' in client.get(form_path).get_data(as_text=True)
    assert post_referral(client, flemish_case, "clb").status_code == 302
    assert models.Referral.get(models.Referral.target == "clb").case_id == flemish_case.id


# A Dutch school, and English ---------------------------------------------------------------------------

def test_a_dutch_school_keeps_its_words(login_as, flemish_case):
    set_school("nl")
    case_page = visible_text(login_as("coordinator").get("/dossiers/%d" % flemish_case.id))
    assert "Anti-pestcoördinator" in case_page and "Mentor Jeroen Bakker" in case_page
    assert "Terugkoppeling aan de mentor" in case_page and "Notities van het ondersteuningsteam" in case_page
    support = visible_text(login_as("support").get("/"))
    assert "Doorverwezen naar het ondersteuningsteam" in support
    assert not FLEMISH_WORDS.search(case_page + support)


@pytest.mark.parametrize("region, words", [
    ("nl", ("Mentor Jeroen Bakker", "Report back to the mentor", "Notes of the support team")),
    ("vl", ("Class coach Jeroen Bakker", "Report back to the class coach", "Notes of the care team")),
])
def test_english_stays_english(login_as, flemish_case, region, words):
    set_school(region)
    with models.db.atomic():
        models.User.update(language="en").where(models.User.username == "coordinator").execute()
    text = visible_text(login_as("coordinator").get("/dossiers/%d" % flemish_case.id))
    for word in words:
        assert word in text
    assert not FLEMISH_WORDS.search(text) and not re.search(r"ondersteuningsteam|coördinator", text, re.I)


def test_the_settings_page_switches_the_words(login_as):
    admin = login_as("admin")
    page = visible_text(admin.get("/instellingen/"))
    assert "Nederland: mentor, ondersteuningsteam, anti-pestcoördinator." in page
    assert "Vlaanderen: klascoach, zorgteam, zorgcoördinator, CLB." in page
    response = admin.post("/instellingen/", data={
        "csrf_token": csrf_token(admin, "/instellingen/"), "school_name": "Sint-Jozefscollege", "region": "vl",
        "default_protocol": "stappenplan-vl", "retention_months": "24"}, follow_redirects=True)
    assert "De instellingen zijn opgeslagen." in html.unescape(response.get_data(as_text=True))
    assert "Klascoach" in visible_text(login_as("mentor").get("/"))


def test_choice_labels_follow_a_change_of_country_in_a_running_app(login_as, flemish_case):
    """Choice labels are resolved once per process, per language and per country: switching the
    country must still switch the words of the next page (here a timeline line)."""
    models.CaseEvent.add(flemish_case, "support_session")
    client = login_as("coordinator")
    for region, word, other in [("nl", "ondersteuningsteam", "zorgteam"), ("vl", "zorgteam", "ondersteuningsteam"),
                                ("nl", "ondersteuningsteam", "zorgteam")]:
        set_school(region)
        text = visible_text(client.get("/dossiers/%d" % flemish_case.id))
        assert "Sessie van het " + word in text and "Sessie van het " + other not in text
