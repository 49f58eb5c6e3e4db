"""Passwords: argon2id hashing with stated parameters, and the rules a new password must meet.

Hashing: argon2id with ``ARGON2_MEMORY_KIB`` KiB of memory, ``ARGON2_TIME_COST`` passes and
``ARGON2_PARALLELISM`` lanes (default 19,456 KiB = 19 MiB, 2, 1: the first of the equivalent minimum settings in
OWASP's Password Storage Cheat Sheet, "m=19456 (19 MiB), t=2, p=1"); 16-byte salt, 32-byte hash. A hash made with
other parameters (argon2-cffi's default before: 64 MiB, 3 passes, 4 lanes) still verifies and is replaced on the
next successful log-in (:func:`needs_rehash`). ``bench/bench_login.py`` measures both.

Policy (NIST SP 800-63B §3.1.1.2 and OWASP's Authentication Cheat Sheet): a password is NFKC-normalised first
(full-width ``ｐａｓｓ`` is ``pass``; the same text typed on another keyboard gives the same hash), then it needs
8 to 128 characters (code points, any Unicode), is refused when it is in the list of common passwords shipped in
``data/common-passwords.txt`` (compared lower-cased) or is the user's own name or the contest's, and has no
composition rules (no "one digit, one capital").
"""
from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from contest.services.accounts.errors import AccountError

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
#: Stripped from both ends before a password is compared with names (``judge1!`` is the name ``judge``).
_DECORATION = string.digits + string.punctuation + string.whitespace


class PasswordPolicyError(AccountError):
    """A new password breaks the policy; ``reasons`` say which rule, for people."""


def normalize(password: str) -> str:
    """The form of ``password`` that is hashed and checked: Unicode NFKC."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
                          hash_len=32, salt_len=16, type=Type.ID)


def _parameters() -> tuple[int, int, int]:
    config = current_app.config
    return int(config["ARGON2_MEMORY_KIB"]), int(config["ARGON2_TIME_COST"]), int(config["ARGON2_PARALLELISM"])


def hasher() -> PasswordHasher:
    """The argon2id hasher of the app's ``ARGON2_*`` settings (one per setting, kept)."""
    return _hasher(*_parameters())


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string, ~100 characters) of the NFKC form of ``password``."""
    return hasher().hash(normalize(password))


def verify_password(*, password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``. Tries the NFKC form, then the text as typed (hashes
    made before passwords were normalised); a malformed hash never matches."""
    candidates = dict.fromkeys([normalize(password), password])
    for candidate in candidates:
        try:
            return hasher().verify(password_hash, candidate)
        except (VerificationError, InvalidHashError):
            continue
    return False


def spend_a_verify(password: str) -> None:
    """Verify ``password`` against a hash of nothing, so that a log-in with an unknown username takes as long
    as one with a wrong password (the time does not tell which usernames exist)."""
    verify_password(password_hash=_decoy_hash(*_parameters()), password=password)


@lru_cache(maxsize=4)
def _decoy_hash(memory_kib: int, time_cost: int, parallelism: int) -> str:
    return _hasher(memory_kib, time_cost, parallelism).hash("decoy: matches no password")


def needs_rehash(*, password_hash: str, password: str) -> bool:
    """A verified hash should be replaced: other argon2 parameters than the app's, or made from the text as
    typed rather than its NFKC form."""
    if hasher().check_needs_rehash(password_hash):
        return True
    normalized = normalize(password)
    if normalized == password:
        return False
    try:
        return not hasher().verify(password_hash, normalized)
    except (VerificationError, InvalidHashError):
        return True


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower-case; see ``data/README.md`` for its source)."""
    return frozenset(line.strip() for line in COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
                     if line.strip())


def _core(text: str) -> str:
    return text.casefold().strip(_DECORATION)


def password_problems(password: str, *, names: Iterable[str | None] = ()) -> list[str]:
    """The policy's reasons to refuse ``password`` (translated sentences; empty: accepted).

    ``names``: words the password must not be — the username, the name shown, the e-mail address, contest
    codes and titles; compared case-insensitively with digits and punctuation stripped from both ends
    (``Judge1!`` counts as ``judge``).
    """
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        return [_("The password needs at least %(min)d characters.", min=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("The password may have at most %(max)d characters.", max=MAX_LENGTH)]
    if password.lower().strip() in common_passwords():
        return [_("This password is too common and easy to guess. Please choose another one.")]
    core = _core(password)
    if core and any(core == _core(normalize(name)) for name in names if name):
        return [_("The password must not be your username, your name or the contest's name.")]
    return []


def check_new_password(password: str, *, names: Iterable[str | None] = ()) -> None:
    """Raise :class:`PasswordPolicyError` when :func:`password_problems` finds any."""
    problems = password_problems(password, names=names)
    if problems:
        raise PasswordPolicyError(problems)
