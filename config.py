"""Configuration classes.

Every value can be overridden from the environment with a ``CONTEST_`` prefix, e.g.
``CONTEST_DATABASE_URL=postgresql+psycopg://…`` or ``CONTEST_FFMPEG_TIMEOUT=1800``.
The override is applied by :func:`contest.create_app` (``app.config.from_prefixed_env``), never at import
time; values are parsed as JSON when they look like JSON (numbers, ``true``/``false``), else kept as text.
"""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    # --- core -----------------------------------------------------------------------------------------
    SECRET_KEY = None  # from CONTEST_SECRET_KEY; DevelopmentConfig generates one under instance/
    #: SQLAlchemy URL. Default: SQLite file under instance/.
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'contest.db'}"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # --- media ----------------------------------------------------------------------------------------
    STORAGE_BACKEND = "local"  # "local" (files under UPLOAD_ROOT)
    UPLOAD_ROOT = str(BASE_DIR / "uploads")
    #: Hard cap for any request body in bytes (per-contest limits are usually lower).
    MAX_CONTENT_LENGTH = 4 * 1024**3
    FFMPEG_BINARY = "ffmpeg"
    FFPROBE_BINARY = "ffprobe"
    #: Seconds before a probe is killed.
    PROBE_TIMEOUT = 30
    #: Seconds before a poster/transcode ffmpeg run is killed.
    FFMPEG_TIMEOUT = 1800
    #: Threads one ffmpeg encode may use.
    FFMPEG_THREADS = 2
    #: Short side of the web rendition in pixels (never upscaled).
    RENDITION_SHORT_SIDE = 1080
    #: Processing attempts before a video is marked failed for good.
    MEDIA_MAX_ATTEMPTS = 3
    #: x264 preset of the web rendition (slower presets: smaller files, more CPU time).
    FFMPEG_PRESET = "veryfast"

    # --- tasks ----------------------------------------------------------------------------------------
    #: "thread": an in-process background worker thread (default, no server needed);
    #: "eager": run immediately in the caller (tests, CLI).
    TASK_BACKEND = "thread"

    # --- i18n -----------------------------------------------------------------------------------------
    LANGUAGES = ["zh", "en"]
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # --- security -------------------------------------------------------------------------------------
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session: long uploads must not expire it


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    DATABASE_URL = "sqlite://"
    TASK_BACKEND = "eager"
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "testing-not-secret"
    FFMPEG_TIMEOUT = 300


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
