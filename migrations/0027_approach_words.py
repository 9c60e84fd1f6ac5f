"""The timeline's "Aanpak vastgelegd" lines said the approach in code ("non_confrontational / group"); they now say
it in words, as every other line of the case file ("niet-confronterende aanpak, in de groep"). This rewrites the
lines written before, and back again. The words are fixed here, not imported: a migration says what it did then."""
from playhouse.migrate import *  # noqa: F401,F403

APPROACHES = {"confrontational": "confronterende aanpak", "non_confrontational": "niet-confronterende aanpak",
              "-": "geen aanpak gekozen"}
LEVELS = {"individual": ", individueel", "group": ", in de groep", "class": ", in de klas", "-": ""}
PAIRS = [("%s / %s" % (approach, level), APPROACHES[approach] + LEVELS[level])
         for approach in APPROACHES for level in LEVELS]
UPDATE = "UPDATE case_event SET text = %s WHERE kind = 'approach' AND text = %s"


def _rewrite(db, pairs):
    placeholder = db.param
    for old, new in pairs:
        db.execute_sql(UPDATE.replace("%s", placeholder), (new, old))


def up(migrator, db):
    _rewrite(db, PAIRS)


def down(migrator, db):
    _rewrite(db, [(new, old) for old, new in PAIRS])
