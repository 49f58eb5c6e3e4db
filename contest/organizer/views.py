"""Organizer pages: contests (set-up and dashboard), entries, judges and assignments."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from contest.auth.access import require_role
from contest.extensions import db
from contest.models import Assignment, Contest, Entry, Role, utcnow
from contest.organizer.forms import AssignmentForm, ContestForm, JudgeForm
from contest.services.accounts import AccountError, create_user
from contest.services.assignments import (
    AssignmentError, active_judges, assign_all, assign_per_entry, contest_progress, entry_assignments,
    judge_workloads, remove_assignment, review_counts,
)
from contest.services.contests import (
    ContestError, all_contests, contest_entries, create_contest, entry_counts, update_contest,
)
from contest.services.submissions import SubmissionError, disqualify_entry

bp = Blueprint("organizer", __name__)
require_role(bp, Role.ORGANIZER)


@bp.context_processor
def _template_helpers():
    """``has_endpoint(name)``: link to pages of other blueprints only when they are registered."""
    return {"has_endpoint": lambda name: name in current_app.view_functions}


@bp.route("/")
def index():
    return render_template("organizer/index.html", contests=all_contests(), counts=entry_counts(),
                           now=utcnow())


@bp.route("/contests/new", methods=["GET", "POST"])
def new_contest():
    form = ContestForm()
    if not form.is_submitted():
        form.add_blank_rows()
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
    return render_template("organizer/contest_form.html", form=form, contest=None)


@bp.route("/contests/<int:contest_id>/edit", methods=["GET", "POST"])
def edit_contest(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form = ContestForm.for_contest(contest)
    if not form.is_submitted():
        form.add_blank_rows()
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
    return render_template("organizer/contest_form.html", form=form, contest=contest)


@bp.route("/contests/<int:contest_id>")
def dashboard(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    entries = contest_entries(contest=contest, page=request.args.get("page", 1, type=int),
                              per_page=current_app.config["PAGE_SIZE"])
    reviews = review_counts(contest=contest, entry_ids=[entry.id for entry in entries.items])
    return render_template("organizer/contest.html", contest=contest, entries=entries, reviews=reviews,
                           progress=contest_progress(contest=contest))


@bp.route("/contests/<int:contest_id>/assignments", methods=["GET", "POST"])
def assign(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    judges = active_judges()
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
                           progress=contest_progress(contest=contest))


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
    entry = db.get_or_404(Entry, entry_id)
    return render_template("organizer/entry.html", entry=entry, assignments=entry_assignments(entry=entry))


@bp.route("/entries/<int:entry_id>/disqualify", methods=["POST"])
def disqualify(entry_id: int):
    entry = db.get_or_404(Entry, entry_id)
    try:
        disqualify_entry(entry=entry)
    except SubmissionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Entry %(number)s disqualified.", number=entry.number), "success")
    return redirect(url_for(".dashboard", contest_id=entry.contest_id))


@bp.route("/judges")
def judges():
    return render_template("organizer/judges.html", workloads=judge_workloads())


@bp.route("/judges/new", methods=["GET", "POST"])
def new_judge():
    form = JudgeForm()
    if form.validate_on_submit():
        try:
            judge = create_user(username=form.username.data, password=form.password.data, role=Role.JUDGE,
                                display_name=form.display_name.data)
        except AccountError as exc:
            form.username.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Judge account %(name)s created.", name=judge.username), "success")
            return redirect(url_for(".judges"))
    return render_template("organizer/judge_form.html", form=form)
