"""Export jobs: a big export (e.g. a round's 评分汇总表) written in the background into storage, downloaded
once it is ready (:mod:`contest.services.exports.jobs`)."""
import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow


class ExportState(enum.StrEnum):
    """queued → running → done | failed; a done job whose file has expired is ``expired``."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportJob(db.Model):
    """One requested export and, once done, its file in storage (``storage_key``, ``file_name``, ``bytes``).

    ``kind`` names the export (``score_sheet``, ``audit``: :data:`contest.services.exports.jobs.EXPORTS`),
    ``params`` its arguments as JSON (``{"round_id": 3, "reveal_judges": true}``). Only ``requested_by`` may
    download it. ``error`` is the readable reason of a failed job (Chinese by default). The file is deleted at
    ``expires_at`` (UTC) and the job becomes ``expired``.
    """

    __tablename__ = "export_job"
    __table_args__ = (Index("ix_export_job_requested_by_id_created_at", "requested_by_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    format: Mapped[ExportFormat] = mapped_column(enum_column(ExportFormat))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The contest exported from; None for an export across contests (the whole audit trail).
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    state: Mapped[ExportState] = mapped_column(enum_column(ExportState), default=ExportState.QUEUED,
                                               index=True)
    storage_key: Mapped[str | None] = mapped_column(String(255))
    #: The name the browser saves the file under (may hold Chinese characters).
    file_name: Mapped[str] = mapped_column(String(255))
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    contest = relationship("Contest")
    requested_by = relationship("User")
