"""Migration 0027: the timeline's approach lines written in code ("non_confrontational / group") say it in words,
as the new ones do; other lines are left as they are; and back again (on both databases: make test-postgres)."""
from playhouse.migrations import Runner

import db
from databases import drop_database, new_database

NAME = "0027_approach_words"
CASE = ("INSERT INTO \"case\" (reference, title, protocol_key, status, online, possibly_criminal, opened_at, "
        "close_reason) VALUES ('2026-0001', '', 'stappenplan-vl', 'open', FALSE, FALSE, '2026-01-01 10:00:00', '')")
EVENTS = [("approach", "non_confrontational / group"), ("approach", "confrontational / -"), ("approach", "- / -"),
          ("step_done", "confrontational / -")]  # the same text on another kind of line stays


def test_the_approach_lines_say_the_approach_in_words_and_back(tmp_path):
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up("0026_monitor_years")
    database.execute_sql(CASE)
    for kind, text in EVENTS:
        database.execute_sql("INSERT INTO case_event (case_id, at, kind, text) VALUES (1, '2026-01-02 10:00:00', "
                             "'%s', '%s')" % (kind, text))

    def texts():
        return [row[0] for row in database.execute_sql("SELECT text FROM case_event ORDER BY id").fetchall()]

    Runner(database, db.MIGRATIONS).up(NAME)
    assert texts() == ["niet-confronterende aanpak, in de groep", "confronterende aanpak", "geen aanpak gekozen",
                       "confrontational / -"]
    Runner(database, db.MIGRATIONS).down(NAME)
    assert texts() == [text for _kind, text in EVENTS]
    database.close_all()
    drop_database(location)
