"""Sessions on the server, login throttling and the security headers every response carries."""
import datetime
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user

from db import db, utcnow
from models import LoginThrottle, SchoolSettings, User, UserSession

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])

# Writing last_seen on every request would make every page view a write; once a minute
# is precise enough for a 30-minute idle limit.
LAST_SEEN_GRANULARITY = datetime.timedelta(seconds=60)


class Visitor(AnonymousUserMixin):
    """Whoever has not signed in: no roles and no administration, so every rule of the permissions answers
    no, also the rules that do not ask first whether the user signed in."""
    id = None
    is_admin = False
    roles = frozenset()

    def has_role(self, *roles):
        return False


def init_app(app, login_manager):
    """Wire Flask-Login to server-side sessions and add the headers to every response."""
    login_manager.anonymous_user = Visitor  # `unauthorized` decides where a visitor goes: no login_view
    login_manager.session_protection = None  # the server-side session is the protection
    login_manager.user_loader(load_user_from_session)
    login_manager.unauthorized_handler(unauthorized)
    app.after_request(set_security_headers)


def unauthorized():
    """Not logged in (or the session ended): a page goes to the login form; an htmx save gets
    401, so the page keeps what was typed and retries once the user has logged in again.
    Halfway through logging in (password right, second factor still to come) every page
    leads to that second step."""
    if request.headers.get("HX-Request") == "true":
        return "", 401
    pending = pending_login()
    if pending is not None and not pending.expired:
        flash(_("Vul eerst de code uit je app in.") if pending.user.has_second_factor
              else _("Stel eerst je tweede factor in; daarna kun je verder."), "info")
        return redirect(url_for(pending.endpoint))
    flash(login_message(), "info")
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def login_message():
    return _("Log in om verder te gaan.")


# The signed session cookie holds only who passed the password step and when: it is no
# login session (Flask-Login never sees it), so nothing is reachable until the second step.
PENDING_KEY = "second_step"


class PendingLogin:
    """A login halfway: the password was right, the second factor (or its enrolment) is due."""

    def __init__(self, user, started, next_url):
        self.user = user
        self.started_at = datetime.datetime.fromtimestamp(started, datetime.timezone.utc).replace(tzinfo=None)
        self.next_url = next_url or None
        self.enrolling = not user.has_second_factor
        minutes = current_app.config["LOGIN_ENROLMENT_MINUTES" if self.enrolling else "LOGIN_SECOND_STEP_MINUTES"]
        self.expired = time.time() - started > minutes * 60

    @property
    def endpoint(self):
        return "auth.enrol" if self.enrolling else "auth.second_step"


def start_pending_login(user, next_url):
    """Remember that this browser passed the password step of `user` (and nothing more)."""
    session.clear()
    session[PENDING_KEY] = {"user": user.id, "started": time.time(), "next": next_url or "",
                            "password": _password_stamp(user)}


def _password_stamp(user):
    """Which password the login began with: a change or reset since ends the login halfway too."""
    return user.password_changed_at.isoformat() if user.password_changed_at else ""


def pending_login():
    """This browser's login halfway, or None: also when the user was deactivated meanwhile, their
    password changed (or was reset) since, or their second factor was reset and their role does
    not require one (the password again, then)."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict):
        return None
    user = User.get_or_none(User.id == state.get("user"))
    if (user is None or not user.is_active or state.get("password") != _password_stamp(user)
            or not (user.has_second_factor or SchoolSettings.current().requires_second_factor(user))):
        session.pop(PENDING_KEY, None)
        return None
    return PendingLogin(user, float(state.get("started", 0)), state.get("next"))


def drop_pending_login():
    session.pop(PENDING_KEY, None)


# Setting up or replacing the second factor in a logged-in session needs the password (or a code)
# first: a session left open on a tablet must not be enough to put someone else's phone on the account.
IDENTITY_KEY = "identity_confirmed"


def remember_identity_confirmed():
    """This session just showed it is its user (password or code); it may set up the second factor."""
    session[IDENTITY_KEY] = {"session": current_user.session_id, "at": time.time()}


def identity_confirmed():
    """Whether this session showed it is its user within the minutes allowed for setting up the app."""
    state = session.get(IDENTITY_KEY)
    return (isinstance(state, dict) and state.get("session") == current_user.session_id
            and time.time() - float(state.get("at", 0)) <= current_app.config["LOGIN_ENROLMENT_MINUTES"] * 60)


def forget_identity_confirmed():
    session.pop(IDENTITY_KEY, None)


def load_user_from_session(token):
    """Find the user of a live server-side session, or None when it ended or expired."""
    row = UserSession.find_with_user(token)
    if row is None or not row.user.is_active:
        return None
    now = utcnow()
    idle = datetime.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    longest = datetime.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    if now - row.last_seen_at > idle or now - row.created_at > longest:
        with db.atomic():
            UserSession.delete().where(UserSession.id == row.id).execute()
        return None
    if now - row.last_seen_at > LAST_SEEN_GRANULARITY:
        with db.atomic():
            UserSession.update(last_seen_at=now).where(UserSession.id == row.id).execute()
    user = row.user
    user.remember_roles((row.role_list or "").split(","))
    user.session_token = token
    user.session_id = row.id
    return user


def set_security_headers(response):
    """Headers that every response carries; pages with pupil data are never cached."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("HTTPS"):
        response.headers["Strict-Transport-Security"] = "max-age=%d" % current_app.config["HSTS_SECONDS"]
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if request.headers.get("HX-Request"):
        response.vary.add("HX-Request")
    return response


def _throttle_keys(username, address):
    return [("account:" + (username or "").strip().lower()[:150],
             current_app.config["LOGIN_MAX_FAILURES_ACCOUNT"]),
            ("address:" + address, current_app.config["LOGIN_MAX_FAILURES_ADDRESS"])]


def lock_duration(failures, allowed):
    """After `allowed` failures each further one doubles the wait: 1, 2, 4, 8, then 15 minutes."""
    if failures < allowed:
        return None
    return datetime.timedelta(minutes=min(2 ** (failures - allowed), 15))


class LoginAttempt:
    """One try at a password or a code, counted before it is checked (see reserve_login_attempt)."""

    def __init__(self, wait=0, locks=None):
        self.wait = wait  # seconds to wait; nothing was counted and nothing may be checked
        self.locks = locks or {}  # key -> the lock this attempt's own count set

    @property
    def wait_minutes(self):
        return max(1, (self.wait + 59) // 60)


def reserve_login_attempt(username, address):
    """Count a try as a failure for the account and the address before its password or code is
    checked, in the transaction that reads the counters: BEGIN IMMEDIATE on SQLite, the writers'
    advisory lock on PostgreSQL. Tries sent in parallel each see the ones before them, so no more
    checks run than the throttle allows. A right answer gives the count back (release_login_attempt).
    Returns the LoginAttempt, whose `wait` is non-zero (and nothing counted) while locked out."""
    keys = _throttle_keys(username, address)
    now = utcnow()
    with db.atomic():
        rows = {row.key: row for row in LoginThrottle.select().where(LoginThrottle.key.in_([k for k, _ in keys]))}
        waits = [int((row.locked_until - now).total_seconds()) + 1
                 for row in rows.values() if row.locked_until and row.locked_until > now]
        if waits:
            return LoginAttempt(wait=max(waits))
        locks = {}
        for key, allowed in keys:
            row = rows.get(key)
            # A quiet hour forgives earlier mistakes, so no one stays locked out for good.
            failures = 1 if row is None or now - row.updated_at > datetime.timedelta(hours=1) else row.failures + 1
            duration = lock_duration(failures, allowed)
            locks[key] = now + duration if duration else None
            values = {"failures": failures, "updated_at": now, "locked_until": locks[key]}
            if row is None:
                LoginThrottle.insert(key=key, **values).execute()
            else:
                LoginThrottle.update(**values).where(LoginThrottle.id == row.id).execute()
    return LoginAttempt(locks=locks)


def release_login_attempt(attempt):
    """The password or code was right: take back what reserve_login_attempt counted, and the lock
    its count set (while that lock held, no other try could be counted, so it is this try's own)."""
    with db.atomic():
        for row in LoginThrottle.select().where(LoginThrottle.key.in_(list(attempt.locks))):
            own_lock = attempt.locks[row.key] is not None and row.locked_until == attempt.locks[row.key]
            failures, locked_until = max(row.failures - 1, 0), None if own_lock else row.locked_until
            if failures == 0 and locked_until is None:
                LoginThrottle.delete().where(LoginThrottle.id == row.id).execute()
            else:
                LoginThrottle.update(failures=failures, locked_until=locked_until).where(
                    LoginThrottle.id == row.id).execute()


def record_login_success(username):
    """A correct password clears the account's counter (not the address's)."""
    with db.atomic():
        LoginThrottle.delete().where(
            LoginThrottle.key == "account:" + (username or "").strip().lower()[:150]).execute()
