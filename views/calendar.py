"""The calendar feed: a secret link per user, readable by their calendar app without logging in."""
import hashlib

from flask import Blueprint, Response, abort, url_for

import audit
from domain import calendar, protocols
from models import User

bp = Blueprint("calendar", __name__)


@bp.route("/agenda/<token>.ics")
def feed(token):
    """The user's due steps and follow-ups as ICS; an unknown or renewed link is not found."""
    user = User.get_or_none(User.calendar_token_hash == hashlib.sha256(token.encode()).hexdigest(),
                            User.is_active == True)  # noqa: E712
    if user is None:
        abort(404)
    data = calendar.user_calendar(user, protocols.step_title,
                             lambda case: url_for("cases.detail", case_id=case.id, _external=True),
                             prevention_url=url_for("prevention.index", _external=True))
    audit.seen("calendar.feed", user, user=user)
    return Response(data, mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=herstel.ics"})
