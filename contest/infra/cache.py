"""Numbers kept for a few seconds in this process, and dropped when a write changes them.

A :class:`ProcessCache` (one per app, :func:`process_cache`) keeps values under ``(namespace, key)`` with the
monotonic time they were counted. Readers ask with a maximum age in seconds; writers call
:func:`forget_after_commit`, which drops the value once their transaction commits (never before: a reader in
between would keep the old number again). Other processes see a change within the readers' maximum age. Values
must be plain data (no ORM objects), so that they outlive the request that counted them.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app

from contest.infra.after_commit import on_commit

_EXTENSION = "contest.process_cache"


class ProcessCache:
    """``(namespace, key) → (monotonic seconds when counted, value)``, thread-safe."""

    def __init__(self):
        self._values: dict[tuple[str, Hashable], tuple[float, Any]] = {}
        self._locks: dict[tuple[str, Hashable], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, namespace: str, key: Hashable, *, max_age: float) -> Any | None:
        """The value if counted less than ``max_age`` seconds ago, else None."""
        hit = self._values.get((namespace, key))
        if hit is None or time.monotonic() - hit[0] >= max_age:
            return None
        return hit[1]

    def get_or_count(self, namespace: str, key: Hashable, count: Callable[[], Any], *, max_age: float) -> Any:
        """The kept value, or ``count()`` kept from now on. One thread counts while the others asking for the
        same key wait for its result."""
        value = self.get(namespace, key, max_age=max_age)
        if value is not None:
            return value
        with self._lock(namespace, key):
            value = self.get(namespace, key, max_age=max_age)  # counted by another thread meanwhile
            if value is None:
                started = time.monotonic()
                value = count()
                self._values[(namespace, key)] = (started, value)
            return value

    def put(self, namespace: str, key: Hashable, value: Any) -> None:
        self._values[(namespace, key)] = (time.monotonic(), value)

    def forget(self, namespace: str, key: Hashable) -> None:
        self._values.pop((namespace, key), None)

    def _lock(self, namespace: str, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((namespace, key), threading.Lock())


def process_cache() -> ProcessCache:
    """The current app's cache in this process."""
    return current_app.extensions.setdefault(_EXTENSION, ProcessCache())


def forget_after_commit(namespace: str, key: Hashable) -> None:
    """Drop ``(namespace, key)`` from this process's cache once the current transaction commits."""
    cache = process_cache()
    on_commit(lambda: cache.forget(namespace, key), key=("forget", namespace, key))
