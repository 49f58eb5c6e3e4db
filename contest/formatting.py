"""Human units: durations and file sizes as people read them, in the current locale.

Numbers go through Babel (:mod:`flask_babel`) so that grouping and decimals follow the locale.
"""
from flask_babel import format_decimal
from flask_babel import gettext as _

MIB = 1024 * 1024


def format_duration(seconds: float) -> str:
    """``0.04 s``, ``3.5 s``, ``45 s``, ``12 min 03 s``, ``1 h 02 min 03 s`` (fractions only when not whole),
    translated (Chinese: ``12 分 03 秒``)."""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return _("%(sec)s s", sec=f"{seconds:.2f}".rstrip("0").rstrip(".") or "0")
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    if not hours and not minutes:
        return _("%(sec)s s", sec=rest // 10 if rest % 10 == 0 else f"{rest / 10:.1f}")
    sec = f"{rest // 10:02d}" if rest % 10 == 0 else f"{rest / 10:04.1f}"
    if hours:
        return _("%(h)s h %(min)02d min %(sec)s s", h=hours, min=minutes, sec=sec)
    return _("%(min)s min %(sec)s s", min=minutes, sec=sec)


def format_size(size_bytes: int, decimals: int = 1) -> str:
    """Size in MB (2**20 bytes), e.g. ``62.3 MB``, ``500 MB`` (trailing zeros dropped), translated."""
    value = f"{size_bytes / MIB:.{decimals}f}".rstrip("0").rstrip(".")
    return _("%(size)s MB", size=value)


def megabytes(size_bytes: int) -> str:
    """``size_bytes`` as MB (1 MB = 1024² bytes), one decimal at most, in the current locale: ``"500"``."""
    return format_decimal(round(size_bytes / MIB, 1))
