"""The public report page (meldknop): receipt codes, secret phrases, expiring counters, threads,
and which browser may read which thread.

Nothing here keeps a reporter's address: the counters key on a hash of it with a salt that
changes every day, and every counter row expires.

Wrong codes and phrases are throttled so that the guesser waits, not the owner: per code and
address (one guesser), per code (a guesser with many addresses), and per address over all
codes (someone trying codes at random, which only stops checking codes that do not exist, so
a whole school behind one address is never locked out by it). There is no overall cap, which
would let anyone lock everyone out.
"""
import datetime
import hashlib
import hmac
import ipaddress
import math
import secrets

from flask import current_app

from db import db, today, utcnow
from models import (
    Complaint, PublicAccess, PublicThread, PublicThrottle, Report, ReportKind, ThreadMessage, User, normalise_code,
)

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
    """Code and phrase refused; `wait` (seconds) when too many wrong tries stopped the check."""

    def __init__(self, wait=0):
        super().__init__("te veel pogingen" if wait else "code of zin onjuist")
        self.wait = wait

    @property
    def locked(self):
        return bool(self.wait)

    @property
    def wait_minutes(self):
        return max(1, math.ceil(self.wait / 60))


def new_receipt_code():
    """Sixteen characters from `secrets`, in four groups: 'K7PA-3MXQ-...'."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def new_phrase():
    return " ".join(secrets.choice(PHRASE_WORDS) for _ in range(PHRASE_LENGTH))


def address_key(address):
    """The address as the counters know it: keyed by a salt that changes daily, so yesterday's
    counters cannot be linked to anyone. An IPv6 address counts by its /64, the block one
    connection is given: otherwise a guesser would take a fresh address for every try."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        parsed = None
    if parsed is not None and parsed.version == 6 and parsed.ipv4_mapped is None:
        address = str(ipaddress.ip_network("%s/64" % parsed, strict=False))
    salt = "%s|%s" % (current_app.config["SECRET_KEY"], today().isoformat())
    return hmac.new(salt.encode(), (address or "").encode(), hashlib.sha256).hexdigest()[:32]


def _limits():
    """The page's limits per hour (config.py; a test may lower them)."""
    config = current_app.config
    return {
        "send_address": config["PUBLIC_SENDS_PER_ADDRESS"],
        "send_all": config["PUBLIC_SENDS_PER_HOUR"],
        "reply_address": config["PUBLIC_REPLIES_PER_ADDRESS"],
        "reply_thread": config["PUBLIC_REPLIES_PER_THREAD"],
        # Wrong tries before the waits begin (see _wait_for).
        "fail_pair": config["PUBLIC_FAILURES_PER_CODE_AND_ADDRESS"],
        "fail_code": config["PUBLIC_FAILURES_PER_CODE"],
        # Past this many wrong tries from one address, codes that do not exist are no longer
        # checked (answered at once, without the phrase check's cost); real codes still are.
        "fail_address": config["PUBLIC_FAILURES_PER_ADDRESS"],
    }


WINDOW = datetime.timedelta(hours=1)
LONGEST_WAIT_MINUTES = 60  # the wait stops doubling here; a quiet hour forgets the counter
ACCESS_IDLE = datetime.timedelta(minutes=30)
ACCESS_SEEN_GRANULARITY = datetime.timedelta(seconds=60)


def purge_expired_counters():
    """Forget counters whose hour has passed, and threads' accesses idle for half an hour (called on
    every use; also by `flask notify`)."""
    now = utcnow()
    PublicThrottle.delete().where(PublicThrottle.expires_at <= now).execute()
    PublicAccess.delete().where(PublicAccess.last_seen_at < now - ACCESS_IDLE).execute()


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


def send_limits(address, thread=None):
    """The counters a new report uses, or (with its thread) a reporter's reply. A reply is not
    counted overall: whoever floods the page with reports does not silence those already talking."""
    limits = _limits()
    if thread is not None:
        return [("reply:a:" + address_key(address), limits["reply_address"]),
                ("reply:t:%d" % thread.id, limits["reply_thread"])]
    return [("send:a:" + address_key(address), limits["send_address"]), ("send:all", limits["send_all"])]


def _failure_keys(address, code):
    """The counters of wrong tries: per code and address, per code, per address."""
    code_key = hashlib.sha256(code.encode()).hexdigest()[:32]
    where = address_key(address)
    return {"pair": "fail:p:" + hashlib.sha256((where + code_key).encode()).hexdigest()[:32],
            "code": "fail:c:" + code_key, "address": "fail:a:" + where}


def _wait_for(row, allowed, now):
    """Seconds before this counter lets a try through: after `allowed` wrong tries each further one
    doubles the wait, counted from the last (1, 2, 4 ... 60 minutes)."""
    if row is None or row.count < allowed:
        return 0
    last = row.expires_at - WINDOW
    until = last + datetime.timedelta(minutes=min(2 ** (row.count - allowed), LONGEST_WAIT_MINUTES))
    return max(0, math.ceil((until - now).total_seconds()))


def _count_failure(row, key, now):
    """One more wrong try; the counter lives an hour after its last one."""
    if row is None:
        PublicThrottle.insert(key=key, count=1, expires_at=now + WINDOW).execute()
    else:
        PublicThrottle.update(count=row.count + 1, expires_at=now + WINDOW).where(
            PublicThrottle.id == row.id).execute()


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
    was wrong, so no one learns whether a code exists (a wait applies alike to codes that do
    not exist).

    The try is counted as wrong before the phrase is checked, in the transaction that reads the
    counters, so tries sent in parallel each see the ones before them. The right phrase clears
    the code's counters for this address and overall, and gives the address its try back.
    """
    code = normalise_code(code)
    keys = _failure_keys(address, code or "-")
    limits = _limits()
    now = utcnow()
    with db.atomic():
        purge_expired_counters()
        rows = {row.key: row for row in PublicThrottle.select().where(PublicThrottle.key.in_(list(keys.values())))}
        wait = max(_wait_for(rows.get(keys[name]), limits["fail_" + name], now) for name in ("pair", "code"))
        if wait:
            raise PublicError(wait=wait)
        for key in keys.values():
            _count_failure(rows.get(key), key, now)
    flooding = rows.get(keys["address"]) is not None and rows[keys["address"]].count >= limits["fail_address"]
    thread = PublicThread.get_or_none(PublicThread.receipt_code == code) if code else None
    if thread is None:
        if not flooding:
            User.burn_password_check(phrase or "")  # as slow as a wrong phrase
        raise PublicError()
    if not thread.check_phrase(phrase):
        raise PublicError()
    with db.atomic():
        PublicThrottle.delete().where(PublicThrottle.key.in_([keys["pair"], keys["code"]])).execute()
        PublicThrottle.update(count=PublicThrottle.count - 1).where(
            PublicThrottle.key == keys["address"], PublicThrottle.count > 0).execute()
    return thread


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def grant_access(thread):
    """A new random token with which this browser reads the thread; only its hash is stored.
    Call inside a transaction."""
    token = secrets.token_urlsafe(32)
    PublicAccess.create(thread=thread, token_hash=_token_hash(token))
    return token


def thread_of_access(token):
    """The thread a browser's token opens, or None once it was closed or sat idle for half an hour."""
    row = (PublicAccess.select(PublicAccess, PublicThread).join(PublicThread)
           .where(PublicAccess.token_hash == _token_hash(token)).first()) if token else None
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > ACCESS_IDLE:
        with db.atomic():
            PublicAccess.delete().where(PublicAccess.id == row.id).execute()
        return None
    if now - row.last_seen_at > ACCESS_SEEN_GRANULARITY:
        with db.atomic():
            PublicAccess.update(last_seen_at=now).where(PublicAccess.id == row.id).execute()
    return row.thread


def end_access(token):
    """"Sluiten": the browser's token opens nothing any more. Call inside a transaction."""
    PublicAccess.delete().where(PublicAccess.token_hash == _token_hash(token)).execute()


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
