"""Helpers of the concurrency tests (PostgreSQL and SQLite): threads that act at once, each in its own app
context (hence its own session and connection), released together by a barrier."""
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from contest.models import Assignment, CriterionScore, Entry, Review, User
from tests.conftest import PASSWORD


def run_together(app, db, *, count: int, load, act) -> list:
    """In ``count`` threads, each in its own app context: ``state = load(i)``, wait until every thread has
    loaded, then ``act(state)`` and commit (rollback when it raises). Returns each thread's result, or the
    exception it raised."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def work(i: int) -> None:
        with app.app_context():
            try:
                state = load(i)
                barrier.wait()
                results[i] = act(state)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (lock wait?)"
    db.session.expire_all()
    return results


def load_assignment(db, assignment_id: int) -> Assignment:
    """The assignment with its review and scores loaded, as the judging view holds it before saving."""
    return db.session.scalar(select(Assignment).where(Assignment.id == assignment_id)
                             .options(joinedload(Assignment.review).selectinload(Review.scores)))


def counts(db) -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Review.id))),
            db.session.scalar(select(func.count(CriterionScore.id))))


def logged_in_clients(app, user, count: int) -> list:
    """``count`` test clients logged in as ``user`` (English pages): the first through the login form, the
    others with a copy of its session cookie (one password hash to check, not ``count``)."""
    clients = [app.test_client() for _ in range(count)]
    clients[0].set_cookie("lang", "en")
    response = clients[0].post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    session = clients[0].get_cookie(app.config["SESSION_COOKIE_NAME"])
    for client in clients[1:]:
        client.set_cookie("lang", "en")
        client.set_cookie(session.key, session.value)
    return clients


def post_together(clients: list, url: str, data: dict) -> list:
    """POST ``data`` to ``url`` from every client at once (one thread each); returns the responses, or the
    exception a request raised (under TESTING, what would be a 500)."""
    barrier = threading.Barrier(len(clients), timeout=30)
    responses: list = [None] * len(clients)

    def post(i: int) -> None:
        barrier.wait()
        try:
            responses[i] = clients[i].post(url, data=data)
        except Exception as exc:
            responses[i] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request is stuck (lock wait?)"
    return responses


def post_the_same_review(app, db, *, judge: User, entry: Entry, action: str, count: int) -> tuple[Review, list]:
    """``count`` requests of ``judge`` posting the same scores of ``entry`` at once (8 / 7.5 / 9 on the test
    rubric 40/30/30, total 81.500) with the button ``action`` ("save_draft" or "submit_final"). Asserts that
    no request raised (a 500) and that one review with its three scores and total is left; returns it and the
    responses sorted by status."""
    data = {f"criterion_{c.id}": p for c, p in zip(entry.contest.criteria, ["8", "7.5", "9"])}
    data.update({"comment": "双击提交", action: "1"})
    responses = post_together(logged_in_clients(app, judge, count), f"/judge/entries/{entry.id}", data)
    assert not any(isinstance(r, Exception) for r in responses), responses
    db.session.expire_all()
    review = db.session.scalar(select(Review))
    assert counts(db) == (1, 3) and str(review.total) == "81.500"
    return review, sorted(responses, key=lambda r: r.status_code)
