"""All models, one domain per module."""
from contest.models.audit import AuditAction, AuditEvent
from contest.models.conflicts import Conflict, ConflictSource, RoundJudge
from contest.models.contest import Category, Contest, Criterion, Orientation
from contest.models.deadlines import DeadlineExtension
from contest.models.declarations import (
    AigcUse,
    ContestDeclaration,
    DeclarationAcceptance,
    DeclarationKey,
)
from contest.models.entry import Entry, EntryState, Video, VideoState
from contest.models.exports import ExportFormat, ExportJob, ExportState
from contest.models.judging import (
    Assignment,
    CriterionScore,
    ReplacementPermit,
    Review,
    ReviewState,
    VoidedReview,
)
from contest.models.rounds import Aggregation, PromotionRule, Round, RoundEntry, ScoreVisibility
from contest.models.plays import SITE, PlayCount, PlayView
from contest.models.types import UTCDateTime, utcnow
from contest.models.user import (
    PLATFORM_LABELS,
    ContestRole,
    ContestRoleName,
    Membership,
    Platform,
    PlatformAccount,
    User,
)

__all__ = [
    "Aggregation", "PromotionRule", "Round", "RoundEntry", "ScoreVisibility",
    "Conflict", "ConflictSource", "RoundJudge",
    "AigcUse", "Assignment", "AuditAction", "AuditEvent", "Category", "Contest", "ContestDeclaration",
    "ContestRole", "ContestRoleName",
    "Criterion", "CriterionScore", "DeadlineExtension", "DeclarationAcceptance", "DeclarationKey", "Entry",
    "EntryState", "ExportFormat", "ExportJob", "ExportState", "Membership", "Orientation", "PLATFORM_LABELS", "Platform", "PlatformAccount", "PlayCount",
    "PlayView", "ReplacementPermit", "Review", "ReviewState", "SITE", "User", "UTCDateTime", "Video",
    "VideoState", "VoidedReview", "utcnow",
]
