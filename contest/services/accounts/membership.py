"""Alliance membership: applications (with ``MEMBERSHIP_APPROVAL`` on, a new account is ``pending``), a site
administrator's approval or refusal with a reason, the member list and its CSV export. Flushes, never commits.

States and moves: pending → approved | refused; refused → approved (on second thought); approved → refused
(membership withdrawn). The reason of a refusal is shown to the applicant.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contest.extensions import db
from contest.services.audit.record import record
from contest.models import PLATFORM_LABELS, AuditAction, Membership, User, utcnow
from contest.services.accounts.errors import AccountError
from contest.services.results.exports import FORMULA_TRIGGERS

#: Allowed moves: state → states it may go to.
TRANSITIONS = {
    Membership.PENDING: {Membership.APPROVED, Membership.REFUSED},
    Membership.REFUSED: {Membership.APPROVED},
    Membership.APPROVED: {Membership.REFUSED},
}


class MembershipError(AccountError):
    """A membership decision was refused (not an administrator, no reason for a refusal, not allowed now)."""


def decide(*, user: User, by: User, approve: bool, reason: str = "") -> None:
    """Approve or refuse ``user``'s membership. Raises :class:`MembershipError` (403) unless ``by`` is a site
    administrator, and (422) for a refusal without a reason (at most 1000 characters) or a move
    :data:`TRANSITIONS` does not allow (e.g. approving an approved member)."""
    if not by.is_admin:
        raise MembershipError(_("Only site administrators decide on membership."), status=403)
    target = Membership.APPROVED if approve else Membership.REFUSED
    reason = (reason or "").strip()
    if target not in TRANSITIONS[user.membership]:
        raise MembershipError(_("This application has already been decided that way."))
    if not approve and not reason:
        raise MembershipError(_("Give the reason for the refusal; the applicant reads it."))
    if len(reason) > 1000:
        raise MembershipError(_("The reason may have at most %(max)d characters.", max=1000))
    before = user.membership
    user.membership, user.membership_reason, user.membership_decided_at = target, reason, utcnow()
    db.session.flush()
    record(AuditAction.MEMBERSHIP_DECIDED, contest_id=None, subject_user_id=user.id,
           before={"membership": before}, after={"membership": target}, reason=reason)


def members(*, state: Membership | None = None) -> list[User]:
    """Accounts (with their platform accounts), pending first, then by registration; only ``state`` if given.
    Site administrators are not listed."""
    stmt = (select(User).where(User.is_admin.is_(False)).options(selectinload(User.platform_accounts))
            .order_by(User.membership != Membership.PENDING, User.created_at, User.id))
    if state is not None:
        stmt = stmt.where(User.membership == state)
    return list(db.session.scalars(stmt))


#: The export's columns, in order.
CSV_HEADER = ("用户名", "显示名", "实名", "手机", "单位", "MCN", "平台账号", "状态", "申请说明", "处理理由", "注册时间 (UTC)")
STATE_LABELS = {Membership.PENDING: "待审核", Membership.APPROVED: "已通过", Membership.REFUSED: "未通过"}


def members_csv(*, state: Membership | None = None, batch: int = 500) -> Iterator[str]:
    """The member list as CSV text in pieces (UTF-8 with BOM first, so Excel reads the Chinese), one piece per
    ``batch`` rows: stream it. Platform accounts are joined as ``抖音:abc; B站:123``."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for n, user in enumerate(members(state=state), start=1):
        accounts = "; ".join(f"{PLATFORM_LABELS[a.platform]}:{a.account_id}" for a in user.platform_accounts)
        writer.writerow([_cell(value) for value in (
            user.username, user.display_name, user.real_name, user.phone, user.unit, user.mcn, accounts,
            STATE_LABELS[user.membership], user.membership_note, user.membership_reason,
            user.created_at.strftime("%Y-%m-%d %H:%M"))])
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: str) -> str:
    """``value`` with a leading ``'`` when it starts like a spreadsheet formula (:data:`FORMULA_TRIGGERS`), so
    that text typed by applicants is never run by Excel."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
