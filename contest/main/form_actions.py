"""The one shape of a view that sends a form to a service: validate, call, commit and redirect — or roll back
and give the reasons back to the page, which shows them beside the user's input."""
from collections.abc import Callable

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from contest.errors import DomainError
from contest.extensions import db


def run_form_action(form: FlaskForm, action: Callable[[], object], *, success: str,
                    next_url: Callable[[], str]) -> tuple[Response | None, list[str]]:
    """When ``form`` was posted and validates, call ``action()`` (a service call that flushes). Returns
    ``(redirect, [])`` after a commit (``success`` flashed, then off to ``next_url()``), or
    ``(None, reasons)`` when the service raised a :class:`~contest.errors.DomainError` (rolled back), or
    ``(None, [])`` when the form was not posted or is invalid (WTForms' own errors are on the fields)."""
    if not form.validate_on_submit():
        return None, []
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        return None, exc.reasons
    db.session.commit()
    flash(success, "success")
    return redirect(next_url()), []
