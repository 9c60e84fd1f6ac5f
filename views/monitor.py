"""The yearly monitor for the anti-bullying coordinator: figures and charts, a CSV without names."""
from flask import Blueprint, Response, render_template, request
from markupsafe import Markup
from flask_login import current_user, login_required

import audit
from db import today
from domain import monitor, prevention
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
    drawn = monitor.kept(_drawn, start, end)
    audit.seen("monitor.view", object_type="monitor", detail="%s tot %s" % (start, end))
    status = 400 if form.van.errors or form.tot.errors else 200
    return render_template("monitor/index.html", form=form, drawn=drawn, number=monitor.dutch_number,
                           prevention_levels=prevention.level_figures(drawn["last_year"]),
                           prevention_year=prevention.school_year_label(drawn["last_year"])), status


def _drawn(start, end):
    """The period's figures and the school years' charts as HTML, kept as the figures are (`monitor.kept`: until
    what they count, the day, the language or the region changes): drawing them cost more than the rest of
    the page together, and they are the same for every reader in the same language."""
    data = monitor.figures(start, end)
    years = monitor.trend_years(monitor.school_year_of(data["last_day"]))
    trends = monitor.trends(tuple(years))
    return {"last_year": years[-1],
            "figures": Markup(render_template("monitor/_figures.html", data=data, sections=monitor.SECTIONS)),
            "charts": Markup(render_template("monitor/_charts.html", trends=trends, number=monitor.dutch_number))}


@bp.route("/jaren.csv")
def export_years():
    """The school years side by side as a CSV file (no names): the series of the charts."""
    years = monitor.trend_years(monitor.school_year_of(today()))
    body = monitor.trends_csv(monitor.kept(monitor.trends, tuple(years)), prevention.level_figures(years[-1]))
    audit.seen("monitor.export", object_type="monitor", detail="schooljaren %d-%d" % (years[0], years[-1] + 1))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="monitor-schooljaren-%d-%d.csv"' % (years[0], years[-1] + 1)})


@bp.route("/export.csv")
def export():
    """The same figures as a CSV file (no names), for the school's yearly report."""
    _, start, end = _period()
    body = monitor.figures_csv(monitor.kept(monitor.figures, start, end))
    audit.seen("monitor.export", object_type="monitor", detail="%s tot %s" % (start, end))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="monitor-%s-%s.csv"' % (start.isoformat(), end.isoformat())})
