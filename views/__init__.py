"""The web interface: one blueprint per area, each in a module of its own."""
from views import (
    access_requests, account, admin, agreements, audit_log, auth, calendar, cases, complaints, conversations,
    corrections, errors, evidence, followups, home, merges, monitor, notes, parents, prevention, public, public_thread,
    pupil_import, pupils, referrals, reports, settings, support, system,
)

AREAS = (auth, home, account, admin, settings, reports, cases, conversations, agreements, followups, monitor, calendar,
         support, complaints, public, public_thread, system, errors, parents, referrals, evidence, notes,
         access_requests, audit_log, pupil_import, pupils, corrections, merges, prevention)


def register(app):
    """Register every area's blueprint on the app."""
    for area in AREAS:
        app.register_blueprint(area.bp)
