"""contest.infra.tasks.ThreadRunner and contest.infra.delayed: delayed tasks, retries with backoff after a
transient error, a worker thread that survives any error."""
import errno
import time

import pytest

from contest.infra import tasks
from contest.infra.delayed import DelayQueue


@pytest.fixture
def app_overrides():
    return {"TASK_BACKEND": "thread", "CELERY_RETRY_BACKOFF": 0.2, "CELERY_RETRY_BACKOFF_MAX": 0.4,
            "CELERY_MAX_RETRIES": 3}


@pytest.fixture
def calls(monkeypatch):
    """Registers the test tasks ``flaky`` (raises ``ENOSPC`` on its first two runs), ``broken`` (always raises
    ``ValueError``) and ``note``; returns the list of ``(task, argument, monotonic time)`` of their runs."""
    runs = []

    def flaky(n):
        runs.append(("flaky", n, time.monotonic()))
        if sum(1 for r in runs if r[0] == "flaky") <= 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    def broken(n):
        runs.append(("broken", n, time.monotonic()))
        raise ValueError("not transient")

    def note(n):
        runs.append(("note", n, time.monotonic()))

    for fn in (flaky, broken, note):
        monkeypatch.setitem(tasks.TASKS, fn.__name__, fn)
    monkeypatch.setattr(tasks, "START_HOOKS", [])
    return runs


def test_a_transient_error_is_retried_after_a_growing_wait(app, calls):
    tasks.enqueue("flaky", 1)
    assert tasks.get_runner().wait_idle(timeout=10)

    times = [t for name, _n, t in calls]
    assert [name for name, _n, _t in calls] == ["flaky"] * 3
    assert 0.2 <= times[1] - times[0] < 0.2 + 0.5 and 0.4 <= times[2] - times[1] < 0.4 + 0.5


def test_other_errors_are_not_retried_and_the_thread_runs_on(app, calls):
    tasks.enqueue("broken", 1)
    tasks.enqueue("note", 2)
    assert tasks.get_runner().wait_idle(timeout=10)

    assert [(name, n) for name, n, _t in calls] == [("broken", 1), ("note", 2)]


def test_retries_stop_at_the_limit(app, calls):
    app.config["CELERY_MAX_RETRIES"] = 1
    tasks.enqueue("flaky", 1)
    assert tasks.get_runner().wait_idle(timeout=10)

    assert [name for name, _n, _t in calls] == ["flaky"] * 2


def test_a_delayed_task_runs_after_its_delay_and_does_not_hold_up_others(app, calls):
    started = time.monotonic()
    tasks.enqueue("note", 1, delay_s=0.5)
    tasks.enqueue("note", 2)
    runner = tasks.get_runner()
    assert not runner.wait_idle(timeout=0.1)  # the delayed one is still waiting
    assert runner.wait_idle(timeout=10)

    assert [n for _name, n, _t in calls] == [2, 1]
    assert calls[1][2] - started >= 0.5


def test_delay_queue_orders_by_due_time_then_by_arrival():
    queue = DelayQueue()
    queue.put("late", 0.2)
    queue.put("first")
    queue.put("second")
    assert [queue.get(), queue.get()] == ["first", "second"] and len(queue) == 1
    started = time.monotonic()
    assert queue.get() == "late" and time.monotonic() - started > 0.1
    for _ in range(3):
        queue.task_done()
    assert queue.join(timeout=0)
