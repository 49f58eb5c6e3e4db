"""Numbers, sizes, durations, dates and percentages for people, in the current locale (Babel).

The one implementation of each: templates use them as Jinja filters (``number``, ``filesize``, ``duration``,
``datetime_local``, ``percent``, registered by :func:`init_app`), and Python code that writes messages calls the
same functions. Need an app context (the locale and time zone come from Flask-Babel).

Sizes count in binary units, labelled as people know them: 1 KB = 1024 bytes, 1 MB = 1024² bytes (a contest's
"500 MB" limit is 500 × 1024² bytes).
"""
from datetime import date, datetime, timezone

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent, gettext as _

#: Units of :func:`format_filesize` above bytes, each 1024 times the one before.
SIZE_UNITS = ("KB", "MB", "GB", "TB")
#: The display pattern of :func:`format_datetime_local` unless another is given (CLDR pattern syntax).
DATETIME_PATTERN = "yyyy-MM-dd HH:mm"


def format_number(value: float | int, decimals: int = 3) -> str:
    """``value`` with the locale's grouping and at most ``decimals`` decimals, trailing zeros dropped:
    ``12345`` → ``"12,345"``, ``29.97`` → ``"29.97"``, ``25.0`` → ``"25"``."""
    pattern = "#,##0." + "#" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern)


def format_filesize(size_bytes: int, unit: str | None = None, decimals: int | None = None) -> str:
    """``size_bytes`` for people: ``"43 KB"``, ``"1.8 MB"``, ``"500 MB"``, ``"1.2 GB"``, ``"512 bytes"``.

    ``unit`` (one of :data:`SIZE_UNITS`) forces the unit; by default the largest one in which the number is
    at least 1. ``decimals``: at most that many, trailing zeros dropped; by default 1 below 10, else none.
    Below 1 KB (and no ``unit``) the size is told in bytes.
    """
    unit = unit or _unit_of(size_bytes)
    if unit is None:
        return _("%(n)s bytes", n=format_number(size_bytes))
    value = size_bytes / 1024 ** (SIZE_UNITS.index(unit) + 1)
    if decimals is None:
        decimals = 1 if value < 10 else 0
    return f"{format_number(value, decimals)} {unit}"


def _unit_of(size_bytes: int) -> str | None:
    """The largest of :data:`SIZE_UNITS` in which ``size_bytes`` is at least 1; None below 1 KB."""
    fitting = [unit for power, unit in enumerate(SIZE_UNITS, 1) if size_bytes >= 1024 ** power]
    return fitting[-1] if fitting else None


def format_filesizes(*sizes: int) -> list[str]:
    """Several sizes (bytes) that must read differently when they differ, such as a file and its limit:
    in the unit of the largest with 1 to 3 decimals — the fewest that tell them apart and show none of those
    above zero as 0 —, else each in its own unit (``2 MB``, ``10 bytes``), else in bytes.
    ``(200 MiB + 1 KiB, 200 MiB)`` → ``["200.001 MB", "200 MB"]``."""
    def readable(texts: list[str], zero: str) -> bool:
        shown_as_zero = any(size and text.startswith(zero) for size, text in zip(sizes, texts))
        return len(set(texts)) == len(set(sizes)) and not shown_as_zero

    unit = _unit_of(max(sizes))
    if unit is not None:
        for decimals in (1, 2, 3):
            texts = [format_filesize(size, unit, decimals) for size in sizes]
            if readable(texts, f"0 {unit}"):
                return texts
    texts = [format_filesize(size) for size in sizes]
    return texts if readable(texts, "0 ") else [_("%(n)s bytes", n=format_number(size)) for size in sizes]


def format_duration(seconds: float) -> str:
    """``0.04 s``, ``3.5 s``, ``45 s``, ``12 min 03 s``, ``1 h 02 min 03 s`` (fractions only when not whole),
    translated (Chinese: ``12 分 03 秒``)."""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return _("%(sec)s s", sec=format_number(seconds, 2))
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    if not hours and not minutes:
        return _("%(sec)s s", sec=format_number(rest / 10, 1))
    sec = f"{rest // 10:02d}" if rest % 10 == 0 else f"{rest / 10:04.1f}"
    if hours:
        return _("%(h)s h %(min)02d min %(sec)s s", h=format_number(hours), min=minutes, sec=sec)
    return _("%(min)s min %(sec)s s", min=minutes, sec=sec)


def format_datetime_local(at: datetime | date | None, pattern: str = DATETIME_PATTERN) -> str:
    """``at`` (aware; naive counts as UTC) in the display time zone ``BABEL_DEFAULT_TIMEZONE``
    (Asia/Shanghai, Beijing time), as the CLDR ``pattern`` (default ``2026-03-01 09:00``); ``"—"`` for None.
    A calendar day (``date``, already a Beijing day) is shown as it is: ``pattern`` must then hold only date
    fields (``"yyyy-MM-dd"``)."""
    if at is None:
        return "—"
    if not isinstance(at, datetime):
        return format_date(at, pattern)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return format_datetime(at, pattern)


def format_percent_of(ratio: float, decimals: int = 0) -> str:
    """``ratio`` (0.5 = half) as a percentage in the locale's way with ``decimals`` decimals: ``"50%"``,
    ``"33.3%"``."""
    pattern = "#,##0." + "0" * decimals + "%" if decimals else "#,##0%"
    return format_percent(ratio, format=pattern)


def format_size(size_bytes: int, decimals: int = 1) -> str:
    """Size in MB (2**20 bytes) with at most ``decimals`` decimals, e.g. ``62.3 MB``, ``500 MB``: how media rules
    and limits state sizes. :func:`format_filesize` in MB, kept for the services that call it by this name."""
    return format_filesize(size_bytes, "MB", decimals)


def init_app(app: Flask) -> None:
    """Register the Jinja filters."""
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_filesize, "filesize")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(format_datetime_local, "datetime_local")
    app.add_template_filter(format_percent_of, "percent")
