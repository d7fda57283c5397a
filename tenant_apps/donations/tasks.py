"""Background work of donations: receipts and year-end statements, tribute notices, CSV imports
and recurring gifts. Tasks take ids, run in the schema of the tenant that queued them, and call a
service."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from saas_platform.lib.connection import connection
from shared_apps.billing.services.connect_events import connect_events_waiting
from shared_apps.tenants.tasks import organization_of_task, queue_in_every_active_tenant

logger = logging.getLogger(__name__)

# How long a Connect event may wait for its first application before it is queued again.
CONNECT_EVENT_GRACE = timedelta(minutes=5)


@shared_task
def receipt_issue_for_gift(gift_id: int) -> int | None:
    """Issue the receipt of a gift just posted, when it needs one (see the service)."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipt_issue_for_posted_gift

    receipt = receipt_issue_for_posted_gift(gift_id=gift_id)
    return receipt.pk if receipt is not None else None


@shared_task
def receipt_issue_for_gifts(gift_ids: list[int]) -> int:
    """Issue the receipts of gifts just posted together (gifts_post), each as
    receipt_issue_for_gift issues one, together; returns how many were issued."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipts_issue_for_posted_gifts

    return len(receipts_issue_for_posted_gifts(gift_ids=gift_ids))


@shared_task
def receipt_void_for_refunded_gift(gift_id: int) -> int | None:
    """Void the receipt of a gift just refunded or voided, with a new version (see the service)."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipt_void_for_refunded_gift as void

    receipt = void(gift_id=gift_id)
    return receipt.pk if receipt is not None else None


@shared_task
def receipt_correct_for_part_refund(gift_id: int) -> int | None:
    """Correct the receipt of a gift just refunded in part to what remains (see the service)."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipt_correct_for_part_refund as correct

    receipt = correct(gift_id=gift_id)
    return receipt.pk if receipt is not None else None


@shared_task
def receipts_catch_up() -> int:
    """Void or correct the receipts of gifts refunded or voided while the receipt settings
    lacked what a receipt needs (see the service)."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipts_catch_up as catch_up

    return catch_up()


@shared_task
def receipts_catch_up_all(at_local_hour: int | None = None) -> int:
    """Hourly (CELERY_BEAT_SCHEDULE, with the hour of the organization's day it runs at): queue
    the receipts catch-up of every active tenant, each in its own schema, once a day. It is the
    backstop for a refund's or a void's follow-up that never ran (lost with its worker, or
    refused before the receipt settings' return queued the catch-up). Returns how many were
    queued."""
    return queue_in_every_active_tenant(receipts_catch_up_run, at_local_hour=at_local_hour)


@shared_task
def receipts_catch_up_run(organization_id: int) -> int:
    """The receipts catch-up of one tenant (see the service); returns how many new versions
    were issued."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipts_catch_up as catch_up

    with organization_of_task(organization_id, what="Receipts catch-up"):
        return catch_up()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def receipt_email(receipt_id: int) -> bool:
    """Email a receipt to its donor; a mail server that cannot be reached is retried."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.models import Receipt
    from tenant_apps.donations.services.receipts import receipt_email_send

    receipt = Receipt.objects.select_related("donor").filter(pk=receipt_id).first()
    if receipt is None:
        logger.warning("receipt %s to email does not exist", receipt_id)
        return False
    return receipt_email_send(receipt=receipt)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def receipt_emails(receipt_ids: list[int]) -> int:
    """Email receipts issued together (see the service); a mail server that cannot be reached
    is retried, for the receipts not sent yet."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.receipts import receipts_email_send

    return receipts_email_send(receipt_ids=receipt_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def tribute_notice_email_send(gift_id: int) -> bool:
    """Tell the person a gift's tribute names of the gift, once (see the service); a mail
    server that cannot be reached is retried."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.tributes import gift_tribute_notice_send

    return gift_tribute_notice_send(gift_id=gift_id)


@shared_task
def statements_run(token: str, year: int, tag_id: int | None) -> str:
    """Issue a year's statements and gather their PDFs in a ZIP (see services.statements).
    Not retried: a failure is recorded in the run's progress for the page to show."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.statements import statements_run as run

    return run(token=token, year=year, tag_id=tag_id)["state"]


@shared_task
def import_run(job_id: int) -> None:
    """Import an uploaded CSV file. Not retried: a job runs once (the service claims it), and
    a failure is recorded on the job for the person who uploaded it."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.imports import import_run as run

    run(job_id=job_id)


@shared_task
def recurring_gifts_run_all(at_local_hour: int | None = None) -> int:
    """Hourly (CELERY_BEAT_SCHEDULE, with the hour of the organization's day it runs at): queue
    the recurring-gifts run of every active tenant, each in its own schema. Suspended, failed or
    closed tenants are skipped. Returns how many were queued."""
    return queue_in_every_active_tenant(recurring_gifts_run, at_local_hour=at_local_hour)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def recurring_gifts_run(organization_id: int) -> None:
    """Make the tenant's due recurring gifts (drafts). Safe to run twice on a day."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.donations.services.recurring import recurring_gifts_run as run

    with organization_of_task(organization_id, what="Recurring gifts") as organization:
        result = run(today=timezone.localdate())
    logger.info(
        "Recurring gifts of %s: %d gifts made, %d recurring gifts failed",
        organization.schema_name,
        len(result.created),
        len(result.failed),
    )


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def connect_event_apply(event_id: int) -> str:
    """Apply a stored Stripe Connect event (an online gift) in the schema of the organization
    its account is; queued by the Connect webhook with that schema in the headers."""
    # Imported when the task runs: the webhook's module imports this one to queue it.
    from tenant_apps.donations.services.online_events import connect_event_apply as apply

    return apply(event_id=event_id)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def connect_events_drain(organization_id: int) -> int:
    """Apply an organization's waiting Stripe Connect events a batch at a time, in its schema;
    queued by the Connect webhook when no drain of the organization is queued yet, and by
    itself when it hands over with events still waiting. Returns how many it took."""
    # Imported when the task runs: the webhook's module imports this one to queue it.
    from shared_apps.billing.services.connect_events import connect_events_drain_wanted
    from tenant_apps.donations.services.online_batches import connect_events_drain as drain

    taken, more = drain(organization_id=organization_id)
    if more and connect_events_drain_wanted(organization_id=organization_id):
        connect_events_drain.apply_async(
            args=(organization_id,), headers={"_schema_name": connection.schema_name}
        )
    return taken


@shared_task
def connect_events_retry() -> int:
    """Every quarter hour (CELERY_BEAT_SCHEDULE): queue again, each in its organization's
    schema, the Connect events still waiting a few minutes after they arrived. Stripe does not
    send them again: the webhook answered 200. New ones (their drain lost with its worker, or a
    backlog left while the worker was down) wake one drain of their organization, which
    applies them a batch at a time; failed ones (Stripe not answering for the fee) are applied
    again one at a time, as drains take only new events. Returns how many were queued."""
    waiting = connect_events_waiting(received_before=timezone.now() - CONNECT_EVENT_GRACE)
    drained: set[int] = set()
    for event_id, organization_id, schema_name, failed in waiting:
        headers = {"_schema_name": schema_name}
        if failed:
            connect_event_apply.apply_async(args=(event_id,), headers=headers)
        elif organization_id not in drained:
            drained.add(organization_id)
            connect_events_drain.apply_async(args=(organization_id,), headers=headers)
    return len(waiting)
