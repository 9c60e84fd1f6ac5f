"""Merging two cases about the same events (issue 20): the coordinator confirms, everything of the one case
comes together in the other, which stays; the one that went is closed with a pointer its address still
shows. Undone on the same day, every record goes back; refused after the day, and refused outright once
both cases have signed agreements."""
import datetime

import time_machine

import models
from conftest import csrf_token, demo_case

MOVING = (models.Report, models.Conversation, models.Evidence, models.ParentContact, models.Referral,
          models.SupportSession, models.Measure, models.FollowUp, models.PersonalNote, models.Complaint,
          models.CaseEvent, models.CaseMember)


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def merge(client, kept, merged=None, confirm=True):
    data = {"csrf_token": csrf_token(client, "/dossiers/%d/samenvoegen" % kept.id)}
    if merged is not None:
        data["other"] = merged.id
    if confirm:
        data["confirm"] = "y"
    return client.post("/dossiers/%d/samenvoegen" % kept.id, data=data)


def undo(client, kept, record):
    token = csrf_token(client, "/dossiers/%d/corrigeren" % kept.id)
    return client.post("/dossiers/%d/samenvoegen/%d/ongedaan" % (kept.id, record.id), data={"csrf_token": token})


def where_things_are(*cases):
    """Every record of these cases by table, with its case (and for pupils and agreements what else counts)."""
    ids = [case.id for case in cases]
    state = {model._meta.table_name: sorted((row.id, row.case_id) for row in model.select().where(
        model.case.in_(ids))) for model in MOVING}
    state["involvement"] = sorted((row.case_id, row.pupil_id, row.role) for row in models.Involvement.select().where(
        models.Involvement.case.in_(ids)))
    state["agreement"] = sorted((row.id, row.case_id, row.version) for row in models.Agreement.select().where(
        models.Agreement.case.in_(ids)))
    state["case_step"] = sorted((row.id, row.case_id, row.status, row.done_at, row.due_on) for row in
                                models.CaseStep.select().where(models.CaseStep.case.in_(ids)))
    state["case"] = sorted((row.id, row.status, row.online, row.close_reason) for row in models.Case.select().where(
        models.Case.id.in_(ids)))
    return state


def texts(case, kind):
    return [event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case,
                                                                    models.CaseEvent.kind == kind)]


def test_a_case_goes_into_another_and_comes_back_out_on_the_same_day(app, login_as):
    kept, merged = demo_case("0001"), demo_case("0003")  # 2B's case (signed) takes in 3C's (a draft agreement)
    with models.db.atomic():  # Noor, bullied in 0001, turns out to have seen 3C's bullying too
        models.Involvement.create(case=merged, pupil=pupil("Noor"), role="bystander")
    before = where_things_are(kept, merged)
    merged_reports = [row.id for row in models.Report.select().where(models.Report.case == merged)]
    merged_talks = [row.id for row in models.Conversation.select().where(models.Conversation.case == merged)]
    assert merged_reports and merged_talks
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with time_machine.travel(now, tick=False):
        coordinator = login_as("coordinator")
        asked = coordinator.get("/dossiers/%d/samenvoegen" % kept.id)
        assert asked.status_code == 200 and merged.reference in asked.get_data(as_text=True)
        response = merge(coordinator, kept, merged)
        assert response.status_code == 302, response.get_data(as_text=True)

        assert models.Case.get_by_id(merged.id).status == "closed"
        assert all(models.Report.get_by_id(i).case_id == kept.id for i in merged_reports)
        assert all(models.Conversation.get_by_id(i).case_id == kept.id for i in merged_talks)
        roles = {(row.pupil.first_name, row.role) for row in models.Involvement.select().where(
            models.Involvement.case == kept)}
        assert ("Noor", "victim") in roles and ("Noor", "bystander") not in roles  # one involvement, kept's role
        assert {("Isa", "victim"), ("Bram", "bully"), ("Finn", "follower")} <= roles
        assert not models.Involvement.select().where(models.Involvement.case == merged).exists()
        versions = [row.version for row in models.Agreement.select().where(models.Agreement.case == kept)]
        assert len(versions) == len(set(versions)) > 1  # the draft numbered after 0001's versions
        assert texts(kept, "merged")[0].startswith("Dossier %s is hierin opgegaan: " % merged.reference)
        assert texts(merged, "merged") == ["Samengevoegd met dossier %s; alles staat nu daar" % kept.reference]
        assert models.AuditEvent.select().where(models.AuditEvent.action == "case.correction",
                                                models.AuditEvent.object_id.in_([kept.id, merged.id])).count() == 2

        # The merged case's address still works and shows where everything went.
        pointer = coordinator.get("/dossiers/%d" % merged.id).get_data(as_text=True)
        assert "Samengevoegd met dossier %s" % kept.reference in pointer
        assert "/dossiers/%d\"" % kept.id in pointer
        page = coordinator.get("/dossiers/%d" % kept.id).get_data(as_text=True)
        assert "Dossier %s is op" % merged.reference in page and "Isa" in page

        record = models.CaseMerge.get(models.CaseMerge.merged == merged)
        assert undo(coordinator, kept, record).status_code == 302
    after = where_things_are(kept, merged)
    added = {row.id for row in models.CaseEvent.select().where(models.CaseEvent.kind.in_(("merged", "merge_undone")))}
    after["case_event"] = [row for row in after["case_event"] if row[0] not in added]
    assert after == before  # every record back where it was, the pupils with their roles, the steps as they were
    assert texts(merged, "merge_undone") == ["Niet meer samengevoegd met dossier %s; weer open" % kept.reference]
    assert models.CaseMerge.get_by_id(record.id).undone_at is not None


def test_an_undo_is_refused_after_the_day_of_the_merge(app, login_as):
    kept, merged = demo_case("0001"), demo_case("0002")
    with time_machine.travel(datetime.datetime(2026, 12, 7, 15, 0), tick=False) as clock:
        assert merge(login_as("coordinator"), kept, merged).status_code == 302
        record = models.CaseMerge.get(models.CaseMerge.merged == merged)
        clock.move_to(datetime.datetime(2026, 12, 8, 8, 0))
        coordinator = login_as("coordinator")
        page = coordinator.get("/dossiers/%d/corrigeren" % kept.id).get_data(as_text=True)
        assert "Alleen op de dag zelf ongedaan te maken." in page
        refused = undo(coordinator, kept, record)
    assert refused.status_code == 409
    assert "alleen op de dag zelf ongedaan" in refused.get_data(as_text=True)
    assert "7 december 2026" in refused.get_data(as_text=True)
    assert models.Case.get_by_id(merged.id).status == "closed"


def test_signed_agreements_refuse_a_merge_with_the_reason(app, login_as):
    coordinator = login_as("coordinator")
    both = merge(coordinator, demo_case("0001"), demo_case("0004"))  # both have a signed agreement
    assert both.status_code == 409
    assert "Beide dossiers hebben een ondertekende herstelovereenkomst" in both.get_data(as_text=True)
    other_way = merge(coordinator, demo_case("0003"), demo_case("0001"))  # 0001's signed one belongs to 0001
    assert other_way.status_code == 409
    assert "Voeg daarom dossier %s samen in %s" % (demo_case("0003").reference, demo_case("0001").reference) in \
        other_way.get_data(as_text=True)
    assert not models.CaseMerge.select().exists()
    assert models.Case.get_by_id(demo_case("0001").id).status == "open"


def test_the_confirmation_asks_which_case_and_a_tick_and_keeps_the_choice(app, login_as):
    coordinator = login_as("coordinator")
    kept, merged = demo_case("0001"), demo_case("0003")
    nothing = merge(coordinator, kept, confirm=False)
    assert nothing.status_code == 400
    text = nothing.get_data(as_text=True)
    assert "Kies het dossier dat in dit dossier opgaat." in text and 'href="#other"' in text
    unconfirmed = merge(coordinator, kept, merged, confirm=False)
    text = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 400 and "Vink aan dat je de dossiers wilt samenvoegen." in text
    assert '<option selected value="%d">' % merged.id in text and 'id="merge-moves"' in text
    assert models.Case.get_by_id(merged.id).status == "open"
