"""The error the accounts domain raises (a :class:`contest.errors.DomainError`)."""
from contest.errors import DomainError


class AccountError(DomainError):
    """An account action was refused (username taken, password rules, wrong password, deactivated account);
    the reasons are for people."""


class WrongPasswordError(AccountError):
    """The current password given to confirm an action is wrong."""
