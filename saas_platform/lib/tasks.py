"""Queueing Celery tasks from services: after the transaction commits, in the current schema."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from saas_platform.lib.connection import connection


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Queue `task(*args)` once the current transaction commits, in the current schema.

    The schema is read now: by commit time the connection may have moved to another one.
    """
    schema_name = connection.schema_name

    def _send() -> None:
        task.apply_async(args=args, headers={"_schema_name": schema_name})

    transaction.on_commit(_send)
