"""The review form, built at runtime from a contest's rubric: one score field per criterion."""
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from contest.models import Criterion, Review
from contest.services.judging.reviews import ReviewError


class ReviewFormBase(FlaskForm):
    """Fields every review form has; :func:`review_form` adds one ``criterion_<id>`` field per criterion.
    Range and decimals are checked by :func:`contest.services.judging.reviews.save_review` (the one place for the
    rule); the form only parses numbers."""

    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=5000)])
    save_draft = SubmitField(_l("Save draft"))
    submit_final = SubmitField(_l("Submit final scores"))

    criteria: list[Criterion] = []

    def score_fields(self):
        """(criterion, field) pairs in rubric order."""
        return [(c, self[_field_name(c)]) for c in self.criteria]

    def scores(self) -> dict[int, Decimal | None]:
        """Criterion id → points as typed (None when left empty)."""
        return {c.id: f.data for c, f in self.score_fields()}

    def add_review_error(self, error: ReviewError) -> None:
        """Show the service's messages next to the fields they concern (or above the form)."""
        if not error.criterion_errors:
            self.form_errors.append(str(error))
        for criterion, f in self.score_fields():
            if criterion.id in error.criterion_errors:
                f.errors = [*f.errors, error.criterion_errors[criterion.id]]


def review_form(criteria: list[Criterion], review: Review | None) -> ReviewFormBase:
    """A form for ``criteria`` (rubric order), pre-filled from ``review`` when the request sends no data."""

    class ReviewForm(ReviewFormBase):
        pass

    ReviewForm.criteria = list(criteria)
    for criterion in criteria:
        setattr(ReviewForm, _field_name(criterion), _score_field(criterion))
    initial = {"comment": review.comment if review else ""}
    for score in review.scores if review else []:
        initial[f"criterion_{score.criterion_id}"] = _plain(score.points)
    return ReviewForm(data=initial)


def _field_name(criterion: Criterion) -> str:
    return f"criterion_{criterion.id}"


def _score_field(criterion: Criterion) -> DecimalField:
    label = _("%(name)s · weight %(weight)s%% · 0–%(max)s points",
              name=criterion.name, weight=criterion.weight, max=criterion.max_points)
    return DecimalField(
        label, places=None, validators=[Optional()], description=criterion.description,
        invalid_value_message=_("Enter a number such as 7 or 7.5."),
        render_kw={"min": 0, "max": criterion.max_points, "step": "0.5", "inputmode": "decimal",
                   "data-weight": criterion.weight, "data-max": criterion.max_points},
    )


def _plain(points: Decimal) -> Decimal:
    """8.00 → 8, 7.50 → 7.5 (never 1E+1)."""
    return points.quantize(Decimal(1)) if points == points.to_integral_value() else points.normalize()


class RecusalForm(FlaskForm):
    """回避: why the judge steps aside from an entry."""

    reason = TextAreaField(_l("Why do you step aside? (e.g. same unit as the creator, a relative)"),
                           validators=[DataRequired(), Length(max=1000)])
