"""A fast stand-in for the media job, for tests whose subject is not media (loaded for every test module by
``pytest_plugins`` in tests/conftest.py; tests/views/conftest.py turns it on for every view test).

``fast_media_job`` replaces the registered task ``process_video`` with :func:`fake_process_video`: instead of
transcoding the uploaded original (seconds of ffmpeg per upload), it stores copies of one tiny poster,
rendition and preview made once per session (``tiny_media``, ~0.3 s of ffmpeg) and marks the video ready,
as the real job would. Uploads themselves stay real: the view still stores, hashes and ffprobes the original
and checks the contest's rules before the task is queued.

The fake hands the video to the real job whenever its work is more than making outputs: an original not
checked yet (``sha256`` NULL: a direct-to-S3 upload, whose rules and duplicates the job checks) or one missing
from storage. Media stay covered by the tests that ask for the real job: tests/services/media/,
tests/test_full_path.py, tests/e2e/ and any test marked ``real_media``.
"""
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from contest.extensions import db
from contest.infra import tasks
from contest.infra.storage import get_storage, new_key
from contest.models import Video, VideoState, utcnow
from contest.services.media import jobs

#: What the fake job stores for every video: (row field, storage folder, file name in ``tiny_media``).
OUTPUTS = (("poster_key", "posters", "poster.jpg"), ("rendition_key", "renditions", "rendition.mp4"),
           ("preview_key", "previews", "preview.mp4"))
TINY_SIZE = (160, 90)


@dataclass(frozen=True)
class TinyMedia:
    """A 1 s 160×90 H.264/AAC MP4 (+faststart) serving as rendition and preview, and a JPEG poster of it."""
    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name


@pytest.fixture(scope="session")
def tiny_media(tmp_path_factory) -> TinyMedia:
    """The outputs the fake job stores, made once per session (per xdist worker) with ffmpeg."""
    folder = tmp_path_factory.mktemp("tiny-media")
    width, height = TINY_SIZE
    ffmpeg = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    subprocess.run([*ffmpeg, "-f", "lavfi", "-i", f"testsrc=duration=1:size={width}x{height}:rate=25",
                    "-f", "lavfi", "-i", "sine=duration=1:sample_rate=48000",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", "-movflags", "+faststart", str(folder / "rendition.mp4")],
                   check=True, timeout=120)
    subprocess.run([*ffmpeg, "-i", str(folder / "rendition.mp4"), "-frames:v", "1", str(folder / "poster.jpg")],
                   check=True, timeout=120)
    (folder / "preview.mp4").write_bytes((folder / "rendition.mp4").read_bytes())
    return TinyMedia(folder)


def fake_process_video(tiny: TinyMedia, video_id: int) -> None:
    """Make video ``video_id`` ready with copies of the tiny outputs, as :func:`~contest.services.media.jobs.
    process_video` would with real ones (attempt counted, earlier outputs replaced and deleted, progress 1.0,
    no fingerprint); a missing, ready or failed row is left alone. Hands over to the real job for an original
    not checked yet or missing from storage."""
    video = db.session.get(Video, video_id)
    if video is None or video.state in jobs.DONE:
        return
    storage = get_storage()
    if video.sha256 is None or not storage.exists(video.original_key):
        db.session.rollback()
        jobs.process_video(video_id)
        return
    old_keys = [getattr(video, field) for field, _folder, _name in OUTPUTS]
    stored = {field: storage.put_file(new_key(folder, Path(name).suffix), tiny.path(name))
              for field, folder, name in OUTPUTS}
    for field, copy in stored.items():
        setattr(video, field, copy.key)
    video.rendition_width, video.rendition_height = TINY_SIZE
    video.rendition_bytes, video.preview_bytes = stored["rendition_key"].bytes, stored["preview_key"].bytes
    video.attempts += 1
    video.state, video.error, video.error_detail = VideoState.READY, None, None
    video.processing_started_at = video.processed_at = utcnow()
    video.progress, video.fingerprint = 1.0, None
    video.similar_entry_id = video.similar_distance = None
    db.session.commit()
    for key in old_keys:
        storage.delete(key)


@pytest.fixture
def fast_media_job(monkeypatch, tiny_media):
    """Queued ``process_video`` tasks run :func:`fake_process_video` (whichever in-process task backend)."""
    monkeypatch.setitem(tasks.TASKS, "process_video", lambda video_id: fake_process_video(tiny_media, video_id))
