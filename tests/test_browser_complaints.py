"""The counsellor records a complaint, links a case and writes a private note; the coordinator
cannot find that note on any page she can reach. Chromium at 820x1180."""
import re
from collections import deque
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect

from browser import TABLET_PORTRAIT, keep_screenshot, log_in
from conftest import PASSWORD
from databases import Connection

pytestmark = pytest.mark.browser

NOTE = "Vader van Lotte belde huilend op; hij overweegt aangifte. Strikt vertrouwelijk."
COMPLAINT = "De school laat de foto in de groepsapp gewoon staan."
LINK = re.compile(r'href="([^"#]+)')


def case_reference(live_server, suffix):
    """A demo case's reference, read from the server's database."""
    with Connection(live_server.database) as connection:
        return connection.execute('SELECT reference FROM "case" WHERE reference LIKE ?', ("%-" + suffix,))[0][0]


def reachable_pages(context, base_url, limit=80):
    """Every page reachable from the home page by following links, as the context's user."""
    seen, queue, pages = set(), deque(["/"]), {}
    while queue and len(pages) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = context.request.get(base_url + path)
        if "text/html" not in response.headers.get("content-type", ""):
            pages[path] = response.body().decode("latin-1")
            continue
        html = response.text()
        pages[path] = html
        for href in LINK.findall(html):
            url = urlparse(urljoin(base_url + path, href.replace("&amp;", "&")))
            if url.netloc != urlparse(base_url).netloc or url.path.startswith("/static/"):
                continue
            queue.append(url.path + ("?" + url.query if url.query else ""))
    return pages


def test_the_counsellor_keeps_a_private_note_the_coordinator_never_sees(browser, live_server):
    counsellor = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(counsellor, live_server, "counsellor", PASSWORD)
    expect(counsellor.get_by_role("heading", name="Lopende klachten")).to_be_visible()
    expect(counsellor.get_by_role("navigation").get_by_role("link", name="Dossiers")).to_have_count(0)
    counsellor.get_by_role("link", name="Nieuwe klacht").click()

    counsellor.get_by_label("Wie klaagt?").select_option("parent")
    counsellor.get_by_label("Naam van de klager").fill("meneer van Dijk")
    counsellor.get_by_label("Hoe bereikbaar").fill("06-12345678")
    counsellor.get_by_label("Zoek een leerling op naam of klas").fill("Lotte")
    counsellor.locator("#pupil-results-one").get_by_label(re.compile("Dijk, Lotte van")).check()
    counsellor.get_by_label("Waar gaat de klacht over?").fill(COMPLAINT)

    # A reference of a case Lotte is not in: refused beside the field, everything else kept.
    wrong, reference = case_reference(live_server, "0003"), case_reference(live_server, "0002")
    counsellor.get_by_label("Dossiernummer (optioneel)").fill(wrong)
    counsellor.get_by_role("button", name="Klacht vastleggen").click()
    expect(counsellor.locator("#case_reference-error")).to_have_text(
        "Lotte van Dijk is niet betrokken bij een dossier met nummer %s. Controleer het dossiernummer." % wrong)
    expect(counsellor.get_by_label("Naam van de klager")).to_have_value("meneer van Dijk")
    expect(counsellor.get_by_label("Waar gaat de klacht over?")).to_have_value(COMPLAINT)
    expect(counsellor.locator("#pupil-results-one").get_by_label(re.compile("Dijk, Lotte van"))).to_be_checked()
    keep_screenshot(counsellor, "complaint-1-wrong-case.png")

    counsellor.get_by_label("Dossiernummer (optioneel)").fill(reference)
    counsellor.get_by_role("button", name="Klacht vastleggen").click()
    expect(counsellor.get_by_text("De klacht is vastgelegd.")).to_be_visible()
    expect(counsellor.locator(".facts")).to_contain_text(reference)
    complaint_url = counsellor.url

    # The private note saves in place (htmx), without leaving the page.
    counsellor.get_by_label("Nieuwe notitie").fill(NOTE)
    counsellor.get_by_role("button", name="Notitie opslaan").click()
    expect(counsellor.locator("#notes")).to_contain_text(NOTE)
    expect(counsellor.locator("#notes").get_by_text("De notitie is opgeslagen.")).to_be_visible()
    expect(counsellor.get_by_label("Nieuwe notitie")).to_have_value("")
    assert counsellor.url == complaint_url
    counsellor.get_by_label("Nieuwe status").select_option("investigating")
    counsellor.get_by_role("button", name="Status wijzigen").click()
    expect(counsellor.locator(".page-head .badge")).to_have_text("In onderzoek")
    keep_screenshot(counsellor, "complaint-2-with-note.png")

    # The linked case, read-only, and only what concerns Lotte.
    counsellor.get_by_role("link", name=re.compile(reference)).click()
    expect(counsellor.get_by_text(re.compile("Je leest dit dossier alleen, en alleen wat over Lotte van Dijk gaat"))
           ).to_be_visible()
    expect(counsellor.get_by_role("link", name=re.compile("Bewijs als PDF"))).to_have_count(0)
    expect(counsellor.get_by_role("link", name="Gesprek voeren")).to_have_count(0)
    expect(counsellor.get_by_role("button", name="Gedaan")).to_have_count(0)
    keep_screenshot(counsellor, "complaint-3-case-read-only.png")
    counsellor.context.close()

    coordinator = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(coordinator, live_server, "coordinator", PASSWORD)
    expect(coordinator.get_by_role("navigation").get_by_role("link", name="Klachten")).to_have_count(0)
    coordinator.goto(live_server + "/dossiers/")  # the home page's due items lead to their actions instead
    coordinator.get_by_role("link", name=re.compile("Groepsapp met foto")).first.click()
    expect(coordinator.locator("h1")).to_contain_text(reference)
    expect(coordinator.locator("body")).not_to_contain_text(NOTE)
    keep_screenshot(coordinator, "complaint-4-coordinator-case.png")
    coordinator.goto(complaint_url)
    expect(coordinator.get_by_text("Deze pagina bestaat niet, of je hebt er geen toegang toe.")).to_be_visible()
    expect(coordinator.locator("body")).not_to_contain_text(NOTE)
    keep_screenshot(coordinator, "complaint-5-coordinator-refused.png")

    pages = reachable_pages(coordinator.context, live_server)
    assert any(reference in html for html in pages.values())  # the crawl reaches the case
    assert len(pages) > 10
    for path, html in pages.items():
        assert NOTE not in html and COMPLAINT not in html, "the coordinator reads the complaint on %s" % path
    coordinator.context.close()
