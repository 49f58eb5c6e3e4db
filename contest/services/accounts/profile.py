"""A user's profile: real name, phone, unit (单位), MCN / agency and platform accounts — what conflicts of
interest are derived from and what the stats ledger reads play counts by. Flushes, never commits."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from contest.extensions import db
from contest.models import PLATFORM_LABELS, Platform, PlatformAccount, User
from contest.services.accounts.errors import AccountError

#: A mainland China mobile number: 11 digits starting with 1 and a second digit 3–9 (MIIT numbering plan).
MOBILE = re.compile(r"1[3-9]\d{9}")
#: At most this many platform accounts per user.
MAX_ACCOUNTS = 20


class ProfileError(AccountError):
    """The profile breaks a rule; ``reasons`` say which, one sentence per field, for people."""


@dataclass(frozen=True)
class AccountSpec:
    """One platform account as entered: platform key (:class:`Platform` value) and the id on it."""

    platform: str
    account_id: str


def normalize_phone(phone: str) -> str:
    """``phone`` without spaces, hyphens and a leading ``+86`` / ``86``."""
    digits = re.sub(r"[\s-]", "", phone or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    return digits


def update_profile(*, user: User, real_name: str, phone: str, unit: str, mcn: str,
                   accounts: list[AccountSpec]) -> None:
    """Replace ``user``'s profile and platform accounts (blank account rows are skipped).

    Raises :class:`ProfileError` with every broken rule (nothing is written then): a phone that is not an
    11-digit mainland mobile number, a field longer than its column (real name 80, unit and MCN 200, account id
    100 characters), an unknown platform, the same account twice, more than :data:`MAX_ACCOUNTS` accounts.
    """
    real_name, unit, mcn = (real_name or "").strip(), (unit or "").strip(), (mcn or "").strip()
    phone = normalize_phone(phone)
    reasons = []
    if phone and not MOBILE.fullmatch(phone):
        reasons.append(_("The phone number must be an 11-digit mainland mobile number, e.g. 13812345678."))
    for value, limit, label in ((real_name, 80, _("Real name")), (unit, 200, _("Unit")), (mcn, 200, _("MCN"))):
        if len(value) > limit:
            reasons.append(_("%(field)s may have at most %(max)d characters.", field=label, max=limit))
    cleaned = _check_accounts(accounts, reasons)
    if reasons:
        raise ProfileError(reasons)
    user.real_name, user.phone, user.unit, user.mcn = real_name, phone, unit, mcn
    kept = {(account.platform, account.account_id): account for account in user.platform_accounts}
    user.platform_accounts = [kept.get((platform, account_id)) or PlatformAccount(platform=platform,
                                                                                 account_id=account_id)
                              for platform, account_id in cleaned]
    db.session.flush()


def _check_accounts(accounts: list[AccountSpec], reasons: list[str]) -> list[tuple[Platform, str]]:
    cleaned: list[tuple[Platform, str]] = []
    for spec in accounts:
        account_id = (spec.account_id or "").strip()
        if not account_id:
            continue
        try:
            platform = Platform(spec.platform)
        except ValueError:
            reasons.append(_("Choose the platform of the account %(id)s.", id=account_id))
            continue
        if len(account_id) > 100:
            reasons.append(_("An account id may have at most %(max)d characters.", max=100))
        elif (platform, account_id) in cleaned:
            reasons.append(_("The %(platform)s account %(id)s is listed twice.",
                             platform=PLATFORM_LABELS[platform], id=account_id))
        else:
            cleaned.append((platform, account_id))
    if len(cleaned) > MAX_ACCOUNTS:
        reasons.append(_("At most %(max)d platform accounts.", max=MAX_ACCOUNTS))
    return cleaned
