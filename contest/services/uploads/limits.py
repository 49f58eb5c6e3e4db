"""The upload size limit of a contest: one check shared by the form upload, tus and the S3 multipart upload.

``Contest.max_file_bytes`` (bytes, inclusive) is the largest original a contest accepts. Each path checks it as
early as it can — the form before reading the body (``Content-Length``) and while streaming, tus at creation
(``Upload-Length``), S3 at start (announced size) and when joining the parts (their real total) — and every
path refuses with the same :class:`UploadTooLarge` (HTTP 413) and the same sentence.
"""
from flask_babel import gettext as _

from contest.formatting import format_size
from contest.models import Contest
from contest.services.submissions.errors import SubmissionError


class UploadTooLarge(SubmissionError):
    """The upload is larger than the contest's ``max_file_bytes``; HTTP 413."""

    status = 413

    @classmethod
    def for_contest(cls, contest: Contest) -> "UploadTooLarge":
        return cls(size_limit_message(contest))


def size_limit_message(contest: Contest) -> str:
    """The refusal every upload path shows: "This contest accepts video files up to 200 MB."."""
    return _("This contest accepts video files up to %(limit)s.", limit=format_size(contest.max_file_bytes))


def check_size(contest: Contest, size_bytes: int) -> None:
    """Raise :class:`UploadTooLarge` when ``size_bytes`` (bytes, announced or measured) exceeds
    ``contest.max_file_bytes``."""
    if size_bytes > contest.max_file_bytes:
        raise UploadTooLarge.for_contest(contest)
