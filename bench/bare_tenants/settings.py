"""A bare django-tenants site over IFM's database, for bench/request_path.py to compare with: stock
django-tenants routing (its own middleware, a Domain query a request) and backend, no
authentication, no throttles, one view."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
)
os.environ["DJANGO_DEBUG"] = "false"

from saas_platform.settings.local import *  # noqa: E402,F403

DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"  # noqa: F405
TENANT_LIMIT_SET_CALLS = False
MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware"]
ROOT_URLCONF = "bench.bare_tenants.urls"
PUBLIC_SCHEMA_URLCONF = "bench.bare_tenants.urls"
