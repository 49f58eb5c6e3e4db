"""Short-video contest platform (短视频大赛管理系统).

:func:`create_app` is the application factory; it reads configuration, binds extensions and registers
blueprints, error handlers and CLI commands. It starts no threads and touches no database: the in-process task
runner starts on the first request (see :mod:`contest.infra.tasks`).
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import lazy_gettext
from flask_login import current_user

from config import BASE_DIR, CONFIGS


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app. ``config_name`` is one of ``development`` / ``testing`` / ``production``
    (default: ``$CONTEST_CONFIG`` or ``development``); ``overrides`` win over everything (tests use them)."""
    app = Flask(
        __name__,
        instance_path=str(BASE_DIR / "instance"),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    load_config(app, config_name or os.environ.get("CONTEST_CONFIG", "development"), overrides)
    register_extensions(app)
    register_template_helpers(app)
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


def load_config(app: Flask, config_name: str, overrides: dict) -> None:
    app.config.from_object(CONFIGS[config_name])
    app.config.from_prefixed_env(prefix="CONTEST")
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_IDLE_HOURS"]))
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=float(app.config["REMEMBER_DAYS"]))
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        if config_name == "production":
            raise RuntimeError("CONTEST_SECRET_KEY must be set in production")
        app.config["SECRET_KEY"] = _instance_secret(app)


def _instance_secret(app: Flask) -> str:
    """A random key kept in ``instance/secret_key`` so that sessions survive restarts in development."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def select_locale() -> str:
    """Explicit choice (``lang`` cookie) first, then Simplified Chinese (also outside requests: CLI, tasks)."""
    choice = request.cookies.get("lang") if has_request_context() else None
    if choice in app_languages():
        return choice
    return "zh"


def app_languages() -> list[str]:
    from flask import current_app

    return current_app.config["LANGUAGES"]


def register_extensions(app: Flask) -> None:
    from contest import models  # noqa: F401  (register tables on the metadata)
    from contest.extensions import babel, csrf, db, login_manager, migrate
    from contest.infra import actor, rate_limits, sqlite, storage, tasks
    from contest.services.accounts.sessions import load_session_user

    db.init_app(app)
    sqlite.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to access this page.")
    login_manager.localize_callback = str  # the flashed text, in the language of the request
    login_manager.login_message_category = "warning"
    rate_limits.init_app(app)
    actor.init_app(app)  # who acts, from which address: the audit trail's (after ProxyFix)
    storage.init_app(app)
    register_tasks()
    tasks.init_app(app)

    # Session and remember-me cookies carry "<id>:<session version>"; a stale version loads nobody.
    login_manager.user_loader(load_session_user)

    @app.context_processor
    def inject_globals():
        from flask_babel import get_locale

        return {"current_user": current_user, "current_locale": str(get_locale())}


def register_template_helpers(app: Flask) -> None:
    """The Jinja filters of :mod:`contest.formatting` (numbers, sizes, durations, dates, percentages) and the
    state badges of :mod:`contest.labels`."""
    from contest import formatting, labels

    formatting.init_app(app)
    labels.init_app(app)


def register_tasks() -> None:
    """Import the modules whose functions are tasks (``@task``), so that every runner knows them."""
    import contest.services.exports.jobs  # noqa: F401
    import contest.services.media.actions  # noqa: F401
    import contest.services.media.jobs  # noqa: F401


def register_security(app: Flask) -> None:
    """Security headers on every response; small bodies except on upload routes (contest/security.py)."""
    from contest import security

    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from contest.audit.views import bp as audit_bp
    from contest.admin.views import bp as admin_bp
    from contest.auth.views import bp as auth_bp
    from contest.exports.views import bp as exports_bp
    from contest.judging.views import bp as judging_bp
    from contest.main.views import bp as main_bp
    from contest.organizer.views import bp as organizer_bp
    from contest.results.views import bp as results_bp
    from contest.rounds.views import bp as rounds_bp
    from contest.stats.views import bp as stats_bp
    from contest.submissions.views import bp as submissions_bp
    from contest.uploads.s3 import bp as uploads_s3_bp
    from contest.uploads.views import bp as uploads_bp
    from contest.watch.views import bp as watch_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(submissions_bp, url_prefix="/my")
    app.register_blueprint(judging_bp, url_prefix="/judge")
    app.register_blueprint(organizer_bp, url_prefix="/organizer")
    app.register_blueprint(watch_bp, url_prefix="/watch")
    app.register_blueprint(results_bp, url_prefix="/organizer")
    app.register_blueprint(rounds_bp, url_prefix="/organizer")
    app.register_blueprint(stats_bp, url_prefix="/organizer")
    app.register_blueprint(audit_bp, url_prefix="/organizer")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(exports_bp, url_prefix="/organizer")
    app.register_blueprint(uploads_bp, url_prefix="/uploads/tus")
    app.register_blueprint(uploads_s3_bp, url_prefix="/uploads/s3")


def register_errorhandlers(app: Flask) -> None:
    from contest.main.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    from contest.cli import register

    register(app)
