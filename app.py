"""Herstel: the app factory."""
import os

from flask import Flask, has_request_context, session
from flask_babel import Babel, format_datetime, format_decimal, format_percent, get_locale
from flask_htmx import HTMX
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.local import LocalProxy
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import cli
import config
import db
import i18n
import models
import permissions
import security
import terminology
import views
from domain import cases, escalation, protocols
from forms.common import error_summary

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()


def select_locale():
    """The user's language, else the one chosen on the login page, else Dutch."""
    if not has_request_context():
        return "nl"  # command-line tools speak the default language
    if current_user and current_user.is_authenticated:
        return current_user.language
    return session.get("language") or "nl"


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in our routes: a number beyond the database's largest integer matches no
    route (404), where it would otherwise overflow in the query (500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=db.MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config=None):
    """Build the Herstel app; test_config overrides the environment's settings."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RecordIdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["EVIDENCE_DIR"]:
        app.config["EVIDENCE_DIR"] = config.evidence_dir(app.config["DATABASE"], app.instance_path)
    for key, path in config.beside_the_data(app.config["DATABASE"], app.config["EVIDENCE_DIR"]).items():
        app.config.setdefault(key, path)
    if app.config["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    # A malformed protocol stops the start with a message naming the file and the problem.
    app.extensions["protocols"] = protocols.load_every_region(app.config["PROTOCOL_DIR"])
    db.init_app(app)
    terminology.init_app(app, school_region=lambda: school_settings().region)

    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.install(app.jinja_env)
    htmx.init_app(app)
    security.init_app(app, login_manager)
    _install_template_helpers(app)
    views.register(app)
    cli.register(app)
    return app


def school_settings():
    """The school's settings, read at most once per request."""
    return models.SchoolSettings.cached()


def _install_template_helpers(app):
    """What every template may call: permissions, the school's words and choices, dates, steps."""
    app.jinja_env.globals.update(permissions.template_globals(), choices={
        "roles": models.ROLES, "involvement_roles": models.INVOLVEMENT_ROLES,
        "report_statuses": models.REPORT_STATUSES, "case_statuses": models.CASE_STATUSES,
        "step_statuses": models.STEP_STATUSES, "complaint_statuses": models.COMPLAINT_STATUSES,
        "approaches": models.APPROACHES, "approach_levels": models.APPROACH_LEVELS,
        "languages": models.LANGUAGES, "reporter_kinds": models.REPORTER_KINDS,
        "report_channels": models.REPORT_CHANNELS, "follow_up_outcomes": models.FOLLOW_UP_OUTCOMES,
        "bullying_kinds": models.BULLYING_KINDS, "complainant_kinds": models.COMPLAINANT_KINDS,
        "support_session_kinds": models.SUPPORT_SESSION_KINDS, "parent_channels": models.PARENT_CHANNELS,
        "referral_targets": models.REFERRAL_TARGETS, "referral_trainings": models.REFERRAL_TRAININGS,
        "severities": models.SEVERITIES, "reported_roles": models.REPORTED_ROLES,
        "agreement_statuses": models.AGREEMENT_STATUSES, "prevention_kinds": models.PREVENTION_KINDS,
    }, get_locale=get_locale, roles_for=models.roles_for, **terminology.template_globals())
    app.jinja_env.filters.update(date=i18n.long_date, nl=i18n.in_dutch,
                                 datetime=lambda value: format_datetime(value, "d MMMM yyyy HH:mm")
                                 if value else "",
                                 number=format_decimal, percent=lambda value: format_percent(value, "#,##0%"))
    app.jinja_env.globals.update(
        step_state=cases.step_state,
        event_label=lambda kind: terminology.label(models.CASE_EVENT_KINDS, kind),
        protocol_step_title=protocols.step_title, step_action=protocols.step_action_of,
        deciders_text=escalation.deciders_text, error_summary_of=error_summary)
    app.jinja_env.filters["reject_keys"] = lambda mapping, *keys: {
        key: value for key, value in mapping.items() if key not in keys}
    # Only pages that show the school's name read the settings; htmx fragments do not.
    app.context_processor(lambda: {"school": LocalProxy(school_settings)})
