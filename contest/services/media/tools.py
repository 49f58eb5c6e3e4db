"""Running ffmpeg and ffprobe: an argument list (built with ffmpeg-python for ffmpeg, by hand for ffprobe), no
shell, no stdin, at a niceness, in its own process group that is killed whole when the time limit passes, and
killed too when the calling process dies (Linux ``PR_SET_PDEATHSIG``). Every external program of the media
pipeline runs through :func:`run_tool` or :func:`run_tool_streaming`; :func:`start` is where each is spawned.
"""
from __future__ import annotations

import ctypes
import errno
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask_babel import gettext as _

from contest.formatting import format_duration
from contest.services.media.errors import MediaTimeout, ToolUnavailable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _child_setup(nice: int) -> None:
    """Runs in the child before exec: lower its priority by ``nice`` (0: unchanged) and ask Linux for SIGKILL
    when the parent dies (``prctl(PR_SET_PDEATHSIG)``), so that a worker killed outright (SIGKILL, out of
    memory) leaves no ffmpeg behind. The libc handle is loaded in the parent; the child makes two system
    calls."""
    if nice > 0:
        os.nice(nice)
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def start(args: list[str], *, nice: int, stdout, stderr) -> subprocess.Popen:
    """Spawn ``args``; raises :class:`ToolUnavailable` when the program cannot be started (missing, not
    executable)."""
    try:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True, preexec_fn=lambda: _child_setup(nice))
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise ToolUnavailable(exc.errno, f"{args[0]} cannot be run: {exc.strerror}", args[0]) from exc


def check_tools(config) -> dict[str, str]:
    """Run ``FFMPEG_BINARY -version`` and ``FFPROBE_BINARY -version`` (of ``config``, e.g. ``app.config``);
    returns ``{"ffmpeg": first line, "ffprobe": first line}`` such as ``"ffmpeg version 5.1.6-0+deb12u1 …"``.

    Raises :class:`ToolUnavailable` naming the program and what to do when one cannot be started, exits
    with an error or answers something else. Used at start-up (``flask media check``, the Celery worker, the
    web process's task thread) so that a missing ffmpeg is said at once, not found by the first upload.
    """
    versions = {}
    for name, key in (("ffmpeg", "FFMPEG_BINARY"), ("ffprobe", "FFPROBE_BINARY")):
        binary = config[key]
        try:
            done = run_tool([binary, "-version"], timeout=config["PROBE_TIMEOUT"])
        except ToolUnavailable as exc:
            raise ToolUnavailable(exc.errno, f"{name} ({key}={binary!r}) cannot be run: "
                                             f"{exc.__cause__.strerror}. {_INSTALL_HINT}", binary) from exc
        except MediaTimeout as exc:
            limit = config["PROBE_TIMEOUT"]
            raise ToolUnavailable(errno.ETIMEDOUT, f"{name} ({key}={binary!r}) did not answer within {limit} s. "
                                                   f"{_INSTALL_HINT}", binary) from exc
        first = done.stdout.decode("utf-8", "replace").strip().splitlines()[:1]
        if done.returncode != 0 or not first or name not in first[0]:
            raise ToolUnavailable(errno.ENOEXEC, f"{name} ({key}={binary!r}) does not work: exit status "
                                                 f"{done.returncode}, {tail(done.stderr, 3) or 'no output'}. "
                                                 f"{_INSTALL_HINT}", binary)
        versions[name] = first[0]
    return versions


_INSTALL_HINT = ("Install ffmpeg (Debian: apt-get install ffmpeg) or set CONTEST_FFMPEG_BINARY / "
                 "CONTEST_FFPROBE_BINARY to the programs' paths.")


def _timed_out(args: list[str], timeout: float) -> MediaTimeout:
    return MediaTimeout(_("Processing took longer than the limit of %(limit)s and was stopped.",
                          limit=format_duration(timeout)), detail=" ".join(args))


def run_tool(args: list[str], *, timeout: float, nice: int = 0) -> subprocess.CompletedProcess:
    """Run ``args`` (bytes out/err) in a new process group at niceness ``nice``; kill the whole group after
    ``timeout`` seconds.

    Raises :class:`MediaTimeout` on timeout. The exit status is not checked. On Linux the tool is also killed
    when the calling process dies (see :func:`_child_setup`).
    """
    proc = start(args, nice=nice, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with _killed_on_failure(proc, args, timeout):
        out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@contextmanager
def _killed_on_failure(proc: subprocess.Popen, args: list[str], timeout: float) -> Iterator[None]:
    """Kill ``proc``'s whole process group if the block fails; a ``TimeoutExpired`` becomes
    :class:`MediaTimeout`, anything else propagates unchanged."""
    try:
        yield
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise _timed_out(args, timeout) from None
    except BaseException:
        _kill_group(proc)
        raise


def run_tool_streaming(args: list[str], *, timeout: float, on_line: Callable[[str], None],
                       nice: int = 0) -> subprocess.CompletedProcess:
    """Like :func:`run_tool`, but calls ``on_line(text)`` for each line the tool writes to stdout while it
    runs (e.g. ffmpeg's ``-progress pipe:1``). stderr goes to a temporary file (a chatty tool cannot block
    on a full pipe); the result holds its last 64 KiB and no stdout.

    Raises :class:`MediaTimeout` on timeout; an exception raised by ``on_line`` kills the tool's group and
    propagates (a way to cancel).
    """
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as err_file:
        proc = start(args, nice=nice, stdout=subprocess.PIPE, stderr=err_file)
        with _killed_on_failure(proc, args, timeout):
            with selectors.DefaultSelector() as selector:
                selector.register(proc.stdout, selectors.EVENT_READ)
                pending = b""
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise subprocess.TimeoutExpired(args, timeout)
                    if not selector.select(left):
                        continue
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        on_line(line.decode("utf-8", "replace").strip())
            proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        proc.stdout.close()
        size = err_file.seek(0, os.SEEK_END)
        err_file.seek(max(0, size - 65536))
        return subprocess.CompletedProcess(args, proc.returncode, b"", err_file.read())


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def tail(stderr: bytes, lines: int = 15) -> str:
    return "\n".join(stderr.decode("utf-8", "replace").strip().splitlines()[-lines:])


