"""ICS calendar feeds: what is due for a user, for the calendar they already use.

Calendars are often synced to services outside the school, so a feed holds no pupil data:
only the case reference, what is due, and a link back into Herstel.
"""
import datetime

from db import utcnow
from domain import cases, escalation, followups, prevention


def _escape(text):
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _event(uid, day, summary, url):
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return ["BEGIN:VEVENT", "UID:%s@herstel" % uid, "DTSTAMP:%s" % stamp,
            "DTSTART;VALUE=DATE:%s" % day.strftime("%Y%m%d"),
            "DTEND;VALUE=DATE:%s" % (day + datetime.timedelta(days=1)).strftime("%Y%m%d"),
            "SUMMARY:%s" % _escape(summary), "URL:%s" % url, "END:VEVENT"]


def user_calendar(user, step_title, case_url, horizon_days=400, prevention_url=""):
    """The user's due steps, follow-ups and parents to inform of a measure, and their classes' prevention still
    to do, as an ICS file (bytes)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Herstel//Pestprotocol//NL", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:Herstel"]
    for step in cases.due_steps(user, horizon_days=horizon_days):
        lines += _event("step-%d" % step.id, step.due_on, "Herstel: %s (dossier %s)" % (
            step_title(step.case.protocol_key, step.step_key), step.case.reference), case_url(step.case))
    talks = {}  # one event a day per case, however many pupils have a talk that day
    for follow_up in followups.due_for(user, horizon_days=horizon_days):
        talks.setdefault((follow_up.due_on, follow_up.case.reference), []).append(follow_up)
    for (day, reference), rows in talks.items():
        lines += _event("follow-up-%d-%s" % (rows[0].case_id, day.strftime("%Y%m%d")), day,
                        "Herstel: %s (dossier %s)" % (
                            "vervolggesprek" if len(rows) == 1 else "%d vervolggesprekken" % len(rows), reference),
                        case_url(rows[0].case))
    parents = {}  # as the home page: the parents who hear of a measure, one event a day per case
    for item in escalation.parents_due_for(user, horizon_days=horizon_days):
        parents.setdefault((item.due_on, item.case.id), []).append(item)
    for (day, case_id), items in parents.items():
        lines += _event("parents-%d-%s" % (case_id, day.strftime("%Y%m%d")), day, "Herstel: %s (dossier %s)" % (
            "ouders inlichten over de maatregel" if len(items) == 1
            else "ouders van %d leerlingen inlichten over de maatregel" % len(items), items[0].case.reference),
            case_url(items[0].case))
    for item, school_class, _status in prevention.open_parts_for(user, horizon_days=horizon_days):
        lines += _event("prevention-%d-%d" % (item.id, school_class.id), item.due_on,
                        "Herstel: %s (klas %s)" % (item.title, school_class.name), prevention_url)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()
