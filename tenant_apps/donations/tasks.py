"""Background work of donations. Tasks take ids, run in the tenant's schema that queued them,
and call a service."""

from __future__ import annotations

from saas_platform.celery import app


@app.task
def import_run(job_id: int) -> None:
    """Import an uploaded CSV file. Not retried: a job runs once (the service claims it), and
    a failure is recorded on the job for the person who uploaded it."""
    from tenant_apps.donations.imports import import_run as run

    run(job_id=job_id)
