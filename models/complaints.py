"""Complaints to the confidential counsellor, and the public report page's threads and counters."""
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import (
    JOIN, BooleanField, CharField, Check, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField,
)

from db import utcnow
from models import base
from models.base import COMPLAINANT_KINDS, COMPLAINT_STATUSES, THREAD_AUTHORS, BaseModel, check_in
from models.cases import Case, Report
from models.school import Pupil, User


class Complaint(BaseModel):
    """A complaint to the confidential counsellor that bullying is not handled well."""

    received_on = DateField(index=True)
    complainant_kind = CharField(max_length=8, choices=COMPLAINANT_KINDS,
                                 constraints=[check_in("complainant_kind", COMPLAINANT_KINDS)])
    complainant_name = CharField(max_length=200, default="")
    complainant_contact = CharField(max_length=200, default="")
    pupil = ForeignKeyField(Pupil, backref="complaints", null=True, on_delete="RESTRICT")
    case = ForeignKeyField(Case, backref="complaints", null=True, on_delete="SET NULL")
    description = TextField()
    status = CharField(max_length=16, default="received", choices=COMPLAINT_STATUSES,
                       constraints=[check_in("status", COMPLAINT_STATUSES)])
    experts_consulted = TextField(default="")
    advice = TextField(default="")
    committee_referred_on = DateField(null=True)
    counsellor = ForeignKeyField(User, backref="complaints", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)  # set when the status becomes closed; retention counts from it
    anonymised_at = DateTimeField(null=True)

    @classmethod
    def open_first(cls):
        """Every complaint with its pupil and case: those still running first, newest first."""
        return (cls.select(cls, Pupil, Case)
                .join(Pupil, JOIN.LEFT_OUTER, on=(cls.pupil == Pupil.id))
                .switch(cls).join(Case, JOIN.LEFT_OUTER, on=(cls.case == Case.id))
                .order_by((cls.status == "closed").asc(), cls.received_on.desc(), cls.id.desc()))


class ComplaintNote(BaseModel):
    """The counsellor's private note on a complaint: no other role ever reads it."""

    complaint = ForeignKeyField(Complaint, backref="notes", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    body = TextField()
    created_at = DateTimeField(default=utcnow)





class PublicThread(BaseModel):
    """The conversation between the school and whoever used the public report page.

    It belongs to one report (the coordinator answers) or one complaint (the counsellor
    answers). The reporter comes back with the receipt code and a secret phrase; only an
    argon2 hash of the phrase is kept, like a password.
    """

    receipt_code = CharField(max_length=19, unique=True)
    phrase_hash = CharField(max_length=255)
    report = ForeignKeyField(Report, backref="threads", null=True, unique=True, on_delete="CASCADE")
    complaint = ForeignKeyField(Complaint, backref="threads", null=True, unique=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    reporter_seen_at = DateTimeField(null=True)  # when the reporter last read the answers

    class Meta:
        constraints = [Check("(report_id IS NULL) <> (complaint_id IS NULL)")]

    def set_phrase(self, phrase):
        self.phrase_hash = base.password_hasher.hash(normalise_phrase(phrase))

    def check_phrase(self, phrase):
        try:
            return base.password_hasher.verify(self.phrase_hash, normalise_phrase(phrase))
        except (VerificationError, InvalidHashError):
            return False

    @property
    def answering_role(self):
        """The role that answers this thread: the coordinator for reports, the counsellor for complaints."""
        return "coordinator" if self.report_id else "counsellor"

    def messages_in_order(self):
        return (ThreadMessage.select(ThreadMessage, User).join(User, JOIN.LEFT_OUTER)
                .where(ThreadMessage.thread == self).order_by(ThreadMessage.created_at, ThreadMessage.id))


class PublicAccess(BaseModel):
    """A browser that opened a public thread with its code and phrase. The browser's session holds
    a random token and this row only its SHA-256, so "Sluiten" (which deletes the row) ends that
    browser's access on the server: a copy of its cookie opens nothing afterwards."""

    thread = ForeignKeyField(PublicThread, backref="accesses", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow, index=True)


def normalise_phrase(phrase):
    """A secret phrase as typed, with case and spacing that do not matter."""
    return " ".join((phrase or "").lower().replace("-", " ").split())


def normalise_code(code):
    """A receipt code as typed: upper case, groups of four, without spaces; '' when it cannot be one."""
    letters = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]
    if len(letters) != 16:
        return ""
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


class ThreadMessage(BaseModel):
    """One message in a public thread: from the reporter, or from staff (shown by role)."""

    thread = ForeignKeyField(PublicThread, backref="messages", on_delete="CASCADE")
    author_kind = CharField(max_length=8, choices=THREAD_AUTHORS, constraints=[check_in("author_kind", THREAD_AUTHORS)])
    author = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    author_role = CharField(max_length=16, default="")
    show_name = BooleanField(default=False)
    body = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("thread", "created_at"), False),)


class PublicThrottle(BaseModel):
    """A counter of the public page (per hashed address, per code, per both, overall) that expires."""

    key = CharField(max_length=100, unique=True)
    count = IntegerField(default=0)
    expires_at = DateTimeField(index=True)


