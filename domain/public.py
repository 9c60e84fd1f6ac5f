"""The public report page (meldknop): receipt codes, secret phrases, expiring counters, threads.

Nothing here keeps a reporter's address: the counters key on a hash of it with a salt that
changes every day, and every counter row expires.
"""
import datetime
import hashlib
import hmac
import secrets

from flask import current_app

from db import db, today, utcnow
from models import Complaint, PublicThread, PublicThrottle, Report, ReportKind, ThreadMessage, User, normalise_code

# No 0/O, 1/I: a code is copied from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Short, common Dutch words a child spells without trouble; four of them make the phrase.
PHRASE_WORDS = (
    "appel", "banaan", "beer", "berg", "bloem", "boom", "boot", "brood", "bus", "dak", "das", "deur", "duif",
    "eend", "ezel", "fiets", "gans", "geit", "gras", "haas", "hand", "hek", "hond", "huis", "ijs", "jas",
    "kaas", "kat", "kers", "kip", "klok", "koe", "koek", "kool", "kraan", "kus", "lamp", "leeuw", "lucht",
    "maan", "mand", "melk", "mier", "mol", "muis", "muts", "neus", "noot", "oven", "paard", "pan", "pen",
    "peer", "pet", "pijl", "pizza", "raam", "regen", "roos", "schip", "sjaal", "slak", "sneeuw", "sok",
    "soep", "spin", "stoel", "storm", "strand", "tafel", "tak", "taart", "tent", "trein", "tuin", "uil",
    "vis", "vlag", "vos", "vuur", "wolk", "worm", "zee", "zeep", "zon", "zwaan", "wiel", "bril", "bank",
    "bal", "bed", "bij", "ster", "steen", "tas", "teen", "thee", "vork", "wolf", "zand",
)
PHRASE_LENGTH = 4


class PublicError(Exception):
    """Code and phrase refused; `locked` when too many wrong tries stopped the check."""

    def __init__(self, locked=False):
        super().__init__("te veel pogingen" if locked else "code of zin onjuist")
        self.locked = locked


def new_receipt_code():
    """Sixteen characters from `secrets`, in four groups: 'K7PA-3MXQ-...'."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def new_phrase():
    return " ".join(secrets.choice(PHRASE_WORDS) for _ in range(PHRASE_LENGTH))


def address_key(address):
    """The address as the counters know it: keyed by a salt that changes daily, so yesterday's
    counters cannot be linked to anyone."""
    salt = "%s|%s" % (current_app.config["SECRET_KEY"], today().isoformat())
    return hmac.new(salt.encode(), (address or "").encode(), hashlib.sha256).hexdigest()[:32]


def _limits():
    config = current_app.config
    return {
        "send_address": config.get("PUBLIC_SENDS_PER_ADDRESS", 5),
        "send_all": config.get("PUBLIC_SENDS_PER_HOUR", 100),
        "reply_address": config.get("PUBLIC_REPLIES_PER_ADDRESS", 30),
        "fail_address": config.get("PUBLIC_FAILURES_PER_ADDRESS", 10),
        "fail_code": config.get("PUBLIC_FAILURES_PER_CODE", 5),
        "fail_all": config.get("PUBLIC_FAILURES_PER_HOUR", 200),
    }


WINDOW = datetime.timedelta(hours=1)


def purge_expired_counters():
    """Forget counters whose hour has passed (called on every use; also by `flask notify`)."""
    PublicThrottle.delete().where(PublicThrottle.expires_at <= utcnow()).execute()


def _counts(keys):
    rows = PublicThrottle.select().where(PublicThrottle.key.in_(keys), PublicThrottle.expires_at > utcnow())
    return {row.key: row.count for row in rows}


def _add(keys):
    now = utcnow()
    for key in keys:
        updated = (PublicThrottle.update(count=PublicThrottle.count + 1)
                   .where(PublicThrottle.key == key, PublicThrottle.expires_at > now).execute())
        if not updated:
            PublicThrottle.insert(key=key, count=1, expires_at=now + WINDOW).on_conflict(
                conflict_target=[PublicThrottle.key],
                update={PublicThrottle.count: 1, PublicThrottle.expires_at: now + WINDOW}).execute()


def take(limits):
    """Count one use against each (key, limit); False (and nothing counted) when one is used up.
    Call inside a transaction."""
    purge_expired_counters()
    counts = _counts([key for key, _ in limits])
    if any(counts.get(key, 0) >= limit for key, limit in limits):
        return False
    _add([key for key, _ in limits])
    return True


def send_limits(address, kind="send"):
    limits = _limits()
    if kind == "reply":
        return [("reply:a:" + address_key(address), limits["reply_address"]), ("send:all", limits["send_all"])]
    return [("send:a:" + address_key(address), limits["send_address"]), ("send:all", limits["send_all"])]


def _failure_limits(address, code):
    limits = _limits()
    code_key = hashlib.sha256(code.encode()).hexdigest()[:32]
    return [("fail:a:" + address_key(address), limits["fail_address"]),
            ("fail:c:" + code_key, limits["fail_code"]), ("fail:all", limits["fail_all"])]


def compose_description(values):
    """The report's text from the page's questions, each answer under its own heading."""
    parts = [values["what"]]
    for heading, key in (("Over wie", "whom"), ("Sinds wanneer", "since"), ("Verder", "more")):
        if values.get(key):
            parts.append("%s: %s" % (heading, values[key]))
    if values.get("name"):
        parts.append("Naam: %s%s" % (values["name"], " (klas %s)" % values["school_class"]
                                     if values.get("school_class") else ""))
    elif values.get("school_class"):
        parts.append("Klas: %s" % values["school_class"])
    return "\n\n".join(parts)


def file_report(values):
    """Store what was sent as a report (for the coordinator) or a complaint (for the counsellor),
    with its thread; returns (thread, code, phrase). Call inside a transaction."""
    description = compose_description(values)
    named = bool(values.get("name"))
    if values["choice"] == "complaint":
        record = Complaint.create(
            received_on=today(), complainant_kind={"pupil": "pupil", "parent": "parent"}.get(values["who"], "other"),
            complainant_name=values.get("name", ""), description=description)
        thread = PublicThread(complaint=record)
    else:
        record = Report.create(
            reported_on=today(), reporter_kind={"pupil": "pupil", "parent": "parent"}.get(values["who"], "external")
            if named else "anonymous", reporter_name=values.get("name", ""), channel="report_page",
            place=values.get("place", "")[:200], platform=values.get("platform", "")[:100], description=description)
        if values.get("platform"):
            ReportKind.create(report=record, kind="online")
        thread = PublicThread(report=record)
    phrase = new_phrase()
    thread.set_phrase(phrase)
    # A collision among 32**16 codes is all but impossible; the unique index would refuse one.
    thread.receipt_code = new_receipt_code()
    thread.save()
    return thread, thread.receipt_code, phrase


def open_thread(code, phrase, address):
    """The thread of a receipt code and phrase, or PublicError with the same message whatever
    was wrong, so no one learns whether a code exists. Failures count per address, per code
    and overall; past a limit nothing is even checked."""
    code = normalise_code(code)
    limits = _failure_limits(address, code or "-")
    with db.atomic():
        purge_expired_counters()
        counts = _counts([key for key, _ in limits])
    if any(counts.get(key, 0) >= limit for key, limit in limits):
        raise PublicError(locked=True)
    thread = PublicThread.get_or_none(PublicThread.receipt_code == code) if code else None
    if thread is not None and thread.check_phrase(phrase):
        return thread
    if thread is None:
        User.burn_password_check(phrase or "")  # as slow as a wrong phrase
    with db.atomic():
        _add([key for key, _ in limits])
    raise PublicError()


def add_reporter_message(thread, body):
    """Call inside a transaction."""
    return ThreadMessage.create(thread=thread, author_kind="reporter", body=body)


def add_staff_message(thread, user, body, show_name=False):
    """Call inside a transaction."""
    return ThreadMessage.create(thread=thread, author_kind="staff", author=user, author_role=thread.answering_role,
                                show_name=bool(show_name), body=body)


def thread_for(record):
    """The public thread of a report or complaint, or None."""
    if isinstance(record, Report):
        return PublicThread.get_or_none(PublicThread.report == record)
    return PublicThread.get_or_none(PublicThread.complaint == record)
