"""Who is acting, and from which address: the "current actor" the audit trail records
(:mod:`contest.services.audit.record`), kept in a context variable so that services need not see the request.

In a request it is the signed-in user (None when anonymous) and ``request.remote_addr`` — the client's address
behind ``PROXY_COUNT`` trusted proxies, as :mod:`contest.infra.rate_limits` sets up ``ProxyFix``. Both are
read when first asked for (most requests record nothing, so no user is loaded for them). Outside a request
(commands, background tasks) the actor is the system: no user, no address; :func:`acting_as` names another.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import Flask, g, request
from flask_login import current_user


@dataclass(frozen=True)
class Actor:
    """``user_id`` None: the system; ``ip``: the client's address (IPv4 or IPv6 text) or None."""

    user_id: int | None = None
    ip: str | None = None


SYSTEM = Actor()
_resolver: ContextVar[Callable[[], Actor] | None] = ContextVar("contest_actor", default=None)


def current_actor() -> Actor:
    """The actor of the current request, command or task (:data:`SYSTEM` when none was set)."""
    resolve = _resolver.get()
    return resolve() if resolve is not None else SYSTEM


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Record ``actor`` as the one acting inside the ``with`` block (a command run for a named organizer)."""
    token = _resolver.set(lambda: actor)
    try:
        yield actor
    finally:
        _resolver.reset(token)


def request_actor() -> Actor:
    """The signed-in user and the client's address of the current request (computed once per request)."""
    if "contest_actor" not in g:
        user_id = current_user.id if current_user.is_authenticated else None
        g.contest_actor = Actor(user_id=user_id, ip=request.remote_addr)
    return g.contest_actor


def init_app(app: Flask) -> None:
    """Make every request's actor :func:`request_actor`, and forget it when the request ends."""

    @app.before_request
    def _set_request_actor():
        g.contest_actor_token = _resolver.set(request_actor)

    @app.teardown_request
    def _clear_request_actor(_exc):
        token = g.pop("contest_actor_token", None)
        if token is None:
            return
        try:
            _resolver.reset(token)
        except ValueError:  # ended in another context than it began (a streamed response): forget it
            _resolver.set(None)
