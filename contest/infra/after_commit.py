"""Work that must follow the database: run a callback once the current transaction commits, or once it ends
without a commit. Like Django's ``transaction.on_commit``.

Services register what their change implies (delete replaced files, forget cached numbers) where they make the
change; views only commit. Callbacks are kept on ``session.info`` (per session, so per request or job) and run
after the outermost transaction: ``on_commit`` callbacks after a commit, ``on_rollback`` callbacks when the
transaction ends any other way (rollback, failed commit, closed session). A callback that raises is logged
and does not stop the others.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from contest.extensions import db

log = logging.getLogger(__name__)
_COMMIT = "contest.on_commit"
_ROLLBACK = "contest.on_rollback"


def on_commit(callback: Callable[[], None], *, key: object | None = None) -> None:
    """Run ``callback()`` once the current transaction of ``db.session`` commits. With ``key``, a callback
    registered again under the same key in the same transaction replaces nothing and runs once."""
    _register(_COMMIT, callback, key)


def on_rollback(callback: Callable[[], None], *, key: object | None = None) -> None:
    """Run ``callback()`` if the current transaction ends without committing."""
    _register(_ROLLBACK, callback, key)


def _register(slot: str, callback: Callable[[], None], key: object | None) -> None:
    callbacks = db.session().info.setdefault(slot, {})
    callbacks.setdefault(key if key is not None else object(), callback)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_ROLLBACK, None)
    _run(session.info.pop(_COMMIT, {}))


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_COMMIT, None)
    _run(session.info.pop(_ROLLBACK, {}))


def _run(callbacks: dict) -> None:
    for callback in callbacks.values():
        try:
            callback()
        except Exception:  # one failing callback must not hide the others
            log.exception("after-commit callback %r failed", callback)
