"""The Celery application. Tasks run in the schema of the tenant that queued them
(tenant-schemas-celery puts the schema in the message headers)."""

from __future__ import annotations

import os
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_process_init
from django.db import close_old_connections
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


@task_prerun.connect
@task_postrun.connect
def _old_connections_closed(task: Any = None, **_: object) -> None:
    """Around each task, what Django does around each request: a connection older than
    CONN_MAX_AGE, or left unusable by an error, is closed (the next query opens another);
    the others are kept for the next task (CELERY_DB_REUSE_MAX). Not for a task run eagerly,
    inside its caller's transaction."""
    if task is not None and not getattr(task.request, "is_eager", False):
        close_old_connections()
