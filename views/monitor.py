"""The yearly monitor for the anti-bullying coordinator: figures and charts, a CSV without names."""
from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

import audit
from domain import monitor
from forms.monitor import PeriodForm
from permissions import may_view_monitor, refuse

bp = Blueprint("monitor", __name__, url_prefix="/monitor")


@bp.before_request
@login_required
def only_coordinators():
    """The monitor is for the coordinator."""
    if not may_view_monitor(current_user):
        refuse(403, object_type="monitor")


def _period():
    form = PeriodForm(request.args)
    form.validate()
    start, end = form.period()
    return form, start, end


@bp.route("/")
def index():
    """Counts, timings and charts for a school year or any period."""
    form, start, end = _period()
    data = monitor.figures(start, end)
    audit.seen("monitor.view", object_type="monitor", detail="%s tot %s" % (start, end))
    status = 400 if form.van.errors or form.tot.errors else 200
    return render_template("monitor/index.html", form=form, data=data, sections=monitor.SECTIONS), status


@bp.route("/export.csv")
def export():
    """The same figures as a CSV file (no names), for the school's yearly report."""
    _, start, end = _period()
    body = monitor.figures_csv(monitor.figures(start, end))
    audit.seen("monitor.export", object_type="monitor", detail="%s tot %s" % (start, end))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="monitor-%s-%s.csv"' % (start.isoformat(), end.isoformat())})
