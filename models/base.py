"""What every table builds on: the base model, a bytes column, the password hasher, and the
choices that columns keep to (each with its label in the user's language and a CHECK)."""
import secrets

from argon2 import PasswordHasher
from flask_babel import lazy_gettext as _l
from peewee import BlobField, Check, Model

from db import db
from terminology import lazy_term

# argon2id with the library's current recommended parameters: staff passwords and the public
# page's secret phrases. Models call it through this module, so a test can count its checks.
password_hasher = PasswordHasher()
DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))  # spent on unknown usernames


def choices(*pairs):
    """Turn ("value", "label") pairs into a tuple usable for peewee choices and CHECKs."""
    return tuple(pairs)


def check_in(column, options):
    """A CHECK constraint that keeps a column to the values of a choices tuple."""
    values = ", ".join("'%s'" % value for value, _ in options)
    return Check("%s IN (%s)" % (column, values))


ROLES = choices(
    ("staff", _l("Medewerker")),
    ("mentor", lazy_term("mentor", capital=True)),  # in the school's words: Mentor or Klascoach
    ("coordinator", lazy_term("coordinator", capital=True)),
    ("support", lazy_term("support", capital=True)),
    ("counsellor", _l("Vertrouwenspersoon")),
    ("teamleader", lazy_term("teamleader", capital=True)),  # Teamleider, or a Flemish school's Graadcoördinator
    ("management", lazy_term("management", capital=True)),  # Directie
)
LANGUAGES = choices(("nl", "Nederlands"), ("en", "English"))
INVOLVEMENT_ROLES = choices(
    ("victim", _l("Gepeste leerling")),
    ("bully", _l("Pester")),
    ("follower", _l("Meeloper")),
    ("helper", _l("Helper")),
    ("bystander", _l("Stille getuige")),
)
# The support-group (non-confrontational) approach names no one a bully: those who bullied or followed
# sit in the support group beside the helpers, with no blame (seed 004).
SUPPORT_GROUP_ROLES = choices(
    ("victim", _l("Gepeste leerling")),
    ("bully", _l("Lid van de steungroep")),
    ("follower", _l("Lid van de steungroep")),
    ("helper", _l("Helper in de steungroep")),
    ("bystander", _l("Stille getuige")),
)


REPORTED_ROLES = choices(("victim", _l("Werd gepest")), ("bully", _l("Pestte")))


def roles_for(approach):
    """The words for the pupils' roles in a case with this approach."""
    return SUPPORT_GROUP_ROLES if approach == "non_confrontational" else INVOLVEMENT_ROLES


REPORTER_KINDS = choices(
    ("pupil", _l("Leerling")), ("parent", _l("Ouder")), ("staff", _l("Medewerker")),
    ("external", _l("Extern")), ("anonymous", _l("Anoniem")),
)
REPORT_CHANNELS = choices(
    ("conversation", _l("Gesprek")), ("phone", _l("Telefoon")), ("message", _l("Bericht")),
    ("report_page", _l("Meldpagina")),
)
BULLYING_KINDS = choices(
    ("physical", _l("Lichamelijk")),
    ("belongings", _l("Met spullen")),
    ("verbal", _l("Verbaal")),
    ("behind_back", _l("Achter de rug om")),
    ("exclusion", _l("Uitsluiten")),
    ("online", _l("Online")),
)
REPORT_STATUSES = choices(("new", _l("Nieuw")), ("in_case", _l("In behandeling")), ("closed", _l("Afgesloten")))
CASE_STATUSES = choices(("open", _l("Open")), ("closed", _l("Gesloten")))
# Seed 001, step 6: how serious the bullying is decides when the parents hear of it.
SEVERITIES = choices(("normal", _l("Niet ernstig")), ("serious", _l("Ernstig")))
APPROACHES = choices(("confrontational", _l("Confronterend")), ("non_confrontational", _l("Niet-confronterend")))
# The approach in a sentence: "overschakelen op de confronterende aanpak".
APPROACH_NOUNS = {"confrontational": _l("de confronterende aanpak"),
                  "non_confrontational": _l("de niet-confronterende aanpak")}
APPROACH_LEVELS = choices(("individual", _l("Individueel")), ("group", _l("Groep")), ("class", _l("Klas")))
STEP_STATUSES = choices(("open", _l("Open")), ("done", _l("Gedaan")), ("not_applicable", _l("Niet van toepassing")))
AGREEMENT_STATUSES = choices(("draft", _l("Concept")), ("locked", _l("Ondertekend")))
FOLLOW_UP_OUTCOMES = choices(("going_well", _l("Gaat goed")), ("not_kept", _l("Afspraken niet nagekomen")),
                             ("not_held", _l("Niet gehouden")))
PARENT_CHANNELS = choices(
    ("school", _l("Gesprek op school")), ("home", _l("Gesprek thuis")), ("phone", _l("Telefoon")),
    ("message", _l("Bericht")),
)
REFERRAL_TARGETS = choices(
    ("support_team", lazy_term("support", capital=True)), ("clb", _l("CLB")), ("training", _l("Training")),
    ("external", _l("Externe hulp")), ("police", _l("Politie")), ("counsellor", _l("Vertrouwenspersoon")),
)
REFERRAL_TRAININGS = choices(
    ("social_skills", _l("Sociale vaardigheidstraining")), ("resilience", _l("Weerbaarheidstraining")),
    ("aggression_regulation", _l("Agressieregulatietraining")), ("other", _l("Andere training")),
)
COMPLAINT_STATUSES = choices(
    ("received", _l("Ontvangen")), ("investigating", _l("In onderzoek")), ("advised", _l("Advies gegeven")),
    ("closed", _l("Gesloten")),
)
COMPLAINANT_KINDS = choices(("parent", _l("Ouder")), ("pupil", _l("Leerling")), ("other", _l("Anders")))
SUPPORT_SESSION_KINDS = choices(
    ("individual", _l("Individuele begeleiding")), ("training", _l("Training")),
    ("support_group", _l("Steungroep (niet-confronterende aanpak)")),
)
REGIONS = choices(("nl", _l("Nederland")), ("vl", _l("Vlaanderen")))
CONVERSATION_LINE_KINDS = choices(
    ("note", _l("Notities")), ("wish", _l("Wat de leerling wil")), ("agreement", _l("Afspraken")),
)
CASE_EVENT_KINDS = choices(
    ("opened", _l("Dossier geopend")), ("report_attached", _l("Melding toegevoegd")),
    ("step_done", _l("Stap afgerond")), ("approach", _l("Aanpak vastgelegd")),
    ("closed", _l("Dossier gesloten")), ("reopened", _l("Dossier heropend")),
    ("conversation_started", _l("Gesprek begonnen")), ("conversation_finished", _l("Gesprek afgerond")),
    ("appointment", _l("Vervolgafspraak gemaakt")), ("follow_up", _l("Vervolggesprek")),
    ("escalation_proposed", _l("Escalatie voorgesteld")), ("agreement_signed", _l("Herstelovereenkomst ondertekend")),
    ("agreement_superseded", _l("Herstelovereenkomst vervangen")),
    ("follow_ups_planned", _l("Vervolggesprekken gepland")),
    ("follow_ups_cancelled", _l("Vervolggesprekken geannuleerd")), ("measure", _l("Maatregel genomen")),
    ("support_session", _l("Sessie van het %(support)s", support=lazy_term("support"))),
    ("support_report", _l("Terugkoppeling van het %(support)s", support=lazy_term("support"))),
    ("parent_contact", _l("Oudercontact")), ("referral", _l("Doorverwezen")),
    ("referral_closed", _l("Doorverwijzing afgesloten")), ("evidence", _l("Bewijs vastgelegd")),
    ("evidence_deleted", _l("Bewijs verwijderd")), ("correction", _l("Correctie")),
    ("approach_switch_proposed", _l("Andere aanpak voorgesteld")),
    ("approach_switched", _l("Aanpak gewisseld")), ("approach_kept", _l("Aanpak voortgezet")),
    ("severity", _l("Ernst vastgelegd")), ("measure_agreed", _l("Maatregel mede besloten")),
    ("measure_refused", _l("Maatregel geweigerd")),
    ("merged", _l("Dossiers samengevoegd")), ("merge_undone", _l("Samenvoegen ongedaan gemaakt")),
)

SECURITY_NOTICE_KINDS = choices(
    ("mfa_enrolled", _l("Tweede factor ingesteld")),
    ("mfa_reset", _l("Tweede factor uitgezet door een beheerder")),
    ("mfa_disabled", _l("Tweede factor uitgezet")),
    ("recovery_used", _l("Herstelcode gebruikt")),
    ("password_reset", _l("Wachtwoord opnieuw ingesteld door een beheerder")),
    ("reset_both", _l("Wachtwoord én tweede factor opnieuw ingesteld door een beheerder")),
)
THREAD_AUTHORS = choices(("reporter", _l("Melder")), ("staff", _l("School")))
# What a school does to prevent bullying (seed 001's prevention, seed 002's meldknop and parents' evening).
PREVENTION_KINDS = choices(
    ("mentor_lesson", _l("Mentorles over pesten")),
    ("class_conversation", _l("Klassengesprek (buiten een dossier)")),
    ("class_agreements", _l("Klassenafspraken gemaakt of besproken")),
    ("parents_evening", _l("Ouderavond")),
    ("anti_bullying_week", _l("Week tegen pesten")),
    ("staff_training", _l("Training voor het team")),
    ("meldknop", _l("Meldknop op de schoolcomputers")),
    ("contract", _l("Pestcontract besproken en getekend")),
    ("other", _l("Anders")),
)


class BytesField(BlobField):
    """A BLOB read back as bytes on every database (PostgreSQL's driver hands out a memoryview)."""

    def python_value(self, value):
        return bytes(value) if isinstance(value, memoryview) else value


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

