"""A real Celery worker, fed through Redis, runs a task in the schema of the tenant that
queued it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_success
from django.core import mail
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker, Settings

from provisioning.tasks import tenant_welcome_email_send
from saas_platform.celery import app
from saas_platform.lib.connection import connection
from saas_platform.lib.request_context import request_id_var
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.models import Organization


@pytest.fixture
def real_worker(settings: Settings) -> Iterator[None]:
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        for queue in settings.CELERY_WORKER_QUEUES:
            conn.default_channel.queue_purge(queue)
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues="default,provisioning,imports,email,webhooks",
        ):
            yield
    finally:
        app.conf.task_always_eager = True


def _wait_for_mail(count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_task_runs_in_the_schema_of_the_tenant_that_queued_it(
    committed_tenant: Organization, real_worker: None, django_db_blocker: DjangoDbBlocker
) -> None:
    ran = []

    def record(sender: object, **kwargs: object) -> None:
        ran.append((threading.get_ident(), connection.schema_name, request_id_var.get()))

    task_success.connect(record, weak=False)
    mail.outbox.clear()
    with django_db_blocker.unblock():
        # queued while a request is answered: the task's log lines carry that request's id
        token = request_id_var.set("request-queued-0001")
        with schema_context(committed_tenant.schema_name):
            # queued from the tenant's schema; the worker must find the owner in that schema
            enqueue_on_commit(tenant_welcome_email_send, committed_tenant.pk)
        request_id_var.reset(token)
        assert connection.schema_name == "public"

        _wait_for_mail(1)
        # task_success is sent after the task's body returned, the mail already out
        deadline = time.monotonic() + 30
        while not ran and time.monotonic() < deadline:
            time.sleep(0.01)
    task_success.disconnect(record)

    # it ran in the worker's thread, not here, in the tenant's schema, with the request's id
    assert ran == [(ran[0][0], committed_tenant.schema_name, "request-queued-0001")]
    assert ran[0][0] != threading.get_ident()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [f"owner@{committed_tenant.slug}.org"]
    assert f"http://{committed_tenant.slug}.localhost/accounts/login/" in message.body


def test_task_queued_from_another_schema_refuses_to_run(
    committed_tenant: Organization, django_db_blocker: DjangoDbBlocker
) -> None:
    """The task checks where it runs: queued from the public schema, it does not send."""
    with django_db_blocker.unblock(), pytest.raises(RuntimeError, match="ran in schema public"):
        tenant_welcome_email_send.delay(committed_tenant.pk)


def test_a_running_worker_and_beats_task_leave_their_heartbeats(
    real_worker: None, settings: Settings
) -> None:
    """What /readyz reads: the worker's own heartbeat, recorded as it starts and then on its
    timer, and the beat task's, recorded when a worker runs what beat queued."""
    from saas_platform.lib.health import heartbeat_age
    from saas_platform.worker_operations import beat_heartbeat

    worker_age = heartbeat_age("worker")
    assert worker_age is not None and worker_age < 60

    assert heartbeat_age("beat") is None
    beat_heartbeat.delay()  # as beat sends it: through Redis, to the worker
    deadline = time.monotonic() + 30
    while heartbeat_age("beat") is None and time.monotonic() < deadline:
        time.sleep(0.05)

    beat_age = heartbeat_age("beat")
    assert beat_age is not None and beat_age < 60


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    committed_tenant: Organization, real_worker: None, django_db_blocker: DjangoDbBlocker
) -> None:
    """As a web process between requests (CONN_MAX_AGE): the second task runs on the backend
    the first one opened, not on a new connection."""
    backends: list[int] = []

    def record(sender: object, **kwargs: object) -> None:
        backends.append(connection.connection.info.backend_pid)

    task_success.connect(record, weak=False)
    mail.outbox.clear()
    try:
        with django_db_blocker.unblock():
            for sent in (1, 2):
                with schema_context(committed_tenant.schema_name):
                    enqueue_on_commit(tenant_welcome_email_send, committed_tenant.pk)
                _wait_for_mail(sent)
                deadline = time.monotonic() + 30
                while len(backends) < sent and time.monotonic() < deadline:
                    time.sleep(0.01)
    finally:
        task_success.disconnect(record)

    assert len(backends) == 2
    assert backends[0] == backends[1]
