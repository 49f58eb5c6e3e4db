"""Login, logout, creator self-registration and changing one's password."""
import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from contest.auth import rate_limits
from contest.auth.access import safe_next
from contest.auth.forms import ChangePasswordForm, LoginForm, MembershipRegisterForm, ProfileForm, RegisterForm
from contest.extensions import db
from contest.infra.rate_limits import mark_failed_attempt
from contest.main.form_actions import run_form_action
from contest.models import Membership, User
from contest.services.accounts.errors import AccountError, WrongPasswordError
from contest.services.accounts.passwords import PasswordPolicyError
from contest.services.accounts.profile import ProfileError, update_profile
from contest.services.accounts.sessions import end_all_sessions
from contest.services.accounts.users import authenticate, change_password, create_user

bp = Blueprint("auth", __name__)
log = logging.getLogger("contest.auth")


@bp.route("/login", methods=["GET", "POST"])
@rate_limits.login_per_account
@rate_limits.login_per_address
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(username=form.username.data, password=form.password.data)
        except AccountError as exc:
            flash(exc.message, "danger")
            return render_template("auth/login.html", form=form), exc.status
        if user is not None:
            db.session.commit()  # a hash upgraded to the current argon2 parameters
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        mark_failed_attempt()
        log.warning("failed log-in for username %r from %s", form.username.data, request.remote_addr)
        flash(_("Wrong username or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out here and everywhere else: every session and remember-me cookie of the user ends."""
    end_all_sessions(user=current_user._get_current_object())
    db.session.commit()
    logout_user()
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@rate_limits.registration
def register():
    """Open registration; with ``MEMBERSHIP_APPROVAL`` an application (unit, platform accounts, a note) whose
    account is pending until a site administrator decides."""
    approval = current_app.config["MEMBERSHIP_APPROVAL"]
    form = MembershipRegisterForm() if approval else RegisterForm()
    profile_errors: list[str] = []
    if form.validate_on_submit():
        try:
            user = create_user(username=form.username.data, password=form.password.data,
                               display_name=form.display_name.data, email=form.email.data,
                               membership=Membership.PENDING if approval else Membership.APPROVED)
            if approval:
                update_profile(user=user, **form.profile())
                user.membership_note = (form.note.data or "").strip()
        except ProfileError as exc:
            db.session.rollback()
            profile_errors = exc.reasons
        except AccountError as exc:
            db.session.rollback()
            field = form.password if isinstance(exc, PasswordPolicyError) else form.username
            field.errors.extend(exc.reasons)
        else:
            db.session.commit()
            start_session(user)
            if approval:
                flash(_("Your application has been sent. You will see the decision on your profile page."),
                      "success")
                return redirect(url_for(".profile"))
            flash(_("Welcome, %(name)s!", name=user.display_name), "success")
            return redirect(url_for("submissions.index"))
    if approval and not form.is_submitted():
        form.add_blank_rows()
    return render_template("auth/register.html", form=form, approval=approval, profile_errors=profile_errors)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """One's own profile (real name, phone, unit, MCN, platform accounts) and membership state."""
    me = current_user._get_current_object()
    form = ProfileForm()
    done, errors = run_form_action(form, lambda: update_profile(user=me, **form.profile()),
                                   success=_("Your profile has been saved."),
                                   next_url=lambda: url_for(".profile"))
    if done:
        return done
    if not form.is_submitted():
        form.fill_from(me)
        form.add_blank_rows()
    return render_template("auth/profile.html", form=form, profile_errors=errors, user=me)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@rate_limits.password_change
def password():
    """Change one's own password (the current one required): every other session ends, this one goes on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            change_password(user=me, current_password=form.current_password.data,
                            new_password=form.password.data)
        except WrongPasswordError as exc:
            mark_failed_attempt()
            form.current_password.errors.extend(exc.reasons)
        except AccountError as exc:
            form.password.errors.extend(exc.reasons)
        else:
            db.session.commit()
            had_cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
            start_session(me, remember=bool(had_cookie))
            flash(_("Your password was changed. Other devices were signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


def start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in for this browser: a session that ends after ``SESSION_IDLE_HOURS`` without a request,
    and with ``remember`` a cookie for ``REMEMBER_DAYS``; both carry the user's current session version."""
    session.permanent = True
    login_user(user, remember=remember)
