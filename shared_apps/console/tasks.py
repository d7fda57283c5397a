"""Slow operator work, off the request: the pg_dump of a tenant's schema."""

from __future__ import annotations

from saas_platform.celery import app


@app.task(name="shared_apps.console.tasks.tenant_export_run")
def tenant_export_run(export_id: int) -> None:
    """Queued from the public schema; the export records its own outcome."""
    from shared_apps.console.services import tenant_export_perform

    tenant_export_perform(export_id=export_id)
