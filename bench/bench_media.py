"""Processing a 60 s 1080×1920 30 fps clip: the whole media job's real-time factor and its wall time as a
ratio to the separate raw ffmpeg runs its one run replaces, and our ffmpeg wrapper against the raw command
line with the same arguments, all measured in the same run.

    .venv/bin/python bench/bench_media.py [--seconds 60] [--runs 3] [--job-runs N] [--together 3]
                                          [--skip-job] [--skip-rendition] [--dir /tmp]

Goals: the whole job (probe, checks, poster, rendition, preview, fingerprint, verification) at ≥ 1× real
time on 2 cores; the web rendition through our code ≤ 1.05× the raw command (the wrapper adds nothing).
Needs ffmpeg; nothing else (SQLite, local storage, no Redis).

The clip: ffmpeg's ``testsrc2`` pattern at 1080×1920, 30 fps, with a 440 Hz ``sine``, encoded once into a
temporary folder like a phone's: H.264 High at 12 Mb/s, a keyframe a second, AAC 128 kb/s 48 kHz stereo,
faststart MP4. The app runs with its default settings (``development``; ``CONTEST_*`` variables would change
them, so they are printed).

* rendition (unless ``--skip-rendition``): ``renditions.transcode(clip, out, info, on_progress=...)`` (the
  rendition alone) in an app context (``info`` probed once beforehand) against the raw command. Its argument
  list is the one the wrapper executes: captured by calling ``transcode`` once with ``tools.start`` (where
  every tool is spawned) replaced by a recorder that stops there; run with ``subprocess.run(args,
  capture_output=True)`` at the same niceness (``os.nice`` in the child, as the wrapper does:
  ``FFMPEG_NICE``); the threads are in the arguments. Each timed wrapper run is recorded too and must have
  executed exactly that list.
* job (unless ``--skip-job``): the whole ``process_video`` on a stored original (probe, poster, one ffmpeg
  run writing the rendition, the preview and the fingerprint's frames, the checks of both, storing, row
  updates) against two baselines: ``raw``, the commands it ran, replayed one after the other in fresh folders
  (a first, untimed job run records them; every later run must run the same list); ``replaced``, the three
  raw ffmpeg runs its one run replaces, one after the other: the rendition of the original alone, the preview
  made from that rendition and the fingerprint read from that preview (the commands
  ``renditions.transcode``, ``renditions.make_preview`` and ``fingerprint.fingerprint`` run on their own).
  Printed: the job's real-time factor (clip seconds / wall seconds), the same from its CPU seconds as if it
  had the cores to itself, and job wall / ``replaced`` wall.

Timed runs go in rounds whose order turns (wrapper, raw, … then raw, …, wrapper), each after ``sync``.
Medians of wall time, of the CPU seconds of the tools (children's user + sys) and of this Python process,
the time a wrapper run spent outside its tools (wall minus the time from each spawn to its reaping), and
real-time factor = clip seconds / wall seconds. On a machine shared with other work the wall times swing far
more than 5 %, so ``--together`` more runs start two sides at the same moment in two threads (the same load on
both; the rendition against its raw command, which writes another file name; the job against the runs it
replaces) and give the wall-time ratio of each such pair.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: The temporary folders the app's media code makes (job folder, probe folder), remapped on replay.
TEMP_FOLDER = re.compile(re.escape(tempfile.gettempdir()) + r"/contest-[a-z]+-[^/]+")


class _Captured(Exception):
    """Raised by a dry :class:`Recorder` instead of starting the tool."""


class Recorder:
    """Replaces ``contest.services.media.tools.start`` (where every ffprobe/ffmpeg is spawned) inside a ``with``
    block: records each start in ``calls`` as ``(args, nice, {symlink: target})`` and the seconds from the
    spawn to the reaping of each tool in ``spans``; ``dry``: record the first and raise :class:`_Captured`
    instead of starting it."""

    def __init__(self, *, dry: bool = False):
        from contest.services.media import tools as media_tools

        self.tools, self.real, self.dry = media_tools, media_tools.start, dry
        self.calls: list[tuple[list[str], int, dict]] = []
        self.spans: list[list[float]] = []

    def __enter__(self) -> Recorder:
        self.tools.start = self._start
        return self

    def __exit__(self, *exc) -> None:
        self.tools.start = self.real

    def clear(self) -> None:
        self.calls.clear()
        self.spans.clear()

    def tool_seconds(self) -> float:
        return sum(end - start for start, end in self.spans)

    def _start(self, args, *, nice, stdout, stderr):
        links = {a: os.readlink(a) for a in args if a.startswith("/") and os.path.islink(a)}
        self.calls.append((list(args), nice, links))
        if self.dry:
            raise _Captured
        span = [time.perf_counter()] * 2
        proc = self.real(args, nice=nice, stdout=stdout, stderr=stderr)
        for method in ("communicate", "wait"):  # run_tool / run_tool_streaming collect the tool with these
            setattr(proc, method, self._ended(getattr(proc, method), span))
        self.spans.append(span)
        return proc

    @staticmethod
    def _ended(collect, span: list[float]):
        def collected(*args, **kwargs):
            result = collect(*args, **kwargs)
            span[1] = time.perf_counter()
            return result

        return collected


def make_clip(path: Path, seconds: float) -> None:
    """A ``seconds`` long 1080×1920 30 fps clip with sound, made like a phone's: ffmpeg's ``testsrc2`` pattern
    (moving, never static) and a 440 Hz ``sine``, H.264 High at 12 Mb/s, a keyframe a second, AAC 128 kb/s
    48 kHz stereo, faststart MP4."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=1080x1920:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                    "-c:v", "libx264", "-preset", "veryfast",
                    "-b:v", "12M", "-maxrate", "16M", "-bufsize", "24M", "-g", "30", "-profile:v", "high",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
                    "-movflags", "+faststart", str(path)], check=True)


def run_raw(args: list[str], nice: int) -> None:
    """The command as a user would run it: ``subprocess.run``, output captured, at niceness ``nice``."""
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                          preexec_fn=(lambda: os.nice(nice)) if nice else None)
    if done.returncode != 0:
        raise SystemExit(f"raw command failed ({done.returncode}): {' '.join(args)}\n{done.stderr[-2000:]!r}")


def timed(fn) -> dict:
    """Wall seconds of ``fn()``, and CPU seconds (user + sys) of the tools it ran and of this process."""
    cpu = lambda who: sum(resource.getrusage(who)[:2])  # noqa: E731
    tools, own, started = cpu(resource.RUSAGE_CHILDREN), cpu(resource.RUSAGE_SELF), time.perf_counter()
    fn()
    return {"wall": time.perf_counter() - started, "tools": cpu(resource.RUSAGE_CHILDREN) - tools,
            "python": cpu(resource.RUSAGE_SELF) - own}


def compare(runs: int, together: int, sides: dict, *, before, after,
            beside_sides: dict | None = None) -> dict:
    """``runs`` rounds of each of ``sides`` (``"wrapper"``, ``"raw"``, maybe more) one after the other, the
    order turned by one each round (wrapper first in the first round, last in the second of two sides …),
    then ``together`` pairs started at the same moment in two threads (``beside_sides``, its keys ``"wrapper"`` and ``"raw"``; default
    ``sides``); ``before(name)`` / ``after(name, result)`` run untimed around each side. Returns the timed
    results of each side (dicts of :func:`timed`, plus what ``after`` added) and the wall-time ratios
    wrapper / raw of the simultaneous pairs under ``"beside"``."""
    results: dict[str, list] = {**{name: [] for name in sides}, "beside": []}
    names = list(sides)
    for i in range(runs):
        for name in names[i % len(names):] + names[:i % len(names)]:
            before(name)
            os.sync()
            results[name].append(r := timed(sides[name]))
            after(name, r)
            print(f"  round {i + 1} {name:<8} {r['wall']:7.2f} s wall, tools {r['tools']:7.2f} s CPU, "
                  f"python {r['python']:5.2f} s CPU", flush=True)
    for i in range(together):
        for name in beside_sides or sides:
            before(name)
        os.sync()
        walls = simultaneous(beside_sides or sides)
        for name in walls:
            after(name, {"wall": walls[name]})
        results["beside"].append(walls["wrapper"] / walls["raw"])
        print(f"  side by side {i + 1}: " + ", ".join(f"{name} {wall:7.2f} s" for name, wall in walls.items())
              + " wall", flush=True)
    return results


def simultaneous(sides: dict) -> dict[str, float]:
    """Each of ``sides`` started at the same moment in its own thread; wall seconds of each."""
    walls, errors = {}, []

    def run(name: str) -> None:
        started = time.perf_counter()
        try:
            sides[name]()
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)
        walls[name] = time.perf_counter() - started

    threads = [threading.Thread(target=run, args=(name,)) for name in sides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return walls


# --- the web rendition -------------------------------------------------------------------------------------

def bench_transcode(app, clip: Path, out: Path, runs: int, together: int) -> tuple[dict, dict]:
    from contest.services.media import probe as media
    from contest.services.media import renditions

    with app.app_context():
        info = media.probe(clip, timeout=app.config["PROBE_TIMEOUT"])
        with Recorder(dry=True) as capture:
            try:
                renditions.transcode(clip, out, info, on_progress=lambda fraction: None)
            except _Captured:
                pass
    (args, nice, _links), = capture.calls
    out_raw = out.with_name("rendition-raw.mp4")  # side by side only
    sizes: dict[str, list[int]] = {"wrapper": [], "raw": []}
    progress, recorder = [], Recorder()

    def wrapper() -> None:
        with app.app_context(), recorder:
            renditions.transcode(clip, out, info, on_progress=progress.append)

    def before(name: str) -> None:
        out.unlink(missing_ok=True)
        out_raw.unlink(missing_ok=True)
        if name == "wrapper":
            progress.clear()
            recorder.clear()

    def after(name: str, result: dict) -> None:
        if name == "wrapper":
            if [(a, n) for a, n, _l in recorder.calls] != [(args, nice)]:
                raise SystemExit(f"the wrapper ran something else: {recorder.calls}")
            result["outside"] = result["wall"] - recorder.tool_seconds()
        sizes[name].append((out_raw if name == "raw" and out_raw.exists() else out).stat().st_size)

    beside = {"wrapper": wrapper, "raw": lambda: run_raw([*args[:-1], str(out_raw)], nice)}
    results = compare(runs, together, {"wrapper": wrapper, "raw": lambda: run_raw(args, nice)},
                      before=before, after=after, beside_sides=beside)
    with app.app_context():
        facts = renditions.verify_rendition(out, info)
    return results, {"args": args, "nice": nice, "facts": facts, "sizes": sizes,
                     "progress": (len(progress), progress[-1] if progress else None)}


# --- the whole job -----------------------------------------------------------------------------------------

def seed_video(app, clip: Path) -> int:
    """Schema, a creator, an open contest with an entry, and the clip stored as its checked original (as
    after an upload: ``sha256`` set); returns the Video id."""
    from datetime import timedelta

    from contest.extensions import db
    from contest.models import Category, Contest, Entry, Orientation, Video, VideoState, utcnow
    from contest.services.accounts.users import create_user
    from contest.infra.storage import get_storage, new_key

    with app.app_context():
        db.create_all()
        creator = create_user(username="creator1", password="bench password 2026")
        now = utcnow()
        contest = Contest(code="MEDIA", title="处理基准", opens_at=now - timedelta(hours=1),
                          closes_at=now + timedelta(days=1), max_file_bytes=4 * 1024**3, min_duration_s=0.0,
                          max_duration_s=3600.0, orientation=Orientation.ANY)
        contest.categories = [Category(name="微视频组", position=0)]
        entry = Entry(contest=contest, creator=creator, category=contest.categories[0], number="MEDIA-0001",
                      title="一分钟竖屏")
        with open(clip, "rb") as stream:
            stored = get_storage().save(new_key("originals", ".mp4"), stream)
        video = Video(entry=entry, original_name="clip.mp4", original_key=stored.key, bytes=stored.bytes,
                      sha256=stored.sha256, state=VideoState.PENDING)
        db.session.add(video)
        db.session.commit()
        return video.id


def bench_job(app, clip: Path, tmp: Path, runs: int, together: int) -> tuple[dict, dict]:
    from contest.extensions import db
    from contest.models import Video, VideoState
    from contest.services.media.jobs import process_video

    video_id = seed_video(app, clip)
    recorder, recorded, outputs = Recorder(), [], []

    def normal(calls: list) -> list:
        return [([TEMP_FOLDER.sub("TMP", a) for a in args], nice) for args, nice, _links in calls]

    def job() -> None:
        with app.app_context(), recorder:
            process_video(video_id)

    def before(name: str) -> None:
        if name == "wrapper":
            recorder.clear()
            with app.app_context():
                video = db.session.get(Video, video_id)
                video.state, video.attempts, video.progress = VideoState.PENDING, 0, 0.0
                db.session.commit()

    def after(name: str, result: dict) -> None:
        if name != "wrapper":
            return
        with app.app_context():
            video = db.session.get(Video, video_id)
            if video.state != VideoState.READY or video.error_detail:
                raise SystemExit(f"the job did not finish cleanly: {video.state} {video.error} "
                                 f"{video.error_detail}")
            outputs.append((video.rendition_bytes, video.preview_bytes))
        if recorded and normal(recorder.calls) != normal(recorded):
            raise SystemExit("this job run ran other commands than the first")
        recorded[:] = recorded or list(recorder.calls)
        result["outside"] = result["wall"] - recorder.tool_seconds()

    def raw() -> None:
        replay = Path(tempfile.mkdtemp(prefix="replay-", dir=tmp))
        folders: dict[str, str] = {}

        def mapped(arg: str) -> str:
            return TEMP_FOLDER.sub(lambda m: folders.setdefault(m.group(0), str(replay / str(len(folders)))),
                                   arg)

        try:
            for args, nice, links in recorded:
                args = [mapped(a) for a in args]
                for folder in folders.values():
                    os.makedirs(folder, exist_ok=True)
                for link, target in links.items():
                    if not os.path.lexists(mapped(link)):
                        os.symlink(mapped(target), mapped(link))
                run_raw(args, nice)
        finally:
            shutil.rmtree(replay)

    before("wrapper")  # a first run records the commands (untimed: the raw side needs them first)
    job()
    after("wrapper", {"wall": 0.0})
    separate = separate_commands(app, video_id, tmp)

    def replaced() -> None:
        for args, nice in separate:
            run_raw(args, nice)

    sides = {"wrapper": job, "raw": raw, "replaced": replaced}
    results = compare(runs, together, sides, before=before, after=after,
                      beside_sides={"wrapper": job, "raw": replaced})
    return results, {"commands": len(recorded), "separate": separate, "outputs": outputs}


def separate_commands(app, video_id: int, tmp: Path) -> list[tuple[list[str], int]]:
    """The raw ffmpeg runs that the job's one run (rendition + preview + fingerprint frames) replaces, as
    ``(args, nice)``: the web rendition of the original alone, the preview made from that rendition, the
    fingerprint read from that preview — captured from ``renditions.transcode`` without the extra outputs,
    ``renditions.make_preview`` and ``fingerprint.fingerprint`` (where every tool is spawned: a dry
    :class:`Recorder`), writing under ``tmp``. The rendition's facts are probed from the one the first job
    stored."""
    from contest.extensions import db
    from contest.infra.storage import get_storage
    from contest.models import Video
    from contest.services.media import fingerprint
    from contest.services.media import probe as media
    from contest.services.media import renditions

    rendition, preview = tmp / "separate-rendition.mp4", tmp / "separate-preview.mp4"
    with app.app_context():
        video = db.session.get(Video, video_id)
        with get_storage().local_path(video.original_key) as src, \
                get_storage().local_path(video.rendition_key) as stored:
            info = media.probe(src, timeout=app.config["PROBE_TIMEOUT"])
            made = media.probe(stored, timeout=app.config["PROBE_TIMEOUT"])
            steps = [lambda: renditions.transcode(src, rendition, info),
                     lambda: renditions.make_preview(rendition, preview, made),
                     lambda: fingerprint.fingerprint(preview, duration_s=made.duration_s)]
            commands = []
            for step in steps:
                with Recorder(dry=True) as capture:
                    try:
                        step()
                    except _Captured:
                        pass
                (args, nice, _links), = capture.calls
                commands.append((args, nice))
    return commands


# --- report ------------------------------------------------------------------------------------------------

def medians(results: dict, name: str) -> dict[str, float]:
    """Median wall, tools-CPU and Python-CPU seconds of the timed runs of side ``name``."""
    timed_runs = [r for r in results[name] if "tools" in r]
    return {key: statistics.median(r[key] for r in timed_runs) for key in ("wall", "tools", "python")}


def report(transcode: tuple | None, job: tuple | None, *, seconds: float, runs: tuple[int, int],
           config: dict, load: tuple[float, float]) -> None:
    cores = os.cpu_count()
    print(f"\n{seconds:g} s 1080×1920 30 fps clip (testsrc2 + sine, H.264 12 Mb/s + AAC); runs of each side "
          f"{runs[0] if transcode else 0} (rendition) / {runs[1] if job else 0} (job), interleaved; medians; "
          f"FFMPEG_THREADS {config['FFMPEG_THREADS']}, FFMPEG_NICE {config['FFMPEG_NICE']} (raw too), "
          f"FFMPEG_PRESET {config['FFMPEG_PRESET']}, RENDITION_SHORT_SIDE {config['RENDITION_SHORT_SIDE']}; "
          f"{cores} cores, load average {load[0]:.1f} at the start, {load[1]:.1f} at the end\n")
    print(f"{'':<52} {'wall s':>7} {'vs raw':>7} {'× real time':>11} {'tools CPU s':>11} "
          f"{'python CPU s':>12} {'outside tools s':>15}")
    rows = []
    if transcode:
        rows += [("rendition: raw ffmpeg (same args)", transcode[0], "raw", None),
                 ("rendition: renditions.transcode (≤ 1.05×)", transcode[0], "wrapper", "raw")]
    if job:
        rows += [("job: the separate raw runs it replaces (3)", job[0], "replaced", None),
                 (f"job: its own {job[1]['commands']} raw commands, one by one", job[0], "raw", None),
                 ("job: process_video (vs its own raw commands)", job[0], "wrapper", "raw")]
    for label, res, name, against in rows:
        mine = medians(res, name)
        ratio = f"{mine['wall'] / medians(res, against)['wall']:.3f}×" if against else ""
        outside = (f"{statistics.median(r['outside'] for r in res[name] if 'tools' in r):.2f}"
                   if name == "wrapper" else "")
        print(f"{label:<52} {mine['wall']:7.2f} {ratio:>7} {seconds / mine['wall']:10.2f}× "
              f"{mine['tools']:11.2f} {mine['python']:12.2f} {outside:>15}")
    if transcode:
        pairs(transcode[0], "rendition", "raw", "wrapper / raw")
    if job:
        res, mine, old = job[0], medians(job[0], "wrapper"), medians(job[0], "replaced")
        print(f"\njob real-time factor: {seconds:g} s of video / {mine['wall']:.2f} s wall = "
              f"{seconds / mine['wall']:.2f}× (the separate raw runs it replaces: "
              f"{seconds / old['wall']:.2f}×); "
              f"CPU seconds of its tools {mine['tools']:.2f} (replaced runs {old['tools']:.2f}): "
              f"{seconds * cores / (mine['tools'] + mine['python']):.2f}× real time if it had the {cores} "
              f"cores to itself")
        print(f"job / the separate raw runs it replaces, wall: {mine['wall'] / old['wall']:.3f}× (medians)")
        pairs(res, "job", "replaced", "job / replaced raw runs")
        pairs(res, "job", "raw", "job / its own raw commands")
        print("job outputs, bytes of rendition / preview, run by run: "
              + ", ".join(f"{full:,} / {small:,}" for full, small in job[1]["outputs"]))
        for args, nice in job[1]["separate"]:
            print(f"replaced (nice {nice}): {' '.join(args)}")
    if transcode:
        results, facts = transcode
        f, sizes = facts["facts"], facts["sizes"]
        print(f"\nrendition: {f.width}×{f.height}, {f.duration_s:.2f} s; bytes of the wrapper's "
              f"{min(sizes['wrapper']):,}–{max(sizes['wrapper']):,}, of the raw runs' "
              f"{min(sizes['raw']):,}–{max(sizes['raw']):,}; on_progress called {facts['progress'][0]} "
              f"times, last with {facts['progress'][1]}")
        print(f"command (nice {facts['nice']}): {' '.join(facts['args'])}")


def pairs(res: dict, label: str, against: str, what: str) -> None:
    """Wall-time ratios of the wrapper to side ``against`` round by round, and of the simultaneous pairs."""
    ratios = [w["wall"] / r["wall"] for w, r in zip(res["wrapper"], res[against]) if "tools" in w]
    print(f"{label}: {what}, wall time, round by round: {', '.join(f'{p:.3f}×' for p in ratios)}")
    if res["beside"] and against == ("replaced" if "replaced" in res else "raw"):
        print(f"{label}: {what}, wall time, started together: "
              f"{', '.join(f'{p:.3f}×' for p in res['beside'])}; "
              f"median {statistics.median(res['beside']):.3f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="clip length in seconds (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side (default 3)")
    parser.add_argument("--job-runs", type=int, help="timed runs of each side of the job (default: --runs)")
    parser.add_argument("--together", type=int, default=3,
                        help="more pairs with both sides started at once (default 3; 0: none)")
    parser.add_argument("--skip-job", action="store_true", help="only the rendition, not process_video")
    parser.add_argument("--skip-rendition", action="store_true",
                        help="only process_video, not renditions.transcode against its raw command")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="parent of the temporary folder")
    args = parser.parse_args()
    job_runs = args.job_runs or args.runs

    from contest import create_app

    tmp = Path(tempfile.mkdtemp(prefix="bench-media-", dir=args.dir))
    load = os.getloadavg()[0]
    try:
        clip = tmp / "clip.mp4"
        started = time.perf_counter()
        make_clip(clip, args.seconds)
        print(f"made the clip ({clip.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s",
              flush=True)
        app = create_app("development", DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", TASK_BACKEND="eager",
                         UPLOAD_ROOT=str(tmp / "uploads"), SECRET_KEY="bench-not-secret")
        transcode = None
        if not args.skip_rendition:
            print("rendition:", flush=True)
            transcode = bench_transcode(app, clip, tmp / "rendition.mp4", args.runs, args.together)
        job = None
        if not args.skip_job:
            print("job:", flush=True)
            job = bench_job(app, clip, tmp, job_runs, args.together)
        report(transcode, job, seconds=args.seconds, runs=(args.runs, job_runs), config=app.config,
               load=(load, os.getloadavg()[0]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
