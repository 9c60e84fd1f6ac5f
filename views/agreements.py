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
from forms.common import ActionForm, error_summary, row_id
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


FIELDS = ("commitments", "restorative_act", "support_figures", "coaching", "period_start", "period_end",
          "evaluation_on")


def _editable(agreement, parties):
    """A draft that no later version replaced and that no one signed yet, for whoever may work on the case."""
    return (agreement.is_open_draft and may_case("edit", agreement.case)
            and not any(party.signed_at for party in parties))


@bp.route("/<int:agreement_id>", methods=["GET", "POST"])
@login_required
def edit(agreement_id):
    """Read the agreement; a draft can be edited by whoever may work on the case. "Laten tekenen"
    saves what was typed first and goes to signing, or says beside each field what keeps the text
    from being signed (and keeps it all)."""
    agreement = get_agreement_or_404(agreement_id)
    parties = list(agreement.parties.order_by(AgreementParty.id))
    editable = _editable(agreement, parties)
    form = AgreementForm(obj=agreement)
    to_signing = request.form.get("action") == "sign"
    if request.method == "POST":
        if not editable:
            get_agreement_or_404(agreement_id, need=EDIT)
            flash(_("Deze overeenkomst kan niet meer veranderen; maak een nieuwe versie om iets te veranderen."),
                  "error")
            return redirect(url_for("agreements.edit", agreement_id=agreement.id))
        valid = form.validate_on_submit()
        if valid and (not to_signing or form.ready_to_sign()):
            try:
                with db.atomic():
                    agreements.update(agreement, **{name: getattr(form, name).data for name in FIELDS})
                    audit.record("agreement.save", agreement)
            except agreements.AgreementError as error:  # signed or replaced meanwhile, on another tablet
                form.form_errors.append(str(error))
            else:
                if to_signing:
                    return redirect(url_for("agreements.signing", agreement_id=agreement.id))
                flash(_("De herstelovereenkomst is opgeslagen."), "success")
                return redirect(url_for("agreements.edit", agreement_id=agreement.id))
        elif valid is False and to_signing:
            form.ready_to_sign()  # everything that keeps it from signing, at once
    else:
        audit.seen("agreement.view", agreement)
    summary = error_summary(form, "agreement-form")
    return render_template("agreements/edit.html", agreement=agreement, form=form, parties=parties,
                           editable=editable, error_summary=summary,
                           signing_under_way=agreement.is_open_draft and not editable
                           and may_case("edit", agreement.case)), 400 if summary else 200


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
    """The signing screen on the tablet: each party in turn, with their name and role, and above the
    pad the whole text they sign. A text that cannot be signed goes back to the agreement, saying why."""
    agreement = get_agreement_or_404(agreement_id, need=EDIT)
    parties = list(agreement.parties.order_by(AgreementParty.id))
    waiting = [p for p in parties if not (p.signed_at or p.signed_on_paper)]
    if agreement.status == "draft":
        problems = agreements.problems_of(agreement)
        if agreement.superseded_at is not None:
            problems = {"version": _("Dit concept is gesloten: er is een nieuwere versie.")}
        if problems:
            flash(_("Nog niet klaar om te tekenen:") + " " + " ".join(problems.values()), "error")
            return redirect(url_for("agreements.edit", agreement_id=agreement.id))
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
            locked = agreements.sign(agreement, party, png=png, on_paper=on_paper, user=current_user)
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

