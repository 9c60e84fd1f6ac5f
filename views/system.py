"""Endpoints for the people who run the server."""
from flask import Blueprint

bp = Blueprint("system", __name__)


@bp.route("/health")
def health():
    """A trivial answer: the baseline for what the server and framework cost."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
