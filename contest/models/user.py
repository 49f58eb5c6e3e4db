"""Accounts and the people behind them: the profile conflicts of interest are derived from (real name, phone,
unit 单位, MCN / agency, platform accounts), alliance membership, and the roles a user holds per contest.

Roles: every account may take part as a creator where a contest lets it; ``User.is_admin`` (site administrator)
creates contests and grants contest roles; :class:`ContestRole` grants organizer, judge or supervisor (监督,
read-only organizer) in one contest. The rules that read them live in
:mod:`contest.services.contests.roles`.
"""
import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow


class ContestRoleName(enum.StrEnum):
    """What a :class:`ContestRole` grants in its contest."""

    ORGANIZER = "organizer"
    JUDGE = "judge"
    #: 监督: sees everything an organizer sees in the contest and changes nothing.
    SUPERVISOR = "supervisor"


class Membership(enum.StrEnum):
    """Alliance membership of an account. Without ``MEMBERSHIP_APPROVAL`` every new account is ``approved``;
    with it, ``pending`` until a site administrator approves or refuses (with a reason)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Platform(enum.StrEnum):
    """Platforms a creator's account may be on (the stats ledger reads play counts per platform account)."""

    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    SHIPINHAO = "shipinhao"
    BILIBILI = "bilibili"
    XIAOHONGSHU = "xiaohongshu"
    WEIBO = "weibo"
    XIGUA = "xigua"
    TOUTIAO = "toutiao"
    OTHER = "other"


#: Platform → name shown to people (Chinese names are the platforms' own).
PLATFORM_LABELS = {
    Platform.DOUYIN: "抖音", Platform.KUAISHOU: "快手", Platform.SHIPINHAO: "视频号", Platform.BILIBILI: "B站",
    Platform.XIAOHONGSHU: "小红书", Platform.WEIBO: "微博", Platform.XIGUA: "西瓜视频",
    Platform.TOUTIAO: "今日头条", Platform.OTHER: "其他",
}


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name (ASCII letters, digits, ``_.-@``), unique, compared lower-case.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    #: Name shown to people, Chinese allowed.
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    #: Site administrator: creates contests, grants contest roles, approves members; organizer of every contest.
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: argon2id hash (contest.services.accounts.passwords); the plain text is never kept.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: Written into every session and remember-me cookie (see :meth:`get_id`); raised by one to end them all
    #: (log-out, password change, deactivation, "sign out everywhere": contest.services.accounts.sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Profile (contest.services.accounts.profile validates it): what conflicts of interest are derived from.
    #: Legal name (实名), as on an ID card.
    real_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    #: Mainland mobile number, 11 digits, no country code.
    phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: Unit / company (单位).
    unit: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: MCN / agency the creator is signed with.
    mcn: Mapped[str] = mapped_column(String(200), default="", server_default="")

    membership: Mapped[Membership] = mapped_column(enum_column(Membership), default=Membership.APPROVED,
                                                   server_default=Membership.APPROVED.value)
    #: The applicant's note with the application (membership approval on).
    membership_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Why the application was refused (shown to the applicant).
    membership_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    membership_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    platform_accounts: Mapped[list["PlatformAccount"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="PlatformAccount.id")
    #: The user's contest roles (read-only here: granted and revoked by contest.services.contests.roles). The
    #: session loader loads them with the user, so access checks and the navigation cost no query.
    grants: Mapped[list["ContestRole"]] = relationship(
        primaryjoin="User.id == ContestRole.user_id", viewonly=True, order_by="ContestRole.id")

    def get_id(self) -> str:  # Flask-Login: stored in the session and the remember-me cookie
        """``"<id>:<session_version>"``: a cookie carries the version it was issued for, so raising the version
        ends it (Flask-Login's "alternative tokens")."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_member(self) -> bool:
        """An approved alliance member."""
        return self.membership == Membership.APPROVED

    def __repr__(self) -> str:
        return f"<User {self.username}{' admin' if self.is_admin else ''}>"


class PlatformAccount(db.Model):
    """One of a user's accounts on a video platform (抖音号, 快手号, B站 UID …), unique per platform."""

    __tablename__ = "platform_account"
    __table_args__ = (UniqueConstraint("user_id", "platform", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    #: The platform's id or handle of the account, as the platform shows it.
    account_id: Mapped[str] = mapped_column(String(100))

    user: Mapped[User] = relationship(back_populates="platform_accounts")

    @property
    def platform_label(self) -> str:
        return PLATFORM_LABELS[self.platform]


class ContestRole(db.Model):
    """A role granted to a user in one contest (organizer, judge, supervisor), by whom and when."""

    __tablename__ = "contest_role"
    __table_args__ = (UniqueConstraint("contest_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[ContestRoleName] = mapped_column(enum_column(ContestRoleName))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    contest: Mapped["Contest"] = relationship()  # noqa: F821 (contest.models.contest)
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
