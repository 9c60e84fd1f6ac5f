"""A case and everything recorded in it: reports, pupils and their roles, protocol steps, the
timeline, conversations and their checklists, agreements, follow-ups, measures, parents,
referrals, support sessions, evidence and personal work notes."""
import re

from peewee import (
    JOIN, BooleanField, CharField, Check, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField, Value,
    fn,
)

from db import Prepared, together, utcnow
from models.base import (
    AGREEMENT_STATUSES, APPROACH_LEVELS, APPROACHES, BULLYING_KINDS, CASE_STATUSES, CONVERSATION_LINE_KINDS,
    FOLLOW_UP_OUTCOMES, INVOLVEMENT_ROLES, PARENT_CHANNELS, REFERRAL_TARGETS, REFERRAL_TRAININGS, REPORT_CHANNELS,
    REPORT_STATUSES, REPORTED_ROLES, REPORTER_KINDS, ROLES, SEVERITIES, STEP_STATUSES, SUPPORT_SESSION_KINDS,
    BaseModel, BytesField, check_in,
)
from models.school import Pupil, SchoolClass, User


class Case(BaseModel):
    """One bullying situation handled under one protocol."""

    reference = CharField(max_length=16, unique=True)
    title = CharField(max_length=200, default="")
    protocol_key = CharField(max_length=64)
    approach = CharField(max_length=24, null=True, choices=APPROACHES,
                         constraints=[Check("approach IS NULL OR approach IN "
                                            "('confrontational', 'non_confrontational')")])
    approach_level = CharField(max_length=16, null=True, choices=APPROACH_LEVELS,
                               constraints=[Check("approach_level IS NULL OR approach_level IN "
                                                  "('individual', 'group', 'class')")])
    mentor = ForeignKeyField(User, backref="mentored_cases", null=True, on_delete="SET NULL")
    status = CharField(max_length=8, default="open", choices=CASE_STATUSES,
                       constraints=[check_in("status", CASE_STATUSES)])
    online = BooleanField(default=False)
    possibly_criminal = BooleanField(default=False)
    severity = CharField(max_length=8, default="normal", choices=SEVERITIES,
                         constraints=[check_in("severity", SEVERITIES)])
    # The escalation phase the case stands at (the highest proposed or taken) and the roles the protocol
    # names to decide it, copied by domain.escalation.sync: who may see the case for it is one query.
    escalation_phase = IntegerField(null=True, constraints=[
        Check("escalation_phase IS NULL OR escalation_phase BETWEEN 1 AND 5")])
    escalation_deciders = CharField(max_length=100, default="")  # roles, space-separated
    opened_at = DateTimeField(default=utcnow)
    opened_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    closed_at = DateTimeField(null=True)
    closed_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    close_reason = TextField(default="")
    anonymised_at = DateTimeField(null=True)
    # A second protocol beside the first (the online protocol beside the school's own), and since when:
    # its steps are keyed "<protocol>:<step>" (domain.protocols.beside), its deadlines count from that day.
    second_protocol_key = CharField(max_length=64, null=True)
    second_protocol_added_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "opened_at"), False),)

    @classmethod
    def next_reference(cls, year):
        """The next free reference of a year: '2026-0007'."""
        prefix = "%d-" % year
        last = (cls.select(fn.MAX(cls.reference)).where(cls.reference.startswith(prefix)).scalar())
        number = int(last.split("-")[1]) + 1 if last else 1
        return "%s%04d" % (prefix, number)

    _involved_pupils = Prepared(lambda case_id: Involvement.of_case(case_id))
    _earlier_bullying = Prepared(lambda case_id: Involvement.earlier_bullying(case_id))

    def involved_pupils(self):
        """The pupils of this case with their roles, in Dutch name order."""
        return self._involved_pupils.all(self.id)

    def earlier_bullying(self):
        """Each earlier case (opened before this one) in which a pupil who bullies in this one was named as a bully:
        (first name, infix, last name, reference), oldest case first."""
        return self._earlier_bullying.all(self.id)

    def contents(self, reader):
        """Everything the case page lists, read in one statement (see _CASE_CONTENTS), by name."""
        return _CASE_CONTENTS.lists(self.id, reader.id)


class Involvement(BaseModel):
    """A pupil in a case, with their role."""

    case = ForeignKeyField(Case, backref="involvements", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="involvements", on_delete="RESTRICT")
    role = CharField(max_length=16, choices=INVOLVEMENT_ROLES,
                     constraints=[check_in("role", INVOLVEMENT_ROLES)])
    added_at = DateTimeField(default=utcnow)
    role_since = DateTimeField(null=True)  # when a correction gave this role; empty: the role they were added with

    class Meta:
        indexes = ((("case", "pupil"), True),)

    @property
    def in_role_since(self):
        """When the pupil took this role in the case: added with it, or given it by a correction later."""
        return self.role_since or self.added_at

    @classmethod
    def of_case(cls, case):
        """The case's pupils with their roles and classes, in Dutch name order."""
        return (cls.select(cls, Pupil, SchoolClass).join(Pupil).join(SchoolClass, JOIN.LEFT_OUTER)
                .where(cls.case == case).order_by(*Pupil.dutch_order()))

    @classmethod
    def earlier_bullying(cls, case):
        """Case.earlier_bullying's query. A pupil who bullied often has many earlier cases: only
        the columns a warning needs (the pupil's name, the case's reference and id), as plain rows."""
        bullies = cls.select(cls.pupil).where(cls.case == case, cls.role == "bully")
        this = Case.alias()
        opened = this.select(this.opened_at).where(this.id == case)
        return (cls.select(Pupil.first_name, Pupil.infix, Pupil.last_name, Case.reference, Case.id)
                .join(Pupil).switch(cls).join(Case)
                .where(cls.pupil.in_(bullies), cls.role == "bully", cls.case != case,
                       # only a case opened before this one: a later case is not "eerder"
                       (Case.opened_at < opened) | ((Case.opened_at == opened) & (Case.id < case)))
                .order_by(Case.opened_at).tuples())


class CaseMember(BaseModel):
    """A staff member added to a case beyond its mentor (a support team member, a teacher)."""

    case = ForeignKeyField(Case, backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="case_memberships", on_delete="CASCADE")
    added_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "user"), True),)


class CaseHandover(BaseModel):
    """A case handed from one mentor to another (leave, a class change): who its previous mentors are."""

    case = ForeignKeyField(Case, backref="handovers", on_delete="CASCADE")
    from_mentor = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    to_mentor = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    handed_over_at = DateTimeField(default=utcnow)
    handed_over_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("from_mentor", "case"), False),)


class CaseStep(BaseModel):
    """Where a case stands on one step of its protocol.

    Owner and position are copied from the protocol so that "what is due, for whom" is one
    query; domain.cases.sync_steps keeps them and the due date up to date.
    """

    case = ForeignKeyField(Case, backref="steps", on_delete="CASCADE")
    step_key = CharField(max_length=64)
    position = IntegerField(default=0)
    owner = CharField(max_length=16, default="mentor", constraints=[
        Check("owner IN ('mentor', 'coordinator', 'support', 'counsellor')")])
    status = CharField(max_length=16, default="open", choices=STEP_STATUSES,
                       constraints=[check_in("status", STEP_STATUSES)])
    due_on = DateField(null=True)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    note = TextField(default="")
    set_aside_reason = TextField(default="")  # not applicable by hand, and why (the protocol's rules leave it so)

    class Meta:
        indexes = ((("case", "step_key"), True), (("status", "due_on"), False), (("step_key", "status"), False),
                   (("owner", "status", "due_on"), False), (("due_on", "status", "done_at"), False))

    @classmethod
    def of_case(cls, case):
        """The case's steps in the protocol's order, with the name of who did each."""
        return (cls.select(cls, User.id, User.full_name).join(User, JOIN.LEFT_OUTER, on=(cls.done_by == User.id))
                .where(cls.case == case).order_by(cls.position))

    @classmethod
    def next_open_of(cls, case_ids):
        """For each of these cases, the open step with the earliest deadline (the overview's
        column): objects with case_id, step_key and due_on only."""
        return _NEXT_OPEN_STEPS.all(list(case_ids))


def _next_open_steps(case_ids):
    """The query of CaseStep.next_open_of: each case's open steps ranked by deadline, the first kept."""
    ranked = (CaseStep.select(CaseStep.case, CaseStep.step_key, CaseStep.due_on, fn.ROW_NUMBER().over(
                  partition_by=[CaseStep.case], order_by=[CaseStep.due_on, CaseStep.position]).alias("rank"))
              .where(CaseStep.case.in_(case_ids), CaseStep.status == "open", CaseStep.due_on.is_null(False)))
    return (CaseStep.select(ranked.c.case_id, ranked.c.step_key, ranked.c.due_on).from_(ranked)
            .where(ranked.c.rank == 1).objects())


_NEXT_OPEN_STEPS = Prepared(_next_open_steps)


class CaseEvent(BaseModel):
    """A line on the case's timeline: opened, step done, approach chosen, closed, reopened, ..."""

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    kind = CharField(max_length=32)
    text = TextField(default="")

    class Meta:
        indexes = ((("case", "at"), False),)

    @classmethod
    def add(cls, case, kind, text="", user=None, at=None):
        return cls.create(case=case, kind=kind, text=text, user=user, at=at or utcnow())

    @classmethod
    def timeline(cls, case):
        """The case's timeline, newest first, with the name of who did each thing."""
        return (cls.select(cls, User.id, User.full_name).join(User, JOIN.LEFT_OUTER, on=(cls.user == User.id))
                .where(cls.case == case).order_by(cls.at.desc(), cls.id.desc()))


class Report(BaseModel):
    """Someone tells the school that bullying (maybe) happens: a report or a neutral signal."""

    reported_on = DateField()
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, backref="reports", null=True, on_delete="SET NULL")
    reporter_kind = CharField(max_length=16, choices=REPORTER_KINDS,
                              constraints=[check_in("reporter_kind", REPORTER_KINDS)])
    reporter_name = CharField(max_length=200, default="")
    channel = CharField(max_length=16, choices=REPORT_CHANNELS,
                        constraints=[check_in("channel", REPORT_CHANNELS)])
    is_signal = BooleanField(default=False)
    place = CharField(max_length=200, default="")
    platform = CharField(max_length=100, default="")
    description = TextField()
    share_reporter_name = BooleanField(default=False)
    possibly_criminal = BooleanField(default=False)
    status = CharField(max_length=8, default="new", choices=REPORT_STATUSES,
                       constraints=[check_in("status", REPORT_STATUSES)])
    case = ForeignKeyField(Case, backref="reports", null=True, on_delete="SET NULL")
    handled_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    handled_at = DateTimeField(null=True)
    close_reason = TextField(default="")
    anonymised_at = DateTimeField(null=True)
    confidential = BooleanField(default=False)  # for the coordinator only: not shown to the pupils' mentors

    class Meta:
        indexes = ((("status", "created_at"), False), (("reported_on", "is_signal"), False))

    @property
    def kinds(self):
        return [row.kind for row in self.kind_rows]

    @property
    def shown_status(self):
        """Where the report stands for whoever reads it. A report under a case follows its case: closed
        when the case is closed, in behandeling again when it is reopened. Read from the case rather than
        written beside it, so no close, reopen, merge or restore can leave the two apart; list reports
        through with_case so that this costs no query per report."""
        if self.status == "in_case" and self.case_id is not None and self.case.status == "closed":
            return "closed"
        return self.status

    @property
    def closed_with_case(self):
        """The report was closed by closing its case, not on its own without a case."""
        return self.status == "in_case" and self.shown_status == "closed"

    @classmethod
    def with_case(cls, query=None):
        """The reports of `query` (all of them by default) with their case read alongside."""
        query = cls.select() if query is None else query
        return query.select_extend(Case).join_from(cls, Case, JOIN.LEFT_OUTER, on=(cls.case == Case.id))

    @classmethod
    def of_case(cls, case):
        """The reports under a case, in the order they came in."""
        return cls.with_case().where(cls.case == case).order_by(cls.reported_on)


class ReportKind(BaseModel):
    report = ForeignKeyField(Report, backref="kind_rows", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=BULLYING_KINDS, constraints=[check_in("kind", BULLYING_KINDS)])

    class Meta:
        indexes = ((("report", "kind"), True),)


class ReportPupil(BaseModel):
    """A pupil named in a report, as the one who was bullied, who bullied, or without a role."""

    report = ForeignKeyField(Report, backref="pupil_rows", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="report_rows", on_delete="RESTRICT")
    role = CharField(max_length=16, null=True, choices=REPORTED_ROLES, constraints=[
        Check("role IS NULL OR role IN ('victim', 'bully')")])

    class Meta:
        indexes = ((("report", "pupil"), True),)


class Conversation(BaseModel):
    """One conversation held under a template; its checklist is a snapshot in ChecklistEntry."""

    case = ForeignKeyField(Case, backref="conversations", on_delete="CASCADE")
    step_key = CharField(max_length=64)
    template_key = CharField(max_length=64)
    title = CharField(max_length=200)
    held_by = ForeignKeyField(User, backref="conversations", null=True, on_delete="SET NULL")
    started_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    next_appointment_at = DateTimeField(null=True)

    @property
    def is_finished(self):
        return self.ended_at is not None

    @classmethod
    def of_case(cls, case):
        """The case's conversations, newest first, each with who held it and its `done` and `total` items."""
        return (cls.select(cls, User.id, User.full_name,
                           fn.COALESCE(fn.SUM(ChecklistEntry.done.cast("INTEGER")), 0).alias("done"),
                           fn.COUNT(ChecklistEntry.id).alias("total"))
                .join(User, JOIN.LEFT_OUTER, on=(cls.held_by == User.id))
                .switch(cls).join(ChecklistEntry, JOIN.LEFT_OUTER)
                .where(cls.case == case).group_by(cls.id, User.id)
                .order_by(cls.started_at.desc()))


class ConversationParticipant(BaseModel):
    conversation = ForeignKeyField(Conversation, backref="participants", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, null=True, backref="+", on_delete="RESTRICT")
    name = CharField(max_length=200, default="")
    role = CharField(max_length=32)  # a pupil's role, "other", or "parents": the pupil whose parents the talk was with

    @classmethod
    def parents_in_case(cls, case):
        """The pupils whose parents the case's talks with the parents were with (role "parents")."""
        return (cls.select(cls.id, cls.conversation, cls.name).join(Conversation)
                .where(Conversation.case == case, cls.role == "parents").order_by(cls.id))


OWN_NUMBER = re.compile(r"(\d{1,3})\.\s+")  # a guide's own numbering at the start of an item


class ChecklistEntry(BaseModel):
    """One item of a conversation's checklist, copied from the template when it started."""

    conversation = ForeignKeyField(Conversation, backref="entries", on_delete="CASCADE")
    position = IntegerField()
    phase = CharField(max_length=200, default="")
    text = TextField()
    hint = TextField(default="")
    done = BooleanField(default=False)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    note = TextField(default="")
    note_version = IntegerField(default=0)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("conversation", "position"), True),)

    @property
    def number(self):
        """The number the item shows: its guide's own ("1. Bedank ...": step 1 of 17) or its place in the list."""
        match = OWN_NUMBER.match(self.text)
        return int(match.group(1)) if match else self.position

    @property
    def bare_text(self):
        """The text without the guide's own number, which `number` shows instead."""
        match = OWN_NUMBER.match(self.text)
        return self.text[match.end():] if match else self.text

    _with_case = Prepared(lambda conversation_id, entry_id: (
        ChecklistEntry.select(ChecklistEntry, Conversation, Case).join(Conversation).join(Case)
        .where(ChecklistEntry.id == entry_id, Conversation.id == conversation_id).limit(1)))
    _store_done = Prepared(lambda entry_id, done, done_at, done_by, updated_at: (
        ChecklistEntry.update({ChecklistEntry.done: Value(done), ChecklistEntry.done_at: done_at,
                               ChecklistEntry.done_by: done_by, ChecklistEntry.updated_at: updated_at})
        .where(ChecklistEntry.id == entry_id)))

    @classmethod
    def with_case(cls, conversation_id, entry_id):
        """The item with its conversation and case in one query (a tap is hot), or None."""
        return cls._with_case.first(conversation_id, entry_id)

    def store_done(self):
        """Write the item's done state (and who, when) alone, as a tap changes nothing else."""
        self._store_done.execute(self.id, self.done, self.done_at, self.done_by_id, self.updated_at)


class ConversationLine(BaseModel):
    """A line the mentor adds during a conversation: a note, what the pupil wishes, an agreement.

    client_key is written into the add form by the server, so a save that is retried after a
    network failure finds its first copy instead of adding the line twice.
    """

    conversation = ForeignKeyField(Conversation, backref="lines", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=CONVERSATION_LINE_KINDS,
                     constraints=[check_in("kind", CONVERSATION_LINE_KINDS)])
    text = TextField()
    client_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    removed_at = DateTimeField(null=True)


class ConversationAmendment(BaseModel):
    """A change to a finished conversation, shown with who made it and when."""

    conversation = ForeignKeyField(Conversation, backref="amendments", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    description = TextField()


class Agreement(BaseModel):
    """A restoration agreement; a change to a locked one is a new version."""

    case = ForeignKeyField(Case, backref="agreements", on_delete="CASCADE")
    conversation = ForeignKeyField(Conversation, backref="agreements", null=True, on_delete="SET NULL")
    version = IntegerField(default=1, constraints=[Check("version >= 1")])
    status = CharField(max_length=8, default="draft", choices=AGREEMENT_STATUSES,
                       constraints=[check_in("status", AGREEMENT_STATUSES)])
    commitments = TextField(default="")  # one commitment per line
    restorative_act = TextField(default="")
    support_figures = TextField(default="")
    coaching = TextField(default="")
    period_start = DateField(null=True)
    period_end = DateField(null=True)
    evaluation_on = DateField(null=True)
    content_sha256 = CharField(max_length=64, default="")
    created_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    locked_at = DateTimeField(null=True)
    # A later version replaced this one: a draft can no longer be signed, a signed one no longer holds.
    superseded_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("case", "version"), True),)
        constraints = [Check("period_end IS NULL OR period_start IS NULL OR period_end >= period_start")]

    @classmethod
    def versions_of(cls, case):
        """The case's agreements, newest version first."""
        return cls.select().where(cls.case == case).order_by(cls.version.desc())

    @property
    def is_open_draft(self):
        """A draft that can still be changed and signed: no later version replaced it."""
        return self.status == "draft" and self.superseded_at is None


class AgreementParty(BaseModel):
    """Someone who signs an agreement: a pupil, the mentor, a parent; signed on screen or on paper."""

    agreement = ForeignKeyField(Agreement, backref="parties", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, null=True, backref="+", on_delete="RESTRICT")
    name = CharField(max_length=200)
    role = CharField(max_length=32)
    signature_png = BytesField(null=True)
    signed_at = DateTimeField(null=True)
    signed_on_paper = BooleanField(default=False)


class FollowUp(BaseModel):
    """A follow-up talk with one pupil, to check that the agreements hold (seed 001 step 5).

    Each pupil has their own series: planned from the signed agreement, or, without one, from the
    protocol when its follow-up step comes due; a conversation's appointment adds one. A row without
    a pupil is from before follow-ups were per pupil, one talk with several pupils together.
    """

    case = ForeignKeyField(Case, backref="follow_ups", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="+", null=True, on_delete="RESTRICT")
    agreement = ForeignKeyField(Agreement, backref="follow_ups", null=True, on_delete="SET NULL")
    conversation = ForeignKeyField(Conversation, backref="follow_ups", null=True, on_delete="SET NULL")
    due_on = DateField()
    evaluation = BooleanField(default=False)  # the agreement's evaluation talk (seed 000 point 10)
    with_whom = CharField(max_length=200, default="")
    held_on = DateField(null=True)  # the day of the talk, as the user says; never before due_on
    done_at = DateTimeField(null=True)  # when it was recorded
    done_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    outcome = CharField(max_length=16, null=True, choices=FOLLOW_UP_OUTCOMES, constraints=[
        Check("outcome IS NULL OR outcome IN ('going_well', 'not_kept', 'not_held')")])
    note = TextField(default="")  # what was said; for a talk not held, why not
    cancelled_at = DateTimeField(null=True)  # a new agreement replaced the series this belonged to

    class Meta:
        indexes = ((("done_at", "due_on"), False), (("outcome", "case"), False))

    @property
    def is_open(self):
        return self.done_at is None and self.cancelled_at is None

    @property
    def in_series(self):
        """Part of the series the protocol's follow-up step stands for (not a conversation's appointment)."""
        return self.conversation_id is None and self.cancelled_at is None

    @classmethod
    def of_case(cls, case):
        """The case's follow-ups, done, to come and cancelled, by the day they are due, with the pupil."""
        return (cls.select(cls, Pupil).join(Pupil, JOIN.LEFT_OUTER).where(cls.case == case)
                .order_by(cls.due_on, cls.id))


class Measure(BaseModel):
    """An escalation measure, phase 1 to 5.

    The protocol names who decides each phase; those roles are copied here (`deciding_roles`) when the
    measure is recorded, and each role's decision is a MeasureDecider row. A measure of a phase that
    two roles decide together (the team leader and management) waits for the second until it has it.
    """

    case = ForeignKeyField(Case, backref="measures", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="measures", on_delete="RESTRICT")
    phase = IntegerField(constraints=[Check("phase BETWEEN 1 AND 5")])
    description = TextField()
    decided_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    decided_on = DateField(index=True)
    informed = TextField(default="")
    deciding_roles = CharField(max_length=100, default="")  # space-separated; empty before roles were kept
    waiting_for = CharField(max_length=100, default="")  # the deciding roles that have not decided yet
    # A role it waited for refused it (with why): not decided, it waits no more and its proposal comes back.
    refused_at = DateTimeField(null=True)
    refused_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    refusal_reason = TextField(default="")

    @property
    def roles_to_decide(self):
        return tuple(self.deciding_roles.split())

    @property
    def waiting_roles(self):
        return tuple(self.waiting_for.split())

    @property
    def taken(self):
        """Decided: not refused by a role it waited for."""
        return self.refused_at is None

    @classmethod
    def of_case(cls, case):
        """The measures taken in a case, in the order they were decided, with the pupil (and who refused one)."""
        refuser = User.alias()
        return (cls.select(cls, Pupil, refuser.id, refuser.full_name).join(Pupil).switch(cls)
                .join(refuser, JOIN.LEFT_OUTER, on=(cls.refused_by == refuser.id), attr="refused_by")
                .where(cls.case == case).order_by(cls.decided_on, cls.id))


# Those waiting for a second deciding role, in the order the home page lists them (migration 0031).
Measure.add_index(Measure.index(Measure.decided_on, Measure.id, name="measure_waiting",
                                where=Measure.waiting_for != ""))


class MeasureDecider(BaseModel):
    """One role's decision on a measure: who decided for it, and when."""

    measure = ForeignKeyField(Measure, backref="deciders", on_delete="CASCADE")
    role = CharField(max_length=16, choices=ROLES, constraints=[check_in("role", ROLES)])
    user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    decided_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("measure", "role"), True),)

    @classmethod
    def of_case(cls, case):
        """Every role's decision on the case's measures, with the name of who decided."""
        return (cls.select(cls, User.id, User.full_name).join(Measure).switch(cls)
                .join(User, JOIN.LEFT_OUTER, on=(cls.user == User.id))
                .where(Measure.case == case).order_by(cls.decided_at, cls.id))


class ParentContact(BaseModel):
    """The school spoke with or informed a pupil's parents: how, when, by whom, what was agreed."""

    case = ForeignKeyField(Case, backref="parent_contacts", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="+", on_delete="RESTRICT")
    channel = CharField(max_length=16, choices=PARENT_CHANNELS, constraints=[check_in("channel", PARENT_CHANNELS)])
    contacted_on = DateField()
    by_user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    summary = TextField(default="")
    agreed = TextField(default="")

    @classmethod
    def of_case(cls, case):
        """The case's parent contacts, newest first, with the pupil and the name of who made contact."""
        return (cls.select(cls, Pupil, User.id, User.full_name).join(Pupil).switch(cls)
                .join(User, JOIN.LEFT_OUTER, on=(cls.by_user == User.id))
                .where(cls.case == case).order_by(cls.contacted_on.desc(), cls.id.desc()))


class Referral(BaseModel):
    """A pupil (or the case) sent on to the support team, the CLB, a training, external help or the police.

    A referral to the support team is what puts a pupil on that team's list.
    """

    case = ForeignKeyField(Case, backref="referrals", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="referrals", null=True, on_delete="RESTRICT")
    target = CharField(max_length=16, choices=REFERRAL_TARGETS, constraints=[check_in("target", REFERRAL_TARGETS)])
    detail = CharField(max_length=200, default="")  # the training, the service, the police contact
    referred_on = DateField()
    by_user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    note = TextField(default="")
    training = CharField(max_length=24, null=True, choices=REFERRAL_TRAININGS, constraints=[
        Check("training IS NULL OR training IN ('social_skills', 'resilience', 'aggression_regulation', 'other')")])
    closed_on = DateField(null=True)
    closed_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    close_note = TextField(default="")

    @property
    def is_open(self):
        return self.closed_on is None

    @property
    def is_confidential(self):
        """A referral to the confidential counsellor: what it says is for the counsellor alone."""
        return self.target == "counsellor"

    @classmethod
    def of_case(cls, case):
        """The case's referrals, open ones first, then newest first, with the pupil."""
        return (cls.select(cls, Pupil).join(Pupil, JOIN.LEFT_OUTER).where(cls.case == case)
                .order_by(cls.closed_on.is_null(False), cls.referred_on.desc(), cls.id.desc()))

    @classmethod
    def to_counsellor(cls):
        """The referrals to the confidential counsellor, open ones first, then newest first, with pupil and case."""
        return (cls.select(cls, Pupil, Case).join(Pupil, JOIN.LEFT_OUTER).switch(cls).join(Case)
                .where(cls.target == "counsellor")
                .order_by(cls.closed_on.is_null(False), cls.referred_on.desc(), cls.id.desc()))


class SupportSession(BaseModel):
    """A support team session: individual guidance, a training, a support group meeting.

    The notes are the support team's own; the mentor reads the report back on the case.
    """

    case = ForeignKeyField(Case, backref="support_sessions", on_delete="CASCADE")
    referral = ForeignKeyField(Referral, backref="sessions", null=True, on_delete="SET NULL")
    kind = CharField(max_length=32, choices=SUPPORT_SESSION_KINDS,
                     constraints=[check_in("kind", SUPPORT_SESSION_KINDS)])
    held_on = DateField()
    participants = TextField(default="")
    notes = TextField(default="")
    report_back = TextField(default="")
    recorded_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    @classmethod
    def of_case(cls, case):
        """The case's sessions, newest first, with the name of who recorded them."""
        return (cls.select(cls, User.id, User.full_name)
                .join(User, JOIN.LEFT_OUTER, on=(cls.recorded_by == User.id))
                .where(cls.case == case).order_by(cls.held_on.desc(), cls.id.desc()))


class Evidence(BaseModel):
    """Online evidence: when, where, who, what it shows, and an optional stored file."""

    case = ForeignKeyField(Case, backref="evidence", on_delete="CASCADE")
    captured_at = DateTimeField()
    platform = CharField(max_length=100, default="")
    url = CharField(max_length=2000, default="")
    usernames = CharField(max_length=500, default="")
    description = TextField(default="")
    collected_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    file_name = CharField(max_length=64, null=True, unique=True)  # random name outside static/
    original_name = CharField(max_length=255, default="")
    content_type = CharField(max_length=64, default="")
    size = IntegerField(default=0)
    sha256 = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def is_image(self):
        return self.content_type in ("image/png", "image/jpeg")

    @classmethod
    def of_case(cls, case):
        """The case's evidence log in the order it happened, with the name of who collected each item."""
        return (cls.select(cls, User.id, User.full_name)
                .join(User, JOIN.LEFT_OUTER, on=(cls.collected_by == User.id))
                .where(cls.case == case).order_by(cls.captured_at, cls.id))


class PersonalNote(BaseModel):
    """A staff member's own work note on a case, readable by them alone.

    Kept in a table of their own and never part of a case export or a parent's access request.
    """

    case = ForeignKeyField(Case, backref="personal_notes", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="personal_notes", on_delete="CASCADE")
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @classmethod
    def of(cls, case, author):
        """The author's own notes on a case, newest first: the only way notes are ever listed."""
        return (cls.select().where(cls.case == case, cls.author == author)
                .order_by(cls.created_at.desc(), cls.id.desc()))


class CaseMerge(BaseModel):
    """Two cases merged into one: `merged` went into `kept` and was closed with a pointer to it.

    `moved` (JSON) says what moved and how it was before, so that undoing the merge on the same day puts
    every record back (domain.merges); an undone merge keeps its row, with when it was undone.
    """

    kept = ForeignKeyField(Case, backref="+", on_delete="CASCADE")
    merged = ForeignKeyField(Case, backref="+", on_delete="CASCADE")
    merged_at = DateTimeField(default=utcnow)
    merged_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    moved = TextField(default="{}")
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("merged", "undone_at"), False), (("kept", "undone_at"), False))

    @classmethod
    def standing(cls):
        """The merges that were not undone."""
        return cls.select().where(cls.undone_at.is_null())

    @classmethod
    def of_case(cls, case):
        """The standing merges this case took part in (kept or merged), newest first."""
        return cls.standing().where((cls.kept == case) | (cls.merged == case)).order_by(cls.merged_at.desc(),
                                                                                         cls.id.desc())


# Every view of a case reads these; together they are one statement, its SQL built once.
_CASE_CONTENTS = Prepared(lambda case_id, reader_id: together(
    pupils=Involvement.of_case(case_id), earlier_bullying=Involvement.earlier_bullying(case_id),
    steps=CaseStep.of_case(case_id), timeline=CaseEvent.timeline(case_id), talks=Conversation.of_case(case_id),
    talk_parents=ConversationParticipant.parents_in_case(case_id),
    agreements=Agreement.versions_of(case_id), reports=Report.of_case(case_id),
    follow_ups=FollowUp.of_case(case_id), measures=Measure.of_case(case_id),
    measure_deciders=MeasureDecider.of_case(case_id),
    support_sessions=SupportSession.of_case(case_id), parent_contacts=ParentContact.of_case(case_id),
    referrals=Referral.of_case(case_id), evidence=Evidence.of_case(case_id),
    own_notes=PersonalNote.of(case_id, reader_id), merges=CaseMerge.of_case(case_id)))
