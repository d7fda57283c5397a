"""The Celery application. Tasks run in the schema of the tenant that queued them
(tenant-schemas-celery puts the schema in the message headers)."""

from __future__ import annotations

import os

from celery.signals import worker_process_init
from tenant_schemas_celery.app import CeleryApp

from saas_platform.worker_operations import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

app = CeleryApp("ifm")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The worker's heartbeat; task metrics and request ids (saas_platform/worker_operations.py).
app.steps["worker"].add(WorkerHeartbeat)
app.autodiscover_tasks()


@worker_process_init.connect
def _worker_process_init(**_: object) -> None:
    # A worker's statements may run longer than a web request's.
    from django.conf import settings

    from saas_platform.lib.statement_timeout import statement_timeout_set

    statement_timeout_set(settings.WORKER_STATEMENT_TIMEOUT_MS)
