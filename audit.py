"""Writing the audit log (who saw or did what, to which record, when and from where), and reading it back."""
import csv
import datetime
import io

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from db import SCHOOL_TIMEZONE, db, utcnow
from models import (
    Agreement, AuditEvent, Complaint, Conversation, Evidence, FollowUp, Involvement, Measure, ParentContact,
    PersonalNote, PublicThread, Referral, Report, ReportPupil, SupportSession, ThreadMessage,
)

# Records that belong to a case, with the object types their events are written under: an event
# on one of them is an event on that case. (Views name some types themselves, with an underscore.)
CASE_PARTS = (
    (Conversation, ("conversation",)), (Agreement, ("agreement",)), (FollowUp, ("followup", "follow_up")),
    (Measure, ("measure",)), (ParentContact, ("parentcontact", "parent_contact")), (Referral, ("referral",)),
    (SupportSession, ("supportsession", "support_session")), (Evidence, ("evidence",)),
    (Complaint, ("complaint",)), (Report, ("report",)), (PersonalNote, ("personalnote", "personal_note")),
)
# Events on these never show their detail, should a caller ever put text in it: only their author reads them.
PRIVATE_OBJECT_TYPES = frozenset({"complaintnote", "complaint_note", "personalnote", "personal_note"})
# Events on complaints are the counsellor's: the complaint itself, its notes, the counsellor's own
# reading of the log, and a complaint's public thread with its messages (complaint_events).
COMPLAINT_OBJECT_TYPES = ("complaint", "complaint_note", "complaintnote", "complaint_log")
# Which events of the log a reader sees (permissions.audit_log_scope decides it for a user).
EVERY_EVENT, NO_COMPLAINT_EVENTS, COMPLAINT_EVENTS_ONLY = "all", "without complaints", "complaints only"
CSV_COLUMNS = ("tijdstip", "gebruiker", "actie", "actiecode", "soort object", "object", "adres", "details")

# What each kind of event means, for people (the viewer, its filter, the CSV); the key stays for machines.
# tests/test_audit_log.py fails when the code writes an action that is not here.
ACTION_LABELS = {
    "access.denied": _l("Toegang geweigerd"),
    "access_request.export": _l("Inzageverzoek geëxporteerd"),
    "access_request.open": _l("Inzageverzoek geopend"),
    "agreement.create": _l("Herstelovereenkomst begonnen"),
    "agreement.download": _l("Herstelovereenkomst gedownload"),
    "agreement.parent": _l("Ouder toegevoegd aan herstelovereenkomst"),
    "agreement.save": _l("Herstelovereenkomst bewaard"),
    "agreement.sign": _l("Herstelovereenkomst ondertekend"),
    "agreement.view": _l("Herstelovereenkomst bekeken"),
    "audit.export": _l("Logboek geëxporteerd"),
    "audit.view": _l("Logboek bekeken"),
    "backup.restore": _l("Reservekopie teruggezet"),
    "calendar.feed": _l("Agenda opgehaald"),
    "calendar.renew": _l("Agendalink vernieuwd"),
    "case.approach": _l("Aanpak gekozen"),
    "case.close": _l("Dossier gesloten"),
    "case.correction": _l("Dossier gecorrigeerd"),
    "case.create": _l("Dossier geopend"),
    "case.evidence_add": _l("Bewijs toegevoegd"),
    "case.list": _l("Dossierlijst bekeken"),
    "case.measure": _l("Maatregel vastgelegd"),
    "case.measure_agreed": _l("Ingestemd met een maatregel"),
    "case.measure_refused": _l("Een maatregel geweigerd"),
    "case.parent_contact": _l("Oudercontact vastgelegd"),
    "case.pdf": _l("Dossier als PDF gedownload"),
    "case.referral": _l("Doorverwezen"),
    "case.referral_closed": _l("Doorverwijzing afgesloten"),
    "case.reopen": _l("Dossier heropend"),
    "case.severity": _l("Ernst vastgelegd"),
    "case.step_done": _l("Stap afgerond"),
    "case.view": _l("Dossier bekeken"),
    "complaint.advice": _l("Advies aan het bestuur geschreven"),
    "complaint.committee": _l("Klacht naar de klachtencommissie"),
    "complaint.create": _l("Klacht ingeschreven"),
    "complaint.list": _l("Klachtenlijst bekeken"),
    "complaint.note_add": _l("Notitie bij klacht geschreven"),
    "complaint.status": _l("Status van klacht gewijzigd"),
    "complaint.update": _l("Klacht gewijzigd"),
    "complaint.view": _l("Klacht bekeken"),
    "conversation.appointment": _l("Gespreksafspraak gepland"),
    "conversation.finish": _l("Gesprek afgerond"),
    "conversation.line": _l("Gespreksregel toegevoegd"),
    "conversation.line_removed": _l("Gespreksregel doorgehaald"),
    "conversation.note": _l("Notitie in gesprek"),
    "conversation.start": _l("Gesprek begonnen"),
    "conversation.tick": _l("Checklistpunt afgevinkt"),
    "conversation.view": _l("Gesprek bekeken"),
    "evidence.delete": _l("Bewijs verwijderd"),
    "evidence.download": _l("Bewijsbestand gedownload"),
    "evidence.orphans_removed": _l("Achtergebleven bewijsbestanden opgeruimd"),
    "evidence.print": _l("Bewijsoverzicht afgedrukt"),
    "evidence.view": _l("Bewijsbestand bekeken"),
    "follow_up.record": _l("Vervolggesprek vastgelegd"),
    "login.code_failure": _l("Verkeerde inlogcode"),
    "login.failure": _l("Inloggen mislukt"),
    "login.password_ok": _l("Wachtwoord juist, code gevraagd"),
    "login.password_refused": _l("Inloggen met wachtwoord niet toegestaan"),
    "login.provider_link": _l("Schoolaccount gekoppeld"),
    "user.provider_unlink": _l("Schoolaccount losgekoppeld"),
    "login.provider_ok": _l("Schoolaccount juist, code gevraagd"),
    "login.provider_refused": _l("Inloggen met schoolaccount geweigerd"),
    "login.success": _l("Ingelogd"),
    "login.throttled": _l("Inloggen tijdelijk geblokkeerd"),
    "logout": _l("Uitgelogd"),
    "logout.everywhere": _l("Overal uitgelogd"),
    "mail.digest": _l("Dagoverzicht gemaild"),
    "mail.discard": _l("Niet verstuurde e-mails weggegooid"),
    "mail.retry": _l("Niet verstuurde e-mails opnieuw verstuurd"),
    "mfa.disable": _l("Tweede factor uitgezet"),
    "mfa.disable_refused": _l("Uitzetten tweede factor geweigerd"),
    "mfa.enrol": _l("Tweede factor ingesteld"),
    "mfa.recovery_used": _l("Herstelcode gebruikt"),
    "mfa.reset": _l("Tweede factor gewist door beheerder"),
    "mfa.setup_refused": _l("Instellen tweede factor geweigerd (verkeerd wachtwoord of code)"),
    "monitor.export": _l("Monitor geëxporteerd"),
    "monitor.view": _l("Monitor bekeken"),
    "personal_note.create": _l("Werkaantekening geschreven"),
    "personal_note.delete": _l("Werkaantekening verwijderd"),
    "personal_note.export": _l("Eigen aantekeningen gedownload"),
    "personal_note.update": _l("Werkaantekening gewijzigd"),
    "personal_note.view": _l("Werkaantekening bekeken"),
    "prevention.activity_create": _l("Preventieactiviteit vastgelegd"),
    "prevention.activity_delete": _l("Preventieactiviteit verwijderd"),
    "prevention.activity_update": _l("Preventieactiviteit gewijzigd"),
    "prevention.policy_save": _l("Preventiebeleid bewaard"),
    "prevention.class_agreement": _l("Klassenafspraken bewaard"),
    "prevention.class_agreement_lock": _l("Klassenafspraken vastgezet"),
    "prevention.class_agreement_sign": _l("Klassenafspraken getekend"),
    "prevention.contract_signatures": _l("Handtekeningen pestcontract vastgelegd"),
    "prevention.plan_create": _l("Jaarplan preventie: punt toegevoegd"),
    "prevention.plan_delete": _l("Jaarplan preventie: punt verwijderd"),
    "prevention.plan_update": _l("Jaarplan preventie: punt gewijzigd"),
    "prevention.view": _l("Preventie bekeken"),
    "public.complaint": _l("Klacht via de meldknop"),
    "public.reply": _l("Reactie via de meldknop"),
    "public.report": _l("Melding via de meldknop"),
    "pupil.search": _l("Leerlingen gezocht (de gevonden leerlingen)"),
    "pupil.view": _l("Pagina van een leerling bekeken"),
    "pupil_import.apply": _l("Leerlingen geïmporteerd"),
    "pupil_import.preview": _l("Import van leerlingen voorbereid"),
    "referral.close": _l("Begeleiding afgerond"),
    "referral.list": _l("Doorverwijzingen naar de vertrouwenspersoon bekeken"),
    "report.attach": _l("Melding aan dossier gekoppeld"),
    "report.close": _l("Melding gesloten"),
    "report.create": _l("Melding gedaan"),
    "report.list": _l("Meldingenlijst bekeken"),
    "report.view": _l("Melding bekeken"),
    "retention.anonymise": _l("Geanonimiseerd (bewaartermijn)"),
    "retention.run": _l("Bewaartermijn toegepast"),
    "school.export": _l("Alle gegevens geëxporteerd"),
    "school.import": _l("Export ingelezen"),
    "settings.save": _l("Instellingen bewaard"),
    "settings.sign_in": _l("Inloggen met schoolaccount ingesteld"),
    "settings.sign_in_test": _l("Verbinding met schoolaccount getest"),
    "support.list": _l("Lijst van begeleidingen bekeken"),
    "support_session.create": _l("Begeleidingssessie vastgelegd"),
    "support_session.update": _l("Begeleidingssessie gewijzigd"),
    "support_session.view": _l("Begeleidingssessie bekeken"),
    "thread.answer": _l("Antwoord op de meldknop gegeven"),
    "thread.view": _l("Gesprek van de meldknop bekeken"),
    "user.activate": _l("Account geactiveerd"),
    "user.create": _l("Account aangemaakt"),
    "user.deactivate": _l("Account gedeactiveerd"),
    "user.notes_unsealed": _l("Vertrouwelijke notities weer open (eigen tweede factor na een reset)"),
    "user.password_changed": _l("Wachtwoord gewijzigd"),
    "user.password_reset": _l("Wachtwoord opnieuw ingesteld door beheerder"),
    "user.reset_both": _l("Wachtwoord én tweede factor opnieuw ingesteld door beheerder"),
    "user.save": _l("Account bewaard"),
}


# What happened to someone's login, for their own account page: resets by an administrator stand
# beside what the user did, so a reset (or a second factor set up) they did not ask for shows.
ACCOUNT_SECURITY_ACTIONS = (
    "user.password_reset", "user.reset_both", "user.password_changed", "user.notes_unsealed", "mfa.reset",
    "mfa.enrol", "mfa.disable", "mfa.recovery_used", "logout.everywhere", "login.provider_link",
    "user.provider_unlink",
)


def account_history(user, days=90, limit=20):
    """What happened to the user's login in the last `days` days, newest first (from the append-only log)."""
    since = utcnow() - datetime.timedelta(days=days)
    return (AuditEvent.select().where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id,
                                      AuditEvent.action.in_(ACCOUNT_SECURITY_ACTIONS), AuditEvent.at >= since)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))


def action_label(action):
    """The kind of event in words (the key itself for a kind this version no longer writes)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def record(action, obj=None, detail="", user=None, object_type=None, keep_address=True):
    """Append one event; `obj` is the model instance it concerns (case, report, user, ...).

    `detail` names what happened (a step, a version, an id), never the text someone wrote.
    keep_address=False for what anonymous reporters do: their address is not kept.
    Call it inside the transaction of the change it logs.
    """
    AuditEvent.append(**_event(action, obj, detail, user, object_type, keep_address))


def client_address():
    """The address the request came from (ProxyFix makes this the real client behind a proxy)."""
    return (request.remote_addr or "")[:64]


def seen(action, obj=None, detail="", user=None, object_type=None):
    """Log that someone read something (a page, a list, a download), committed before the view
    shows it: one INSERT that commits by itself, so no transaction is needed around it."""
    event = _event(action, obj, detail, user, object_type, keep_address=True)
    with db.lone_write():
        AuditEvent.append(**event)


def _event(action, obj, detail, user, object_type, keep_address):
    address = ""
    if has_request_context() and keep_address:
        address = client_address()
    if has_request_context():
        if user is None:
            user = current_user._get_current_object()  # once: the proxy looks the user up on every use
            if not user.is_authenticated:
                user = None
    return dict(
        action=action,
        user_id=user.id if user else None,
        username=user.username if user else "",
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else ""),
        object_id=obj.id if obj is not None else None,
        address=address,
        detail=(detail or "")[:500],
    )


def _about_cases(case_ids):
    """Events on these cases and on the records that belong to them."""
    condition = (AuditEvent.object_type == "case") & AuditEvent.object_id.in_(case_ids)
    for model, object_types in CASE_PARTS:
        condition |= (AuditEvent.object_type.in_(object_types)
                      & AuditEvent.object_id.in_(model.select(model.id).where(model.case.in_(case_ids))))
    # The public page's threads belong to a report (and through it to its case).
    condition |= ((AuditEvent.object_type == "publicthread") & AuditEvent.object_id.in_(
        PublicThread.select(PublicThread.id).join(Report).where(Report.case.in_(case_ids))))
    return condition


def _about_pupils(pupil_ids):
    """Events on these pupils, on the reports and complaints naming them, and on their cases."""
    cases = Involvement.select(Involvement.case).where(Involvement.pupil.in_(pupil_ids))
    return (((AuditEvent.object_type == "pupil") & AuditEvent.object_id.in_(pupil_ids))
            | ((AuditEvent.object_type == "report") & AuditEvent.object_id.in_(
                ReportPupil.select(ReportPupil.report).where(ReportPupil.pupil.in_(pupil_ids))))
            | ((AuditEvent.object_type == "publicthread") & AuditEvent.object_id.in_(
                PublicThread.select(PublicThread.id).join(ReportPupil, on=(PublicThread.report == ReportPupil.report))
                .where(ReportPupil.pupil.in_(pupil_ids))))
            | ((AuditEvent.object_type == "complaint") & AuditEvent.object_id.in_(
                Complaint.select(Complaint.id).where(Complaint.pupil.in_(pupil_ids))))
            | _about_cases(cases))


def school_day_start(day):
    """The UTC moment (naive, as stored) at which a school calendar day begins."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=SCHOOL_TIMEZONE)
    return start.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def complaint_events():
    """The condition that picks the events on complaints (never NULL, so it can be negated)."""
    complaint_threads = PublicThread.select(PublicThread.id).where(PublicThread.complaint.is_null(False))
    return (AuditEvent.object_type.in_(COMPLAINT_OBJECT_TYPES)
            | ((AuditEvent.object_type == "publicthread") & AuditEvent.object_id.is_null(False)
               & AuditEvent.object_id.in_(complaint_threads))
            | ((AuditEvent.object_type == "threadmessage") & AuditEvent.object_id.is_null(False)
               & AuditEvent.object_id.in_(ThreadMessage.select(ThreadMessage.id)
                                          .where(ThreadMessage.thread.in_(complaint_threads)))))


def _in_scope(query, scope):
    if scope == NO_COMPLAINT_EVENTS:
        return query.where(~complaint_events())
    if scope == COMPLAINT_EVENTS_ONLY:
        return query.where(complaint_events())
    if scope == EVERY_EVENT:
        return query
    raise ValueError("unknown scope of the audit log: %r" % (scope,))


def events(*, scope, user_id=None, pupil_ids=(), case_id=None, action=None, date_from=None, date_to=None):
    """The audit events a reader with this scope sees that match the filters, newest first; dates are
    school days, both included. The scope is required, so no reader of the log forgets it."""
    query = _in_scope(AuditEvent.select(), scope)
    if user_id:
        query = query.where(AuditEvent.user_id == user_id)
    if pupil_ids:
        query = query.where(_about_pupils(list(pupil_ids)))
    if case_id:
        query = query.where(_about_cases([case_id]))
    if action:
        query = query.where(AuditEvent.action == action)
    if date_from:
        query = query.where(AuditEvent.at >= school_day_start(date_from))
    if date_to:
        query = query.where(AuditEvent.at < school_day_start(date_to + datetime.timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def actions(scope):
    """Every kind of event in the log a reader with this scope sees, for the filter: (key, label) pairs
    in the order of their labels."""
    keys = [row.action for row in _in_scope(AuditEvent.select(AuditEvent.action), scope).distinct()]
    return sorted(((key, action_label(key)) for key in keys), key=lambda pair: pair[1].lower())


def shown_detail(event):
    """The detail as the log viewer and its export show it."""
    return "" if event.object_type in PRIVATE_OBJECT_TYPES else event.detail


def spreadsheet_safe(value):
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows):
    """The events as CSV bytes (UTF-8 with a BOM and `;`, as Dutch spreadsheets expect), times in school time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in rows:
        moment = event.at.replace(tzinfo=datetime.timezone.utc).astimezone(SCHOOL_TIMEZONE)
        writer.writerow([spreadsheet_safe(value) for value in (
            moment.strftime("%Y-%m-%d %H:%M:%S"), event.username, action_label(event.action), event.action,
            event.object_type,
            event.object_id if event.object_id is not None else "", event.address, shown_detail(event))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
