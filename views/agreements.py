"""The restoration agreement: drafted from a conversation, edited, printed as a PDF."""
import base64
import binascii
import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import agreements, pdf
from forms.agreements import AgreementForm
from forms.common import ActionForm, row_id
from models import AgreementParty, Conversation, SchoolSettings
from permissions import EDIT, get_agreement_or_404, get_case_or_404, may_case

bp = Blueprint("agreements", __name__, url_prefix="/herstelovereenkomsten")


@bp.route("/nieuw/<int:case_id>", methods=["POST"])
@login_required
def new(case_id):
    """Draft a new agreement (or version), from the conversation chosen on the case page."""
    case = get_case_or_404(case_id, need=EDIT)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    conversation = None
    if request.form.get("gesprek"):
        conversation = Conversation.get_or_none(Conversation.id == row_id(request.form["gesprek"]),
                                                Conversation.case == case)
        if conversation is None:
            abort(404)
    with db.atomic():
        agreement = agreements.draft(case, current_user, conversation)
        audit.record("agreement.create", agreement)
    flash(_("Concept-herstelovereenkomst (versie %(version)d) opgesteld. Vul haar aan en laat haar tekenen.",
            version=agreement.version), "success")
    return redirect(url_for("agreements.edit", agreement_id=agreement.id))


@bp.route("/<int:agreement_id>", methods=["GET", "POST"])
@login_required
def edit(agreement_id):
    """Read the agreement; a draft can be edited by whoever may work on the case."""
    agreement = get_agreement_or_404(agreement_id)
    editable = agreement.status == "draft" and may_case("edit", agreement.case)
    form = AgreementForm(obj=agreement)
    if request.method == "POST":
        if not editable:
            get_agreement_or_404(agreement_id, need=EDIT)
            flash(_("Deze overeenkomst is ondertekend; maak een nieuwe versie om iets te veranderen."), "error")
            return redirect(url_for("agreements.edit", agreement_id=agreement.id))
        if form.validate_on_submit():
            with db.atomic():
                agreements.update(agreement, **{name: getattr(form, name).data for name in (
                    "commitments", "restorative_act", "support_figures", "coaching", "period_start", "period_end",
                    "evaluation_on")})
                audit.record("agreement.save", agreement)
            flash(_("De herstelovereenkomst is opgeslagen."), "success")
            return redirect(url_for("agreements.edit", agreement_id=agreement.id))
    else:
        audit.seen("agreement.view", agreement)
    parties = list(agreement.parties.order_by(AgreementParty.id))
    return render_template("agreements/edit.html", agreement=agreement, form=form, parties=parties,
                           editable=editable), 400 if form.errors else 200


@bp.route("/<int:agreement_id>/ouders", methods=["POST"])
@login_required
def add_parent(agreement_id):
    """Add a parent who is present as a party that signs."""
    agreement = get_agreement_or_404(agreement_id, need=EDIT)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with db.atomic():
            agreements.add_parent(agreement, request.form.get("name") or "")
            audit.record("agreement.parent", agreement)
    except agreements.AgreementError as error:
        flash(str(error), "error")
    return redirect(url_for("agreements.edit", agreement_id=agreement.id))


@bp.route("/<int:agreement_id>/tekenen")
@login_required
def signing(agreement_id):
    """The signing screen on the tablet: each party in turn, with their name and role."""
    agreement = get_agreement_or_404(agreement_id, need=EDIT)
    parties = list(agreement.parties.order_by(AgreementParty.id))
    waiting = [p for p in parties if not (p.signed_at or p.signed_on_paper)]
    return render_template("agreements/sign.html", agreement=agreement, parties=parties,
                           party=waiting[0] if waiting else None)


@bp.route("/<int:agreement_id>/partijen/<int:party_id>", methods=["POST"])
@login_required
def sign(agreement_id, party_id):
    """Store one party's drawn signature (a PNG) or note that they signed on paper."""
    agreement = get_agreement_or_404(agreement_id, need=EDIT)
    party = AgreementParty.get_or_none(AgreementParty.id == party_id, AgreementParty.agreement == agreement)
    if party is None:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    on_paper = request.form.get("on_paper") == "1"
    png = None
    if not on_paper:
        data_url = request.form.get("signature") or ""
        prefix = "data:image/png;base64,"
        try:
            png = base64.b64decode(data_url[len(prefix):], validate=True) if data_url.startswith(prefix) else b""
        except (binascii.Error, ValueError):
            png = b""
    try:
        with db.atomic():
            locked = agreements.sign(agreement, party, png=png, on_paper=on_paper)
            # The party's id, not their name: the log outlives the retention period of the case.
            audit.record("agreement.sign", agreement, detail="partij %d (%s)%s" % (
                party.id, party.role, " op papier" if on_paper else ""))
    except agreements.AgreementError as error:
        flash(str(error), "error")
        return redirect(url_for("agreements.signing", agreement_id=agreement.id)), 303
    if locked:
        flash(_("Iedereen heeft getekend. De overeenkomst is vergrendeld en de vervolggesprekken zijn gepland."),
              "success")
        return redirect(url_for("agreements.edit", agreement_id=agreement.id))
    flash(_("Getekend door %(name)s.", name=party.name), "success")
    return redirect(url_for("agreements.signing", agreement_id=agreement.id))


@bp.route("/<int:agreement_id>/pdf")
@login_required
def download(agreement_id):
    """The agreement as a PDF; every download is in the audit log."""
    agreement = get_agreement_or_404(agreement_id)
    settings = SchoolSettings.current()
    data = pdf.agreement_download(agreement, settings.school_name, settings.logo_png)
    audit.seen("agreement.download", agreement, detail="versie %d" % agreement.version)
    name = "herstelovereenkomst-%s-v%d.pdf" % (re.sub(r"[^0-9A-Za-z-]", "", agreement.case.reference),
                                              agreement.version)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)

