"""Prevention (issue 22): the school-year plan and the prevention log, class agreements, the school's
prevention policy (the first-years' contract, the published protocol's switch and contacts), the
signatures of the class agreements and of the contract. New tables only, pointing at the user, class and pupil tables that 0001 made,
so it stands on any migration before it."""
import datetime

from peewee import (
    BlobField, BooleanField, CharField, Check, DateField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField,
)

KINDS = ("mentor_lesson", "class_conversation", "class_agreements", "parents_evening", "anti_bullying_week",
         "staff_training", "meldknop", "contract", "other")
KIND_CHECK = "kind IN (%s)" % ", ".join("'%s'" % kind for kind in KINDS)
TABLES = ("contract_signature", "prevention_policy", "class_agreement_signature", "class_agreement",
          "prevention_activity", "prevention_plan_item")


def up(migrator, db):
    now = datetime.datetime.utcnow

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class SchoolClass(Model):
        class Meta:
            database = db
            table_name = "school_class"

    class Pupil(Model):
        class Meta:
            database = db
            table_name = "pupil"

    class PreventionPlanItem(Model):
        school_year = IntegerField(constraints=[Check("school_year BETWEEN 2000 AND 2100")])
        kind = CharField(max_length=24, constraints=[Check(KIND_CHECK)])
        title = CharField(max_length=200)
        due_on = DateField()
        year_levels = CharField(max_length=32, default="")
        note = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField(default=now)

        class Meta:
            database = db
            table_name = "prevention_plan_item"
            indexes = ((("school_year", "due_on"), False),)

    class PreventionActivity(Model):
        kind = CharField(max_length=24, constraints=[Check(KIND_CHECK)])
        held_on = DateField(index=True)
        school_class = ForeignKeyField(SchoolClass, null=True, on_delete="SET NULL")
        audience = CharField(max_length=200, default="")
        led_by = CharField(max_length=200)
        note = TextField(default="")
        plan_item = ForeignKeyField(PreventionPlanItem, null=True, on_delete="SET NULL")
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        recorded_at = DateTimeField(default=now)

        class Meta:
            database = db
            table_name = "prevention_activity"

    class ClassAgreement(Model):
        school_class = ForeignKeyField(SchoolClass, on_delete="CASCADE")
        school_year = IntegerField(constraints=[Check("school_year BETWEEN 2000 AND 2100")])
        rules = TextField()
        made_on = DateField()
        reviewed_on = DateField(null=True)
        updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        updated_at = DateTimeField(default=now)
        locked_at = DateTimeField(null=True)
        content_sha256 = CharField(max_length=64, default="")

        class Meta:
            database = db
            table_name = "class_agreement"
            indexes = ((("school_class", "school_year"), True),)

    class ClassAgreementSignature(Model):
        class_agreement = ForeignKeyField(ClassAgreement, on_delete="CASCADE")
        name = CharField(max_length=100)
        signature_png = BlobField()
        signed_at = DateTimeField(default=now)

        class Meta:
            database = db
            table_name = "class_agreement_signature"

    class PreventionPolicy(Model):
        contract_text = TextField(default="")
        contract_updated_at = DateTimeField(null=True)
        protocol_public = BooleanField(default=False)
        coordinator_reach = CharField(max_length=300, default="")
        counsellor_reach = CharField(max_length=300, default="")

        class Meta:
            database = db
            table_name = "prevention_policy"
            constraints = [Check("id = 1")]

    class ContractSignature(Model):
        pupil = ForeignKeyField(Pupil, on_delete="CASCADE")
        school_year = IntegerField(constraints=[Check("school_year BETWEEN 2000 AND 2100")])
        signed_on = DateField()
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        recorded_at = DateTimeField(default=now)

        class Meta:
            database = db
            table_name = "contract_signature"
            indexes = ((("pupil", "school_year"), True),)

    db.create_tables([PreventionPlanItem, PreventionActivity, ClassAgreement, ClassAgreementSignature, PreventionPolicy,
                      ContractSignature])


def down(migrator, db):
    for table in TABLES:
        db.execute_sql('DROP TABLE "%s"' % table)
