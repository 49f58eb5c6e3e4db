"""Rate limits (Flask-Limiter): the store chosen by config, the keys requests are counted by, failed attempts,
and the waiting time a refused request is told.

The store: ``RATELIMIT_STORAGE_URI`` when set; otherwise the Redis of ``CELERY_BROKER_URL`` when
``TASK_BACKEND`` is ``celery`` (several web processes must share the counts), else each process's memory
(``memory://``: the embedded default, which runs one web process). The named limits of the routes are in
:mod:`contest.auth.limits`.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from contest.extensions import limiter


def init_app(app: Flask) -> None:
    """Choose the store, trust ``PROXY_COUNT`` proxies for the client address, and bind the limiter."""
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # the scheme: gunicorn's forwarded_allow_ips
    limiter.init_app(app)


def storage_uri(config) -> str:
    """The limits store of ``config`` (see the module's docstring)."""
    if config.get("RATELIMIT_STORAGE_URI"):
        return config["RATELIMIT_STORAGE_URI"]
    broker = config.get("CELERY_BROKER_URL") or ""
    if config.get("TASK_BACKEND") == "celery" and broker.startswith(("redis://", "rediss://")):
        return broker
    return "memory://"


def setting(name: str):
    """A limit read from the app's config at each request (``"10 per 15 minutes"``), so tests and
    ``CONTEST_RATELIMIT_*`` variables can change it."""
    return lambda: current_app.config[name]


def client_address() -> str:
    """The client's address (the proxy's ``X-Forwarded-For`` entry when ``PROXY_COUNT`` > 0)."""
    return request.remote_addr or "unknown"


def login_name() -> str:
    """The username a log-in form names, lower-cased: failed log-ins are counted per account."""
    return "account:" + (request.form.get("username") or "").strip().lower()


def user_or_address() -> str:
    """The logged-in user (``user:<id>``), else the client's address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return client_address()


def mark_failed_attempt() -> None:
    """The current request was a failed attempt (wrong password): limits kept with
    ``deduct_when=failed_attempt`` count it."""
    g.failed_attempt = True


def failed_attempt(response) -> bool:
    """``deduct_when`` of limits that count only failures (see :func:`mark_failed_attempt`)."""
    return bool(g.get("failed_attempt"))


def retry_after_seconds() -> int:
    """Whole seconds until the limit this request broke lets a request through again (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    reset_at, _remaining = current.window  # epoch seconds at which the next request is let through
    return max(1, math.ceil(reset_at - time.time()))


def retry_after_minutes() -> int:
    """:func:`retry_after_seconds` in whole minutes, rounded up (at least 1): what people are told."""
    return max(1, math.ceil(retry_after_seconds() / 60))
