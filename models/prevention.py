"""Prevention: what the school does before and beside the cases (seed 001's "voorkomen is beter dan
genezen", seed 002's meldknop and parents' evening, seed 003's duty of care).

- A plan item is what the coordinator plans for a school year (what, by when, for which year levels);
  an activity is what was done (the prevention log), possibly answering a plan item for one class.
- A class agreement ("zo gaan wij met elkaar om") is a class's own rules for a school year.
- The school's policy is one row: the first-years' contract text, whether the published protocol is
  public, and how to reach the coordinator and the counsellor. A contract signature records that a
  first-year pupil signed the contract in a school year.
"""
from peewee import BooleanField, Check, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from db import utcnow
from models.base import PREVENTION_KINDS, BaseModel, BytesField, check_in
from models.school import Pupil, SchoolClass, User


class PreventionPlanItem(BaseModel):
    """Something the coordinator plans for a school year: for the classes of some year levels, or
    (without year levels) once for the whole school."""

    school_year = IntegerField(constraints=[Check("school_year BETWEEN 2000 AND 2100")])  # its first calendar year
    kind = CharField(max_length=24, choices=PREVENTION_KINDS, constraints=[check_in("kind", PREVENTION_KINDS)])
    title = CharField(max_length=200)
    due_on = DateField()
    year_levels = CharField(max_length=32, default="")  # "1 2": the levels whose classes do it; "" the whole school
    note = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "prevention_plan_item"
        indexes = ((("school_year", "due_on"), False),)

    @property
    def levels(self):
        """The year levels as numbers, in order (empty for the whole school)."""
        return sorted(int(level) for level in self.year_levels.split() if level.isdigit())


class PreventionActivity(BaseModel):
    """What was done: a mentor lesson, a class conversation, a parents' evening, a training..."""

    kind = CharField(max_length=24, choices=PREVENTION_KINDS, constraints=[check_in("kind", PREVENTION_KINDS)])
    held_on = DateField(index=True)
    school_class = ForeignKeyField(SchoolClass, null=True, on_delete="SET NULL")
    audience = CharField(max_length=200, default="")  # when it was not one class: "ouders van klas 1", "het team"
    led_by = CharField(max_length=200)
    note = TextField(default="")
    plan_item = ForeignKeyField(PreventionPlanItem, null=True, backref="activities", on_delete="SET NULL")
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    recorded_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "prevention_activity"


class ClassAgreement(BaseModel):
    """A class's agreements for a school year, in the pupils' own words, one rule a line."""

    school_class = ForeignKeyField(SchoolClass, backref="agreements", on_delete="CASCADE")
    school_year = IntegerField(constraints=[Check("school_year BETWEEN 2000 AND 2100")])
    rules = TextField()
    made_on = DateField()
    reviewed_on = DateField(null=True)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)
    # Signed by the class's representatives and locked: the rules no longer change that school year.
    locked_at = DateTimeField(null=True)
    content_sha256 = CharField(max_length=64, default="")

    class Meta:
        table_name = "class_agreement"
        indexes = ((("school_class", "school_year"), True),)

    @property
    def rule_lines(self):
        return [line.strip() for line in self.rules.splitlines() if line.strip()]


class ClassAgreementSignature(BaseModel):
    """A representative of the class signed its agreements on the tablet (a drawn signature)."""

    class_agreement = ForeignKeyField(ClassAgreement, backref="signatures", on_delete="CASCADE")
    name = CharField(max_length=100)
    signature_png = BytesField()
    signed_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "class_agreement_signature"


class PreventionPolicy(BaseModel):
    """The school's prevention policy: a single row with id 1."""

    contract_text = TextField(default="")
    contract_updated_at = DateTimeField(null=True)
    protocol_public = BooleanField(default=False)
    coordinator_reach = CharField(max_length=300, default="")  # how to reach the coordinator: room, hours, phone
    counsellor_reach = CharField(max_length=300, default="")

    class Meta:
        table_name = "prevention_policy"
        constraints = [Check("id = 1")]

    @classmethod
    def current(cls):
        """The policy row; before anyone saved one, the defaults (not stored: reading writes nothing)."""
        return cls.get_or_none(cls.id == 1) or cls(id=1)

    def store(self):
        """Save the policy, inserting its row the first time; call inside a transaction."""
        if not type(self).select().where(type(self).id == 1).exists():
            self.save(force_insert=True)
        else:
            self.save()


class ContractSignature(BaseModel):
    """A first-year pupil signed the bullying contract in a school year."""

    pupil = ForeignKeyField(Pupil, on_delete="CASCADE")
    school_year = IntegerField(constraints=[Check("school_year BETWEEN 2000 AND 2100")])
    signed_on = DateField()
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    recorded_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "contract_signature"
        indexes = ((("pupil", "school_year"), True),)
