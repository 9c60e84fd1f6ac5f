"""Audit by table: every write route, used by a role allowed to use it, writes the audit line it must.

The table is written by hand from what each route does (not read from the code under test): the
action, and where one action covers several routes, the words its detail starts with or holds. The
valid form is the route's own, as the fuzz test fills it in (test_fuzz.School: the page that shows
it, opened by that role). A new POST route fails test_the_table_holds_every_post_route until it has
its row here, or in NOT_IN_TABLE with the test that checks its audit line instead.
"""
import pytest
from peewee import fn

import models
from conftest import AuthActions, PASSWORD, csrf_token, logged_in_client
from test_fuzz import NOT_FUZZED, School

# endpoint -> (action, a text its detail holds, or None)
AUDIT_ACTIONS = {
    "access_requests.pupil": ("access_request.export", None),
    "account.calendar_link": ("calendar.renew", None),
    "account.own_notes": ("personal_note.export", None),
    "admin.edit_user": ("user.save", "rollen: "),
    "admin.new_user": ("user.save", "rollen: "),
    "admin.toggle_active": ("user.deactivate", None),
    "agreements.add_parent": ("agreement.parent", None),
    "agreements.edit": ("agreement.save", None),
    "agreements.new": ("agreement.create", None),
    "agreements.sign": ("agreement.sign", None),
    "cases.close": ("case.close", None),
    "cases.complete_step": ("case.step_done", None),
    "cases.new": ("case.create", None),
    "cases.reopen": ("case.reopen", None),
    "cases.set_approach": ("case.approach", None),
    "cases.set_severity": ("case.severity", None),
    "complaints.add_note": ("complaint.note_add", None),
    "complaints.advice": ("complaint.advice", None),
    "complaints.change_status": ("complaint.status", None),
    "complaints.committee": ("complaint.committee", None),
    "complaints.edit": ("complaint.update", None),
    "complaints.new": ("complaint.create", None),
    "conversations.add_line": ("conversation.line", None),
    "conversations.appointment": ("conversation.appointment", None),
    "conversations.finish": ("conversation.finish", None),
    "conversations.new": ("conversation.start", None),
    "conversations.note": ("conversation.note", None),
    "conversations.remove_line": ("conversation.line_removed", None),
    "conversations.tick": ("conversation.tick", None),
    "corrections.add_pupils": ("case.correction", "toegevoegd als"),
    "corrections.change_role": ("case.correction", "rol leerling"),
    "corrections.hand_over": ("case.correction", "mentor: "),
    "corrections.remove_pupil": ("case.correction", "verwijderd"),
    "corrections.set_aside": ("case.correction", "niet van toepassing"),
    "corrections.set_flags": ("case.correction", "online "),
    "corrections.add_second_protocol": ("case.correction", "tweede protocol "),
    "merges.confirm": ("case.correction", "samengevoegd"),
    "evidence.delete": ("evidence.delete", None),
    "evidence.new": ("case.evidence_add", None),
    "followups.agree": ("case.measure_agreed", None),
    "followups.measure": ("case.measure", None),
    "followups.refuse_measure": ("case.measure_refused", None),
    "followups.record": ("follow_up.record", None),
    "notes.delete": ("personal_note.delete", None),
    "notes.edit": ("personal_note.update", None),
    "notes.new": ("personal_note.create", None),
    "parents.new": ("case.parent_contact", None),
    "prevention.contract_signatures": ("prevention.contract_signatures", None),
    "prevention.delete_activity": ("prevention.activity_delete", None),
    "prevention.delete_plan_item": ("prevention.plan_delete", None),
    "prevention.edit_activity": ("prevention.activity_update", None),
    "prevention.edit_plan_item": ("prevention.plan_update", None),
    "prevention.new_activity": ("prevention.activity_create", None),
    "prevention.new_plan_item": ("prevention.plan_create", None),
    "prevention.policy": ("prevention.policy_save", None),
    "prevention.school_class": ("prevention.class_agreement", None),
    "prevention.sign_agreement": ("prevention.class_agreement_sign", None),
    "public.report": ("public.report", None),
    "public_thread.answer": ("thread.answer", None),
    "referrals.close": ("case.referral_closed", None),
    "referrals.new": ("case.referral", None),
    "reports.attach": ("report.attach", None),
    "reports.close": ("report.close", None),
    "reports.new": ("report.create", None),
    "settings.edit": ("settings.save", None),
    "settings.export_all": ("school.export", None),
    "settings.sign_in": ("settings.sign_in", None),
    "support.close_referral": ("referral.close", None),
    "support.edit_session": ("support_session.update", None),
    "support.new_session": ("support_session.create", None),
}
# Lines written without a name: the public report page never ties a report to whoever is logged in.
NAMELESS = {"public.report"}
# The routes that end the session or change the password: sent here by hand (username, path, form).
SESSION_ROUTES = {
    "auth.login": "login.success",
    "auth.logout": "logout",
    "account.change_password": "user.password_changed",
    "account.end_sessions": "logout.everywhere",
}
# POST routes without a row above, and why.
NOT_IN_TABLE = {
    "auth.language": "changes the session's language only: no record, no audit line",
    "account.confirm_identity": "marks the session as confirmed only (test_second_factor)",
    "auth.second_step": "audited in test_second_factor (login.code_failure, login.success)",
    "auth.enrol": "audited in test_second_factor",
    "account.second_factor_setup": "audited in test_second_factor",
    "account.disable_second_factor": "audited in test_second_factor (mfa.disable)",
    "admin.reset_second_factor": "audited in test_admin_resets (mfa.reset)",
    "admin.unlink_school_account": "audited in test_school_login (user.provider_unlink)",
    "settings.failed_mail": "audited in test_notify (mail.retry, mail.discard)",
    "cases.switch_approach": "audited in test_approach_switch (case.approach)",
    "pupil_import.upload": "audited in test_pupil_import",
    "pupil_import.confirm": "audited in test_pupil_import (pupil_import.apply)",
    "pupil_import.cancel": "removes the waiting upload only: no record",
    "public.status": "a reporter's code and phrase: test_public_reports",
    "public.reply": "audited in test_audit_log (public.reply)",
    "public.leave": "ends the reporter's visit only: no record",
    "corrections.undo_set_aside": "audited in test_corrections (weer van toepassing)",
    "prevention.lock_agreement": "audited in test_class_agreements (prevention.class_agreement_lock)",
    "corrections.stop_second_protocol": "audited in test_second_protocol (case.correction)",
    "merges.undo": "audited in test_merges (case.correction)",
    "settings.test_sign_in": "asks the provider: test_browser_school_login (settings.sign_in_test)",
}


def test_the_table_holds_every_post_route(app):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    rows = set(AUDIT_ACTIONS) | set(SESSION_ROUTES) | set(NOT_IN_TABLE)
    assert rows == posts
    assert not set(AUDIT_ACTIONS) & set(NOT_IN_TABLE) and not set(SESSION_ROUTES) & set(NOT_IN_TABLE)
    # Every route the fuzz test fills in has its action here: only those it cannot reach may be elsewhere.
    assert set(NOT_IN_TABLE) - set(NOT_FUZZED) <= {"auth.language", "account.confirm_identity"}


def lines_since(last_id):
    return [(event.action, event.detail or "", event.username) for event in models.AuditEvent.select().where(
        models.AuditEvent.id > last_id).order_by(models.AuditEvent.id)]


def last_line_id():
    return models.AuditEvent.select(fn.MAX(models.AuditEvent.id)).scalar() or 0


@pytest.mark.parametrize("endpoint", sorted(AUDIT_ACTIONS))
def test_a_write_route_writes_its_audit_line(app, endpoint):
    action, detail = AUDIT_ACTIONS[endpoint]
    school = School(app, endpoint)
    since = last_line_id()
    response = school.send(school.valid)
    assert response.status_code < 400, (endpoint, response.status_code)
    username = "" if endpoint in NAMELESS else school.role or ""
    written = [line for line in lines_since(since) if line[0] == action]
    assert written, "%s wrote %r, not %s" % (endpoint, lines_since(since), action)
    assert any(line[2] == username for line in written), (endpoint, written)
    if detail:
        assert any(detail in line[1] for line in written), (endpoint, written)


def test_the_session_routes_write_their_audit_lines(app, client):
    auth = AuthActions(client)
    since = last_line_id()
    assert auth.login("mentor").status_code == 302
    assert (SESSION_ROUTES["auth.login"], "mentor") in [(a, u) for a, _, u in lines_since(since)]
    since = last_line_id()
    assert auth.logout().status_code == 302
    assert (SESSION_ROUTES["auth.logout"], "mentor") in [(a, u) for a, _, u in lines_since(since)]

    other = logged_in_client(app, "staff")
    since = last_line_id()
    response = other.post("/account/sessies/beeindigen", data={"csrf_token": csrf_token(other, "/account/")})
    assert response.status_code == 302
    assert (SESSION_ROUTES["account.end_sessions"], "staff") in [(a, u) for a, _, u in lines_since(since)]

    changer = logged_in_client(app, "mentor2")
    since = last_line_id()
    new_password = "Een-heel-ander-wachtwoord-2026"
    response = changer.post("/account/wachtwoord", data={
        "csrf_token": csrf_token(changer, "/account/"), "current_password": PASSWORD,
        "new_password": new_password, "confirm": new_password})
    assert response.status_code < 400, response.status_code
    assert (SESSION_ROUTES["account.change_password"], "mentor2") in [(a, u) for a, _, u in lines_since(since)]
