"""The school: its settings, its staff and their logins, classes and pupils, and the two
append-only tables beside them (the audit log and the mail outbox)."""
import hashlib
import secrets

from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, has_app_context
from peewee import (
    JOIN, BooleanField, CharField, Check, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField, fn,
)

from db import Prepared, db, joined_text, utcnow
from models import base
from models.base import LANGUAGES, REGIONS, ROLES, SECURITY_NOTICE_KINDS, BaseModel, BytesField, check_in


class SchoolSettings(BaseModel):
    """The school's settings: a single row with id 1."""

    school_name = CharField(max_length=200, default="Onze school")
    region = CharField(max_length=2, default="nl", choices=REGIONS,
                       constraints=[check_in("region", REGIONS)])
    default_protocol = CharField(max_length=64, default="vo-nl")
    retention_months = IntegerField(default=24, constraints=[Check("retention_months > 0")])
    public_reports_enabled = BooleanField(default=False)
    # After a handover the previous mentor keeps reading, read-only, what they recorded (permissions.rules).
    previous_mentor_reads = BooleanField(default=False)
    mfa_required_roles = CharField(max_length=200, default="")
    logo_png = BytesField(null=True)  # re-encoded on upload; printed on PDFs
    # E-mail notifications (off by default). The SMTP password comes from the environment
    # (HERSTEL_SMTP_PASSWORD), never from the database.
    mail_enabled = BooleanField(default=False)
    smtp_host = CharField(max_length=200, default="")
    smtp_port = IntegerField(default=587, constraints=[Check("smtp_port BETWEEN 1 AND 65535")])
    smtp_username = CharField(max_length=200, default="")
    smtp_starttls = BooleanField(default=True)
    mail_sender = CharField(max_length=254, default="")
    app_url = CharField(max_length=200, default="")  # links in e-mails, e.g. https://herstel.school.nl

    class Meta:
        constraints = [Check("id = 1")]

    @property
    def second_factor_roles(self):
        """The roles (and "admin" for administrators) that must log in with a second factor."""
        return {role for role in self.mfa_required_roles.split(",") if role}

    def requires_second_factor(self, user):
        """True when one of the user's roles, or being an administrator, calls for a second factor."""
        required = self.second_factor_roles
        return bool(user.roles & required) or (user.is_admin and "admin" in required)

    _current = Prepared(lambda: SchoolSettings.select().where(SchoolSettings.id == 1))

    @classmethod
    def current(cls):
        """The settings row, created with defaults on first use."""
        settings = cls._current.first()
        if settings is None:
            with db.atomic():
                settings, _ = cls.get_or_create(id=1)
        return settings

    @classmethod
    def cached(cls):
        """The settings, read at most once per request (or command): kept on flask.g."""
        if not has_app_context():
            return cls.current()
        if "school_settings" not in g:
            g.school_settings = cls.current()
        return g.school_settings


class User(BaseModel):
    """A staff member who logs in. Roles are rows in UserRole; admin is a flag."""

    username = CharField(max_length=64, unique=True)
    full_name = CharField(max_length=200)
    email = CharField(max_length=254, null=True, unique=True)
    password_hash = CharField(max_length=255)
    is_admin = BooleanField(default=False)
    is_active = BooleanField(default=True)
    language = CharField(max_length=2, default="nl", choices=LANGUAGES,
                         constraints=[check_in("language", LANGUAGES)])
    created_at = DateTimeField(default=utcnow)
    password_changed_at = DateTimeField(default=utcnow)
    totp_secret = CharField(max_length=64, null=True)  # set only once a code confirmed it
    totp_pending_secret = CharField(max_length=64, null=True)  # shown during enrolment, not yet confirmed
    totp_last_step = IntegerField(null=True)  # the newest 30-second step a code was accepted for
    totp_enabled_at = DateTimeField(null=True)
    calendar_token_hash = CharField(max_length=64, null=True, unique=True)
    # When an administrator last set this user's password or switched their second factor off,
    # until the user proves a second factor of their own (a code, a recovery code, or setting one
    # up). Meanwhile their confidential notes stay sealed: whoever knows a password an
    # administrator chose is not yet known to be the user.
    admin_password_reset_at = DateTimeField(null=True)
    admin_factor_reset_at = DateTimeField(null=True)

    class Meta:
        constraints = [Check("length(username) > 0")]

    def set_password(self, password):
        """Store an argon2id hash of the password."""
        self.password_hash = base.password_hasher.hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password):
        """True when the password matches the stored hash."""
        try:
            return base.password_hasher.verify(self.password_hash, password)
        except VerificationError:
            return False
        except InvalidHashError:  # no usable hash: still take a check's time
            self.burn_password_check(password)
            return False

    @staticmethod
    def burn_password_check(password):
        """Spend the time of a real check, so unknown usernames do not answer faster."""
        try:
            base.password_hasher.verify(base.DUMMY_HASH, password)
        except VerificationError:
            pass

    @property
    def roles(self):
        """The set of role names this user has (cached per instance)."""
        if not hasattr(self, "_roles"):
            self._roles = {r.role for r in UserRole.select(UserRole.role).where(UserRole.user == self)}
        return self._roles

    def remember_roles(self, roles):
        """Roles read along with the user (saves the query of `roles`)."""
        self._roles = {role for role in roles if role}

    def set_roles(self, roles):
        """Replace the user's roles; call inside a transaction."""
        UserRole.delete().where(UserRole.user == self).execute()
        for role in sorted(set(roles)):
            UserRole.create(user=self, role=role)
        self._roles = set(roles)

    def has_role(self, *roles):
        return bool(self.roles.intersection(roles))

    @property
    def notes_sealed_since(self):
        """Since when an administrator's reset keeps this user's confidential notes sealed, or None."""
        resets = [moment for moment in (self.admin_password_reset_at, self.admin_factor_reset_at) if moment]
        return min(resets) if resets else None

    def forget_calendar_link(self):
        """The secret calendar link stops working; the user makes a new one under Mijn account.
        True when there was one. Call inside the transaction that ends the user's sessions."""
        had_link = self.calendar_token_hash is not None
        User.update(calendar_token_hash=None).where(User.id == self.id).execute()
        self.calendar_token_hash = None
        return had_link

    @property
    def has_second_factor(self):
        return self.totp_secret is not None

    # Flask-Login's interface; get_id is the session token, so ending a session on the
    # server (logout, password change) makes the cookie worthless.
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return getattr(self, "session_token", None)

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(fn.lower(cls.username) == (username or "").strip().lower())

    @classmethod
    def with_role(cls, role):
        return (cls.select().join(UserRole).where(UserRole.role == role, cls.is_active == True)  # noqa: E712
                .order_by(cls.full_name))



LOCAL_PASSWORDS = (("everyone", "everyone"), ("admins", "admins"))


class SignInProvider(BaseModel):
    """The school's OpenID Connect provider (Microsoft Entra ID, Google Workspace, ...): a single row
    with id 1. The client secret is kept like the second factor's secrets, in the database; the
    settings page never shows it again."""

    issuer = CharField(max_length=300, default="")
    client_id = CharField(max_length=300, default="")
    client_secret = CharField(max_length=500, default="")
    allowed_domains = CharField(max_length=500, default="")  # lower case, one comma between
    local_passwords = CharField(max_length=8, default="everyone", choices=LOCAL_PASSWORDS,
                                constraints=[check_in("local_passwords", LOCAL_PASSWORDS)])
    trust_provider_mfa = BooleanField(default=False)
    create_accounts = BooleanField(default=False)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sign_in_provider"
        constraints = [Check("id = 1")]

    @property
    def configured(self):
        return bool(self.issuer and self.client_id and self.client_secret)

    @property
    def domains(self):
        return [domain for domain in self.allowed_domains.split(",") if domain]

    def allows_password(self, user):
        """Whether this user may log in with a Herstel password (administrators always may)."""
        return not self.configured or self.local_passwords == "everyone" or user.is_admin

    @classmethod
    def current(cls):
        """The provider's row; unsaved and empty (signing in with the school account off) until first set.
        Every login page asks, so asking writes nothing."""
        return cls.get_or_none(cls.id == 1) or cls(id=1)

    @classmethod
    def for_update(cls):
        """The provider's row to change, made first if it is not there yet; call inside a transaction."""
        cls.insert(id=1).on_conflict_ignore().execute()
        return cls.get_by_id(1)


class UserIdentity(BaseModel):
    """A provider account (the issuer and its stable `sub`) that signs in as this user."""

    user = ForeignKeyField(User, backref="identities", on_delete="CASCADE")
    issuer = CharField(max_length=300)
    subject = CharField(max_length=255)
    linked_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    class Meta:
        table_name = "user_identity"
        indexes = ((("issuer", "subject"), True),)


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=16, choices=ROLES, constraints=[check_in("role", ROLES)])

    class Meta:
        # By role: the overview's mentor filter (migration 0029).
        indexes = ((("user", "role"), True), (("role", "user"), False))


class UserSession(BaseModel):
    """A logged-in session on the server; the cookie holds only the token, we keep its hash."""

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def start(cls, user, address="", user_agent=""):
        """Open a session for the user and return its secret token."""
        token = secrets.token_urlsafe(32)
        cls.create(token_hash=cls.hash_token(token), user=user, address=address[:64],
                   user_agent=(user_agent or "")[:255])
        return token

    @classmethod
    def end_all(cls, user):
        cls.delete().where(cls.user == user).execute()

    _with_user = Prepared(lambda token_hash: (
        UserSession.select(UserSession, User, joined_text(UserRole.role).alias("role_list"))
        .join(User).join(UserRole, JOIN.LEFT_OUTER)
        .where(UserSession.token_hash == token_hash)
        .group_by(UserSession.id, User.id).limit(1)))

    @classmethod
    def find_with_user(cls, token):
        """The session of a cookie's token with its user and `role_list`, or None (every request asks)."""
        return cls._with_user.first(cls.hash_token(token))


class LoginThrottle(BaseModel):
    """Failed-login counters per account and per address, shared by every worker."""

    key = CharField(max_length=200, unique=True)
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)


class RecoveryCode(BaseModel):
    """A one-time code that stands in for the second factor; only its SHA-256 is kept."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    used_at = DateTimeField(null=True)

    @classmethod
    def unused_of(cls, user):
        return cls.select().where(cls.user == user, cls.used_at.is_null())



class SecurityNotice(BaseModel):
    """Something that happened to a user's login, told to them at their next login."""

    user = ForeignKeyField(User, backref="security_notices", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=SECURITY_NOTICE_KINDS,
                     constraints=[check_in("kind", SECURITY_NOTICE_KINDS)])
    created_at = DateTimeField(default=utcnow)
    actor = CharField(max_length=200, default="")  # who did it, when it was not the user

    class Meta:
        indexes = ((("user", "created_at"), False),)


class SchoolClass(BaseModel):
    name = CharField(max_length=32, unique=True)
    year_level = IntegerField(constraints=[Check("year_level BETWEEN 1 AND 8")])
    mentor = ForeignKeyField(User, backref="mentored_classes", null=True, on_delete="SET NULL")

    class Meta:
        table_name = "school_class"


class Pupil(BaseModel):
    student_number = CharField(max_length=32, unique=True)
    first_name = CharField(max_length=100)
    infix = CharField(max_length=32, default="")
    last_name = CharField(max_length=100)
    school_class = ForeignKeyField(SchoolClass, backref="pupils", null=True, on_delete="SET NULL")
    date_of_birth = DateField(null=True)
    is_active = BooleanField(default=True)

    @property
    def display_name(self):
        """Name as spoken: 'Daan van der Berg'."""
        return self.display_name_of(self.first_name, self.infix, self.last_name)

    @property
    def sort_name(self):
        """Name as listed in Dutch order: 'Berg, Daan van der'."""
        return self.sort_name_of(self.first_name, self.infix, self.last_name)

    @staticmethod
    def display_name_of(first_name, infix, last_name):
        """display_name from the parts, for lists that read names as plain rows."""
        return " ".join(part for part in (first_name, infix, last_name) if part)

    @staticmethod
    def sort_name_of(first_name, infix, last_name):
        """sort_name from the parts, for lists that read names as plain rows."""
        given = " ".join(part for part in (first_name, infix) if part)
        return "%s, %s" % (last_name, given)

    @classmethod
    def with_class(cls):
        """Pupils with their class in the same query (a pupil may be without one)."""
        return cls.select(cls, SchoolClass).join(SchoolClass, JOIN.LEFT_OUTER)

    @classmethod
    def dutch_order(cls):
        """Order by achternaam, voornaam, tussenvoegsel: the order of every pupil list."""
        return (fn.lower(cls.last_name), fn.lower(cls.first_name), fn.lower(cls.infix))



class AuditEvent(BaseModel):
    """Who did or saw what, when, from where. Append-only: triggers refuse changes.

    No foreign key to User: the log must outlive deleted users, so it keeps a copy of the name.
    """

    at = DateTimeField(default=utcnow, index=True)
    user_id = IntegerField(null=True, index=True)
    username = CharField(max_length=64, default="")
    action = CharField(max_length=64, index=True)
    object_type = CharField(max_length=32, default="")
    object_id = IntegerField(null=True)
    address = CharField(max_length=64, default="")
    detail = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("object_type", "object_id"), False),)

    _append = Prepared(lambda at, user_id, username, action, object_type, object_id, address, detail: (
        AuditEvent.insert(at=at, user_id=user_id, username=username, action=action, object_type=object_type,
                          object_id=object_id, address=address, detail=detail)))

    @classmethod
    def append(cls, action, user_id=None, username="", object_type="", object_id=None, address="", detail=""):
        """Add one event (every request that reads pupil data writes one, so its SQL is built once)."""
        cls._append.execute(utcnow(), user_id, username, action, object_type, object_id, address, detail)


class OutboxMail(BaseModel):
    """A notice to e-mail, written in the transaction of what it announces and sent after the response
    (notify.deliver), so a slow mail server keeps no one waiting and a crash loses nothing.

    It holds addresses, a subject and a link, never pupil data; a row goes once its mail is sent.
    """

    recipients = TextField()  # one address a line
    subject = CharField(max_length=200)
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)  # claimed by moving it on
    last_error = CharField(max_length=200, default="")

    @classmethod
    def due(cls, now=None, max_attempts=5):
        """The notices waiting to be sent now (not claimed by a delivery, not given up on)."""
        return (cls.select().where(cls.next_attempt_at <= (now or utcnow()), cls.attempts < max_attempts)
                .order_by(cls.id))

    @classmethod
    def failed_every_try(cls, max_attempts):
        """The condition of a notice that failed every try: it waits for an administrator."""
        return cls.attempts >= max_attempts

    @classmethod
    def given_up(cls, max_attempts):
        """The notices that failed every try, oldest first."""
        return cls.select().where(cls.failed_every_try(max_attempts)).order_by(cls.id)

