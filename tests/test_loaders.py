"""The loaders of permissions/loaders.py called directly, as a user a request logged in: what each
loads, what it refuses and with which status (404 where the record's existence is a secret, 403 where
it is not), and the one audit line each refusal writes. The expectations are written from the role
table and the demo school (mentor mentors 1A and 2B and collected case 2026-0002's evidence; mentor2
mentors 3C), not asked of the permissions package."""
import flask
import flask_login
import peewee
from werkzeug.exceptions import HTTPException

import models
from access_routes import hand_over_0003
from conftest import demo_case, demo_user
from domain import public
from permissions import loaders

USERS = ("staff", "mentor", "mentor2", "coordinator", "support", "counsellor", "teamleader", "management", "admin")
def loaded(app, username, load):
    """(status the loader refused or sent the user away with, or None when it loaded; the refusal's audit line
    as (detail, object type, object id), or None when it logged none)."""
    user = models.User.by_username(username)
    with app.test_request_context():
        flask_login.login_user(user)
        last = models.AuditEvent.select(peewee.fn.MAX(models.AuditEvent.id)).scalar() or 0
        try:
            load()
            status = None
        except HTTPException as refused:
            status = refused.code or refused.get_response().status_code  # abort(redirect(...)) has no code
        lines = [(event.action, event.username, event.detail, event.object_type, event.object_id)
                 for event in models.AuditEvent.select().where(models.AuditEvent.id > last)]
    assert all(line[:2] == ("access.denied", username) for line in lines), lines
    assert len(lines) <= 1, lines
    return status, (lines[0][2:] if lines else None)


def test_an_access_request_is_the_coordinators_and_a_pupil_beyond_the_database_is_no_one(app_context, factory):
    app = app_context
    pupil = factory.pupil()
    far = 2 ** 31 - 1  # the largest id PostgreSQL's integer keys hold: beyond any small bound planted in its place
    models.Pupil.update(id=far).where(models.Pupil.id == pupil.id).execute()
    load = loaders.get_pupil_for_access_request_or_404
    with app.test_request_context():
        flask_login.login_user(demo_user("coordinator"))
        assert load(far).id == far
    for username in ("mentor", "counsellor", "admin", "teamleader"):
        assert loaded(app, username, lambda: load(far)) == (403, ("HTTP 403", "access_request", None)), username
    for missing in (far + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64):
        assert loaded(app, "coordinator", lambda: load(missing)) == (404, None), missing


def test_a_public_thread_is_answered_by_its_role_and_refused_as_403_only_to_who_sees_its_report(app_context):
    app = app_context
    with models.db.atomic():
        report_thread = public.file_report({"choice": "report", "who": "pupil", "what": "Ze lachen me uit."})[0]
        complaint_thread = public.file_report({"choice": "complaint", "who": "parent", "what": "Niets gebeurt."})[0]
        models.Report.update(case=demo_case("0001")).where(models.Report.id == report_thread.report_id).execute()
    load = loaders.get_thread_or_404
    assert loaded(app, "coordinator", lambda: load(report_thread.id)) == (None, None)
    assert loaded(app, "counsellor", lambda: load(complaint_thread.id)) == (None, None)
    # The mentor of case 0001 reads the report in their case, so the thread is no secret to them; to
    # mentor2 it is, and a complaint's thread is the counsellor's alone.
    assert loaded(app, "mentor", lambda: load(report_thread.id)) == (403, ("HTTP 403", "publicthread",
                                                                             report_thread.id))
    assert loaded(app, "mentor2", lambda: load(report_thread.id)) == (404, ("HTTP 404", "publicthread",
                                                                              report_thread.id))
    for username in ("coordinator", "mentor", "admin"):
        assert loaded(app, username, lambda: load(complaint_thread.id)) == (
            404, ("HTTP 404", "publicthread", complaint_thread.id)), username
    assert loaded(app, "counsellor", lambda: load(report_thread.id)) == (404, ("HTTP 404", "publicthread",
                                                                                 report_thread.id))
    assert loaded(app, "coordinator", lambda: load(complaint_thread.id + report_thread.id + 1)) == (404, None)


def test_the_admin_pages_are_the_administrators_and_refused_to_everyone_else_as_403(app_context):
    for username in USERS:
        expected = (None, None) if username == "admin" else (403, ("HTTP 403", "admin", None))
        assert loaded(app_context, username, loaders.require_admin) == expected, username


def test_evidence_goes_by_whoever_added_it_or_the_coordinator_and_its_case_stays_a_secret_to_the_rest(
        app_context, factory):
    case = demo_case("0002")  # open; its mentor added both items
    own = models.Evidence.select().where(models.Evidence.case == case).order_by(models.Evidence.id.desc()).first()
    theirs = models.Evidence.create(case=case, platform="WhatsApp", collected_by=demo_user("coordinator"),
                                    captured_at=own.captured_at)
    load = loaders.get_evidence_to_delete_or_404
    assert loaded(app_context, "mentor", lambda: load(own.id)) == (None, None)
    assert loaded(app_context, "coordinator", lambda: load(own.id)) == (None, None)
    assert loaded(app_context, "coordinator", lambda: load(theirs.id)) == (None, None)
    # The case's mentor may change the case, but what the coordinator added is not theirs to remove.
    assert loaded(app_context, "mentor", lambda: load(theirs.id)) == (403, ("HTTP 403", "evidence", theirs.id))
    for username in ("staff", "mentor2", "support", "counsellor", "teamleader", "management", "admin"):
        assert loaded(app_context, username, lambda: load(own.id)) == (404, ("HTTP 404", "case", case.id)), username
    with app_context.test_request_context():
        flask_login.login_user(demo_user("mentor"))
        assert load(own.id).id == own.id
    assert loaded(app_context, "coordinator", lambda: load(theirs.id + 1)) == (404, None)


def test_prevention_records_load_for_who_may_use_them_and_are_refused_as_403_to_the_rest(app_context):
    Class, Item, Activity = models.SchoolClass, models.PreventionPlanItem, models.PreventionActivity
    first_a, third_c = Class.get(Class.name == "1A"), Class.get(Class.name == "3C")
    item = Item.select().order_by(Item.id.desc()).first()
    activity = Activity.select().where(Activity.school_class == first_a).order_by(Activity.id.desc()).first()
    load = loaders.get_prevention_record_or_404
    cases = [  # (model, record, need, users that may, every other user refused)
        (Class, first_a, "record", {"coordinator", "mentor"}),
        (Class, third_c, "record", {"coordinator", "mentor2"}),
        (Class, third_c, "read", {"coordinator", "mentor2", "support", "teamleader", "management"}),
        (Item, item, "plan", {"coordinator"}),
        (Activity, activity, "change", {"coordinator", "mentor"}),
    ]
    for model, record, need, allowed in cases:
        for username in USERS:
            expected = (None, None) if username in allowed else (
                403, ("HTTP 403", model.__name__.lower(), record.id))
            assert loaded(app_context, username, lambda: load(model, record.id, need)) == expected, (
                model.__name__, need, username)
        with app_context.test_request_context():
            flask_login.login_user(demo_user("coordinator"))
            assert load(model, record.id, need).id == record.id, (model.__name__, need)
        last = model.select(peewee.fn.MAX(model.id)).scalar()
        assert loaded(app_context, "coordinator", lambda: load(model, last + 1, need)) == (404, None)


def test_a_checklist_item_not_found_refuses_as_its_talk_would_and_else_answers_404(app_context):
    talk = models.Conversation.get(models.Conversation.case == demo_case("0001"),
                                   models.Conversation.step_key == "victim-talk")
    entry = models.ChecklistEntry.select().where(models.ChecklistEntry.conversation == talk).first()
    missing = models.ChecklistEntry.select(peewee.fn.MAX(models.ChecklistEntry.id)).scalar() + 1
    last_talk = models.Conversation.select(peewee.fn.MAX(models.Conversation.id)).scalar()
    load = loaders.get_entry_or_404
    case = ("case", demo_case("0001").id)
    assert loaded(app_context, "mentor", lambda: load(talk.id, entry.id)) == (None, None)
    # The support team reads case 0001 (referred to it) but does not tap through its talks.
    assert loaded(app_context, "support", lambda: load(talk.id, entry.id, loaders.VIEW)) == (None, None)
    assert loaded(app_context, "support", lambda: load(talk.id, entry.id)) == (403, ("HTTP 403",) + case)
    # An item that is not there: the talk's case refuses whoever may not see or change it, as such.
    assert loaded(app_context, "mentor2", lambda: load(talk.id, missing)) == (404, ("HTTP 404",) + case)
    assert loaded(app_context, "support", lambda: load(talk.id, missing)) == (403, ("HTTP 403",) + case)
    assert loaded(app_context, "support", lambda: load(talk.id, missing, loaders.VIEW)) == (404, None)
    assert loaded(app_context, "mentor", lambda: load(talk.id, missing)) == (404, None)
    assert loaded(app_context, "mentor", lambda: load(last_talk + 1, entry.id)) == (404, None)
    assert loaded(app_context, "mentor2", lambda: load(last_talk + 1, missing)) == (404, None)
    with app_context.test_request_context():
        flask_login.login_user(demo_user("mentor"))
        assert load(talk.id, entry.id).id == entry.id


def test_the_support_team_loads_its_case_sessions_and_referrals_and_nothing_else_exists_to_it(app_context):
    case = demo_case("0001")  # referred to the support team
    referral = models.Referral.get(models.Referral.case == case, models.Referral.target == "support_team")
    other = models.Referral.create(case=case, target="training", by_user=demo_user("coordinator"),
                                   referred_on=referral.referred_on)
    session = models.SupportSession.select().where(models.SupportSession.referral == referral).first()
    with app_context.test_request_context():
        flask_login.login_user(demo_user("support"))
        assert loaders.get_support_case_or_404(case.id).id == case.id
        assert loaders.get_support_session_or_404(session.id).id == session.id
        assert loaders.get_support_referral_or_404(referral.id).id == referral.id
    last = models.Case.select(peewee.fn.MAX(models.Case.id)).scalar()
    assert loaded(app_context, "support", lambda: loaders.get_support_case_or_404(last + 1)) == (404, None)
    # A referral elsewhere than to the team is not one of its records, on a case it reads all the same.
    assert loaded(app_context, "support", lambda: loaders.get_support_referral_or_404(other.id)) == (404, None)
    assert loaded(app_context, "mentor", lambda: loaders.get_support_case_or_404(case.id)) == (
        403, ("HTTP 403", "case", case.id))


def test_a_closed_case_sends_whoever_would_add_to_it_back_to_its_page_with_a_message(app_context):
    closed, open_ = demo_case("2024-0014"), demo_case("0001")
    with app_context.test_request_context():
        flask_login.login_user(demo_user("mentor2"))
        try:
            loaders.get_open_case_or_404(closed.id)
            response = None
        except HTTPException as refused:
            response = refused.get_response()
        assert (response.status_code, response.location) == (302, "/dossiers/%d" % closed.id)
        assert flask.get_flashed_messages(with_categories=True) == [("error", "Dit dossier is gesloten.")]
    assert loaded(app_context, "mentor", lambda: loaders.get_open_case_or_404(open_.id)) == (None, None)
    # Adding to a case asks to change it: the support team, who reads case 0001, may not.
    assert loaded(app_context, "support", lambda: loaders.get_open_case_or_404(open_.id)) == (
        403, ("HTTP 403", "case", open_.id))
    last = models.Case.select(peewee.fn.MAX(models.Case.id)).scalar()
    assert loaded(app_context, "coordinator", lambda: loaders.get_open_case_or_404(last + 1)) == (404, None)
    assert loaded(app_context, "coordinator", lambda: loaders.get_case_or_404(last + 1)) == (404, None)


def test_each_refusal_names_the_record_it_refused(app_context):
    case = demo_case("0001")  # the counsellor reads it for Noor, the support team whole
    bully_talk = models.Conversation.get(models.Conversation.case == case, models.Conversation.step_key == "bully-talk")
    assert loaded(app_context, "counsellor", lambda: loaders.get_conversation_or_404(bully_talk.id)) == (
        404, ("HTTP 404", "conversation", bully_talk.id)), "a talk without Noor is not in the counsellor's reading"
    assert loaded(app_context, "counsellor", lambda: loaders.get_whole_case_or_404(case.id)) == (
        403, ("HTTP 403", "case", case.id))
    assert loaded(app_context, "support", lambda: loaders.get_whole_case_or_404(case.id)) == (None, None)
    report = models.Report.get(models.Report.case == demo_case("0003"))
    assert loaded(app_context, "mentor", lambda: loaders.get_report_or_404(report.id)) == (
        404, ("HTTP 404", "report", report.id))
    assert loaded(app_context, "mentor2", lambda: loaders.get_report_or_404(report.id)) == (None, None)
    last = models.Report.select(peewee.fn.MAX(models.Report.id)).scalar()
    assert loaded(app_context, "coordinator", lambda: loaders.get_report_or_404(last + 1)) == (404, None)


def test_a_work_note_is_its_authors_alone(app_context):
    notes = {note.author.username: note for note in models.PersonalNote.select().where(
        models.PersonalNote.case == demo_case("0001"))}
    mine, theirs = notes["mentor"], notes["support"]
    with app_context.test_request_context():
        flask_login.login_user(demo_user("mentor"))
        assert loaders.get_personal_note_or_404(mine.id).id == mine.id
    for username in ("mentor", "coordinator", "admin"):
        assert loaded(app_context, username, lambda: loaders.get_personal_note_or_404(theirs.id)) == (
            404, ("HTTP 404", "personalnote", theirs.id)), username


def test_a_referral_to_the_counsellor_is_closed_by_the_counsellor_alone(app_context):
    case = demo_case("0003")  # mentor2's; the counsellor reads nothing of it
    referral = models.Referral.create(case=case, target="counsellor", by_user=demo_user("mentor2"),
                                      referred_on=case.opened_at.date())
    assert referral.is_confidential
    with app_context.test_request_context():
        flask_login.login_user(demo_user("counsellor"))
        assert loaders.get_referral_to_close_or_404(referral.id).id == referral.id
    for username in ("mentor2", "coordinator"):  # they see the case, and so that the referral exists
        assert loaded(app_context, username, lambda: loaders.get_referral_to_close_or_404(referral.id)) == (
            403, ("HTTP 403", "referral", referral.id)), username
    assert loaded(app_context, "mentor", lambda: loaders.get_referral_to_close_or_404(referral.id)) == (
        404, ("HTTP 404", "case", case.id))


def test_the_previous_mentor_loads_their_own_evidence_and_referrals_and_changes_none(app_context):
    hand_over_0003(True)  # from mentor2, who reads on what they recorded
    case, mentor2 = demo_case("0003"), demo_user("mentor2")
    item = models.Evidence.create(case=case, platform="WhatsApp", collected_by=mentor2,
                                  captured_at=case.opened_at)
    referral = models.Referral.create(case=case, target="training", by_user=mentor2,
                                      referred_on=case.opened_at.date())
    assert loaded(app_context, "mentor2", lambda: loaders.get_evidence_or_404(item.id)) == (None, None)
    assert loaded(app_context, "mentor2", lambda: loaders.get_evidence_or_404(item.id, loaders.EDIT)) == (
        403, ("HTTP 403", "case", case.id))
    assert loaded(app_context, "mentor2", lambda: loaders.get_referral_to_close_or_404(referral.id)) == (
        403, ("HTTP 403", "referral", referral.id)), "theirs to read, no longer theirs to close"
    # The support team reads case 0001 whole, and changes none of its evidence.
    evidence = models.Evidence.create(case=demo_case("0001"), platform="WhatsApp",
                                      collected_by=demo_user("mentor"), captured_at=case.opened_at)
    assert loaded(app_context, "support", lambda: loaders.get_evidence_or_404(evidence.id)) == (None, None)
    assert loaded(app_context, "support", lambda: loaders.get_evidence_or_404(evidence.id, loaders.EDIT)) == (
        403, ("HTTP 403", "case", demo_case("0001").id))
