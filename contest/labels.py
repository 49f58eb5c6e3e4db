"""What people read for a state, and its colour: the one definition of every state badge.

Each kind of state (an entry's, its video's, a judge's review, a contest's submission window) maps each state to
a translated label and a Bootstrap colour (the ``text-bg-…`` class of its badge). Templates draw them through
the Jinja globals registered by :func:`init_app` — ``state_badge(kind, state)`` for the badge,
``state_label(kind, state)`` for the text alone (table headings, messages) — and Python code that writes
messages uses :func:`state_label` too. Need an app context (the labels are translated when drawn).
"""
from datetime import datetime
from typing import NamedTuple

from flask import Flask
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from contest.models import EntryState, ExportState, ReviewState, VideoState


class StateLabel(NamedTuple):
    """A state as people see it: ``text`` (lazy, translated when drawn) and ``colour``, the Bootstrap
    contextual colour of its badge (``secondary``, ``success``, ``warning``, ``danger``, ``info``, ``dark``)."""

    text: str
    colour: str


#: The review of an assignment that has none yet (``state_badge("review", None)``).
NOT_STARTED = None

#: ``{kind: {state: StateLabel}}``; states are the models' enum values (strings), or for ``window`` the
#: values of :func:`window_state`.
STATE_LABELS: dict[str, dict[str | None, StateLabel]] = {
    "entry": {
        EntryState.DRAFT: StateLabel(_l("Draft"), "secondary"),
        EntryState.SUBMITTED: StateLabel(_l("Submitted"), "success"),
        EntryState.WITHDRAWN: StateLabel(_l("Withdrawn"), "dark"),
        EntryState.DISQUALIFIED: StateLabel(_l("Disqualified"), "danger"),
    },
    "video": {
        None: StateLabel(_l("No video yet"), "light"),
        VideoState.PENDING: StateLabel(_l("Waiting to be processed"), "secondary"),
        VideoState.PROCESSING: StateLabel(_l("Processing"), "info"),
        VideoState.READY: StateLabel(_l("Ready"), "success"),
        VideoState.FAILED: StateLabel(_l("Processing failed"), "danger"),
    },
    "review": {
        NOT_STARTED: StateLabel(_l("Not started"), "secondary"),
        ReviewState.DRAFT: StateLabel(_l("Draft"), "warning"),
        ReviewState.SUBMITTED: StateLabel(_l("Submitted"), "success"),
    },
    "export": {
        ExportState.QUEUED: StateLabel(_l("Waiting to start"), "secondary"),
        ExportState.RUNNING: StateLabel(_l("Being written"), "info"),
        ExportState.DONE: StateLabel(_l("Ready to download"), "success"),
        ExportState.FAILED: StateLabel(_l("Failed"), "danger"),
        ExportState.EXPIRED: StateLabel(_l("Expired"), "dark"),
    },
    "window": {
        "upcoming": StateLabel(_l("Not open yet"), "info"),
        "open": StateLabel(_l("Open"), "success"),
        "closed": StateLabel(_l("Closed"), "dark"),
    },
}


def state_label(kind: str, state: str | None) -> str:
    """The translated label of ``state`` of ``kind`` (a key of :data:`STATE_LABELS`): ``("entry", "draft")`` →
    ``"草稿"``. KeyError for a kind or state not defined there."""
    return str(STATE_LABELS[kind][state].text)


def state_badge(kind: str, state: str | None, *, prefix: str = "", title: str | None = None) -> Markup:
    """The badge of ``state`` of ``kind``: ``<span class="badge text-bg-success" data-state="submitted">已提交
    </span>``; ``prefix`` goes before the label (``"视频："``), ``title`` (e.g. a failure's reason) into the
    tooltip. KeyError for a kind or state not defined in :data:`STATE_LABELS`."""
    label = STATE_LABELS[kind][state]
    tooltip = Markup(' title="{}"').format(title) if title else ""
    return Markup('<span class="badge text-bg-{}" data-state="{}"{}>{}{}</span>').format(
        label.colour, "" if state is None else state, tooltip, escape(prefix), str(label.text))


def window_state(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """``"upcoming"`` before ``opens_at``, ``"open"`` until ``closes_at``, then ``"closed"`` (all three aware,
    as the models give them) — the ``window`` kind of :data:`STATE_LABELS`."""
    if now < opens_at:
        return "upcoming"
    return "open" if now < closes_at else "closed"


def init_app(app: Flask) -> None:
    """Register the Jinja globals ``state_badge``, ``state_label`` and ``window_state``."""
    app.add_template_global(state_badge)
    app.add_template_global(state_label)
    app.add_template_global(window_state)
