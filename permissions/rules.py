"""Who may see and do what: DESIGN.md's role table, in one place. Views load records through
permissions.loaders, which apply these rules; templates ask the same functions (registered as
globals) to decide what to show.

The counsellor's reading of a case. A complaint is linked to a case only through its pupil, who
must be one of the case's pupils (domain.complaints.find_case); such a complaint lets every
counsellor read that case, and of it only what concerns that pupil (case_reading_scope):
  - the case's facts, every pupil in it with their role, and the protocol's steps with their
    dates and who did them (not the notes written at a step, which speak of the other pupils'
    talks), and the timeline's events without their text;
  - the records about that pupil: the conversations they took part in, the agreements they are a
    party to and the follow-ups of those, their parents' contacts, their referrals and the support
    team's sessions under them (the report back; the team's notes stay the team's), measures on
    them, and the reports that name them;
  - not the records of the other pupils, nor what belongs to no pupil in particular: the evidence
    log (screenshots show many children; the counsellor sees only how many items there are), the
    repeat warnings about other cases, and the escalation proposal.
A record outside that reading answers 404, as if it did not exist; the evidence log as a PDF
answers 403. A complaint without a pupil, or whose pupil is not in the case, opens nothing (also
one saved before this rule). Whoever reads the case for another role (the coordinator, its mentor,
the support team) reads it whole. The counsellor never writes in a case.

The previous mentor's reading of a case handed over from them (domain.corrections.hand_over), when the
school's setting says so (SchoolSettings.previous_mentor_reads; off by default): read-only, the case's
facts as above (its pupils and roles, its steps with their dates, not their notes) and of its records
only those they recorded themselves (PreviousMentorReading: the talks they held, the agreements they drew
up, the follow-ups they recorded, their parent contacts, referrals, measures, evidence, reports, the
timeline's events they made and their own work notes). What others recorded, before or after the
handover, is not listed, counted or hinted at; a link to it answers 404. They write nothing in the case.
Who reads it for another reason (still the mentor of a pupil's class) reads it as that gives them.

A referral to the confidential counsellor (may_read_referral_content): whoever may see the referral sees
that it exists, when and whether it is open; what it says (its note, detail and how it was closed) is
for the counsellor alone, who keeps such referrals on their own page.
"""
from flask import g, has_request_context
from flask_login import current_user

import audit
from models import (
    Agreement, AgreementParty, Case, CaseHandover, CaseMember, CaseStep, ChecklistEntry, Complaint, Conversation,
    ConversationParticipant, Evidence, FollowUp, Involvement, Measure, ParentContact, PersonalNote, Pupil, Referral,
    Report, ReportPupil, SchoolClass, SchoolSettings, SupportSession, User,
)

VIEW, EDIT, MANAGE = "view", "edit", "manage"
# Roles that see a case only because the protocol gives them its escalation phase to decide.
ESCALATION_ROLES = ("teamleader", "management")
MANAGEMENT_FROM_PHASE = 4  # management sees every case at suspension or removal (seed 001's phases 4 and 5)


def _mentor_case_ids(user):
    """Cases that involve a pupil of a class the user mentors."""
    return (Involvement.select(Involvement.case)
            .join(Pupil).join(SchoolClass)
            .where(SchoolClass.mentor == user))


def _support_case_ids(user):
    """Cases referred to the support team, or where the user was added."""
    referred = Referral.select(Referral.case).where(Referral.target == "support_team")
    added = CaseMember.select(CaseMember.case).where(CaseMember.user == user)
    return referred | added


def _remembered(question, key, answer):
    """An answer about a case that takes a query, kept for the rest of the request.

    A page asks about one case for each of its steps, referrals and evidence items, and what
    decides the answer does not change while the page is made. The key holds what a request
    may change and then show (the case's mentor). Outside a request it is asked every time.
    """
    if not has_request_context():
        return answer()
    answers = g.setdefault("_herstel_case_answers", {})
    key = (question,) + key
    if key not in answers:
        answers[key] = answer()
    return answers[key]


def _is_support_case(user, case):
    """The case was referred to the support team, or the user was added to it."""
    return _remembered("support case", (user.id, case.id), lambda: (
        Referral.select().where(Referral.case == case, Referral.target == "support_team").exists()
        or CaseMember.select().where(CaseMember.case == case, CaseMember.user == user).exists()))


def _escalation_cases(user):
    """Conditions on Case for the cases a team leader or management member sees: those whose escalation
    phase (proposed or taken) the protocol gives to one of their roles (Case.escalation_deciders, kept
    by domain.escalation.sync), and for management every case at phase 4 or 5. No role word is part of
    another, so a substring names one role."""
    conditions = [Case.escalation_deciders.contains(role) for role in ESCALATION_ROLES if user.has_role(role)]
    if user.has_role("management"):
        conditions.append(Case.escalation_phase >= MANAGEMENT_FROM_PHASE)
    return conditions


def _decides_escalation_of(user, case):
    """The case is at an escalation phase one of the user's roles decides (or at 4-5, for management);
    read from the case's own row, without a query."""
    deciders = case.escalation_deciders.split()
    return (any(role in deciders and user.has_role(role) for role in ESCALATION_ROLES)
            or (user.has_role("management") and (case.escalation_phase or 0) >= MANAGEMENT_FROM_PHASE))


def sees_every_case(user):
    """The coordinator's lists hold every case of the school."""
    return user.has_role("coordinator")


def case_list_scope(user):
    """Whose cases fill the user's lists (visible_cases): "school" for every case, "mentor" for their own
    and their classes', "support" for those referred to the support team or where they were added,
    "escalation" for those whose escalation phase the team leader or management decides."""
    if sees_every_case(user):
        return "school"
    if user.has_role("mentor"):
        return "mentor"
    if user.has_role("support"):
        return "support"
    return "escalation" if user.has_role(*ESCALATION_ROLES) else None


def visible_cases(user):
    """A query of the cases in this user's lists (empty for a user without a case role).

    The counsellor reads a case a complaint is linked to (case_abilities) but gets no list of
    cases: nothing of the case system beyond the complaints.
    """
    query = Case.select()
    if sees_every_case(user):
        return query
    conditions = []
    if user.has_role("mentor"):
        conditions += [Case.mentor == user, Case.id.in_(_mentor_case_ids(user))]
    if user.has_role("support"):
        conditions.append(Case.id.in_(_support_case_ids(user)))
    conditions += _escalation_cases(user)
    if not conditions:
        return query.where(Case.id.is_null())  # matches nothing
    where = conditions[0]
    for condition in conditions[1:]:
        where = where | condition
    return query.where(where)


_NO_ACCESS = (frozenset(), frozenset())


def case_abilities(user, case):
    """What the user may do with the case: a subset of {view, edit, manage}.

    For anyone but the coordinator the answer can take queries; a request keeps it.
    """
    return _case_access(user, case)[0]


def case_reading_scope(user, case):
    """Whose records of the case the user reads: None for the whole case; a PreviousMentorReading for those
    they recorded themselves; otherwise the ids of the pupils whose records they read (the counsellor's
    reading). See this module's docstring."""
    return _case_access(user, case)[1]


def reads_whole_case(user, case):
    """The user reads all of the case, not only what concerns a complaint's pupil."""
    return case_reading_scope(user, case) is None


def _case_access(user, case):
    """(abilities, reading scope) of the user on the case."""
    if not user.is_authenticated:
        return _NO_ACCESS
    if user.has_role("coordinator"):
        return frozenset({VIEW, EDIT, MANAGE}), None
    return _remembered("access", (user.id, case.id, case.mentor_id), lambda: _worker_access(user, case))


def _worker_access(user, case):
    abilities = set()
    if user.has_role("mentor") and (
            case.mentor_id == user.id
            or _mentor_case_ids(user).where(Involvement.case == case).exists()):
        abilities |= {VIEW, EDIT}
    if user.has_role("support") and _is_support_case(user, case):
        # The support team helps on a case (seed 001's "ondersteunt waar nodig", seed 004's support group):
        # it reads the case and records its own sessions and report back (may_record_support); the
        # protocol's steps, talks, agreements, measures, parents and evidence stay with mentor and coordinator.
        abilities.add(VIEW)
    if _decides_escalation_of(user, case):
        # The team leader and management read the case whose phase they decide, and change nothing in it
        # but the measures of the phases the protocol gives them (may_decide_phase).
        abilities.add(VIEW)
    if abilities:
        return frozenset(abilities), None
    if _reads_after_handover(user, case):
        return frozenset({VIEW}), PreviousMentorReading(user.id)
    if user.has_role("counsellor"):
        pupils = complaint_pupils_in_case(case)
        if pupils:
            return frozenset({VIEW}), pupils
    return _NO_ACCESS


class PreviousMentorReading:
    """The reading scope of a previous mentor: the records of the case they recorded themselves."""

    def __init__(self, user_id):
        self.user_id = user_id

    def admits(self, record):
        author = author_of(record)
        return author is not None and author == self.user_id


def previous_mentor_reads():
    """The school's setting: after a handover the previous mentor keeps reading what they recorded."""
    return SchoolSettings.cached().previous_mentor_reads


def _reads_after_handover(user, case):
    """The user handed this case over (or had it taken from them) as its mentor, is not its mentor now,
    and the school lets previous mentors read on."""
    return (user.has_role("mentor") and case.mentor_id != user.id and previous_mentor_reads()
            and CaseHandover.select().where(CaseHandover.case == case.id, CaseHandover.from_mentor == user).exists())


def handed_over_cases(user):
    """The cases handed over from this mentor that they still read (the home page's "overgedragen"), newest
    handover first; none when the school's setting is off. Those they see for another reason are left out."""
    if not (user.has_role("mentor") and previous_mentor_reads()):
        return Case.select().where(Case.id.is_null())
    handed = CaseHandover.select(CaseHandover.case).where(CaseHandover.from_mentor == user)
    return (Case.select().where(Case.id.in_(handed), Case.mentor.is_null() | (Case.mentor != user),
                                Case.id.not_in(visible_cases(user).select(Case.id)))
            .order_by(Case.opened_at.desc()))


def reads_as_previous_mentor(user, case):
    """The user's reading of the case is a previous mentor's (only what they recorded)."""
    return isinstance(case_reading_scope(user, case), PreviousMentorReading)


def author_of(record):
    """The id of the staff member who recorded this record of a case (None when no one is known)."""
    if isinstance(record, ChecklistEntry):
        record = record.conversation
    field = {Conversation: "held_by_id", Agreement: "created_by_id", FollowUp: "done_by_id", Report: "created_by_id",
             SupportSession: "recorded_by_id", ParentContact: "by_user_id", Referral: "by_user_id",
             Measure: "decided_by_id", Evidence: "collected_by_id", PersonalNote: "author_id"}.get(type(record))
    return getattr(record, field) if field else None


def complaint_pupils_in_case(case):
    """The ids of the case's pupils that complaints linked to the case are about; a complaint
    without a pupil, or about a pupil who is not in the case, counts for nothing."""
    return frozenset(pupil_id for (pupil_id,) in Complaint.select(Complaint.pupil).join(
        Involvement, on=((Involvement.case == Complaint.case) & (Involvement.pupil == Complaint.pupil)))
        .where(Complaint.case == case.id).tuples())


def complaint_opens_case(complaint):
    """The complaint's link lets the counsellor read its case: its pupil is one of the case's pupils."""
    return (complaint.case_id is not None and complaint.pupil_id is not None
            and Involvement.select().where(Involvement.case == complaint.case_id,
                                           Involvement.pupil == complaint.pupil_id).exists())


def _record_pupils(case):
    """Who each talk, agreement, report and referral of the case is about, in four queries a request:
    {(kind, id): pupil ids}."""
    def read():
        pupils = {}
        for kind, query in (
                ("talk", ConversationParticipant.select(ConversationParticipant.conversation,
                                                        ConversationParticipant.pupil)
                 .join(Conversation).where(Conversation.case == case.id)),
                ("agreement", AgreementParty.select(AgreementParty.agreement, AgreementParty.pupil)
                 .join(Agreement).where(Agreement.case == case.id)),
                ("report", ReportPupil.select(ReportPupil.report, ReportPupil.pupil)
                 .join(Report).where(Report.case == case.id)),
                ("referral", Referral.select(Referral.id, Referral.pupil).where(Referral.case == case.id))):
            for record_id, pupil_id in query.tuples():
                if pupil_id is not None:
                    pupils.setdefault((kind, record_id), set()).add(pupil_id)
        return pupils
    return _remembered("record pupils", (case.id,), read)


def pupils_of(record, case):
    """The ids of the pupils a record of the case is about; empty for what belongs to the whole case
    (evidence, a personal work note, a timeline event)."""
    about = _record_pupils(case)

    def of(kind, record_id):
        return frozenset(about.get((kind, record_id), ())) if record_id is not None else frozenset()

    if isinstance(record, Conversation):
        return of("talk", record.id)
    if isinstance(record, ChecklistEntry):
        return of("talk", record.conversation_id)
    if isinstance(record, Agreement):
        return of("agreement", record.id)
    if isinstance(record, FollowUp):  # a talk with one pupil; before they were per pupil, with those of its source
        if record.pupil_id is not None:
            return frozenset({record.pupil_id})
        return of("agreement", record.agreement_id) | of("talk", record.conversation_id)
    if isinstance(record, Report):
        return of("report", record.id)
    if isinstance(record, SupportSession):
        return of("referral", record.referral_id)
    if isinstance(record, (ParentContact, Referral, Measure)):
        return frozenset({record.pupil_id}) if record.pupil_id is not None else frozenset()
    return frozenset()


def may_read_record(user, record, case):
    """The user may read this record of the case: they read the whole case, or it concerns a pupil
    whose records they read."""
    scope = case_reading_scope(user, case)
    if isinstance(scope, PreviousMentorReading):
        return scope.admits(record)
    return scope is None or not scope.isdisjoint(pupils_of(record, case))


def readable(user, case, records):
    """Of these records of the case, those the user may read (all of them for whoever reads it whole)."""
    if reads_whole_case(user, case):
        return list(records)
    return [record for record in records if may_read_record(user, record, case)]


def may_case(need, case, user=None):
    """True when the user (default: the current one) may `need` the case."""
    return need in case_abilities(user or current_user, case)


def may_view_report(user, report):
    """Coordinators see every report; everyone the reports they filed; case workers those of their cases;
    mentors, read-only, those that name a pupil of their class (unless confidential for the coordinator)."""
    return (user.has_role("coordinator") or report.created_by_id == user.id
            or (report.case_id is not None and may_case(VIEW, report.case, user)
                and may_read_record(user, report, report.case))
            or (not report.confidential
                and reports_about_my_pupils(user).where(Report.id == report.id).exists()))


def reports_about_my_pupils(user):
    """The reports that name a pupil of a class this user mentors, for the mentor to read with their status
    (seed 001 step 1: whoever sees bullying tells the mentor); not those the reporter kept for the
    coordinator alone."""
    if not user.has_role("mentor"):
        return Report.select().where(Report.id.is_null())
    named = (ReportPupil.select(ReportPupil.report).join(Pupil).join(SchoolClass)
             .where(SchoolClass.mentor == user))
    return Report.select().where(Report.confidential == False, Report.id.in_(named))  # noqa: E712


def pupil_cases(user, pupil):
    """The cases of a pupil that the user may see, oldest first: what the pupil's page shows, and nothing
    of the others (not even how many there are). The counsellor, who reads a case only for a complaint's
    pupil, sees that pupil's page, not those of the other pupils in the case."""
    cases = (Case.select(Case).join(Involvement).where(Involvement.pupil == pupil)
             .order_by(Case.opened_at, Case.id))
    return [case for case in cases if may_case(VIEW, case, user) and reads_pupil(user, case, pupil.id)]


def reads_pupil(user, case, pupil_id):
    """The user's reading of the case covers this pupil (it may be cut to a complaint's pupils)."""
    scope = case_reading_scope(user, case)
    return not isinstance(scope, frozenset) or pupil_id in scope


def may_see_pupil(user, pupil):
    """A pupil's page is for whoever may see at least one of the pupil's cases."""
    return bool(pupil_cases(user, pupil))


def may_print_case(user, case):
    """The whole case as a PDF: for whoever reads the case whole (not the counsellor's partial reading)."""
    return may_case(VIEW, case, user) and reads_whole_case(user, case)


def may_manage_reports(user):
    """Triage the inbox: turn reports into cases, attach them, close them."""
    return user.has_role("coordinator")


def may_open_case(user):
    """Coordinators open cases for anyone; mentors for pupils of their own classes."""
    return user.has_role("coordinator", "mentor")


def new_case_limits(user):
    """(who may be the mentor, whose classes' pupils it may name) when this user opens a case:
    the coordinator picks any mentor and any pupil; a mentor opens a case as its mentor, for
    pupils of the classes they mentor (the second is None when there is no limit)."""
    if user.has_role("coordinator"):
        return list(User.with_role("mentor")), None
    return [user], user


def may_open_case_from(user, report):
    """The coordinator opens a case from any report; a mentor only from a report they filed."""
    return user.has_role("coordinator") or (user.has_role("mentor") and report.created_by_id == user.id)


def may_complete_step(user, case, owner):
    """Who completes a step of a case (and notes it, and holds its talks) is the step's owner in the
    protocol file, copied onto CaseStep.owner, plus the coordinator: a mentor's step the case's mentor
    and the mentors of its pupils' classes; a support team's step its members on a case referred to
    the team or where they were added; a coordinator's step the coordinator alone."""
    if user.has_role("coordinator"):
        return may_case(MANAGE, case, user)
    if owner == "mentor":
        return user.has_role("mentor") and may_case(EDIT, case, user)
    if owner == "support":
        return may_record_support(user, case)
    return False


def owns_step(user, case, owner):
    """A step that is this user's own to do (the case page's "what is next for you"): its owner's role is
    one the user has, and they may complete it (the coordinator may complete every step, but owns only
    the coordinator's)."""
    return user.has_role(owner) and may_complete_step(user, case, owner)


def may_hold_talk(user, case, owner):
    """Hold a talk at a step (start it, tap through it, plan the next appointment, finish it): whoever
    works on the case, and a step's owner at their own step (the support team's support group)."""
    return may_case(EDIT, case, user) or may_complete_step(user, case, owner)


def takes_over_case(user, case, hand_to, owner):
    """The case is handed to `hand_to` (a role) when agreements break again (seed 001 step 5): the user has that
    role and may hold the talk at repetition, at the step whose owner is `owner`."""
    return user.has_role(hand_to) and may_hold_talk(user, case, owner)


def _talk_owner(case, step_key):
    """The owner of the step a talk is held at (one query, kept for the request)."""
    return _remembered("step owner", (case.id, step_key), lambda: CaseStep.select(CaseStep.owner).where(
        CaseStep.case == case.id, CaseStep.step_key == step_key).scalar())


def may_work_on_talk(user, conversation, case):
    """Change a talk of the case: whoever works on the case, or the owner of the talk's step."""
    return may_case(EDIT, case, user) or (
        may_case(VIEW, case, user) and may_complete_step(user, case, _talk_owner(case, conversation.step_key)))


def deciding_roles(user, case, deciders):
    """Of the roles the protocol names to decide a phase (`deciders`, its decided_by), those this user
    decides for on this case: the case's mentor (or its pupils' class mentor) for the mentor, the
    coordinator, and the team leader and management on a case they see."""
    roles = []
    for role in deciders:
        if not user.has_role(role):
            continue
        if role == "mentor":
            allowed = may_case(EDIT, case, user)
        elif role == "coordinator":
            allowed = may_case(MANAGE, case, user)
        else:
            allowed = role in ESCALATION_ROLES and may_case(VIEW, case, user)
        if allowed:
            roles.append(role)
    return tuple(roles)


def may_decide_phase(user, case, deciders):
    """Decide a phase (or a measure's part still waiting): who decides is the phase's `decided_by` in the
    protocol file, passed in as `deciders` (one or more roles that decide together); a user who decides
    for one of them on this case (deciding_roles) may record it, and the others follow."""
    return bool(deciding_roles(user, case, deciders))


def may_answer_measure(user, case, measure):
    """Agree to a measure, or refuse it with a reason (send it back): a role it still waits for. One agreed to or
    refused waits for no one."""
    return measure.refused_at is None and may_decide_phase(user, case, measure.waiting_roles)


def visible_reports(user):
    query = Report.select()
    if user.has_role("coordinator"):
        return query
    return query.where(Report.created_by == user)


def may_handle_complaints(user):
    """Complaints, their notes included, belong to the confidential counsellor alone: not to
    the coordinator, and not to an administrator without the counsellor's role."""
    return user.is_authenticated and user.has_role("counsellor")


def may_view_complaint(user, complaint):
    return may_handle_complaints(user)


def may_read_complaint_notes(user):
    """The counsellor's own notes, unless an administrator's reset of their password or second factor
    is still unanswered: an administrator who chose the password could be the one logged in, so the
    notes wait until the counsellor proves a second factor of their own (domain/second_factor.py)."""
    return may_handle_complaints(user) and user.notes_sealed_since is None


def may_use_support_workspace(user):
    return user.is_authenticated and user.has_role("support")


def may_record_support(user, case):
    """Support team members record sessions on cases referred to the team or where they were added."""
    return may_use_support_workspace(user) and _is_support_case(user, case)


def may_read_support_notes(user, case):
    """The support team's own session notes: the team and the coordinator; the mentor reads the report back."""
    return user.has_role("coordinator") or may_record_support(user, case)


def may_view_monitor(user):
    """The yearly monitor (counts without names) is the coordinator's."""
    return user.has_role("coordinator")


def may_view_prevention(user):
    """The prevention log and plan: the coordinator plans it, mentors record their classes' part, and the
    support team, the team leader and management read what the school does (seed 003's duty of care)."""
    return user.is_authenticated and user.has_role("coordinator", "mentor", "support", *ESCALATION_ROLES)


def prevention_scope(user):
    """Whose prevention work the user's pages show: "school" for the coordinator and those who read it all (support
    team, team leader, management), "classes" for a mentor (their own classes' part)."""
    return "classes" if user.has_role("mentor") and not user.has_role("coordinator") else "school"


def may_plan_prevention(user):
    """The school-year plan, the first-years' contract and the published protocol are the coordinator's."""
    return user.is_authenticated and user.has_role("coordinator")


def may_record_prevention(user, school_class=None):
    """Record what was done (or a class's agreements, its contract signatures): the coordinator for any class or
    the whole school, a mentor for a class they mentor (None: may they record for some class of theirs)."""
    if may_plan_prevention(user) or not (user.is_authenticated and user.has_role("mentor")):
        return may_plan_prevention(user)
    return (SchoolClass.select().where(SchoolClass.mentor == user).exists() if school_class is None
            else school_class.mentor_id == user.id)


def may_read_class_prevention(user, school_class):
    """A class's agreements and contract signatures: whoever reads the whole school's prevention, and its mentor."""
    return may_view_prevention(user) and (prevention_scope(user) == "school"
                                          or may_record_prevention(user, school_class))


def may_change_activity(user, activity):
    """A logged activity is corrected by the coordinator, or by the mentor of its class."""
    return may_plan_prevention(user) or (activity.school_class_id is not None
                                         and may_record_prevention(user, activity.school_class))


def may_answer_thread(user, thread):
    """The public report page's thread is read and answered by the coordinator for a report,
    by the counsellor for a complaint."""
    return user.is_authenticated and user.has_role(thread.answering_role)


def may_administer(user):
    return user.is_authenticated and user.is_admin


def audit_log_scope(user):
    """Which events of the audit log the user reads, or None when they read none of it.

    Events on complaints (a complaint's intake, views, status, advice, notes, its public thread) are
    the counsellor's: the counsellor reads those and no others, the coordinator all others. The
    administrator keeps watch over who reads what and reads every event (their content stays out of
    the log); so does a user with both the coordinator's and the counsellor's role.
    """
    if not user.is_authenticated:
        return None
    coordinator, counsellor = user.has_role("coordinator"), user.has_role("counsellor")
    if user.is_admin or (coordinator and counsellor):
        return audit.EVERY_EVENT
    if coordinator:
        return audit.NO_COMPLAINT_EVENTS
    if counsellor:
        return audit.COMPLAINT_EVENTS_ONLY
    return None


def may_read_audit_log(user):
    """The coordinator and the administrator read the audit log, the counsellor its events on complaints."""
    return audit_log_scope(user) is not None


def may_handle_access_requests(user):
    """Access requests (AVG inzage) are the coordinator's, who already reads every case. Not an
    administrator without that role: the export holds the file's content, which the audit log does not."""
    return user.is_authenticated and user.has_role("coordinator")


def may_see_cases(user):
    """Whether the user has case lists at all (for menus); the counsellor has none."""
    return user.has_role("coordinator", "mentor", "support", *ESCALATION_ROLES)


def may_keep_notes(user, case):
    """Everyone who works on a case keeps their own work notes on it; no one reads another's.

    The support team works on the cases referred to it; the counsellor only reads a linked case,
    and keeps private notes on the complaint instead.
    """
    return may_case(EDIT, case, user) or may_record_support(user, case)


def may_close_referral(user, referral, case=None):
    """Case workers close any referral; the support team closes, with its report, the ones to the team; the
    counsellor, and only the counsellor, closes a referral to the counsellor (how it ended is theirs to say).
    `case` is the referral's case when the caller has it loaded already (the case page)."""
    if referral.is_confidential:
        return may_handle_complaints(user)
    case = case or referral.case
    return may_case(EDIT, case, user) or (referral.target == "support_team" and may_record_support(user, case))


def may_read_referral_content(user, referral):
    """What a referral says (its note, detail and close note): a referral to the counsellor is read by the
    counsellor alone (not its author, not the coordinator, not an administrator); any other by whoever sees it."""
    return not referral.is_confidential or may_handle_complaints(user)


def may_delete_evidence(user, item, case=None):
    """A mistaken upload goes while the case is open: removed by whoever added it, or by the coordinator.
    `case` is the item's case when the caller has it loaded already (the case page)."""
    case = case or item.case
    return ((item.collected_by_id == user.id or user.has_role("coordinator"))
            and case.status == "open" and may_case(EDIT, case, user))


def template_globals():
    """The functions templates use to decide what to show, under their own names."""
    return {rule.__name__: rule for rule in (
        may_case, may_administer, may_see_cases, may_manage_reports, may_open_case, may_open_case_from,
        may_print_case, may_complete_step, may_hold_talk, may_work_on_talk, may_decide_phase, may_answer_measure,
        may_view_monitor,
        may_view_prevention, may_plan_prevention, may_record_prevention, may_change_activity,
        may_read_class_prevention, may_handle_complaints, may_use_support_workspace, may_record_support,
        may_close_referral, may_delete_evidence, may_read_support_notes, may_answer_thread, may_keep_notes,
        may_read_complaint_notes, may_read_audit_log, may_handle_access_requests, reads_whole_case,
        complaint_opens_case, may_read_referral_content)}
