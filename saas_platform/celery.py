"""The Celery application. Tasks run in the schema of the tenant that queued them
(tenant-schemas-celery puts the schema in the message headers)."""

from __future__ import annotations

import os
from typing import Any

from django.db import transaction
from tenant_schemas_celery.app import CeleryApp

from shared_apps.tenants.connection import connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

app = CeleryApp("ifm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Queue `task(*args)` once the current transaction commits, in the current schema.

    The schema is read now: by commit time the connection may have moved to another one.
    """
    schema_name = connection.schema_name

    def _send() -> None:
        task.apply_async(args=args, headers={"_schema_name": schema_name})

    transaction.on_commit(_send)
