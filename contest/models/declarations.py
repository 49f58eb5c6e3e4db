"""Declarations (声明) a creator accepts to submit an entry, and what each entry accepted.

A contest's texts are :class:`ContestDeclaration` rows once an organizer has edited them (else the defaults of
:mod:`contest.services.submissions.declarations`, version 1). Each accepted text is kept on the entry with its
version, its SHA-256 and a copy of the words, so that what a creator promised stays readable after an edit.
"""
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow


class DeclarationKey(enum.StrEnum):
    """The statements of every contest, in the order they are shown."""

    ORIGINALITY = "originality"  # 原创承诺
    RIGHTS = "rights"  # 肖像权与音乐版权
    AIGC = "aigc"  # AIGC 声明


class AigcUse(enum.StrEnum):
    """How much of the entry was made with generative AI (the creator's answer to the AIGC declaration)."""

    NONE = "none"
    PARTLY = "partly"
    MAINLY = "mainly"


class ContestDeclaration(db.Model):
    """An organizer's text of one declaration of a contest; ``version`` grows by one with every change."""

    __tablename__ = "contest_declaration"
    __table_args__ = (UniqueConstraint("contest_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    key: Mapped[DeclarationKey] = mapped_column(enum_column(DeclarationKey))
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=2)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class DeclarationAcceptance(db.Model):
    """One declaration an entry's creator accepted on submitting: the text's ``version``, its SHA-256
    (``text_hash``, hex of the UTF-8 text) and the ``text`` itself, and when. The AIGC row also holds the
    answer (``aigc_use``) and the tools named (``aigc_tools``, empty for "none"). Replaced on a new submit."""

    __tablename__ = "declaration_acceptance"
    __table_args__ = (UniqueConstraint("entry_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    key: Mapped[DeclarationKey] = mapped_column(enum_column(DeclarationKey))
    version: Mapped[int]
    text_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    aigc_use: Mapped[AigcUse | None] = mapped_column(enum_column(AigcUse))
    aigc_tools: Mapped[str | None] = mapped_column(String(200))
