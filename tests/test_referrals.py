"""Referrals: to the support team (which puts the pupil on its list), the CLB, a training, external
help or the police; closing them."""
import datetime
import html

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user
from domain import cases
from permissions import visible_cases


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def post_referral(client, case, **fields):
    values = {"target": "support_team", "pupil": "", "training": "", "detail": "",
              "referred_on": db.today().isoformat(), "note": ""}
    values.update(fields)
    data = {"referral-" + name: value for name, value in values.items()}
    data["referral-csrf_token"] = csrf_token(client, "/account/")
    return client.post("/dossiers/%d/doorverwijzingen/nieuw" % case.id, data=data)


def close_referral(client, referral, **fields):
    values = {"closed_on": db.today().isoformat(), "close_note": ""}
    values.update(fields)
    data = {"close-" + name: value for name, value in values.items()}
    data["close-csrf_token"] = csrf_token(client, "/account/")
    return client.post("/doorverwijzingen/%d/afsluiten" % referral.id, data=data)


def newest_referral():
    return models.Referral.select().order_by(models.Referral.id.desc()).first()


def test_a_referral_to_the_support_team_puts_the_pupil_on_its_list(login_as):
    case = demo_case("0002")
    support = login_as("support")
    assert support.get("/dossiers/%d" % case.id).status_code == 404
    assert "Lotte van Dijk" not in html.unescape(support.get("/ondersteuning/").get_data(as_text=True))
    mentor = login_as("mentor")
    response = post_referral(mentor, case, pupil=pupil("Lotte").id, note="Lotte durft de klas niet meer in.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#referrals")
    referral = newest_referral()
    assert (referral.target, referral.pupil.first_name, referral.by_user.username, referral.is_open) == (
        "support_team", "Lotte", "mentor", True)
    # The support team's list is built from these rows: the case is theirs to see now.
    assert case.id in {row.id for row in visible_cases(demo_user("support"))}
    assert support.get("/dossiers/%d" % case.id).status_code == 200
    assert "Lotte van Dijk" in html.unescape(support.get("/ondersteuning/").get_data(as_text=True))
    page = html.unescape(mentor.get("/dossiers/%d" % case.id).get_data(as_text=True))
    assert "De leerling staat nu op de lijst van het ondersteuningsteam." in page
    assert "Lotte durft de klas niet meer in." in page
    assert models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "referral").text == \
        "Ondersteuningsteam: Lotte van Dijk"
    assert models.AuditEvent.get(models.AuditEvent.action == "case.referral").object_id == case.id


def test_a_training_names_which_training(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    refused = post_referral(client, case, target="training", pupil=pupil("Daan").id)
    assert refused.status_code == 400
    assert 'id="referral-training-error">Kies welke training.' in html.unescape(refused.get_data(as_text=True))
    assert post_referral(client, case, target="training", pupil=pupil("Daan").id,
                         training="social_skills").status_code == 302
    assert (newest_referral().target, newest_referral().training) == ("training", "social_skills")
    wrong = post_referral(client, case, target="clb", pupil=pupil("Daan").id, training="resilience")
    assert wrong.status_code == 400 and "alleen bij een doorverwijzing naar een training" in wrong.get_data(
        as_text=True)


def criminal_case(app, factory):
    """A vo-nl case of the mentor in which criminal acts may play: the police step applies."""
    case = factory.case(mentor=demo_user("mentor"), victim=factory.pupil(first_name="Vera"),
                        bully=factory.pupil(first_name="Bo"))
    with app.app_context(), models.db.atomic():
        models.Case.update(possibly_criminal=True).where(models.Case.id == case.id).execute()
        cases.sync_steps(models.Case.get_by_id(case.id))
    return case


def test_the_police_needs_the_contact_and_may_complete_the_police_step(app, login_as, factory):
    case = criminal_case(app, factory)
    client = login_as("coordinator")
    refused = post_referral(client, case, target="police", complete_step="police")
    assert refused.status_code == 400
    assert 'id="referral-detail-error">Vul de naam in van de contactpersoon bij de politie.' in html.unescape(
        refused.get_data(as_text=True))
    assert models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "police").status == "open"
    day = db.today() - datetime.timedelta(days=1)
    assert post_referral(client, case, target="police", detail="Wijkagent R. de Boer", referred_on=day.isoformat(),
                         complete_step="police").status_code == 302
    referral = newest_referral()
    assert (referral.target, referral.pupil, referral.detail, referral.referred_on) == (
        "police", None, "Wijkagent R. de Boer", day)
    police_step = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "police")
    assert police_step.status == "done" and police_step.note == "politie: Wijkagent R. de Boer"


def test_the_police_step_is_the_coordinators(app, login_as, factory):
    """A mentor records the police referral, but the coordinator's step is not offered to complete."""
    case = criminal_case(app, factory)
    client = login_as("mentor")
    form_page = client.get("/dossiers/%d/doorverwijzingen/nieuw?naar=police" % case.id).get_data(as_text=True)
    assert '<option selected value="police">' in form_page and 'value="police">Afronden' not in form_page
    response = post_referral(client, case, target="police", detail="Wijkagent", complete_step="police")
    assert response.status_code == 400
    assert models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "police").status == "open"


def test_other_referrals_need_a_pupil_and_external_help_a_name(login_as):
    client = login_as("mentor")
    before = models.Referral.select().count()
    response = post_referral(client, demo_case("0001"), target="external", note="Bewaard na een fout.")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="referral-pupil-error">Kies de leerling die wordt doorverwezen.' in page
    assert 'id="referral-detail-error">Vul in naar welke hulpverlener of instantie.' in page
    assert "Bewaard na een fout." in page
    assert models.Referral.select().count() == before


def test_garbage_in_every_field_is_a_message_not_a_500(login_as):
    client = login_as("mentor")
    response = post_referral(client, demo_case("0001"), target="circus", pupil="x", training="juggling",
                             referred_on="31-02-2026", detail="d" * 201, note="n" * 5001, complete_step="nope")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    for field in ("target", "pupil", "training", "referred_on", "detail", "note", "complete_step"):
        assert 'id="referral-%s-error"' % field in page, field


def test_closing_a_referral_records_when_by_whom_and_how(login_as):
    client = login_as("support")
    referral = models.Referral.get(models.Referral.target == "support_team")
    page = client.get("/doorverwijzingen/%d/afsluiten" % referral.id).get_data(as_text=True)
    assert "Noor Hoekstra" in page
    response = close_referral(client, referral, close_note="Training afgerond; Noor voelt zich sterker.")
    assert response.status_code == 302
    closed = models.Referral.get_by_id(referral.id)
    assert (closed.closed_on, closed.closed_by.username, closed.close_note) == (
        db.today(), "support", "Training afgerond; Noor voelt zich sterker.")
    assert models.CaseEvent.select().where(models.CaseEvent.kind == "referral_closed").count() == 1
    again = close_referral(client, referral)
    assert again.status_code == 302
    assert "Deze doorverwijzing is al afgesloten." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert models.CaseEvent.select().where(models.CaseEvent.kind == "referral_closed").count() == 1


def test_a_referral_does_not_close_before_it_began_or_in_the_future(login_as):
    client = login_as("mentor")
    referral = models.Referral.get(models.Referral.target == "support_team")
    early = close_referral(client, referral, closed_on=(referral.referred_on - datetime.timedelta(days=1)).isoformat(),
                           close_note="Blijft staan.")
    assert early.status_code == 400
    page = html.unescape(early.get_data(as_text=True))
    assert 'id="close-closed_on-error">Een doorverwijzing sluit niet af voordat ze begon.' in page
    assert "Blijft staan." in page
    late = close_referral(client, referral, closed_on=(db.today() + datetime.timedelta(days=2)).isoformat())
    assert late.status_code == 400 and "Een datum in de toekomst kan niet." in late.get_data(as_text=True)
    assert models.Referral.get_by_id(referral.id).is_open


def test_the_support_team_closes_its_own_referral_but_no_other_on_the_case(login_as):
    case = demo_case("0001")
    training = models.Referral.create(case=case, target="training", training="social_skills",
                                      referred_on=db.today())
    client = login_as("support")
    assert client.get("/doorverwijzingen/%d/afsluiten" % training.id).status_code == 403
    assert close_referral(client, training, close_note="Klaar.").status_code == 403
    assert models.Referral.get_by_id(training.id).is_open
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "/doorverwijzingen/%d/afsluiten" % training.id not in page
    mentor_page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "/doorverwijzingen/%d/afsluiten" % training.id in mentor_page


@pytest.mark.parametrize("form", ["oudercontacten", "doorverwijzingen", "bewijs"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_closed_case_takes_no_new_parent_contact_referral_or_evidence(login_as, form, method):
    """A form opened before someone closed the case: back to the case with a message, nothing saved."""
    client = login_as("coordinator")
    closed = models.Case.get(models.Case.status == "closed")
    path = "/dossiers/%d/%s/nieuw" % (closed.id, form)
    with models.db.atomic():
        before = [model.select().count() for model in (models.ParentContact, models.Referral, models.Evidence)]
    response = (client.get(path) if method == "GET"
                else client.post(path, data={"csrf_token": csrf_token(client, "/account/")}))
    assert response.status_code == 302 and response.headers["Location"] == "/dossiers/%d" % closed.id
    assert "Dit dossier is gesloten." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [model.select().count() for model in (models.ParentContact, models.Referral, models.Evidence)] == before
