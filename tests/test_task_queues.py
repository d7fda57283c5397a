"""The workers' queues, time limits and statement timeouts: every task has a queue that the
deployed workers listen to and a time limit; web requests, reports and workers each have their
own limit on a database statement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from saas_platform.celery import app
from saas_platform.lib.statement_timeout import report_statements
from tests.plugin import python_printed

ROOT = Path(__file__).resolve().parent.parent
QUEUES = settings.CELERY_WORKER_QUEUES


def _project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def _queue_of(name: str) -> str:
    route = app.amqp.router.route({}, name)
    return str(route["queue"].name)


def test_every_task_goes_to_a_queue_the_workers_serve() -> None:
    tasks = _project_tasks()
    assert len(tasks) > 15
    assert {name: _queue_of(name) for name in tasks if _queue_of(name) not in QUEUES} == {}


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("tenant_apps.donations.tasks.import_run", "imports"),
        ("tenant_apps.donations.tasks.statements_run", "imports"),
        ("tenant_apps.checks.tasks.scan_upload_read", "imports"),
        ("shared_apps.console.tasks.tenant_export_run", "imports"),
        ("provisioning.tasks.tenant_backup_run", "imports"),
        ("tenant_apps.donations.tasks.receipt_email", "email"),
        ("tenant_apps.donations.tasks.receipt_issue_for_gift", "email"),
        ("tenant_apps.donations.tasks.tribute_notice_email_send", "email"),
        ("shared_apps.onboarding.tasks.signup_verification_email_send", "email"),
        ("provisioning.tasks.tenant_welcome_email_send", "email"),
        ("tenant_apps.donations.tasks.connect_event_apply", "webhooks"),
        ("provisioning.tasks.spares_refill", "provisioning"),
        ("shared_apps.onboarding.tasks.signup_provision", "provisioning"),
        ("tenant_apps.accounting.tasks.time_releases_run", "default"),
        ("shared_apps.billing.tasks.billing_grace_enforce", "default"),
    ],
)
def test_tasks_go_to_the_queue_of_their_kind(task: str, queue: str) -> None:
    assert task in _project_tasks()
    assert _queue_of(task) == queue


def test_every_task_has_a_soft_limit_before_its_hard_one() -> None:
    limits = {
        name: (app.tasks[name].soft_time_limit, app.tasks[name].time_limit)
        for name in _project_tasks()
    }
    for name, (soft, hard) in limits.items():
        assert soft and hard and soft < hard, name
    assert limits["tenant_apps.donations.tasks.import_run"] == (1_800, 1_860)
    assert limits["tenant_apps.donations.tasks.receipt_email"] == (60, 90)  # the defaults


@pytest.mark.parametrize(
    "task",
    [
        "tenant_apps.donations.tasks.receipt_email",
        "shared_apps.onboarding.tasks.signup_verification_email_send",
        "provisioning.tasks.tenant_welcome_email_send",
    ],
)
def test_mail_that_cannot_go_is_tried_again_later(task: str) -> None:
    sender = app.tasks[task]
    assert OSError in sender.autoretry_for
    assert sender.retry_backoff and sender.max_retries == 5


@pytest.mark.parametrize(
    "path",
    [
        "Makefile",
        "docker-compose.yml",
        "deploy/kubernetes/worker.yaml",
        "tests/test_celery_worker.py",
        "tests/browser/conftest.py",
    ],
)
def test_every_worker_command_serves_every_queue(path: str) -> None:
    text = (ROOT / path).read_text()
    assert ",".join(QUEUES) in text, f"{path} does not start a worker on {','.join(QUEUES)}"


def test_a_report_allows_its_own_transaction_the_report_limit(db: None) -> None:
    with connection.cursor() as cursor, report_statements():
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("2min",)


def test_a_report_runs_under_the_report_limit(
    bookkeeper: APIClient, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    with count_queries() as queries:
        response = bookkeeper.get("/api/v1/accounting/reports/trial-balance/")
    assert response.status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    limit = [number for number, sql in enumerate(statements) if "'statement_timeout'" in sql]
    assert limit and "120000" in statements[limit[0]]
    reads = [number for number, sql in enumerate(statements) if "accounting_" in sql]
    assert reads and min(reads) > limit[0]


def test_web_and_worker_processes_give_their_connections_their_limits() -> None:
    """In a process of its own, as gunicorn and a Celery worker start: the web's WSGI module
    sets the web's limit; the worker's process signal then sets the worker's."""
    script = (
        "import saas_platform.wsgi\n"
        "from celery.signals import worker_process_init\n"
        "from django.db import connection\n"
        "import saas_platform.celery\n"
        "def show():\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])\n"
        "        cursor.execute('SHOW jit'); print(cursor.fetchone()[0])\n"
        "show()\n"
        "worker_process_init.send(sender=None)\n"
        "show()\n"
    )
    assert python_printed(script, WORKER_STATEMENT_TIMEOUT_MS="600000") == [
        "30s",
        "off",
        "10min",
        "off",
    ]


def test_the_asgi_module_gives_its_connections_the_webs_limit() -> None:
    """Served over ASGI, a web request's statements have the same limit as over WSGI."""
    script = (
        "import saas_platform.asgi\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])\n"
    )
    assert python_printed(script, DATABASE_STATEMENT_TIMEOUT_MS="45000") == ["45s"]


def test_a_worker_whose_connection_the_server_ended_reconnects_for_its_next_task() -> None:
    """In a process of its own, as a worker runs tasks: a connection kept from one task to the
    next (CELERY_DB_REUSE_MAX) that the server ended in between (a restart, a failover,
    pg_terminate_backend) is closed by the signal sent before the next task, so the task's
    first query opens a new one instead of failing; a task run eagerly, inside its caller's
    transaction, leaves the connection alone."""
    script = (
        "import select, types\n"
        "import django\n"
        "import saas_platform.celery\n"
        "django.setup()  # as the worker's Django fix-up does\n"
        "from celery.signals import task_prerun\n"
        "from django.db import connection\n"
        "import psycopg2\n"
        "def pid():\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT pg_backend_pid()'); return cursor.fetchone()[0]\n"
        "def ended(number):\n"
        "    killer = psycopg2.connect(**connection.get_connection_params())\n"
        "    killer.autocommit = True\n"
        "    killer.cursor().execute('SELECT pg_terminate_backend(%s)', [number])\n"
        "    killer.close()\n"
        "    select.select([connection.connection.fileno()], [], [], 5)\n"
        "def task(eager):\n"
        "    return types.SimpleNamespace(request=types.SimpleNamespace(is_eager=eager))\n"
        "first = pid()\n"
        "task_prerun.send(sender=None, task=task(False))\n"
        "print(pid() == first)\n"
        "ended(first)\n"
        "task_prerun.send(sender=None, task=task(True))\n"
        "print(connection.connection is not None)\n"
        "task_prerun.send(sender=None, task=task(False))\n"
        "second = pid()\n"
        "print(second != first)\n"
    )
    # kept while healthy; kept by an eager task's signal; replaced before the next task
    assert python_printed(script) == ["True", "True", "True"]
