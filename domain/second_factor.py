"""The second factor at login: TOTP codes from an authenticator app, one-time recovery codes,
an administrator's resets (of the factor or the password) and the seal they put on the user's
confidential notes, and the notices that tell a user at their next login what happened to them.

The seal: an administrator who sets a user's password knows it, so until the user proves a second
factor of their own (a code, a recovery code, or setting one up) a login with that password is not
known to be theirs, and the counsellor's complaint notes stay closed (permissions.may_read_complaint_notes).
"""
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from flask_babel import format_datetime
from flask_babel import gettext as _

import audit
from db import db, utcnow
from models import RecoveryCode, SecurityNotice, User, UserSession

STEP_SECONDS = 30
# A phone whose clock runs up to one step (30 s) early or late still gets in.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No i, l, o, 0 or 1: nothing to mix up when typing a code from paper.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_CODE_LENGTH = 16  # 16 characters of 31: about 79 bits
TOTP_RE = re.compile(r"^[0-9]{6}$")


def new_secret():
    """A fresh random secret (160 bits, base32) for an authenticator app."""
    return pyotp.random_base32()


def grouped(secret):
    """The secret in groups of four, for typing it over."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


QR_SCALE, QR_BORDER = 5, 4


def qr_code(secret, username):
    """The QR code an authenticator app scans, drawn here (no outside service): an SVG data URI and its size."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Herstel")
    qr = segno.make(uri, error="m")
    return qr.svg_data_uri(scale=QR_SCALE, border=QR_BORDER), qr.symbol_size(scale=QR_SCALE, border=QR_BORDER)[0]


def current_step():
    return int(time.time()) // STEP_SECONDS


def matching_step(secret, code):
    """The time step (within the tolerated drift) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    now = current_step()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def accept_code(user, code):
    """Check a six-digit code against the user's second factor: "ok", "reused" or "wrong".

    A code is good once: the step it belongs to must be newer than the last accepted one.
    The compare-and-set in one UPDATE keeps two workers from both accepting the same code.
    """
    step = matching_step(user.totp_secret, code) if user.totp_secret else None
    if step is None:
        return "wrong"
    with db.atomic():
        accepted = User.update(totp_last_step=step).where(
            User.id == user.id, User.totp_secret == user.totp_secret,
            User.totp_last_step.is_null() | (User.totp_last_step < step)).execute()
        if accepted:
            _unseal(user)
    return "ok" if accepted else "reused"


def _unseal(user):
    """The user proved a second factor of their own: notes an administrator's reset sealed open again.
    Call inside the transaction of the proof."""
    opened = User.update(admin_password_reset_at=None, admin_factor_reset_at=None).where(
        User.id == user.id,
        User.admin_password_reset_at.is_null(False) | User.admin_factor_reset_at.is_null(False)).execute()
    user.admin_password_reset_at = user.admin_factor_reset_at = None
    if opened:
        audit.record("user.notes_unsealed", user, user=user)


def pending_secret(user):
    """The secret shown while the user enrols, made once and kept until a code confirms it."""
    if user.totp_pending_secret is None:
        with db.atomic():
            secret = new_secret()
            User.update(totp_pending_secret=secret).where(
                User.id == user.id, User.totp_pending_secret.is_null()).execute()
        user.totp_pending_secret = User.get_by_id(user.id).totp_pending_secret
    return user.totp_pending_secret


def new_pending_secret(user):
    """Replace the secret to enrol with a fresh one (once the user has shown it is them): a secret
    shown before, to whoever sat at the screen, never becomes the factor."""
    with db.atomic():
        User.update(totp_pending_secret=new_secret()).where(User.id == user.id).execute()
    user.totp_pending_secret = User.get_by_id(user.id).totp_pending_secret
    return user.totp_pending_secret


def proves_identity(user, typed):
    """Whether `typed` is the user's password or, when they have a second factor, a fresh code from
    it: "ok", "reused" (a code already used) or "wrong"."""
    digits = re.sub(r"\s", "", typed or "")
    if user.has_second_factor and TOTP_RE.fullmatch(digits):
        return accept_code(user, digits)  # passwords have at least 12 characters: six digits are a code
    return "ok" if user.check_password(typed) else "wrong"


def enrolment(user):
    """What the enrolment page shows: the QR code and the secret to type over."""
    secret = pending_secret(user)
    qr, size = qr_code(secret, user.username)
    return {"qr": qr, "qr_size": size, "secret": grouped(secret)}


def _hash_recovery_code(code):
    # SHA-256 without salt or stretching is enough here, unlike for passwords: each code is
    # 79 random bits made by the server, so trying codes against a stolen hash is hopeless,
    # and checking a code stays one indexed lookup instead of ten argon2 checks per login.
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def normalise_recovery_code(text):
    """Lower case, without the dashes and spaces people type between the groups."""
    return re.sub(r"[\s-]", "", text or "").lower()


def looks_like_recovery_code(text):
    code = normalise_recovery_code(text)
    return len(code) == RECOVERY_CODE_LENGTH and all(char in RECOVERY_ALPHABET for char in code)


def _new_recovery_code():
    code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(code[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def enrol(user, code):
    """Turn the second factor on when the code fits the pending secret; return the recovery
    codes (to show once), or None when the code does not fit and nothing was stored."""
    secret = user.totp_pending_secret
    step = matching_step(secret, code) if secret else None
    if step is None:
        return None
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with db.atomic():
        updated = User.update(totp_secret=secret, totp_pending_secret=None, totp_last_step=step,
                              totp_enabled_at=utcnow()).where(
            User.id == user.id, User.totp_pending_secret == secret).execute()
        if not updated:  # another tab enrolled with a different secret meanwhile
            return None
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        RecoveryCode.insert_many([{"user": user.id, "code_hash": _hash_recovery_code(c)} for c in codes]).execute()
        SecurityNotice.create(user=user, kind="mfa_enrolled")
        audit.record("mfa.enrol", user, user=user)
        _unseal(user)
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = secret, None, step
    return codes


def use_recovery_code(user, code):
    """Spend one recovery code; the number left, or None when the code is not (or no longer) valid."""
    with db.atomic():
        row = RecoveryCode.get_or_none(RecoveryCode.user == user, RecoveryCode.used_at.is_null(),
                                       RecoveryCode.code_hash == _hash_recovery_code(code))
        if row is None:
            return None
        RecoveryCode.update(used_at=utcnow()).where(RecoveryCode.id == row.id).execute()
        left = RecoveryCode.unused_of(user).count()
        SecurityNotice.create(user=user, kind="recovery_used")
        audit.record("mfa.recovery_used", user, user=user, detail="nog %d herstelcodes over" % left)
        _unseal(user)
    return left


def _switch_off(user):
    User.update(totp_secret=None, totp_pending_secret=None, totp_last_step=None, totp_enabled_at=None).where(
        User.id == user.id).execute()
    RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    user.totp_secret = user.totp_pending_secret = user.totp_last_step = user.totp_enabled_at = None


def reset(user, admin):
    """An administrator turns a user's second factor off (a lost phone); the user is told, and their
    notes stay sealed until they set up a new one."""
    with db.atomic():
        _switch_off(user)
        user.admin_factor_reset_at = utcnow()
        User.update(admin_factor_reset_at=user.admin_factor_reset_at).where(User.id == user.id).execute()
        SecurityNotice.create(user=user, kind="mfa_reset", actor=admin.full_name[:200])
        audit.record("mfa.reset", user, user=admin, detail="tweede factor van %s uitgezet" % user.username)
        _both_reset(user, admin)


def reset_password(user, admin, password):
    """An administrator sets a new password for `user` (a forgotten one). Every session and the
    calendar link of the user end, they are told at their next login who did it and when, and their
    notes stay sealed until they prove a second factor of their own. Call inside a transaction."""
    user.set_password(password)
    user.admin_password_reset_at = user.password_changed_at
    User.update(password_hash=user.password_hash, password_changed_at=user.password_changed_at,
                admin_password_reset_at=user.admin_password_reset_at).where(User.id == user.id).execute()
    UserSession.end_all(user)
    user.forget_calendar_link()
    SecurityNotice.create(user=user, kind="password_reset", actor=admin.full_name[:200])
    audit.record("user.password_reset", user, user=admin, detail="wachtwoord van %s opnieuw ingesteld; %s" % (
        user.username, "tweede factor aan" if user.has_second_factor else "zonder tweede factor"))
    _both_reset(user, admin)


def _both_reset(user, admin):
    """Password and second factor both reset by administrators, unanswered by the user: whoever did it
    could log in as the user. Said to the user at their next login, and in the log under its own name."""
    if user.admin_password_reset_at and user.admin_factor_reset_at:
        SecurityNotice.create(user=user, kind="reset_both", actor=admin.full_name[:200])
        audit.record("user.reset_both", user, user=admin,
                     detail="wachtwoord en tweede factor van %s opnieuw ingesteld" % user.username)


def disable(user):
    """The user turns their own second factor off."""
    with db.atomic():
        _switch_off(user)
        SecurityNotice.create(user=user, kind="mfa_disabled")
        audit.record("mfa.disable", user, user=user)


def notice_text(notice):
    """What a notice tells the user, in their language."""
    when = format_datetime(notice.created_at, "d MMMM yyyy HH:mm")
    if notice.kind == "mfa_reset":
        return _("Op %(when)s heeft beheerder %(name)s je tweede factor uitgezet. Was dat niet op jouw "
                 "verzoek? Meld het meteen bij de beheerder.", when=when, name=notice.actor)
    if notice.kind == "password_reset":
        return _("Op %(when)s heeft beheerder %(name)s je wachtwoord opnieuw ingesteld. Was dat niet op jouw "
                 "verzoek? Meld het meteen bij de schoolleiding.", when=when, name=notice.actor)
    if notice.kind == "reset_both":
        return _("Op %(when)s had beheerder %(name)s zowel je wachtwoord als je tweede factor opnieuw ingesteld: "
                 "daarmee kon die als jou inloggen. Kijk onder Mijn account wat er sindsdien met je account "
                 "gebeurde. Was dit niet op jouw verzoek? Meld het meteen bij de schoolleiding.",
                 when=when, name=notice.actor)
    if notice.kind == "mfa_enrolled":
        return _("Op %(when)s is voor je account een tweede factor ingesteld. Was jij dat niet? Meld het "
                 "meteen bij de beheerder.", when=when)
    if notice.kind == "mfa_disabled":
        return _("Op %(when)s is de tweede factor van je account uitgezet.", when=when)
    return _("Op %(when)s is met een van je herstelcodes ingelogd. Was jij dat niet? Meld het meteen bij "
             "de beheerder.", when=when)


def take_notices(user, before):
    """The user's notices from before this login began, oldest first, as texts; shown once, then removed.

    What happens during the login itself (a recovery code, enrolling) waits for the next one.
    """
    notices = list(SecurityNotice.select().where(SecurityNotice.user == user, SecurityNotice.created_at < before)
                   .order_by(SecurityNotice.created_at, SecurityNotice.id))
    if notices:
        with db.atomic():
            SecurityNotice.delete().where(SecurityNotice.id.in_([n.id for n in notices])).execute()
    return [notice_text(notice) for notice in notices]
