"""Background work of provisioning. Tasks take ids and run in the tenant's schema."""

from __future__ import annotations

from celery import shared_task

from shared_apps.tenants.models import Organization


# A mail server that cannot be reached (any OSError: refused, timed out, SMTP errors) is
# tried again later, further apart each time.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def tenant_welcome_email_send(organization_id: int) -> None:
    # Imported when the task runs: the services import this module to queue it.
    from provisioning.services import tenant_welcome_email_send as send

    send(organization=Organization.objects.get(pk=organization_id))


@shared_task(ignore_result=True)
def spares_refill() -> int:
    """Top up the spare schemas new tenants are made from (runs in the public schema)."""
    # Imported when the task runs: the services import this module to queue it.
    from provisioning.spares import spares_refill as refill

    return refill()
