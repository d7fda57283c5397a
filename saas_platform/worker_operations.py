"""What the Celery processes do for operations: every worker records a heartbeat in Redis on a
timer of its own (HEALTH_HEARTBEAT_SECONDS), beat queues `beat_heartbeat` every minute, each
finished task is counted for /metrics (saas_platform.lib.health, saas_platform.lib.metrics), and
a task queued while a request is answered carries the request's id (the `ifm_request_id`
header), so that its log lines and error reports name the request that queued it.

saas_platform.celery adds `WorkerHeartbeat` to the worker's steps; importing this module
connects the signal handlers.
"""

from __future__ import annotations

from typing import Any

from celery import bootsteps, shared_task
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
)
from django.conf import settings

from saas_platform.lib.health import heartbeat_record
from saas_platform.lib.metrics import task_outcome_record
from saas_platform.lib.request_context import request_id_var


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


@shared_task(ignore_result=True, soft_time_limit=10, time_limit=20)
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


REQUEST_ID_HEADER = "ifm_request_id"


@before_task_publish.connect
def _request_id_sent(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id != "-":
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def _request_id_received(task: Any = None, **kwargs: Any) -> None:
    request_id = task.request.get(REQUEST_ID_HEADER) if task is not None else None
    if request_id:
        task.request.ifm_request_id_token = request_id_var.set(str(request_id))


@task_postrun.connect
def _request_id_forgotten(task: Any = None, **kwargs: Any) -> None:
    token = getattr(task.request, "ifm_request_id_token", None) if task is not None else None
    if token is not None:
        request_id_var.reset(token)
        task.request.ifm_request_id_token = None
