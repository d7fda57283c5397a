"""The Stripe Connect webhook on the public host, /stripe/connect/webhook/: the events of every
organization's connected account (online gifts), verified by the endpoint's own signing secret
(STRIPE_CONNECT_WEBHOOK_SECRET), stored once by id in the public schema, and applied in the
schema of the organization the event's account belongs to, by a drain of the organization's
waiting events queued after commit (one at a time: an event stored while one is queued waits for
it); an event whose application failed, sent again, is applied again on its own."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shared_apps.billing.models import StripeEventOutcome
from shared_apps.billing.services.connect_events import (
    connect_event_pending,
    connect_event_receive,
    connect_events_drain_wanted,
)
from shared_apps.billing.services.events import WebhookRefused
from tenant_apps.donations.tasks import connect_event_apply as connect_event_apply_task
from tenant_apps.donations.tasks import connect_events_drain as connect_events_drain_task

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def connect_webhook(request: HttpRequest) -> HttpResponse:
    """200 once stored (a replay too, and an event for an account no organization has); 400
    with nothing stored when the signature or the payload is bad. Applying happens in the
    organization's schema after the answer: its failures are kept on the event for a retry."""
    try:
        event = connect_event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRefused as refusal:
        logger.warning("Stripe Connect webhook refused: %s", refusal.message)
        return JsonResponse({"error": {"status": 400, "message": refusal.message}}, status=400)
    organization = event.organization
    if organization is not None and connect_event_pending(event):
        if event.outcome == StripeEventOutcome.FAILED:
            # Stripe sent again an event whose application failed: it is applied again now,
            # on its own (a drain takes only events never applied; the quarter-hour retry
            # would take it later).
            event_id, schema_name = event.pk, organization.schema_name
            transaction.on_commit(
                lambda: connect_event_apply_task.apply_async(
                    args=(event_id,), headers={"_schema_name": schema_name}
                )
            )
        else:
            # Stored (committed) before the drain is woken: the drain reads it.
            transaction.on_commit(lambda: _drain_wake(organization.pk, organization.schema_name))
    return JsonResponse({"received": event.stripe_id, "outcome": event.outcome or "queued"})


def _drain_wake(organization_id: int, schema_name: str) -> None:
    """Queue a drain of the organization's waiting events, unless one is queued already."""
    if connect_events_drain_wanted(organization_id=organization_id):
        connect_events_drain_task.apply_async(
            args=(organization_id,), headers={"_schema_name": schema_name}
        )
