"""Test settings: the real PostgreSQL and Redis, a separate Redis database, fast hashing."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ifm")
os.environ.setdefault("PLATFORM_DOMAIN", "localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Under `pytest -n` each worker process has its own test database (pytest-django names it
# test_<name>_gw<N>), its own Redis database (the next lower number) and its own media folder,
# so that no worker flushes or deletes what another one is using.
# A process a test starts (a server, a worker) inherits the worker's environment, its REDIS_URL
# already moved: moved again, it would use another database than the test that clears it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER and os.environ.get("TEST_REDIS_MOVED_FOR") != WORKER:
    base, _, number = os.environ["REDIS_URL"].rpartition("/")
    offset = int(WORKER.removeprefix("gw"))
    os.environ["REDIS_URL"] = f"{base}/{(int(number or 0) - offset) % 16}"
    os.environ["TEST_REDIS_MOVED_FOR"] = WORKER

from saas_platform.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = True
# Tasks run eagerly here, so a refill would clone inside every provisioning; tests that are about
# spare schemas ask for them.
PROVISIONING_SPARE_SCHEMAS = 0
PROVISIONING_SPARE_SCHEMAS_MAX = 0
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = BASE_DIR / "var" / "test-media" / (WORKER or "main")  # noqa: F405
