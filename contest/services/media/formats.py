"""Which files are videos we accept: container, codec and size whitelists, decided from the content.

A file's name and its declared MIME type are never consulted: ffprobe reads it under a name without an
extension (ffmpeg would otherwise take the extension as a hint), with ``-format_whitelist`` (only the
demuxers of :data:`DEMUXERS` may open it, so playlists, concat lists, SDP files, image sequences, subtitle or
audio formats never get to read anything) and ``-protocol_whitelist file`` (nothing but local files, never
the network). Every later ffmpeg run names the probed demuxer with ``-f`` so that nothing is guessed twice.

Decisions:

* containers: MP4/MOV/M4V/3GP (``mov``), Matroska/WebM, MPEG-TS (``.ts``, camcorder ``.mts``/``.m2ts``),
  MPEG-PS (``.mpg``, DVD camcorders' ``.mod``/``.vob``), AVI, FLV, ASF (``.wmv``). Not MXF, Ogg, raw
  elementary streams (no timestamps) or anything that refers to other files.
* video: :data:`VIDEO_CODECS`: the codecs of phones, cameras, screen recorders and editing software that
  this ffmpeg decodes. Motion JPEG is accepted (older digital cameras record it in AVI/MOV); a JPEG or PNG
  file on its own is not a video because its demuxer is not whitelisted. Still-picture codecs inside a
  video container (:data:`PICTURE_CODECS`: PNG, GIF, WebP …) are refused as pictures.
* audio: the first stream whose codec is in :data:`AUDIO_CODECS` is converted; a sound track in any other
  codec is ignored (the rendition is silent) and named in ``MediaInfo.ignored_audio`` — refusing a whole
  video for an exotic sound track would be harsher than the loss.
* an MP4/MOV whose index (``moov``) was to follow the media data and that was cut off before it (an upload
  that stopped early) is told apart from a file that is not a video (:func:`mp4_cut_short`).
* size: at most ``MEDIA_MAX_PIXELS`` pixels per frame and ``MEDIA_MAX_SIDE`` pixels on a side (defaults
  8192×4320 and 8192: 8K UHD and DCI 8K are accepted and scaled down), at most ``MEDIA_MAX_STREAMS`` streams;
  both checked from ffprobe's headers, before anything is converted.
"""
from __future__ import annotations

import struct
from pathlib import Path

from flask_babel import gettext as _

#: Demuxers (first names of ffprobe's ``format_name``) allowed to open an upload, in ffmpeg's spelling.
DEMUXERS = ("mov", "matroska", "mpegts", "mpeg", "avi", "flv", "asf")

VIDEO_CODECS = frozenset({
    "h264", "hevc", "vp8", "vp9", "av1",                      # phones, browsers (MediaRecorder), editors
    "mpeg4", "msmpeg4v2", "msmpeg4v3", "h263", "h263p", "flv1",  # older phones, DivX/Xvid AVI, Flash
    "mpeg1video", "mpeg2video", "dvvideo", "mjpeg",           # camcorders, DVD, digital cameras
    "wmv1", "wmv2", "wmv3", "vc1",                            # Windows Media
    "prores", "dnxhd", "theora",                              # editing intermediates, Matroska/Theora
    "qtrle", "rawvideo", "huffyuv", "ffvhuff", "utvideo", "ffv1", "magicyuv",  # screen/lossless capture
    "svq1", "svq3", "cinepak",                                # old QuickTime
})
PICTURE_CODECS = frozenset({"png", "apng", "gif", "bmp", "webp", "tiff", "jpeg2000", "jpegls", "targa",
                            "qoi", "pgm", "ppm", "pam", "sgi", "xbm", "xwd", "hdr", "exr", "jpegxl"})
AUDIO_CODECS = frozenset({
    "aac", "aac_latm", "mp1", "mp2", "mp3", "ac3", "eac3", "dts", "opus", "vorbis", "flac", "alac",
    "amr_nb", "amr_wb", "wmav1", "wmav2", "wmapro", "speex", "nellymoser",
})
AUDIO_CODEC_PREFIXES = ("pcm_", "adpcm_")

#: (signature at offset 0, name) of picture files, for the refusal message.
_PICTURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
             (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"))
#: First bytes of audio-only files.
_AUDIO = (b"ID3", b"fLaC", b"#!AMR", b"MThd")
#: Lower-case beginnings of playlists and lists of files or links (m3u/m3u8, ffconcat, pls, SDP, ASX, DASH).
_PLAYLISTS = ("#extm3u", "ffconcat", "[playlist]", "v=0", "<asx", "file ", "file\t")


def demuxer_of(format_name: str) -> str | None:
    """The accepted demuxer named first in ffprobe's ``format_name`` (``"mov,mp4,m4a,3gp,3g2,mj2"`` →
    ``"mov"``), None when it is not one of :data:`DEMUXERS`."""
    name = format_name.split(",")[0]
    return name if name in DEMUXERS else None


def audio_accepted(codec: str | None) -> bool:
    return bool(codec) and (codec in AUDIO_CODECS or codec.startswith(AUDIO_CODEC_PREFIXES))


def accepted_formats() -> str:
    return "MP4, MOV, MKV, WebM, AVI, FLV, WMV, MPG, 3GP, MPEG-TS (.ts, .mts, .m2ts)"


def unreadable_reason(path: Path, *, off_whitelist: bool) -> str:
    """The refusal for a file ffprobe could not open, told from its first 4 KiB: a picture, a sound file, a
    playlist or list of files, a file type we do not accept (``off_whitelist``: a demuxer recognised it but it
    is not in :data:`DEMUXERS`) or, for anything else (text, damage), that it is not a video we can read."""
    with open(path, "rb") as stream:
        head = stream.read(4096)
    kind = picture_kind(head)
    if kind:
        return _("This is a picture (%(kind)s), not a video.", kind=kind)
    if head.startswith(_AUDIO) or (head[:4] == b"RIFF" and head[8:12] == b"WAVE"):
        return _("The file has no video stream (audio only).")
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n").lower()
    if "\x00" not in text and (text.startswith(_PLAYLISTS) or "<mpd" in text or "<smil" in text
                               or any(line.startswith(_PLAYLISTS[-2:]) for line in text.splitlines())):
        return _("This is a playlist or a list of files, not a video. Please upload the video file itself.")
    if mp4_cut_short(path):
        return _("The file is incomplete; please upload the whole file again.")
    if off_whitelist:
        return _("This file type is not accepted. Please upload a video file (%(formats)s).",
                 formats=accepted_formats())
    return _("This is not a video file we can read.")


def picture_kind(head: bytes) -> str | None:
    """``"PNG"``, ``"JPEG"``, ``"GIF"``, ``"WEBP"``, ``"TIFF"``, ``"BMP"``, ``"HEIC"``, ``"AVIF"`` when the
    first bytes ``head`` are those of a picture file, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"avif"):
        return "AVIF" if head[8:12] == b"avif" else "HEIC"
    return next((name for magic, name in _PICTURES if head.startswith(magic)
                 and (name != "BMP" or head[14:15] in (b"\x0c", b"(", b"@", b"l", b"|"))), None)


def codec_problem(codec: str | None) -> str | None:
    """Why a video stream in ``codec`` (ffprobe ``codec_name``) is refused, or None when it is accepted."""
    if codec in VIDEO_CODECS:
        return None
    if codec in PICTURE_CODECS:
        return _("This is a picture (%(kind)s), not a video.", kind=codec.upper())
    return _("The video is encoded as %(codec)s, which we cannot convert. Please export it as H.264 (MP4) "
             "and upload it again.", codec=codec or _("unknown"))


def limit_problems(*, width: int, height: int, stream_count: int, config) -> list[str]:
    """Refusals for a picture of ``width`` × ``height`` coded pixels over ``MEDIA_MAX_PIXELS`` pixels or
    ``MEDIA_MAX_SIDE`` pixels on a side, and for more than ``MEDIA_MAX_STREAMS`` streams (``config``: the
    app's config). Checked from ffprobe's headers, before anything is decoded."""
    problems = []
    max_pixels, max_side = config["MEDIA_MAX_PIXELS"], config["MEDIA_MAX_SIDE"]
    if width * height > max_pixels or max(width, height) > max_side:
        problems.append(_(
            "The picture is %(width)s×%(height)s pixels (%(mpx)s megapixels); the largest accepted is "
            "%(max_mpx)s megapixels and %(max_side)s pixels on a side.",
            width=width, height=height, mpx=f"{width * height / 1e6:.1f}", max_mpx=f"{max_pixels / 1e6:.1f}",
            max_side=max_side))
    if stream_count > config["MEDIA_MAX_STREAMS"]:
        problems.append(_("The file has %(count)s streams; at most %(limit)s are accepted.",
                          count=stream_count, limit=config["MEDIA_MAX_STREAMS"]))
    return problems


# --- MP4 boxes ---------------------------------------------------------------------------------------------

def mp4_boxes(path: Path, limit: int = 10_000) -> list[tuple[str, int, int]]:
    """The top-level ISO-BMFF (MP4/MOV) boxes of ``path`` in file order as (type, offset, size in bytes); a
    size of 0 in the file ("to the end") is given as the bytes left. Reads 16 bytes per box; a box may claim
    to run past the end of the file (the file was cut). Stops at a header too short to be a box."""
    boxes, total = [], Path(path).stat().st_size
    with open(path, "rb") as fh:
        pos = 0
        while pos + 8 <= total and len(boxes) < limit:
            fh.seek(pos)
            header = fh.read(16)
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = total - pos
            if size < 8:
                break
            boxes.append((kind.decode("latin-1"), pos, size))
            pos += size
    return boxes


def mp4_cut_short(path: Path) -> bool:
    """True when ``path`` is an MP4/MOV cut off before its index: its top-level boxes (all with printable
    four-letter types) hold no ``moov`` and an ``mdat`` that runs past the end of the file (or up to it: a
    recording whose index was never written) — a file written with the index last (most cameras and
    editors) of which only the first part arrived."""
    boxes, total = mp4_boxes(path, limit=64), Path(path).stat().st_size
    if not boxes or not all(kind.isascii() and kind.isprintable() for kind, _at, _size in boxes):
        return False
    kinds = [kind for kind, _at, _size in boxes]
    return "moov" not in kinds and any(kind == "mdat" and at + size >= total for kind, at, size in boxes)
