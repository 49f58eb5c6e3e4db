"""Paging through rows already in memory (kept standings, kept progress) with the same Flask-SQLAlchemy
``Pagination`` interface the pages use for queries (``items``, ``total``, ``pages``, ``first``/``last`` …)."""
from collections.abc import Sequence

from flask_sqlalchemy.pagination import Pagination


class ListPagination(Pagination):
    """A page of a sequence; no query."""

    def _query_items(self) -> list:
        return list(self._query_args["rows"][self._query_offset:self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def page_of(rows: Sequence, *, page: int = 1, per_page: int = 50) -> Pagination:
    """Page ``page`` (1-based; below 1 counts as 1, past the end gives no items) of ``rows``."""
    return ListPagination(page=max(page, 1), per_page=per_page, max_per_page=None, error_out=False, rows=rows)
