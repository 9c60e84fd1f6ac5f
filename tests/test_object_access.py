"""Object-level access: every route that takes a record's id, tried by every role with the ids of
records that role may not see. Never a 2xx or a redirect into the app, never a changed record.

The ids come from the demo cases each role may not see; a route whose id this file cannot
resolve fails test_every_id_in_a_route_can_be_resolved, so new kinds of record join in.
"""
import re

import pytest
from werkzeug.routing import IntegerConverter

import models
from conftest import csrf_token, fingerprints
from access_routes import LOGGED_IN, hand_over_0003

# An id in a route, by the name of its argument: the model it names (found in models.MODELS by
# name) unless listed here. Arguments that are not record ids are resolved separately.
ALIASES = {"follow_up": models.FollowUp, "party": models.AgreementParty, "entry": models.ChecklistEntry,
           "line": models.ConversationLine, "session": models.SupportSession, "thread": models.PublicThread,
           "note": models.PersonalNote, "merge": models.CaseMerge, "identity": models.UserIdentity}
NOT_RECORDS = {"filename", "token"}

# Which demo cases each role may see, written out from DESIGN.md's role table and the demo school, not
# asked of the permissions package (the code under test): the mentor of 1A and 2B sees those classes' cases,
# mentor2 those of 3C (this year's and the closed one of 2024), the coordinator every case, the support
# team the case referred to it, the counsellor the case linked to Noor's complaint, the team leader and
# management the case waiting at phase 4 for them; a teacher without a case role and the administrator none.
ALL_CASES = {"2026-0001", "2026-0002", "2026-0003", "2026-0004", "2024-0014"}
VISIBLE = {"staff": set(), "mentor": {"2026-0001", "2026-0002", "2026-0004"}, "mentor2": {"2026-0003", "2024-0014"},
           "coordinator": ALL_CASES, "support": {"2026-0001"}, "counsellor": {"2026-0001"},
           "teamleader": {"2026-0004"}, "management": {"2026-0004"}, "admin": set()}


def model_of(argument):
    name = argument[:-3] if argument.endswith("_id") else argument
    if name in ALIASES:
        return ALIASES[name]
    wanted = name.replace("_", "")
    return next((model for model in models.MODELS if model.__name__.lower() == wanted), None)


def id_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and set(rule.arguments) - NOT_RECORDS]


def resolve(rule, case, user):
    """The route's URL with ids of records that belong to `case`, or None when it has none of them.
    Reports its user filed stay theirs to read, whatever case they went into."""
    values, chosen = {}, {}
    for argument in sorted(rule.arguments, key=rule.rule.find):  # outer records first
        if argument == "step_key":
            step = models.CaseStep.get_or_none(models.CaseStep.case == case)
            if step is None:
                return None
            values[argument] = step.step_key
            continue
        model = model_of(argument)
        if model is models.User:
            values[argument] = case.mentor_id or models.User.select().first().id
            continue
        if model is models.Case:
            chosen[model], values[argument] = case, case.id
            continue
        query = model.select()
        for parent, record in chosen.items():  # within the records already chosen (an item of that talk)
            for field in model._meta.refs:
                if field.rel_model is parent:
                    query = query.where(field == record)
        case_field = next((field for field in model._meta.refs if field.rel_model is models.Case), None)
        through = next((field for field in model._meta.refs if field.rel_model in (models.Conversation,
                                                                                   models.Agreement)), None)
        if case_field is not None:
            query = query.where(case_field == case)
            if model is models.Report:
                query = query.where((models.Report.created_by != user) | models.Report.created_by.is_null())
        elif through is not None:
            query = query.join(through.rel_model, on=(through == through.rel_model.id)).where(
                through.rel_model.case == case)
        else:
            return None
        record = query.first()
        if record is None:
            return None
        chosen[model], values[argument] = record, record.id
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda match: str(values[match.group(1)]), rule.rule)


def test_every_id_in_a_route_can_be_resolved(app):
    unknown = sorted({argument for rule in id_rules(app) for argument in rule.arguments
                      if argument not in NOT_RECORDS and argument != "step_key" and model_of(argument) is None})
    assert not unknown, "route arguments this test cannot turn into records: %s (add them to ALIASES)" % unknown


@pytest.mark.parametrize("role", LOGGED_IN)
def test_each_role_opens_exactly_the_cases_the_table_gives_it(app, login_as, role):
    client = login_as(role)
    with app.app_context():
        cases = {case.reference: case.id for case in models.Case.select()}
    opened = {reference for reference, case_id in cases.items()
              if client.get("/dossiers/%d" % case_id).status_code == 200}
    assert opened == VISIBLE[role]


@pytest.mark.parametrize("role", LOGGED_IN)
def test_no_role_reaches_a_record_of_a_case_it_may_not_see(app, login_as, role):
    client = login_as(role)
    token = csrf_token(client, "/account/")
    with app.app_context():
        user = models.User.by_username(role)
        assert {case.reference for case in models.Case.select()} == ALL_CASES  # the demo the table was written for
        hidden = [case for case in models.Case.select() if case.reference not in VISIBLE[role]]
        attempts = [(rule, url) for case in hidden for rule in id_rules(app)
                    if "user_id" not in rule.arguments for url in [resolve(rule, case, user)] if url]
    assert hidden or role == "coordinator"
    tried = 0
    with app.app_context():  # nothing may change: after every POST the school is as it was here
        before = fingerprints()
    for rule, url in attempts:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = (client.get(url) if method == "GET"
                        else client.post(url, data={"csrf_token": token, "done": "1", "text": "x"}))
            assert response.status_code in (403, 404), "%s %s answered %d for %s" % (
                method, url, response.status_code, role)
            if method == "POST":
                with app.app_context():
                    assert fingerprints() == before, "%s %s (or a GET since the last POST) changed a record for %s" % (
                        method, url, role)
            tried += 1
    assert tried > 10 or role == "coordinator"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_id_beyond_the_databases_integers_is_not_found(app, login_as, method):
    """Every route with a number in it, given one too large for the database: 404, never a 500."""
    client = login_as("coordinator")
    token = csrf_token(client, "/")
    tried = 0
    for rule in app.url_map.iter_rules():
        numbers = {name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)}
        if not numbers or method not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:\w+:)?%s>" % name, str(10 ** 20) if name in numbers else "x", path)
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (path, response.status_code)
        tried += 1
    assert tried > 20


# What a support team member does on a case referred to them (or they were added to): read the
# case and what belongs to it, record their sessions and report back (closing the referral to the team,
# test_referrals checks it is that one), keep their own work notes.
SUPPORT_WORK = {"support.new_session", "support.edit_session", "support.close_referral", "referrals.close",
                "notes.new", "notes.edit", "notes.delete"}
SUPPORT_READS = {"cases.detail", "conversations.checklist", "conversations.report", "agreements.edit",
                 "agreements.download", "evidence.show", "evidence.download", "evidence.report", "reports.detail",
                 "cases.case_pdf", "pupils.page"}  # the case as a PDF, and the pages of its pupils, are reading too


def test_support_member_changes_nothing_of_the_protocol_on_a_case_referred_to_them(app, login_as):
    """Every route with an id of a record of a support case: steps, talks, agreements, measures,
    follow-ups, parents, referrals and evidence answer 403 and change nothing."""
    client = login_as("support")
    token = csrf_token(client, "/account/")
    with app.app_context():
        user = models.User.by_username("support")
        cases = [case for case in models.Case.select() if case.reference in VISIBLE["support"]]
        attempts = [(rule, url) for case in cases for rule in id_rules(app)
                    if "user_id" not in rule.arguments and rule.endpoint not in SUPPORT_WORK
                    for url in [resolve(rule, case, user)] if url]
    assert cases
    refused = set()
    for rule, url in attempts:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET" and rule.endpoint in SUPPORT_READS:
                continue
            with app.app_context():
                before = fingerprints()
            response = (client.get(url) if method == "GET"
                        else client.post(url, data={"csrf_token": token, "done": "1", "text": "x"}))
            expected = 404 if rule.endpoint.startswith("complaints.") else 403  # complaints are the counsellor's secret
            assert response.status_code == expected, "%s %s answered %d for support" % (
                method, url, response.status_code)
            with app.app_context():
                assert fingerprints() == before, "%s %s changed a record for support" % (method, url)
            refused.add(rule.endpoint)
    for endpoint in ("cases.complete_step", "followups.measure", "followups.record", "parents.new",
                     "referrals.new", "evidence.new", "cases.close", "conversations.new", "agreements.new"):
        assert endpoint in refused, "%s was not tried" % endpoint


# What the previous mentor reads of a case handed over from them, when the school lets them (permissions.rules):
# the case page and the records they recorded themselves; every change, every form to add a record, the case as
# a PDF and the evidence log answer 403 or 404 and change nothing. Without the setting, nothing of it at all.
PREVIOUS_MENTOR_READS = {"cases.detail", "conversations.checklist", "agreements.edit", "agreements.download"}


@pytest.mark.parametrize("reads", [False, True], ids=["setting off", "setting on"])
def test_the_previous_mentor_changes_nothing_of_a_case_handed_over_and_reads_only_with_the_setting(
        app, login_as, reads):
    with app.app_context():
        hand_over_0003(reads)
        user = models.User.by_username("mentor2")
        case = models.Case.get(models.Case.reference == "2026-0003")
        attempts = [(rule, url) for rule in id_rules(app) if "user_id" not in rule.arguments
                    for url in [resolve(rule, case, user)] if url]
    client = login_as("mentor2")
    token = csrf_token(client, "/account/")
    read, refused = set(), set()
    for rule, url in attempts:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.app_context():
                before = fingerprints()
            response = (client.get(url) if method == "GET"
                        else client.post(url, data={"csrf_token": token, "done": "1", "text": "x"}))
            if reads and method == "GET" and rule.endpoint in PREVIOUS_MENTOR_READS:
                assert response.status_code == 200, "GET %s answered %d" % (url, response.status_code)
                read.add(rule.endpoint)
            else:
                allowed = (403, 404) if reads else (404,)
                assert response.status_code in allowed, "%s %s answered %d for the previous mentor" % (
                    method, url, response.status_code)
                refused.add(rule.endpoint)
            with app.app_context():
                assert fingerprints() == before, "%s %s changed a record for the previous mentor" % (method, url)
    assert read == (PREVIOUS_MENTOR_READS if reads else set())
    for endpoint in ("cases.complete_step", "followups.measure", "parents.new", "referrals.new", "evidence.new",
                     "conversations.new", "conversations.tick", "agreements.new", "agreements.sign",
                     "corrections.hand_over",
                     "notes.new", "notes.edit", "notes.delete", "cases.case_pdf", "evidence.report"):
        assert endpoint in refused, "%s was not tried" % endpoint
