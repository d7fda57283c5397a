"""The Celery application. Tasks run in the schema of the tenant that queued them
(tenant-schemas-celery puts the schema in the message headers)."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

app = CeleryApp("ifm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
