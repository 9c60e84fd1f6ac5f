"""Herstel's data model: the tables of DESIGN.md's vocabulary, their choices and their queries.

Import from here (`from models import Case, Pupil, db`). The tables are split by area because
together they are over a thousand lines, more than one file reads comfortably: `base` (the base
model and the choices), `school` (settings, staff, logins, classes, pupils, audit log, outbox),
`cases` (a case and everything recorded in it), `complaints` (complaints and the public
report page's threads) and `prevention` (the prevention log and plan, class agreements, the contract).
"""
from db import db  # noqa: F401  (the models' database; BaseModel binds it)
from models.base import (
    AGREEMENT_STATUSES, APPROACHES, APPROACH_LEVELS, APPROACH_NOUNS, BULLYING_KINDS, CASE_EVENT_KINDS, CASE_STATUSES,
    COMPLAINANT_KINDS, COMPLAINT_STATUSES, CONVERSATION_LINE_KINDS, FOLLOW_UP_OUTCOMES, INVOLVEMENT_ROLES,
    LANGUAGES, PARENT_CHANNELS, PREVENTION_KINDS, REFERRAL_TARGETS, REFERRAL_TRAININGS, REGIONS, REPORTER_KINDS,
    REPORT_CHANNELS, REPORT_STATUSES, ROLES, SECURITY_NOTICE_KINDS, SEVERITIES, STEP_STATUSES, SUPPORT_SESSION_KINDS,
    THREAD_AUTHORS, REPORTED_ROLES, SUPPORT_GROUP_ROLES, BaseModel, BytesField, check_in, choices, roles_for,
)
from models.school import (
    AuditEvent, LoginThrottle, OutboxMail, Pupil, RecoveryCode, SchoolClass, SchoolSettings, SecurityNotice,
    SignInProvider, User, UserIdentity, UserRole, UserSession,
)
from models.cases import (
    Agreement, AgreementParty, Case, CaseEvent, CaseHandover, CaseMember, CaseMerge, CaseStep, ChecklistEntry,
    Conversation, ConversationAmendment, ConversationLine, ConversationParticipant, Evidence, FollowUp, Involvement,
    Measure, MeasureDecider, ParentContact, PersonalNote, Referral, Report, ReportKind, ReportPupil, SupportSession,
)
from models.prevention import (
    ClassAgreement, ClassAgreementSignature, ContractSignature, PreventionActivity, PreventionPlanItem, PreventionPolicy,
)
from models.complaints import (
    Complaint, ComplaintNote, PublicAccess, PublicThread, PublicThrottle, ThreadMessage, normalise_code,
    normalise_phrase,
)

MODELS = [
    SchoolSettings, User, UserRole, UserSession, LoginThrottle, RecoveryCode, SecurityNotice, SchoolClass, Pupil, Case,
    Involvement, CaseMember, CaseStep, CaseEvent, Report, ReportKind, ReportPupil, Conversation,
    ConversationParticipant, ChecklistEntry, ConversationLine, ConversationAmendment, Agreement,
    AgreementParty, FollowUp, Measure, MeasureDecider, ParentContact, Referral, SupportSession, Evidence, Complaint,
    ComplaintNote, PersonalNote,
    AuditEvent, PublicThread, ThreadMessage, PublicThrottle, OutboxMail, PublicAccess,
    PreventionPlanItem, PreventionActivity, ClassAgreement, ClassAgreementSignature, PreventionPolicy,
    ContractSignature, CaseMerge, SignInProvider, UserIdentity, CaseHandover,
]
