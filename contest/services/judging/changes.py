"""What a judging write changes beyond its rows: the judging-progress numbers kept per process
(:mod:`contest.services.judging.progress`). Writers call :func:`progress_changed`; views never do."""
from contest.infra.cache import forget_after_commit

#: Cache namespace of the kept judging progress (key: contest id).
PROGRESS = "judging.progress"
#: Cache namespace of the kept standings of a contest's rounds (key: contest id;
#: :mod:`contest.services.results.standings`).
STANDINGS = "results.standings"


def progress_changed(contest_id: int) -> None:
    """The contest's judging progress and standings change with the current transaction: forget them once that
    commits."""
    forget_after_commit(PROGRESS, contest_id)
    forget_after_commit(STANDINGS, contest_id)
