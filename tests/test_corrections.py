"""Correcting a case (issue 20): pupils and roles, the mentor, the online and criminal flags, a step set
aside by hand; each on the timeline (with what was before) and in the audit log, the steps synced at once."""
import re

import models
from conftest import csrf_token, demo_case, demo_user


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def post(client, case, path, **data):
    page = "/dossiers/%d/corrigeren" % case.id
    return client.post("/dossiers/%d/%s" % (case.id, path), data=dict(csrf_token=csrf_token(client, page), **data))


def timeline(case):
    return [event.text for event in models.CaseEvent.select().where(
        models.CaseEvent.case == case, models.CaseEvent.kind == "correction").order_by(models.CaseEvent.id)]


def corrections_logged(case):
    return models.AuditEvent.select().where(models.AuditEvent.action == "case.correction",
                                            models.AuditEvent.object_id == case.id).count()


def role_of(case, first_name):
    return models.Involvement.get(models.Involvement.case == case, models.Involvement.pupil == pupil(first_name)).role


def test_the_coordinator_adds_a_pupil_changes_a_role_and_removes_a_pupil_with_a_reason(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    assert client.get("/dossiers/%d/corrigeren" % case.id).status_code == 200
    added = post(client, case, "leerlingen", **{"role_%d" % pupil("Luuk").id: "bystander"})
    assert added.status_code == 302 and role_of(case, "Luuk") == "bystander"
    changed = post(client, case, "leerlingen/%d/rol" % pupil("Luuk").id, **{"p%d-role" % pupil("Luuk").id: "follower"})
    assert changed.status_code == 302 and role_of(case, "Luuk") == "follower"
    removed = post(client, case, "leerlingen/%d/verwijderen" % pupil("Luuk").id,
                   **{"r%d-reason" % pupil("Luuk").id: "Per vergissing toegevoegd."})
    assert removed.status_code == 302
    assert not models.Involvement.select().where(models.Involvement.case == case,
                                                 models.Involvement.pupil == pupil("Luuk")).exists()
    assert timeline(case) == [
        "Leerling toegevoegd: Luuk Dekker als stille getuige",
        "Rol van Luuk Dekker gewijzigd: was stille getuige, nu meeloper",
        "Leerling verwijderd: Luuk Dekker (was meeloper). Reden: Per vergissing toegevoegd."]
    assert corrections_logged(case) == 3
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Rol van Luuk Dekker gewijzigd: was stille getuige, nu meeloper" in page  # on the timeline


def test_a_removal_needs_a_reason_and_the_last_victim_stays(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    no_reason = post(client, case, "leerlingen/%d/verwijderen" % pupil("Tim").id,
                     **{"r%d-reason" % pupil("Tim").id: " "})
    assert no_reason.status_code == 400 and "Geef een reden." in no_reason.get_data(as_text=True)
    victim = post(client, case, "leerlingen/%d/verwijderen" % pupil("Noor").id,
                  **{"r%d-reason" % pupil("Noor").id: "Vergissing"})
    assert victim.status_code == 409 and "minstens één gepeste leerling" in victim.get_data(as_text=True)
    to_bystander = post(client, case, "leerlingen/%d/rol" % pupil("Noor").id,
                        **{"p%d-role" % pupil("Noor").id: "helper"})
    assert to_bystander.status_code == 409 and role_of(case, "Noor") == "victim"
    assert timeline(case) == [] and corrections_logged(case) == 0


def test_records_keep_the_role_the_pupil_had_then(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    party = models.AgreementParty.get(models.AgreementParty.pupil == pupil("Tim"))
    post(client, case, "leerlingen/%d/rol" % pupil("Tim").id, **{"p%d-role" % pupil("Tim").id: "bully"})
    assert role_of(case, "Tim") == "bully"
    assert models.AgreementParty.get_by_id(party.id).role == "follower"  # signed as a follower


def test_the_mentor_hands_over_and_the_new_mentor_has_it_at_once(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    response = post(client, case, "overdragen", mentor=str(demo_user("mentor2").id))
    assert response.status_code == 302
    assert models.Case.get_by_id(case.id).mentor == demo_user("mentor2")
    assert timeline(case) == ["Overgedragen: was Jeroen Bakker, nu Fatima El Amrani"]
    assert case.reference in login_as("mentor2").get("/").get_data(as_text=True)
    refused = post(client, case, "overdragen", mentor=str(demo_user("staff").id))  # not a mentor
    assert refused.status_code == 400 and models.Case.get_by_id(case.id).mentor == demo_user("mentor2")


def step(case, key):
    return models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == key)


def test_flags_bring_conditional_steps_and_what_was_done_stays_done(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    assert step(case, "online-evidence").status == "not_applicable" and step(case, "police").status == "not_applicable"
    done_before = {row.step_key for row in models.CaseStep.select().where(models.CaseStep.case == case,
                                                                          models.CaseStep.status == "done")}
    assert post(client, case, "kenmerken", online="y", possibly_criminal="y").status_code == 302
    assert step(case, "online-evidence").status == "open" and step(case, "online-evidence").due_on is not None
    assert step(case, "police").status == "open"
    assert timeline(case) == ["Kenmerken gewijzigd: online: was nee, nu ja; mogelijk strafbaar: was nee, nu ja"]
    assert post(client, case, "kenmerken", online="y").status_code == 302
    assert step(case, "police").status == "not_applicable"
    assert {row.step_key for row in models.CaseStep.select().where(
        models.CaseStep.case == case, models.CaseStep.status == "done")} == done_before
    assert corrections_logged(case) == 2


def test_a_step_set_aside_by_hand_with_a_reason_and_undone(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    open_step = models.CaseStep.select().where(models.CaseStep.case == case, models.CaseStep.status == "open") \
        .order_by(models.CaseStep.position).first()
    no_reason = post(client, case, "niet-van-toepassing", step=open_step.step_key, reason="")
    assert no_reason.status_code == 400 and "Geef een reden." in no_reason.get_data(as_text=True)
    assert post(client, case, "niet-van-toepassing", step=open_step.step_key,
                reason="Ouders al gesproken bij een eerder dossier.").status_code == 302
    row = step(case, open_step.step_key)
    assert row.status == "not_applicable" and row.due_on is None
    assert row.set_aside_reason == "Ouders al gesproken bij een eerder dossier."
    synced = client.post("/dossiers/%d/aanpak" % case.id, data={  # another sync of the steps leaves it set aside
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "approach": "confrontational",
        "approach_level": "group"})
    assert synced.status_code == 302
    assert step(case, open_step.step_key).status == "not_applicable"
    page = client.get("/dossiers/%d/corrigeren" % case.id).get_data(as_text=True)
    assert "Ouders al gesproken bij een eerder dossier." in page
    tracker = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Met de hand niet van toepassing: Ouders al gesproken bij een eerder dossier." in tracker
    assert post(client, case, "stappen/%s/terugzetten" % open_step.step_key).status_code == 302
    row = step(case, open_step.step_key)
    assert row.status == "open" and row.set_aside_reason == "" and row.due_on == open_step.due_on
    assert re.match(r"Stap niet van toepassing: .+\. Reden: Ouders al gesproken", timeline(case)[0])
    assert timeline(case)[1].startswith("Stap weer van toepassing")
    again = post(client, case, "stappen/%s/terugzetten" % open_step.step_key)
    assert again.status_code == 409


def test_only_the_coordinator_corrects(login_as):
    case = demo_case("0001")
    mentor = login_as("mentor")
    assert mentor.get("/dossiers/%d/corrigeren" % case.id).status_code == 403
    response = mentor.post("/dossiers/%d/overdragen" % case.id, data={
        "csrf_token": csrf_token(mentor, "/dossiers/%d" % case.id), "mentor": demo_user("mentor2").id})
    assert response.status_code == 403 and models.Case.get_by_id(case.id).mentor == demo_user("mentor")
