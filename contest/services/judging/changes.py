"""What a judging write changes beyond its rows: the judging-progress numbers kept per process
(:mod:`contest.services.judging.progress`). Writers call :func:`progress_changed`; views never do."""
from contest.infra.cache import forget_after_commit

#: Cache namespace of the kept judging progress (key: contest id).
PROGRESS = "judging.progress"


def progress_changed(contest_id: int) -> None:
    """The contest's judging progress changes with the current transaction: forget it once that commits."""
    forget_after_commit(PROGRESS, contest_id)
