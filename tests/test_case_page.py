"""The case page: what one view of a case costs the database, and its forms keeping what was typed."""
import pytest

import models
from conftest import demo_case


class Statements:
    """Records every SQL statement sent to the database while it is open."""

    def __init__(self):
        self.sql = []

    def __enter__(self):
        database = models.db.obj
        send = database.execute_sql

        def record(sql, *args, **kwargs):
            self.sql.append(sql)
            return send(sql, *args, **kwargs)

        database.execute_sql = record
        return self

    def __exit__(self, *exc_info):
        del models.db.obj.execute_sql


def statements_for(client, url):
    """The statements one GET of the page sends (after a first GET, which also notes the session as seen)."""
    assert client.get(url).status_code == 200
    with Statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements.sql


# A view of a case: the session, the case with its mentor, the audit log's line, the school's settings,
# and everything the page lists in one statement; one more for a reader whose right to the case takes a
# query (the support team: referred to it?; the counsellor: a complaint about it?). Before the case page
# had one home each of these views cost 20 statements (21 for the support team).
@pytest.mark.parametrize("username,suffix,budget", [
    ("mentor", "0001", 5),  # the mentor's richest demo case: follow-ups, sessions, referral, parents, notes
    ("mentor", "0002", 5),  # the online case: evidence and measures
    ("mentor2", "0003", 5),  # a conversation under way and a draft agreement
    ("coordinator", "0001", 5),
    ("support", "0001", 6),
    ("counsellor", "0001", 6),
])
def test_a_view_of_a_case_costs_a_handful_of_statements(login_as, username, suffix, budget):
    sql = statements_for(login_as(username), "/dossiers/%d" % demo_case(suffix).id)
    assert len(sql) <= budget, "\n".join(statement[:120] for statement in sql)
