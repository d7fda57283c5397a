"""Settings shared by every environment. Values come from the environment (see .env.example)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.schedules import crontab
from django.utils.csp import CSP

from saas_platform.lib.error_tracking import error_tracking_init
from saas_platform.settings.environment import (
    env_bool,
    env_db,
    env_float,
    env_int,
    env_rate,
    env_str,
    env_url_path,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Tenants live at <slug>.<PLATFORM_DOMAIN>; the public site and the console at PLATFORM_DOMAIN.
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", default="localhost").lower()
PLATFORM_SCHEME = env_str("PLATFORM_SCHEME", default="http")
PLATFORM_PORT = env_str("PLATFORM_PORT", default="")
ALLOWED_HOSTS = [PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"]

# --- Applications: the public schema holds SHARED_APPS, every tenant schema TENANT_APPS.
SHARED_APPS = [
    # provisioning first: its delete_tenant command replaces django-tenants' own.
    "provisioning",
    "django_tenants",
    "shared_apps.tenants",
    "shared_apps.users",
    "shared_apps.billing",
    "shared_apps.console",
    "shared_apps.onboarding",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "dj_rest_auth",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "rest_framework_simplejwt.token_blacklist",
    "shared_apps.users",
    "tenant_apps.core",  # the audit log every other tenant app writes to
    "tenant_apps.accounting",
    "django.contrib.postgres",  # trigram search (donors)
    "tenant_apps.donors",
    "tenant_apps.donations",
    "tenant_apps.personnel",
    "tenant_apps.banking",
    "tenant_apps.checks",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Organization"
TENANT_DOMAIN_MODEL = "tenants.Domain"
AUTH_USER_MODEL = "users.User"
PUBLIC_SCHEMA_URLCONF = "saas_platform.urls_public"
ROOT_URLCONF = "saas_platform.urls_tenant"
# Where both hosts serve the Django admin. Another path than the well-known admin/ keeps
# scanners off its login. Its first segment must not be one of the top-level routes below
# (tests/test_admin_path.py checks this list against both URL maps).
TOP_LEVEL_ROUTES = frozenset(
    {
        "account", "accounts", "accounting", "api", "billing", "campaigns", "console",
        "deposits", "donations", "donors", "favicon.ico", "gifts", "give", "healthz", "hours",
        "invitations", "media", "metrics", "pay-runs", "personnel", "pledges", "readyz",
        "receipts", "recurring", "settings", "signup", "static", "stripe", "tasks",
    }
)  # fmt: skip
ADMIN_URL_PATH = env_url_path("ADMIN_URL_PATH", default="admin/", reserved=TOP_LEVEL_ROUTES)
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Days a tenant's nightly backup is kept (provisioning.backups); its newest is always kept.
BACKUP_RETENTION_DAYS = env_int("BACKUP_RETENTION_DAYS", default=14, minimum=1)
# Clones of the template schema kept ready for new tenants (provisioning.spares); a signup takes
# one and renames it (milliseconds) instead of cloning the template (a few hundred ms). 0: none.
PROVISIONING_SPARE_SCHEMAS = env_int("PROVISIONING_SPARE_SCHEMAS", default=2, minimum=0)
# The pool follows the signups: the refill keeps the last hour's signups times
# PROVISIONING_SPARE_SIGNUP_PERCENT / 100 ready (25: a quarter hour of signups at that rate), at
# least PROVISIONING_SPARE_SCHEMAS and at most PROVISIONING_SPARE_SCHEMAS_MAX.
PROVISIONING_SPARE_SCHEMAS_MAX = env_int("PROVISIONING_SPARE_SCHEMAS_MAX", default=20, minimum=0)
PROVISIONING_SPARE_SIGNUP_PERCENT = env_int(
    "PROVISIONING_SPARE_SIGNUP_PERCENT", default=25, minimum=0
)
# Tenant schemas migrated at once by migrate_schemas (forked workers, one connection each).
MIGRATION_PARALLEL = env_int("MIGRATION_PARALLEL", default=2, minimum=1)

MIDDLEWARE = [
    "saas_platform.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Static files are the same for every tenant: served before routing, they cost no tenant
    # lookup and still load while the database is down (the "briefly unavailable" page's CSS).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "saas_platform.middleware.TenantRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "saas_platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "saas_platform.context_processors.platform",
            ],
            # Money, counts and list links in every template without {% load %}.
            "builtins": ["saas_platform.lib.template_filters"],
        },
    },
]

# Content-Security-Policy on every response: scripts, styles, images and fonts come from this
# host's own static files only, so a script that slipped into a page (a donor's name that was not
# escaped) does not run. No inline scripts or styles anywhere: each page's script is a file.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

WSGI_APPLICATION = "saas_platform.wsgi.application"

# --- Database: one PostgreSQL database, a schema per tenant.
# A statement that runs longer is cancelled, so one runaway query cannot hold a web process and
# its connection (the request answers 503); reports and workers read more.
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", default=30_000, minimum=0)
REPORT_STATEMENT_TIMEOUT_MS = env_int("REPORT_STATEMENT_TIMEOUT_MS", default=120_000, minimum=0)
WORKER_STATEMENT_TIMEOUT_MS = env_int("WORKER_STATEMENT_TIMEOUT_MS", default=900_000, minimum=0)
# DATABASE_URL is what web and worker processes connect to: PostgreSQL, or PgBouncer in front of
# it. With a pooler in transaction mode (DATABASE_TRANSACTION_POOLING) each transaction carries
# its own tenant search path (saas_platform/database/base.py) and what needs a session of its
# own (migrations, pg_dump, advisory locks, management commands) goes to DIRECT_DATABASE_URL,
# PostgreSQL itself: manage.py connects there for every command.
DATABASE_TRANSACTION_POOLING = env_bool("DATABASE_TRANSACTION_POOLING", default=False)
_DATABASE_PROCESS = env_str("DATABASE_PROCESS", default="server")


def _database(url: dict[str, object], *, transaction_pooling: bool) -> dict[str, Any]:
    return {
        **url,
        "ENGINE": "saas_platform.database",
        "TRANSACTION_POOLING": transaction_pooling,
        # Server-side cursors live in a session: a pooler in transaction mode cannot keep them.
        "DISABLE_SERVER_SIDE_CURSORS": transaction_pooling,
        # Persistent connections: opening one costs about 12 ms a request.
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", default=60, minimum=0),
        # No `SELECT 1` before each request's first query: the backend polls the connection's
        # socket instead (no round trip), and a connection that failed is closed at the end of
        # its request (saas_platform/database/base.py).
        "CONN_HEALTH_CHECKS": False,
        # No JIT compilation: a page's queries run in milliseconds, but the planner's cost of a
        # list with correlated subqueries crosses jit_above_cost and PostgreSQL then spends
        # seconds compiling (measured by bench/pages.py: 2 to 8 s of JIT on donor pages).
        # Statement timeouts are set by the process that serves: saas_platform.wsgi for web
        # requests, saas_platform.celery for workers (saas_platform.lib.statement_timeout);
        # management commands (migrations, exports) have none.
        # Through PgBouncer, which refuses start-up options, the backend sends them with each
        # transaction (SET LOCAL).
        "OPTIONS": {"options": "-c jit=off"},
    }


if DATABASE_TRANSACTION_POOLING:
    DATABASES = {
        "default": _database(env_db("DATABASE_URL"), transaction_pooling=True),
        # No default: with a pooler in front, what needs a session must know where PostgreSQL is.
        "direct": _database(env_db("DIRECT_DATABASE_URL"), transaction_pooling=False),
    }
    if _DATABASE_PROCESS == "manage":
        DATABASES["default"] = DATABASES["direct"]
else:
    DATABASES = {
        "default": _database(
            env_db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ifm"),
            transaction_pooling=False,
        )
    }
# Direct connections send `SET search_path` only when the schema changes (the backend remembers
# what the session holds); pooled ones never set it for the session.
TENANT_LIMIT_SET_CALLS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker: Redis. Cache keys carry the schema (django_tenants.cache.make_key);
# tenant routing has its own cache so that its keys never depend on the current schema.
REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# One Redis connection pool per process for the cache, the routing cache and the API throttles
# (saas_platform.lib.redis_pool).
CACHES = {
    "default": {
        "BACKEND": "saas_platform.lib.redis_pool.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": "ifm",
    },
    "tenant_routing": {
        "BACKEND": "saas_platform.lib.redis_pool.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ifm-routing",
        "TIMEOUT": env_int("TENANT_ROUTING_CACHE_SECONDS", default=300, minimum=1),
    },
}

# --- Sessions and auth. Cookies are host-only: a tenant's cookie never reaches another host.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=60 * 60 * 12, minimum=300)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins allowed per client address and schema before a pause: the login pages, the
# admin's login and the API share one counter, so alternating between them gains nothing.
LOGIN_ATTEMPTS_PER_MINUTE = env_int("LOGIN_ATTEMPTS_PER_MINUTE", default=10, minimum=1)
# All login attempts, successful or not, per client address and schema: a ceiling high enough for
# an office behind one address, low enough to stop a flood of guesses at valid accounts.
LOGIN_REQUESTS_PER_MINUTE = env_int("LOGIN_REQUESTS_PER_MINUTE", default=60, minimum=1)
# Proxies in front of the app (nginx, a load balancer). Throttles key on the client's address:
# with 0 that is the socket's address and X-Forwarded-For is ignored (a client can write anything
# there); with N it is the Nth address from the right (saas_platform.lib.client_address).
NUM_PROXIES = env_int("NUM_PROXIES", default=0, minimum=0)

# --- API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shared_apps.users.tokens.TenantJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "saas_platform.lib.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "saas_platform.lib.filters.DjangoFilterBackend",
        "saas_platform.lib.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "saas_platform.lib.client_address.AnonRateThrottle",
        "saas_platform.lib.client_address.UserRateThrottle",
        "saas_platform.lib.client_address.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_ANON_RATE", default="60/min"),
        "user": env_rate("API_USER_RATE", default="600/min"),
        # Logout, token refresh and verify, the user's details: as often as logins may be.
        "dj_rest_auth": f"{LOGIN_REQUESTS_PER_MINUTE}/min",
        # Password reset (sends email), its confirmation and password change (checks the old
        # password): as strict as failed logins.
        "auth_password": f"{LOGIN_ATTEMPTS_PER_MINUTE}/min",
    },
    # Our throttle classes use saas_platform.lib.client_address; DRF's own rule is kept in step (an
    # int, never None, which would trust X-Forwarded-For) for any throttle class that is not ours.
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "saas_platform.lib.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "saas_platform.lib.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_TOKEN_CLASSES": ["shared_apps.users.tokens.TenantAccessToken"],
    "TOKEN_OBTAIN_SERIALIZER": "shared_apps.users.tokens.TenantTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "shared_apps.users.tokens.TenantTokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "shared_apps.users.tokens.TenantTokenVerifySerializer",
}
REST_AUTH = {
    "USE_JWT": True,
    "TOKEN_MODEL": None,
    "JWT_AUTH_HTTPONLY": False,
    "SESSION_LOGIN": False,
    "JWT_TOKEN_CLAIMS_SERIALIZER": "shared_apps.users.tokens.TenantTokenObtainPairSerializer",
    "LOGIN_SERIALIZER": "shared_apps.users.api.serializers.LoginSerializer",
    "USER_DETAILS_SERIALIZER": "shared_apps.users.api.serializers.UserSerializer",
    "OLD_PASSWORD_FIELD_ENABLED": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IFM API",
    "DESCRIPTION": "Fund management for nonprofits. Every path is served on the organization's "
    "own host, https://<org>.<domain>/, and sees only that organization's data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Choice sets whose field name repeats across apps with other values.
    "ENUM_NAME_OVERRIDES": {
        "DonorKindEnum": "tenant_apps.donors.models.DonorKind.choices",
        "WorkerKindEnum": "tenant_apps.personnel.models.WorkerKind.choices",
        "ReconciliationStateEnum": "tenant_apps.banking.models.ReconciliationState.choices",
        "BudgetStateEnum": "tenant_apps.accounting.models.BudgetState.choices",
        "EntrySourceEnum": "tenant_apps.accounting.models.EntrySource.choices",
        "PayRunSourceEnum": "tenant_apps.personnel.models.PayRunSource.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "saas_platform.lib.openapi.refuse_unknown_request_fields",
    ],
}

# --- Celery: Redis broker; tasks run in the schema of the tenant that queued them.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TENANT_CACHE_SECONDS = 30
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A worker keeps its database connections from one task to the next, as a web process does from
# one request to the next (CONN_MAX_AGE): Celery's Django fix-up would otherwise close them
# before and after every task, and every task would pay for a new connection (a backend
# started, then the tenant's tables read into its caches: about 830 connections in the 30 s
# of bench-webhooks' 3,000 events). saas_platform.celery closes the ones too old or broken
# around each task instead; the fix-up still closes them all after this many tasks.
CELERY_DB_REUSE_MAX = 1000
# Queues by kind of work, so that a long import or a burst of webhooks never waits behind the
# other kinds, and each can have its own workers (docker-compose and deploy/kubernetes run one
# worker on all of them; `celery worker -Q webhooks` serves one). A task not named here runs
# on "default". Every worker command lists CELERY_WORKER_QUEUES (tests/test_task_queues.py).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_QUEUES = ("default", "provisioning", "imports", "email", "webhooks")
CELERY_TASK_ROUTES = {
    "provisioning.tasks.spares_refill": {"queue": "provisioning"},
    "shared_apps.onboarding.tasks.signup_provision": {"queue": "provisioning"},
    "shared_apps.console.tasks.tenant_deletion_run": {"queue": "provisioning"},
    # Bulk work on files: uploads read, documents drawn, exports written.
    "tenant_apps.donations.tasks.import_run": {"queue": "imports"},
    "tenant_apps.checks.tasks.scan_upload_read": {"queue": "imports"},
    "tenant_apps.donations.tasks.statements_run": {"queue": "imports"},
    "tenant_apps.accounting.tasks.board_packet_build": {"queue": "imports"},
    "shared_apps.console.tasks.tenant_export_run": {"queue": "imports"},
    "provisioning.tasks.tenant_backup_run": {"queue": "imports"},
    # Mail and what is mailed: receipts issued, receipts, tribute notices and welcomes sent.
    "*_email_send": {"queue": "email"},
    "tenant_apps.donations.tasks.receipt_*": {"queue": "email"},
    "tenant_apps.donations.tasks.tribute_notice_email_send": {"queue": "email"},
    # Stripe's events, applied as they arrive.
    "tenant_apps.donations.tasks.connect_event*": {"queue": "webhooks"},
}
# Time limits: a task past its soft limit gets SoftTimeLimitExceeded (the long ones record it
# as their failure for the page that waits on them); past the hard limit its process is
# replaced. The default suits a task about one row or one message; the bulk ones get more.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
_LONG_TASK = {"soft_time_limit": 1_800, "time_limit": 1_860}
_FAN_OUT = {"soft_time_limit": 300, "time_limit": 360}
CELERY_TASK_ANNOTATIONS = {
    "tenant_apps.donations.tasks.import_run": _LONG_TASK,
    "tenant_apps.checks.tasks.scan_upload_read": _LONG_TASK,
    "tenant_apps.donations.tasks.statements_run": _LONG_TASK,
    "tenant_apps.accounting.tasks.board_packet_build": _LONG_TASK,
    "shared_apps.console.tasks.tenant_export_run": _LONG_TASK,
    "shared_apps.console.tasks.tenant_deletion_run": {"soft_time_limit": 600, "time_limit": 660},
    # Fan-outs queue one task per organization: thousands of messages.
    "tenant_apps.accounting.tasks.time_releases_run_all": _FAN_OUT,
    "tenant_apps.donations.tasks.recurring_gifts_run_all": _FAN_OUT,
    "tenant_apps.checks.tasks.check_images_expire_all": _FAN_OUT,
    "provisioning.tasks.spares_refill": {"soft_time_limit": 600, "time_limit": 660},
    # A drain applies up to five batches of an organization's Stripe events.
    "tenant_apps.donations.tasks.connect_events_drain": {"soft_time_limit": 120, "time_limit": 150},
}
# Periodic work over all tenants: each entry fans out to the active tenants' schemas itself.
CELERY_BEAT_SCHEDULE = {
    # Beat's heartbeat: a worker running it proves that beat schedules (provisioning/health.py).
    "health-beat-heartbeat": {
        "task": "saas_platform.worker_operations.beat_heartbeat",
        "schedule": 60.0,
    },
    # Each active tenant's schema dumped into storage (backups/<slug>/), older dumps pruned.
    "provisioning-backups-nightly": {
        "task": "provisioning.tasks.backups_nightly",
        "schedule": crontab(hour=2, minute=15),
    },
    # Spare schemas are refilled after each signup; this catches up after a lost task.
    "provisioning-spares": {
        "task": "provisioning.tasks.spares_refill",
        "schedule": crontab(minute="*/15"),
    },
    # The daily work of each organization runs at an hour of its own day (its time zone): the
    # beat fans out every hour to the organizations whose clock reads `at_local_hour`.
    # Recurring gifts' drafts for the day, early enough to be there when the office opens.
    "donations-recurring-gifts": {
        "task": "tenant_apps.donations.tasks.recurring_gifts_run_all",
        "schedule": crontab(minute=0),
        "kwargs": {"at_local_hour": 5},
    },
    # Time-restricted funds whose release date has come are released, dated that day; after
    # midnight, so a release is in the books when the office opens. Safe to run twice.
    "accounting-time-releases": {
        "task": "tenant_apps.accounting.tasks.time_releases_run_all",
        "schedule": crontab(minute=45),
        "kwargs": {"at_local_hour": 4},
    },
    # Receipts a refund or a void left stating more than the gift now is (its follow-up lost
    # with its worker): voided or corrected, after the recurring gifts of the morning.
    "donations-receipts-catch-up": {
        "task": "tenant_apps.donations.tasks.receipts_catch_up_all",
        "schedule": crontab(minute=10),
        "kwargs": {"at_local_hour": 6},
    },
    # Online gifts' Connect events still waiting for their organization (a lost task, Stripe
    # not answering for the fee): applied again. Each applies once, so a repeat is harmless.
    "donations-connect-events-retry": {
        "task": "tenant_apps.donations.tasks.connect_events_retry",
        "schedule": crontab(minute="*/15"),
    },
    # Images of scanned checks past the organization's retention period are deleted (the
    # checks' fields and gifts stay), in the small hours of its own day.
    "checks-images-expire": {
        "task": "tenant_apps.checks.tasks.check_images_expire_all",
        "schedule": crontab(minute=30),
        "kwargs": {"at_local_hour": 3},
    },
    # Organizations whose payment failed, or whose trial ended unpaid, longer ago than
    # BILLING_GRACE_DAYS are suspended.
    "billing-grace": {
        "task": "shared_apps.billing.tasks.billing_grace_enforce",
        "schedule": crontab(hour=4, minute=30),
    },
    # Pending signups whose link has expired: marked expired and their password hashes wiped.
    # Hourly, because a hash should not outlive its link by much (links last hours, not days),
    # and a signup only does this itself when someone signs up. One indexed update: cheap.
    "onboarding-signups-expire": {
        "task": "shared_apps.onboarding.tasks.signups_expire",
        "schedule": crontab(minute=15),
    },
}

# --- Health and metrics. The worker records a heartbeat every HEALTH_HEARTBEAT_SECONDS and beat
# queues one a minute; /readyz calls them stale past these ages (provisioning/health.py).
HEALTH_HEARTBEAT_SECONDS = env_int("HEALTH_HEARTBEAT_SECONDS", default=30, minimum=1)
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", default=120, minimum=1)
HEALTH_BEAT_MAX_AGE_SECONDS = env_int("HEALTH_BEAT_MAX_AGE_SECONDS", default=180, minimum=1)
# Online giving is behind when a Stripe Connect event has waited this long to be applied (by
# then the quarter-hour retry takes events whose drain was lost).
HEALTH_GIVING_MAX_WAIT_SECONDS = env_int("HEALTH_GIVING_MAX_WAIT_SECONDS", default=300, minimum=1)
# The bearer token Prometheus sends to /metrics on the platform's host; empty: no /metrics.
METRICS_TOKEN = env_str("METRICS_TOKEN", default="")

# --- Billing: Stripe. Without a secret key (development, tests) organizations get trials and the
# billing pages say that Stripe is not configured.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", default="")
# Another address for Stripe's API (stripe-mock, a test server); empty for Stripe itself.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", default="")
# The Connect webhook's own signing secret (/stripe/connect/webhook/ on the public host): online
# gifts' events from organizations' connected accounts. Empty: the endpoint refuses them all.
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
# Checkout sessions one client may open on the giving pages a minute (card testing runs many).
GIVING_CHECKOUTS_PER_MINUTE = env_int("GIVING_CHECKOUTS_PER_MINUTE", default=10, minimum=1)
# ... and the organization as a whole, from every client together (card testing spread over many
# addresses): well above a busy appeal's minute, far below a script's.
GIVING_CHECKOUTS_PER_ORGANIZATION_PER_MINUTE = env_int(
    "GIVING_CHECKOUTS_PER_ORGANIZATION_PER_MINUTE", default=60, minimum=1
)
# Days an organization keeps working after a payment failed, or after its trial of a paid plan
# ended with no subscription, before it is suspended. Trials are never suspended without Stripe.
BILLING_GRACE_DAYS = env_int("BILLING_GRACE_DAYS", default=7, minimum=0)

# --- Scanned checks (tenant_apps.checks).
# The largest file of scans one upload takes; a larger one is refused before anything is kept.
CHECK_SCAN_MAX_BYTES = env_int("CHECK_SCAN_MAX_BYTES", default=20 * 1024 * 1024, minimum=1024)
# The key of the HMAC that fingerprints a check's routing and account numbers (the account
# number itself is never stored). Changing it makes earlier fingerprints unrecognised, so payers
# are matched by name again until their next accepted check. Production requires its own.
CHECK_FINGERPRINT_KEY = env_str("CHECK_FINGERPRINT_KEY", default="") or f"checks:{SECRET_KEY}"

# --- Signup on the public host.
# Hours the emailed verification link works; an unverified signup then expires.
SIGNUP_VERIFICATION_HOURS = env_int("SIGNUP_VERIFICATION_HOURS", default=24, minimum=1)
# Per client address: subdomain checks a minute (the form checks as one types), signups an hour,
# and verification emails sent again an hour.
SIGNUP_CHECKS_PER_MINUTE = env_int("SIGNUP_CHECKS_PER_MINUTE", default=60, minimum=1)
SIGNUPS_PER_HOUR = env_int("SIGNUPS_PER_HOUR", default=10, minimum=1)
SIGNUP_RESENDS_PER_HOUR = env_int("SIGNUP_RESENDS_PER_HOUR", default=5, minimum=1)

# --- Files: S3 when a bucket is configured, the local disk otherwise; keys are per tenant.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
AWS_S3_FILE_OVERWRITE = False
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "saas_platform" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "saas_platform.lib.storage.TenantS3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "saas_platform.lib.storage.TenantFileSystemStorage",
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email. Production's mailer adds OPTIONS (host, port, TLS...), hence Any.
MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env_str(
            "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
        )
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="IFM <no-reply@localhost>")

# --- Internationalisation.
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Logging: one line a request, each carrying the request id and the schema.
LOG_LEVEL = env_str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env_str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "saas_platform.lib.logging.RequestContextFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(schema)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(schema)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Requests are logged once by RequestContextMiddleware; Django's own line would repeat it.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Error tracking: Sentry, for web requests and Celery tasks, when SENTRY_DSN is set. Events
# carry the schema, request id and user id as tags and no personal data (lib/error_tracking.py).
SENTRY_DSN = env_str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env_str("SENTRY_RELEASE", default="")
# Share of requests and tasks traced for performance; errors are always sent.
SENTRY_TRACES_SAMPLE_RATE = env_float(
    "SENTRY_TRACES_SAMPLE_RATE", default=0.0, minimum=0.0, maximum=1.0
)
error_tracking_init(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    release=SENTRY_RELEASE,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
