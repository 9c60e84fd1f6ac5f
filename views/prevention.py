"""Prevention: the school-year plan and the log of what the school did (seed 001's prevention, seed 002's
meldknop and parents' evening, seed 003's duty of care). The coordinator plans and sees what is done and
overdue; mentors record what their classes did and see their classes' part."""
import base64
import binascii
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

import audit
from db import db, today, utcnow
from domain import escalation, prevention, prevention_pdf, protocols
from forms.common import ActionForm, error_summary, query_id
from forms.prevention import ActivityForm, ClassAgreementForm, PlanItemForm, PolicyForm, SignaturesForm
from models import (
    ClassAgreementSignature, PreventionActivity, PreventionPlanItem, PreventionPolicy, SchoolClass, SchoolSettings,
)
from permissions import (
    get_prevention_record_or_404, may_plan_prevention, may_record_prevention, may_view_prevention,
    prevention_scope, refuse,
)
from terminology import dutch_term, term

bp = Blueprint("prevention", __name__)
# The school's published protocol: every logged-in user reads it, and parents and pupils too when the school
# made it public (off by default, like the meldknop).
PUBLISHED = ("prevention.protocol", "prevention.protocol_pdf")


@bp.before_request
def only_those_who_work_on_prevention():
    """The area is for the coordinator, mentors, the support team, the team leader and management."""
    if request.endpoint in PUBLISHED:
        if current_user.is_authenticated or PreventionPolicy.current().protocol_public:
            return None
        return render_template("prevention/protocol_off.html"), 404
    return _staff_only()


@login_required
def _staff_only():
    if not may_view_prevention(current_user):
        refuse(403, object_type="prevention")
    return None


def _chosen_year():
    """The school year asked for (?jaar=2025), else the current one; 400 for a year no school has."""
    value = request.args.get("jaar", "")
    if not value:
        return prevention.current_school_year()
    if not value.isdigit() or not 2000 <= int(value) <= 2099:
        abort(400)
    return int(value)


def _own_classes():
    """The classes whose part the user sees: every class for whoever reads the whole school, else theirs."""
    return None if prevention_scope(current_user) == "school" else prevention.mentored_classes(current_user)


@bp.route("/preventie/")
def index():
    """The plan of a school year with what is done and overdue, and the log of what was done."""
    year = _chosen_year()
    classes = _own_classes()
    planned = prevention.plan(year, classes)
    log = prevention.activities(year, classes)
    audit.seen("prevention.view", object_type="prevention", detail="schooljaar %s" % prevention.school_year_label(year))
    overview = prevention.classes_overview(
        classes if classes is not None else list(SchoolClass.select().order_by(SchoolClass.name)), year)
    return render_template("prevention/index.html", year=year, years=prevention.known_school_years(),
                           planned=planned, overview=overview, summary=prevention.plan_summary(planned), log=log,
                           own_classes=classes, year_label=prevention.school_year_label, delete_form=ActionForm())


def _activity_form(activity=None):
    """The activity form with the classes the user records for and the plan items the activity may answer."""
    whole_school = may_plan_prevention(current_user)
    classes = list(SchoolClass.select().order_by(SchoolClass.name)) if whole_school \
        else prevention.mentored_classes(current_user)
    year = prevention.current_school_year()
    items = [item for school_year in (year - 1, year) for item in PreventionPlanItem.select().where(
        PreventionPlanItem.school_year == school_year).order_by(PreventionPlanItem.due_on)
        if whole_school or any(c.year_level in item.levels for c in classes)]
    if activity is not None and activity.plan_item_id and activity.plan_item not in items:
        items.append(activity.plan_item)
    return ActivityForm(obj=activity, classes=classes, plan_items=items, whole_school=whole_school)


def _save_activity(form, activity):
    """Copy the form onto the activity; the class must be one the user records for."""
    school_class = form.chosen_class()
    if school_class is not None and not may_record_prevention(current_user, school_class):
        refuse(403, school_class)
    activity.kind, activity.held_on, activity.school_class = form.kind.data, form.held_on.data, school_class
    activity.audience, activity.led_by, activity.note = form.audience.data, form.led_by.data, form.note.data
    activity.plan_item = form.chosen_item()
    activity.save()


@bp.route("/preventie/activiteiten/nieuw", methods=["GET", "POST"])
def new_activity():
    """Record what was done; from the plan, its item and class come filled in."""
    if not may_record_prevention(current_user):
        refuse(403, object_type="prevention_activity")
    form = _activity_form()
    if request.method == "GET":
        form.plan_item.data, form.school_class.data = query_id("plan"), query_id("klas")
        item = form.chosen_item()
        if item is not None:
            form.kind.data = item.kind
        form.led_by.data = current_user.full_name
    if form.validate_on_submit():
        with db.atomic():
            activity = PreventionActivity(recorded_by=current_user)
            _save_activity(form, activity)
            audit.record("prevention.activity_create", activity, detail="%s op %s" % (activity.kind, activity.held_on))
        flash(_("Vastgelegd in het preventielogboek."), "success")
        return redirect(url_for("prevention.index", jaar=prevention.school_year_of(activity.held_on)))
    return render_template("prevention/activity.html", form=form, activity=None, error_summary=error_summary(form),
                           leaders=prevention.leaders()), 400 if form.is_submitted() else 200


@bp.route("/preventie/activiteiten/<int:prevention_activity_id>", methods=["GET", "POST"])
def edit_activity(prevention_activity_id):
    """Correct a logged activity (the coordinator, or the mentor of its class)."""
    activity = get_prevention_record_or_404(PreventionActivity, prevention_activity_id, "change")
    form = _activity_form(activity)
    if not form.is_submitted():
        form.school_class.data, form.plan_item.data = activity.school_class_id, activity.plan_item_id
    if form.validate_on_submit():
        with db.atomic():
            _save_activity(form, activity)
            audit.record("prevention.activity_update", activity)
        flash(_("De activiteit is bijgewerkt."), "success")
        return redirect(url_for("prevention.index", jaar=prevention.school_year_of(activity.held_on)))
    return render_template("prevention/activity.html", form=form, activity=activity, delete_form=ActionForm(),
                           error_summary=error_summary(form),
                           leaders=prevention.leaders()), 400 if form.is_submitted() else 200


@bp.route("/preventie/activiteiten/<int:prevention_activity_id>/verwijderen", methods=["POST"])
def delete_activity(prevention_activity_id):
    """Remove an activity logged by mistake."""
    activity = get_prevention_record_or_404(PreventionActivity, prevention_activity_id, "change")
    if ActionForm().validate_on_submit():
        with db.atomic():
            audit.record("prevention.activity_delete", activity, detail="%s op %s" % (activity.kind, activity.held_on))
            activity.delete_instance()
        flash(_("De activiteit is verwijderd."), "success")
    return redirect(url_for("prevention.index", jaar=prevention.school_year_of(activity.held_on)))


@bp.route("/preventie/plan/nieuw", methods=["GET", "POST"])
def new_plan_item():
    """Plan something for a school year (the coordinator)."""
    if not may_plan_prevention(current_user):
        refuse(403, object_type="prevention_plan_item")
    form = PlanItemForm()
    if form.validate_on_submit():
        with db.atomic():
            item = PreventionPlanItem(created_by=current_user)
            _save_plan_item(form, item)
            audit.record("prevention.plan_create", item, detail="%s op %s" % (item.kind, item.due_on))
        flash(_("Opgenomen in het jaarplan."), "success")
        return redirect(url_for("prevention.index", jaar=item.school_year))
    return render_template("prevention/plan_item.html", form=form, item=None,
                           error_summary=error_summary(form)), 400 if form.is_submitted() else 200


def _save_plan_item(form, item):
    item.kind, item.title, item.due_on, item.note = form.kind.data, form.title.data, form.due_on.data, form.note.data
    item.year_levels = " ".join(str(level) for level in sorted(set(form.year_levels.data or [])))
    item.school_year = prevention.school_year_of(item.due_on)
    item.save()


@bp.route("/preventie/plan/<int:prevention_plan_item_id>", methods=["GET", "POST"])
def edit_plan_item(prevention_plan_item_id):
    """Change a plan item (the coordinator)."""
    item = get_prevention_record_or_404(PreventionPlanItem, prevention_plan_item_id)
    form = PlanItemForm(obj=item)
    if not form.is_submitted():
        form.year_levels.data = item.levels
    if form.validate_on_submit():
        with db.atomic():
            _save_plan_item(form, item)
            audit.record("prevention.plan_update", item)
        flash(_("Het jaarplan is bijgewerkt."), "success")
        return redirect(url_for("prevention.index", jaar=item.school_year))
    return render_template("prevention/plan_item.html", form=form, item=item, delete_form=ActionForm(),
                           error_summary=error_summary(form)), \
        400 if form.is_submitted() else 200


@bp.route("/preventie/plan/<int:prevention_plan_item_id>/verwijderen", methods=["POST"])
def delete_plan_item(prevention_plan_item_id):
    """Take an item out of the plan; what was logged for it stays in the log."""
    item = get_prevention_record_or_404(PreventionPlanItem, prevention_plan_item_id)
    if ActionForm().validate_on_submit():
        with db.atomic():
            audit.record("prevention.plan_delete", item, detail="%s op %s" % (item.kind, item.due_on))
            item.delete_instance()
        flash(_("Het punt is uit het jaarplan gehaald."), "success")
    return redirect(url_for("prevention.index", jaar=item.school_year))


def _published(dutch=False):
    """The school's protocols as published, with the contacts and the ways to report; in Dutch for the PDF."""
    settings, policy = SchoolSettings.cached(), PreventionPolicy.current()
    word = (lambda role: dutch_term(role)) if dutch else (lambda role: term(role))
    published = [prevention.publish(protocol, word, lambda roles: escalation.deciders_text(roles, dutch=dutch))
                 for protocol in prevention.school_protocols(settings.default_protocol, protocols.offered())]
    contacts = [(dutch_term("coordinator", capital=True) if dutch else term("coordinator", capital=True),
                 prevention.contacts("coordinator"), policy.coordinator_reach),
                (_("Vertrouwenspersoon"), prevention.contacts("counsellor"), policy.counsellor_reach)]
    reporting = [_("Vertel het aan je %(mentor)s of aan een andere medewerker van de school. Iedere medewerker "
                   "moet pesten die hij of zij opmerkt doorgeven; dat is geen klikken.",
                   mentor=dutch_term("mentor") if dutch else term("mentor")),
                 _("Ouders nemen contact op met de %(mentor)s of met de %(coordinator)s.",
                   mentor=dutch_term("mentor") if dutch else term("mentor"),
                   coordinator=dutch_term("coordinator") if dutch else term("coordinator"))]
    if settings.public_reports_enabled:
        reporting.append(_("Via de meldknop van de school, ook zonder je naam te noemen: %(url)s. Je krijgt een "
                           "code waarmee je het antwoord van de school leest.",
                           url=url_for("public.report", _external=True)))
    if prevention.meldknop_on_computers():
        reporting.append(_("Op de computers van de school staat de meldknop van meldknop.nl, voor hulp bij "
                           "vervelende ervaringen online."))
    reporting.append(_("Ben je het niet eens met hoe de school het aanpakt? Dan kunnen ouders en leerlingen "
                       "terecht bij de vertrouwenspersoon."))
    return published, contacts, reporting


@bp.route("/pestprotocol")
def protocol():
    """The school's own anti-bullying protocol as a readable page: for staff, and for everyone when public."""
    published, contacts, reporting = _published()
    return render_template("prevention/protocol.html", published=published, contacts=contacts, reporting=reporting,
                           public=PreventionPolicy.current().protocol_public)


@bp.route("/pestprotocol.pdf")
def protocol_pdf():
    """The school's published protocol as a PDF (in Dutch)."""
    settings = SchoolSettings.cached()
    with force_locale("nl"):
        published, contacts, reporting = _published(dutch=True)
        data = prevention_pdf.protocol_pdf(published, settings.school_name, contacts, reporting, settings.logo_png,
                                           printed_on=today())
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name="pestprotocol.pdf")


@bp.route("/preventie/beleid", methods=["GET", "POST"])
def policy():
    """The coordinator's settings of the policy: the published protocol's switch and contacts, the contract text."""
    if not may_plan_prevention(current_user):
        refuse(403, object_type="prevention_policy")
    policy = PreventionPolicy.current()
    form = PolicyForm(obj=policy)
    if form.validate_on_submit():
        with db.atomic():
            if form.contract_text.data != policy.contract_text:
                policy.contract_updated_at = utcnow()
            form.populate_obj(policy)
            policy.store()
            audit.record("prevention.policy_save", policy, detail="protocol openbaar: %s" % (
                "ja" if policy.protocol_public else "nee"))
        flash(_("Het beleid is opgeslagen."), "success")
        return redirect(url_for("prevention.policy"))
    return render_template("prevention/policy.html", form=form, policy=policy, error_summary=error_summary(form)), \
        400 if form.is_submitted() else 200


@bp.route("/preventie/klassen/<int:school_class_id>", methods=["GET", "POST"])
def school_class(school_class_id):
    """A class's agreements of a school year (made from its year level's template) and, for a first-year class,
    who signed the bullying contract; its mentor and the coordinator write them."""
    school_class = get_prevention_record_or_404(SchoolClass, school_class_id, "read")
    year = _chosen_year()
    agreement = prevention.class_agreement(school_class, year)
    form = ClassAgreementForm(obj=agreement, prefix="agreement")
    if agreement is None and not form.is_submitted():
        form.rules.data = "\n".join(prevention.agreement_template(school_class.year_level))
    if form.is_submitted() and not may_record_prevention(current_user, school_class):
        refuse(403, school_class)
    if form.validate_on_submit():
        try:
            with db.atomic():
                agreement = prevention.save_class_agreement(school_class, year, form.rules.data, form.made_on.data,
                                                            form.reviewed_on.data, current_user)
                audit.record("prevention.class_agreement", agreement, detail="klas %s, %s" % (
                    school_class.name, prevention.school_year_label(year)))
        except prevention.SigningError as error:
            form.rules.errors.append(str(error))
        else:
            flash(_("De klassenafspraken zijn opgeslagen."), "success")
            return redirect(url_for("prevention.school_class", school_class_id=school_class.id, jaar=year))
    return _class_page(school_class, year, agreement, form, _signatures_form(school_class, year)), \
        400 if form.is_submitted() else 200


def _signatures_form(school_class, year, **kwargs):
    status = prevention.contract_status(school_class, year)
    form = SignaturesForm(pupils=[pupil for pupil, _signature in status], prefix="contract", **kwargs)
    if not form.is_submitted():
        form.pupils.data = [pupil.id for pupil, signature in status if signature]
    return form


def _class_page(school_class, year, agreement, form, signatures_form):
    status = prevention.contract_status(school_class, year) if prevention.signs_contract(school_class) else []
    return render_template("prevention/class.html", school_class=school_class, year=year, agreement=agreement,
                           form=form, signatures_form=signatures_form, status=status,
                           contract_text=PreventionPolicy.current().contract_text,
                           year_label=prevention.school_year_label,
                           error_summary=error_summary(form) + error_summary(signatures_form))


@bp.route("/preventie/klassen/<int:school_class_id>/afspraken.pdf")
def agreement_poster(school_class_id):
    """The class's agreements of the school year as an A4 poster in large type."""
    school_class = get_prevention_record_or_404(SchoolClass, school_class_id, "read")
    year = _chosen_year()
    agreement = prevention.class_agreement(school_class, year)
    if agreement is None:
        abort(404)
    settings = SchoolSettings.cached()
    data = prevention_pdf.poster_pdf(agreement, settings.school_name, prevention.school_year_label(year),
                                     settings.logo_png)
    return send_file(io.BytesIO(data), mimetype="application/pdf",
                     download_name="klassenafspraken-%s.pdf" % secure_filename(school_class.name))


@bp.route("/preventie/klassen/<int:school_class_id>/contract", methods=["POST"])
def contract_signatures(school_class_id):
    """Record which pupils of a first-year class signed the bullying contract this school year."""
    school_class = get_prevention_record_or_404(SchoolClass, school_class_id, "record")
    if not prevention.signs_contract(school_class):
        abort(404)
    year = _chosen_year()
    form = _signatures_form(school_class, year)
    if form.validate_on_submit():
        with db.atomic():
            added, removed = prevention.record_signatures(school_class, year, form.pupils.data, form.signed_on.data,
                                                          current_user)
            audit.record("prevention.contract_signatures", school_class, detail="%s: %d getekend, %d teruggenomen" % (
                prevention.school_year_label(year), added, removed))
        flash(_("Vastgelegd wie het pestcontract heeft getekend."), "success")
        return redirect(url_for("prevention.school_class", school_class_id=school_class.id, jaar=year) + "#contract")
    agreement = prevention.class_agreement(school_class, year)
    return _class_page(school_class, year, agreement, ClassAgreementForm(obj=agreement, prefix="agreement",
                                                                        formdata=None), form), 400


@bp.route("/preventie/klassen/<int:school_class_id>/contract.pdf")
def contract_pdf(school_class_id):
    """The bullying contract to print: one page per pupil of the first-year class, with name and signature lines."""
    school_class = get_prevention_record_or_404(SchoolClass, school_class_id, "read")
    if not prevention.signs_contract(school_class):
        abort(404)
    year = _chosen_year()
    settings = SchoolSettings.cached()
    pupils = [pupil for pupil, signature in prevention.contract_status(school_class, year)
              if request.args.get("wie") != "nog" or signature is None]
    data = prevention_pdf.contract_pdf(PreventionPolicy.current().contract_text, settings.school_name,
                                       school_class.name, prevention.school_year_label(year), pupils,
                                       settings.logo_png)
    return send_file(io.BytesIO(data), mimetype="application/pdf",
                     download_name="pestcontract-%s.pdf" % secure_filename(school_class.name))


def _agreement_to_sign(school_class_id):
    """The class's agreements of the school year asked for, to sign or lock: 404 when there are none."""
    school_class = get_prevention_record_or_404(SchoolClass, school_class_id, "record")
    year = _chosen_year()
    agreement = prevention.class_agreement(school_class, year)
    if agreement is None:
        abort(404)
    return school_class, year, agreement


@bp.route("/preventie/klassen/<int:school_class_id>/tekenen", methods=["GET", "POST"])
def sign_agreement(school_class_id):
    """The class's representatives sign its agreements on the tablet, one after another."""
    school_class, year, agreement = _agreement_to_sign(school_class_id)
    error = name_error = None
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        name = (request.form.get("name") or "").strip()[:100]
        data_url = request.form.get("signature") or ""
        prefix = "data:image/png;base64,"
        try:
            png = base64.b64decode(data_url[len(prefix):], validate=True) if data_url.startswith(prefix) else b""
        except (binascii.Error, ValueError):
            png = b""
        if not name:
            name_error = _("Vul de naam in van wie tekent.")
        else:
            try:
                with db.atomic():
                    signature = prevention.add_class_signature(agreement, name, png)
                    audit.record("prevention.class_agreement_sign", agreement, detail="handtekening %d" % signature.id)
            except prevention.SigningError as problem:
                error = str(problem)
            else:
                flash(_("De handtekening van %(name)s is opgeslagen.", name=name), "success")
                return redirect(url_for("prevention.sign_agreement", school_class_id=school_class.id, jaar=year)), 303
    signatures = list(agreement.signatures.order_by(ClassAgreementSignature.id))
    summary = [("signer-name", name_error)] if name_error else [("signature-pad", error)] if error else []
    return render_template("prevention/sign.html", school_class=school_class, year=year, agreement=agreement,
                           signatures=signatures, name_error=name_error, error_summary=summary,
                           year_label=prevention.school_year_label,
                           typed_name=request.form.get("name", "") if summary else ""), 400 if summary else 200


@bp.route("/preventie/klassen/<int:school_class_id>/vastzetten", methods=["POST"])
def lock_agreement(school_class_id):
    """Lock the signed class agreements with the SHA-256 of what was signed."""
    school_class, year, agreement = _agreement_to_sign(school_class_id)
    if ActionForm().validate_on_submit():
        try:
            with db.atomic():
                prevention.lock_class_agreement(agreement)
                audit.record("prevention.class_agreement_lock", agreement, detail=agreement.content_sha256[:16])
        except prevention.SigningError as error:
            flash(str(error), "error")
        else:
            flash(_("De klassenafspraken zijn getekend en vastgezet."), "success")
    return redirect(url_for("prevention.school_class", school_class_id=school_class.id, jaar=year))
