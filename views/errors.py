"""Error pages in the user's language; htmx requests get a short fragment instead of a page."""
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from peewee import InternalError, OperationalError
from werkzeug.exceptions import SecurityError

from db import connection_refused

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: lambda: _("Dit verzoek kon niet worden verwerkt. Controleer wat je invulde en probeer het opnieuw."),
    403: lambda: _("Je hebt geen toegang tot deze pagina."),
    404: lambda: _("Deze pagina bestaat niet, of je hebt er geen toegang toe."),
    405: lambda: _("Deze handeling is hier niet mogelijk."),
    413: lambda: _("Wat je verstuurde is te groot."),
    429: lambda: _("Te veel verzoeken. Wacht even en probeer het opnieuw."),
    503: lambda: _("Opslaan lukt op dit moment niet: de server kan niet schrijven. Alles wat al was opgeslagen is "
                   "bewaard en wat je net invoerde staat nog op je scherm. Probeer het zo opnieuw; blijft het mislukken, "
                   "waarschuw dan de beheerder."),
    500: lambda: _("Er ging iets mis aan onze kant. Wat je had opgeslagen is bewaard; probeer het opnieuw."),
}


def render_error(status, message=None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    template = "partials/_error.html" if current_app.htmx else "errors/error.html"
    return render_template(template, status=status, message=message), status


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    """A missing or stale CSRF token: say so. An htmx save also gets a fresh token, which the
    page adopts before it retries (after logging in again, the session has a new one)."""
    body, status = render_error(400, _("Het formulier is verlopen of ongeldig. Laad de pagina opnieuw en probeer "
                                       "het nog eens."))
    headers = {"X-CSRFToken": generate_csrf()} if current_app.htmx else {}
    return body, status, headers


@bp.app_errorhandler(SecurityError)
def unknown_host(error):
    """A Host this server does not answer to (TRUSTED_HOSTS): 400 with a page that builds no URL,
    since every URL would carry that host. The server log names the host, for the administrator."""
    current_app.logger.warning("Verzoek geweigerd: onbekende host %r (zie HERSTEL_TRUSTED_HOSTS)",
                               request.headers.get("Host", "")[:200])
    return render_template("errors/unknown_host.html", message=_(
        "Herstel is niet bereikbaar via dit adres. Gebruik het adres dat je school je gaf. Ben je de "
        "beheerder? Zet de naam van de server in HERSTEL_TRUSTED_HOSTS.")), 400


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
@bp.app_errorhandler(413)
@bp.app_errorhandler(429)
@bp.app_errorhandler(500)
def http_error(error):
    """Every other HTTP error, as a page in the house style."""
    return render_error(getattr(error, "code", 500) or 500)


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InternalError)  # PostgreSQL's "read-only transaction" (a standby after a failover)
def database_unavailable(error):
    """The database cannot write (disk full, read-only, locked too long, server gone): nothing was
    saved, so say that plainly with 503, which the page's retry loop treats as "try again". The
    server keeps serving; the reason goes to the server log (the database's message, no pupil data)."""
    current_app.logger.error("De database kon niet schrijven: %s", error)
    connection_refused()  # let go once the disk takes writes again, not reused read-only for minutes
    return render_error(503)
