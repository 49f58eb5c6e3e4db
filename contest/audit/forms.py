"""The filters of the audit trail page (a GET form: the filters live in the address, so a filtered page and its
exports can be bookmarked and shared). Dates are typed as days in the UI time zone (Asia/Shanghai)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from contest.models import AuditAction
from contest.services.audit.queries import ACTION_LABELS, AuditFilter


class AuditFilterForm(Form):
    """Entry number, judge, action and a range of days (both ends included, Beijing time)."""

    entry = StringField(_l("Entry number"), validators=[Optional(), Length(max=40)])
    judge = SelectField(_l("Judge"), coerce=int, default=0)
    action = SelectField(_l("Action"), default="")
    since = DateField(_l("From (Beijing time)"), validators=[Optional()])
    until = DateField(_l("To (Beijing time)"), validators=[Optional()])

    def __init__(self, formdata, *, judges: list[tuple[int, str]]):
        super().__init__(formdata)
        self.given = {name: formdata.get(name) for name in ("entry", "judge", "action", "since", "until")
                      if formdata.get(name) not in (None, "", "0")}
        self.judge.choices = [SelectChoice(0, _l("Every judge")),
                              *(SelectChoice(user_id, name) for user_id, name in judges)]
        self.action.choices = [SelectChoice("", _l("Every action")),
                               *(SelectChoice(action.value, ACTION_LABELS.get(action, action.value))
                                 for action in AuditAction)]

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last day cannot come before the first."))

    def filters(self, *, contest_id: int | None, entry_id: int | None) -> AuditFilter:
        """The service's filter (call after :meth:`validate`); ``entry_id``: the entry the number names."""
        return AuditFilter(contest_id=contest_id, entry_id=entry_id, subject_user_id=self.judge.data or None,
                           action=AuditAction(self.action.data) if self.action.data else None,
                           since=_day_start(self.since.data),
                           until=_day_start(self.until.data + timedelta(days=1)) if self.until.data else None)

    def query_args(self) -> dict[str, str]:
        """The filters as given (``?entry=…&since=…``), for the links of the next page and of the exports."""
        return dict(self.given)


def _day_start(day: date | None) -> datetime | None:
    """Midnight at the start of ``day`` in the UI time zone (aware)."""
    if day is None:
        return None
    return datetime.combine(day, time(), tzinfo=ZoneInfo(str(get_timezone())))
