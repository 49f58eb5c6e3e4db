"""Organizer pages: contests (set-up and dashboard), entries, judges and assignments, the people of a contest.

Access (:func:`contest.auth.access.require_contest_staff`): every URL naming a contest object needs an organizer
or supervisor of that contest (or a site administrator); supervisors only read."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from contest.auth.access import may_change, require_contest_staff, staff_contest_ids
from contest.extensions import db
from contest.infra import tasks
from contest.main.form_actions import run_form_action
from contest.models import (
    Assignment,
    Contest,
    Entry,
    ContestRole,
    ContestRoleName,
    ReplacementPermit,
    User,
    utcnow,
)
from contest.organizer.forms import (
    AssignmentForm,
    ContestForm,
    DeclarationsForm,
    ExtensionForm,
    ROLE_LABELS,
    GrantForm,
    JudgeForm,
    ReplacementPermitForm,
)
from contest.services.accounts.errors import AccountError
from contest.services.accounts.passwords import PasswordPolicyError
from contest.services.accounts.sessions import (
    deactivate_account,
    may_manage,
    reactivate_account,
    sign_out_everywhere,
)
from contest.services.accounts.users import create_user
from contest.services.contests import roles
from contest.services.contests.queries import (
    all_contests,
    contest_entries,
    entry_counts,
    entry_with_details,
)
from contest.services.contests.setup import ContestError, create_contest, update_contest
from contest.services.judging import voiding
from contest.services.judging.assignments import (
    AssignmentError,
    active_judges,
    assign_all,
    assign_per_entry,
    entry_assignments,
    judge_workloads,
    remove_assignment,
    review_counts,
)
from contest.services.judging.progress import (
    judge_rows_page,
    judging_progress,
)
from contest.services.media.actions import VideoActionError, can_rerun, rerun_processing
from contest.services.media.duplicates import similar_links
from contest.services.submissions.declarations import (
    DECLARATION_TITLES,
    acceptances_of,
    aigc_label,
    contest_declarations,
    update_declarations,
)
from contest.services.submissions.entries import disqualify_entry
from contest.services.submissions.window import (
    deadline_with,
    extend_deadline,
    extension_for,
    finished_in_grace,
)
from contest.submissions.forms import ReasonForm

bp = Blueprint("organizer", __name__)
require_contest_staff(bp)


@bp.context_processor
def _template_helpers():
    """``has_endpoint(name)``: link to pages of other blueprints only when they are registered; the labels of
    declarations and of AIGC answers."""
    return {"has_endpoint": lambda name: name in current_app.view_functions,
            "DECLARATION_TITLES": DECLARATION_TITLES, "aigc_label": aigc_label, "may_change": may_change,
            "role_labels": ROLE_LABELS}


@bp.route("/")
def index():
    """The contests the user organizes or supervises (every contest for a site administrator)."""
    ids = staff_contest_ids()
    return render_template("organizer/index.html", contests=all_contests(ids=ids), counts=entry_counts(ids=ids),
                           now=utcnow())


@bp.route("/contests/new", methods=["GET", "POST"])
def new_contest():
    """Site administrators only."""
    if not current_user.is_admin:
        abort(403)
    form = ContestForm()
    if form.validate_on_submit():
        try:
            contest = create_contest(**form.contest_fields())
        except ContestError as exc:
            db.session.rollback()
            form.show_error(exc)
        else:
            db.session.commit()
            flash(_("Contest %(code)s created.", code=contest.code), "success")
            return redirect(url_for(".dashboard", contest_id=contest.id))
    form.add_blank_rows()
    return render_template("organizer/contest_form.html", form=form, contest=None)


@bp.route("/contests/<int:contest_id>/edit", methods=["GET", "POST"])
def edit_contest(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form = ContestForm.for_contest(contest)
    if form.validate_on_submit():
        try:
            update_contest(contest=contest, **form.contest_fields())
        except ContestError as exc:
            db.session.rollback()
            form.show_error(exc)
        else:
            db.session.commit()
            flash(_("Contest %(code)s saved.", code=contest.code), "success")
            return redirect(url_for(".dashboard", contest_id=contest.id))
    form.add_blank_rows()
    return render_template("organizer/contest_form.html", form=form, contest=contest)


@bp.route("/contests/<int:contest_id>/declarations", methods=["GET", "POST"])
def declarations(contest_id: int):
    """The texts creators accept to submit; an edited text gets the next version."""
    contest = db.get_or_404(Contest, contest_id)
    current = contest_declarations(contest=contest)
    form = DeclarationsForm(data={d.key.value: d.text for d in current})
    done, errors = run_form_action(
        form, lambda: update_declarations(contest=contest, texts=form.texts(), by=_me()),
        success=_("The declarations of %(code)s have been saved.", code=contest.code),
        next_url=lambda: url_for(".declarations", contest_id=contest.id))
    return done or render_template("organizer/declarations.html", contest=contest, form=form, errors=errors,
                                   versions={d.key.value: d.version for d in current})


@bp.route("/contests/<int:contest_id>")
def dashboard(contest_id: int):
    contest = db.get_or_404(Contest, contest_id,
                            options=[joinedload(Contest.categories), joinedload(Contest.criteria)])
    entries = contest_entries(contest=contest, page=_page(), per_page=current_app.config["PAGE_SIZE"])
    reviews = review_counts(contest=contest, entry_ids=[entry.id for entry in entries.items])
    return render_template("organizer/contest.html", contest=contest, entries=entries, reviews=reviews,
                           progress=judging_progress(contest=contest))


@bp.route("/contests/<int:contest_id>/progress")
def judge_progress(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    progress = judging_progress(contest=contest)
    rows = judge_rows_page(progress, page=_page(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("organizer/progress.html", contest=contest, progress=progress, rows=rows)


@bp.route("/contests/<int:contest_id>/assignments", methods=["GET", "POST"])
def assign(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    judges = active_judges(contest=contest)
    form = AssignmentForm()
    form.judges.choices = form.judge_choices(judges)
    if not form.is_submitted():
        form.judges.data = [judge.id for judge in judges]
    if form.validate_on_submit():
        chosen = [judge for judge in judges if judge.id in form.judges.data]
        try:
            if form.mode.data == form.MODE_ALL:
                created = assign_all(contest=contest, judges=chosen)
            else:
                created = assign_per_entry(contest=contest, judges=chosen, per_entry=form.per_entry.data)
        except AssignmentError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(ngettext("%(num)s new assignment.", "%(num)s new assignments.", created), "success")
            return redirect(url_for(".dashboard", contest_id=contest.id))
    return render_template("organizer/assignments.html", contest=contest, form=form,
                           progress=judging_progress(contest=contest))


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
def unassign(assignment_id: int):
    assignment = db.get_or_404(Assignment, assignment_id)
    entry_id = assignment.entry_id
    try:
        remove_assignment(assignment=assignment)
    except AssignmentError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Assignment removed."), "success")
    return redirect(url_for(".entry_detail", entry_id=entry_id))


@bp.route("/entries/<int:entry_id>")
def entry_detail(entry_id: int):
    return _entry_page(entry_id)


@bp.route("/entries/<int:entry_id>/allow-replacement", methods=["POST"])
def allow_replacement(entry_id: int):
    """Let the creator replace the video of a reviewed entry once (the reviews are voided by that upload)."""
    entry = db.get_or_404(Entry, entry_id)
    form = ReplacementPermitForm()
    if form.validate_on_submit():
        try:
            voiding.allow_replacement(entry=entry, organizer=current_user._get_current_object(),
                                      reason=form.reason.data)
        except voiding.PermitError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, *exc.reasons]
        else:
            db.session.commit()
            flash(_("The creator of %(number)s may now upload a new video once; the judges' reviews become void "
                    "when they do.", number=entry.number), "success")
            return redirect(url_for(".entry_detail", entry_id=entry.id))
    return _entry_page(entry.id, permit_form=form)


@bp.route("/permits/<int:permit_id>/revoke", methods=["POST"])
def revoke_permit(permit_id: int):
    permit = db.get_or_404(ReplacementPermit, permit_id)
    try:
        voiding.revoke_permit(permit=permit, organizer=current_user._get_current_object())
    except voiding.PermitError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Permission withdrawn: the video of this entry can no longer be replaced."), "success")
    return redirect(url_for(".entry_detail", entry_id=permit.entry_id))


@bp.route("/entries/<int:entry_id>/extension", methods=["POST"])
def extend(entry_id: int):
    """Extend the deadline of the entry's creator in its contest (all their entries there), with a reason."""
    entry, form = db.get_or_404(Entry, entry_id), ExtensionForm()
    done, errors = run_form_action(
        form, lambda: extend_deadline(contest=entry.contest, creator=entry.creator,
                                      closes_at=form.closes_at_utc(), reason=form.reason.data, by=_me()),
        success=_("The deadline of %(name)s has been extended.", name=entry.creator.display_name),
        next_url=lambda: url_for(".entry_detail", entry_id=entry.id))
    return done or _entry_page(entry_id, extension_form=form, extension_errors=errors)




@bp.route("/entries/<int:entry_id>/reprocess", methods=["POST"])
def reprocess(entry_id: int):
    """Run the processing of the entry's video again (ready or failed, original still stored)."""
    entry = db.get_or_404(Entry, entry_id)
    try:
        if entry.video is None:
            raise VideoActionError(_("This entry has no video."))
        rerun_processing(video=entry.video)
    except VideoActionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        tasks.enqueue("process_video", entry.video.id)
        flash(_("The video of %(number)s is being processed again.", number=entry.number), "success")
    return redirect(url_for(".entry_detail", entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/disqualify", methods=["GET", "POST"])
def disqualify(entry_id: int):
    """Disqualify with a reason that the creator sees (kept on the page when refused)."""
    entry, form = db.get_or_404(Entry, entry_id), ReasonForm()
    done, errors = run_form_action(
        form, lambda: disqualify_entry(entry=entry, reason=form.reason.data, by=_me()),
        success=_("Entry %(number)s disqualified.", number=entry.number),
        next_url=lambda: url_for(".dashboard", contest_id=entry.contest_id))
    return done or render_template("organizer/disqualify.html", entry=entry, form=form, errors=errors)


@bp.route("/judges")
def judges():
    """The judges of the user's contests with their workloads there (every judge for an administrator)."""
    return render_template("organizer/judges.html", workloads=judge_workloads(contest_ids=staff_contest_ids()))


@bp.route("/contests/<int:contest_id>/people", methods=["GET", "POST"])
def people(contest_id: int):
    """The contest's organizers, judges and supervisors; grant a role to an existing account by username."""
    contest = db.get_or_404(Contest, contest_id)
    form = _grant_form(contest)
    done, errors = run_form_action(
        form, lambda: roles.grant_role(contest=contest, user=roles.user_named(form.username.data),
                                       role=ContestRoleName(form.role.data), by=_me()),
        success=_("Role granted."), next_url=lambda: url_for(".people", contest_id=contest.id))
    return done or _people_page(contest, grant_form=form, grant_errors=errors)


@bp.route("/contests/<int:contest_id>/people/judges/new", methods=["POST"])
def new_judge(contest_id: int):
    """Create a judge account and grant it the judge role of this contest."""
    contest = db.get_or_404(Contest, contest_id)
    form = JudgeForm()
    if form.validate_on_submit():
        try:
            judge = create_user(username=form.username.data, password=form.password.data,
                                display_name=form.display_name.data)
            roles.grant_role(contest=contest, user=judge, role=ContestRoleName.JUDGE, by=_me())
        except AccountError as exc:
            db.session.rollback()
            field = form.password if isinstance(exc, PasswordPolicyError) else form.username
            field.errors.extend(exc.reasons)
        else:
            db.session.commit()
            flash(_("Judge account %(name)s created.", name=judge.username), "success")
            return redirect(url_for(".people", contest_id=contest.id))
    return _people_page(contest, judge_form=form)


@bp.route("/grants/<int:grant_id>/revoke", methods=["POST"])
def revoke(grant_id: int):
    grant = db.get_or_404(ContestRole, grant_id)
    contest_id = grant.contest_id
    try:
        roles.revoke_role(grant=grant, by=_me())
    except roles.RoleError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Role revoked."), "success")
    return redirect(url_for(".people", contest_id=contest_id))


def _grant_form(contest: Contest) -> GrantForm:
    form = GrantForm()
    form.role.choices = form.role_choices(roles.grantable_roles(_me(), contest.id))
    return form


def _people_page(contest: Contest, *, grant_form: GrantForm | None = None, grant_errors: list[str] | None = None,
                 judge_form: JudgeForm | None = None):
    return render_template("organizer/people.html", contest=contest, grants=roles.people_of(contest.id),
                           grantable=roles.grantable_roles(_me(), contest.id),
                           grant_form=grant_form or _grant_form(contest), grant_errors=grant_errors or [],
                           judge_form=judge_form or JudgeForm())


def _entry_page(entry_id: int, *, permit_form: ReplacementPermitForm | None = None,
                extension_form: ExtensionForm | None = None, extension_errors: list[str] | None = None):
    """The organizer's entry page: details, video, judges and reviews, permissions to replace the video and
    the reviews they voided, declarations accepted, the creator's deadline extension."""
    entry = entry_with_details(entry_id=entry_id)
    if entry is None:
        abort(404)
    permits = voiding.permit_history(entry=entry)
    voided = voiding.voided_reviews(entry=entry) if any(p.used_at for p in permits) else []
    video, extension = entry.video, extension_for(entry.contest, entry.creator_id)
    return render_template("organizer/entry.html", entry=entry, assignments=entry_assignments(entry=entry),
                           similar=similar_links(entry), can_rerun=can_rerun(video),
                           permits=permits, voided=voided, permit_form=permit_form or ReplacementPermitForm(),
                           acceptances=acceptances_of(entry=entry), extension=extension,
                           extension_form=extension_form or ExtensionForm(),
                           extension_errors=extension_errors or [],
                           in_grace=video is not None and finished_in_grace(
                               deadline=deadline_with(entry.contest, extension),
                               started_at=video.upload_started_at, finished_at=video.created_at))


@bp.route("/users/<int:user_id>")
def user(user_id: int):
    """An account taking part in one of the user's contests (any account for an administrator): its profile,
    state and the organizer's actions on it; 404 for others."""
    account = _visible_account(user_id)
    return render_template("organizer/user.html", account=account, managed=may_manage(user=account, by=_me()),
                           grants=roles.grants_of(account.id, staff_contest_ids()))


#: The organizer's actions on an account: service verb and the message once done.
ACCOUNT_ACTIONS = {
    "deactivate": (deactivate_account, _l("%(name)s was deactivated and signed out everywhere.")),
    "reactivate": (reactivate_account, _l("%(name)s can log in again.")),
    "sign-out": (sign_out_everywhere, _l("%(name)s was signed out everywhere.")),
}


@bp.route("/users/<int:user_id>/<any(deactivate, reactivate, 'sign-out'):action>", methods=["POST"])
def account_action(user_id: int, action: str):
    """Deactivate, reactivate or sign out everywhere a judge or creator (403 for organizer accounts)."""
    account = _visible_account(user_id)
    verb, message = ACCOUNT_ACTIONS[action]
    verb(user=account, by=current_user._get_current_object())
    db.session.commit()
    flash(str(message) % {"name": account.username}, "success")
    return redirect(url_for(".user", user_id=account.id))


def _visible_account(user_id: int) -> User:
    """The account if it takes part in a contest whose organizer pages the user may read (administrators: any
    account), else 404."""
    account = db.get_or_404(User, user_id)
    ids = staff_contest_ids()
    if ids is not None and not roles.takes_part_in(account.id, ids):
        abort(404)
    return account


def _me():
    """The signed-in organizer (the user object, not Flask-Login's proxy)."""
    return current_user._get_current_object()


def _page() -> int:
    """The 1-based ``?page=`` of a paged list (1 when missing or not a number)."""
    return request.args.get("page", 1, type=int)
