"""Duplicate entries: the same file entered twice is refused; a re-encoded copy is flagged for organizers.

* **Same file** (same SHA-256 of the original): refused, whichever contest or category, when it is the video
  of another entry that is not withdrawn and whose video is not failed (a withdrawn entry frees its file; a
  failed video was never accepted). Checked by the upload request when the hash is known there
  (:func:`contest.services.submissions.entries._admit_original`) and by the worker for originals the browser put
  straight into the bucket (:func:`contest.services.media.jobs.process_video`). The refusal names the earlier
  entry's number when it is the same creator's, else says only that the file was entered already (other
  creators' entries are not disclosed). The same entry may receive the same file again.
* **Similar picture** (perceptual fingerprint, :mod:`contest.services.media.fingerprint`): a ready video whose
  fingerprint is within :data:`~contest.services.media.fingerprint.SIMILAR_BITS` of the video of another entry
  that is not withdrawn, of about the same duration (:data:`DURATION_SLACK_S` / :data:`DURATION_SLACK_SHARE`),
  is flagged (``Video.similar_entry_id``): not refused — the organizers decide.

Read-only helpers; they never write or commit.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from contest.extensions import db
from contest.models import Entry, EntryState, Video, VideoState
from contest.services.media import fingerprint as fingerprints

#: Candidates for similarity last within this many seconds, or this share of the duration, of the video.
DURATION_SLACK_S = 0.5
DURATION_SLACK_SHARE = 0.03


def same_file_reason(*, sha256: str, entry_id: int, creator_id: int) -> str | None:
    """The refusal (translated sentence) when the original with hash ``sha256`` (hex) is already the video of
    another entry that counts (see the module docstring), else None. ``entry_id``/``creator_id``: the entry
    receiving the file and its creator."""
    earlier = db.session.execute(
        select(Entry.number, Entry.creator_id).join(Video, Video.entry_id == Entry.id)
        .where(Video.sha256 == sha256, Entry.id != entry_id, Entry.state != EntryState.WITHDRAWN,
               Video.state != VideoState.FAILED)
        .order_by((Entry.creator_id == creator_id).desc(), Entry.id).limit(1)
    ).first()
    if earlier is None:
        return None
    if earlier.creator_id == creator_id:
        return _("You have already entered this file as entry %(number)s; the same video cannot be entered "
                 "twice.", number=earlier.number)
    return _("This file has already been entered in a contest; the same video cannot be entered twice.")


def find_similar(*, fingerprint: str, duration_s: float, entry_id: int) -> tuple[int, float] | None:
    """(entry id, mean Hamming distance in bits) of the entry whose video looks most like ``fingerprint``
    (a video of ``duration_s`` seconds, the video of entry ``entry_id``, which is left out), or None when no
    video is within :data:`~contest.services.media.fingerprint.SIMILAR_BITS`. Candidates: videos with a fingerprint,
    of entries that are not withdrawn, lasting within the duration slack; the earliest entry wins a tie.
    One query over the ``duration_s`` index."""
    slack = max(DURATION_SLACK_S, duration_s * DURATION_SLACK_SHARE)
    rows = db.session.execute(
        select(Video.entry_id, Video.fingerprint).join(Entry, Entry.id == Video.entry_id)
        .where(Video.duration_s.between(duration_s - slack, duration_s + slack),
               Video.fingerprint.is_not(None), Video.entry_id != entry_id, Entry.state != EntryState.WITHDRAWN)
        .order_by(Video.entry_id)
    )
    best: tuple[int, float] | None = None
    for other_id, other in rows:
        bits = fingerprints.distance(fingerprint, other)
        if bits is not None and bits <= fingerprints.SIMILAR_BITS and (best is None or bits < best[1]):
            best = (other_id, bits)
    return best


def similar_links(entry: Entry) -> list[tuple[Entry, float | None]]:
    """The entries linked to ``entry`` by a similarity flag, either way — the one its video was found to copy
    and those whose videos were found to copy it —, each with the distance (bits), by number. One query."""
    video = entry.video
    conditions = [Video.similar_entry_id == entry.id]
    if video is not None and video.similar_entry_id is not None:
        conditions.append(Entry.id == video.similar_entry_id)
    rows = db.session.execute(
        select(Entry, Video.similar_entry_id, Video.similar_distance)
        .outerjoin(Video, Video.entry_id == Entry.id).where(or_(*conditions)).order_by(Entry.number)
    ).all()
    links = []
    for other, points_to, bits in rows:
        if other.id == entry.id:
            continue
        links.append((other, bits if points_to == entry.id else video.similar_distance))
    return links
