"""Organizer pages for judging rounds: the rounds of a contest, one round's settings, closing it, promotion
into the next round, and reopening a submitted review."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from contest.auth.access import may_change, require_contest_staff
from contest.errors import DomainError
from contest.extensions import db
from sqlalchemy import func, select

from contest.models import Assignment, Conflict, Contest, Entry, Review, Round, User, utcnow
from contest.rounds.forms import (
    AGGREGATION_LABELS,
    PROMOTION_LABELS,
    BlindTextForm,
    ConflictForm,
    VISIBILITY_LABELS,
    NewRoundForm,
    ReopenReviewForm,
    RoundForm,
)
from contest.services.judging import panel, recusal, rounds
from contest.services.judging.assignments import active_judges
from contest.services.judging.blind import set_blind_text
from contest.services.judging.reviews import reopen_review
from contest.services.results import promotion
from contest.services.results.ranking import rank_entries

bp = Blueprint("rounds", __name__)

#: Why a derived conflict holds (contest.services.judging.conflicts.ConflictSource).
SOURCE_LABELS = {"same_unit": _l("Same unit (单位) as the creator"), "same_mcn": _l("Same MCN / agency"),
                 "creator": _l("The judge made the entry"), "declared": _l("Judge stepped aside"),
                 "organizer": _l("Entered by an organizer")}
require_contest_staff(bp)


@bp.context_processor
def _labels():
    return {"AGGREGATION_LABELS": AGGREGATION_LABELS, "VISIBILITY_LABELS": VISIBILITY_LABELS,
            "PROMOTION_LABELS": PROMOTION_LABELS, "now": utcnow(), "may_change": may_change}


@bp.route("/contests/<int:contest_id>/rounds", methods=["GET", "POST"])
def index(contest_id: int):
    """The contest's rounds; POST adds one after the last."""
    contest = db.get_or_404(Contest, contest_id)
    form = NewRoundForm()
    if form.validate_on_submit():
        try:
            round_ = rounds.add_round(contest=contest, name=form.name.data)
        except rounds.RoundError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Round %(name)s added.", name=round_.name), "success")
            return redirect(url_for(".edit", round_id=round_.id))
    return render_template("rounds/index.html", contest=contest, form=form,
                           promoted={r.id: len(promotion.promoted_ids(r)) for r in contest.rounds})


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    form = RoundForm.for_round(round_)
    if form.validate_on_submit():
        try:
            changes = rounds.update_round(round_=round_, **form.settings())
        except rounds.RoundError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Settings of %(name)s saved.", name=round_.name) if changes else _("Nothing changed."),
                  "success")
            return redirect(url_for(".index", contest_id=round_.contest_id))
    return render_template("rounds/edit.html", round=round_, contest=round_.contest, form=form)


@bp.route("/rounds/<int:round_id>/assign", methods=["GET", "POST"])
def assign(round_id: int):
    """The round's panel and its assignment: judges (and their categories when the round restricts), N per
    entry, the cap; the plan is written whole or not at all."""
    round_ = db.get_or_404(Round, round_id)
    contest = round_.contest
    judges = active_judges(contest=contest)
    members = panel.panel_of(round_)
    errors: list[str] = []
    values = {"per_entry": round_.judges_per_entry or 3, "cap": round_.judge_cap}
    if request.method == "POST":
        chosen = {j.id: frozenset(request.form.getlist(f"categories-{j.id}", type=int))
                  for j in judges if str(j.id) in request.form.getlist("judge")}
        values = {"per_entry": request.form.get("per_entry", type=int), "cap": request.form.get("cap", type=int)}
        members = chosen
        if not chosen:
            errors.append(_("Choose at least one judge."))
        elif not values["per_entry"] or values["per_entry"] < 1:
            errors.append(_("Each entry needs at least one judge."))
        else:
            try:
                plan = panel.assign_round(round_=round_, judges=chosen, per_entry=values["per_entry"],
                                          cap=values["cap"])
            except DomainError as exc:
                db.session.rollback()
                errors.append(str(exc))
            else:
                db.session.commit()
                flash(ngettext("%(num)s new assignment.", "%(num)s new assignments.", len(plan.pairs)), "success")
                return redirect(url_for(".assign", round_id=round_.id))
    loads = dict(db.session.execute(select(Assignment.judge_id, func.count(Assignment.id))
                                    .where(Assignment.round_id == round_.id)
                                    .group_by(Assignment.judge_id)).all())
    return render_template("rounds/assign.html", round=round_, contest=contest, judges=judges, members=members,
                           values=values, errors=errors, loads=loads)


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
def close(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    _run(lambda: rounds.close_round(round_=round_),
         _("%(name)s is closed; its reviews are locked.", name=round_.name))
    return redirect(url_for(".index", contest_id=round_.contest_id))


@bp.route("/rounds/<int:round_id>/promotion", methods=["GET", "POST"])
def promote(round_id: int):
    """GET: the round's ranking with the rule's proposal ticked; POST: promote the ticked entries."""
    round_ = db.get_or_404(Round, round_id)
    if request.method == "POST":
        chosen = request.form.getlist("entry_id", type=int)
        done = _run(lambda: promotion.promote(round_=round_, decided_by=current_user, entry_ids=chosen),
                    ngettext("%(num)s entry goes on to the next round.",
                             "%(num)s entries go on to the next round.", len(chosen)))
        if done:
            return redirect(url_for(".index", contest_id=round_.contest_id))
    proposal = promotion.propose(round_=round_)
    rows = rank_entries(contest=round_.contest, round_=round_)
    ticked = promotion.promoted_ids(round_) or {row.entry.id for row in proposal.rows}
    return render_template("rounds/promotion.html", round=round_, contest=round_.contest, rows=rows,
                           ticked=ticked, proposal=proposal, target=rounds.next_round(round_))


@bp.route("/rounds/<int:round_id>/promotion/revert", methods=["POST"])
def revert(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    _run(lambda: promotion.revert(round_=round_), _("The promotion was undone."))
    return redirect(url_for(".index", contest_id=round_.contest_id))


@bp.route("/reviews/<int:review_id>/reopen", methods=["POST"])
def reopen(review_id: int):
    review = db.get_or_404(Review, review_id)
    form = ReopenReviewForm()
    if not form.validate_on_submit():
        flash(_("Say why the review is reopened."), "danger")
    else:
        _run(lambda: reopen_review(review=review, reason=form.reason.data),
             _("The review is open again; its judge can change and resubmit it."))
    return redirect(url_for("organizer.entry_detail", entry_id=review.assignment.entry_id))


@bp.route("/contests/<int:contest_id>/conflicts", methods=["GET", "POST"])
def conflicts(contest_id: int):
    """Every recorded conflict of interest of the contest with its source; POST records a pair."""
    contest = db.get_or_404(Contest, contest_id)
    form = ConflictForm()
    if form.validate_on_submit():
        judge = db.session.scalar(select(User).where(func.lower(User.username) == form.judge.data.strip().lower()))
        entry = db.session.scalar(select(Entry).where(Entry.contest_id == contest.id,
                                                      Entry.number == form.entry_number.data.strip()))
        if judge is None:
            form.judge.errors.append(_("No account with this username."))
        if entry is None:
            form.entry_number.errors.append(_("No entry of this contest has this number."))
        if judge is not None and entry is not None:
            try:
                recusal.add_conflict(entry=entry, judge=judge, reason=form.reason.data, by=current_user)
            except DomainError as exc:
                db.session.rollback()
                form.reason.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("Conflict recorded: %(judge)s will not judge %(number)s.", judge=judge.display_name,
                        number=entry.number), "success")
                return redirect(url_for(".conflicts", contest_id=contest.id))
    round_ = rounds.current_round(contest)
    return render_template("rounds/conflicts.html", contest=contest, form=form, round=round_,
                           conflicts=recusal.recorded_conflicts(contest=contest),
                           derived=panel.derived_conflicts(round_), source_labels=SOURCE_LABELS)


@bp.route("/conflicts/<int:conflict_id>/remove", methods=["POST"])
def remove_conflict(conflict_id: int):
    conflict = db.get_or_404(Conflict, conflict_id)
    contest_id = conflict.contest_id
    _run(lambda: recusal.remove_conflict(conflict=conflict), _("Conflict removed."))
    return redirect(url_for(".conflicts", contest_id=contest_id))


@bp.route("/entries/<int:entry_id>/blind-text", methods=["POST"])
def blind_text(entry_id: int):
    """The redacted title / description judges of a blind round read."""
    entry = db.get_or_404(Entry, entry_id)
    form = BlindTextForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
    else:
        _run(lambda: set_blind_text(entry=entry, title=form.blind_title.data,
                                    description=form.blind_description.data),
             _("Blind judges will read the text you gave."))
    return redirect(url_for("organizer.entry_detail", entry_id=entry.id) + "#blind-text")


def _run(action, success: str) -> bool:
    """Run a service action: commit and flash ``success``, or roll back and flash its refusal."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False
    db.session.commit()
    flash(success, "success")
    return True
