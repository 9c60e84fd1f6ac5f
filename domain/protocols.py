"""Protocols are data: one YAML file each in protocols/, validated when the app starts.

A file that does not follow the schema is refused with a message that names the file, the
place in it and what is wrong, so a school that edits a protocol learns exactly what to fix.

A protocol belongs to a country (`region: nl` or `vl`) or to schools in both (`alle`); a
school is offered its own country's protocols and those for both. A text that names a role
writes the Dutch word between braces, "De {mentor} belt de ouders", and a Flemish school
reads its own word there ("De klascoach belt de ouders"); see terminology.WORDS. The files
are read once per country when the app starts, and parsed once per process while they stay the same.
"""
import dataclasses
import hashlib
import os
import re

import yaml
from flask import current_app

import terminology

PROTOCOL_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocols")
KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Who may own a step. The counsellor owns none: the counsellor reads a case, and never writes in one.
OWNERS = ("mentor", "coordinator", "support")
HAND_TO = ("coordinator",)  # whom the mentor hands a case to when agreements break again (seed 001)
# Who may decide an escalation phase (`decided_by`, one role or a list of roles that decide together).
DECIDERS = ("mentor", "coordinator", "teamleader", "management")
PHASES = 5  # a protocol's escalation runs through five phases (seed 001), as a measure's phase does
PARTICIPANTS = ("victim", "bully", "follower", "helper", "bystander", "parents", "staff", "support_group")
# A talk with the parents is with the parents of a pupil: `parents_of` names the roles whose parents a guide is for.
PUPIL_ROLES = ("victim", "bully", "follower", "helper", "bystander")
CONDITIONS = {
    "approach": ("confrontational", "non_confrontational"),
    "criminal": (True,),
    "online": (True,),
}
REGIONS = terminology.REGIONS
EVERY_REGION = "alle"  # a protocol for schools in either country
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
# Records on the case page that can complete a step: a step says which with `recorded_with`.
RECORDS = ("parent_contact", "police_referral")
# What a step can share with a step of a second protocol on the same case (`shared`): a case that runs
# two protocols does such a step once, and doing it in one marks it done in the other too.
# "follow-up" marks a protocol's follow_up_step: on a case with two protocols one series of follow-up talks per
# pupil stands for both protocols' follow-up steps (Protocol.series_steps).
SHARED = ("parents", "bully-parents", "evidence", "police", "follow-up")
SERIES = "follow-up"
BESIDE = ":"  # a second protocol's step keys on a case: "online-pesten:signal"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's is ten times faster


class ProtocolError(Exception):
    """A protocol file that cannot be used; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class Item:
    text: str
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class Phase:
    title: str
    items: tuple


@dataclasses.dataclass(frozen=True)
class Template:
    key: str
    title: str
    purpose: str
    participants: tuple
    phases: tuple
    parents_of: tuple = ()  # the roles of the pupils whose parents this guide's talk is with

    def item_count(self):
        return sum(len(phase.items) for phase in self.phases)


@dataclasses.dataclass(frozen=True)
class Deadline:
    days: int
    after: str  # "report" or the key of an earlier step
    if_serious: "Deadline" = None  # the rule for a case whose bullying is serious, when it differs

    def for_severity(self, severity):
        """The rule that holds for a case of this severity ("normal" or "serious")."""
        return self.if_serious if severity == "serious" and self.if_serious else self


@dataclasses.dataclass(frozen=True)
class Step:
    key: str
    title: str
    owner: str
    deadline: Deadline
    description: str
    condition: tuple = ()  # ((name, value),) or empty: always applies
    tasks: tuple = ()
    templates: tuple = ()
    recorded_with: str = ""  # one of RECORDS: recording one of those may complete this step
    shared: str = ""  # one of SHARED: done once for the case when a second protocol has a step of the same
    done_with_report: bool = False  # the report a case is opened from is this step (recording the signal)

    def applies_to(self, approach=None, criminal=False, online=False):
        """Whether this step belongs to a case with these properties."""
        facts = {"approach": approach, "criminal": bool(criminal), "online": bool(online)}
        return all(facts[name] == value for name, value in self.condition)


@dataclasses.dataclass(frozen=True)
class FollowUpRule:
    days: int = 0
    weeks: int = 0
    months: int = 0
    every_months: int = 0
    until_months: int = 0


@dataclasses.dataclass(frozen=True)
class EscalationPhase:
    phase: int
    title: str
    description: str
    decided_by: tuple  # the roles that decide it, together: ("teamleader", "management")


@dataclasses.dataclass(frozen=True)
class ParentsRule:
    """Whose parents hear of a measure (`of`: "pupil", the pupil it concerns; "victim", the bullied pupils), and
    within how many days of its decision."""
    days: int
    of: tuple


PARENTS_OF = ("pupil", "victim")


# Who can have their own series of follow-up talks (seed 001 step 5: the victim, the bully, followers).
FOLLOW_UP_ROLES = ("victim", "bully", "follower", "helper")


@dataclasses.dataclass(frozen=True)
class HandOver:
    """Agreements broken again after the one more chance: the role the case goes to (`hand_to`) and the talk, a
    guide of the follow-up step, that role holds with the pupils and parents before a measure is decided."""
    hand_to: str
    talk: str


@dataclasses.dataclass(frozen=True)
class ApproachSwitch:
    """When the approach `away_from` does not work (a follow-up talk finds the agreements not kept), the case
    proposes switching to `to` (seed 004: the support group, then the confrontational approach)."""
    away_from: str
    to: str


@dataclasses.dataclass(frozen=True)
class Protocol:
    key: str
    name: str
    region: str
    description: str
    follow_up_schedule: tuple
    escalation_phases: tuple
    steps: tuple
    follow_up_step: str = ""  # the step the follow-up series stands for: done when every pupil's series is
    follow_up_with: tuple = ()  # without a signed agreement, the roles whose pupils get a series
    # Agreements not kept: days until each pupil of the series talks again, when their next talk is later (0: none).
    follow_up_after_broken: int = 0
    # After a measure: within how many days whose parents hear of it, "pupil" (the measure's), "victim" (None: no rule).
    parents_after_measure: "ParentsRule" = None
    after_broken_again: HandOver = None  # who takes the case over when agreements break again (None: no one)
    approach_switch: ApproachSwitch = None  # the approach proposed when the chosen one does not work (None: none)
    second: "Protocol" = None  # the protocol beside this one on a case (see beside())

    def follow_up_span(self):
        """How long the schedule follows a pupil: (number, "days" | "weeks" | "months"), or None."""
        days = [rule.days + 7 * rule.weeks for rule in self.follow_up_schedule if rule.days or rule.weeks]
        months = [rule.until_months or rule.months for rule in self.follow_up_schedule
                  if rule.months or rule.until_months]
        if months:
            return max(months), "months"
        if days:
            longest = max(days)
            return (longest // 7, "weeks") if longest % 7 == 0 else (longest, "days")
        return None

    def step(self, key):
        return next((step for step in self.steps if step.key == key), None)

    def phase(self, number):
        """The escalation phase with this number, or None."""
        return next((phase for phase in self.escalation_phases if phase.phase == number), None)

    def template(self, key):
        return next((template for step in self.steps for template in step.templates
                     if template.key == key), None)

    def part_of(self, step_key):
        """The protocol a step of a case comes from: the second one for "<second>:<step>", else this one."""
        if self.second is not None and step_key.startswith(self.second.key + BESIDE):
            return self.second
        return self

    def parts(self):
        """(protocol, its steps) for this protocol and the one beside it: the case page lists them apart."""
        if self.second is None:
            return [(self, self.steps)]
        prefix = self.second.key + BESIDE
        return [(self, tuple(step for step in self.steps if not step.key.startswith(prefix))),
                (self.second, tuple(step for step in self.steps if step.key.startswith(prefix)))]

    def series_lead(self):
        """The protocol whose follow-up schedule, roles and escalation a case following this one (and the one
        beside it) keeps: this one, or the second when only the second has a follow-up series."""
        if not self.follow_up_step and self.second is not None and self.second.follow_up_step:
            return self.second
        return self

    def series_steps(self):
        """The keys of the steps a case's follow-up series stands for: the leading protocol's follow-up step and,
        on a case with two protocols, the other's when the two share it (`shared: follow-up`). Each completes
        itself when every talk is recorded and shows the next talk's date until then; () without a series."""
        lead = self.series_lead()
        if not lead.follow_up_step:
            return ()
        key = lead.follow_up_step if lead is self else beside_key(lead.key, lead.follow_up_step)
        return (key,) + tuple(step.key for step in self.sharing(key))

    def sharing(self, step_key):
        """The steps of the other part that are done together with this one (same `shared`), in order."""
        step = self.step(step_key)
        if step is None or not step.shared or self.second is None:
            return ()
        mine = self.part_of(step_key)
        return tuple(other for other in self.steps
                     if other.shared == step.shared and self.part_of(other.key) is not mine)


def beside_key(protocol_key, step_key):
    """The key a second protocol's step has on a case: "online-pesten:signal"."""
    return protocol_key + BESIDE + step_key


def beside(first, second):
    """The protocol a case follows with `second` beside `first`: first's steps, then second's, keyed
    "<second>:<step>". The second's steps count from "<second>:report", the day it was added to the case
    (domain.cases.due_dates). The follow-up series and escalation phases are the first's (the second's when
    only the second has a series: Protocol.series_lead), and the series stands for both protocols' follow-up
    steps when they share it (Protocol.series_steps)."""
    def rekey(rule):
        if rule is None:
            return None
        return dataclasses.replace(rule, after=beside_key(second.key, rule.after), if_serious=rekey(rule.if_serious))

    steps = tuple(dataclasses.replace(step, key=beside_key(second.key, step.key), deadline=rekey(step.deadline))
                  for step in second.steps)
    return dataclasses.replace(first, steps=first.steps + steps, second=second)


def role_words(region):
    """What each role placeholder reads as in a country: {"mentor": "klascoach", "Mentor":
    "Klascoach", "mentoren": "klascoaches", ...} for "vl"; Dutch words, as protocols are Dutch."""
    words = {}
    for by_region in terminology.WORDS.values():
        for dutch, local in zip(by_region["nl"], by_region[region]):
            words[dutch] = local
            words[dutch[:1].upper() + dutch[1:]] = local[:1].upper() + local[1:]
    return words


class _Reader:
    """Reads one file's YAML into the dataclasses, raising ProtocolError at the first problem."""

    def __init__(self, path, region):
        self.path = path
        self.words = role_words(region)

    def fail(self, where, problem):
        raise ProtocolError("%s: %s: %s" % (os.path.basename(self.path), where, problem))

    def mapping(self, value, where, required, optional=()):
        if not isinstance(value, dict):
            self.fail(where, "hier hoort een lijst van sleutels met waarden (mapping)")
        missing = [key for key in required if key not in value]
        if missing:
            self.fail(where, "ontbreekt: %s" % ", ".join(missing))
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            self.fail(where, "onbekende sleutel: %s" % ", ".join(map(str, unknown)))
        return value

    def text(self, value, where, allow_empty=False, max_length=2000):
        if not isinstance(value, str):
            self.fail(where, "hier hoort tekst")
        value = PLACEHOLDER.sub(lambda match: self.role_word(match.group(1), where), value.strip())
        if not value and not allow_empty:
            self.fail(where, "mag niet leeg zijn")
        if len(value) > max_length:
            self.fail(where, "te lang (hoogstens %d tekens)" % max_length)
        return value

    def role_word(self, placeholder, where):
        if placeholder not in self.words:
            self.fail(where, "{%s} is geen rol; tussen accolades staat een van: %s" % (
                placeholder, ", ".join("{%s}" % word for word in self.words if word.islower())))
        return self.words[placeholder]

    def key(self, value, where):
        if not isinstance(value, str) or not KEY.match(value):
            self.fail(where, "een sleutel bestaat uit kleine letters, cijfers en streepjes")
        return value

    def number(self, value, where, minimum=0):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(where, "hier hoort een geheel getal van minstens %d" % minimum)
        return value

    def choice(self, value, where, options):
        if value not in options:
            self.fail(where, "%r is geen geldige keuze (kies uit: %s)" % (value, ", ".join(map(str, options))))
        return value

    def flag(self, value, where):
        if not isinstance(value, bool):
            self.fail(where, "hier hoort true of false")
        return value

    def sequence(self, value, where, allow_empty=True):
        if not isinstance(value, list):
            self.fail(where, "hier hoort een lijst")
        if not value and not allow_empty:
            self.fail(where, "de lijst mag niet leeg zijn")
        return value

    def protocol(self, data):
        data = self.mapping(data, "bestand", ("key", "name", "region", "description", "steps", "escalation_phases"),
                            ("follow_up_schedule", "follow_up_step", "follow_up_with", "follow_up_after_broken",
                             "parents_after_measure", "after_broken_again", "approach_switch"))
        key = self.key(data["key"], "key")
        expected = os.path.splitext(os.path.basename(self.path))[0]
        if key != expected:
            self.fail("key", "%r moet gelijk zijn aan de bestandsnaam (%r)" % (key, expected))
        steps, template_keys = [], set()
        for number, raw in enumerate(self.sequence(data["steps"], "steps", allow_empty=False), 1):
            step = self.step(raw, "stap %d" % number, [s.key for s in steps])
            if step.done_with_report and any(earlier.done_with_report for earlier in steps):
                self.fail("stap %d (%s): done_with_report" % (number, step.key),
                          "staat al bij een eerdere stap: de melding is één stap van het protocol")
            if step.shared and any(earlier.shared == step.shared for earlier in steps):
                self.fail("stap %d (%s): shared" % (number, step.key),
                          "%r staat al bij een eerdere stap: een protocol deelt iets met één stap" % step.shared)
            for template in step.templates:
                if template.key in template_keys:
                    self.fail("stap %d (%s)" % (number, step.key), "sjabloon %r komt twee keer voor" % template.key)
                template_keys.add(template.key)
            steps.append(step)
        series = self.follow_up_series(data, [step.key for step in steps])
        for number, step in enumerate(steps, 1):
            if step.shared == SERIES and step.key != series.get("follow_up_step"):
                self.fail("stap %d (%s): shared" % (number, step.key),
                          "%r hoort bij de stap van de vervolggesprekken (follow_up_step)" % SERIES)
        return Protocol(
            key=key, name=self.text(data["name"], "name", max_length=100),
            region=self.choice(data["region"], "region", REGIONS + (EVERY_REGION,)),
            description=self.text(data["description"], "description"),
            follow_up_schedule=tuple(self.follow_up(rule, "follow_up_schedule %d" % number)
                                     for number, rule in enumerate(
                                         self.sequence(data.get("follow_up_schedule", []), "follow_up_schedule"), 1)),
            escalation_phases=self.escalation_phases(data["escalation_phases"]),
            steps=tuple(steps),
            parents_after_measure=self.parents_rule(data["parents_after_measure"], "parents_after_measure")
            if "parents_after_measure" in data else None,
            after_broken_again=self.hand_over(data["after_broken_again"], series.get("follow_up_step"), steps)
            if "after_broken_again" in data else None,
            approach_switch=self.approach_switch(data["approach_switch"]) if "approach_switch" in data else None,
            **series,
        )

    def approach_switch(self, raw):
        """From which approach to which the case proposes switching when the first does not work."""
        raw = self.mapping(raw, "approach_switch", ("from", "to"))
        approaches = CONDITIONS["approach"]
        away_from = self.choice(raw["from"], "approach_switch: from", approaches)
        to = self.choice(raw["to"], "approach_switch: to", approaches)
        if to == away_from:
            self.fail("approach_switch: to", "hier hoort een andere aanpak dan bij from")
        return ApproachSwitch(away_from=away_from, to=to)

    def hand_over(self, raw, series_step, steps):
        """Who the case goes to when agreements break again, and the follow-up step's talk they hold."""
        where = "after_broken_again"
        raw = self.mapping(raw, where, ("hand_to", "talk"))
        if not series_step:
            self.fail(where, "hoort bij follow_up_step: noem ook de stap van de vervolggesprekken")
        talks = [template.key for step in steps if step.key == series_step for template in step.templates]
        talk = self.key(raw["talk"], where + ": talk")
        if talk not in talks:
            self.fail(where + ": talk", "%r is geen gesprek van de stap %r (follow_up_step)" % (talk, series_step))
        return HandOver(hand_to=self.choice(raw["hand_to"], where + ": hand_to", HAND_TO), talk=talk)

    def follow_up_series(self, data, step_keys):
        """The step the follow-up series stands for and whose pupils get one, checked against the file."""
        if "follow_up_step" not in data:
            for name in ("follow_up_with", "follow_up_after_broken"):
                if name in data:
                    self.fail(name, "hoort bij follow_up_step: noem ook de stap van de vervolggesprekken")
            return {}
        step = self.key(data["follow_up_step"], "follow_up_step")
        if step not in step_keys:
            self.fail("follow_up_step", "%r is geen stap van dit protocol" % step)
        if not data.get("follow_up_schedule"):
            self.fail("follow_up_step", "zonder follow_up_schedule zijn er geen vervolggesprekken te plannen")
        roles = self.sequence(data.get("follow_up_with", []), "follow_up_with", allow_empty=False)
        series = {"follow_up_step": step,
                  "follow_up_with": tuple(self.choice(role, "follow_up_with", FOLLOW_UP_ROLES) for role in roles)}
        if "follow_up_after_broken" in data:
            rule = self.follow_up(data["follow_up_after_broken"], "follow_up_after_broken")
            if not (rule.days or rule.weeks):
                self.fail("follow_up_after_broken", "gebruik days of weeks: een extra gesprek komt op korte termijn")
            series["follow_up_after_broken"] = rule.days + 7 * rule.weeks
        return series

    def parents_rule(self, raw, where):
        raw = self.mapping(raw, where, ("days", "of"))
        of = self.sequence(raw["of"], where + ": of", allow_empty=False)
        if len(set(of)) != len(of):
            self.fail(where + ": of", "een keuze staat er twee keer in")
        return ParentsRule(days=self.number(raw["days"], where + ": days"),
                           of=tuple(self.choice(value, where + ": of", PARENTS_OF) for value in of))
    def escalation_phases(self, raw):
        """Phases 1 to 5, in order, each with its title, description and who decides it."""
        raw = self.sequence(raw, "escalation_phases")
        if len(raw) != PHASES:
            self.fail("escalation_phases", "hier horen precies %d fasen, genummerd 1 tot en met %d (nu %d)"
                      % (PHASES, PHASES, len(raw)))
        phases = tuple(self.escalation(phase, "escalation_phases %d" % number)
                       for number, phase in enumerate(raw, 1))
        for number, phase in enumerate(phases, 1):
            if phase.phase != number:
                self.fail("escalation_phases %d: phase" % number, "hier hoort fase %d (de fasen lopen op van 1 tot "
                          "en met %d)" % (number, PHASES))
        return phases

    def step(self, raw, where, earlier_keys):
        raw = self.mapping(raw, where, ("key", "title", "owner", "deadline", "description"),
                           ("condition", "tasks", "templates", "recorded_with", "shared", "done_with_report"))
        key = self.key(raw["key"], where + ": key")
        where = "%s (%s)" % (where, key)
        if key in earlier_keys:
            self.fail(where, "deze sleutel komt al eerder voor")
        deadline = self.deadline(raw["deadline"], where + ": deadline", earlier_keys)
        condition = ()
        if raw.get("condition") is not None:
            rule = self.mapping(raw["condition"], where + ": condition", (), tuple(CONDITIONS))
            if len(rule) != 1:
                self.fail(where + ": condition", "precies één voorwaarde")
            (name, value), = rule.items()
            condition = ((name, self.choice(value, where + ": condition." + name, CONDITIONS[name])),)
        return Step(
            key=key, title=self.text(raw["title"], where + ": title", max_length=200),
            owner=self.choice(raw["owner"], where + ": owner", OWNERS),
            deadline=deadline,
            description=self.text(raw["description"], where + ": description"),
            condition=condition,
            recorded_with=self.choice(raw["recorded_with"], where + ": recorded_with", RECORDS)
            if "recorded_with" in raw else "",
            shared=self.choice(raw["shared"], where + ": shared", SHARED) if "shared" in raw else "",
            done_with_report=self.flag(raw.get("done_with_report", False), where + ": done_with_report"),
            tasks=tuple(self.text(task, "%s: tasks %d" % (where, n), max_length=300)
                        for n, task in enumerate(self.sequence(raw.get("tasks", []), where + ": tasks"), 1)),
            templates=tuple(self.template(template, "%s: sjabloon %d" % (where, n))
                            for n, template in enumerate(self.sequence(raw.get("templates", []),
                                                                       where + ": templates"), 1)),
        )

    def deadline(self, raw, where, earlier_keys, serious=False):
        """A deadline: `days` after `after` (the report or an earlier step), and optionally `if_serious`,
        the rule when the case's bullying is serious (seed 001: parents hear sooner)."""
        raw = self.mapping(raw, where, ("days", "after"), () if serious else ("if_serious",))
        after = raw["after"]
        if after != "report" and after not in earlier_keys:
            self.fail(where + ".after",
                      "%r is geen eerdere stap (gebruik 'report' of de sleutel van een stap erboven)" % after)
        return Deadline(days=self.number(raw["days"], where + ".days"), after=after,
                        if_serious=self.deadline(raw["if_serious"], where + ".if_serious", earlier_keys, serious=True)
                        if "if_serious" in raw else None)

    def template(self, raw, where):
        raw = self.mapping(raw, where, ("key", "title", "phases"), ("purpose", "participants", "parents_of"))
        key = self.key(raw["key"], where + ": key")
        where = "%s (%s)" % (where, key)
        phases = []
        for number, phase in enumerate(self.sequence(raw["phases"], where + ": phases", allow_empty=False), 1):
            place = "%s: fase %d" % (where, number)
            phase = self.mapping(phase, place, ("title", "items"))
            items = tuple(self.item(item, "%s: punt %d" % (place, n))
                          for n, item in enumerate(self.sequence(phase["items"], place + ": items",
                                                                 allow_empty=False), 1))
            phases.append(Phase(title=self.text(phase["title"] or "", place + ": title", allow_empty=True,
                                                max_length=200), items=items))
        participants = tuple(self.choice(p, where + ": participants", PARTICIPANTS)
                             for p in self.sequence(raw.get("participants", []), where + ": participants"))
        parents_of = tuple(self.choice(role, where + ": parents_of", PUPIL_ROLES)
                           for role in self.sequence(raw.get("parents_of", []), where + ": parents_of"))
        if parents_of and "parents" not in participants:
            self.fail(where + ": parents_of", "alleen bij een gesprek met de ouders (participants: [parents])")
        return Template(
            key=key, title=self.text(raw["title"], where + ": title", max_length=200),
            purpose=self.text(raw.get("purpose", ""), where + ": purpose", allow_empty=True),
            participants=participants, phases=tuple(phases), parents_of=parents_of,
        )

    def item(self, raw, where):
        raw = self.mapping(raw, where, ("text",), ("hint",))
        return Item(text=self.text(raw["text"], where + ": text", max_length=300),
                    hint=self.text(raw.get("hint", ""), where + ": hint", allow_empty=True, max_length=1000))

    def follow_up(self, raw, where):
        raw = self.mapping(raw, where, (), ("days", "weeks", "months", "every_months", "until_months"))
        values = {name: self.number(value, "%s: %s" % (where, name), minimum=1) for name, value in raw.items()}
        once = [name for name in ("days", "weeks", "months") if name in values]
        repeating = "every_months" in values
        if len(once) + repeating != 1 or ("until_months" in values) != repeating:
            self.fail(where, "gebruik één van days, weeks of months, of every_months met until_months")
        return FollowUpRule(**values)

    def escalation(self, raw, where):
        raw = self.mapping(raw, where, ("phase", "title", "description", "decided_by"))
        return EscalationPhase(
            phase=self.number(raw["phase"], where + ": phase", minimum=1),
            title=self.text(raw["title"], where + ": title", max_length=200),
            description=self.text(raw["description"], where + ": description"),
            decided_by=self.deciders(raw["decided_by"], where + ": decided_by"),
        )

    def deciders(self, value, where):
        """One role, or a list of roles that decide the phase together (the team leader with management)."""
        roles = [value] if isinstance(value, str) else self.sequence(value, where, allow_empty=False)
        for role in roles:
            self.choice(role, where, DECIDERS)
        if len(set(roles)) != len(roles):
            self.fail(where, "een rol staat er twee keer in")
        return tuple(roles)


# What load_protocol read, by file, country and content: every app (each test's, each gunicorn
# worker's) would otherwise parse the same files again. The key holds the file's bytes' digest, so
# an edited file is read anew; a file that is refused is not kept, so it is refused every time. The
# protocols are frozen dataclasses holding tuples: no caller can change what another one reads.
_LOADED = {}
_LOADED_MAX = 64  # more files than protocols/ holds, with room for the tests' own copies


def load_protocol(path, region="nl"):
    """Read and check one protocol file, with the role words of a school in `region`."""
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProtocolError("%s: kan het bestand niet lezen: %s" % (os.path.basename(path), error)) from error
    key = (os.path.abspath(path), region, hashlib.sha256(content).digest())
    if key in _LOADED:
        return _LOADED[key]
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        raise ProtocolError("%s: geen geldige YAML: %s" % (os.path.basename(path), error)) from error
    protocol = _Reader(path, region).protocol(data)
    if len(_LOADED) >= _LOADED_MAX:
        _LOADED.clear()
    _LOADED[key] = protocol
    return protocol


def registry():
    """The protocols the running app loaded, by key, in the words of the school's country."""
    return current_app.extensions["protocols"][terminology.region()]


def offered():
    """The protocols a new case (or the school's default) may follow: the school's country's
    and those for both, by name. A case keeps the protocol it was opened with."""
    region = terminology.region()
    return sorted((protocol for protocol in registry().values() if protocol.region in (region, EVERY_REGION)),
                  key=lambda protocol: protocol.name)


def step_options():
    """The overview's step filter: for each protocol a case may follow in the school's country, by name,
    its steps in their order as ("protocol:step", title). A step is listed once, under its protocol."""
    cache = current_app.extensions.setdefault("protocol_step_options", {})
    region = terminology.region()
    if region not in cache:  # protocols are loaded once, when the app starts
        cache[region] = [(protocol.name, [("%s:%s" % (protocol.key, step.key), step.title)
                                          for step in protocol.steps]) for protocol in offered()]
    return cache[region]


def step_filter(value):
    """(protocol key or None, step key) from the step filter's value ("vo-nl:bully-talk", or a bare step key)."""
    protocol_key, _sep, step_key = value.rpartition(":")
    return protocol_key or None, step_key


def get(key):
    """The protocol with this key, or None."""
    return registry().get(key)


def of_case(case):
    """The protocol a case follows: its own, with its second protocol beside it when it has one (see
    beside()); None for an unknown protocol. Built once per pair and country."""
    first = get(case.protocol_key)
    second = get(case.second_protocol_key) if getattr(case, "second_protocol_key", None) else None
    if first is None or second is None or second.key == first.key:
        return first
    cache = current_app.extensions.setdefault("protocols_beside", {})
    key = (terminology.region(), first.key, second.key)
    if key not in cache:
        cache[key] = beside(first, second)
    return cache[key]


ONLINE = "online-pesten"  # the online protocol, meant to run beside the school's own (seed 002)


def suggested_beside(first_key, online):
    """The protocol the open-case form proposes beside `first_key`: the online protocol for a case about
    online bullying (seed 002: use it alongside the school's protocol), when the school is offered it and it
    is not the first already; else "" (none)."""
    if not online or first_key == ONLINE or ONLINE not in {protocol.key for protocol in offered()}:
        return ""
    return ONLINE


def names_of(case):
    """The name of a case's protocol, and of the one beside it: "VO-protocol (NL) en Online pesten"."""
    names = [protocol.name if protocol else key for key, protocol in (
        (key, get(key)) for key in (case.protocol_key, getattr(case, "second_protocol_key", None)) if key)]
    return " en ".join(names)


def split_step_key(step_key):
    """(protocol key or None, step key) of a case's step key: ("online-pesten", "signal") for a second
    protocol's "online-pesten:signal", (None, "signal") for the first's."""
    protocol_key, _sep, key = step_key.rpartition(BESIDE)
    return protocol_key or None, key


def step_title(protocol_key, step_key):
    """A step's title for lists that show many cases (the key when the step is unknown). A second
    protocol's step says which protocol after a dot, as lists set case and title apart: "Politie inschakelen ·
    Online pesten" (in brackets it would read "(VO-protocol (NL))")."""
    beside_key_, key = split_step_key(step_key)
    protocol = get(beside_key_ or protocol_key)
    step = protocol.step(key) if protocol else None
    if step is None:
        return step_key
    return "%s · %s" % (step.title, protocol.name) if beside_key_ else step.title


def step_action(step):
    """How a step is done, which says where its one button leads: "talk" (a conversation guide),
    "parents" (a contact with the parents recorded), "police" (a referral), else "done" (ticked off)."""
    if step is not None and step.templates:
        return "talk"
    if step is not None and step.recorded_with == "parent_contact":
        return "parents"
    if step is not None and step.recorded_with:
        return "police"
    return "done"


def step_action_of(protocol_key, step_key):
    """step_action for a step of a case by the case's protocol key and the step's key (lists that show many
    cases); a second protocol's step ("online-pesten:bully-talk") is looked up in that protocol."""
    beside_key_, key = split_step_key(step_key)
    protocol = get(beside_key_ or protocol_key)
    return step_action(protocol.step(key) if protocol else None)


def load_all(directory=PROTOCOL_DIR, region="nl"):
    """Every protocol in the folder, by key, in file-name order, in the words of `region`."""
    protocols = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith((".yaml", ".yml")):
            protocol = load_protocol(os.path.join(directory, name), region)
            protocols[protocol.key] = protocol
    if not protocols:
        raise ProtocolError("%s: geen protocollen gevonden" % directory)
    return protocols


def load_every_region(directory=PROTOCOL_DIR):
    """The protocols as each country's schools read them: {"nl": {key: protocol}, "vl": ...}."""
    return {region: load_all(directory, region) for region in REGIONS}
