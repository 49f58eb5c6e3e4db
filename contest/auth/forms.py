from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FormField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from contest.models import PLATFORM_LABELS
from contest.services.accounts.profile import AccountSpec

USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Use letters, digits and _ . @ - only."))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))


class RegisterForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=80), USERNAME_RULE])
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("E-mail (optional)"), validators=[
        Optional(), Length(max=254), Email(message=_l("This is not a valid e-mail address."))])
    #: Length and the other rules: contest.services.accounts.passwords (one place, Chinese messages).
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords differ."))]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords differ."))],
    )


class PlatformAccountRow(FlaskForm):
    """One platform account row (blank rows are skipped by the service)."""

    class Meta:
        csrf = False

    platform = SelectField(_l("Platform"), choices=[
        SelectChoice(platform.value, label) for platform, label in PLATFORM_LABELS.items()])
    account_id = StringField(_l("Account (抖音号, 快手号, B站 UID …)"), validators=[Optional(), Length(max=100)])


class ProfileForm(FlaskForm):
    """Real name, phone, unit, MCN and platform accounts; rules and messages:
    :func:`contest.services.accounts.profile.update_profile`."""

    real_name = StringField(_l("Real name"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    unit = StringField(_l("Unit (单位)"), validators=[Optional(), Length(max=200)])
    mcn = StringField(_l("MCN / agency"), validators=[Optional(), Length(max=200)])
    accounts = FieldList(FormField(PlatformAccountRow), min_entries=0)

    #: Blank account rows below the filled ones.
    BLANK_ROWS = 2

    def fill_from(self, user) -> None:
        """Show ``user``'s profile (on GET)."""
        for name in ("real_name", "phone", "unit", "mcn"):
            self[name].data = getattr(user, name)
        for account in user.platform_accounts:
            self.accounts.append_entry({"platform": account.platform.value, "account_id": account.account_id})

    def add_blank_rows(self) -> None:
        for _row in range(self.BLANK_ROWS):
            self.accounts.append_entry()

    def profile(self) -> dict:
        """Keyword arguments for ``update_profile`` (besides ``user``)."""
        return {"real_name": self.real_name.data or "", "phone": self.phone.data or "",
                "unit": self.unit.data or "", "mcn": self.mcn.data or "",
                "accounts": [AccountSpec(platform=row.form.platform.data,
                                         account_id=row.form.account_id.data or "") for row in self.accounts]}


class MembershipRegisterForm(RegisterForm, ProfileForm):
    """Registration when membership needs approval: the account, the applicant's unit, accounts and a note."""

    note = TextAreaField(_l("Note for the reviewers"), validators=[Optional(), Length(max=1000)],
                         render_kw={"rows": 3})
