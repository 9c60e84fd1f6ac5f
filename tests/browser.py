"""Fixtures for browser tests: the production server (gunicorn) and real headless Chromium."""
import contextlib
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("HERSTEL_CHROMIUM", "/usr/bin/chromium")
ROOT = pathlib.Path(__file__).resolve().parent.parent
# The server logs and a failed browser test's screenshots, kept after the run for people to look at (not in
# git); with HERSTEL_SCREENSHOTS=1 (`make screenshots`) every page a browser test looks at as well.
ARTIFACTS = ROOT / "test-artifacts"
ARTIFACTS.mkdir(exist_ok=True)
SCREENSHOTS = os.environ.get("HERSTEL_SCREENSHOTS") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TABLET_PORTRAIT = {"width": 820, "height": 1180}
# "-gw0" in the names of files a parallel test worker writes for the whole run (pytest-xdist).
WORKER_SUFFIX = "-" + os.environ["PYTEST_XDIST_WORKER"] if "PYTEST_XDIST_WORKER" in os.environ else ""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_production_server(env, log, **options):
    """Gunicorn as `make run` starts it, on a free port on loopback; returns it and its base URL.

    The server gets its socket already bound (fd://), not a port number to bind: servers that
    parallel test workers start side by side could otherwise each be told the same free port,
    and one worker's test would talk to the other's server.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py", "app:create_app()"],
            cwd=ROOT, env=dict(env, HERSTEL_BIND="fd://%d" % sock.fileno()), stdout=log, stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),), **options)
        # Closed here, the socket lives on in the server alone: once the server is killed, a
        # client is refused at once instead of waiting in a queue nobody reads.
        return process, "http://127.0.0.1:%d" % sock.getsockname()[1]


def wait_until_serving(url, process, log, timeout=60):
    """Wait until the server answers url with 200; fail pointing at its log if it stops or stays silent.
    (A loaded machine took over 20 seconds to start one beside the other test worker's.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped; see %s" % log.name)
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer within %d seconds; see %s" % (timeout, log.name))


class LiveServer(str):
    """The server's base URL, which also knows its database (a file path or a URL)."""

    database = None


@contextlib.contextmanager
def serving(demo_database, directory, log_name):
    """Gunicorn as `make run` starts it, on a copy of the demo database and a free port."""
    from databases import copy_database, drop_database
    database = copy_database(demo_database, directory)
    env = dict(os.environ, DATABASE_URL=str(database), HERSTEL_EVIDENCE_DIR=str(database.evidence),
               HERSTEL_WORKERS="2")
    # The server's output goes to a file (an unread pipe fills up and then blocks the server),
    # one per test worker when they run in parallel.
    server_log = open(ARTIFACTS / ("%s%s.log" % (log_name, WORKER_SUFFIX)), "w")
    process, url = start_production_server(env, server_log)
    base_url = LiveServer(url)
    base_url.database = database
    try:
        wait_until_serving(base_url + "/health", process, server_log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        server_log.close()
        drop_database(database)


@pytest.fixture(scope="session")
def live_server(demo_database, tmp_path_factory):
    """The demo school served for the whole run; tests that change what others read use their own."""
    with serving(demo_database, tmp_path_factory.mktemp("live"), "live-server") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def own_live_server(demo_database, tmp_path_factory):
    """A server of the module's own, on a fresh copy of the demo: for tests that change the demo's
    state other modules read (a talk of today recorded), so no module's outcome depends on the order."""
    with serving(demo_database, tmp_path_factory.mktemp("own-live"), "own-live-server") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context at tablet size (portrait), collecting console errors."""
    context = browser.new_context(viewport=TABLET_PORTRAIT)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def log_in(page, base_url, username, password):
    page.goto(base_url + "/login")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()  # the next page's scripts are in: htmx listens before a test acts


def open_case(page, base_url, title):
    """The case with this title, opened from the overview and waited for: a click only starts the navigation,
    and a script run straight after it runs on the list (a fold opened there is closed on the case page)."""
    page.goto(base_url + "/dossiers/")
    page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    expect(page.locator("h1")).to_contain_text(title)
    page.wait_for_load_state()
    return page.url


def protocol_step(page, title):
    """A step of the case page's tracker, found by its own title (another step's guidance may
    mention it), and opened as a finger would (each step is one folded line until tapped)."""
    step = page.locator(".tracker__step").filter(
        has=page.locator(".tracker__title", has_text=re.compile("^%s$" % re.escape(title)))).first
    step.wait_for(state="attached")  # the case page is there (a click that led to it may still be loading it)
    # With a second protocol each protocol's list is folded too (the first with that title is taken: a step the
    # two share is done once for both).
    part = step.locator("xpath=ancestor::details[contains(@class, 'tracker__part')]")
    if part.count() and not part.evaluate("part => part.open"):
        part.locator("xpath=./summary").click()
    fold = step.locator("details.tracker__fold")
    if fold.count() and not fold.evaluate("fold => fold.open"):
        step.locator("summary.tracker__head").click()
    return step


# Each visible target (a link, a button, a field, a summary, a checkbox's row) smaller than 44 px either
# way (the house rule; WCAG 2.2's 2.5.8 asks 24 px or spacing, and 24 px passed a fold's 26 px line and a
# radio's bare circle), unless it is a link inside a sentence, with words before it in its block (2.5.8's
# inline exception: a link that starts its line is a line's target and gets the row). A checkbox or radio
# inside its label is the label's target.
SMALL_TARGETS = """() => {
  const MIN = 44;
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])";
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && el.checkVisibility({checkVisibilityCSS: true})
      && !el.closest(".visually-hidden");
  };
  // Words before a link on its line, in the same block (a paragraph, a list item, a cell): none, and it leads its line.
  const wordsBefore = (link) => {
    for (let node = link; node.parentElement; node = node.parentElement) {
      for (let before = node.previousSibling; before; before = before.previousSibling) {
        const display = before.nodeType === Node.ELEMENT_NODE ? getComputedStyle(before).display : "inline";
        if (display === "none") continue;
        if (!display.startsWith("inline")) return false;
        if (before.textContent.trim()) return true;
      }
      if (!getComputedStyle(node.parentElement).display.startsWith("inline")) return false;
    }
    return false;
  };
  const small = [];
  const seen = new Set();
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el)) continue;
    let target = el;
    if (el.matches("input[type=checkbox], input[type=radio]") && el.closest("label")) target = el.closest("label");
    if (seen.has(target)) continue;
    seen.add(target);
    const box = target.getBoundingClientRect();
    const inline = target.tagName === "A" && getComputedStyle(target).display === "inline" && wordsBefore(target);
    if (inline || (box.width >= MIN && box.height >= MIN)) continue;
    small.push(`${target.tagName.toLowerCase()}.${target.className} "${(target.innerText || target.value || target.name || "").trim().slice(0, 40)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


def keep_screenshot(target, name, full_page=True):
    """A screenshot of a page (or of one element: a Locator, with full_page=False) in test-artifacts/, for a
    person to look at, when the run was asked for them (`make screenshots`). Nothing a test checks reads it,
    and drawing a whole page took a tenth to half a second, a quarter of the touch tests' time; a failed
    browser test keeps its pages' screenshots regardless (record_failure)."""
    if SCREENSHOTS:
        target.screenshot(path=str(ARTIFACTS / name), **({"full_page": True} if full_page else {}))


def small_targets(page):
    """The page's targets that are too small for a finger (see SMALL_TARGETS), described."""
    return page.evaluate(SMALL_TARGETS)


def open_section(page, key):
    """Open a folded section of the case page (partials/_fold.html) by tapping its line."""
    fold = page.locator("#fold-%s" % key)
    if not fold.evaluate("fold => fold.open"):
        fold.locator("> summary").click()
    return fold


def record_failure(item, report):
    """For a failed browser test: each open page's address in the report, and its screenshot
    kept as an artifact, so a failure seen only in CI can still be looked at."""
    browser = item.funcargs.get("browser")
    if browser is None and "page" in item.funcargs:
        browser = item.funcargs["page"].context.browser
    if browser is None or not browser.is_connected():
        return
    lines = []
    for context_number, context in enumerate(browser.contexts):
        for page_number, page in enumerate(context.pages):
            name = "failed-%s-%d-%d.png" % (re.sub(r"[^\w.-]+", "_", item.name), context_number, page_number)
            try:
                page.screenshot(path=str(ARTIFACTS / name), full_page=True, timeout=5_000)
            except Exception as error:  # a page that cannot be drawn still gets its address listed
                name = "no screenshot: %s" % str(error).splitlines()[0]
            lines.append("%s  (%s)" % (page.url, name))
    if lines:
        report.sections.append(("open pages", "\n".join(lines)))
