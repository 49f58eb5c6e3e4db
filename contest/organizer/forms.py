"""Organizer forms. Times are typed in the UI time zone (Asia/Shanghai); services get aware UTC."""
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import get_timezone, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from contest.auth.forms import USERNAME_RULE
from contest.models import Contest, ContestRoleName, Orientation
from contest.models.contest import CONTAINER_LABELS, VIDEO_CODEC_LABELS
from contest.services.contests import technical_rules as contest_rules
from contest.services.contests.setup import ContestError, CriterionSpec
from contest.services.contests.technical_rules import TechnicalRules

MIB = 1024 * 1024
#: Formats of <input type="datetime-local">; the first one is used to render.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
#: Empty rubric rows offered below the existing criteria on a new form; a form that comes back after a save
#: offers at least one (more rows: the "Add a criterion" button, or save and come back).
BLANK_ROWS = 3


def local_to_utc(value: datetime) -> datetime:
    """A naive wall-clock time in the UI time zone (Asia/Shanghai) → aware UTC."""
    return value.replace(tzinfo=ZoneInfo(str(get_timezone()))).astimezone(timezone.utc)


def utc_to_local(value: datetime) -> datetime:
    """An aware datetime → naive wall-clock time in the UI time zone, for a datetime-local input."""
    return to_user_timezone(value).replace(tzinfo=None)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _resolution(form, field) -> None:
    """Validator: the field reads as a resolution (see :func:`contest_rules.parse_resolution`)."""
    try:
        contest_rules.parse_resolution(field.data)
    except ValueError:
        message = _l("Write the resolution as width×height, e.g. 1080×1920, or as 1080p.")
        raise ValidationError(message) from None


def _decimal(value: float | None) -> Decimal | None:
    """A stored frame rate for a form field: 25.0 → 25, 29.97 → 29.97."""
    return None if value is None else Decimal(f"{value:g}")


class CriterionRow(FlaskForm):
    """One rubric row. A row without a name is ignored (clearing the name removes the criterion).
    A FlaskForm (without its own CSRF token) so that WTForms' built-in messages are translated too."""

    class Meta:
        csrf = False

    criterion_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    name = StringField(_l("Criterion"), validators=[Optional(), Length(max=100)])
    description = StringField(_l("What judges look for"), validators=[Optional(), Length(max=500)])
    max_points = IntegerField(_l("Max points"), default=10,
                              validators=[Optional(), NumberRange(min=1, max=1000)])
    weight = IntegerField(_l("Weight (%)"), validators=[Optional(), NumberRange(min=1, max=100)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_filled:
            for field in (self.max_points, self.weight):
                if field.data is None and not field.errors:
                    field.errors.append(_l("Needed for a named criterion."))
                    valid = False
        return valid

    @property
    def is_filled(self) -> bool:
        return bool((self.name.data or "").strip())

    def spec(self) -> CriterionSpec:
        return CriterionSpec(name=self.name.data.strip(), description=self.description.data or "",
                             max_points=self.max_points.data, weight=self.weight.data,
                             id=self.criterion_id.data)


class ContestForm(FlaskForm):
    code = StringField(_l("Code"),
                       description=_l("Letters and digits, e.g. XH2026; entry numbers start with it."),
                       validators=[DataRequired(), Length(min=2, max=20),
                                   Regexp(r"^[A-Za-z0-9]+$", message=_l("Use letters and digits only."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=200)])
    rules = TextAreaField(_l("Rules"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 6})
    opens_at = DateTimeLocalField(_l("Submissions open (Beijing time)"), format=LOCAL_FORMATS,
                                  validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Submissions close (Beijing time)"), format=LOCAL_FORMATS,
                                   validators=[InputRequired()])
    max_file_mb = IntegerField(_l("Largest file (MB)"), default=500,
                               validators=[InputRequired(), NumberRange(min=1, max=4096)])
    min_duration_s = IntegerField(_l("Shortest video (seconds)"), default=1,
                                  validators=[InputRequired(), NumberRange(min=0, max=36000)])
    max_duration_s = IntegerField(_l("Longest video (seconds)"), default=300,
                                  validators=[InputRequired(), NumberRange(min=1, max=36000)])
    orientation = SelectField(_l("Orientation"), default=Orientation.ANY.value, choices=[
        SelectChoice(Orientation.ANY.value, _l("Any")),
        SelectChoice(Orientation.PORTRAIT.value, _l("Portrait (vertical)")),
        SelectChoice(Orientation.LANDSCAPE.value, _l("Landscape (horizontal)")),
        SelectChoice(Orientation.SQUARE.value, _l("Square")),
    ], description=_l("Of the picture as it is shown (phone videos turned upright)."))
    allowed_containers = MultiCheckboxField(
        _l("File formats"), choices=[SelectChoice(key, label) for key, label in CONTAINER_LABELS.items()],
        description=_l("None ticked: any video file we can read. MP4 / MOV covers phone videos."))
    allowed_video_codecs = MultiCheckboxField(
        _l("Video codecs"), choices=[SelectChoice(key, label) for key, label in VIDEO_CODEC_LABELS.items()],
        description=_l("None ticked: any. Most phones record H.264 or H.265."))
    min_resolution = StringField(
        _l("Lowest resolution"), validators=[Optional(), Length(max=20), _resolution],
        description=_l("Width×height of the picture as shown, e.g. 1080×1920 for vertical full HD (9:16) "
                       "or 1920×1080 for horizontal; 720p: a short side of at least 720 pixels, either way "
                       "round. Empty: no limit."))
    max_resolution = StringField(
        _l("Highest resolution"), validators=[Optional(), Length(max=20), _resolution],
        description=_l("e.g. 2160×3840 (4K vertical). Empty: no limit."))
    min_fps = DecimalField(_l("Lowest frame rate (fps)"), places=None, validators=[Optional()],
                           description=_l("e.g. 25. Empty: no limit."))
    max_fps = DecimalField(_l("Highest frame rate (fps)"), places=None, validators=[Optional()],
                           description=_l("e.g. 60. Empty: no limit."))
    audio_required = BooleanField(_l("Videos must have sound"))
    max_entries_per_creator = IntegerField(_l("Entries per creator"), default=3,
                                           validators=[InputRequired(), NumberRange(min=1, max=100)])
    members_only = BooleanField(_l("Only approved alliance members may submit"))
    categories = TextAreaField(_l("Categories (组别)"), description=_l("One per line."),
                               validators=[DataRequired()], render_kw={"rows": 4})
    criteria = FieldList(FormField(CriterionRow), min_entries=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: Rubric-wide messages (weights total, duplicate names …), shown above the rubric table.
        self.rubric_errors: list[str] = []

    @classmethod
    def for_contest(cls, contest: Contest) -> "ContestForm":
        """The form filled from an existing contest (times in Beijing time, size in MB)."""
        return cls(data={
            "code": contest.code, "title": contest.title, "theme": contest.theme, "rules": contest.rules,
            "opens_at": utc_to_local(contest.opens_at), "closes_at": utc_to_local(contest.closes_at),
            "max_file_mb": round(contest.max_file_bytes / MIB),
            "min_duration_s": round(contest.min_duration_s), "max_duration_s": round(contest.max_duration_s),
            "orientation": contest.orientation.value,
            "allowed_containers": contest.container_list, "allowed_video_codecs": contest.video_codec_list,
            "min_resolution": contest.min_resolution, "max_resolution": contest.max_resolution,
            "min_fps": _decimal(contest.min_fps), "max_fps": _decimal(contest.max_fps),
            "audio_required": contest.audio_required,
            "max_entries_per_creator": contest.max_entries_per_creator, "members_only": contest.members_only,
            "categories": "\n".join(category.name for category in contest.categories),
            "criteria": [{"criterion_id": c.id, "name": c.name, "description": c.description,
                          "max_points": c.max_points, "weight": c.weight} for c in contest.criteria],
        })

    def add_blank_rows(self) -> None:
        """Blank rubric rows below the criteria: :data:`BLANK_ROWS` on a new form; on a form that comes back
        after a save one more when every row is filled, so that criteria can be added without script."""
        if not self.is_submitted():
            count = BLANK_ROWS
        else:
            count = 1 if all(row.form.is_filled for row in self.criteria) else 0
        for _row in range(count):
            self.criteria.append_entry()

    @staticmethod
    def blank_row() -> CriterionRow:
        """A blank rubric row whose fields are named ``criteria-__index__-…``: the page's template for
        static/js/contest-form.js, which puts the next index in."""
        return CriterionRow(formdata=None, prefix="criteria-__index__-")

    def contest_fields(self) -> dict:
        """Keyword arguments for create_contest / update_contest."""
        return {
            "code": self.code.data, "title": self.title.data, "theme": self.theme.data or "",
            "rules": self.rules.data or "", "opens_at": local_to_utc(self.opens_at.data),
            "closes_at": local_to_utc(self.closes_at.data), "max_file_bytes": self.max_file_mb.data * MIB,
            "min_duration_s": float(self.min_duration_s.data),
            "max_duration_s": float(self.max_duration_s.data),
            "orientation": Orientation(self.orientation.data),
            "max_entries_per_creator": self.max_entries_per_creator.data,
            "members_only": bool(self.members_only.data),
            "categories": self.categories.data.splitlines(),
            "criteria": [row.form.spec() for row in self.criteria if row.form.is_filled],
            "technical": self.technical_rules(),
        }

    def technical_rules(self) -> TechnicalRules:
        """The technical requirements as typed; a field that did not parse counts as no limit."""
        def parsed(field):
            return None if field.errors else field.data

        def resolution(field) -> tuple[int | None, int | None]:
            return (None, None) if field.errors else contest_rules.parse_resolution(field.data)

        min_short, min_long = resolution(self.min_resolution)
        max_short, max_long = resolution(self.max_resolution)
        min_fps, max_fps = parsed(self.min_fps), parsed(self.max_fps)
        return TechnicalRules(
            containers=tuple(parsed(self.allowed_containers) or ()),
            video_codecs=tuple(parsed(self.allowed_video_codecs) or ()),
            min_short_px=min_short, min_long_px=min_long, max_short_px=max_short, max_long_px=max_long,
            min_fps=None if min_fps is None else float(min_fps),
            max_fps=None if max_fps is None else float(max_fps),
            audio_required=bool(self.audio_required.data),
        )

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then the service's checks of the technical requirements on whatever parsed,
        so that one save shows every problem of that group (min above max, zero …) next to its field."""
        valid = super().validate(extra_validators)
        for field, message in contest_rules.problems(self.technical_rules()):
            self._fields[field].errors.append(message)
            valid = False
        return valid

    def show_error(self, error: ContestError) -> None:
        """Put each of the service's errors next to the field it concerns."""
        for field, message in error.errors:
            name = {"max_file_bytes": "max_file_mb"}.get(field, field)
            if name in self._fields and name != "criteria":
                self._fields[name].errors.append(message)
            else:
                self.rubric_errors.append(message)


class JudgeForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=80), USERNAME_RULE])
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=80)])
    #: Length and the other rules: contest.services.accounts.passwords (one place, Chinese messages).
    password = PasswordField(_l("Password"), validators=[DataRequired()])


#: Contest role → name shown to people.
ROLE_LABELS = {
    ContestRoleName.ORGANIZER: _l("Organizer"), ContestRoleName.JUDGE: _l("Judge"),
    ContestRoleName.SUPERVISOR: _l("Supervisor (read-only)"),
}


class GrantForm(FlaskForm):
    """Grant a contest role to an existing account; the view fills ``role.choices`` with
    :meth:`role_choices` (the roles the user may grant there)."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    role = SelectField(_l("Role"), choices=[])

    @staticmethod
    def role_choices(roles: list) -> list[SelectChoice]:
        return [SelectChoice(role.value, str(ROLE_LABELS[role])) for role in roles]


class ReplacementPermitForm(FlaskForm):
    """An organizer's permission for one new video of a reviewed entry; the reason is checked by
    :func:`contest.services.judging.voiding.allow_replacement`."""

    reason = TextAreaField(_l("Reason (the judges read it)"),
                           render_kw={"required": True, "maxlength": 500, "rows": 2})


class AssignmentForm(FlaskForm):
    """The view fills ``judges.choices`` with :meth:`judge_choices`."""

    MODE_ALL, MODE_PER_ENTRY = "all", "per_entry"

    mode = RadioField(_l("How"), default=MODE_PER_ENTRY, choices=[
        SelectChoice(MODE_PER_ENTRY, _l("A number of judges per entry, spread evenly")),
        SelectChoice(MODE_ALL, _l("Every chosen judge reviews every submitted entry")),
    ])
    per_entry = IntegerField(_l("Judges per entry"), default=3,
                             validators=[Optional(), NumberRange(min=1, max=100)])
    judges = MultiCheckboxField(_l("Judges"), coerce=int,
                                validators=[DataRequired(message=_l("Choose at least one judge."))])

    def validate_per_entry(self, field) -> None:
        if self.mode.data == self.MODE_PER_ENTRY and field.data is None:
            raise ValidationError(_l("Say how many judges each entry gets."))

    @staticmethod
    def judge_choices(judges: list) -> list[SelectChoice]:
        return [SelectChoice(str(judge.id), judge.display_name) for judge in judges]


class DeclarationsForm(FlaskForm):
    """The texts of a contest's declarations, one field per :class:`~contest.models.DeclarationKey`."""

    originality = TextAreaField(_l("Originality pledge"))
    rights = TextAreaField(_l("Portrait and music rights"))
    aigc = TextAreaField(_l("AIGC declaration"))

    def texts(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ("originality", "rights", "aigc")}


class ExtensionForm(FlaskForm):
    """A later deadline for one creator: the new deadline (typed in Beijing time) and the reason."""

    closes_at = DateTimeLocalField(_l("New deadline (Beijing time)"), format=LOCAL_FORMATS,
                                   validators=[InputRequired(_l("Enter the new deadline."))])
    reason = TextAreaField(_l("Reason"))

    def closes_at_utc(self) -> datetime:
        return local_to_utc(self.closes_at.data)
