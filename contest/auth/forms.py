from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

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
