"""Prevention: the coordinator's plan for a school year, the log of what was done, and who sees which.

A plan item is for the classes of some year levels (each class does it: a mentor lesson, class
agreements) or, without year levels, for the whole school once (a staff training, a parents' evening).
An activity answers a plan item for its class (or, for a whole-school item, at all). A class's part of
an item is done when such an activity exists, overdue when its date passed without one, else planned.
"""
import collections
import dataclasses
import datetime
import hashlib

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import JOIN, Select, fn

from db import Prepared, db, today, utcnow
from domain import agreements
from models import (
    AuditEvent, ClassAgreement, ClassAgreementSignature, ContractSignature, PreventionActivity, PreventionPlanItem,
    PreventionPolicy, Pupil, SchoolClass, User,
)

SCHOOL_YEAR_START_MONTH = 8  # a school year runs from 1 August (as the monitor counts it)


def school_year_of(day):
    """The first calendar year of the school year a day falls in."""
    return day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1


def current_school_year():
    return school_year_of(today())


def school_year_label(start_year):
    """"2026-2027"."""
    return "%d-%d" % (start_year, start_year + 1)


def school_year_span(start_year):
    """[1 August, 1 August next year)."""
    return datetime.date(start_year, SCHOOL_YEAR_START_MONTH, 1), datetime.date(start_year + 1,
                                                                               SCHOOL_YEAR_START_MONTH, 1)


def known_school_years():
    """The school years that have a plan item or an activity, and the current one; newest first."""
    years = {current_school_year()}
    years |= {year for (year,) in PreventionPlanItem.select(PreventionPlanItem.school_year).distinct().tuples()}
    years |= {school_year_of(day) for (day,) in PreventionActivity.select(PreventionActivity.held_on).tuples()}
    return sorted(years, reverse=True)


@dataclasses.dataclass
class Part:
    """One class's part of a plan item (school_class None: the whole school's)."""

    school_class: object
    activity: object  # the activity that answered it, or None
    status: str  # "done", "overdue" or "planned"


@dataclasses.dataclass
class PlannedItem:
    item: object
    parts: list

    @property
    def status(self):
        """done when every part is, overdue when one is, else planned."""
        statuses = {part.status for part in self.parts}
        if not statuses or statuses == {"done"}:
            return "done" if statuses else "planned"
        return "overdue" if "overdue" in statuses else "planned"

    @property
    def done_count(self):
        return sum(part.status == "done" for part in self.parts)


def _status(activity, due_on, now):
    if activity is not None:
        return "done"
    return "overdue" if due_on < now else "planned"


def classes_at(levels):
    """The classes of these year levels, by name."""
    return list(SchoolClass.select().where(SchoolClass.year_level.in_(levels)).order_by(SchoolClass.name))


def plan(school_year, classes=None):
    """The school year's plan items, by date, each with its parts; `classes` limits the parts (and the
    items) to those classes (a mentor's), leaving out the whole-school items."""
    now = today()
    items = list(PreventionPlanItem.select().where(PreventionPlanItem.school_year == school_year)
                 .order_by(PreventionPlanItem.due_on, PreventionPlanItem.id))
    answers = collections.defaultdict(dict)  # item id -> class id (or None) -> first activity
    for activity in (PreventionActivity.select().where(PreventionActivity.plan_item.in_([i.id for i in items]))
                     .order_by(PreventionActivity.held_on, PreventionActivity.id)):
        answers[activity.plan_item_id].setdefault(activity.school_class_id, activity)
    every_class = list(SchoolClass.select().order_by(SchoolClass.name))
    wanted = None if classes is None else {school_class.id for school_class in classes}
    planned = []
    for item in items:
        found = answers.get(item.id, {})
        if item.levels:
            parts = [Part(school_class, found.get(school_class.id), _status(found.get(school_class.id), item.due_on,
                                                                            now))
                     for school_class in every_class if school_class.year_level in item.levels
                     and (wanted is None or school_class.id in wanted)]
            if wanted is not None and not parts:
                continue
        else:
            if wanted is not None:
                continue
            activity = next(iter(found.values()), None)
            parts = [Part(None, activity, _status(activity, item.due_on, now))]
        planned.append(PlannedItem(item, parts))
    return planned


def plan_summary(planned):
    """How many items are done, overdue and still planned."""
    counts = collections.Counter(entry.status for entry in planned)
    return {status: counts.get(status, 0) for status in ("done", "overdue", "planned")}


def activities(school_year, classes=None):
    """The log of a school year, newest first; `classes` limits it to those classes' activities."""
    start, end = school_year_span(school_year)
    query = (PreventionActivity.select(PreventionActivity, SchoolClass)
             .join(SchoolClass, on=(PreventionActivity.school_class == SchoolClass.id), join_type=JOIN.LEFT_OUTER)
             .where(PreventionActivity.held_on >= start, PreventionActivity.held_on < end)
             .order_by(PreventionActivity.held_on.desc(), PreventionActivity.id.desc()))
    if classes is not None:
        query = query.where(PreventionActivity.school_class.in_([school_class.id for school_class in classes]))
    return list(query)


def mentored_classes(user):
    """The classes the user is mentor of, by name."""
    return list(SchoolClass.select().where(SchoolClass.mentor == user).order_by(SchoolClass.name))


def open_parts_for(user, horizon_days=None):
    """The parts of this school year's plan (and the next's, once planned) still to do in the classes the
    user mentors: [(plan item, class, status)], by date. With a horizon, only those due by then."""
    classes = mentored_classes(user)
    if not classes:
        return []
    year = current_school_year()
    rows = []
    for school_year in (year, year + 1):
        for entry in plan(school_year, classes):
            for part in entry.parts:
                if part.status != "done":
                    rows.append((entry.item, part.school_class, part.status))
    if horizon_days is not None:
        limit = today() + datetime.timedelta(days=horizon_days)
        rows = [row for row in rows if row[0].due_on <= limit]
    return sorted(rows, key=lambda row: (row[0].due_on, row[1].name))


def plan_items_open_for(school_class, school_year):
    """The plan items a new activity of this class (None: of the whole school) may answer: those of the
    school year still open for it."""
    items = PreventionPlanItem.select().where(PreventionPlanItem.school_year == school_year)
    chosen = []
    for item in items.order_by(PreventionPlanItem.due_on):
        if school_class is None and item.levels:
            continue
        if school_class is not None and school_class.year_level not in item.levels:
            continue
        chosen.append(item)
    return chosen


def validate_answer(item, school_class, held_on):
    """Why this activity cannot answer this plan item, or None when it can."""
    if item is None:
        return None
    if school_class is None and item.levels:
        return "class"
    if school_class is not None and school_class.year_level not in item.levels:
        return "level"
    if school_year_of(held_on) != item.school_year:
        return "year"
    return None


def leaders():
    """Names staff typed as who led an activity before, for the form's suggestions."""
    typed = {name for (name,) in PreventionActivity.select(PreventionActivity.led_by).distinct().tuples()}
    staff = {name for (name,) in User.select(User.full_name).where(User.is_active == True).tuples()}  # noqa: E712
    return sorted(typed | staff)


# The school's published protocol (seed 003's duty of care: a policy the school shows), built from the protocol
# files Herstel runs the cases by and from the school's settings, so what is published is what is enforced.

@dataclasses.dataclass
class PublishedStep:
    number: int
    key: str
    title: str
    owner: str  # the role that does it, in the school's word
    deadline: str
    condition: str
    description: str
    tasks: tuple


@dataclasses.dataclass
class PublishedProtocol:
    key: str
    name: str
    description: str
    steps: list
    phases: list  # [(number, title, description, who decides)]
    follow_ups: str


def _after(protocol, key):
    if key == "report":
        return _("de melding")
    step = protocol.step(key)
    return "‘%s’" % (step.title if step else key)


def deadline_text(protocol, deadline):
    """A step's deadline in words: "binnen 7 dagen na ‘Gesprek met de gepeste leerling’", with the rule for
    serious bullying when it differs."""
    def rule(days, after):
        if days == 0:
            return _("op de dag van %(after)s", after=_after(protocol, after))
        return ngettext("binnen %(num)d dag na %(after)s", "binnen %(num)d dagen na %(after)s", days,
                        after=_after(protocol, after))
    text = rule(deadline.days, deadline.after)
    if deadline.if_serious:
        text += "; " + _("bij ernstig pesten %(rule)s", rule=rule(deadline.if_serious.days, deadline.if_serious.after))
    return text


def condition_text(step):
    """When a step applies, in words ("" for every case)."""
    texts = {("online", True): _("alleen bij online pesten"), ("criminal", True): _("alleen bij strafbare feiten"),
             ("approach", "confrontational"): _("bij de confronterende aanpak"),
             ("approach", "non_confrontational"): _("bij de niet-confronterende aanpak")}
    return "; ".join(texts.get(rule, "") for rule in step.condition)


def follow_up_text(protocol):
    """The follow-up talks' schedule in words: "na 2 dagen, na 1 week, ... daarna elke 3 maanden tot 24 maanden"."""
    parts = []
    for rule in protocol.follow_up_schedule:
        if rule.every_months:
            parts.append(_("daarna elke %(every)d maanden, tot %(until)d maanden na de afspraken",
                           every=rule.every_months, until=rule.until_months))
        elif rule.days:
            parts.append(ngettext("na %(num)d dag", "na %(num)d dagen", rule.days))
        elif rule.weeks:
            parts.append(ngettext("na %(num)d week", "na %(num)d weken", rule.weeks))
        else:
            parts.append(ngettext("na %(num)d maand", "na %(num)d maanden", rule.months))
    return ", ".join(parts)


def publish(protocol, owner_word, deciders_word):
    """A protocol as the school publishes it; `owner_word(role)` and `deciders_word(roles)` name the roles in the
    words of the reader (the page) or in Dutch (the PDF)."""
    steps = [PublishedStep(number, step.key, step.title, owner_word(step.owner),
                           deadline_text(protocol, step.deadline), condition_text(step), step.description, step.tasks)
             for number, step in enumerate(protocol.steps, 1)]
    phases = [(phase.phase, phase.title, phase.description, deciders_word(phase.decided_by))
              for phase in protocol.escalation_phases]
    return PublishedProtocol(protocol.key, protocol.name, protocol.description, steps, phases,
                             follow_up_text(protocol))


def school_protocols(default_key, offered):
    """The protocols a school publishes: its default protocol first, then the others it may open cases with."""
    return sorted(offered, key=lambda protocol: (protocol.key != default_key, protocol.name))


def contacts(role):
    """The active staff of a role, by name: [(name, e-mail)]."""
    return [(user.full_name, user.email or "") for user in User.with_role(role)]


def meldknop_on_computers():
    """Whether the log says the meldknop was put on the school computers (seed 002)."""
    return PreventionActivity.select().where(PreventionActivity.kind == "meldknop").exists()


# Class agreements ("zo gaan wij met elkaar om", seed 001): a starting point per year level, in pupils' words,
# which the mentor and the class make their own.
CLASS_AGREEMENT_TEMPLATES = {
    1: ["We noemen elkaar bij onze naam.", "We lachen niemand uit.", "Iedereen mag meedoen, in de klas en in de pauze.",
        "We komen niet aan een ander als die dat niet wil.", "Wat je online niet in het echt zou zeggen, zeg je ook "
        "online niet.", "Zie je dat iemand gepest wordt? Help of vertel het de mentor. Dat is geen klikken."],
    2: ["We luisteren naar elkaar en laten elkaar uitpraten.", "We gaan netjes om met elkaars spullen.",
        "In de klassenapp sturen we niets over een ander wat die niet wil.", "Ruzie praten we uit.",
        "We kijken niet weg als iemand wordt buitengesloten.", "Word je gepest? Houd het niet geheim."],
    3: ["We hebben respect voor elkaar, ook als we het oneens zijn.", "We delen geen foto's of filmpjes van een "
        "ander zonder toestemming.", "We oordelen niet over iemands uiterlijk, afkomst of wie iemand is.",
        "Grenzen geven we op tijd aan, en die van een ander respecteren we.", "Wie pesten ziet, doet iets: zelf "
        "aanspreken of melden."],
}


def agreement_template(year_level):
    """The starting rules for a class of this year level (the third year's for the years after)."""
    return CLASS_AGREEMENT_TEMPLATES.get(year_level, CLASS_AGREEMENT_TEMPLATES[3])


def class_agreement(school_class, school_year):
    """The class's agreements of the school year, or None."""
    return ClassAgreement.get_or_none(ClassAgreement.school_class == school_class,
                                      ClassAgreement.school_year == school_year)


def save_class_agreement(school_class, school_year, rules, made_on, reviewed_on, user):
    """Write the class's agreements of the school year (one row per class and year); call inside a transaction."""
    agreement = class_agreement(school_class, school_year) or ClassAgreement(school_class=school_class,
                                                                             school_year=school_year)
    if agreement.locked_at is not None:
        raise SigningError(_("Deze klassenafspraken zijn getekend en vastgezet; ze veranderen niet meer dit "
                             "schooljaar."))
    agreement.rules = "\n".join(line.strip() for line in rules.splitlines() if line.strip())
    agreement.made_on, agreement.reviewed_on, agreement.updated_by = made_on, reviewed_on, user
    agreement.updated_at = utcnow()
    agreement.save()
    return agreement


# The first-years' bullying contract (seed 001: "alle leerlingen en ouders uit de brugklas tekenen een pestcontract").
CONTRACT_YEAR_LEVEL = 1


def signs_contract(school_class):
    return school_class.year_level == CONTRACT_YEAR_LEVEL


def contract_status(school_class, school_year):
    """The class's pupils, in Dutch name order, each with their signature of the school year or None."""
    pupils = list(Pupil.select().where(Pupil.school_class == school_class, Pupil.is_active == True)  # noqa: E712
                  .order_by(*Pupil.dutch_order()))
    signed = {signature.pupil_id: signature for signature in ContractSignature.select().where(
        ContractSignature.pupil.in_([pupil.id for pupil in pupils]), ContractSignature.school_year == school_year)}
    return [(pupil, signed.get(pupil.id)) for pupil in pupils]


def record_signatures(school_class, school_year, signed_ids, signed_on, user):
    """The class's signatures of the school year become the pupils checked: new ones are dated `signed_on`, those
    unchecked are taken back (a mistake). Returns (added, removed); call inside a transaction."""
    status = contract_status(school_class, school_year)
    wanted = set(signed_ids)
    added = removed = 0
    for pupil, signature in status:
        if pupil.id in wanted and signature is None:
            ContractSignature.create(pupil=pupil, school_year=school_year, signed_on=signed_on, recorded_by=user)
            added += 1
        elif pupil.id not in wanted and signature is not None:
            signature.delete_instance()
            removed += 1
    return added, removed


def classes_overview(classes, school_year):
    """Per class: its agreements of the school year (or None) and, for a first-year class, (signed, pupils)."""
    agreements = {agreement.school_class_id: agreement for agreement in ClassAgreement.select().where(
        ClassAgreement.school_year == school_year)}
    rows = []
    for school_class in classes:
        contract = None
        if signs_contract(school_class):
            status = contract_status(school_class, school_year)
            contract = (sum(1 for _pupil, signature in status if signature), len(status))
        rows.append((school_class, agreements.get(school_class.id), contract))
    return rows


def level_figures(school_year):
    """The plan against what was done, per year level: [(level, parts planned, parts done)], and the whole
    school's items as level "school". The parts of `plan` counted (a test compares them), from ids alone: the
    monitor shows these on every view, and a plan's rows cost more than the rest of a kept monitor page."""
    items = [(item_id, {int(level) for level in levels.split() if level.isdigit()}) for item_id, levels in
             PreventionPlanItem.select(PreventionPlanItem.id, PreventionPlanItem.year_levels)
             .where(PreventionPlanItem.school_year == school_year).tuples()]
    if not items:
        return []
    answered = set(PreventionActivity.select(PreventionActivity.plan_item, PreventionActivity.school_class)
                   .where(PreventionActivity.plan_item.in_([item_id for item_id, _levels in items])).tuples())
    classes = (list(SchoolClass.select(SchoolClass.id, SchoolClass.year_level).tuples())
               if any(levels for _item_id, levels in items) else [])
    whole_school_done = {item_id for item_id, _class_id in answered}
    totals = {}
    for item_id, levels in items:
        parts = ([(year_level, (item_id, class_id) in answered) for class_id, year_level in classes
                  if year_level in levels] if levels else [("school", item_id in whole_school_done)])
        for level, done in parts:
            planned, done_before = totals.get(level, (0, 0))
            totals[level] = (planned + 1, done_before + done)
    ordered = sorted(totals.items(), key=lambda pair: (pair[0] == "school", str(pair[0])))
    return [(level, planned, done) for level, (planned, done) in ordered]


# The duty of care's questions in one statement, its SQL built once: every coordinator's home page asks them.
_DUTY_OF_CARE = Prepared(lambda year, start: Select(columns=[
    fn.EXISTS(User.with_role("coordinator").order_by()),
    PreventionPolicy.select(PreventionPolicy.protocol_public).where(PreventionPolicy.id == 1),
    fn.EXISTS(AuditEvent.select(AuditEvent.id).where(AuditEvent.action.in_(("monitor.view", "monitor.export")),
                                                     AuditEvent.at >= start)),
    fn.EXISTS(PreventionPlanItem.select(PreventionPlanItem.id).where(PreventionPlanItem.school_year == year)),
    SchoolClass.select(fn.COUNT(SchoolClass.id)),
    ClassAgreement.select(fn.COUNT(ClassAgreement.id)).where(ClassAgreement.school_year == year),
]).bind(db))


def duty_of_care():
    """Seed 003's duty of care as a checklist for the coordinator: [(key, done)] for a named coordinator, a
    published policy, monitoring this school year (the monitor read or exported), prevention planned this year, and
    every class's agreements made this year."""
    year = current_school_year()
    start, _end = school_year_span(year)
    _query, cursor = _DUTY_OF_CARE.execute(year, datetime.datetime.combine(start, datetime.time()))
    coordinator, published, monitored, planned, classes, with_agreements = cursor.fetchone()
    if published is None:  # no policy saved yet: its defaults
        published = PreventionPolicy.protocol_public.default
    return [
        ("coordinator", bool(coordinator)),
        ("published", bool(published)),
        ("monitored", bool(monitored)),
        ("planned", bool(planned)),
        ("agreements", bool(classes) and with_agreements >= classes),
    ]


# Signing the class agreements: the class's representatives each sign on the tablet; locking keeps the signed
# rules with a SHA-256 of what was signed, and the rules no longer change that school year.
MAX_SIGNATURES = 40


class SigningError(Exception):
    """A signature or a lock that cannot be; the message says why, in the user's language."""


def add_class_signature(agreement, name, png):
    """Add a representative's drawn signature (checked and re-encoded as the restoration agreement's are)."""
    if agreement.locked_at is not None:
        raise SigningError(_("Deze klassenafspraken zijn al vastgezet."))
    if agreement.signatures.count() >= MAX_SIGNATURES:
        raise SigningError(_("Er kunnen niet meer handtekeningen bij."))
    try:
        clean = agreements.signature_png(png)
    except agreements.AgreementError as error:
        raise SigningError(str(error)) from error
    return ClassAgreementSignature.create(class_agreement=agreement, name=name, signature_png=clean)


def class_agreement_hash(agreement, signatures):
    """SHA-256 of what was signed: the class, the school year, the rules and each signature with its name."""
    digest = hashlib.sha256()
    for part in [agreement.school_class.name, str(agreement.school_year), agreement.rules] + [
            "%s|%s|%s" % (signature.name, signature.signed_at.isoformat(),
                          hashlib.sha256(signature.signature_png).hexdigest()) for signature in signatures]:
        digest.update(part.encode("utf-8") + b"\x00")
    return digest.hexdigest()


def lock_class_agreement(agreement):
    """Lock the signed agreements with their hash; at least one representative must have signed."""
    if agreement.locked_at is not None:
        raise SigningError(_("Deze klassenafspraken zijn al vastgezet."))
    signatures = list(agreement.signatures.order_by(ClassAgreementSignature.id))
    if not signatures:
        raise SigningError(_("Laat eerst minstens één vertegenwoordiger van de klas tekenen."))
    agreement.content_sha256 = class_agreement_hash(agreement, signatures)
    agreement.locked_at = utcnow()
    agreement.save()
    return agreement
