from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from contest.services.submissions.declarations import AIGC_USE_LABELS, DeclarationAnswers


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


class SubmitForm(FlaskForm):
    """The declarations accepted on submitting: one box per :class:`~contest.models.DeclarationKey` (fields
    named after the keys), the AIGC answer and the tools named. The rules are the service's; the form only
    reads."""

    originality = BooleanField(_l("I have read and accept this declaration."))
    rights = BooleanField(_l("I have read and accept this declaration."))
    aigc = BooleanField(_l("I have read and accept this declaration."))
    aigc_use = RadioField(_l("Was generative AI used to make this entry?"), validate_choice=False,
                          choices=[(use.value, label) for use, label in AIGC_USE_LABELS.items()])
    aigc_tools = StringField(_l("AI tools used"),
                             description=_l("e.g. 即梦, 可灵, Midjourney; leave empty if none"))

    def answers(self) -> DeclarationAnswers:
        ticked = {name for name in ("originality", "rights", "aigc") if self[name].data}
        return DeclarationAnswers(accepted=frozenset(ticked), aigc_use=self.aigc_use.data or None,
                                  aigc_tools=self.aigc_tools.data or "")
