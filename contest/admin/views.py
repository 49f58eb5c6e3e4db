"""Site administrator pages: alliance membership (applications, decisions, the member list and its CSV)."""
from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from contest.admin.forms import MembershipDecisionForm
from contest.auth.access import require_admin
from contest.extensions import db
from contest.main.form_actions import run_form_action
from contest.models import Membership, User
from contest.services.accounts.membership import decide, members, members_csv

bp = Blueprint("admin", __name__)
require_admin(bp)


def _state() -> Membership | None:
    """``?state=pending|approved|refused`` (anything else: every state)."""
    try:
        return Membership(request.args.get("state", ""))
    except ValueError:
        return None


@bp.route("/members")
def members_page():
    return render_template("admin/members.html", members=members(state=_state()), state=_state(),
                           form=MembershipDecisionForm(), states=list(Membership), errors={})


@bp.route("/members.csv")
def members_export():
    """The member list as CSV (UTF-8 with BOM), streamed."""
    state = _state()
    filename = f"members-{state.value if state else 'all'}.csv"
    return Response(stream_with_context(members_csv(state=state)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.route("/members/<int:user_id>/decision", methods=["POST"])
def decision(user_id: int):
    """Approve or refuse (with a reason) one application; refused without a reason, the page comes back with
    the message next to that row."""
    account = db.get_or_404(User, user_id)
    if account.is_admin:
        abort(404)
    form = MembershipDecisionForm()
    approve = bool(form.approve.data)
    done, errors = run_form_action(
        form, lambda: decide(user=account, by=current_user._get_current_object(), approve=approve,
                             reason=form.reason.data or ""),
        success=(_("%(name)s is now a member.", name=account.display_name) if approve
                 else _("The application of %(name)s was refused.", name=account.display_name)),
        next_url=lambda: url_for(".members_page", state=request.args.get("state")))
    return done or (render_template("admin/members.html", members=members(state=_state()), state=_state(),
                                    form=form, states=list(Membership), errors={account.id: errors}), 422)
