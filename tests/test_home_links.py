"""The home page's to-dos lead somewhere: each link to a place on a case page finds that place there, and a
home page with a measure waiting for the user's decision does not say there is nothing to do."""
import re

from conftest import demo_user


def test_every_to_do_that_leads_to_a_place_on_a_case_page_finds_it(login_as):
    for username in ("mentor", "mentor2", "coordinator", "teamleader", "management"):
        client = login_as(username)
        home = client.get("/").get_data(as_text=True)
        links = set(re.findall(r'href="(/dossiers/\d+)#((?:followup|measure|proposal)-\d+)"', home))
        if username == "mentor":
            assert links, "the demo mentor has follow-up talks this week"
        for path, anchor in links:
            page = client.get(path).get_data(as_text=True)
            assert 'id="%s"' % anchor in page, (username, path, anchor)


def test_a_decision_waiting_is_not_nothing_to_do(login_as):
    for username in ("teamleader", "management"):
        home = login_as(username).get("/").get_data(as_text=True)
        assert "Voorstellen tot escalatie" in home or "wacht op jouw" in home.lower(), username
        assert "Niets deze week" not in home, username
    assert demo_user("staff").full_name  # staff sees no cases: neither list nor the empty message
    assert "Niets deze week" not in login_as("staff").get("/").get_data(as_text=True)
