"""Login, logout and creator self-registration."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from contest.auth.access import safe_next
from contest.auth.forms import LoginForm, RegisterForm
from contest.extensions import db
from contest.models import Role
from contest.services.accounts.users import AccountError, authenticate, create_user

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(username=form.username.data, password=form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(username=form.username.data, password=form.password.data, role=Role.CREATOR,
                               display_name=form.display_name.data, email=form.email.data)
        except AccountError as exc:
            form.username.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome, %(name)s!", name=user.display_name), "success")
            return redirect(url_for("submissions.index"))
    return render_template("auth/register.html", form=form)
