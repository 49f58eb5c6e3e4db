"""Watching entries (/watch): the web rendition, preview copy and poster of an entry, and play counting.

Everyone logged in may reach the blueprint; who may see an entry is :func:`permissions.can_view_entry`
(its creator, an assigned judge, any organizer) — others get 404.
"""
from flask import Blueprint, abort, jsonify
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from contest.auth import rate_limits
from contest.auth.access import require_login
from contest.extensions import db
from contest.infra.rate_limits import retry_after_seconds
from contest.infra.storage import get_storage
from contest.models import Entry, VideoState
from contest.services.metrics.plays import record_play, viewer_key
from contest.services.submissions.access import load_viewable_entry

bp = Blueprint("watch", __name__)
require_login(bp)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded):
    """Play reports come from a script: JSON, like their answer."""
    return jsonify(error=error.description), 429, {"Retry-After": str(retry_after_seconds())}


@bp.route("/<int:entry_id>/video")
def video(entry_id: int):
    """The web rendition (H.264/AAC MP4); HTTP Range requests get 206 partial content."""
    entry = _ready_entry(entry_id)
    return get_storage().send(entry.video.rendition_key, mimetype="video/mp4")


@bp.route("/<int:entry_id>/preview")
def preview(entry_id: int):
    """The small preview copy (小样, H.264/AAC MP4 of at most ``PREVIEW_MAX_BYTES``) for phones and galleries;
    404 while the video is not ready or when no preview could be made."""
    entry = _ready_entry(entry_id)
    if not entry.video.preview_key:
        abort(404)
    return get_storage().send(entry.video.preview_key, mimetype="video/mp4")


@bp.route("/<int:entry_id>/poster")
def poster(entry_id: int):
    entry = load_viewable_entry(current_user, entry_id)
    if entry.video is None or not entry.video.poster_key:
        abort(404)
    return get_storage().send(entry.video.poster_key, mimetype="image/jpeg")


@bp.route("/<int:entry_id>/plays", methods=["POST"])
@rate_limits.plays
def count_play(entry_id: int):
    """Report one play; the player posts once per page load with the CSRF token in ``X-CSRFToken``. Whether
    it counts is :func:`record_play`'s rule (once per viewer per ``PLAY_WINDOW_S``; the creator's, its judges'
    and organizers' own plays not counted). Answers ``{"plays": n, "counted": bool}``: the site plays now;
    429 ``{"error": …}`` past ``RATELIMIT_PLAYS`` per address."""
    entry = _ready_entry(entry_id)
    me = current_user._get_current_object()
    play = record_play(entry=entry, viewer_key=viewer_key(user=me), viewer=me)
    db.session.commit()
    return jsonify(plays=play.plays, counted=play.counted)


def _ready_entry(entry_id: int) -> Entry:
    """A viewable entry whose video is ready to play, else 404."""
    entry = load_viewable_entry(current_user, entry_id)
    if entry.video is None or entry.video.state != VideoState.READY or not entry.video.rendition_key:
        abort(404)
    return entry
