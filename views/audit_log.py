"""The audit log viewer: who saw or did what, filtered and exported (coordinator and administrator; the
counsellor reads the events on complaints, which the coordinator does not: permissions.audit_log_scope)."""
import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import local_date, utcnow
from forms.audit_log import AuditFilterForm
from models import Case
from permissions import audit_log_scope, may_read_audit_log, refuse

bp = Blueprint("audit_log", __name__, url_prefix="/logboek")

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 100_000
MAX_PAGE = 1_000_000  # beyond this the offset would not fit SQLite's integers


@bp.before_request
@login_required
def only_readers():
    """The log is for the coordinator, the administrator and (its events on complaints) the counsellor."""
    if not may_read_audit_log(current_user):
        refuse(403, object_type="audit_log")


@bp.context_processor
def helpers():
    scope = audit_log_scope(current_user)
    return {"audit_detail": audit.shown_detail, "action_label": audit.action_label,
            "log_hides_complaints": scope == audit.NO_COMPLAINT_EVENTS,
            "log_only_complaints": scope == audit.COMPLAINT_EVENTS_ONLY}


def _filter_form(scope):
    # Whoever reads only the events on complaints gets no case filter: it would tell which case numbers exist.
    return AuditFilterForm(request.args, actions=audit.actions(scope), with_case=scope != audit.COMPLAINT_EVENTS_ONLY)


def _logged_as(scope):
    """The object type of reading the log: the counsellor's reading (and its filters) is an event on complaints."""
    return "complaint_log" if scope == audit.COMPLAINT_EVENTS_ONLY else "audit_log"


def _case_references(events):
    """Case references of the events on cases, for showing them (one query)."""
    ids = {event.object_id for event in events if event.object_type == "case" and event.object_id}
    return {case.id: case.reference for case in Case.select(Case.id, Case.reference).where(Case.id.in_(ids))} \
        if ids else {}


@bp.route("/")
def index():
    """The log, newest first, filtered by user, pupil, case, kind of event and period, a page at a time."""
    scope = audit_log_scope(current_user)
    form = _filter_form(scope)
    page = min(max(request.args.get("pagina", 1, type=int), 1), MAX_PAGE)
    if not form.validate():
        return render_template("audit_log/index.html", form=form, rows=[], total=0, page=1, pages=1,
                               references={}), 400
    query = audit.events(scope=scope, **form.as_query())
    total = query.count()
    rows = list(query.paginate(page, PAGE_SIZE))
    audit.seen("audit.view", detail="pagina %d; %s" % (page, form.summary()), object_type=_logged_as(scope))
    return render_template("audit_log/index.html", form=form, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), references=_case_references(rows))


@bp.route("/export.csv")
def export():
    """The filtered log as a CSV file."""
    scope = audit_log_scope(current_user)
    form = _filter_form(scope)
    if not form.validate():
        flash(_("De filters kloppen niet; er is niets geëxporteerd."), "error")
        return redirect(url_for("audit_log.index", **request.args.to_dict(flat=False)))
    query = audit.events(scope=scope, **form.as_query())
    total = query.count()
    if total > MAX_EXPORT_ROWS:
        flash(_("Dit zijn %(total)d regels; exporteer er hoogstens %(max)d tegelijk. Kies een kortere periode.",
                total=total, max=MAX_EXPORT_ROWS), "error")
        return redirect(url_for("audit_log.index", **request.args.to_dict(flat=False)))
    data = audit.export_csv(query.iterator())
    audit.seen("audit.export", detail="%d regels; %s" % (total, form.summary()), object_type=_logged_as(scope))
    name = "logboek-%s.csv" % local_date(utcnow()).isoformat()
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True, download_name=name)
