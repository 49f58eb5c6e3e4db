"""A thread-safe queue whose items become available after a delay: the in-process task runner's queue
(:class:`contest.infra.tasks.ThreadRunner`), so that a task can be retried later without a timer thread per
retry. Items due at the same moment come out in the order they were put.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Any


class DelayQueue:
    """``put(item, delay_s)`` / ``get()`` (blocks until the earliest item is due) / ``task_done()`` /
    ``join(timeout)`` (waits until every item put has been got and marked done), like :class:`queue.Queue`
    with a delay. Times are :func:`time.monotonic` seconds."""

    def __init__(self):
        self._heap: list[tuple[float, int, Any]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._unfinished = 0

    def put(self, item: Any, delay_s: float = 0.0) -> None:
        """Add ``item``, available after ``delay_s`` seconds (0 or less: at once)."""
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + max(delay_s, 0.0), next(self._order), item))
            self._unfinished += 1
            self._cond.notify_all()

    def get(self) -> Any:
        """The earliest item once it is due; blocks until then."""
        with self._cond:
            while True:
                wait = self._heap[0][0] - time.monotonic() if self._heap else None
                if wait is not None and wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(wait)

    def task_done(self) -> None:
        """Mark one item got by :meth:`get` as finished."""
        with self._cond:
            self._unfinished -= 1
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every item put, delayed ones included, is done; False when ``timeout`` seconds passed
        first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._unfinished == 0, timeout)

    def __len__(self) -> int:
        """Items not yet got (due or not)."""
        with self._cond:
            return len(self._heap)
