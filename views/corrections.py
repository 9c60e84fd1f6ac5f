"""Correcting a case after it was opened (the coordinator): pupils and roles, the mentor, the online and
criminal flags, a step set aside by hand, a second protocol beside the first. Each correction is on the
timeline and in the audit log. Merging two cases has its own views (views/merges.py)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import corrections, merges, protocols
from domain.cases import WorkflowError
from forms.cases import OpenCaseForm
from forms.common import ActionForm, error_summary
from forms.corrections import (
    FlagsForm, HandOverForm, RemovePupilForm, RoleForm, SecondProtocolForm, SetAsideForm, StopSecondProtocolForm,
)
from models import CaseStep, Involvement, Pupil, User
from permissions import MANAGE, get_case_or_404, refuse

bp = Blueprint("corrections", __name__, url_prefix="/dossiers")


def _open_steps(case):
    rows = CaseStep.select().where(CaseStep.case == case, CaseStep.status == "open").order_by(CaseStep.position)
    return [(row.step_key, protocols.step_title(case.protocol_key, row.step_key)) for row in rows]


def _page(case, status=200, bound=None, error=None, section="corrections"):
    """The correction page; `bound` is (name, form) of a form that came back with errors."""
    involvements = list(Involvement.of_case(case))
    forms = {
        "roles": {i.pupil_id: RoleForm(prefix="p%d" % i.pupil_id, formdata=None, role=i.role) for i in involvements},
        "remove": {i.pupil_id: RemovePupilForm(prefix="r%d" % i.pupil_id, formdata=None) for i in involvements},
        "hand_over": HandOverForm(formdata=None, mentors=corrections.mentors(), mentor=case.mentor_id),
        "flags": FlagsForm(formdata=None, online=case.online, possibly_criminal=case.possibly_criminal),
        "set_aside": SetAsideForm(formdata=None, steps=_open_steps(case)),
        "action": ActionForm(formdata=None),
        "second": SecondProtocolForm(formdata=None, protocols=corrections.second_protocols(case)),
        "stop_second": StopSecondProtocolForm(prefix="stop", formdata=None),  # set_aside has a reason too
    }
    summary = []
    if bound:
        name, form, key = bound
        if key is None:
            forms[name] = form
        else:
            forms[name][key] = form
        summary = error_summary(form, section)
    if error:
        summary.append((section, error))
    set_aside = list(CaseStep.select().where(CaseStep.case == case, CaseStep.set_aside_reason != "",
                                             CaseStep.status == "not_applicable").order_by(CaseStep.position))
    audit.seen("case.view", case, detail="correcties")
    return render_template("corrections/page.html", case=case, involvements=involvements, forms=forms,
                           error_summary=summary, set_aside=set_aside, merged_in=merges.standing_from(case),
                           undoable=merges.undoable,
                           second_protocol=protocols.get(case.second_protocol_key or ""),
                           protocol_name=getattr(protocols.get(case.protocol_key), "name", case.protocol_key),
                           step_title=lambda key: protocols.step_title(case.protocol_key, key),
                           add_roles={}, chosen=[]), status


def render(case, status=200, error=None, section="corrections"):
    """The correction page with a conflict said at a section (views/merges.py's refusals)."""
    return _page(case, status, error=error, section=section)


def _case(case_id):
    """The case to correct: the coordinator's (404 for a case one may not see, 403 for one only read)."""
    return get_case_or_404(case_id, need=MANAGE)


def _after(case, message):
    flash(message, "success")
    return redirect(url_for("corrections.page", case_id=case.id))


@bp.route("/<int:case_id>/corrigeren")
@login_required
def page(case_id):
    """The coordinator's corrections of a case."""
    return _page(_case(case_id))


def _involved(case, pupil_id):
    involvement = Involvement.get_or_none(Involvement.case == case, Involvement.pupil == pupil_id)
    if involvement is None:
        refuse(404, case)
    return involvement


@bp.route("/<int:case_id>/leerlingen", methods=["POST"])
@login_required
def add_pupils(case_id):
    """Add pupils with their roles (the picker's role per pupil)."""
    case = _case(case_id)
    form = OpenCaseForm()  # only its reading of the picker's roles
    roles = form.read_roles()
    pupils = {p.id: p for p in Pupil.select().where(Pupil.id.in_(list(roles) or [0]))}
    problem = None
    if not ActionForm().validate_on_submit():
        problem = _("Het formulier is ongeldig.")
    elif not roles:
        problem = _("Kies een leerling en geef die een rol.")
    elif len(pupils) != len(roles) or form.roles_errors:
        problem = " ".join(form.roles_errors) or _("Een gekozen leerling bestaat niet (meer).")
    if problem is None:
        try:
            with db.atomic():
                for pupil_id, role in roles.items():
                    corrections.add_pupil(case, pupils[pupil_id], role, current_user)
                    audit.record("case.correction", case, detail="leerling %d toegevoegd als %s" % (pupil_id, role))
        except WorkflowError as error:
            problem = str(error)
    if problem:
        return _page(case, 400 if "ongeldig" in problem or not roles else 409, error=problem, section="add-pupils")
    return _after(case, _("De leerlingen zijn toegevoegd."))


@bp.route("/<int:case_id>/leerlingen/<int:pupil_id>/rol", methods=["POST"])
@login_required
def change_role(case_id, pupil_id):
    """Give a pupil of the case another role."""
    case = _case(case_id)
    involvement = _involved(case, pupil_id)
    form = RoleForm(prefix="p%d" % pupil_id)
    if not form.validate_on_submit():
        return _page(case, 400, bound=("roles", form, pupil_id), section="pupil-%d" % pupil_id)
    try:
        with db.atomic():
            before = corrections.change_role(case, involvement.pupil, form.role.data, current_user)
            if before != form.role.data:
                audit.record("case.correction", case, detail="rol leerling %d: %s -> %s" % (
                    pupil_id, before, form.role.data))
    except WorkflowError as error:
        return _page(case, 409, bound=("roles", form, pupil_id), error=str(error), section="pupil-%d" % pupil_id)
    return _after(case, _("De rol is gewijzigd."))


@bp.route("/<int:case_id>/leerlingen/<int:pupil_id>/verwijderen", methods=["POST"])
@login_required
def remove_pupil(case_id, pupil_id):
    """Take a pupil added by mistake out of the case, with the reason."""
    case = _case(case_id)
    involvement = _involved(case, pupil_id)
    form = RemovePupilForm(prefix="r%d" % pupil_id)
    if not form.validate_on_submit():
        return _page(case, 400, bound=("remove", form, pupil_id), section="pupil-%d" % pupil_id)
    try:
        with db.atomic():
            corrections.remove_pupil(case, involvement.pupil, form.reason.data, current_user)
            audit.record("case.correction", case, detail="leerling %d verwijderd (was %s)" % (
                pupil_id, involvement.role))
    except WorkflowError as error:
        return _page(case, 409, bound=("remove", form, pupil_id), error=str(error), section="pupil-%d" % pupil_id)
    return _after(case, _("De leerling hoort niet meer bij het dossier."))


@bp.route("/<int:case_id>/overdragen", methods=["POST"])
@login_required
def hand_over(case_id):
    """Hand the case to another mentor."""
    case = _case(case_id)
    form = HandOverForm(mentors=corrections.mentors())
    if not form.validate_on_submit():
        return _page(case, 400, bound=("hand_over", form, None), section="hand-over")
    try:
        with db.atomic():
            before = corrections.hand_over(case, User.get_by_id(form.mentor.data), current_user)
            audit.record("case.correction", case, detail="mentor: %s -> %d" % (
                before.id if before else "-", form.mentor.data))
    except WorkflowError as error:
        return _page(case, 409, bound=("hand_over", form, None), error=str(error), section="hand-over")
    return _after(case, _("Het dossier is overgedragen."))


@bp.route("/<int:case_id>/kenmerken", methods=["POST"])
@login_required
def set_flags(case_id):
    """Set or clear the online and possibly-criminal flags; the steps that depend on them follow."""
    case = _case(case_id)
    form = FlagsForm()
    if not form.validate_on_submit():
        return _page(case, 400, bound=("flags", form, None), section="flags")
    try:
        with db.atomic():
            if corrections.set_flags(case, form.online.data, form.possibly_criminal.data, current_user):
                audit.record("case.correction", case, detail="online %s, strafbaar %s" % (
                    form.online.data, form.possibly_criminal.data))
    except WorkflowError as error:
        return _page(case, 409, bound=("flags", form, None), error=str(error), section="flags")
    return _after(case, _("De kenmerken zijn vastgelegd; de stappen volgen ze."))


@bp.route("/<int:case_id>/niet-van-toepassing", methods=["POST"])
@login_required
def set_aside(case_id):
    """Mark an open step not applicable by hand, with the reason."""
    case = _case(case_id)
    form = SetAsideForm(steps=_open_steps(case))
    if not form.validate_on_submit():
        return _page(case, 400, bound=("set_aside", form, None), section="set-aside")
    try:
        with db.atomic():
            corrections.set_aside(case, form.step.data, form.reason.data, current_user)
            audit.record("case.correction", case, detail="stap %s niet van toepassing" % form.step.data)
    except WorkflowError as error:
        return _page(case, 409, bound=("set_aside", form, None), error=str(error), section="set-aside")
    return _after(case, _("De stap is niet van toepassing."))


@bp.route("/<int:case_id>/stappen/<step_key>/terugzetten", methods=["POST"])
@login_required
def undo_set_aside(case_id, step_key):
    """Undo a step set aside by hand: it follows the protocol again."""
    case = _case(case_id)
    if not ActionForm().validate_on_submit():
        return _page(case, 400, error=_("Het formulier is ongeldig."), section="set-aside")
    try:
        with db.atomic():
            corrections.undo_set_aside(case, step_key, current_user)
            audit.record("case.correction", case, detail="stap %s weer van toepassing" % step_key)
    except WorkflowError as error:
        return _page(case, 409, error=str(error), section="set-aside")
    return _after(case, _("De stap volgt het protocol weer."))


@bp.route("/<int:case_id>/tweede-protocol", methods=["POST"])
@login_required
def add_second_protocol(case_id):
    """Run a second protocol beside the case's own (the online protocol beside the school's)."""
    case = _case(case_id)
    form = SecondProtocolForm(protocols=corrections.second_protocols(case))
    if not form.validate_on_submit():
        return _page(case, 400, bound=("second", form, None), section="second-protocol")
    try:
        with db.atomic():
            protocol = corrections.add_second_protocol(case, form.protocol.data, current_user)
            audit.record("case.correction", case, detail="tweede protocol %s erbij" % protocol.key)
    except WorkflowError as error:
        return _page(case, 409, bound=("second", form, None), error=str(error), section="second-protocol")
    return _after(case, _("Het dossier volgt nu ook %(protocol)s.", protocol=protocol.name))


@bp.route("/<int:case_id>/tweede-protocol/weghalen", methods=["POST"])
@login_required
def stop_second_protocol(case_id):
    """Stop the second protocol, with the reason; what was done in it stays on the timeline."""
    case = _case(case_id)
    form = StopSecondProtocolForm(prefix="stop")
    if not form.validate_on_submit():
        return _page(case, 400, bound=("stop_second", form, None), section="second-protocol")
    try:
        with db.atomic():
            key = corrections.remove_second_protocol(case, form.reason.data, current_user)
            audit.record("case.correction", case, detail="tweede protocol %s weggehaald" % key)
    except WorkflowError as error:
        return _page(case, 409, bound=("stop_second", form, None), error=str(error), section="second-protocol")
    return _after(case, _("Het tweede protocol is weggehaald; wat erin gedaan is, staat op de tijdlijn."))
