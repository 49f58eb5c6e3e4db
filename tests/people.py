"""The kinds of account the test fixtures make (``make_user(Role.JUDGE)``), in the words tests were written in.

Accounts have no global role any more (``User.is_admin`` and per-contest :class:`contest.models.ContestRole`):
``make_user`` turns a kind into that — an organizer is a site administrator (organizer of every contest, as an
organizer was before roles per contest), a judge holds the judge grant of every contest of the test (those that
exist and those created later), a creator is a plain account."""
import enum


class Role(enum.StrEnum):
    CREATOR = "creator"
    JUDGE = "judge"
    ORGANIZER = "organizer"
