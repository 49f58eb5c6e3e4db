from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional


class MembershipDecisionForm(FlaskForm):
    """Approve or refuse an application; the reason (required to refuse) is checked by
    :func:`contest.services.accounts.membership.decide`."""

    reason = TextAreaField(_l("Reason (the applicant reads it)"), validators=[Optional(), Length(max=1000)],
                           render_kw={"rows": 2, "maxlength": 1000})
    approve = SubmitField(_l("Approve"))
    refuse = SubmitField(_l("Refuse"))
