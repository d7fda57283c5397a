"""Development settings: `make run` on a laptop, tenants at http://<slug>.localhost:8000/."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "dev-only-secret-key-never-used-in-production-0123456789"
)
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("PLATFORM_PORT", "8000")

from saas_platform.settings.base import *  # noqa: E402,F403
