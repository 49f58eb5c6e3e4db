"""Judge pages: the judging queue and the review form of one assigned entry."""
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
from flask_login import current_user

from contest.auth.access import require_any_grant
from contest.errors import DomainError
from contest.extensions import db
from contest.judging.forms import RecusalForm, review_form
from contest.models import Assignment, ContestRoleName, EntryState, ReviewState, utcnow
from contest.services.contests import roles
from contest.services.judging import queries as judging_queries
from contest.services.judging import reviews as judging
from contest.services.judging import recusal, rounds
from contest.services.judging import voiding
from contest.services.submissions.projections import for_judge, for_judge_queue

bp = Blueprint("judging", __name__)
require_any_grant(bp, ContestRoleName.JUDGE)


@bp.route("/")
def queue():
    page = request.args.get("page", 1, type=int)
    assignments = judging_queries.judge_queue_page(judge=current_user, page=page,
                                                   per_page=current_app.config["PAGE_SIZE"])
    notices = voiding.voided_notices(assignment_ids=[a.id for a in assignments.items])
    return render_template("judging/queue.html", assignments=assignments, done=assignments.submitted,
                           total=assignments.total, notices=notices, groups=for_judge_queue(assignments.groups))


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
def entry(entry_id: int):
    assignment = _load_assignment(entry_id)
    contest, round_ = assignment.entry.contest, assignment.round
    form = review_form(contest.criteria, assignment.review)
    if form.validate_on_submit():
        try:
            review = judging.save_review(assignment=assignment, scores=form.scores(),
                                         comment=form.comment.data, submit=form.submit_final.data)
        except judging.ReviewError as exc:
            form.add_review_error(exc)
        except DomainError as exc:  # the round is closed (or not open yet): nothing was saved
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for(".entry", entry_id=entry_id))
        else:
            db.session.commit()
            if review.state == ReviewState.SUBMITTED:
                flash(_("Final scores for %(number)s submitted.", number=assignment.entry.number), "success")
                return redirect(_next_url())
            flash(_("Draft saved. It does not count until you submit it."), "info")
            return redirect(url_for(".entry", entry_id=entry_id))
    notice = voiding.voided_notices(assignment_ids=[assignment.id]).get(assignment.id)
    review = assignment.review
    own_submitted = review is not None and review.state == ReviewState.SUBMITTED
    others = (judging_queries.other_reviews(assignment)
              if rounds.others_visible(round_, own_submitted=own_submitted) else None)
    position = judging_queries.round_position(judge=current_user, assignment=assignment)
    return render_template("judging/entry.html", assignment=assignment, round=round_,
                           entry=for_judge(assignment.entry, blind=round_.blind), review=review, form=form,
                           notice=notice, locked=not round_.is_open(utcnow()), others=others,
                           position=position)


@bp.route("/entries/<int:entry_id>/recuse", methods=["GET", "POST"])
def recuse(entry_id: int):
    """回避: the judge steps aside from an assigned entry, with a reason; the seat goes to another judge."""
    assignment = _load_assignment(entry_id)
    form = RecusalForm()
    if form.validate_on_submit():
        number = assignment.entry.number
        try:
            recusal.recuse(assignment=assignment, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            form.reason.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("You stepped aside from %(number)s; it left your queue.", number=number), "success")
            return redirect(url_for(".queue"))
    return render_template("judging/recuse.html", entry=for_judge(assignment.entry, blind=assignment.round.blind),
                           form=form)


def _load_assignment(entry_id: int) -> Assignment:
    """The current judge's assignment to a submitted entry of a contest where they hold the judge grant, with
    all the page shows; 404 otherwise (not disclosing other entries)."""
    assignment = judging_queries.judge_assignment(judge=current_user, entry_id=entry_id)
    if (assignment is None or assignment.entry.state != EntryState.SUBMITTED
            or not roles.is_judge(current_user, assignment.entry.contest_id)):
        abort(404)
    return assignment


def _next_url() -> str:
    """The next entry still to score, or the queue when none is left."""
    following = judging_queries.next_unsubmitted(judge=current_user)
    if following is None:
        return url_for(".queue")
    return url_for(".entry", entry_id=following.entry_id)
