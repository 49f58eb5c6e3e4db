"""Errors of the submission rules."""
from contest.errors import DomainError


class SubmissionError(DomainError):
    """An entry action breaks a rule; ``reasons`` are translated sentences for people, one per broken rule."""
