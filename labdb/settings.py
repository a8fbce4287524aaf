"""labdb settings: one module, driven by environment variables.

Nothing set gives the embedded default: SQLite under ``LABDB_DATA_DIR`` (``./var``), Celery tasks
run in-process (eager, errors propagate), DEBUG on and a development secret key. ``DATABASE_URL``
switches to PostgreSQL, ``CELERY_BROKER_URL`` to Redis and real workers. ``DJANGO_DEBUG=0``
requires ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``. See README.md for every variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = _env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 requires DJANGO_SECRET_KEY to be set")
    SECRET_KEY = "labdb-development-key-not-for-production"  # nosec B105  # DEBUG only

_hosts = os.environ.get("DJANGO_ALLOWED_HOSTS", "")
if _hosts:
    ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
elif DEBUG:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    raise ImproperlyConfigured("DJANGO_DEBUG=0 requires DJANGO_ALLOWED_HOSTS (comma-separated)")

CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

#: Where labdb keeps its SQLite database (when no DATABASE_URL) and stored files.
DATA_DIR = Path(os.environ.get("LABDB_DATA_DIR", BASE_DIR / "var")).resolve()
BLOB_DIR = DATA_DIR / "blobs"

#: Largest accepted upload, in bytes (default 2 GiB).
MAX_UPLOAD_BYTES = _env_int("LABDB_MAX_UPLOAD_BYTES", 2 * 1024**3)
#: Temporary files (upload staging, local copies of blobs, exports) left by a killed process
#: are removed once untouched for this long (s); each process sweeps its host's folders at most
#: once per STAGING_SWEEP_S (labdb.staging).
STAGING_MAX_AGE_S = _env_int("LABDB_STAGING_MAX_AGE_S", 24 * 3600)
STAGING_SWEEP_S = _env_int("LABDB_STAGING_SWEEP_S", 3600)

#: Whether `manage.py demo` may create the demo user (always allowed with DEBUG).
DEMO_ENABLED = DEBUG or _env_bool("LABDB_DEMO", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "labdb",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files: from STATIC_ROOT after collectstatic, from the app folders in DEBUG
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 413 for a body larger than an upload may be, before anything reads it
    "labdb.web.upload.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response that has none of its own (CONTENT_SECURITY_POLICY)
    "csp.middleware.CSPMiddleware",
    # Last, so that it sees the failed logins of everything above (login lockout).
    "axes.middleware.AxesMiddleware",
    "labdb.errors.FaultMiddleware",  # disk full, read-only store, database away: 507 / 503
    # a label in several of the user's projects: a message and the search for it
    "labdb.web.ambiguity.AmbiguousLabelMiddleware",
]

ROOT_URLCONF = "labdb.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "labdb.web.alerts.alert_bell",
            ],
        },
    },
]

WSGI_APPLICATION = "labdb.wsgi.application"

_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    # Health checks: a pooled connection that PostgreSQL closed (a restart) is replaced before
    # the request uses it, instead of failing the request with a 500.
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    }
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # No JIT compilation: the pages' queries are short, and over a decade of a lab their
        # cost estimates pass jit_above_cost, so PostgreSQL compiled each for seconds before a
        # 30 ms run (the impact walk of a lot: 14 s -> 0.26 s, bench/scale.py, docs/scale-out.md).
        # LABDB_PG_OPTIONS replaces these server options (libpq "options").
        _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
        _pg_options.setdefault("options", os.environ.get("LABDB_PG_OPTIONS", "-c jit=off"))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "labdb.sqlite3",
            # WAL lets the web server read while an in-process job writes.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# The role that owns the tables, for migrations only (``manage.py migrate --database owner``):
# DATABASE_URL is then the app's role, which owns nothing (labdb/db_roles.py, docs/security.md).
_database_owner_url = os.environ.get("DATABASE_OWNER_URL", "")
if _database_owner_url:
    DATABASES["owner"] = {
        **dj_database_url.parse(_database_owner_url, conn_max_age=0),
        "TEST": {"MIRROR": "default"},
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("LABDB_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

#: The blob store (labdb.blobstore, docs/scale-out.md): local disk under LABDB_DATA_DIR/blobs, or an
#: S3-compatible bucket with LABDB_BLOB_STORE=s3://BUCKET/PREFIX (AWS_ENDPOINT_URL for MinIO, Ceph,
#: SeaweedFS; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION as for any AWS client).
BLOB_STORE = os.environ.get("LABDB_BLOB_STORE", "").strip()
if not BLOB_STORE:
    STORAGES["blobs"] = {"BACKEND": "labdb.blobstore.LocalBlobStorage"}
else:
    _blob_url = urlsplit(BLOB_STORE)
    if _blob_url.scheme != "s3" or not _blob_url.netloc:
        raise ImproperlyConfigured(
            f"LABDB_BLOB_STORE={BLOB_STORE!r}: expected s3://BUCKET/PREFIX (unset: local disk)"
        )
    _s3_endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    STORAGES["blobs"] = {
        "BACKEND": "labdb.blobstore.S3BlobStorage",
        "OPTIONS": {
            "bucket_name": _blob_url.netloc,
            "location": _blob_url.path.strip("/"),
            "endpoint_url": _s3_endpoint or None,
            "region_name": os.environ.get("AWS_DEFAULT_REGION") or None,
            # S3-compatible servers answer at endpoint/bucket/key; AWS takes either style
            "addressing_style": os.environ.get(
                "LABDB_S3_ADDRESSING_STYLE", "path" if _s3_endpoint else "auto"
            ),
            "file_overwrite": True,
            "default_acl": None,
            "part_bytes": _env_int("LABDB_S3_PART_MB", 16) * 1024 * 1024,
        },
    }

# Uploads larger than this go to a temporary file, never to memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
#: Production (DEBUG off) is served over HTTPS by a reverse proxy unless DJANGO_HTTPS=0 (a
#: plain-HTTP trial; DJANGO_SECURE_COOKIES=0 alone still means that too): then cookies are
#: HTTPS-only, plain HTTP is redirected (gunicorn takes the scheme from the proxy's
#: X-Forwarded-Proto, see docker/gunicorn.conf.py) and browsers are told to use HTTPS only
#: (HSTS, DJANGO_HSTS_SECONDS, default one year). With these, `manage.py check --deploy` is
#: clean (docs/security.md).
HTTPS = not DEBUG and _env_bool("DJANGO_HTTPS", _env_bool("DJANGO_SECURE_COOKIES", True))
if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("DJANGO_SECURE_COOKIES", HTTPS)
    CSRF_COOKIE_SECURE = _env_bool("DJANGO_SECURE_COOKIES", HTTPS)
    SECURE_SSL_REDIRECT = HTTPS
    SECURE_HSTS_SECONDS = _env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    # Asking for the browsers' preload list is the domain owner's decision (it is hard to
    # undo and covers the whole domain): off unless DJANGO_HSTS_PRELOAD=1, and the check that
    # recommends it is silenced for that reason.
    SECURE_HSTS_PRELOAD = _env_bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Content-Security-Policy (django-csp) ----------------------------------------------------
# Scripts only from this site: no inline script, no eval (every page's JavaScript is a static
# file; plotly.js is served by the app). Plotly sets inline styles and injects a <style>
# element, hence 'unsafe-inline' for styles only; its PNG/SVG export uses data: and blob: URLs.
# Served user files (attachments) carry their own sandboxing policy (labdb.web.attachments).
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF, "'unsafe-inline'"],
        "img-src": [_SELF, "data:", "blob:"],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "worker-src": [_SELF, "blob:"],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    }
}

# --- Celery -------------------------------------------------------------------------------
_broker = os.environ.get("CELERY_BROKER_URL", "")
#: Without a broker, tasks run in-process and their errors propagate (the zero-setup default).
CELERY_TASK_ALWAYS_EAGER = not _broker
CELERY_BROKER_URL = _broker or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", _broker or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
#: Redis re-delivers an unacknowledged task after this many seconds; the task time limits stay
#: below it so that a slow task is never delivered twice while it still runs.
CELERY_VISIBILITY_TIMEOUT = _env_int("LABDB_VISIBILITY_TIMEOUT", 3 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = _env_int("LABDB_TASK_SOFT_TIME_LIMIT", 3600)
CELERY_TASK_TIME_LIMIT = _env_int("LABDB_TASK_TIME_LIMIT", 3900)
if not CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "task time limits must satisfy soft < hard < LABDB_VISIBILITY_TIMEOUT"
    )
#: A broker that is down or frozen costs a request at most a few seconds (the job stays queued
#: and the sweep sends it): bounded connect and socket timeouts, no publish retry loop.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
#: A running job's lease (s): its worker renews it every quarter and stops the job when it could
#: not for half of it (labdb.services.jobs); the address space (MiB) a job's analysis process may
#: add to its worker's before it fails with MemoryError.
JOB_LEASE_S = _env_int("LABDB_JOB_LEASE_S", 60)
JOB_MAX_MEMORY_MB = _env_int("LABDB_JOB_MAX_MEMORY_MB", 4096)
#: Jobs one analysis process serves in turn before it is replaced (1: a process per job), and
#: the memory of its own (MiB, not shared with its worker) above which it is replaced after a
#: job (labdb.services.execution).
JOB_CHILD_JOBS = _env_int("LABDB_JOB_CHILD_JOBS", 25)
JOB_CHILD_KEEP_MB = _env_int("LABDB_JOB_CHILD_KEEP_MB", 512)
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
#: Workers keep freed large blocks for reuse (analysis.runtime: faster analyses, but a worker
#: keeps the memory of its largest job); a pool child above this resident size (KiB) is
#: replaced after its task.
LABDB_WORKER_KEEP_MEMORY = _env_bool("LABDB_WORKER_KEEP_MEMORY", True)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = _env_int("LABDB_WORKER_MAX_MEMORY_KB", 4 * 1024 * 1024)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-jobs": {"task": "labdb.sweep_jobs", "schedule": 60.0},
    "verify-storage": {"task": "labdb.verify_storage", "schedule": 24 * 3600.0},
    "alerts-sweep": {"task": "labdb.alerts_sweep", "schedule": 300.0},
    "sweep-staging": {"task": "labdb.sweep_staging", "schedule": 3600.0},
}

# --- Authentication -----------------------------------------------------------------------
# The web login is locked after repeated failures by django-axes (failed attempts are kept in
# the database, so the lockout holds across gunicorn workers and restarts); the first backend
# only checks the lockout, the second authenticates.
AUTHENTICATION_BACKENDS = [
    "labdb.api.authentication.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _env_int("LABDB_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = _env_int("LABDB_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
# Lock a user name from one address: a mistyped password elsewhere in the lab (behind one NAT
# address) does not lock everyone out, and guessing one account's password is stopped.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = None
AXES_VERBOSE = False
# The same client address as the API throttle (the trusted proxy header when configured).
AXES_CLIENT_IP_CALLABLE = "labdb.api.authentication.login_client_ip"

#: API token attempts (labdb.api.authentication): this many failures at one key prefix from
#: one client address within the window answer 429 for that prefix from that address, right
#: key or not; after the address limit of failures (any prefixes), a wrong key from that
#: address answers 429 while valid keys still pass.
LABDB_AUTH_FAILURE_LIMIT = _env_int("LABDB_AUTH_FAILURE_LIMIT", 20)
LABDB_AUTH_FAILURE_ADDRESS_LIMIT = _env_int("LABDB_AUTH_FAILURE_ADDRESS_LIMIT", 100)
LABDB_AUTH_FAILURE_WINDOW_S = _env_int("LABDB_AUTH_FAILURE_WINDOW_S", 300)

#: The client address behind a reverse proxy: the request header the proxy sets (e.g.
#: ``X-Forwarded-For`` or ``X-Real-IP``), empty to use the connection's address (REMOTE_ADDR).
#: Set it only when every request comes through the proxy: a client reaching the app directly
#: could otherwise choose its address. With X-Forwarded-For, the address is the
#: LABDB_TRUSTED_PROXY_COUNT-th entry from the right (each trusted proxy appends one).
LABDB_TRUSTED_PROXY_HEADER = os.environ.get("LABDB_TRUSTED_PROXY_HEADER", "").strip()
LABDB_TRUSTED_PROXY_COUNT = _env_int("LABDB_TRUSTED_PROXY_COUNT", 1)

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests answer 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "labdb.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "labdb.api.permissions.TokenScope",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "labdb.api.filters.NulSafeSearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "labdb API",
    "DESCRIPTION": (
        "Records, raw files, analysis jobs and results of the lab. Authenticate with "
        "`Authorization: Token <key>` (scopes read, upload, read-write) or a browser session. "
        "Records are looked up by UUID or label; another project's record answers 404."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DataFileSourceEnum": "labdb.models.data.DataFile.Source",
        "UploadSourceEnum": ["api", "harvester"],
    },
    # real examples of the main operations, recorded from the API (labdb/api/examples.py)
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "labdb.api.examples.attach_examples",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LABDB_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

#: Base URI of labdb's identifiers in PROV and RO-Crate exports (e.g. https://labdb.example.org/id/).
LABDB_PROV_NAMESPACE = os.environ.get("LABDB_PROV_NAMESPACE", "https://labdb.example.org/id/")

# --- Queues (docs/scale-out.md) -----------------------------------------------------------
#: Analysis jobs go to a queue by kind: parsing and the per-cycle analyses of new files
#: ("ingest"), equivalent-circuit fitting and DRT ("fitting"); exports have their own queue
#: ("exports"); the periodic tasks (sweep, storage check) use the default queue "celery".
#: A worker without -Q consumes every queue below; `make worker QUEUES=fitting` only one.
LABDB_JOB_QUEUES = {"cycling": "ingest", "cv": "ingest", "mechanics": "ingest", "eis": "fitting"}
LABDB_JOB_DEFAULT_QUEUE = "ingest"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {name: {} for name in ("celery", "ingest", "fitting", "exports")}
CELERY_TASK_ROUTES = {"labdb.export_*": {"queue": "exports"}}
# --- Alerts (docs/alerts.md) --------------------------------------------------------------
#: E-mail goes through Django's mail backend: SMTP when EMAIL_HOST is set, else printed to the
#: console (the zero-setup default).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "labdb@localhost")
#: The address of the web app, for links in e-mails and webhook payloads.
LABDB_SITE_URL = os.environ.get("LABDB_SITE_URL", "http://localhost:8000").rstrip("/")
#: First wait before a failed delivery is tried again (doubles per attempt), and the attempts.
LABDB_ALERT_RETRY_BASE_S = _env_int("LABDB_ALERT_RETRY_BASE_S", 30)
LABDB_ALERT_MAX_ATTEMPTS = _env_int("LABDB_ALERT_MAX_ATTEMPTS", 8)
LABDB_ALERT_WEBHOOK_TIMEOUT_S = _env_int("LABDB_ALERT_WEBHOOK_TIMEOUT_S", 10)
#: How often a cell page of a running test asks whether new results were stored, s.
LABDB_LIVE_POLL_S = float(os.environ.get("LABDB_LIVE_POLL_S", "15"))
