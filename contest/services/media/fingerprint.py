"""Perceptual fingerprints of videos: a re-encoded copy of a video has (almost) the same fingerprint.

A fingerprint is :data:`FRAMES` frames taken at fixed fractions of the duration — frame *i* at
``(i + 0.5) / FRAMES`` of it, so neither the first nor the last picture (fades, titles) —, each scaled to
:data:`SIDE` × :data:`SIDE` grey pixels and reduced to a 64-bit pHash: the signs, against their median, of the
8 × 8 lowest-frequency DCT-II coefficients. Written as 16 hex digits per frame. Two fingerprints are compared
by the mean Hamming distance of their aligned frames (bits of 64 that differ; about 32 for unrelated
pictures).

Why pHash of grey 32 × 32 thumbnails: scaling away all but the coarse structure makes the hash blind to
resolution, bitrate, codec, frame rate and small crops. Measured on the samples (``tests/services/
test_duplicates.py``, through the job: fingerprints of the previews): a re-encode at 240p/150 kb/s/30 fps
differs by 1.0 bit, one in MPEG-4 Part 2 at 320×180 by 0.5, an 8 % crop re-encoded at CRF 35 by 9.0, two
independent encodes of the same footage (Big Buck Bunny, WebM vs fragmented MP4) by 3.6, while unrelated clips
differ by 29–33 bits. :data:`SIMILAR_BITS` sits between, nearer the copies. Letterboxing (bars added, ~18
bits), larger crops, mirroring or a trimmed start change the picture or the timing and are not caught: a flag
helps organizers, it proves nothing.

The frames come from an ffmpeg filter chain (:func:`sampled`: ``fps`` filter with ``start_time``, ``rawvideo``
grey; in the media job a branch of the rendition's own ffmpeg run, from the preview's picture), hashed by a
small DCT in Python: the ``imagehash`` package would need Pillow, NumPy and SciPy for the same 64 bits.
"""
from __future__ import annotations

import math
from pathlib import Path

import ffmpeg
from flask import current_app

from contest.services.media.errors import MediaProcessingError
from contest.services.media.tools import run_tool, tail

#: Frames per fingerprint, and thumbnail side in pixels.
FRAMES = 16
SIDE = 32
#: Mean Hamming distance (bits of 64 per frame) at or under which two videos count as similar.
SIMILAR_BITS = 12.0
#: cos(π (2x + 1) u / 2·SIDE) for the 8 lowest frequencies u: DCT-II basis rows.
_BASIS = [[math.cos(math.pi * (2 * x + 1) * u / (2 * SIDE)) for x in range(SIDE)] for u in range(8)]


def fingerprint(path: Path, *, duration_s: float, demuxer: str = "mov") -> str | None:
    """Fingerprint of the video at ``path`` (a local file read by ``demuxer``, e.g. our own MP4 preview) that
    lasts ``duration_s`` seconds: :data:`FRAMES` × 16 hex digits. None when fewer than :data:`FRAMES` frames
    can be decoded (a video of a single picture, a damaged file). One ffmpeg run of at most ``FFMPEG_TIMEOUT``
    seconds. (The media job takes the frames from its rendition's run instead: :func:`sampled`.)

    Raises :class:`~contest.services.media.probe.MediaProcessingError` when ffmpeg fails,
    :class:`~contest.services.media.probe.MediaTimeout` when it runs too long.
    """
    cfg = current_app.config
    if duration_s <= 0:
        return None
    source = ffmpeg.input(str(Path(path).absolute()), f=demuxer, protocol_whitelist="file",
                          threads=cfg["FFMPEG_THREADS"])
    node = ffmpeg.output(sampled(source["v:0"], duration_s=duration_s), "pipe:1", f="rawvideo",
                         **{"frames:v": FRAMES})
    args = node.compile(cmd=cfg["FFMPEG_BINARY"])
    args[1:1] = ["-nostdin", "-hide_banner", "-v", "error"]
    done = run_tool(args, timeout=cfg["FFMPEG_TIMEOUT"], nice=cfg["FFMPEG_NICE"])
    if done.returncode != 0:
        raise MediaProcessingError("fingerprint: ffmpeg failed", detail=tail(done.stderr))
    return of_frames(done.stdout)


def sampled(stream, *, duration_s: float):
    """The ffmpeg-python ``stream`` of a video lasting ``duration_s`` seconds (> 0) reduced to the pictures a
    fingerprint hashes: :data:`FRAMES` frames at ``(i + 0.5) / FRAMES`` of the duration, :data:`SIDE` ×
    :data:`SIDE` grey (``gray``, one byte a pixel); to be written as ``rawvideo`` with ``-frames:v``
    :data:`FRAMES` and read by :func:`of_frames`."""
    step = duration_s / FRAMES
    # tpad: the last picture held one step longer, so that the fps filter emits the last grid point too.
    return (stream.filter("tpad", stop_mode="clone", stop_duration=f"{step:.6f}")
            .filter("fps", fps=f"{FRAMES}/{duration_s:.6f}", start_time=f"{step / 2:.6f}")
            .filter("scale", SIDE, SIDE, flags="area").filter("format", "gray"))


def of_frames(raw: bytes) -> str | None:
    """Fingerprint (:data:`FRAMES` × 16 hex digits) of the grey frames written by :func:`sampled`, back to
    back; None when there are fewer than :data:`FRAMES`."""
    size = SIDE * SIDE
    frames = [raw[at:at + size] for at in range(0, len(raw) - size + 1, size)]
    if len(frames) < FRAMES:
        return None
    return "".join(f"{phash(frame):016x}" for frame in frames[:FRAMES])


def phash(grey: bytes) -> int:
    """64-bit pHash of a :data:`SIDE` × :data:`SIDE` grey picture (row-major bytes): bit set where one of the
    8 × 8 lowest DCT-II coefficients (row by row, the DC term first) is above the median of the 63 others."""
    rows = [grey[y * SIDE:(y + 1) * SIDE] for y in range(SIDE)]
    across = [[sum(c * v for c, v in zip(basis, row)) for basis in _BASIS] for row in rows]
    coefficients = [sum(_BASIS[v][y] * across[y][u] for y in range(SIDE)) for v in range(8) for u in range(8)]
    median = sorted(coefficients[1:])[31]
    bits = 0
    for value in coefficients:
        bits = bits << 1 | (value > median)
    return bits


def frame_hashes(fingerprint_hex: str) -> list[int]:
    """The 64-bit frame hashes of a fingerprint."""
    return [int(fingerprint_hex[at:at + 16], 16) for at in range(0, len(fingerprint_hex), 16)]


def distance(a: str, b: str) -> float | None:
    """Mean Hamming distance (bits of 64) between the aligned frames of two fingerprints; None when they do not
    have the same number of frames."""
    first, second = frame_hashes(a), frame_hashes(b)
    if not first or len(first) != len(second):
        return None
    return sum((x ^ y).bit_count() for x, y in zip(first, second)) / len(first)
