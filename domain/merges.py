"""Two cases about the same events merged into one (issue 20): two reports triaged apart turn out to be one
situation. The case that goes (`merged`) goes into the one that stays (`kept`): its reports, pupils (a pupil
in both keeps the kept case's involvement), the steps it had done, conversations, evidence, parent contacts,
referrals, support sessions, measures, follow-ups, draft agreements, complaints, personal work notes and
timeline. It is then closed with a pointer to the kept case, whose page its address still shows.

A CaseMerge row keeps what moved and how it was before, so that undoing the merge on the same day puts every
record back. A signed agreement names its case in what was signed (its SHA-256 covers the reference): a case
with one cannot go into another, and two cases that both have one are not merged at all.

Functions run inside the caller's transaction; the caller writes the audit lines. Timeline texts are stored,
so in Dutch (see domain.cases).
"""
import datetime
import json

from flask_babel import gettext as _
from peewee import fn

from db import local_date, today, utcnow
from domain import cases, escalation, followups, protocols
from domain.cases import WorkflowError
from models import (
    Agreement, Case, CaseEvent, CaseMember, CaseMerge, CaseStep, Complaint, Conversation, Evidence, FollowUp,
    Involvement, Measure, ParentContact, PersonalNote, Referral, Report, SupportSession,
)

# Records that move whole: their case column is all that changes (by table name, as kept in `moved`).
MOVED = {model._meta.table_name: model for model in (
    Report, Conversation, Evidence, ParentContact, Referral, SupportSession, Measure, FollowUp, PersonalNote,
    Complaint, CaseEvent)}
STEP_FIELDS = ("status", "done_at", "done_by_id", "note", "set_aside_reason")


def _moment(value):
    return value.isoformat() if value else None


def _parse(value):
    return datetime.datetime.fromisoformat(value) if value else None


def _signed(case):
    return Agreement.select().where(Agreement.case == case, Agreement.status == "locked").exists()


def refusal(kept, merged):
    """Why these two cases cannot be merged (`merged` going into `kept`), in the user's words; None if they can."""
    if kept.id == merged.id:
        return _("Kies een ander dossier dan dit.")
    if kept.status != "open" or merged.status != "open":
        return _("Alleen open dossiers kunnen worden samengevoegd.")
    kept_signed, merged_signed = _signed(kept), _signed(merged)
    if kept_signed and merged_signed:
        return _("Beide dossiers hebben een ondertekende herstelovereenkomst. Die hoort elk bij het eigen dossier, "
                 "dus samenvoegen kan niet meer: laat de twee dossiers naast elkaar bestaan.")
    if merged_signed:
        return _("Dossier %(merged)s heeft een ondertekende herstelovereenkomst, die bij dat dossier hoort. Voeg "
                 "daarom dossier %(kept)s samen in %(merged)s: begin bij Corrigeren van dossier %(merged)s.",
                 merged=merged.reference, kept=kept.reference)
    return None


def candidates(kept):
    """The open cases that could go into this one, newest first."""
    return list(Case.select().where(Case.status == "open", Case.id != kept.id)
                .order_by(Case.opened_at.desc(), Case.id.desc()))


def what_moves(merged):
    """What merging would move, counted, for the confirmation: {name: count}."""
    return {
        "reports": Report.select().where(Report.case == merged).count(),
        "pupils": Involvement.select().where(Involvement.case == merged).count(),
        "steps": CaseStep.select().where(CaseStep.case == merged, CaseStep.status == "done").count(),
        "conversations": Conversation.select().where(Conversation.case == merged).count(),
        "evidence": Evidence.select().where(Evidence.case == merged).count(),
        "events": CaseEvent.select().where(CaseEvent.case == merged).count(),
    }


def _step_key_in(kept, merged, step_key):
    """The key a step of the merged case has among the kept case's steps, or None when kept has no such step."""
    protocol_key, key = protocols.split_step_key(step_key)
    source = protocol_key or merged.protocol_key
    if source == kept.protocol_key:
        return key
    if source == kept.second_protocol_key:
        return protocols.beside_key(source, key)
    return None


def _steps_state(case):
    return {row.id: {field: _moment(getattr(row, field)) if field == "done_at" else getattr(row, field)
                     for field in STEP_FIELDS}
            for row in CaseStep.select().where(CaseStep.case == case)}


def merge(kept, merged, user):
    """Merge `merged` into `kept` and close it with a pointer; returns the CaseMerge."""
    problem = refusal(kept, merged)
    if problem:
        raise WorkflowError(problem)
    moved = {"rows": {}, "dropped_pupils": [], "dropped_members": [], "agreements": [], "steps": {},
             "flags": {"online": kept.online, "possibly_criminal": kept.possibly_criminal},
             "merged_case": {"status": merged.status, "closed_at": None, "closed_by_id": None,
                             "close_reason": merged.close_reason}}
    steps_before = _steps_state(kept)
    event_ids = [row.id for row in CaseEvent.select(CaseEvent.id).where(CaseEvent.case == merged)]

    # Pupils: one involvement each; a pupil in both keeps the kept case's (and role).
    in_kept = {row.pupil_id: row for row in Involvement.select().where(Involvement.case == kept)}
    names = []
    for row in list(Involvement.select().where(Involvement.case == merged)):
        if row.pupil_id in in_kept:
            moved["dropped_pupils"].append([row.pupil_id, row.role, _moment(row.added_at)])
            row.delete_instance()
        else:
            moved["rows"].setdefault("involvement", []).append(row.id)
            names.append(row.pupil.display_name)
    Involvement.update(case=kept).where(Involvement.id.in_(moved["rows"].get("involvement") or [0])).execute()
    members = {row.user_id for row in CaseMember.select().where(CaseMember.case == kept)}
    for row in list(CaseMember.select().where(CaseMember.case == merged)):
        if row.user_id in members:
            moved["dropped_members"].append([row.user_id, _moment(row.added_at)])
            row.delete_instance()
        else:
            moved["rows"].setdefault("case_member", []).append(row.id)
    CaseMember.update(case=kept).where(CaseMember.id.in_(moved["rows"].get("case_member") or [0])).execute()

    # Draft agreements follow, numbered after the kept case's versions (a signed one refused above).
    last = Agreement.select(fn.MAX(Agreement.version)).where(Agreement.case == kept).scalar() or 0
    for number, row in enumerate(list(Agreement.select().where(Agreement.case == merged)
                                      .order_by(Agreement.version)), 1):
        moved["agreements"].append([row.id, row.version])
        Agreement.update(case=kept, version=last + number).where(Agreement.id == row.id).execute()

    for table, model in MOVED.items():
        ids = event_ids if model is CaseEvent else [row.id for row in model.select(model.id).where(
            model.case == merged)]
        if ids:
            moved["rows"][table] = ids
            model.update(case=kept).where(model.id.in_(ids)).execute()

    # Flags: what either case knew. Steps done in the merged case are done in the kept one (same protocol).
    kept.online = kept.online or merged.online
    kept.possibly_criminal = kept.possibly_criminal or merged.possibly_criminal
    kept.save(only=[Case.online, Case.possibly_criminal])
    kept_rows = {row.step_key: row for row in CaseStep.select().where(CaseStep.case == kept)}
    taken, left = [], []
    for row in list(CaseStep.select().where(CaseStep.case == merged, CaseStep.status == "done")
                    .order_by(CaseStep.position)):
        title = protocols.step_title(merged.protocol_key, row.step_key)
        key = _step_key_in(kept, merged, row.step_key)
        target = kept_rows.get(key) if key else None
        if target is None:
            left.append(title)
        elif target.status != "done":
            target.status, target.done_at, target.done_by, target.note = "done", row.done_at, row.done_by_id, row.note
            target.set_aside_reason = ""
            target.save()
            taken.append(title)
    cases.sync_steps(kept)
    after = _steps_state(kept)
    moved["steps"] = {str(step_id): [state, after.get(step_id)] for step_id, state in steps_before.items()
                      if after.get(step_id) != state}

    merged.status, merged.closed_at, merged.closed_by = "closed", utcnow(), user
    merged.close_reason = "Samengevoegd met dossier %s" % kept.reference
    merged.save()
    record = CaseMerge.create(kept=kept, merged=merged, merged_by=user, moved=json.dumps(moved))
    summary = "%d melding(en), %d leerling(en) erbij%s, %d gesprek(ken), %d bewijsstuk(ken)" % (
        len(moved["rows"].get("report", [])), len(names), " (%s)" % ", ".join(names) if names else "",
        len(moved["rows"].get("conversation", [])), len(moved["rows"].get("evidence", [])))
    CaseEvent.add(kept, "merged", "Dossier %s is hierin opgegaan: %s. Stappen overgenomen: %s%s" % (
        merged.reference, summary, "; ".join(taken) or "geen",
        ". Niet overgenomen (ander protocol): %s" % "; ".join(left) if left else ""), user)
    CaseEvent.add(merged, "merged", "Samengevoegd met dossier %s; alles staat nu daar" % kept.reference, user)
    escalation.sync(kept)
    escalation.sync(merged)
    return record


def standing_into(case):
    """The merge that closed this case (its pointer), if it was not undone."""
    return CaseMerge.standing().where(CaseMerge.merged == case).first()


def standing_from(case):
    """The merges of other cases into this one that were not undone, newest first."""
    return list(CaseMerge.standing().where(CaseMerge.kept == case).order_by(CaseMerge.merged_at.desc()))


def undoable(record, on=None):
    """Whether a merge can still be undone: only on the day it was made (the school's day)."""
    return record.undone_at is None and local_date(record.merged_at) == (on or today())


def undo(record, user):
    """Put every record the merge moved back, reopen the merged case and take away what the merge did; the
    timeline of both says so. Refused after the day of the merge."""
    if record.undone_at is not None:
        raise WorkflowError(_("Dit samenvoegen is al ongedaan gemaakt."))
    if not undoable(record):
        raise WorkflowError(_("Samenvoegen kan alleen op de dag zelf ongedaan worden gemaakt; deze dossiers zijn "
                              "samengevoegd op %(date)s.", date=followups.dutch_day(local_date(record.merged_at))))
    kept, merged = Case.get_by_id(record.kept_id), Case.get_by_id(record.merged_id)
    moved = json.loads(record.moved)
    for table, ids in moved["rows"].items():
        model = {"involvement": Involvement, "case_member": CaseMember}.get(table) or MOVED[table]
        model.update(case=merged).where(model.id.in_(ids)).execute()
    for pupil_id, role, added_at in moved["dropped_pupils"]:
        Involvement.create(case=merged, pupil=pupil_id, role=role, added_at=_parse(added_at))
    for user_id, added_at in moved["dropped_members"]:
        CaseMember.create(case=merged, user=user_id, added_at=_parse(added_at))
    for agreement_id, version in moved["agreements"]:
        Agreement.update(case=merged, version=version).where(Agreement.id == agreement_id).execute()
    kept.online, kept.possibly_criminal = moved["flags"]["online"], moved["flags"]["possibly_criminal"]
    kept.save(only=[Case.online, Case.possibly_criminal])
    now = _steps_state(kept)
    for step_id, (before, after) in moved["steps"].items():
        if now.get(int(step_id)) == after:  # untouched since the merge: as it was before
            values = {field: before[field] for field in STEP_FIELDS if field not in ("done_at", "done_by_id")}
            CaseStep.update(done_at=_parse(before["done_at"]), done_by=before["done_by_id"], **values).where(
                CaseStep.id == int(step_id)).execute()
    state = moved["merged_case"]
    merged.status, merged.closed_at, merged.closed_by = state["status"], None, None
    merged.close_reason = state["close_reason"]
    merged.save()
    record.undone_at, record.undone_by = utcnow(), user
    record.save()
    cases.sync_steps(kept)
    cases.sync_steps(merged)
    CaseEvent.add(kept, "merge_undone", "Dossier %s staat weer apart; wat ervan kwam, is teruggezet" % (
        merged.reference), user)
    CaseEvent.add(merged, "merge_undone", "Niet meer samengevoegd met dossier %s; weer open" % kept.reference, user)
    escalation.sync(kept)
    escalation.sync(merged)
    return kept, merged
