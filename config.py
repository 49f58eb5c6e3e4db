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
    #: Seconds a SQLite writer waits for the database's write lock before "database is locked"
    #: (contest/infra/sqlite.py; SQLite only).
    SQLITE_BUSY_TIMEOUT_S = 30

    # --- media ----------------------------------------------------------------------------------------
    STORAGE_BACKEND = "local"  # "local" (files under UPLOAD_ROOT)
    UPLOAD_ROOT = str(BASE_DIR / "uploads")
    #: Hard cap on the body of an upload route in bytes (per-contest limits are usually lower); every other
    #: route accepts at most MAX_FORM_BYTES (see contest/security.py).
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
    #: Wait before the next attempt after one failed for a server-side reason (ffmpeg missing, disk full,
    #: storage down), seconds: MEDIA_RETRY_BASE_S × 2^(attempt − 1), at most MEDIA_RETRY_MAX_S.
    MEDIA_RETRY_BASE_S = 60
    MEDIA_RETRY_MAX_S = 3600
    #: x264 preset of the web rendition (slower presets: smaller files, more CPU time).
    FFMPEG_PRESET = "veryfast"
    #: Niceness of every ffprobe/ffmpeg run (0-19; 0 leaves the priority alone): the web pages stay quick
    #: while videos are converted on the same machine.
    FFMPEG_NICE = 10
    #: Highest frame rate of a rendition (fps). Faster originals (120/240 fps slow motion) are converted to
    #: it; slower and variable-frame-rate ones keep their own timing.
    RENDITION_MAX_FPS = 60
    #: Largest picture accepted, checked from the headers before decoding: pixels per frame and pixels on
    #: the long side (default: 8K, both 7680x4320 and 8192x4320, is accepted and scaled down).
    MEDIA_MAX_PIXELS = 8192 * 4320
    MEDIA_MAX_SIDE = 8192
    #: Most streams (video, audio, subtitle, data) an accepted file may have.
    MEDIA_MAX_STREAMS = 32
    #: The small preview copy (小样): at most this many bytes, short side (px, never upscaled), frame rate.
    PREVIEW_MAX_BYTES = 5 * 1024**2
    PREVIEW_SHORT_SIDE = 480
    PREVIEW_MAX_FPS = 30

    # --- tasks ----------------------------------------------------------------------------------------
    #: "thread": an in-process background worker thread (default, no server needed);
    #: "eager": run immediately in the caller (tests, CLI);
    #: "celery": a Redis broker and `celery -A contest.worker worker` processes (production).
    TASK_BACKEND = "thread"
    #: Celery broker (Redis). No result backend: tasks record their state on their rows.
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    #: Queue the web app publishes to and workers consume.
    CELERY_QUEUE = "contest"
    #: Soft / hard time limit of one task in seconds; None: derived from FFMPEG_TIMEOUT and PROBE_TIMEOUT plus
    #: CELERY_TIME_LIMIT_MARGIN (see contest.infra.tasks.time_limits).
    CELERY_SOFT_TIME_LIMIT = None
    CELERY_TIME_LIMIT = None
    CELERY_TIME_LIMIT_MARGIN = 120
    #: Retries after a transient error (database, storage connection, disk, soft time limit), each after a
    #: random wait of up to CELERY_RETRY_BACKOFF × 2^n whole seconds, capped at CELERY_RETRY_BACKOFF_MAX.
    #: The thread runner retries errors a task lets escape by the same numbers (waiting the whole time).
    CELERY_MAX_RETRIES = 5
    CELERY_RETRY_BACKOFF = 5
    CELERY_RETRY_BACKOFF_MAX = 600
    #: Kombu Redis transport options over the defaults, e.g. {"visibility_timeout": 7200} (seconds before an
    #: unacknowledged message is handed out again; default: hard time limit + CELERY_RETRY_BACKOFF_MAX).
    CELERY_BROKER_TRANSPORT_OPTIONS = {}

    # --- i18n -----------------------------------------------------------------------------------------
    LANGUAGES = ["zh", "en"]
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # --- security: sessions and passwords (contest/services/accounts/) ----------------------------------
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Hours a log-in without "remember me" lasts without a request (the signed cookie is renewed on each
    #: request and refused by the server once older): PERMANENT_SESSION_LIFETIME, set by create_app.
    SESSION_IDLE_HOURS = 12
    #: Days a "remember me" cookie lasts from the log-in (REMEMBER_COOKIE_DURATION, set by create_app).
    #: Log-out, a password change, deactivation and "sign out everywhere" end it earlier.
    REMEMBER_DAYS = 30
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session: long uploads must not expire it
    #: argon2id cost: KiB of memory, passes, lanes. Default: OWASP Password Storage Cheat Sheet's minimum
    #: "m=19456 (19 MiB), t=2, p=1". Hashes made with other values are replaced at the next log-in.
    ARGON2_MEMORY_KIB = 19456
    ARGON2_TIME_COST = 2
    ARGON2_PARALLELISM = 1

    # --- rate limits (Flask-Limiter; limit strings like "10 per 15 minutes", "60/minute") --------------------
    RATELIMIT_ENABLED = True
    #: Where the counts live: "memory://" (one process: development, the embedded default) or
    #: "redis://host:6379/1". None: memory, except in production, where the Redis of CELERY_BROKER_URL is used
    #: (every web process must share the counts).
    RATELIMIT_STORAGE_URI = None
    #: "moving-window": a limit of N per T counts the requests of the last T exactly.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "contest"
    #: Failed log-ins per username (case-insensitive) and per client address. Only failures count; after the
    #: limit every log-in of that name/address is refused (429) until the oldest failure leaves the window.
    RATELIMIT_LOGIN_ACCOUNT = "10 per 15 minutes"
    RATELIMIT_LOGIN_ADDRESS = "50 per 15 minutes"
    #: Registration forms sent per client address.
    RATELIMIT_REGISTER = "20 per hour"
    #: Wrong current passwords on the change-password page, per user.
    RATELIMIT_PASSWORD_CHANGE = "5 per 15 minutes"
    #: Play reports per client address (the player sends one per page load).
    RATELIMIT_PLAYS = "60 per minute"
    #: Uploads started per creator: tus creation, S3 multipart start and form uploads together.
    RATELIMIT_UPLOADS = "30 per hour"
    #: Reverse proxies in front of the app that append to X-Forwarded-For (nginx: 1). Client addresses (rate
    #: limits, the log of failed log-ins) are read from that header only when this is above 0; with 0 behind a
    #: proxy every client would share the proxy's address.
    PROXY_COUNT = 0
    #: Largest request body of any route that is not an upload, bytes: refused with 413 before it is read
    #: (the contest form with long rules and a rubric form with a long comment stay far below).
    MAX_FORM_BYTES = 1024**2
    #: Sources added to the Content-Security-Policy of contest/security.py, per directive, e.g.
    #: {"img-src": ["https://cdn.example.com"], "media-src": ["https://cdn.example.com"]}. The bucket's
    #: origin is added by itself with S3 storage.
    CSP_EXTRA_SOURCES = {}
    #: Referrer-Policy: other sites see our origin only, never a page's path (keeps a bucket's referer
    #: whitelist, 防盗链, working).
    REFERRER_POLICY = "strict-origin-when-cross-origin"
    #: Permissions-Policy: browser features no page of the site uses.
    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    #: Strict-Transport-Security max-age in seconds; 0 sends no header (the production config sets a year).
    HSTS_MAX_AGE = 0

    # --- S3 storage (STORAGE_BACKEND = "s3"; see contest/services/storage_s3.py) ------------------------
    #: S3-compatible endpoint, e.g. "http://127.0.0.1:9000" (MinIO), "https://oss-cn-hangzhou.aliyuncs.com"
    #: (Aliyun OSS), "https://cos.ap-guangzhou.myqcloud.com" (Tencent COS). None: AWS S3.
    S3_ENDPOINT_URL = None
    #: Endpoint written into presigned URLs that players and browsers fetch, when it differs from the one the
    #: server uses (e.g. an OSS "-internal" endpoint for the server). None: S3_ENDPOINT_URL.
    S3_PUBLIC_ENDPOINT_URL = None
    S3_BUCKET = None
    #: Region name, e.g. "cn-north-1", "ap-guangzhou"; None: boto3's default (AWS_DEFAULT_REGION, ~/.aws).
    S3_REGION = None
    #: Access key pair; None: boto3's default credential chain (env, ~/.aws, instance role).
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None
    #: "auto", "path" (MinIO) or "virtual" (Aliyun OSS, Tencent COS).
    S3_ADDRESSING_STYLE = "auto"
    #: Seconds a presigned URL (video redirect, part upload) stays valid.
    S3_PRESIGN_EXPIRES = 300
    #: Prefix of every object key, e.g. "contest/" to share a bucket.
    S3_PREFIX = ""
    #: Seconds the signed token of a browser's direct upload to the bucket (/uploads/s3, presigned multipart;
    #: see contest/services/direct_uploads.py) stays valid: an upload may be resumed within this time.
    DIRECT_UPLOAD_TOKEN_MAX_AGE = 24 * 3600

    # --- resumable uploads (tus 1.0, /uploads/tus; see contest/services/resumable.py) --------------------
    #: Seconds an unfinished upload may stay untouched before it expires (410) and is cleaned up.
    TUS_EXPIRE_S = 24 * 3600
    #: Largest upload announced to tus clients (Tus-Max-Size), bytes; each contest's own limit still applies.
    TUS_MAX_SIZE = 4 * 1024**3
    #: Bytes the upload page sends per tus PATCH; a proxy in front (nginx client_max_body_size) must allow it.
    TUS_CHUNK_BYTES = 8 * 1024**2

    # --- lists ------------------------------------------------------------------------------------------
    #: Rows per page of long lists (the organizer's entries of a contest, a judge's queue); ``?page=N``.
    PAGE_SIZE = 50
    #: Alliance membership needs a site administrator's approval: registration asks for the unit, platform
    #: accounts and a note, and the account is "pending" until approved (off: every account is a member).
    MEMBERSHIP_APPROVAL = False
    #: Seconds each web process keeps a contest's judging-progress numbers (dashboard, assignment and
    #: per-judge progress pages; see contest/services/progress.py) and, at most, its entry count (kept until
    #: an entry is added; contest.services.contests.setup.entry_total); 0 counts them on every request.
    PROGRESS_CACHE_S = 30

    # --- exports ----------------------------------------------------------------------------------------
    #: A round judging more entries than this is exported by a background job (a page shows its state and
    #: the download link when it is ready) instead of during the request (contest/services/exports/jobs.py).
    EXPORT_DIRECT_MAX_ENTRIES = 20_000
    #: Likewise for an audit-trail export matching more events than this.
    EXPORT_DIRECT_MAX_EVENTS = 100_000
    #: Seconds a finished export file is kept for download before it is deleted.
    EXPORT_KEEP_S = 7 * 24 * 3600

    # --- plays and deadlines ------------------------------------------------------------------------------
    #: Seconds during which further plays of one entry by the same viewer are not counted again (本站播放;
    #: see contest/services/metrics/plays.py).
    PLAY_WINDOW_S = 30 * 60
    #: Seconds after a creator's deadline during which an upload that started before it may still finish, and
    #: the entry whose video it is may still be submitted (contest/services/submissions/window.py).
    UPLOAD_GRACE_S = 30 * 60


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    DATABASE_URL = "sqlite://"
    TASK_BACKEND = "eager"
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "testing-not-secret"
    FFMPEG_TIMEOUT = 300
    #: Cheap hashes: the suite creates hundreds of users (the tests of hashing set the real values).
    ARGON2_MEMORY_KIB = 1024
    ARGON2_TIME_COST = 1
    RATELIMIT_STORAGE_URI = "memory://"  # a new, empty store for each app, so for each test


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    HSTS_MAX_AGE = 365 * 24 * 3600
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Behind the reverse proxy of the deployment guide (nginx on the web host, gunicorn on 127.0.0.1).
    PROXY_COUNT = 1
    #: Redis down: count in each process's memory instead of refusing or failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
