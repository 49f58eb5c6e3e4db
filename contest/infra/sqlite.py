"""SQLite as the embedded default database of a multi-threaded server.

SQLite lets one writer at a time into a database file. Out of the box Python's driver waits 5 s for the write
lock and the rollback journal makes readers and the writer block each other, so 50 concurrent writers end with
"database is locked". :func:`init_app` sets, on every new connection of a SQLite engine:

* ``journal_mode=WAL`` (file databases): readers never block the writer nor the writer them;
* ``busy_timeout`` = ``SQLITE_BUSY_TIMEOUT_S`` (config, seconds): a writer waits that long for the lock
  instead of failing;
* ``synchronous=NORMAL``: with WAL, a commit is durable across an application crash; a power loss may lose
  the last commits but never corrupts the file (https://www.sqlite.org/pragma.html#pragma_synchronous).

Write transactions stay short because the driver (pysqlite, legacy transaction control) runs reads in
autocommit and opens the transaction just before the first INSERT/UPDATE/DELETE; it then holds the write lock
until the commit. ``SELECT … FOR UPDATE`` does nothing on SQLite, so a write that must re-read rows under a
lock (read, decide, write) calls :func:`lock_for_write` first: ``BEGIN IMMEDIATE`` takes the database's write
lock before the re-read. On other databases both do nothing.

With WAL a database is three files (``contest.db``, ``-wal``, ``-shm``): back it up with
``sqlite3 contest.db ".backup copy.db"``, not by copying ``contest.db`` alone while the site runs.
"""
from functools import partial

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contest.extensions import db


def init_app(app: Flask) -> None:
    """Configure every new connection of the app's SQLite engines (see the module docstring)."""
    busy_ms = int(float(app.config["SQLITE_BUSY_TIMEOUT_S"]) * 1000)
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", partial(_configure, wal=not _in_memory(engine), busy_ms=busy_ms))


def lock_for_write(session: Session) -> None:
    """Take the database's write lock for the rest of the session's transaction, so that rows read next are
    the latest committed ones and no other writer changes them before the commit.

    On SQLite: ``BEGIN IMMEDIATE`` unless a write transaction is already open (waits up to
    ``SQLITE_BUSY_TIMEOUT_S`` for the lock). Elsewhere nothing: lock rows with ``SELECT … FOR UPDATE``.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _in_memory(engine: Engine) -> bool:
    database = engine.url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def _configure(dbapi_connection, _record, *, wal: bool, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
