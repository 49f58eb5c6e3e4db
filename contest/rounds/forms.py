"""Round forms. Times are typed in Beijing time (the UI time zone); the services get aware UTC."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from contest.models import Aggregation, PromotionRule, Round, ScoreVisibility
from contest.organizer.forms import LOCAL_FORMATS, local_to_utc, utc_to_local

AGGREGATION_LABELS = {
    Aggregation.MEAN: _l("Mean of the judges' totals"),
    Aggregation.TRIMMED_MEAN: _l("Trimmed mean (drop the k highest and k lowest)"),
    Aggregation.MEDIAN: _l("Median"),
    Aggregation.ZSCORE: _l("Z-score per judge, rescaled to 0–100"),
}
VISIBILITY_LABELS = {
    ScoreVisibility.NEVER: _l("Never"),
    ScoreVisibility.AFTER_OWN: _l("After the judge submits their own review"),
    ScoreVisibility.AFTER_CLOSE: _l("After the round closes"),
}
PROMOTION_LABELS = {
    PromotionRule.TOP_N: _l("Top N overall"),
    PromotionRule.TOP_N_PER_CATEGORY: _l("Top N of each category"),
    PromotionRule.THRESHOLD: _l("Every entry at or above a score"),
    PromotionRule.MANUAL: _l("Picked by hand"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key.value, label) for key, label in labels.items()]


class NewRoundForm(FlaskForm):
    name = StringField(_l("Name of the new round"), validators=[DataRequired(), Length(max=50)],
                       description=_l("e.g. 复评 or 终评"))


class RoundForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    opens_at = DateTimeLocalField(_l("Judging opens (Beijing time)"), format=LOCAL_FORMATS,
                                  validators=[Optional()], description=_l("Empty: open now."))
    closes_at = DateTimeLocalField(_l("Judging closes (Beijing time)"), format=LOCAL_FORMATS,
                                   validators=[Optional()],
                                   description=_l("Empty: open until an organizer closes the round."))
    blind = BooleanField(_l("Blind judging: judges never see who made an entry"))
    aggregation = SelectField(_l("Score of an entry"), choices=_choices(AGGREGATION_LABELS))
    trim_k = IntegerField(_l("Trimmed mean: scores dropped at each end (k)"), default=1,
                          validators=[InputRequired(), NumberRange(min=1, max=10)])
    score_visibility = SelectField(_l("Judges see the other judges' scores"),
                                   choices=_choices(VISIBILITY_LABELS))
    judges_per_entry = IntegerField(_l("Judges per entry"), validators=[Optional(), NumberRange(min=1)])
    judge_cap = IntegerField(_l("Most entries per judge"), validators=[Optional(), NumberRange(min=1)],
                             description=_l("Empty: no cap."))
    by_category = BooleanField(_l("Judges only judge the categories they are given"))
    promotion_rule = SelectField(_l("Promotion into the next round"), choices=_choices(PROMOTION_LABELS))
    promotion_n = IntegerField(_l("N (top N rules)"), validators=[Optional(), NumberRange(min=1)])
    promotion_threshold = DecimalField(_l("Score needed to go on (points out of 100)"), places=3,
                                       validators=[Optional(), NumberRange(min=0, max=100)])

    @classmethod
    def for_round(cls, round_: Round) -> "RoundForm":
        form = cls(obj=round_)
        if not form.is_submitted():
            form.opens_at.data = round_.opens_at and utc_to_local(round_.opens_at)
            form.closes_at.data = round_.closes_at and utc_to_local(round_.closes_at)
        return form

    def settings(self) -> dict:
        """The typed settings for :func:`contest.services.judging.rounds.update_round`."""
        return {
            "name": self.name.data, "blind": self.blind.data, "aggregation": self.aggregation.data,
            "opens_at": self.opens_at.data and local_to_utc(self.opens_at.data),
            "closes_at": self.closes_at.data and local_to_utc(self.closes_at.data),
            "trim_k": self.trim_k.data, "score_visibility": self.score_visibility.data,
            "judges_per_entry": self.judges_per_entry.data, "judge_cap": self.judge_cap.data,
            "by_category": self.by_category.data, "promotion_rule": self.promotion_rule.data,
            "promotion_n": self.promotion_n.data, "promotion_threshold": self.promotion_threshold.data,
        }


class ReopenReviewForm(FlaskForm):
    reason = TextAreaField(_l("Why is this review reopened?"), validators=[DataRequired(), Length(max=1000)])


class ConflictForm(FlaskForm):
    """An organizer-entered conflict: the judge's username and the entry number."""

    judge = StringField(_l("Judge (username)"), validators=[DataRequired(), Length(max=80)])
    entry_number = StringField(_l("Entry number"), validators=[DataRequired(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class BlindTextForm(FlaskForm):
    """What judges of a blind round read instead of the entry's title and description (empty: the original)."""

    blind_title = StringField(_l("Title shown to blind judges"), validators=[Length(max=200)])
    blind_description = TextAreaField(_l("Description shown to blind judges"), validators=[Length(max=5000)])
