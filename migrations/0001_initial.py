"""The initial schema: every table of models.py, frozen as it was.

Generated with `pwmigrate initial models`, then CHECK constraints added by hand
(the generator leaves them out) and the audit log made append-only with triggers.
"""
# Generated from a schema diff on 2026-11-21 22:06.
from peewee import *


def up(migrator, db):
    class User(Model):
        username = CharField(unique=True, max_length=64)
        full_name = CharField(max_length=200)
        email = CharField(unique=True, null=True, max_length=254)
        password_hash = CharField()
        is_admin = BooleanField(default=False)
        is_active = BooleanField(default=True)
        language = CharField(max_length=2, default='nl', constraints=[Check("language IN ('nl', 'en')")])
        created_at = DateTimeField()
        password_changed_at = DateTimeField()
        totp_secret = CharField(null=True, max_length=64)
        calendar_token_hash = CharField(unique=True, null=True, max_length=64)
        class Meta:
            database = db
            constraints = [Check('length(username) > 0')]
            table_name = 'user'
    db.create_tables([User])

    class Case(Model):
        reference = CharField(unique=True, max_length=16)
        title = CharField(max_length=200, default='')
        protocol_key = CharField(max_length=64)
        approach = CharField(null=True, max_length=24, constraints=[Check("approach IS NULL OR approach IN ('confrontational', 'non_confrontational')")])
        approach_level = CharField(null=True, max_length=16, constraints=[Check("approach_level IS NULL OR approach_level IN ('individual', 'group', 'class')")])
        mentor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        status = CharField(max_length=8, default='open', constraints=[Check("status IN ('open', 'closed')")])
        online = BooleanField(default=False)
        possibly_criminal = BooleanField(default=False)
        opened_at = DateTimeField()
        opened_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        closed_at = DateTimeField(null=True)
        closed_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        close_reason = TextField(default='')
        anonymised_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'case'
    db.create_tables([Case])

    class Conversation(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        step_key = CharField(max_length=64)
        template_key = CharField(max_length=64)
        title = CharField(max_length=200)
        held_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        started_at = DateTimeField()
        ended_at = DateTimeField(null=True)
        general_notes = TextField(default='')
        pupil_wishes = TextField(default='')
        next_appointment_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'conversation'
    db.create_tables([Conversation])

    class Agreement(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        conversation = ForeignKeyField(Conversation, null=True, on_delete='SET NULL')
        version = IntegerField(default=1, constraints=[Check('version >= 1')])
        status = CharField(max_length=8, default='draft', constraints=[Check("status IN ('draft', 'locked')")])
        commitments = TextField(default='')
        restorative_act = TextField(default='')
        support_figures = TextField(default='')
        coaching = TextField(default='')
        period_start = DateField(null=True)
        period_end = DateField(null=True)
        evaluation_on = DateField(null=True)
        content_sha256 = CharField(max_length=64, default='')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        locked_at = DateTimeField(null=True)
        class Meta:
            database = db
            constraints = [Check('period_end IS NULL OR period_start IS NULL OR period_end >= period_start')]
            table_name = 'agreement'
            indexes = ((('case', 'version'), True),)
    db.create_tables([Agreement])

    class SchoolClass(Model):
        name = CharField(unique=True, max_length=32)
        year_level = IntegerField(constraints=[Check('year_level BETWEEN 1 AND 8')])
        mentor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'school_class'
    db.create_tables([SchoolClass])

    class Pupil(Model):
        student_number = CharField(unique=True, max_length=32)
        first_name = CharField(max_length=100)
        infix = CharField(max_length=32, default='')
        last_name = CharField(max_length=100)
        school_class = ForeignKeyField(SchoolClass, null=True, on_delete='SET NULL')
        date_of_birth = DateField(null=True)
        is_active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'pupil'
    db.create_tables([Pupil])

    class AgreementParty(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, null=True, on_delete='RESTRICT')
        name = CharField(max_length=200)
        role = CharField(max_length=32)
        signature_png = BlobField(null=True)
        signed_at = DateTimeField(null=True)
        signed_on_paper = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'agreement_party'
    db.create_tables([AgreementParty])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        user_id = IntegerField(index=True, null=True)
        username = CharField(max_length=64, default='')
        action = CharField(index=True, max_length=64)
        object_type = CharField(max_length=32, default='')
        object_id = IntegerField(null=True)
        address = CharField(max_length=64, default='')
        detail = CharField(max_length=500, default='')
        class Meta:
            database = db
            table_name = 'audit_event'
            indexes = ((('object_type', 'object_id'), False),)
    db.create_tables([AuditEvent])

    class CaseMember(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        added_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'case_member'
            indexes = ((('case', 'user'), True),)
    db.create_tables([CaseMember])

    class CaseStep(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        step_key = CharField(max_length=64)
        status = CharField(max_length=16, default='open', constraints=[Check("status IN ('open', 'done', 'not_applicable')")])
        due_on = DateField(null=True)
        done_at = DateTimeField(null=True)
        done_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'case_step'
            indexes = ((('case', 'step_key'), True), (('status', 'due_on'), False))
    db.create_tables([CaseStep])

    class ChecklistEntry(Model):
        conversation = ForeignKeyField(Conversation, on_delete='CASCADE')
        position = IntegerField()
        phase = CharField(max_length=200, default='')
        text = TextField()
        hint = TextField(default='')
        done = BooleanField(default=False)
        done_at = DateTimeField(null=True)
        done_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        note = TextField(default='')
        note_version = IntegerField(default=0)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'checklist_entry'
            indexes = ((('conversation', 'position'), True),)
    db.create_tables([ChecklistEntry])

    class Complaint(Model):
        received_on = DateField()
        complainant_kind = CharField(max_length=8, constraints=[Check("complainant_kind IN ('parent', 'pupil', 'other')")])
        complainant_name = CharField(max_length=200, default='')
        complainant_contact = CharField(max_length=200, default='')
        pupil = ForeignKeyField(Pupil, null=True, on_delete='RESTRICT')
        case = ForeignKeyField(Case, null=True, on_delete='SET NULL')
        description = TextField()
        status = CharField(max_length=16, default='received', constraints=[Check("status IN ('received', 'investigating', 'advised', 'closed')")])
        experts_consulted = TextField(default='')
        advice = TextField(default='')
        committee_referred_on = DateField(null=True)
        counsellor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'complaint'
    db.create_tables([Complaint])

    class ComplaintNote(Model):
        complaint = ForeignKeyField(Complaint, on_delete='CASCADE')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        body = TextField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'complaint_note'
    db.create_tables([ComplaintNote])

    class ConversationParticipant(Model):
        conversation = ForeignKeyField(Conversation, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, null=True, on_delete='RESTRICT')
        name = CharField(max_length=200, default='')
        role = CharField(max_length=32)
        class Meta:
            database = db
            table_name = 'conversation_participant'
    db.create_tables([ConversationParticipant])

    class Evidence(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        captured_at = DateTimeField()
        platform = CharField(max_length=100, default='')
        url = CharField(max_length=2000, default='')
        usernames = CharField(max_length=500, default='')
        description = TextField(default='')
        collected_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        file_name = CharField(unique=True, null=True, max_length=64)
        original_name = CharField(default='')
        content_type = CharField(max_length=64, default='')
        size = IntegerField(default=0)
        sha256 = CharField(max_length=64, default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'evidence'
    db.create_tables([Evidence])

    class FollowUp(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        agreement = ForeignKeyField(Agreement, null=True, on_delete='SET NULL')
        due_on = DateField()
        with_whom = CharField(max_length=200, default='')
        done_at = DateTimeField(null=True)
        done_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        outcome = CharField(null=True, max_length=16, constraints=[Check("outcome IS NULL OR outcome IN ('going_well', 'not_kept')")])
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'follow_up'
            indexes = ((('done_at', 'due_on'), False),)
    db.create_tables([FollowUp])

    class Involvement(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, on_delete='RESTRICT')
        role = CharField(max_length=16, constraints=[Check("role IN ('victim', 'bully', 'follower', 'helper', 'bystander')")])
        added_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'involvement'
            indexes = ((('case', 'pupil'), True),)
    db.create_tables([Involvement])

    class LoginThrottle(Model):
        key = CharField(unique=True, max_length=200)
        failures = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'login_throttle'
    db.create_tables([LoginThrottle])

    class Measure(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, on_delete='RESTRICT')
        phase = IntegerField(constraints=[Check('phase BETWEEN 1 AND 5')])
        description = TextField()
        decided_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        decided_on = DateField()
        informed = TextField(default='')
        class Meta:
            database = db
            table_name = 'measure'
    db.create_tables([Measure])

    class ParentContact(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, on_delete='RESTRICT')
        channel = CharField(max_length=16, constraints=[Check("channel IN ('school', 'home', 'phone', 'message')")])
        contacted_on = DateField()
        by_user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        summary = TextField(default='')
        agreed = TextField(default='')
        class Meta:
            database = db
            table_name = 'parent_contact'
    db.create_tables([ParentContact])

    class PersonalNote(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        author = ForeignKeyField(User, on_delete='CASCADE')
        body = TextField()
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'personal_note'
    db.create_tables([PersonalNote])

    class Referral(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, null=True, on_delete='RESTRICT')
        target = CharField(max_length=16, constraints=[Check("target IN ('support_team', 'clb', 'training', 'external', 'police')")])
        detail = CharField(max_length=200, default='')
        referred_on = DateField()
        by_user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        note = TextField(default='')
        closed_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'referral'
    db.create_tables([Referral])

    class Report(Model):
        reported_on = DateField()
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        reporter_kind = CharField(max_length=16, constraints=[Check("reporter_kind IN ('pupil', 'parent', 'staff', 'external', 'anonymous')")])
        reporter_name = CharField(max_length=200, default='')
        channel = CharField(max_length=16, constraints=[Check("channel IN ('conversation', 'phone', 'message', 'report_page')")])
        is_signal = BooleanField(default=False)
        place = CharField(max_length=200, default='')
        platform = CharField(max_length=100, default='')
        description = TextField()
        share_reporter_name = BooleanField(default=False)
        possibly_criminal = BooleanField(default=False)
        status = CharField(max_length=8, default='new', constraints=[Check("status IN ('new', 'in_case', 'closed')")])
        case = ForeignKeyField(Case, null=True, on_delete='SET NULL')
        handled_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        handled_at = DateTimeField(null=True)
        close_reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'report'
            indexes = ((('status', 'created_at'), False),)
    db.create_tables([Report])

    class ReportKind(Model):
        report = ForeignKeyField(Report, on_delete='CASCADE')
        kind = CharField(max_length=16, constraints=[Check("kind IN ('physical', 'belongings', 'verbal', 'behind_back', 'exclusion', 'online')")])
        class Meta:
            database = db
            table_name = 'report_kind'
            indexes = ((('report', 'kind'), True),)
    db.create_tables([ReportKind])

    class ReportPupil(Model):
        report = ForeignKeyField(Report, on_delete='CASCADE')
        pupil = ForeignKeyField(Pupil, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'report_pupil'
            indexes = ((('report', 'pupil'), True),)
    db.create_tables([ReportPupil])

    class SchoolSettings(Model):
        school_name = CharField(max_length=200, default='Onze school')
        region = CharField(max_length=2, default='nl', constraints=[Check("region IN ('nl', 'vl')")])
        default_protocol = CharField(max_length=64, default='vo-nl')
        retention_months = IntegerField(default=24, constraints=[Check('retention_months > 0')])
        public_reports_enabled = BooleanField(default=False)
        mfa_required_roles = CharField(max_length=200, default='')
        class Meta:
            database = db
            constraints = [Check('id = 1')]
            table_name = 'school_settings'
    db.create_tables([SchoolSettings])

    class SupportSession(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        referral = ForeignKeyField(Referral, null=True, on_delete='SET NULL')
        kind = CharField(max_length=32)
        held_on = DateField()
        participants = TextField(default='')
        notes = TextField(default='')
        report_back = TextField(default='')
        recorded_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'support_session'
    db.create_tables([SupportSession])

    class UserRole(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=16, constraints=[Check("role IN ('staff', 'mentor', 'coordinator', 'support', 'counsellor')")])
        class Meta:
            database = db
            table_name = 'user_role'
            indexes = ((('user', 'role'), True),)
    db.create_tables([UserRole])

    class UserSession(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        address = CharField(max_length=64, default='')
        user_agent = CharField(default='')
        class Meta:
            database = db
            table_name = 'user_session'
    db.create_tables([UserSession])

    # The audit log is append-only: nothing in the app (or a stray UPDATE) may rewrite it.
    if isinstance(db, SqliteDatabase):
        for verb in ('UPDATE', 'DELETE'):
            db.execute_sql(
                "CREATE TRIGGER audit_event_no_%s BEFORE %s ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END" % (verb.lower(), verb))
    else:
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit log is append-only'; END $$ LANGUAGE plpgsql")
        db.execute_sql(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user_session'))
    migrator.migrate(migrator.drop_table('user_role'))
    migrator.migrate(migrator.drop_table('support_session'))
    migrator.migrate(migrator.drop_table('school_settings'))
    migrator.migrate(migrator.drop_table('report_pupil'))
    migrator.migrate(migrator.drop_table('report_kind'))
    migrator.migrate(migrator.drop_table('report'))
    migrator.migrate(migrator.drop_table('referral'))
    migrator.migrate(migrator.drop_table('personal_note'))
    migrator.migrate(migrator.drop_table('parent_contact'))
    migrator.migrate(migrator.drop_table('measure'))
    migrator.migrate(migrator.drop_table('login_throttle'))
    migrator.migrate(migrator.drop_table('involvement'))
    migrator.migrate(migrator.drop_table('follow_up'))
    migrator.migrate(migrator.drop_table('evidence'))
    migrator.migrate(migrator.drop_table('conversation_participant'))
    migrator.migrate(migrator.drop_table('complaint_note'))
    migrator.migrate(migrator.drop_table('complaint'))
    migrator.migrate(migrator.drop_table('checklist_entry'))
    migrator.migrate(migrator.drop_table('case_step'))
    migrator.migrate(migrator.drop_table('case_member'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('agreement_party'))
    migrator.migrate(migrator.drop_table('pupil'))
    migrator.migrate(migrator.drop_table('school_class'))
    migrator.migrate(migrator.drop_table('agreement'))
    migrator.migrate(migrator.drop_table('conversation'))
    migrator.migrate(migrator.drop_table('case'))
    migrator.migrate(migrator.drop_table('user'))
