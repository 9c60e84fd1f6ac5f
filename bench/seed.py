"""Fill a database the size of a large school (or a board's) after years of use, fast (bulk inserts).

At the default size: 20,000 cases, 200,000 checklist entries, 2,000 pupils, 100 staff. The size
is the number of cases (`make bench SIZE=200000`: 2,000,000 checklist entries, 20,000 pupils,
1,000 staff); pupils, staff and classes grow with it. Written once per size and reused
(bench/data/ is not in git). Every user's password is the demo password.
"""
import datetime
import itertools
import random

from db import db
from models import (
    Case, CaseEvent, CaseStep, ChecklistEntry, Conversation, Involvement, Pupil, Report, ReportKind, ReportPupil,
    SchoolClass, User, UserRole,
)

CASES = 20_000
ENTRIES_PER_CASE = 10
CHUNK = 2_000

FIRST = ["Sem", "Lotte", "Milan", "Zoë", "Noor", "Daan", "Tim", "Emma", "Yara", "Luuk", "Isa", "Bram", "Finn", "Mees"]
LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos", "Peters"]
STEPS = ["signal", "victim-talk", "bully-talk", "extra-help", "joint-talk", "follow-up", "inform-parents"]


def insert(model, fields, rows):
    """Rows (tuples in the order of `fields`, from any iterable) in chunks: a 200k seed never holds them all."""
    rows = iter(rows)
    while True:
        part = list(itertools.islice(rows, CHUNK))
        if not part:
            return
        model.insert_many(part, fields=fields).execute()


def ids(model):
    return [row.id for row in model.select(model.id).order_by(model.id)]


def seed(password_hash, cases=CASES):
    """Write the school into the (migrated, empty) database: `cases` cases, a pupil per 10, a staff member per 200."""
    rng = random.Random(2026)
    now = datetime.datetime(2026, 11, 1, 9, 0)
    pupils_count, staff_count = cases // 10, max(cases // 200, 100)
    with db.atomic():
        insert(User, [User.username, User.full_name, User.password_hash, User.email, User.is_admin],
               (("staff%03d" % n, "Medewerker %d" % n, password_hash, "staff%03d@bench.example" % n, n == 0)
                for n in range(staff_count)))
        users = ids(User)
        mentors = users[1:1 + int(staff_count * 0.6)]
        support = users[1 + len(mentors):1 + len(mentors) + staff_count // 10]
        counsellor = users[1 + len(mentors) + len(support)]
        rest = users[2 + len(mentors) + len(support):]
        insert(UserRole, [UserRole.user, UserRole.role],
               [(users[0], "coordinator")] + [(u, "mentor") for u in mentors] + [(u, "support") for u in support]
               + [(counsellor, "counsellor")] + [(u, "staff") for u in rest])
        # A class per mentor, as many in each year level 1-6 (at 20k: 1A-6J, as before; at 200k: 1.01-6.100).
        per_level = len(mentors) // 6
        insert(SchoolClass, [SchoolClass.name, SchoolClass.year_level, SchoolClass.mentor],
               (("%d%s" % (1 + i // per_level, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % per_level] if per_level <= 26
                           else ".%02d" % (1 + i % per_level)), 1 + i // per_level, mentor)
                for i, mentor in enumerate(mentors[:6 * per_level])))
        classes = ids(SchoolClass)
        insert(Pupil, [Pupil.student_number, Pupil.first_name, Pupil.last_name, Pupil.school_class],
               (("B%06d" % n, rng.choice(FIRST), rng.choice(LAST), classes[n % len(classes)])
                for n in range(pupils_count)))
        pupils = ids(Pupil)
        class_mentor = {c.id: c.mentor_id for c in SchoolClass.select()}
        pupil_class = {p.id: p.school_class_id for p in Pupil.select(Pupil.id, Pupil.school_class)}

        opened = []
        for _ in range(cases):
            day = now - datetime.timedelta(days=rng.randrange(0, 6 * 365))
            opened.append((rng.choice(pupils), rng.choice(pupils), day))
        fresh = now - datetime.timedelta(days=120)
        insert(Case, [Case.reference, Case.protocol_key, Case.status, Case.mentor, Case.opened_at, Case.title,
                      Case.closed_at],
               (("%d-%05d" % (day.year, n), "vo-nl", "open" if day > fresh else "closed",
                 class_mentor[pupil_class[victim]], day, "Dossier %d" % n,
                 None if day > fresh else day + datetime.timedelta(days=90))
                for n, (victim, _, day) in enumerate(opened)))
        case_ids = ids(Case)
        cases_opened = list(zip(case_ids, opened))
        insert(Involvement, [Involvement.case, Involvement.pupil, Involvement.role], itertools.chain.from_iterable(
            [(case_id, victim, "victim")] + ([(case_id, bully, "bully")] if bully != victim else [])
            for case_id, (victim, bully, _) in cases_opened))
        insert(CaseStep, [CaseStep.case, CaseStep.step_key, CaseStep.position, CaseStep.owner, CaseStep.status,
                          CaseStep.due_on, CaseStep.done_at],
               ((case_id, key, position, "mentor", "done" if position <= 3 else "open",
                 (day + datetime.timedelta(days=7 * position)).date(),
                 day + datetime.timedelta(days=6 * position) if position <= 3 else None)
                for case_id, (_, _, day) in cases_opened for position, key in enumerate(STEPS, 1)))
        insert(CaseEvent, [CaseEvent.case, CaseEvent.kind, CaseEvent.at],
               ((case_id, "opened", day) for case_id, (_, _, day) in cases_opened))
        insert(Report, [Report.reported_on, Report.reporter_kind, Report.channel, Report.description, Report.status,
                        Report.case, Report.created_at, Report.created_by],
               ((day.date(), "staff", "conversation", "Melding voor de meting.", "in_case", case_id, day,
                 class_mentor[pupil_class[victim]]) for case_id, (victim, _, day) in cases_opened))
        report_ids = ids(Report)
        insert(ReportKind, [ReportKind.report, ReportKind.kind], ((r, "verbal") for r in report_ids))
        insert(ReportPupil, [ReportPupil.report, ReportPupil.pupil],
               ((r, victim) for r, (victim, _, _) in zip(report_ids, opened)))

        insert(Conversation, [Conversation.case, Conversation.step_key, Conversation.template_key, Conversation.title,
                              Conversation.held_by, Conversation.started_at],
               ((case_id, "victim-talk", "victim-conversation", "Gesprek met de gepeste leerling", users[1], day)
                for case_id, (_, _, day) in cases_opened))
        insert(ChecklistEntry, [ChecklistEntry.conversation, ChecklistEntry.position, ChecklistEntry.text,
                                ChecklistEntry.done],
               ((c, p, "Vraag %d van het gesprek" % p, p <= 5)
                for c in ids(Conversation) for p in range(1, ENTRIES_PER_CASE + 1)))
