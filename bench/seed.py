"""Fill a database the size of a large school after years of use, fast (bulk inserts).

20,000 cases, 200,000 checklist entries, 2,000 pupils, 100 staff; written once and reused
(bench/data/ is not in git). Every user's password is the demo password.
"""
import datetime
import random

from db import db
from models import (
    Case, CaseEvent, CaseStep, ChecklistEntry, Conversation, Involvement, Pupil, Report, ReportKind, ReportPupil,
    SchoolClass, User, UserRole,
)

CASES = 20_000
ENTRIES_PER_CASE = 10
PUPILS = 2_000
STAFF = 100
CHUNK = 2_000

FIRST = ["Sem", "Lotte", "Milan", "Zoë", "Noor", "Daan", "Tim", "Emma", "Yara", "Luuk", "Isa", "Bram", "Finn", "Mees"]
LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos", "Peters"]
STEPS = ["signal", "victim-talk", "bully-talk", "extra-help", "joint-talk", "follow-up", "inform-parents"]


def chunks(rows):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def insert(model, rows):
    for part in chunks(rows):
        model.insert_many(part).execute()


def seed(password_hash):
    """Write the big school into the (migrated, empty) database."""
    rng = random.Random(2026)
    now = datetime.datetime(2026, 11, 1, 9, 0)
    with db.atomic():
        insert(User, [{"username": "staff%03d" % n, "full_name": "Medewerker %d" % n, "password_hash": password_hash,
                       "email": "staff%03d@bench.example" % n, "is_admin": n == 0} for n in range(STAFF)])
        users = [u.id for u in User.select(User.id).order_by(User.id)]
        roles = [{"user": users[0], "role": "coordinator"}] + [{"user": u, "role": "mentor"} for u in users[1:61]] + \
            [{"user": u, "role": "support"} for u in users[61:71]] + [{"user": users[71], "role": "counsellor"}] + \
            [{"user": u, "role": "staff"} for u in users[72:]]
        insert(UserRole, roles)
        mentors = users[1:61]
        insert(SchoolClass, [{"name": "%d%s" % (year, letter), "year_level": year, "mentor": mentors[i % 60]}
                             for i, (year, letter) in enumerate((y, c) for y in range(1, 7) for c in "ABCDEFGHIJ")])
        classes = [c.id for c in SchoolClass.select(SchoolClass.id)]
        insert(Pupil, [{"student_number": "B%06d" % n, "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
                        "school_class": classes[n % len(classes)]} for n in range(PUPILS)])
        pupils = [p.id for p in Pupil.select(Pupil.id)]
        class_mentor = {c.id: c.mentor_id for c in SchoolClass.select()}
        pupil_class = {p.id: p.school_class_id for p in Pupil.select(Pupil.id, Pupil.school_class)}

        cases, opened = [], []
        for n in range(CASES):
            day = now - datetime.timedelta(days=rng.randrange(0, 6 * 365))
            victim = rng.choice(pupils)
            status = "open" if day > now - datetime.timedelta(days=120) else "closed"
            cases.append({"reference": "%d-%05d" % (day.year, n), "protocol_key": "vo-nl", "status": status,
                          "mentor": class_mentor[pupil_class[victim]], "opened_at": day, "title": "Dossier %d" % n,
                          "closed_at": day + datetime.timedelta(days=90) if status == "closed" else None})
            opened.append((victim, rng.choice(pupils), day))
        insert(Case, cases)
        case_ids = [c.id for c in Case.select(Case.id).order_by(Case.id)]
        involvements, steps, events, reports = [], [], [], []
        for case_id, (victim, bully, day) in zip(case_ids, opened):
            involvements.append({"case": case_id, "pupil": victim, "role": "victim"})
            if bully != victim:
                involvements.append({"case": case_id, "pupil": bully, "role": "bully"})
            for position, key in enumerate(STEPS, 1):
                done = position <= 3
                steps.append({"case": case_id, "step_key": key, "position": position, "owner": "mentor",
                              "status": "done" if done else "open",
                              "due_on": (day + datetime.timedelta(days=7 * position)).date(),
                              "done_at": day + datetime.timedelta(days=6 * position) if done else None})
            events.append({"case": case_id, "kind": "opened", "at": day})
            reports.append({"reported_on": day.date(), "reporter_kind": "staff", "channel": "conversation",
                            "description": "Melding voor de meting.", "status": "in_case", "case": case_id,
                            "created_at": day, "created_by": class_mentor[pupil_class[victim]]})
        insert(Involvement, involvements)
        insert(CaseStep, steps)
        insert(CaseEvent, events)
        insert(Report, reports)
        report_ids = [r.id for r in Report.select(Report.id).order_by(Report.id)]
        insert(ReportKind, [{"report": r, "kind": "verbal"} for r in report_ids])
        insert(ReportPupil, [{"report": r, "pupil": v} for r, (v, _, _) in zip(report_ids, opened)])

        insert(Conversation, [{"case": case_id, "step_key": "victim-talk", "template_key": "victim-conversation",
                               "title": "Gesprek met de gepeste leerling", "held_by": users[1], "started_at": day}
                              for case_id, (_, _, day) in zip(case_ids, opened)])
        conversation_ids = [c.id for c in Conversation.select(Conversation.id).order_by(Conversation.id)]
        insert(ChecklistEntry, [{"conversation": c, "position": p, "text": "Vraag %d van het gesprek" % p,
                                 "done": p <= 5} for c in conversation_ids for p in range(1, ENTRIES_PER_CASE + 1)])
