"""Staff answer the reporter of the public report page, on the report or complaint page.

The pages include partials/_thread.html; its form posts here, and an htmx request gets the
same fragment back.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import public
from forms.public import StaffAnswerForm
from permissions import get_thread_or_404
from views import complaints, reports
from views.thread import thread_context

bp = Blueprint("public_thread", __name__, url_prefix="/meldknop")


def record_page(thread):
    """The staff page the thread is shown on."""
    if thread.report_id:
        return url_for("reports.detail", report_id=thread.report_id)
    return url_for("complaints.detail", complaint_id=thread.complaint_id)


@bp.route("/<int:thread_id>/antwoord", methods=["POST"])
@login_required
def answer(thread_id):
    """Write the school's answer; the reporter reads it with their code (coordinator or counsellor)."""
    thread = get_thread_or_404(thread_id)
    form = StaffAnswerForm(prefix="thread%d" % thread.id)
    ok = form.validate_on_submit()
    if ok:
        with db.atomic():
            public.add_staff_message(thread, current_user, form.body.data, form.show_name.data)
            audit.record("thread.answer", thread, detail="naam getoond" if form.show_name.data else "rol getoond")
        form = None
    if current_app.htmx:
        with db.atomic():
            context = thread_context(thread, form)
        return render_template("partials/_thread.html", saved=ok, **context), 200 if ok else 422
    if not ok:  # the page again, with what was typed and the message beside the field
        if thread.report_id:
            return reports.detail_page(thread.report, answer_form=form, status=400)
        return complaints.detail_page(thread.complaint, 400, answer_form=form)
    flash(_("Je antwoord staat klaar voor de melder."), "success")
    return redirect(record_page(thread) + "#thread-%d" % thread.id)
