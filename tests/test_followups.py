"""After the agreement: follow-ups, one more chance, escalation proposed, measures by phase."""
import datetime

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user
from domain import followups


def open_follow_ups(case):
    return list(models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null())
                .order_by(models.FollowUp.due_on))


def record(client, follow_up, outcome, note=""):
    prefix = "f%d-" % follow_up.id
    return client.post("/vervolg/%d" % follow_up.id, data={
        prefix + "csrf_token": csrf_token(client, "/dossiers/%d" % follow_up.case_id),
        prefix + "outcome": outcome, prefix + "note": note, prefix + "with_whom": "Daan en Noor"})


def test_broken_once_is_one_more_chance_twice_proposes_the_next_phase(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    first, second = open_follow_ups(case)[:2]
    response = record(client, first, "not_kept", "Daan scheldt weer in de pauze.")
    assert response.status_code == 302
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "nog één kans" in page and "Voorstel: fase" not in page
    assert models.FollowUp.get_by_id(first.id).with_whom == "Daan en Noor"
    record(client, second, "not_kept")
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "Voorstel: fase 1, Lichte corrigerende maatregel" in page  # the phase the mentor decides
    assert followups.escalation_proposal(case) == 1
    home = login_as("coordinator").get("/").get_data(as_text=True)
    assert "Voorstellen tot escalatie" in home and case.reference in home
    again = record(client, second, "going_well")  # the same follow-up again, as from a second tablet
    assert models.FollowUp.get_by_id(second.id).outcome == "not_kept" and again.status_code == 409
    assert "Dit vervolggesprek is al vastgelegd." in again.get_data(as_text=True)


def test_due_follow_ups_show_in_the_mentors_list(login_as):
    follow_up = open_follow_ups(demo_case("0001"))[0]
    follow_up.due_on = db.today()
    follow_up.save()
    html = login_as("mentor").get("/").get_data(as_text=True)
    assert "Vervolggesprek: Daan van den Berg" in html


def test_the_home_page_s_escalation_proposals_agree_with_each_case_and_cost_one_query(login_as):
    """open_proposals answers for the whole school what escalation_proposal says per case."""
    from test_scale import add_cases, queries_for
    coordinator = login_as("coordinator")
    coordinator.get("/")
    before = queries_for(coordinator, "/")
    pupil = models.Pupil.get(models.Pupil.first_name == "Daan")
    day = db.today() - datetime.timedelta(days=10)

    def break_twice(case_id, last):
        for moment in (last - datetime.timedelta(days=3), last):
            models.FollowUp.create(case=case_id, due_on=moment, outcome="not_kept",
                                   done_at=datetime.datetime.combine(moment, datetime.time(10)))

    with models.db.atomic():
        fresh, measured, answered, earlier = add_cases(4, 0)
        for case_id in (fresh, measured, answered, earlier):
            break_twice(case_id, day)
        models.Measure.create(case=measured, pupil=pupil, phase=2, description="Apart in de pauze",
                              decided_on=day - datetime.timedelta(days=7))  # before the last broken agreement
        models.Measure.create(case=answered, pupil=pupil, phase=1, description="Gesprek met ouders",
                              decided_on=day)  # the measure answered it
        models.Measure.create(case=earlier, pupil=pupil, phase=5, description="Verwijderd",
                              decided_on=day - datetime.timedelta(days=30))
    added = (fresh, measured, answered, earlier)  # beside the demo's case at phase 4
    proposals = {case.id: phase for case, phase in followups.open_proposals() if case.id in added}
    assert proposals == {fresh: 1, measured: 3, earlier: 5}
    for case_id in (fresh, measured, answered, earlier):
        assert followups.escalation_proposal(models.Case.get_by_id(case_id)) == proposals.get(case_id)
        assert coordinator.get("/dossiers/%d" % case_id).status_code == 200  # a measured case's page too
    assert queries_for(coordinator, "/") == before  # however many cases are proposed
