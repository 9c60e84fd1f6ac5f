"""permissions/rules.py in process, rule by rule: every demo user's abilities, and their answers on every demo
case, records of those cases and the smaller rules with their edge cases, called directly rather than through pages.

The expectations are literal tables written from DESIGN.md's role table and the demo school (demo.py), not
asked of the permissions package (the code under test). The demo school: the mentor mentors 1A and 2B, mentor2
3C. Case 0001 (2B, Noor) is referred to the support team, which was also added to it, and a complaint about Noor
is linked to it; 0002 (1A, online) has measures of phases 1 and 2; 0003 (3C) has a referral to a training, not to
the team; 0004 (2B, Yara) waits at phase 4 for the team leader and management; 2024-0014 (3C) is closed.
Each test loops over its table in one demo database and names user, case and rule when an answer differs.
"""
import datetime

from flask_login import current_user

import audit
import models
from access_routes import hand_over_0003
from conftest import demo_case, demo_user
from permissions import rules

USERS = ("staff", "mentor", "mentor2", "coordinator", "support", "counsellor", "teamleader", "management", "admin")
CASES = ("0001", "0002", "0003", "0004", "0014")
ALL = set(CASES)
MINE = {"0001", "0002", "0004"}  # the mentor's: the cases of 2B and 1A
MINE2 = {"0003", "0014"}  # mentor2's: those of 3C, this year's and the closed one

# The rules about a user alone, and for each demo user those that answer True.
USER_RULES = ("may_view_monitor", "may_handle_complaints", "may_read_complaint_notes", "may_use_support_workspace",
              "may_view_prevention", "may_plan_prevention", "may_record_prevention", "may_administer",
              "may_read_audit_log", "may_handle_access_requests", "may_see_cases", "may_manage_reports",
              "may_open_case", "sees_every_case")
CASE_ROLE = {"may_view_prevention", "may_see_cases"}
USER_ABILITIES = {
    "staff": set(),
    "mentor": CASE_ROLE | {"may_record_prevention", "may_open_case"},
    "mentor2": CASE_ROLE | {"may_record_prevention", "may_open_case"},
    "coordinator": CASE_ROLE | {"may_view_monitor", "may_plan_prevention", "may_record_prevention",
                                "may_read_audit_log", "may_handle_access_requests", "may_manage_reports",
                                "may_open_case", "sees_every_case"},
    "support": CASE_ROLE | {"may_use_support_workspace"},
    "counsellor": {"may_handle_complaints", "may_read_complaint_notes", "may_read_audit_log"},
    "teamleader": CASE_ROLE,
    "management": CASE_ROLE,
    "admin": {"may_administer", "may_read_audit_log"},
}
# (case_list_scope, prevention_scope, audit_log_scope) per demo user.
SCOPES = {
    "staff": (None, "school", None),
    "mentor": ("mentor", "classes", None),
    "mentor2": ("mentor", "classes", None),
    "coordinator": ("school", "school", audit.NO_COMPLAINT_EVENTS),
    "support": ("support", "school", None),
    "counsellor": (None, "school", audit.COMPLAINT_EVENTS_ONLY),
    "teamleader": ("escalation", "school", None),
    "management": ("escalation", "school", None),
    "admin": (None, "school", audit.EVERY_EVENT),
}

# What each user may do with each demo case ("v" view, "e" edit, "m" manage; a case left out: nothing).
ACCESS = {
    "mentor": {case: "ve" for case in MINE},
    "mentor2": {case: "ve" for case in MINE2},
    "coordinator": {case: "vem" for case in CASES},
    "support": {"0001": "v"},
    "counsellor": {"0001": "v"},  # Noor's complaint is linked to it: what concerns Noor, read-only
    "teamleader": {"0004": "v"},
    "management": {"0004": "v"},
}
WORKERS = {"mentor": MINE, "mentor2": MINE2, "coordinator": ALL}  # who writes in the case
# The rules about a user and a case: for each, the cases each user gets True on (a user left out: none).
CASE_RULES = {
    "reads_whole_case": dict(WORKERS, support={"0001"}, teamleader={"0004"}, management={"0004"}),
    "may_print_case": dict(WORKERS, support={"0001"}, teamleader={"0004"}, management={"0004"}),
    "may_keep_notes": dict(WORKERS, support={"0001"}),
    "may_record_support": {"support": {"0001"}},
    "may_read_support_notes": {"coordinator": ALL, "support": {"0001"}},
    ("may_complete_step", "mentor"): WORKERS,
    ("may_complete_step", "support"): {"coordinator": ALL, "support": {"0001"}},
    ("may_complete_step", "coordinator"): {"coordinator": ALL},
    ("may_complete_step", "teamleader"): {"coordinator": ALL},
    ("owns_step", "mentor"): {"mentor": MINE, "mentor2": MINE2},
    ("owns_step", "support"): {"support": {"0001"}},
    ("owns_step", "coordinator"): {"coordinator": ALL},
    ("may_hold_talk", "mentor"): WORKERS,
    ("may_hold_talk", "support"): dict(WORKERS, support={"0001"}),
    ("may_hold_talk", "coordinator"): WORKERS,
}
# deciding_roles per deciders (a phase's decided_by): each user's (cases, roles answered); elsewhere ().
DECIDING = {
    ("mentor",): {"mentor": (MINE, ("mentor",)), "mentor2": (MINE2, ("mentor",))},
    ("coordinator",): {"coordinator": (ALL, ("coordinator",))},
    ("teamleader",): {"teamleader": ({"0004"}, ("teamleader",))},
    ("management",): {"management": ({"0004"}, ("management",))},
    ("teamleader", "management"): {"teamleader": ({"0004"}, ("teamleader",)),
                                   "management": ({"0004"}, ("management",))},
    ("coordinator", "teamleader"): {"coordinator": (ALL, ("coordinator",)), "teamleader": ({"0004"}, ("teamleader",))},
    ("mentor", "coordinator"): {"mentor": (MINE, ("mentor",)), "mentor2": (MINE2, ("mentor",)),
                                "coordinator": (ALL, ("coordinator",))},
    ("support",): {}, ("counsellor",): {}, ("staff",): {},  # no protocol gives them a phase: not even where they read
}
# The cases in each user's lists (visible_cases): the counsellor reads one but has no list of cases.
LISTED = {"staff": set(), "mentor": MINE, "mentor2": MINE2, "coordinator": ALL, "support": {"0001"},
          "counsellor": set(), "teamleader": {"0004"}, "management": {"0004"}, "admin": set()}


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def suffix(case):
    return case.reference[-4:]


def test_each_demo_user_has_exactly_the_abilities_and_scopes_of_their_role(app_context):
    for username in USERS:
        user = demo_user(username)
        answered = {name for name in USER_RULES if getattr(rules, name)(user) is True}
        for name in USER_RULES:
            assert getattr(rules, name)(user) in (True, False), "%s answered %r for %s" % (
                name, getattr(rules, name)(user), username)
        assert answered == USER_ABILITIES[username], "%s: got %s, expected %s" % (
            username, sorted(answered), sorted(USER_ABILITIES[username]))
        scopes = (rules.case_list_scope(user), rules.prevention_scope(user), rules.audit_log_scope(user))
        assert scopes == SCOPES[username], "%s: (case list, prevention, audit log) scopes %r" % (username, scopes)


def test_an_anonymous_visitor_may_do_nothing(app):
    """Flask-Login's visitor who has not signed in is asked every rule, also those that do not first ask
    whether the user signed in: each answers no, none raises."""
    with app.test_request_context():
        anonymous = current_user._get_current_object()
        assert not anonymous.is_authenticated
        for name in USER_RULES:
            assert getattr(rules, name)(anonymous) is False, name
        scopes = (rules.case_list_scope(anonymous), rules.prevention_scope(anonymous),
                  rules.audit_log_scope(anonymous))
        assert scopes == (None, "school", None)
        assert rules.may_record_prevention(anonymous, models.SchoolClass.get(models.SchoolClass.name == "1A")) is False
        for case in CASES:
            case = demo_case(case)
            assert rules.case_abilities(anonymous, case) == frozenset(), case.reference
            assert not rules.may_case(rules.VIEW, case, anonymous), case.reference
            for rule in CASE_RULES:
                function, args = (getattr(rules, rule), ()) if isinstance(rule, str) else (
                    getattr(rules, rule[0]), rule[1:])
                assert function(anonymous, case, *args) is False, (rule, case.reference)
            for deciders in DECIDING:
                assert rules.deciding_roles(anonymous, case, deciders) == (), (deciders, case.reference)
                assert rules.may_decide_phase(anonymous, case, deciders) is False, (deciders, case.reference)
            assert not rules.reads_as_previous_mentor(anonymous, case), case.reference
        assert list(rules.visible_cases(anonymous)) == []
        assert list(rules.handed_over_cases(anonymous)) == []
        assert not rules.may_answer_thread(anonymous, models.PublicThread(complaint_id=1))
        assert not rules.may_answer_thread(anonymous, models.PublicThread(report_id=1))
        assert not rules.may_view_complaint(anonymous, models.Complaint.get())


def test_users_with_two_roles_get_what_each_role_gives(app_context, factory):
    both = factory.user(roles=("coordinator", "counsellor"))
    assert rules.audit_log_scope(both) == audit.EVERY_EVENT
    assert rules.may_handle_complaints(both) and rules.sees_every_case(both)
    admin_counsellor = factory.user(roles=("counsellor",), is_admin=True)
    assert rules.audit_log_scope(admin_counsellor) == audit.EVERY_EVENT
    assert rules.may_read_complaint_notes(admin_counsellor) and rules.may_administer(admin_counsellor)
    coordinating_mentor = factory.user(roles=("coordinator", "mentor"))
    assert rules.case_list_scope(coordinating_mentor) == "school"
    assert rules.prevention_scope(coordinating_mentor) == "school"
    assert rules.may_record_prevention(coordinating_mentor)  # though they mentor no class
    assert rules.new_case_limits(coordinating_mentor)[1] is None
    assert rules.case_list_scope(factory.user(roles=("mentor", "support"))) == "mentor"
    assert rules.case_list_scope(factory.user(roles=("support", "teamleader"))) == "support"
    assert rules.case_list_scope(factory.user(roles=("management",))) == "escalation"
    assert rules.case_list_scope(factory.user(roles=("counsellor", "staff"))) is None
    classless = factory.user(roles=("mentor",))
    assert rules.may_view_prevention(classless) and not rules.may_record_prevention(classless)
    assert rules.may_open_case(classless) and not rules.may_manage_reports(classless)
    assert not rules.may_administer(factory.user(roles=("coordinator",)))
    assert not rules.may_handle_access_requests(factory.user(roles=("counsellor",), is_admin=True))
    assert rules.may_administer(factory.user(roles=(), is_admin=True))


def test_a_counsellor_whose_password_an_administrator_reset_reads_no_notes_until_they_prove_a_factor(app_context):
    counsellor = demo_user("counsellor")
    assert rules.may_read_complaint_notes(counsellor)
    counsellor.admin_password_reset_at = models.Case.get().opened_at
    assert rules.may_handle_complaints(counsellor) and not rules.may_read_complaint_notes(counsellor)
    counsellor = demo_user("counsellor")
    counsellor.admin_factor_reset_at = models.Case.get().opened_at
    assert not rules.may_read_complaint_notes(counsellor)


def test_each_demo_user_has_exactly_the_abilities_of_the_role_table_on_each_demo_case(app_context):
    cases = {case: demo_case(case) for case in CASES}
    noor = pupil("Noor").id
    for username in USERS:
        user = demo_user(username)
        for name, case in cases.items():
            expected = {{"v": "view", "e": "edit", "m": "manage"}[letter]
                        for letter in ACCESS.get(username, {}).get(name, "")}
            assert rules.case_abilities(user, case) == frozenset(expected), "%s on %s: %s" % (
                username, name, sorted(rules.case_abilities(user, case)))
            for need in ("view", "edit", "manage"):
                assert rules.may_case(need, case, user) == (need in expected), (username, name, need)
            for rule, table in CASE_RULES.items():
                function, args = (getattr(rules, rule), ()) if isinstance(rule, str) else (
                    getattr(rules, rule[0]), rule[1:])
                wanted = name in table.get(username, set())
                assert function(user, case, *args) is wanted, "%s for %s on %s: expected %s" % (
                    rule, username, name, wanted)
            for deciders, table in DECIDING.items():
                on, roles = table.get(username, (set(), ()))
                wanted = roles if name in on else ()
                assert rules.deciding_roles(user, case, deciders) == wanted, "deciding_roles%s for %s on %s" % (
                    deciders, username, name)
                assert rules.may_decide_phase(user, case, deciders) is bool(wanted), (deciders, username, name)
            scope = rules.case_reading_scope(user, case)
            if username == "counsellor" and name == "0001":
                assert scope == frozenset({noor}), "the counsellor reads what concerns Noor, got %r" % (scope,)
            elif expected:
                assert scope is None, "%s reads %s whole, got %r" % (username, name, scope)
            assert not rules.reads_as_previous_mentor(user, case), (username, name)
        listed = {suffix(case) for case in rules.visible_cases(user)}
        assert listed == LISTED[username], "visible_cases of %s: %s" % (username, sorted(listed))
        assert not list(rules.handed_over_cases(user)), username


def test_the_team_leader_and_management_see_a_case_at_a_phase_they_decide_and_management_every_case_from_phase_4(
        app_context, factory):
    # (escalation phase, deciders kept on the case): who of the team leader and management reads it.
    table = {(3, "coordinator teamleader"): {"teamleader"}, (3, ""): set(), (4, "coordinator"): {"management"},
             (5, ""): {"management"}, (None, "management"): {"management"}, (2, "coordinator"): set(),
             (4, "teamleader management"): {"teamleader", "management"}}
    made = {}
    for (phase, deciders), readers in table.items():
        case = factory.case(mentor=demo_user("mentor2"))
        models.Case.update(escalation_phase=phase, escalation_deciders=deciders).where(
            models.Case.id == case.id).execute()
        made[case.id] = readers
    for username in ("teamleader", "management", "mentor", "support", "staff"):
        user = demo_user(username)
        for case_id, readers in made.items():
            case = models.Case.get_by_id(case_id)
            wanted = {"view"} if username in readers else set()
            assert rules.case_abilities(user, case) == wanted, "%s on phase %r decided by %r" % (
                username, case.escalation_phase, case.escalation_deciders)
        listed = {case.id for case in rules.visible_cases(user)} & set(made)
        assert listed == {case_id for case_id, readers in made.items() if username in readers}, username
    for case_id in made:  # mentor2 is the mentor of each: their lists hold them, and they write in them
        assert rules.case_abilities(demo_user("mentor2"), models.Case.get_by_id(case_id)) == {"view", "edit"}


def test_a_mentor_sees_the_cases_of_their_classes_pupils_and_those_they_are_mentor_of(app_context, factory):
    mentor, mentor2 = demo_user("mentor"), demo_user("mentor2")
    of_the_class = factory.case(victim=pupil("Sem"))  # no mentor: a pupil of 1A
    led = factory.case(mentor=mentor, victim=factory.pupil(factory.school_class()))  # a pupil of no class of theirs
    neither = factory.case(mentor=mentor2, victim=factory.pupil(factory.school_class()))
    expected = {of_the_class.id: "ve", led.id: "ve", neither.id: ""}
    listed = {case.id for case in rules.visible_cases(mentor)}
    for case_id, letters in expected.items():
        case = models.Case.get_by_id(case_id)
        assert rules.case_abilities(mentor, case) == ({"view", "edit"} if letters else set()), case.reference
        assert (case_id in listed) is bool(letters), case.reference
    support = demo_user("support")
    models.CaseMember.create(case=neither, user=support)
    assert rules.case_abilities(support, neither) == {"view"} and rules.may_record_support(support, neither)
    assert neither.id in {case.id for case in rules.visible_cases(support)}
    assert not rules.may_record_support(demo_user("coordinator"), neither)  # added as a member, not a support role
    other_support = factory.user(roles=("support",))
    assert not rules.case_abilities(other_support, neither), "the member added is the one who helps"
    assert {case.id for case in rules.visible_cases(other_support)} == {demo_case("0001").id}, "referred to the team"


def test_a_mentor_who_lost_the_mentor_role_no_longer_reads_the_cases_they_led_or_of_their_classes(app_context):
    former = demo_user("mentor")
    former.remember_roles(["staff"])  # still the mentor of 1A and 2B, and of their cases, in the records
    for case in CASES:
        assert rules.case_abilities(former, demo_case(case)) == frozenset(), case
        assert not rules.may_complete_step(former, demo_case(case), "mentor"), case
    assert not list(rules.visible_cases(former)) and not list(rules.reports_about_my_pupils(former))
    assert not rules.may_record_prevention(former, models.SchoolClass.get(models.SchoolClass.name == "1A"))
    assert rules.prevention_scope(former) == "school" and not rules.may_view_prevention(former)


# Who reads each demo report (by its case; "signal": the teacher's signal about Amira of 3C, in no case):
# the coordinator, who filed it, who may see its case (the counsellor: it names Noor), and the mentor of a
# pupil it names.
REPORT_READERS = {"0001": {"coordinator", "mentor", "support", "counsellor"},
                  "0002": {"coordinator", "staff", "mentor"},
                  "0003": {"coordinator", "mentor2"}, "0014": {"coordinator", "mentor2"},
                  "0004": {"coordinator", "mentor", "teamleader", "management"},
                  "signal": {"coordinator", "staff", "mentor2"}}
ABOUT_MY_PUPILS = {"mentor": {"0001", "0002", "0004"}, "mentor2": {"0003", "0014", "signal"}}
FILED = {"coordinator": set(REPORT_READERS), "staff": {"0002", "signal"}, "mentor": {"0001", "0004"},
         "mentor2": {"0003"}}  # visible_reports: the coordinator's inbox, everyone else the reports they filed


def demo_reports():
    return {(suffix(report.case) if report.case_id else "signal"): report for report in models.Report.select()}


def test_each_demo_user_reads_exactly_the_demo_reports_the_table_gives_them(app_context):
    reports = demo_reports()
    assert set(reports) == set(REPORT_READERS)
    for username in USERS:
        user = demo_user(username)
        for name, report in reports.items():
            assert rules.may_view_report(user, report) is (username in REPORT_READERS[name]), (username, name)
        about = {name for name, report in reports.items()
                 if report.id in {mine.id for mine in rules.reports_about_my_pupils(user)}}
        assert about == ABOUT_MY_PUPILS.get(username, set()), username
        filed = {name for name, report in reports.items()
                 if report.id in {mine.id for mine in rules.visible_reports(user)}}
        assert filed == FILED.get(username, set()), username


def test_a_report_kept_for_the_coordinator_is_not_read_by_the_mentors_of_its_pupils(app_context):
    reports = demo_reports()
    for name in ("signal", "0003"):
        reports[name].confidential = True
        reports[name].save()
    readers = {username for username in USERS if rules.may_view_report(demo_user(username), reports["signal"])}
    assert readers == {"coordinator", "staff"}
    assert rules.may_view_report(demo_user("mentor2"), reports["0003"]), "the mentor of its case reads it"
    assert {report.id for report in rules.reports_about_my_pupils(demo_user("mentor2"))} == {reports["0014"].id}
    # A report of Noor's case that no longer names her is not the counsellor's to read.
    models.ReportPupil.delete().where(models.ReportPupil.report == reports["0001"],
                                      models.ReportPupil.pupil == pupil("Noor")).execute()
    assert not rules.may_view_report(demo_user("counsellor"), reports["0001"])
    assert rules.may_view_report(demo_user("support"), reports["0001"])


def test_opening_a_case_from_a_report_and_whom_it_may_name(app_context):
    reports = demo_reports()
    coordinator, mentor, mentor2, staff = (demo_user(name) for name in ("coordinator", "mentor", "mentor2", "staff"))
    assert all(rules.may_open_case_from(coordinator, report) for report in reports.values())
    assert rules.may_open_case_from(mentor, reports["0001"]) and rules.may_open_case_from(mentor2, reports["0003"])
    assert not rules.may_open_case_from(mentor, reports["0003"])
    assert not rules.may_open_case_from(mentor2, reports["0014"]), "filed by the coordinator"
    assert not rules.may_open_case_from(staff, reports["signal"]), "filed it, but opens no case"
    mentors, classes = rules.new_case_limits(coordinator)
    assert [user.username for user in mentors] == ["mentor2", "mentor"] and classes is None  # by full name
    mentors, classes = rules.new_case_limits(mentor)
    assert [user.id for user in mentors] == [mentor.id] and classes.id == mentor.id


def first(model, *conditions):
    return model.select().where(*conditions).order_by(model.id).get()


def test_each_record_names_who_recorded_it_and_whom_it_is_about(app_context):
    exclusion, online = demo_case("0001"), demo_case("0002")
    ids = {name: demo_user(name).id for name in ("mentor", "coordinator", "support")}
    names = {record_pupil.id: record_pupil.first_name for record_pupil in models.Pupil.select()}
    victim_talk = first(models.Conversation, models.Conversation.case == exclusion,
                        models.Conversation.step_key == "victim-talk")
    bully_talk = first(models.Conversation, models.Conversation.case == exclusion,
                       models.Conversation.step_key == "bully-talk")
    agreement = first(models.Agreement, models.Agreement.case == exclusion)
    parties = {names[party.pupil_id] for party in agreement.parties if party.pupil_id}
    assert {"Daan", "Tim"} <= parties
    # (record, the case it is of, its author, the first names of the pupils it is about)
    table = [
        (victim_talk, exclusion, "mentor", {"Noor"}),
        (bully_talk, exclusion, "mentor", {"Daan", "Tim"}),
        (first(models.ChecklistEntry, models.ChecklistEntry.conversation == bully_talk), exclusion, "mentor",
         {"Daan", "Tim"}),
        (agreement, exclusion, "mentor", parties),
        (first(models.FollowUp, models.FollowUp.case == exclusion, models.FollowUp.pupil == pupil("Daan"),
               models.FollowUp.done_by.is_null(False)), exclusion, "mentor", {"Daan"}),
        (first(models.Report, models.Report.case == exclusion), exclusion, "mentor", {"Noor", "Daan"}),
        (first(models.SupportSession, models.SupportSession.case == exclusion), exclusion, "support", {"Noor"}),
        (first(models.ParentContact, models.ParentContact.case == exclusion), exclusion, "mentor", {"Noor"}),
        (first(models.Referral, models.Referral.case == exclusion), exclusion, "mentor", {"Noor"}),
        (first(models.Measure, models.Measure.case == online, models.Measure.phase == 2), online, "coordinator",
         {"Sem"}),
        (first(models.Evidence, models.Evidence.case == online), online, "mentor", set()),
        (first(models.PersonalNote, models.PersonalNote.case == exclusion,
               models.PersonalNote.author == ids["support"]),
         exclusion, "support", set()),
        (first(models.CaseEvent, models.CaseEvent.case == exclusion), exclusion, None, set()),
        (models.Complaint.get(), exclusion, None, set()),
    ]
    for record, case, author, about in table:
        kind = type(record).__name__
        assert rules.author_of(record) == (ids[author] if author else None), "author of a %s" % kind
        assert {names[pupil_id] for pupil_id in rules.pupils_of(record, case)} == about, "pupils of a %s" % kind
    # A follow-up of no one pupil (before they were per pupil) is about the pupils of its agreement or talk.
    assert rules.pupils_of(models.FollowUp(agreement=agreement.id), exclusion) == {
        pupil(name).id for name in parties}
    assert rules.pupils_of(models.FollowUp(conversation=victim_talk.id), exclusion) == {pupil("Noor").id}
    assert rules.pupils_of(models.FollowUp(), exclusion) == frozenset()
    assert rules.pupils_of(models.Measure(), online) == frozenset()
    assert rules.pupils_of(models.Conversation(), exclusion) == frozenset()


def test_the_counsellor_reads_of_the_linked_case_only_the_records_about_the_complaints_pupil(app_context):
    exclusion = demo_case("0001")
    counsellor, support, mentor2 = demo_user("counsellor"), demo_user("support"), demo_user("mentor2")
    talks = {talk.step_key: talk for talk in models.Conversation.select().where(models.Conversation.case == exclusion)}
    records = [talks["victim-talk"], talks["bully-talk"],
               first(models.ParentContact, models.ParentContact.case == exclusion),
               first(models.SupportSession, models.SupportSession.case == exclusion),
               first(models.PersonalNote, models.PersonalNote.case == exclusion)]
    read = [True, False, True, True, False]  # Noor's talk, not Daan's and Tim's; her parents; her session; no notes
    for record, wanted in zip(records, read):
        assert rules.may_read_record(counsellor, record, exclusion) is wanted, type(record).__name__
        assert rules.may_read_record(support, record, exclusion), "the support team reads the case whole"
        assert not rules.may_read_record(mentor2, record, exclusion), "mentor2 reads nothing of it"
    assert rules.readable(counsellor, exclusion, records) == [record for record, wanted in zip(records, read) if wanted]
    assert rules.readable(support, exclusion, records) == records
    assert rules.reads_pupil(counsellor, exclusion, pupil("Noor").id)
    assert not rules.reads_pupil(counsellor, exclusion, pupil("Daan").id)
    assert rules.reads_pupil(support, exclusion, pupil("Daan").id)


# Of the pupils in demo cases, those whose page each user may see (a pupil's page: one of their cases it may see).
PUPILS = ("Noor", "Daan", "Lotte", "Bram", "Yara", "Amira")
PUPIL_PAGES = {"mentor": {"Noor", "Daan", "Lotte", "Yara"}, "mentor2": {"Bram"},
               "coordinator": {"Noor", "Daan", "Lotte", "Bram", "Yara"}, "support": {"Noor", "Daan"},
               "counsellor": {"Noor"}, "teamleader": {"Yara"}, "management": {"Yara"}}


def test_each_user_sees_the_pages_of_the_pupils_of_the_cases_they_read(app_context):
    for username in USERS:
        user = demo_user(username)
        seen = {name for name in PUPILS if rules.may_see_pupil(user, pupil(name))}
        assert seen == PUPIL_PAGES.get(username, set()), username
    assert [suffix(case) for case in rules.pupil_cases(demo_user("coordinator"), pupil("Bram"))] == ["0014", "0003"]
    assert [suffix(case) for case in rules.pupil_cases(demo_user("counsellor"), pupil("Noor"))] == ["0001"]


def test_a_complaint_opens_its_case_to_the_counsellor_only_when_its_pupil_is_in_the_case(app_context):
    complaint, exclusion, counsellor = models.Complaint.get(), demo_case("0001"), demo_user("counsellor")
    assert rules.complaint_opens_case(complaint)
    assert rules.complaint_pupils_in_case(exclusion) == {pupil("Noor").id}
    assert rules.complaint_pupils_in_case(demo_case("0002")) == frozenset()
    assert not rules.complaint_opens_case(models.Complaint(case=exclusion.id, pupil=pupil("Lotte").id))
    assert not rules.complaint_opens_case(models.Complaint(case=exclusion.id))
    assert not rules.complaint_opens_case(models.Complaint(pupil=pupil("Noor").id))
    assert rules.may_view_complaint(counsellor, complaint) and not rules.may_view_complaint(demo_user("coordinator"),
                                                                                          complaint)
    complaint.pupil = pupil("Lotte")
    complaint.save()
    assert not rules.complaint_opens_case(complaint)
    assert rules.complaint_pupils_in_case(exclusion) == frozenset()
    assert rules.case_abilities(counsellor, exclusion) == frozenset()
    assert not rules.may_see_pupil(counsellor, pupil("Noor"))
    complaint.pupil = None
    complaint.save()
    assert rules.case_abilities(counsellor, exclusion) == frozenset()


def test_who_closes_a_referral_and_who_reads_what_it_says(app_context):
    to_team = first(models.Referral, models.Referral.case == demo_case("0001"))
    to_training = first(models.Referral, models.Referral.case == demo_case("0003"))
    assert (to_team.target, to_training.target) == ("support_team", "training")
    closers = {"team": {"mentor", "coordinator", "support"}, "training": {"mentor2", "coordinator"}}
    for username in USERS:
        user = demo_user(username)
        assert rules.may_close_referral(user, to_team) is (username in closers["team"]), (username, "team")
        assert rules.may_close_referral(user, to_training) is (username in closers["training"]), username
        assert rules.may_read_referral_content(user, to_team), username
    models.CaseMember.create(case=demo_case("0003"), user=demo_user("support"))  # the team helps, but it is no
    assert not rules.may_close_referral(demo_user("support"), to_training)     # referral to the team
    assert rules.may_close_referral(demo_user("support"), to_team, demo_case("0001"))
    for referral in (to_team, to_training):  # a referral to the confidential counsellor: theirs alone
        referral.target = "counsellor"
        for username in USERS:
            user = demo_user(username)
            assert rules.may_close_referral(user, referral) is (username == "counsellor"), (username, "confidential")
            assert rules.may_read_referral_content(user, referral) is (username == "counsellor"), username


def test_a_mistaken_upload_goes_by_whoever_added_it_or_the_coordinator_while_the_case_is_open(app_context):
    online = demo_case("0002")
    item = first(models.Evidence, models.Evidence.case == online)  # added by the mentor
    deleters = {username for username in USERS if rules.may_delete_evidence(demo_user(username), item)}
    assert deleters == {"mentor", "coordinator"}
    item.collected_by = demo_user("coordinator")
    deleters = {username for username in USERS if rules.may_delete_evidence(demo_user(username), item, online)}
    assert deleters == {"coordinator"}
    item.collected_by = demo_user("mentor2")  # who added it but no longer works on the case
    assert not rules.may_delete_evidence(demo_user("mentor2"), item)
    item.collected_by = demo_user("mentor")
    online.status = "closed"
    for username in USERS:
        assert not rules.may_delete_evidence(demo_user(username), item, online), username


def test_a_measure_is_answered_by_a_role_it_still_waits_for_on_a_case_they_decide(app_context):
    threats, online = demo_case("0004"), demo_case("0002")
    # (case, roles waited for, refused): who may answer it
    table = [(threats, "teamleader management", False, {"teamleader", "management"}),
             (threats, "teamleader management", True, set()),
             (threats, "coordinator", False, {"coordinator"}),
             (threats, "mentor", False, {"mentor"}),
             (threats, "", False, set()),
             (online, "management", False, set()),  # phase 2 of the online case: not management's case
             (online, "mentor coordinator", False, {"mentor", "coordinator"})]
    for case, waiting, refused, answerers in table:
        measure = models.Measure(case=case.id, waiting_for=waiting, refused_at=case.opened_at if refused else None)
        got = {username for username in USERS if rules.may_answer_measure(demo_user(username), case, measure)}
        assert got == answerers, (suffix(case), waiting, refused)


def test_talks_are_changed_by_who_works_on_the_case_or_the_owner_of_the_talks_step(app_context):
    exclusion = demo_case("0001")
    talk = first(models.Conversation, models.Conversation.case == exclusion,
                 models.Conversation.step_key == "victim-talk")
    workers = {username for username in USERS if rules.may_work_on_talk(demo_user(username), talk, exclusion)}
    assert workers == {"mentor", "coordinator"}
    talk.step_key = "extra-help"  # the support team's step in the school's protocol
    workers = {username for username in USERS if rules.may_work_on_talk(demo_user(username), talk, exclusion)}
    assert workers == {"mentor", "coordinator", "support"}
    online = demo_case("0002")
    online_talk = models.Conversation(case=online.id, step_key="extra-help")
    assert not rules.may_work_on_talk(demo_user("support"), online_talk, online), "not a case the team helps on"
    # Handed to a role when agreements break again: that role, who may hold the talk at that step.
    assert rules.takes_over_case(demo_user("coordinator"), exclusion, "coordinator", "mentor")
    assert not rules.takes_over_case(demo_user("mentor"), exclusion, "coordinator", "mentor")
    assert rules.takes_over_case(demo_user("support"), exclusion, "support", "support")
    assert not rules.takes_over_case(demo_user("support"), exclusion, "support", "mentor")
    assert not rules.takes_over_case(demo_user("support"), online, "support", "support")
    assert rules.takes_over_case(demo_user("mentor"), exclusion, "mentor", "coordinator")
    assert not rules.takes_over_case(demo_user("mentor2"), exclusion, "mentor", "mentor")


def test_prevention_is_planned_by_the_coordinator_and_recorded_by_mentors_for_their_classes(app_context):
    classes = {school_class.name: school_class for school_class in models.SchoolClass.select()}
    recorders = {"1A": {"mentor", "coordinator"}, "2B": {"mentor", "coordinator"}, "3C": {"mentor2", "coordinator"}}
    readers = {"coordinator", "support", "teamleader", "management"}  # and a class's mentor
    for username in USERS:
        user = demo_user(username)
        for name, school_class in classes.items():
            assert rules.may_record_prevention(user, school_class) is (username in recorders[name]), (username, name)
            assert rules.may_read_class_prevention(user, school_class) is (
                username in readers | recorders[name]), (username, name)
    activities = list(models.PreventionActivity.select().order_by(models.PreventionActivity.id))
    for activity in activities:
        changers = {username for username in USERS if rules.may_change_activity(demo_user(username), activity)}
        in_class = activity.school_class.name if activity.school_class_id else None
        assert changers == (recorders[in_class] if in_class else {"coordinator"}), (activity.id, in_class)
    assert {activity.school_class_id is None for activity in activities} == {True, False}


def test_the_public_pages_threads_are_answered_by_the_coordinator_for_a_report_and_the_counsellor_for_a_complaint(
        app_context):
    for thread, answerer in ((models.PublicThread(report=1), "coordinator"),
                             (models.PublicThread(complaint=1), "counsellor")):
        got = {username for username in USERS if rules.may_answer_thread(demo_user(username), thread)}
        assert got == {answerer}


def test_the_previous_mentor_reads_only_what_they_recorded_and_only_when_the_school_lets_them(app):
    for reads in (False, True):
        with app.app_context():
            models.SchoolSettings.update(previous_mentor_reads=False).execute()
            models.CaseHandover.delete().execute()
            models.Case.update(mentor=demo_user("mentor2")).where(models.Case.id == demo_case("0003").id).execute()
            models.SchoolClass.update(mentor=demo_user("mentor2")).where(models.SchoolClass.name == "3C").execute()
            hand_over_0003(reads)
        with app.app_context():
            assert rules.previous_mentor_reads() is reads
            physical, mentor, mentor2 = demo_case("0003"), demo_user("mentor"), demo_user("mentor2")
            assert rules.case_abilities(mentor, physical) == {"view", "edit"}
            assert rules.reads_whole_case(mentor, physical)
            assert not list(rules.handed_over_cases(mentor))
            assert rules.case_abilities(mentor2, demo_case("0014")) == {"view", "edit"}, "still its mentor"
            assert {suffix(case) for case in rules.visible_cases(mentor2)} == {"0014"}
            handed = [suffix(case) for case in rules.handed_over_cases(mentor2)]
            note = first(models.PersonalNote, models.PersonalNote.case == physical)  # mentor2's own
            theirs = models.ParentContact(case=physical.id, pupil=pupil("Isa").id, by_user=mentor.id)
            if not reads:
                assert rules.case_abilities(mentor2, physical) == frozenset() and handed == []
                assert not rules.reads_as_previous_mentor(mentor2, physical)
                assert not rules.may_read_record(mentor2, note, physical)
                continue
            assert rules.case_abilities(mentor2, physical) == {"view"} and handed == ["0003"]
            assert rules.reads_as_previous_mentor(mentor2, physical) and not rules.reads_whole_case(mentor2, physical)
            for rule in (rules.may_print_case, rules.may_keep_notes, rules.may_record_support):
                assert not rule(mentor2, physical), rule.__name__
            assert not rules.may_complete_step(mentor2, physical, "mentor")
            assert not rules.may_hold_talk(mentor2, physical, "mentor")
            assert rules.deciding_roles(mentor2, physical, ("mentor",)) == ()
            assert rules.may_read_record(mentor2, note, physical)
            assert not rules.may_read_record(mentor2, theirs, physical), "recorded by the new mentor"
            assert not rules.may_read_record(mentor2, models.CaseEvent(case=physical.id), physical), "no author"
            assert rules.readable(mentor2, physical, [note, theirs]) == [note]
            assert rules.may_view_report(mentor2, first(models.Report, models.Report.case == physical)), "filed it"
            assert rules.case_reading_scope(demo_user("coordinator"), physical) is None
            assert not rules.reads_as_previous_mentor(demo_user("mentor2"), demo_case("0014"))
            assert not list(rules.handed_over_cases(demo_user("coordinator")))


def test_the_previous_mentor_who_still_mentors_a_pupils_class_reads_the_case_as_that_gives_them(app):
    with app.app_context():
        hand_over_0003(True)
        models.SchoolClass.update(mentor=demo_user("mentor2")).where(models.SchoolClass.name == "3C").execute()
    with app.app_context():
        physical, mentor2 = demo_case("0003"), demo_user("mentor2")
        assert rules.case_abilities(mentor2, physical) == {"view", "edit"}
        assert rules.reads_whole_case(mentor2, physical) and not rules.reads_as_previous_mentor(mentor2, physical)
        assert not list(rules.handed_over_cases(mentor2)), "seen for another reason: not among the handed over"


def test_an_answer_about_a_case_is_kept_for_the_request_and_asked_anew_outside_one(app):
    with app.app_context():
        support_id, exclusion_id = demo_user("support").id, demo_case("0001").id
    with app.test_request_context():
        support, mentor, mentor2 = demo_user("support"), demo_user("mentor"), demo_user("mentor2")
        exclusion, physical = demo_case("0001"), demo_case("0003")
        assert rules.case_abilities(support, exclusion) == {"view"} and rules.may_record_support(support, exclusion)
        assert rules.case_abilities(mentor, exclusion) == {"view", "edit"}, "another user: another answer"
        assert rules.case_abilities(mentor2, exclusion) == frozenset()
        assert rules.case_abilities(support, physical) == frozenset(), "another case: another answer"
        assert not rules.may_record_support(support, physical)
        models.Referral.delete().where(models.Referral.case == exclusion_id).execute()
        models.CaseMember.delete().where(models.CaseMember.case == exclusion_id).execute()
        assert rules.case_abilities(support, exclusion) == {"view"}, "kept for the request"
        assert rules.may_record_support(support, exclusion), "kept for the request"
        exclusion.mentor_id = mentor2.id  # a request that hands the case over shows it to the new mentor
        assert rules.case_abilities(mentor2, exclusion) == {"view", "edit"}
        victim_talks = {case: first(models.Conversation, models.Conversation.case == case,
                                    models.Conversation.step_key == "victim-talk") for case in (exclusion, physical)}
        for case, victim in ((exclusion, "Noor"), (physical, "Isa")):  # who a record is about is kept per case
            assert rules.pupils_of(victim_talks[case], case) == {pupil(victim).id}, victim
    with app.app_context():
        support, exclusion = models.User.get_by_id(support_id), demo_case("0001")
        assert rules.case_abilities(support, exclusion) == frozenset(), "outside a request it is asked anew"
        assert not rules.may_record_support(support, exclusion)
        models.CaseMember.create(case=exclusion, user=support)
        assert rules.case_abilities(support, exclusion) == {"view"}
        assert rules.case_abilities(support, exclusion) == {"view"} and rules.may_record_support(support, exclusion)


def test_the_cases_handed_over_are_the_users_own_handovers_newest_case_first(app):
    with app.app_context():
        hand_over_0003(True)  # from mentor2
        coordinator = demo_user("coordinator")
        models.Case.update(opened_at=demo_case("0003").opened_at + datetime.timedelta(days=1)).where(
            models.Case.id == demo_case("0004").id).execute()  # opened after 0003, made before it
        for suffix_, from_mentor in (("0004", "mentor2"), ("0002", "mentor")):
            models.CaseHandover.create(case=demo_case(suffix_), from_mentor=demo_user(from_mentor),
                                       to_mentor=demo_user("mentor"), handed_over_by=coordinator)
    with app.app_context():
        mentor2 = demo_user("mentor2")
        opened = {case: demo_case(case).opened_at for case in ("0003", "0004")}
        newest_first = sorted(opened, key=opened.get, reverse=True)
        assert newest_first != sorted(opened, key=lambda case: demo_case(case).id), "the order must show"
        assert [suffix(case) for case in rules.handed_over_cases(mentor2)] == newest_first, "not 0002: not theirs"
        # A handover reads on only in the case handed over, and only for the mentor it was handed from.
        assert rules.case_abilities(mentor2, demo_case("0002")) == frozenset()
        assert rules.case_abilities(mentor2, demo_case("0004")) == {"view"}
