"""Development settings: `make run` on a laptop, tenants at http://<slug>.localhost:8000/."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "dev-only-secret-key-never-used-in-production-0123456789"
)
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("PLATFORM_PORT", "8000")
# One log line per email (recipient, subject, first link) rather than its MIME text.
os.environ.setdefault("EMAIL_BACKEND", "saas_platform.lib.mail.OneLineEmailBackend")

from saas_platform.settings.base import *  # noqa: E402,F403
