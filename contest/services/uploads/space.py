"""A full disk while an upload is written: every upload path (form, tus, S3) refuses with :class:`NoSpace`
(HTTP 507 Insufficient Storage, RFC 4918) and a readable sentence, answered in the protocol's own format
(tus: plain text; the S3 JSON routes: JSON; the form: the HTML error page), never a 500. What the path keeps
is its own rule: tus keeps the bytes received before the error (the upload resumes later), the others keep
nothing (no temporary file, no row).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _

from contest.errors import DomainError
from contest.infra.storage import is_disk_full

log = logging.getLogger(__name__)


class NoSpace(DomainError):
    """The server's disk (or quota) is full; HTTP 507."""

    status = 507

    @classmethod
    def nothing_kept(cls) -> NoSpace:
        return cls(_("The server has run out of storage space, so the file could not be saved. Please try "
                     "again later or tell the organizers."))

    @classmethod
    def partial_kept(cls) -> NoSpace:
        return cls(_("The server has run out of storage space. The part of the file received so far is kept: "
                     "try again later to continue the upload, or tell the organizers."))


@contextmanager
def refused_when_full(*, partial_kept: bool = False) -> Iterator[None]:
    """Turn a full disk raised in the block (an ``OSError`` ENOSPC/EDQUOT, also as the cause of another
    error: :func:`contest.infra.storage.is_disk_full`) into :class:`NoSpace`, saying whether the part received
    so far is kept (``partial_kept``); the disk error is logged. Other errors pass unchanged."""
    try:
        yield
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        log.error("upload refused, the disk is full: %s", exc)
        raise (NoSpace.partial_kept() if partial_kept else NoSpace.nothing_kept()) from exc
