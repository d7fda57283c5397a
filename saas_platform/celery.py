"""The Celery application. Tasks run in the schema of the tenant that queued them
(tenant-schemas-celery puts the schema in the message headers).

Operations hook in here too: every worker records a heartbeat in Redis on a timer of its own
(HEALTH_HEARTBEAT_SECONDS), beat queues `beat_heartbeat` every minute, and each finished task
is counted for /metrics (saas_platform.lib.health, saas_platform.lib.metrics).
"""

from __future__ import annotations

import os
from typing import Any

from celery import bootsteps
from celery.signals import task_failure, task_retry, task_success, worker_process_init
from django.conf import settings
from tenant_schemas_celery.app import CeleryApp

from saas_platform.lib.health import heartbeat_record
from saas_platform.lib.metrics import task_outcome_record

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

app = CeleryApp("ifm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _worker_process_init(**_: object) -> None:
    # A worker's statements may run longer than a web request's.
    from django.conf import settings

    from saas_platform.lib.statement_timeout import statement_timeout_set

    statement_timeout_set(settings.WORKER_STATEMENT_TIMEOUT_MS)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Records the worker's heartbeat at start and then on the worker's own timer: a worker
    whose event loop is stuck stops recording, and /readyz calls it stale."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_entry: Any = None

    def start(self, worker: Any) -> None:
        heartbeat_record("worker")
        self.timer_entry = worker.timer.call_repeatedly(
            settings.HEALTH_HEARTBEAT_SECONDS, heartbeat_record, ("worker",)
        )

    def stop(self, worker: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None


app.steps["worker"].add(WorkerHeartbeat)


@app.task(ignore_result=True)
def beat_heartbeat() -> None:
    """Queued by beat every minute (CELERY_BEAT_SCHEDULE): its run says beat is scheduling."""
    heartbeat_record("beat")


def _task_name(sender: Any) -> str:
    return str(getattr(sender, "name", None) or sender)


@task_success.connect
def _task_succeeded(sender: Any = None, **kwargs: Any) -> None:
    task_outcome_record(task_name=_task_name(sender), outcome="succeeded")


@task_failure.connect
def _task_failed(sender: Any = None, **kwargs: Any) -> None:
    task_outcome_record(task_name=_task_name(sender), outcome="failed")


@task_retry.connect
def _task_retried(sender: Any = None, **kwargs: Any) -> None:
    # task_retry's sender is the request; its task's name is what a person looks for.
    request = kwargs.get("request")
    name = getattr(request, "task", None) or _task_name(sender)
    task_outcome_record(task_name=str(name), outcome="retried")
