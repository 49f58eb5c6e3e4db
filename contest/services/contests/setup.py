"""Contests: set-up rules (window, limits, categories, rubric). Flushes, never commits. Read helpers are in
:mod:`contest.services.contests.queries`.

Writers raise :class:`ContestError` *before* they would break a rule; the caller rolls back on error so that a
half-applied change is never committed.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from contest.errors import DomainError
from contest.extensions import db
from contest.models import (
    Assignment,
    AuditAction,
    Category,
    Contest,
    Criterion,
    CriterionScore,
    Entry,
    Orientation,
    Review,
    ReviewState,
)
from contest.services.audit.contests import contest_settings, record_contest_changes, rubric_lines
from contest.services.audit.record import record
from contest.services.contests import technical_rules as contest_rules
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.judging.reviews import update_review_total

#: Contest codes prefix entry numbers (``XH2026-0001``): ASCII letters and digits only.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{2,20}$")


class ContestError(DomainError):
    """A contest set-up change breaks a rule; the message is for people. ``field`` names the offending
    input (``code``, ``closes_at``, ``max_duration_s``, ``categories``, ``criteria`` …) so that a form can
    show the message there. ``errors`` holds every ``(field, message)`` found at once (the first is
    ``field``/the message), so that a form can show all its problems after one save."""

    def __init__(self, message: str, *, field: str | None = None,
                 errors: list[tuple[str | None, str]] | None = None):
        self.errors = errors or [(field, message)]
        self.field, message = self.errors[0]
        super().__init__([text for _field, text in self.errors])


def _all_of(*checks) -> None:
    """Run every zero-argument check; raise one :class:`ContestError` carrying the errors of all of them."""
    errors: list[tuple[str | None, str]] = []
    for check in checks:
        try:
            check()
        except ContestError as exc:
            errors.extend(exc.errors)
    if errors:
        raise ContestError(errors[0][1], errors=errors)


@dataclass(frozen=True)
class CriterionSpec:
    """One wanted rubric line. ``id`` is that of an existing criterion being kept (renamed, re-weighted), or
    None for a new one. ``max_points`` in points (≥ 1), ``weight`` in whole percent (1..100)."""

    name: str
    max_points: int
    weight: int
    description: str = ""
    id: int | None = None


def create_contest(*, code: str, title: str, opens_at: datetime, closes_at: datetime, categories: list[str],
                   criteria: list[CriterionSpec], theme: str = "", rules: str = "",
                   max_file_bytes: int = 500 * 1024 * 1024, min_duration_s: float = 1.0,
                   max_duration_s: float = 300.0, orientation: Orientation = Orientation.ANY,
                   max_entries_per_creator: int = 3, technical: TechnicalRules | None = None,
                   members_only: bool = False) -> Contest:
    """Create a contest with its categories and rubric; ``members_only``: only approved alliance members may
    submit entries (:func:`contest.services.contests.roles.entry_refusal`).

    ``opens_at``/``closes_at`` are aware datetimes (any zone; stored as UTC), ``max_file_bytes`` in bytes,
    durations in seconds; ``technical``: formats, codecs, resolution, frame rate and sound required of the
    videos (None: no such limits; see :mod:`contest.services.contests.technical_rules`). Raises :class:`ContestError`
    on a taken or malformed code, a window that does not close after it opens, bad limits, or a category or
    rubric rule (see :func:`set_categories` and :func:`set_rubric`).
    """
    fields = dict(title=title, opens_at=opens_at, closes_at=closes_at, max_file_bytes=max_file_bytes,
                  min_duration_s=min_duration_s, max_duration_s=max_duration_s,
                  max_entries_per_creator=max_entries_per_creator)
    technical = technical or TechnicalRules()
    _all_of(lambda: _check_code(code, contest=None), lambda: _check_fields(**fields),
            lambda: _check_technical(technical),
            lambda: _check_category_names(categories), lambda: _check_rubric_shape(criteria))
    contest = Contest(code=_check_code(code, contest=None), members_only=members_only)
    _apply_fields(contest, title=title, theme=theme, rules=rules, opens_at=opens_at, closes_at=closes_at,
                  max_file_bytes=max_file_bytes, min_duration_s=min_duration_s, max_duration_s=max_duration_s,
                  orientation=orientation, max_entries_per_creator=max_entries_per_creator)
    contest_rules.apply_rules(contest, technical)
    db.session.add(contest)
    db.session.flush()
    set_categories(contest=contest, names=categories)
    set_rubric(contest=contest, criteria=criteria)
    record(AuditAction.CONTEST_CREATED, contest_id=contest.id,
           after={"code": contest.code, "title": contest.title})
    return contest


def update_contest(*, contest: Contest, code: str, title: str, opens_at: datetime, closes_at: datetime,
                   theme: str, rules: str, max_file_bytes: int, min_duration_s: float, max_duration_s: float,
                   orientation: Orientation, max_entries_per_creator: int,
                   categories: list[str] | None = None, criteria: list[CriterionSpec] | None = None,
                   technical: TechnicalRules | None = None, members_only: bool | None = None) -> Contest:
    """Change a contest; ``categories``/``criteria``/``technical``/``members_only`` None leave those alone. Same
    units and rules as :func:`create_contest`; in addition the code cannot change once the contest has entries
    (their numbers carry it). New technical rules apply to uploads from now on; videos already accepted are not
    checked again. Raises :class:`ContestError`."""
    fields = dict(title=title, opens_at=opens_at, closes_at=closes_at, max_file_bytes=max_file_bytes,
                  min_duration_s=min_duration_s, max_duration_s=max_duration_s,
                  max_entries_per_creator=max_entries_per_creator)
    _all_of(lambda: _check_new_code(code, contest=contest), lambda: _check_fields(**fields),
            lambda: technical is None or _check_technical(technical),
            lambda: categories is None or _check_category_names(categories),
            lambda: criteria is None or _check_rubric_shape(criteria))
    code = _check_code(code, contest=contest)
    settings, rubric = contest_settings(contest), rubric_lines(contest)
    _apply_fields(contest, title=title, theme=theme, rules=rules, opens_at=opens_at, closes_at=closes_at,
                  max_file_bytes=max_file_bytes, min_duration_s=min_duration_s, max_duration_s=max_duration_s,
                  orientation=orientation, max_entries_per_creator=max_entries_per_creator)
    if technical is not None:
        contest_rules.apply_rules(contest, technical)
    if members_only is not None:
        contest.members_only = members_only
    contest.code = code
    db.session.flush()
    if categories is not None:
        set_categories(contest=contest, names=categories)
    if criteria is not None:
        set_rubric(contest=contest, criteria=criteria)
    record_contest_changes(contest, settings=settings, rubric=rubric)
    return contest


def set_categories(*, contest: Contest, names: list[str]) -> list[Category]:
    """Make the contest's categories (组别) exactly ``names``, in that order (blank names are skipped).

    Existing categories are matched by name and kept; new names are added; a category that is no longer
    listed is removed. Raises :class:`ContestError` when no name is left, a name repeats or is longer than 100
    characters, or a category to be removed (or renamed, which is the same thing) already has entries.
    """
    names = _check_category_names(names)
    existing = {category.name: category for category in contest.categories}
    gone = [category for name, category in existing.items() if name not in names]
    used = _categories_with_entries([category.id for category in gone])
    for category in gone:
        if category.id in used:
            raise ContestError(_("The category %(name)s already has entries; it cannot be renamed or "
                                 "removed.", name=category.name), field="categories")
    contest.categories = [existing.get(name) or Category(name=name) for name in names]
    for position, category in enumerate(contest.categories):
        category.position = position
    db.session.flush()
    return contest.categories


def set_rubric(*, contest: Contest, criteria: list[CriterionSpec]) -> list[Criterion]:
    """Make the contest's rubric exactly ``criteria``, in that order.

    Rules: at least one criterion; names non-empty, at most 100 characters and unique (ignoring case);
    ``max_points`` ≥ 1; each ``weight`` 1..100 and the weights add up to exactly 100 (whole percent, the
    weighted total is out of 100 points). Criteria that already have scores cannot be removed, nor get a
    ``max_points`` below the highest score given; once a review is submitted no criterion can be added (its
    total would miss it). Changing weights or maxima re-derives every review total of the contest through
    :func:`contest.services.judging.reviews.update_review_total`. Raises :class:`ContestError` (``field="criteria"``).
    """
    _check_rubric_shape(criteria)
    existing = {criterion.id: criterion for criterion in contest.criteria}
    wanted_ids = [spec.id for spec in criteria if spec.id is not None]
    unknown = set(wanted_ids) - set(existing)
    if unknown or len(wanted_ids) != len(set(wanted_ids)):
        raise ContestError(_("The rubric form is out of date; reload the page and try again."),
                           field="criteria")
    removed = [criterion for criterion_id, criterion in existing.items() if criterion_id not in wanted_ids]
    _check_scored(contest, criteria, existing, removed=removed)

    changed = _write_rubric(contest, criteria, existing)
    if changed:
        _refresh_review_totals(contest)
    return contest.criteria


# --- helpers ------------------------------------------------------------------------------------------


def _check_code(code: str, *, contest: Contest | None) -> str:
    code = (code or "").strip().upper()
    if not CODE_PATTERN.match(code):
        raise ContestError(_("The code needs 2 to 20 letters or digits, e.g. XH2026."), field="code")
    query = select(Contest.id).where(func.upper(Contest.code) == code)
    if contest is not None:
        query = query.where(Contest.id != contest.id)
    if db.session.scalar(query) is not None:
        raise ContestError(_("The code %(code)s is already used by another contest.", code=code),
                           field="code")
    return code


def _check_new_code(code: str, *, contest: Contest) -> None:
    code = _check_code(code, contest=contest)
    if code != contest.code and _has_entries(contest):
        raise ContestError(_("The code cannot change: entries are already numbered with %(code)s.",
                             code=contest.code), field="code")


def _check_category_names(names: list[str]) -> list[str]:
    """The stripped non-blank names; ContestError when none is left, one repeats or is over 100 characters."""
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise ContestError(_("Give at least one category."), field="categories")
    _check_unique(names, field="categories")
    for name in names:
        if len(name) > 100:
            raise ContestError(_("The category name %(name)s is longer than 100 characters.", name=name),
                               field="categories")
    return names


def _check_fields(*, title, opens_at, closes_at, max_file_bytes, min_duration_s, max_duration_s,
                  max_entries_per_creator) -> None:
    """Check every plain field; one ContestError lists all that are wrong."""
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise ValueError("opens_at/closes_at must be timezone-aware")
    rules = [
        (not (title or "").strip(), "title", _("Give the contest a title.")),
        (closes_at <= opens_at, "closes_at", _("Submissions must close after they open.")),
        (max_file_bytes <= 0, "max_file_bytes", _("The largest file size must be above zero.")),
        (min_duration_s < 0, "min_duration_s", _("The shortest duration cannot be negative.")),
        (max_duration_s <= min_duration_s, "max_duration_s",
         _("The longest duration must be above the shortest (%(min)s s).", min=min_duration_s)),
        (max_entries_per_creator < 1, "max_entries_per_creator", _("Allow at least one entry per creator.")),
    ]
    errors = [(field, message) for broken, field, message in rules if broken]
    if errors:
        raise ContestError(errors[0][1], errors=errors)


def _check_technical(technical: TechnicalRules) -> None:
    """One ContestError listing every broken technical rule (see :func:`contest_rules.problems`)."""
    errors = contest_rules.problems(technical)
    if errors:
        raise ContestError(errors[0][1], errors=errors)


def _apply_fields(contest: Contest, *, title, theme, rules, opens_at, closes_at, max_file_bytes,
                  min_duration_s, max_duration_s, orientation, max_entries_per_creator) -> None:
    """Check every plain field first, then set them all (nothing is set when one is wrong)."""
    _check_fields(title=title, opens_at=opens_at, closes_at=closes_at, max_file_bytes=max_file_bytes,
                  min_duration_s=min_duration_s, max_duration_s=max_duration_s,
                  max_entries_per_creator=max_entries_per_creator)
    title = title.strip()
    contest.title, contest.theme, contest.rules = title, (theme or "").strip(), rules or ""
    contest.opens_at, contest.closes_at = opens_at, closes_at
    contest.max_file_bytes, contest.orientation = max_file_bytes, Orientation(orientation)
    contest.min_duration_s, contest.max_duration_s = float(min_duration_s), float(max_duration_s)
    contest.max_entries_per_creator = max_entries_per_creator


def _has_entries(contest: Contest) -> bool:
    return db.session.scalar(select(Entry.id).where(Entry.contest_id == contest.id).limit(1)) is not None


def _categories_with_entries(category_ids: list[int]) -> set[int]:
    if not category_ids:
        return set()
    return set(db.session.scalars(
        select(Entry.category_id).where(Entry.category_id.in_(category_ids)).distinct()
    ))


def _check_unique(names: list[str], *, field: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name.casefold() in seen:
            raise ContestError(_("%(name)s is listed twice.", name=name), field=field)
        seen.add(name.casefold())


def _check_rubric_shape(criteria: list[CriterionSpec]) -> None:
    if not criteria:
        raise ContestError(_("Add at least one criterion to the rubric."), field="criteria")
    for spec in criteria:
        if not spec.name.strip():
            raise ContestError(_("Every criterion needs a name."), field="criteria")
        if len(spec.name.strip()) > 100:
            raise ContestError(_("The criterion name %(name)s is longer than 100 characters.",
                                 name=spec.name), field="criteria")
        if spec.max_points < 1:
            raise ContestError(_("%(name)s: the highest score must be at least 1 point.", name=spec.name),
                               field="criteria")
        if not 1 <= spec.weight <= 100:
            raise ContestError(_("%(name)s: the weight must be between 1 and 100%%.", name=spec.name),
                               field="criteria")
    _check_unique([spec.name.strip() for spec in criteria], field="criteria")
    total = sum(spec.weight for spec in criteria)
    if total != 100:
        raise ContestError(_("The weights add up to %(total)s%%; they must add up to exactly 100%%.",
                             total=total), field="criteria")


def _check_scored(contest: Contest, criteria: list[CriterionSpec], existing: dict[int, Criterion],
                  removed: list[Criterion]) -> None:
    """Refuse changes that would orphan or invalidate scores already given."""
    highest = dict(db.session.execute(
        select(CriterionScore.criterion_id, func.max(CriterionScore.points))
        .where(CriterionScore.criterion_id.in_(list(existing))).group_by(CriterionScore.criterion_id)
    ).all()) if existing else {}
    for criterion in removed:
        if criterion.id in highest:
            raise ContestError(_("The criterion %(name)s already has scores; it cannot be removed.",
                                 name=criterion.name), field="criteria")
    for spec in criteria:
        if spec.id in highest and spec.max_points < highest[spec.id]:
            raise ContestError(_("%(name)s: a judge already gave %(points)s points; the highest score "
                                 "cannot go below that.", name=spec.name, points=highest[spec.id]),
                               field="criteria")
    if any(spec.id is None for spec in criteria) and _has_submitted_reviews(contest):
        raise ContestError(_("Reviews are already submitted, so no criterion can be added: their totals "
                             "would miss it."), field="criteria")


def _has_submitted_reviews(contest: Contest) -> bool:
    return db.session.scalar(
        select(Review.id).join(Assignment, Review.assignment_id == Assignment.id)
        .join(Entry, Assignment.entry_id == Entry.id)
        .where(Entry.contest_id == contest.id, Review.state == ReviewState.SUBMITTED).limit(1)
    ) is not None


def _write_rubric(contest: Contest, criteria: list[CriterionSpec], existing: dict[int, Criterion]) -> bool:
    """Apply the checked specs; True if the set of criteria or a weight or maximum changed. Kept criteria get
    temporary names first so that swapping two names never trips the unique constraint."""
    before = {c.id: (c.weight, c.max_points) for c in existing.values()}
    kept_ids = {spec.id for spec in criteria if spec.id is not None}
    for criterion_id, criterion in existing.items():
        if criterion_id in kept_ids:
            criterion.name = f"~{criterion_id}~"
        else:
            contest.criteria.remove(criterion)
    db.session.flush()
    ordered = []
    for position, spec in enumerate(criteria):
        criterion = existing[spec.id] if spec.id is not None else Criterion()
        criterion.name, criterion.description = spec.name.strip(), (spec.description or "").strip()
        criterion.max_points, criterion.weight, criterion.position = spec.max_points, spec.weight, position
        ordered.append(criterion)
    contest.criteria = ordered
    db.session.flush()
    return before != {c.id: (c.weight, c.max_points) for c in contest.criteria}


def _refresh_review_totals(contest: Contest) -> None:
    """Re-derive the totals of the contest's reviews through their one writer."""
    reviews = db.session.scalars(
        select(Review).join(Assignment, Review.assignment_id == Assignment.id)
        .join(Entry, Assignment.entry_id == Entry.id).where(Entry.contest_id == contest.id)
    ).all()
    if not reviews:
        return
    for review in reviews:
        update_review_total(review)
    db.session.flush()
