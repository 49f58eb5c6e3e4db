"""One base for the errors a domain rule raises, and how they reach people.

A :class:`DomainError` carries ``reasons``: translated sentences, one per broken rule, each saying what is
wrong and, where it helps, the measured value and the limit. ``status`` is the HTTP status a request that ends
with it answers (422 by default). Views that keep a form's input catch these errors and show the reasons next
to the form; an error no view catches is answered once, by :func:`contest.main.errors.register`: an HTML page
or, for JSON and API requests, ``{"error": "<reasons joined>", "reasons": [...]}`` with the same status.
"""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an action. ``reasons``: list of translated sentences; ``status``: HTTP
    status (int) for a request that ends with this error."""

    status: int = 422

    def __init__(self, reasons: list[str] | str, *, status: int | None = None):
        self.reasons = [reasons] if isinstance(reasons, str) else [str(r) for r in reasons]
        if status is not None:
            self.status = status
        super().__init__(" ".join(self.reasons))

    @property
    def message(self) -> str:
        """The reasons as one text (sentences joined by a space)."""
        return " ".join(self.reasons)
