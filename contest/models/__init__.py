"""All models, one domain per module."""
from contest.models.contest import Category, Contest, Criterion, Orientation
from contest.models.deadlines import DeadlineExtension
from contest.models.declarations import (
    AigcUse,
    ContestDeclaration,
    DeclarationAcceptance,
    DeclarationKey,
)
from contest.models.entry import Entry, EntryState, Video, VideoState
from contest.models.judging import (
    Assignment,
    CriterionScore,
    ReplacementPermit,
    Review,
    ReviewState,
    VoidedReview,
)
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
    "AigcUse", "Assignment", "Category", "Contest", "ContestDeclaration", "ContestRole", "ContestRoleName",
    "Criterion", "CriterionScore", "DeadlineExtension", "DeclarationAcceptance", "DeclarationKey", "Entry",
    "EntryState", "Membership", "Orientation", "PLATFORM_LABELS", "Platform", "PlatformAccount", "PlayCount",
    "PlayView", "ReplacementPermit", "Review", "ReviewState", "SITE", "User", "UTCDateTime", "Video",
    "VideoState", "VoidedReview", "utcnow",
]
