from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class EntryForm(FlaskForm):
    """Title, description and category of an entry; ``category`` choices come from the contest."""

    category = SelectField(_l("Category"), coerce=int, validators=[DataRequired(_l("Choose a category."))])
    title = StringField(_l("Title"),
                        validators=[DataRequired(_l("Give the entry a title.")), Length(max=200)])
    description = TextAreaField(_l("Description (optional)"), validators=[Length(max=5000)])

    def __init__(self, *args, contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(c.id, c.name) for c in contest.categories]


class UploadForm(FlaskForm):
    video = FileField(_l("Video file"), validators=[FileRequired(_l("Choose a video file."))])


class ActionForm(FlaskForm):
    """A button-only form (submit, withdraw): carries the CSRF token."""


class ReasonForm(FlaskForm):
    """Why an entry is withdrawn or disqualified; required (the rule and its message are the service's)."""

    reason = TextAreaField(_l("Reason"))
