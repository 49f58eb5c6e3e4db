"""A 1 GiB resumable (tus) upload to local storage: peak memory growth of the web process, and time as a ratio
to writing the same bytes to disk with no parsing, both measured in the same run.

    .venv/bin/python bench/bench_upload.py [--size-mb 1024] [--chunk-mb 8] [--runs 3] [--dir /tmp]

Goals: the web worker's peak memory grows by ≤ 16 MiB during the upload; the whole upload takes ≤ 2× the
baseline. Needs ffmpeg and about 3 × the size free under ``--dir``; nothing else (no PostgreSQL, no Redis).

Set-up, in a temporary folder under ``--dir`` (removed at the end): a valid H.264 video of about ``--size-mb``
MiB (a noisy test pattern, lossless, so that 1 GiB is ~25 s of 720p), a SQLite database and an
``UPLOAD_ROOT``; one creator with a draft entry in an open contest that accepts the file. Two gunicorns run
with ``gunicorn.conf.py`` (1 ``gthread`` worker × 4 threads each): the real app (``wsgi:app``; the Celery
task backend on an in-memory broker, so the queued ``process_video`` job neither runs in the web process nor
needs Redis) and the baseline, :func:`sink`, a bare WSGI app that writes each request body to a file at its
``Upload-Offset`` in 1 MiB reads (the app's read size) and parses nothing. One client does the same to both:
a creation POST, then PATCHes of ``--chunk-mb`` MiB (default: the upload page's ``TUS_CHUNK_BYTES``) sent
with ``sendfile`` from the file on disk (the client never holds the file in memory) on one keep-alive
connection, logged in like a browser (session cookie, ``X-CSRFToken``).

After a small warm-up upload to each server, ``--runs`` uploads to each alternate (tus, baseline, baseline,
tus, …); each starts after ``sync`` (no dirty pages left by the one before), and each server keeps its last
file until the next one is complete, as the app keeps the stored original. Medians are reported:

* tus, whole upload: from the POST to the final PATCH's answer, which includes the attach (SHA-256 of the
  stored original, ffprobe against the contest's rules, row written): what the time goal is about;
* tus, transfer: until the last byte was handed to the socket; attach: from then to the final answer;
* baseline: the same requests against the sink.

Memory: before each upload the worker's peak (``VmHWM``) is reset through ``/proc/<pid>/clear_refs``; growth
is the peak after the upload minus the resident size before it (child processes such as ffprobe are not
counted). CPU: the worker's user + system seconds during the upload. At the end the stored video's size and
SHA-256 (from the app's database) are checked against the source. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
#: Read size of the baseline sink: the app's own (``contest.infra.storage.CHUNK_BYTES``).
SINK_READ_BYTES = 1024 * 1024
PASSWORD = "bench password 2026"
sys.path.insert(0, str(REPO))
from config import Config  # noqa: E402  (settings only; the app is imported where it is used)

#: PATCH size of the app's own upload page.
CHUNK_MB = getattr(Config, "TUS_CHUNK_BYTES", 8 * MiB) // MiB
#: A noisy test pattern in lossless H.264 (~1.7 MB a frame, so 1 GiB lasts ~25 s), cut at the size wanted.
VIDEO = ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25,noise=alls=60:allf=t", "-t", "3000",
         "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]


# --- the baseline: a WSGI app that only writes bodies to disk ----------------------------------------------

def sink(environ, start_response):
    """POST creates an empty file and answers 201 with its ``Location``; PATCH writes the body at
    ``Upload-Offset`` in 1 MiB reads. No session, no database, no checks: the cost of the bytes alone."""
    root = Path(os.environ["BENCH_SINK_ROOT"])
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    if method == "POST":
        name = f"upload-{time.monotonic_ns()}"
        (root / name).touch()
        start_response("201 Created", [("Location", f"/{name}"), ("Content-Length", "0")])
        return [b""]
    if method == "PATCH":
        offset, left = int(environ["HTTP_UPLOAD_OFFSET"]), int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        with open(root / path.strip("/"), "r+b") as out:
            out.seek(offset)
            while left and (chunk := stream.read(min(SINK_READ_BYTES, left))):
                out.write(chunk)
                left -= len(chunk)
                offset += len(chunk)
        start_response("204 No Content", [("Upload-Offset", str(offset))])
        return [b""]
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


# --- set-up ------------------------------------------------------------------------------------------------

def make_video(path: Path, size_bytes: int) -> int:
    """A valid H.264 Matroska video of about ``size_bytes`` (ffmpeg stops at that size); returns its size."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *VIDEO, "-fs", str(size_bytes), str(path)],
                   check=True)
    return path.stat().st_size


def seed(env: dict, max_file_bytes: int) -> int:
    """The database schema, one creator and a draft entry in an open contest; returns the entry id."""
    from datetime import timedelta

    from contest.extensions import db
    from contest.models import Category, Contest, Orientation, utcnow
    from contest.services.submissions import entries as submissions
    from contest.services.accounts.users import create_user

    app = _app(env)
    with app.app_context():
        db.create_all()
        creator = create_user(username="creator1", password=PASSWORD)
        now = utcnow()
        contest = Contest(code="UPLOAD", title="上传基准", opens_at=now - timedelta(hours=1),
                          closes_at=now + timedelta(days=1), max_file_bytes=max_file_bytes,
                          min_duration_s=0.0, max_duration_s=3600.0, orientation=Orientation.ANY)
        contest.categories = [Category(name="微视频组", position=0)]
        db.session.add(contest)
        db.session.flush()
        entry = submissions.create_entry(contest=contest, creator=creator, category=contest.categories[0],
                                         title="一个很大的作品")
        db.session.commit()
        return entry.id


def stored_video(env: dict, entry_id: int) -> tuple[int, str]:
    """(bytes, sha256) of the entry's current video as recorded by the app."""
    from contest.extensions import db
    from contest.models import Entry

    with _app(env).app_context():
        video = db.session.get(Entry, entry_id).video
        return video.bytes, video.sha256


def _app(env: dict):
    from contest import create_app

    return create_app("development", DATABASE_URL=env["CONTEST_DATABASE_URL"],
                      UPLOAD_ROOT=env["CONTEST_UPLOAD_ROOT"], SECRET_KEY=env["CONTEST_SECRET_KEY"],
                      TASK_BACKEND="eager")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, env: dict, log: Path) -> subprocess.Popen:
    """``gunicorn -c gunicorn.conf.py APP`` with one worker on a free port (``.port``), once it answers."""
    port = free_port()
    env = dict(env, CONTEST_BIND=f"127.0.0.1:{port}", CONTEST_WEB_WORKERS="1", CONTEST_WEB_THREADS="4")
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(REPO / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", app], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/auth/login" if app == "wsgi:app" else "/")
                if conn.getresponse().status == 200 and worker_pid(proc.pid):
                    proc.port = port
                    return proc
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{app} did not start within 60 s:\n{log.read_text()[-3000:]}")
    except BaseException:
        proc.terminate()
        proc.wait(timeout=30)
        raise


def worker_pid(master: int) -> int | None:
    """The gunicorn worker: the master's child process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            return int(stat.parent.name)
    return None


def login_headers(port: int) -> dict:
    """Log in through the real form like a browser; the session cookie and the CSRF header for tus."""
    import re

    import requests

    base = f"http://127.0.0.1:{port}"
    token = lambda html: re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # noqa: E731
    session = requests.Session()
    response = session.post(f"{base}/auth/login", allow_redirects=False,
                            data={"username": "creator1", "password": PASSWORD,
                                  "csrf_token": token(session.get(f"{base}/auth/login").text)})
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return {"Cookie": f"session={session.cookies['session']}",
            "X-CSRFToken": token(session.get(f"{base}/my/").text)}


# --- measuring ---------------------------------------------------------------------------------------------

def upload(port: int, create_path: str, headers: dict, source: Path, chunk: int) -> dict:
    """POST, then PATCHes of ``chunk`` bytes streamed with sendfile; times in seconds and the last answer."""
    import base64

    size = source.stat().st_size
    meta = {"entry_id": headers.pop("entry_id", ""), "filename": "大文件.mkv", "filetype": "video/x-matroska"}
    tus = {"Tus-Resumable": "1.0.0", **headers}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    started = time.perf_counter()
    conn.request("POST", create_path, headers={**tus, "Upload-Length": str(size), "Upload-Metadata": ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())})
    created = conn.getresponse()
    created.read()
    if created.status != 201:
        raise SystemExit(f"creation failed: {created.status}")
    location, offset = urlsplit(created.headers["Location"]).path, 0
    with open(source, "rb") as fh:
        while offset < size:
            n = min(chunk, size - offset)
            conn.putrequest("PATCH", location, skip_accept_encoding=True)
            for name, value in {**tus, "Content-Type": "application/offset+octet-stream",
                                "Upload-Offset": str(offset), "Content-Length": str(n)}.items():
                conn.putheader(name, value)
            conn.endheaders()
            sent = 0
            while sent < n:
                sent += conn.sock.sendfile(fh, offset + sent, n - sent)
            last_byte = time.perf_counter()
            response = conn.getresponse()
            body = response.read()
            if response.status != 204:
                raise SystemExit(f"PATCH at {offset} failed: {response.status} {body[:300]!r}")
            offset = int(response.headers["Upload-Offset"])
    finished = time.perf_counter()
    conn.close()
    return {"whole": finished - started, "transfer": last_byte - started, "attach": finished - last_byte,
            "result": response.headers.get("Upload-Result")}


def proc_status(pid: int) -> dict[str, int]:
    """Memory fields of /proc/<pid>/status in bytes (VmRSS, VmHWM)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _sep, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, run) -> dict:
    """``run()``'s result plus the worker's peak memory growth (bytes) and CPU seconds while it ran."""
    os.sync()  # each run starts with no dirty pages left by the one before
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    before, cpu = proc_status(pid)["VmRSS"], cpu_seconds(pid)
    result = run()
    return result | {"growth": proc_status(pid)["VmHWM"] - before, "cpu": cpu_seconds(pid) - cpu}


def prepare(tmp: Path, size_mb: int) -> dict:
    """The videos, the database and both servers (appended to ``servers`` as they start)."""
    t0 = time.perf_counter()
    source, warmup = tmp / "source.mkv", tmp / "warmup.mkv"
    size = make_video(source, size_mb * MiB)
    make_video(warmup, 8 * MiB)
    print(f"made a {size / MiB:.1f} MiB video in {time.perf_counter() - t0:.0f} s")
    (tmp / "sink").mkdir()
    env = dict(os.environ, CONTEST_CONFIG="development", CONTEST_SECRET_KEY="bench-not-secret",
               CONTEST_DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", CONTEST_UPLOAD_ROOT=str(tmp / "uploads"),
               CONTEST_TASK_BACKEND="celery", CONTEST_CELERY_BROKER_URL="memory://",
               BENCH_SINK_ROOT=str(tmp / "sink"))
    return {"source": source, "warmup": warmup, "size": size, "env": env,
            "entry_id": seed(env, max_file_bytes=max(size + size // 10, 50 * MiB))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--chunk-mb", type=int, default=CHUNK_MB,
                        help=f"MiB per PATCH (default {CHUNK_MB}: the upload page's TUS_CHUNK_BYTES)")
    parser.add_argument("--runs", type=int, default=3, help="uploads to each server (default 3)")
    parser.add_argument("--dir", default="/tmp", help="parent of the temporary folder (default /tmp)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=args.dir))
    load = os.getloadavg()[0]
    servers: list[subprocess.Popen] = []
    try:
        bench = prepare(tmp, args.size_mb)
        for app in ("wsgi:app", "bench.bench_upload:sink"):
            servers.append(start_gunicorn(app, bench["env"], tmp / f"{app.split(':')[1]}.log"))
        (app, app_port), (sink_master, sink_port) = [(s.pid, s.port) for s in servers]
        headers = dict(login_headers(app_port), entry_id=str(bench["entry_id"]))
        pids = {"tus": worker_pid(app), "baseline": worker_pid(sink_master)}
        chunk = args.chunk_mb * MiB

        def one(name: str, path: Path) -> dict:
            if name == "tus":
                return upload(app_port, "/uploads/tus/", dict(headers), path, chunk)
            result = upload(sink_port, "/", {}, path, chunk)
            # Like the app, keep the last file until the next upload is complete: its pages are written
            # back to disk like the stored original's instead of being dropped unwritten.
            *older, newest = sorted((tmp / "sink").iterdir(), key=lambda p: p.stat().st_mtime_ns)
            if newest.stat().st_size != path.stat().st_size:
                raise SystemExit(f"the sink wrote {newest.stat().st_size} bytes, not {path.stat().st_size}")
            for written in older:
                written.unlink()
            return result

        warm = {name: measured(pids[name], lambda: one(name, bench["warmup"])) for name in pids}
        results: dict[str, list[dict]] = {"tus": [], "baseline": []}
        for i in range(args.runs):
            for name in ("tus", "baseline") if i % 2 == 0 else ("baseline", "tus"):
                r = measured(pids[name], lambda: one(name, bench["source"]))
                results[name].append(r)
                print(f"  run {i + 1} {name:<8} {r['whole']:6.2f} s  peak +{r['growth'] / MiB:5.1f} MiB  "
                      f"cpu {r['cpu']:5.2f} s  {r['result'] or ''}")
        if any(r["result"] != "ok" for r in results["tus"] + [warm["tus"]]):
            raise SystemExit("a tus upload was not attached")
        expected = (bench["size"], _sha256(bench["source"]))
        if (stored := stored_video(bench["env"], bench["entry_id"])) != expected:
            raise SystemExit(f"stored video {stored} differs from the source {expected}")
        report(results, warm, size=bench["size"], chunk=chunk, runs=args.runs,
               load=(load, os.getloadavg()[0]))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def _sha256(path: Path) -> str:
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def report(results: dict, warm: dict, *, size: int, chunk: int, runs: int, load: tuple[float, float]) -> None:
    med = lambda name, key: statistics.median(r[key] for r in results[name])  # noqa: E731
    base = med("baseline", "whole")
    print(f"\n{size / MiB:.0f} MiB ({size:,} bytes) in {-(-size // chunk)} PATCHes of {chunk // MiB} MiB, "
          f"{runs} uploads to each server, interleaved; gunicorn 1 gthread worker × 4 threads each; "
          f"medians; load average {load[0]:.1f} at the start, {load[1]:.1f} at the end "
          f"({os.cpu_count()} cores)\n")
    print(f"{'':<38} {'seconds':>8} {'MiB/s':>8} {'vs baseline':>12} {'worker CPU s':>13}")
    rows = [("baseline: body to disk, no parsing", "baseline", "whole"),
            ("tus: whole upload (goal ≤ 2×)", "tus", "whole"),
            ("tus: transfer (to the last byte sent)", "tus", "transfer"),
            ("tus: attach (final PATCH after it)", "tus", "attach")]
    for label, name, key in rows:
        seconds = med(name, key)
        rate = f"{size / MiB / seconds:8.0f}" if key != "attach" else f"{'':>8}"
        cpu = f"{med(name, 'cpu'):13.2f}" if key == "whole" else ""
        print(f"{label:<38} {seconds:8.2f} {rate} {seconds / base:11.2f}× {cpu}")
    pairs = [t["whole"] / b["whole"] for t, b in zip(results["tus"], results["baseline"])]
    print(f"tus / baseline of each pair of uploads: {', '.join(f'{p:.2f}×' for p in pairs)}")
    print("\npeak memory growth of the web worker during one upload (MiB; goal ≤ 16 for tus):")
    for name in ("tus", "baseline"):
        growths = [r["growth"] / MiB for r in results[name]]
        print(f"  {name:<9} median {statistics.median(growths):5.1f}, max {max(growths):5.1f}, uploads "
              f"{', '.join(f'{g:.1f}' for g in growths)}; warm-up {warm[name]['growth'] / MiB:.1f}")


if __name__ == "__main__":
    main()
