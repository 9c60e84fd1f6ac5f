"""The route × role table of tests/test_access.py: every route, what each role gets, and the
helpers that make a row's path (some set the school up first: see `changes_the_school`).

Other tables (CSRF, fuzzing, valid HTML, the previous mentor, second factor) read it too.
"""
import models
from conftest import demo_case, demo_user

ROLES = [None, "staff", "mentor", "mentor2", "coordinator", "support", "counsellor", "teamleader", "management",
         "admin"]
LOGGED_IN = [role for role in ROLES if role]
CASE_ROLES = ["mentor", "mentor2", "coordinator", "support", "counsellor", "teamleader", "management"]
# Case 0004 (2B, the mentor's) waits at phase 4 for the team leader and management, who read it and decide
# its measures; the coordinator and the mentor decide earlier phases of its protocol.
CASE_0004_READERS = dict(mentor=200, coordinator=200, teamleader=200, management=200)


def expect(default, anonymous=302, **overrides):
    """Expected status per role: `default` for logged-in users unless overridden."""
    table = {role: default for role in LOGGED_IN}
    table[None] = anonymous
    table.update(overrides)
    return table


def case_path(suffix):
    return lambda: "/dossiers/%d" % demo_case(suffix).id


def user_path(template, username="staff"):
    return lambda: template % demo_user(username).id


def inbox_report_path(template):
    """The staff member's signal that waits in the coordinator's inbox."""
    return lambda: template % models.Report.get(models.Report.status == "new").id


def case_report_path(suffix):
    return lambda: "/meldingen/%d" % models.Report.get(models.Report.case == demo_case(suffix)).id


# Case 0001 is read by its mentor, the support team (referred) and the counsellor (a complaint about Noor).
CORRECTORS_0001 = dict(mentor=403, support=403, counsellor=403, coordinator=200)


def noor_path_in(suffix, template):
    return lambda: "/dossiers/%d" % demo_case(suffix).id + template % models.Pupil.get(
        models.Pupil.first_name == "Noor").id


def case_step_path(suffix, step_key, action=""):
    return lambda: "/dossiers/%d%s" % (demo_case(suffix).id, "/stappen/" + step_key if step_key else action)


def talk_path(action=""):
    """The demo conversation under way on mentor2's case 0003."""
    def path():
        talk = models.Conversation.get(models.Conversation.ended_at.is_null())
        if action == "entry":
            return "/gesprekken/%d/punten/%d" % (talk.id, talk.entries.first().id)
        if action == "note":
            return "/gesprekken/%d/punten/%d/notitie" % (talk.id, talk.entries.first().id)
        if action == "line":
            line = models.ConversationLine.select().join(models.Conversation).where(
                models.Conversation.case == talk.case).first()
            return "/gesprekken/%d/regels/%d/doorhalen" % (line.conversation_id, line.id)
        return "/gesprekken/%d%s" % (talk.id, action)
    return path


CASE_0003_EDITORS = dict(mentor2=200, coordinator=200)


def agreement_path(suffix=""):
    return lambda: "/herstelovereenkomsten/%d%s" % (models.Agreement.get(models.Agreement.status == "draft").id, suffix)


def referral_path(suffix="/afsluiten"):
    """The demo referral of Noor to the support team, on case 0001."""
    return lambda: "/doorverwijzingen/%d%s" % (models.Referral.get(models.Referral.target == "support_team").id, suffix)


def evidence_path(action, with_file=True):
    """The online case's evidence: the screenshot (with a file) or the Instagram story (without)."""
    return lambda: "/bewijs/%d/%s" % (models.Evidence.get(models.Evidence.file_name.is_null(not with_file)).id, action)


def noor_path(template):
    """The victim of the demo case 0001, whose file a parent asks to see."""
    return lambda: template % models.Pupil.get(models.Pupil.first_name == "Noor").id


def note_path(author, case="0001", suffix=""):
    """A personal work note of `author` on a demo case."""
    return lambda: "/werkaantekeningen/%d%s" % (models.PersonalNote.get(
        models.PersonalNote.author == demo_user(author), models.PersonalNote.case == demo_case(case)).id, suffix)


# The support team reads case 0001 (referred to it) but leaves the protocol to the mentor and the coordinator.
CASE_0001_EDITORS = dict(mentor=302, coordinator=302, support=403, counsellor=403)
# Case 0001 is referred to the support team: only its members record sessions; the others who
# see the case are refused with 403.
CASE_0001_SUPPORT = dict(mentor=403, coordinator=403, counsellor=403)


def demo_complaint_path(suffix=""):
    """The demo complaint (the counsellor's, linked to case 0001)."""
    return lambda: "/klachten/%d%s" % (models.Complaint.select().first().id, suffix)


def support_session_path():
    return lambda: "/ondersteuning/sessies/%d" % models.SupportSession.select().first().id


def support_referral_path():
    return lambda: "/ondersteuning/doorverwijzingen/%d/afronden" % models.Referral.get(
        models.Referral.target == "support_team").id
# Steering case 0001 is the coordinator's. The table posts a form without its fields: the case page
# comes back with the questions beside them (400).
CASE_0001_MANAGERS = dict(mentor=403, coordinator=400, support=403, counsellor=403)


def page_that_writes(path):
    """A page whose GET writes what another row may see: its rows get apps of their own."""
    def same_path():
        return path
    same_path.changes_the_school = True
    return same_path


def waiting_measure_path(action="akkoord"):
    """A suspension on case 0004 recorded by the team leader, waiting for management to agree (or refuse)."""
    def path():
        from db import today
        yara = models.Pupil.get(models.Pupil.first_name == "Yara")
        with models.db.atomic():
            measure = models.Measure.create(case=demo_case("0004"), pupil=yara, phase=4, description="Schorsing.",
                                            decided_by=demo_user("teamleader"), decided_on=today(),
                                            deciding_roles="teamleader management", waiting_for="management")
            models.MeasureDecider.create(measure=measure, role="teamleader", user=demo_user("teamleader"))
        return "/maatregelen/%d/%s" % (measure.id, action)
    path.changes_the_school = True  # it writes before the request: its rows get apps of their own
    return path


def merge_path():
    """Case 0003 merged into 0001 today (nothing moved), to be undone."""
    def path():
        import json
        from db import utcnow
        kept, merged = demo_case("0001"), demo_case("0003")
        with models.db.atomic():
            models.Case.update(status="closed", closed_at=utcnow(), close_reason="Samengevoegd").where(
                models.Case.id == merged.id).execute()
            record = models.CaseMerge.create(kept=kept, merged=merged, moved=json.dumps({
                "rows": {}, "dropped_pupils": [], "dropped_members": [], "agreements": [], "steps": {},
                "flags": {"online": kept.online, "possibly_criminal": kept.possibly_criminal},
                "merged_case": {"status": "open", "close_reason": ""}}))
        return "/dossiers/%d/samenvoegen/%d/ongedaan" % (kept.id, record.id)
    path.changes_the_school = True  # it writes before the request: its rows get apps of their own
    return path


def public_page(path):
    """The public report page, switched on by the school first (it is off in the demo)."""
    def switch_on():
        with models.db.atomic():
            models.SchoolSettings.update(public_reports_enabled=True).execute()
        return path
    switch_on.changes_the_school = True  # its GET rows need an app of their own
    return switch_on


def public_thread_path(choice):
    """A report (for the coordinator) or complaint (for the counsellor) sent through the public page."""
    def path():
        from domain import public
        with models.db.atomic():
            thread, _, _ = public.file_report({"choice": choice, "who": "pupil", "what": "Test"})
        return "/meldknop/%d/antwoord" % thread.id
    path.changes_the_school = True  # it writes before the request: its rows get apps of their own
    return path


# Prevention: the coordinator plans; mentors record for their own classes; the support team, the team leader and
# management read what the school does.
PREVENTION_READERS = dict(mentor=200, mentor2=200, coordinator=200, support=200, teamleader=200, management=200)
PREVENTION_HIDDEN = dict(mentor=404, mentor2=404, coordinator=404, support=404, teamleader=404, management=404)


def activity_path(class_name, suffix=""):
    """A logged activity of a demo class (1A is the mentor's, 3C mentor2's)."""
    return lambda: "/preventie/activiteiten/%d%s" % (models.PreventionActivity.get(
        models.PreventionActivity.school_class == models.SchoolClass.get(name=class_name)).id, suffix)


def published_protocol(path):
    """The published protocol, made public by the coordinator first (it is not in the demo)."""
    def make_public():
        with models.db.atomic():
            models.PreventionPolicy.update(protocol_public=True).execute()
        return path
    make_public.changes_the_school = True
    return make_public


CLASS_1A_READERS = dict(mentor=200, coordinator=200, support=200, teamleader=200, management=200)


def class_path(name, suffix=""):
    return lambda: "/preventie/klassen/%d%s" % (models.SchoolClass.get(name=name).id, suffix)


def plan_item_path(suffix=""):
    return lambda: "/preventie/plan/%d%s" % (models.PreventionPlanItem.select().first().id, suffix)


# (endpoint, method, path, expected status per role)
ROUTES = [
    ("system.health", "GET", "/health", expect(200, anonymous=200)),
    ("monitor.index", "GET", "/monitor/", expect(403, coordinator=200)),
    ("monitor.export", "GET", "/monitor/export.csv", expect(403, coordinator=200)),
    ("monitor.export_years", "GET", "/monitor/jaren.csv", expect(403, coordinator=200)),
    ("auth.login", "GET", "/login", expect(302, anonymous=200)),
    ("auth.login", "POST", "/login", expect(302, anonymous=400)),
    ("auth.logout", "POST", "/logout", expect(302)),
    ("auth.language", "POST", "/taal", expect(302, anonymous=302)),
    # The second step of logging in: without a password step behind it, back to the password;
    # a logged-in user goes home. The half-logged-in state has tests of its own (test_second_factor).
    # Signing in with the school's account: off in the demo school, so there is no such page to go to.
    ("auth.school_login_start", "GET", "/login/school", expect(302, anonymous=404)),
    ("auth.school_callback", "GET", "/login/school/terug", expect(302, anonymous=404)),
    ("auth.second_step", "GET", "/login/code", expect(302, anonymous=302)),
    ("auth.second_step", "POST", "/login/code", expect(302, anonymous=302)),
    ("auth.enrol", "GET", "/login/tweede-factor", expect(302, anonymous=302)),
    ("auth.enrol", "POST", "/login/tweede-factor", expect(302, anonymous=302)),
    ("home.index", "GET", "/", expect(200)),
    ("account.index", "GET", "/account/", expect(200)),
    ("account.change_password", "POST", "/account/wachtwoord", expect(400)),
    ("account.end_sessions", "POST", "/account/sessies/beeindigen", expect(302)),
    ("account.calendar_link", "POST", "/account/agenda", expect(200)),
    ("account.own_notes", "POST", "/account/aantekeningen", expect(200)),
    # The page keeps the secret it shows until the phone's app confirms it.
    ("account.second_factor_setup", "GET", page_that_writes("/account/tweede-factor"), expect(200)),
    ("account.second_factor_setup", "POST", "/account/tweede-factor", expect(400)),
    ("account.confirm_identity", "POST", "/account/tweede-factor/bevestigen", expect(400)),
    # Nobody in the demo has a second factor: "it is already off".
    ("account.disable_second_factor", "POST", "/account/tweede-factor/uitzetten", expect(302)),
    ("calendar.feed", "GET", "/agenda/not-a-valid-token.ics", expect(404, anonymous=404)),
    ("admin.users", "GET", "/beheer/gebruikers", expect(403, admin=200)),
    ("admin.new_user", "GET", "/beheer/gebruikers/nieuw", expect(403, admin=200)),
    ("admin.new_user", "POST", "/beheer/gebruikers/nieuw", expect(403, admin=400)),
    ("admin.edit_user", "GET", user_path("/beheer/gebruikers/%d"), expect(403, admin=200)),
    ("admin.edit_user", "POST", user_path("/beheer/gebruikers/%d"), expect(403, admin=400)),
    ("admin.edit_user", "GET", "/beheer/gebruikers/999999", expect(403, admin=404)),
    ("settings.edit", "GET", "/instellingen/", expect(403, admin=200)),
    ("settings.edit", "POST", "/instellingen/", expect(403, admin=400)),
    # Without its "actie" the form is refused; the retry itself is tested in test_notify.
    ("settings.failed_mail", "POST", "/instellingen/e-mail", expect(403, admin=400)),
    ("settings.sign_in", "GET", "/instellingen/schoolaccount", expect(403, admin=200)),
    ("settings.sign_in", "POST", "/instellingen/schoolaccount", expect(403, admin=302)),  # empty: switched off
    ("settings.test_sign_in", "POST", "/instellingen/schoolaccount/testen", expect(403, admin=302)),
    # The export of everything: the administrator only (its content is tested in test_export).
    ("settings.export_all", "POST", "/instellingen/export", expect(403, admin=200)),
    ("admin.toggle_active", "POST", user_path("/beheer/gebruikers/%d/actief"), expect(403, admin=302)),
    ("admin.reset_second_factor", "POST", user_path("/beheer/gebruikers/%d/tweede-factor"), expect(403, admin=302)),
    ("admin.reset_second_factor", "POST", "/beheer/gebruikers/999999/tweede-factor", expect(403, admin=404)),
    # A school account's link: only the administrator, only the user's own link (the unlinking: test_school_login).
    ("admin.unlink_school_account", "POST", user_path("/beheer/gebruikers/%d/schoolaccount/999999/ontkoppelen"),
     expect(403, admin=404)),
    # The audit log: the coordinator and the administrator; the counsellor its events on complaints,
    # without a case filter (which would tell which case numbers exist).
    ("audit_log.index", "GET", "/logboek/", expect(403, coordinator=200, admin=200, counsellor=200)),
    ("audit_log.index", "GET", "/logboek/?case=1999-9999", expect(403, coordinator=400, admin=400, counsellor=200)),
    ("audit_log.export", "GET", "/logboek/export.csv", expect(403, coordinator=200, admin=200, counsellor=200)),
    # Access requests (AVG inzage): the coordinator alone; not the administrator, who reads no case content.
    ("access_requests.index", "GET", "/inzageverzoek/", expect(403, coordinator=200)),
    ("access_requests.index", "GET", "/inzageverzoek/?pupil=999999", expect(403, coordinator=200)),
    ("access_requests.index", "GET", noor_path("/inzageverzoek/?pupil=%d"), expect(403, coordinator=302)),
    ("access_requests.pupil", "GET", noor_path("/inzageverzoek/leerling/%d"), expect(403, coordinator=200)),
    ("access_requests.pupil", "POST", noor_path("/inzageverzoek/leerling/%d"), expect(403, coordinator=400)),
    ("access_requests.pupil", "GET", "/inzageverzoek/leerling/999999", expect(403, coordinator=404)),
    # Importing pupils: the administrator.
    ("pupil_import.upload", "GET", "/beheer/import/", expect(403, admin=200)),
    ("pupil_import.upload", "POST", "/beheer/import/", expect(403, admin=400)),
    ("pupil_import.confirm", "POST", "/beheer/import/bevestigen", expect(403, admin=302)),
    ("pupil_import.cancel", "POST", "/beheer/import/annuleren", expect(403, admin=302)),
    # The counsellor reads the cases complaints are linked to, but has no case list.
    ("cases.index", "GET", "/dossiers/", expect(403, **{role: 200 for role in CASE_ROLES if role != "counsellor"})),
    # 2B exclusion case: mentor's class, referred to the support team, linked to a complaint.
    ("cases.detail", "GET", case_path("0001"),
     expect(404, mentor=200, coordinator=200, support=200, counsellor=200)),
    # 1A online case: mentor's class, not referred, no complaint.
    ("cases.detail", "GET", case_path("0002"), expect(404, mentor=200, coordinator=200)),
    # 3C case of mentor2.
    ("cases.detail", "GET", case_path("0003"), expect(404, mentor2=200, coordinator=200)),
    # 2B threats case at phase 4: the team leader and management read the case whose phase they decide.
    ("cases.detail", "GET", case_path("0004"), expect(404, **CASE_0004_READERS)),
    ("cases.detail", "GET", "/dossiers/999999", expect(404)),
    ("cases.complete_step", "POST", case_step_path("0001", "joint-talk"), expect(404, **CASE_0001_EDITORS)),
    # A coordinator's step: only the coordinator may mark it done.
    ("cases.complete_step", "POST", case_step_path("0002", "identify-bully"),
     expect(404, mentor=403, coordinator=302)),
    ("cases.complete_step", "POST", case_step_path("0001", "no-such-step"),
     expect(404)),
    # The support team's own step: its member and the coordinator complete it, not the mentor.
    ("cases.complete_step", "POST", case_step_path("0001", "extra-help"),
     expect(404, mentor=403, coordinator=302, support=302, counsellor=403)),
    # Only the mentor and the coordinator complete a step of case 0004 (this one completes itself while
    # follow-up talks are to come: a conflict, 409); its deciders only read it.
    ("cases.complete_step", "POST", case_step_path("0004", "follow-up"),
     expect(404, mentor=409, coordinator=409, teamleader=403, management=403)),
    # Whoever works on the case says how serious it is (a form without an answer keeps "niet ernstig").
    ("cases.set_severity", "POST", case_step_path("0001", None, "/ernst"),
     expect(404, mentor=302, coordinator=302, support=403, counsellor=403)),
    ("cases.set_severity", "POST", case_step_path("0004", None, "/ernst"),
     expect(404, mentor=302, coordinator=302, teamleader=403, management=403)),
    ("cases.set_approach", "POST", case_step_path("0001", None, "/aanpak"), expect(404, **CASE_0001_MANAGERS)),
    ("cases.switch_approach", "POST", case_step_path("0001", None, "/aanpak/wisselen"),
     expect(404, **CASE_0001_MANAGERS)),
    ("cases.close", "POST", case_step_path("0001", None, "/sluiten"), expect(404, **CASE_0001_MANAGERS)),
    ("cases.reopen", "POST", case_step_path("0001", None, "/heropenen"), expect(404, **CASE_0001_MANAGERS)),
    ("cases.new", "GET", "/dossiers/nieuw", expect(403, coordinator=200, mentor=200, mentor2=200)),
    ("cases.new", "POST", "/dossiers/nieuw", expect(403, coordinator=400, mentor=400, mentor2=400)),
    ("cases.new", "GET", inbox_report_path("/dossiers/nieuw?melding=%d"),  # mentor2 reads it (Amira, 3C)
     expect(403, coordinator=200, mentor=404, mentor2=403)),
    ("conversations.new", "GET", lambda: "/gesprekken/nieuw/%d/victim-talk" % demo_case("0001").id,
     expect(404, mentor=200, coordinator=200, support=403, counsellor=403)),
    ("conversations.new", "POST", lambda: "/gesprekken/nieuw/%d/victim-talk" % demo_case("0001").id,
     expect(404, mentor=400, coordinator=400, support=403, counsellor=403)),
    ("conversations.new", "GET", lambda: "/gesprekken/nieuw/%d/no-such-step" % demo_case("0001").id,
     expect(404, counsellor=403, support=403)),
    ("conversations.checklist", "GET", talk_path(), expect(404, **CASE_0003_EDITORS)),
    ("conversations.checklist", "GET", "/gesprekken/999999", expect(404)),
    ("conversations.tick", "POST", talk_path("entry"), expect(404, **CASE_0003_EDITORS)),
    ("conversations.tick", "POST", lambda: talk_path("entry")().replace("/punten/", "/punten/9999"), expect(404)),
    ("conversations.note", "POST", talk_path("note"), expect(404, **CASE_0003_EDITORS)),
    ("conversations.add_line", "POST", talk_path("/regels"), expect(404, mentor2=400, coordinator=400)),
    ("conversations.remove_line", "POST", talk_path("line"), expect(404, **CASE_0003_EDITORS)),
    ("conversations.appointment", "POST", talk_path("/afspraak"), expect(404, mentor2=422, coordinator=422)),
    ("conversations.finish", "POST", talk_path("/afronden"), expect(404, mentor2=302, coordinator=302)),
    ("agreements.new", "POST", lambda: "/herstelovereenkomsten/nieuw/%d" % demo_case("0003").id,
     expect(404, mentor2=302, coordinator=302)),
    ("agreements.edit", "GET", agreement_path(), expect(404, **CASE_0003_EDITORS)),
    ("agreements.edit", "POST", agreement_path(), expect(404, mentor2=302, coordinator=302)),
    ("agreements.download", "GET", agreement_path("/pdf"), expect(404, **CASE_0003_EDITORS)),
    ("agreements.download", "GET", "/herstelovereenkomsten/999999/pdf", expect(404)),
    ("agreements.add_parent", "POST", agreement_path("/ouders"), expect(404, mentor2=302, coordinator=302)),
    ("agreements.signing", "GET", agreement_path("/tekenen"), expect(404, **CASE_0003_EDITORS)),
    ("agreements.sign", "POST", lambda: "/herstelovereenkomsten/%d/partijen/%d" % (
        models.Agreement.get(models.Agreement.status == "draft").id, models.AgreementParty.select().first().id),
     expect(404, mentor2=303, coordinator=303)),
    ("followups.record", "POST", lambda: "/vervolg/%d" % models.FollowUp.get(  # Noor's: the counsellor reads it
        models.FollowUp.done_at.is_null(), models.FollowUp.case == demo_case("0001"),
        models.FollowUp.pupil == models.Pupil.get(models.Pupil.first_name == "Noor")).id,
     expect(404, mentor=400, coordinator=400, support=403, counsellor=403)),
    ("followups.record", "POST", "/vervolg/999999", expect(404)),
    ("followups.measure", "POST", lambda: "/dossiers/%d/maatregelen" % demo_case("0001").id,
     expect(404, mentor=400, coordinator=400, support=403, counsellor=403)),
    # Each who decides a phase of case 0004's protocol records a measure (an empty form: 400).
    ("followups.measure", "POST", lambda: "/dossiers/%d/maatregelen" % demo_case("0004").id,
     expect(404, mentor=400, coordinator=400, teamleader=400, management=400)),
    # A measure waits for management's agreement: management gives it; the others who read the case may not.
    ("followups.agree", "POST", waiting_measure_path(),
     expect(404, mentor=403, coordinator=403, teamleader=403, management=302)),
    ("followups.agree", "POST", "/maatregelen/999999/akkoord", expect(404)),
    # Management may refuse it too, with a reason (an empty form: 400); the others who read the case may not.
    ("followups.refuse_measure", "POST", waiting_measure_path("weigeren"),
     expect(404, mentor=403, coordinator=403, teamleader=403, management=400)),
    ("followups.refuse_measure", "POST", "/maatregelen/999999/weigeren", expect(404)),
    ("support.index", "GET", "/ondersteuning/", expect(403, support=200)),
    ("support.new_session", "GET", lambda: "/ondersteuning/dossiers/%d/sessies/nieuw" % demo_case("0001").id,
     expect(404, support=200, **CASE_0001_SUPPORT)),
    ("support.new_session", "POST", lambda: "/ondersteuning/dossiers/%d/sessies/nieuw" % demo_case("0001").id,
     expect(404, support=400, **CASE_0001_SUPPORT)),
    # Case 0002 is not referred to the support team: its members do not know it exists.
    ("support.new_session", "GET", lambda: "/ondersteuning/dossiers/%d/sessies/nieuw" % demo_case("0002").id,
     expect(404, mentor=403, coordinator=403)),
    ("support.new_session", "GET", "/ondersteuning/dossiers/999999/sessies/nieuw", expect(404)),
    ("support.edit_session", "GET", support_session_path(), expect(404, support=200, **CASE_0001_SUPPORT)),
    ("support.edit_session", "POST", support_session_path(), expect(404, support=400, **CASE_0001_SUPPORT)),
    ("support.edit_session", "GET", "/ondersteuning/sessies/999999", expect(404)),
    ("support.close_referral", "POST", support_referral_path(), expect(404, support=302, **CASE_0001_SUPPORT)),
    ("support.close_referral", "POST", "/ondersteuning/doorverwijzingen/999999/afronden", expect(404)),
    # Complaints exist for the counsellor alone: not for the coordinator, not for an administrator.
    ("complaints.index", "GET", "/klachten/", expect(403, counsellor=200)),
    ("complaints.new", "GET", "/klachten/nieuw", expect(403, counsellor=200)),
    ("complaints.new", "POST", "/klachten/nieuw", expect(403, counsellor=400)),
    ("complaints.detail", "GET", demo_complaint_path(), expect(404, counsellor=200)),
    ("complaints.detail", "GET", "/klachten/999999", expect(404)),
    ("complaints.edit", "GET", demo_complaint_path("/bewerken"), expect(404, counsellor=200)),
    ("complaints.edit", "POST", demo_complaint_path("/bewerken"), expect(404, counsellor=400)),
    ("complaints.change_status", "POST", demo_complaint_path("/status"), expect(404, counsellor=400)),
    ("complaints.advice", "POST", demo_complaint_path("/advies"), expect(404, counsellor=302)),
    ("complaints.committee", "POST", demo_complaint_path("/commissie"), expect(404, counsellor=400)),
    ("complaints.add_note", "POST", demo_complaint_path("/notities"), expect(404, counsellor=400)),
    # Parents, referrals: the mentor and the coordinator (the counsellor and the support team only read the case).
    ("parents.new", "GET", case_step_path("0001", None, "/oudercontacten/nieuw"),
     expect(404, mentor=200, coordinator=200, support=403, counsellor=403)),
    ("parents.new", "POST", case_step_path("0001", None, "/oudercontacten/nieuw"),
     expect(404, mentor=400, coordinator=400, support=403, counsellor=403)),
    ("parents.new", "GET", case_step_path("0003", None, "/oudercontacten/nieuw"), expect(404, **CASE_0003_EDITORS)),
    ("referrals.new", "GET", case_step_path("0001", None, "/doorverwijzingen/nieuw"),
     expect(404, mentor=200, coordinator=200, support=403, counsellor=403)),
    ("referrals.new", "POST", case_step_path("0001", None, "/doorverwijzingen/nieuw"),
     expect(404, mentor=400, coordinator=400, support=403, counsellor=403)),
    ("referrals.new", "POST", case_step_path("0002", None, "/doorverwijzingen/nieuw"),
     expect(404, mentor=400, coordinator=400)),
    ("referrals.close", "GET", referral_path(), expect(404, mentor=200, coordinator=200, support=200, counsellor=403)),
    ("referrals.close", "POST", referral_path(), expect(404, mentor=400, coordinator=400, support=400, counsellor=403)),
    ("referrals.close", "GET", "/doorverwijzingen/999999/afsluiten", expect(404)),
    # Evidence of mentor's online case 0002: mentor2, support and the counsellor are blind to it.
    ("evidence.new", "GET", case_step_path("0002", None, "/bewijs/nieuw"), expect(404, mentor=200, coordinator=200)),
    ("evidence.new", "POST", case_step_path("0002", None, "/bewijs/nieuw"), expect(404, mentor=400, coordinator=400)),
    ("evidence.new", "GET", case_step_path("0001", None, "/bewijs/nieuw"),
     expect(404, mentor=200, coordinator=200, support=403, counsellor=403)),
    ("evidence.show", "GET", evidence_path("bekijken"), expect(404, mentor=200, coordinator=200)),
    ("evidence.show", "GET", evidence_path("bekijken", with_file=False), expect(404)),
    ("evidence.show", "GET", "/bewijs/999999/bekijken", expect(404)),
    ("evidence.download", "GET", evidence_path("downloaden"), expect(404, mentor=200, coordinator=200)),
    ("evidence.download", "GET", evidence_path("downloaden", with_file=False), expect(404)),
    # Deleting a mistaken upload: whoever added it (the mentor, in the demo) and the coordinator.
    ("evidence.delete", "POST", evidence_path("verwijderen"), expect(404, mentor=302, coordinator=302)),
    ("evidence.delete", "POST", "/bewijs/999999/verwijderen", expect(404)),
    ("evidence.report", "GET", case_step_path("0002", None, "/bewijs.pdf"), expect(404, mentor=200, coordinator=200)),
    # The evidence log belongs to the whole case: the counsellor reads only what concerns the complaint's pupil.
    ("evidence.report", "GET", case_step_path("0001", None, "/bewijs.pdf"),
     expect(404, mentor=200, coordinator=200, support=200, counsellor=403)),
    # Personal work notes: everyone who works on the case keeps their own; only the author reads one.
    ("notes.new", "GET", case_step_path("0001", None, "/werkaantekeningen/nieuw"),
     expect(404, mentor=200, coordinator=200, support=200, counsellor=403)),
    ("notes.new", "POST", case_step_path("0001", None, "/werkaantekeningen/nieuw"),
     expect(404, mentor=400, coordinator=400, support=400, counsellor=403)),
    ("notes.edit", "GET", note_path("mentor"), expect(404, mentor=200)),
    ("notes.edit", "GET", note_path("support"), expect(404, support=200)),
    ("notes.edit", "GET", note_path("coordinator", case="0002"), expect(404, coordinator=200)),
    ("notes.edit", "GET", note_path("mentor2", case="0003"), expect(404, mentor2=200)),
    ("notes.edit", "POST", note_path("mentor"), expect(404, mentor=400)),
    ("notes.edit", "GET", "/werkaantekeningen/999999", expect(404)),
    ("notes.delete", "POST", note_path("mentor", suffix="/verwijderen"), expect(404, mentor=302)),
    ("notes.delete", "POST", note_path("support", suffix="/verwijderen"), expect(404, support=302)),
    ("reports.index", "GET", "/meldingen/", expect(200)),
    ("reports.new", "GET", "/meldingen/nieuw", expect(200)),
    ("reports.new", "POST", "/meldingen/nieuw", expect(400)),
    ("reports.pupil_picker", "GET", "/meldingen/leerlingen?q=noor", expect(200)),
    # The signal names Amira of 3C: its mentor (mentor2) reads it, read-only.
    ("reports.detail", "GET", inbox_report_path("/meldingen/%d"), expect(404, staff=200, coordinator=200, mentor2=200)),
    ("reports.detail", "GET", case_report_path("0001"),
     expect(404, mentor=200, coordinator=200, support=200, counsellor=200)),
    ("reports.detail", "GET", "/meldingen/999999", expect(404)),
    ("reports.close", "POST", inbox_report_path("/meldingen/%d/sluiten"),
     expect(404, staff=403, mentor2=403, coordinator=302)),
    ("reports.attach", "POST", inbox_report_path("/meldingen/%d/koppelen"),
     expect(404, staff=403, mentor2=403, coordinator=302)),
    # A pupil's page: for whoever may see one of the pupil's cases (Noor's is 0001, 2B's, referred to the
    # support team, with a complaint about Noor); nobody else learns the pupil has one.
    ("pupils.page", "GET", noor_path("/leerlingen/%d"), expect(404, mentor=200, coordinator=200, support=200,
                                                               counsellor=200)),
    ("pupils.page", "GET", "/leerlingen/999999", expect(404)),
    # Finding a pupil among the cases in one's lists: whoever has case lists.
    ("pupils.index", "GET", "/leerlingen/?q=noor", expect(200, counsellor=403, staff=403, admin=403)),
    # The whole case as a PDF: for whoever reads the case whole; the counsellor reads only what concerns the
    # complaint's pupil.
    ("cases.case_pdf", "GET", lambda: "/dossiers/%d/dossier.pdf" % demo_case("0001").id,
     expect(404, mentor=200, coordinator=200, support=200, counsellor=403)),
    ("cases.case_pdf", "GET", "/dossiers/999999/dossier.pdf", expect(404)),
    # Corrections of a case: the coordinator's; who reads the case learns it exists (403), others do not (404).
    ("corrections.page", "GET", case_step_path("0001", None, "/corrigeren"), expect(404, **CORRECTORS_0001)),
    ("corrections.page", "GET", "/dossiers/999999/corrigeren", expect(404)),
    ("corrections.add_pupils", "POST", case_step_path("0001", None, "/leerlingen"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),
    ("corrections.change_role", "POST", noor_path_in("0001", "/leerlingen/%d/rol"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),
    ("corrections.remove_pupil", "POST", noor_path_in("0001", "/leerlingen/%d/verwijderen"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),
    ("corrections.hand_over", "POST", case_step_path("0001", None, "/overdragen"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),
    ("corrections.set_flags", "POST", case_step_path("0001", None, "/kenmerken"),
     expect(404, **dict(CORRECTORS_0001, coordinator=302))),  # nothing ticked: both flags stay off
    ("corrections.set_aside", "POST", case_step_path("0001", None, "/niet-van-toepassing"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),
    ("corrections.undo_set_aside", "POST", case_step_path("0001", None, "/stappen/victim-talk/terugzetten"),
     expect(404, **dict(CORRECTORS_0001, coordinator=409))),  # a step not set aside by hand
    # Merging a case into this one: the coordinator's, confirmed first; undone on the same day.
    ("merges.confirm", "GET", case_step_path("0001", None, "/samenvoegen"), expect(404, **CORRECTORS_0001)),
    ("merges.confirm", "POST", case_step_path("0001", None, "/samenvoegen"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),  # nothing chosen, not confirmed
    ("merges.confirm", "GET", "/dossiers/999999/samenvoegen", expect(404)),
    ("merges.undo", "POST", merge_path(), expect(404, **dict(CORRECTORS_0001, coordinator=302))),
    ("merges.undo", "POST", case_step_path("0001", None, "/samenvoegen/999999/ongedaan"),
     expect(404, **dict(CORRECTORS_0001, coordinator=404))),
    ("corrections.add_second_protocol", "POST", case_step_path("0001", None, "/tweede-protocol"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),  # no protocol chosen
    ("corrections.stop_second_protocol", "POST", case_step_path("0001", None, "/tweede-protocol/weghalen"),
     expect(404, **dict(CORRECTORS_0001, coordinator=400))),  # no reason given
    # The public report page: off by default (a friendly 404 for everyone), open to all when on.
    ("public.report", "GET", "/melden", expect(404, anonymous=404)),
    ("public.report", "POST", "/melden", expect(404, anonymous=404)),
    ("public.status", "GET", "/melden/status", expect(404, anonymous=404)),
    ("public.status", "POST", "/melden/status", expect(404, anonymous=404)),
    ("public.reply", "POST", "/melden/status/bericht", expect(404, anonymous=404)),
    ("public.leave", "POST", "/melden/status/sluiten", expect(404, anonymous=404)),
    ("public.report", "GET", public_page("/melden"), expect(200, anonymous=200)),
    ("public.report", "POST", public_page("/melden"), expect(400, anonymous=400)),
    ("public.status", "GET", public_page("/melden/status"), expect(200, anonymous=200)),
    ("public.status", "POST", public_page("/melden/status"), expect(400, anonymous=400)),
    ("public.reply", "POST", public_page("/melden/status/bericht"), expect(303, anonymous=303)),
    ("public.leave", "POST", public_page("/melden/status/sluiten"), expect(303, anonymous=303)),
    # Without an answer: the page again with the message beside the field.
    ("public_thread.answer", "POST", public_thread_path("report"), expect(404, coordinator=400)),
    ("public_thread.answer", "POST", public_thread_path("complaint"), expect(404, counsellor=400)),
    ("public_thread.answer", "POST", "/meldknop/999999/antwoord", expect(404)),
    ("prevention.index", "GET", "/preventie/", expect(403, **PREVENTION_READERS)),
    ("prevention.index", "GET", "/preventie/?jaar=2025", expect(403, **PREVENTION_READERS)),
    ("prevention.new_activity", "GET", "/preventie/activiteiten/nieuw",
     expect(403, mentor=200, mentor2=200, coordinator=200)),
    ("prevention.new_activity", "POST", "/preventie/activiteiten/nieuw",
     expect(403, mentor=400, mentor2=400, coordinator=400)),
    ("prevention.edit_activity", "GET", activity_path("1A"), expect(403, mentor=200, coordinator=200)),
    ("prevention.edit_activity", "GET", activity_path("3C"), expect(403, mentor2=200, coordinator=200)),
    ("prevention.edit_activity", "POST", activity_path("1A"), expect(403, mentor=400, coordinator=400)),
    ("prevention.edit_activity", "GET", "/preventie/activiteiten/999999", expect(403, **PREVENTION_HIDDEN)),
    ("prevention.delete_activity", "POST", activity_path("1A", "/verwijderen"),
     expect(403, mentor=302, coordinator=302)),
    ("prevention.new_plan_item", "GET", "/preventie/plan/nieuw", expect(403, coordinator=200)),
    ("prevention.new_plan_item", "POST", "/preventie/plan/nieuw", expect(403, coordinator=400)),
    ("prevention.edit_plan_item", "GET", plan_item_path(), expect(403, coordinator=200)),
    ("prevention.edit_plan_item", "POST", plan_item_path(), expect(403, coordinator=400)),
    ("prevention.edit_plan_item", "GET", "/preventie/plan/999999", expect(403, **PREVENTION_HIDDEN)),
    ("prevention.delete_plan_item", "POST", plan_item_path("/verwijderen"), expect(403, coordinator=302)),
    # The school's published protocol: every logged-in user reads it; parents and pupils once it is made public.
    ("prevention.protocol", "GET", "/pestprotocol", expect(200, anonymous=404)),
    ("prevention.protocol_pdf", "GET", "/pestprotocol.pdf", expect(200, anonymous=404)),
    ("prevention.protocol", "GET", published_protocol("/pestprotocol"), expect(200, anonymous=200)),
    ("prevention.protocol_pdf", "GET", published_protocol("/pestprotocol.pdf"), expect(200, anonymous=200)),
    # A class's agreements and contract: its mentor and the coordinator write them, the school's readers read them.
    ("prevention.school_class", "GET", class_path("1A"), expect(403, **CLASS_1A_READERS)),
    ("prevention.school_class", "GET", class_path("3C"),
     expect(403, **dict(CLASS_1A_READERS, mentor=403, mentor2=200))),
    ("prevention.school_class", "POST", class_path("1A"), expect(403, mentor=400, coordinator=400)),
    ("prevention.school_class", "GET", "/preventie/klassen/999999", expect(403, **PREVENTION_HIDDEN)),
    ("prevention.agreement_poster", "GET", class_path("1A", "/afspraken.pdf"), expect(403, **CLASS_1A_READERS)),
    ("prevention.agreement_poster", "GET", class_path("1A", "/afspraken.pdf?jaar=2001"),
     expect(403, **{role: 404 for role in CLASS_1A_READERS})),
    ("prevention.contract_signatures", "POST", class_path("1A", "/contract"), expect(403, mentor=400, coordinator=400)),
    ("prevention.contract_signatures", "POST", class_path("2B", "/contract"), expect(403, mentor=404, coordinator=404)),
    ("prevention.contract_pdf", "GET", class_path("1A", "/contract.pdf"), expect(403, **CLASS_1A_READERS)),
    # Signing the class agreements on the tablet: the class's mentor and the coordinator hand it round.
    ("prevention.sign_agreement", "GET", class_path("1A", "/tekenen"), expect(403, mentor=200, coordinator=200)),
    ("prevention.sign_agreement", "POST", class_path("1A", "/tekenen"), expect(403, mentor=400, coordinator=400)),
    ("prevention.sign_agreement", "GET", class_path("1A", "/tekenen?jaar=2001"),
     expect(403, mentor=404, coordinator=404)),
    ("prevention.lock_agreement", "POST", class_path("1A", "/vastzetten"), expect(403, mentor=302, coordinator=302)),
    ("prevention.policy", "GET", "/preventie/beleid", expect(403, coordinator=200)),
    ("prevention.policy", "POST", "/preventie/beleid", expect(403, coordinator=302)),
]


def hand_over_0003(reads):
    """Case 0003 handed from mentor2 to the mentor, who takes class 3C over too (a class change), so mentor2 is
    only its previous mentor; `reads`: the school lets previous mentors read on (the setting)."""
    from domain import corrections
    with models.db.atomic():
        models.SchoolClass.update(mentor=demo_user("mentor")).where(models.SchoolClass.name == "3C").execute()
        corrections.hand_over(demo_case("0003"), demo_user("mentor"), demo_user("coordinator"))
        models.SchoolSettings.update(previous_mentor_reads=reads).execute()
