"""Stripe Connect webhook events (online giving): a delivery verified by the Connect endpoint's
own signing secret, stored once by its id, and routed by its `account` to the organization
whose connected account it is. Applying it is the organization's schema's work (donations),
which takes the event under lock and records its outcome here in its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import DataError, connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from saas_platform.lib.bulk import array_text
from saas_platform.lib.plain_reads import plain_objects, plain_values
from saas_platform.lib.redis_pool import redis_client
from shared_apps.billing.models import ConnectEvent, StripeEventOutcome
from shared_apps.billing.services.events import WebhookRefused, stripe_event_parse
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_routed

logger = logging.getLogger(__name__)

# The states of an organization whose connected account's events are applied in its schema.
APPLIED_IN_STATES = (OrganizationState.ACTIVE, OrganizationState.SUSPENDED)
# The outcomes of events still waiting to be applied: new, or failed and to be retried.
_WAITING = ("", StripeEventOutcome.FAILED)


def connect_event_receive(*, payload: bytes, signature: str) -> ConnectEvent:
    """Verify and store a Connect delivery once. A replay returns the stored row unchanged. An
    event whose account no organization has (or one being provisioned, failed or closed) is
    stored as ignored: answered, and no tenant touched. A suspended organization's events are
    still applied: the money is in its Stripe account, so the gift belongs in its books. Routed
    events wait (outcome empty) for their organization to apply them: `connect_event_pending`
    says whether one still does."""
    data = stripe_event_parse(
        payload,
        signature,
        secret=settings.STRIPE_CONNECT_WEBHOOK_SECRET,
        setting="STRIPE_CONNECT_WEBHOOK_SECRET",
    )
    account = data.get("account")
    account_id = account if isinstance(account, str) else ""
    organization = _organization_of_account(account_id) if account_id else None
    event = ConnectEvent(
        stripe_id=data["id"],
        type=data["type"],
        account_id=account_id[:255],
        created=datetime.fromtimestamp(data["created"], tz=UTC),
        livemode=bool(data.get("livemode")),
        payload=data,
        received_at=timezone.now(),
        organization=organization,
    )
    if organization is None:
        event.outcome = StripeEventOutcome.IGNORED
        event.outcome_detail = "No organization that takes gifts has this Stripe account."
        event.processed_at = event.received_at
    try:
        stored = _connect_event_insert(event, payload=payload.decode())
    except DataError:
        raise WebhookRefused("The event cannot be stored.") from None
    if not stored:
        logger.info("Connect event %s received again", event.stripe_id)
        return ConnectEvent.objects.select_related("organization").get(stripe_id=event.stripe_id)
    return event


def _organization_of_account(account_id: str) -> Organization | None:
    """The organization that connected the account and whose events are applied, as routing
    an event needs it: its id and schema name, the rest of its fields deferred (read if asked
    for). Read once a routing generation by each process, as a host's organization is
    (organization_routed): a connect, a disconnect or a change of state saves the organization,
    which starts a new generation, so an event is routed by what the table says within a second
    of the change. A second delivery of an account costs no statement: its planning alone was
    a tenth of a millisecond, on every delivery."""
    return organization_routed(
        f"stripe-account:{account_id}", lambda: _organization_of_account_read(account_id)
    )


def _organization_of_account_read(account_id: str) -> Organization | None:
    """The lookup itself, in one plain statement: on the webhook's path, building the ORM's
    query for the whole row cost more than running it."""
    table = connection.ops.quote_name(Organization._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, schema_name FROM {table} "  # noqa: S608 - the model's table
            "WHERE stripe_account_id = %s AND state = ANY(%s) ORDER BY id LIMIT 1",
            [account_id, [str(state) for state in APPLIED_IN_STATES]],
        )
        row = cursor.fetchone()
    return Organization.from_db(connection.alias, ["id", "schema_name"], row) if row else None


def _connect_event_insert(event: ConnectEvent, *, payload: str) -> bool:
    """Store the event unless its id is stored already, in one statement (a delivery and its
    replay may arrive at the same moment: one stores it, the other finds it); whether it was
    stored. Sets the new row's id on `event`. `payload` is the delivery's text, verified JSON
    that event.payload was parsed from: stored as it is, not written out again."""
    fields = [field for field in ConnectEvent._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column or field.attname) for field in fields)
    placeholders = ", ".join("%s::jsonb" if field.name == "payload" else "%s" for field in fields)
    values = [
        payload
        if field.name == "payload"
        else field.get_db_prep_save(getattr(event, field.attname), connection)
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the model; values are parameters.
            f"INSERT INTO {quote(ConnectEvent._meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES ({placeholders}) "
            "ON CONFLICT (stripe_id) DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding = False
    return True


def connect_event_pending(event: ConnectEvent) -> bool:
    """Whether the event still waits for its organization to apply it (new, or failed)."""
    return event.organization_id is not None and event.outcome in (
        "",
        StripeEventOutcome.FAILED,
    )


def connect_events_waiting(*, received_before: datetime) -> list[tuple[int, int, str, bool]]:
    """The events still waiting for their organization (new ones whose drain was lost, or
    failed ones) received before `received_before`, as (event id, organization id, schema name,
    failed), oldest first; only those of organizations whose events are applied
    (APPLIED_IN_STATES)."""
    return [
        (pk, organization_id, schema_name, outcome == StripeEventOutcome.FAILED)
        for pk, organization_id, schema_name, outcome in ConnectEvent.objects.filter(
            organization__state__in=APPLIED_IN_STATES,
            outcome__in=_WAITING,
            received_at__lt=received_before,
        )
        .order_by("created", "id")
        .values_list("pk", "organization_id", "organization__schema_name", "outcome")
    ]


@dataclass(frozen=True)
class ConnectBacklog:
    """Online giving's events across the platform, as operators watch them."""

    # Waiting to be applied: new, or failed and waiting for the quarter-hour retry.
    waiting: int
    # When the oldest of them arrived; None when none waits.
    oldest_received_at: datetime | None
    # Charged at Stripe and not in the books until an operator queues them again.
    needing_attention: int
    # The organizations (slugs, in order) whose events those are.
    attention_organizations: tuple[str, ...] = ()


def connect_events_backlog() -> ConnectBacklog:
    """The events of organizations whose events are applied that are still waiting or need
    attention, in one statement over the index of pending events (connectevent_pending): of
    the applied and ignored events, nearly all of the table, it reads only the earlier
    (waiting) versions autovacuum has not cleaned yet."""
    found = ConnectEvent.objects.filter(
        outcome__in=[*_WAITING, StripeEventOutcome.NEEDS_ATTENTION],
        organization__state__in=APPLIED_IN_STATES,
    ).aggregate(
        waiting=Count("pk", filter=Q(outcome__in=_WAITING)),
        oldest=Min("received_at", filter=Q(outcome__in=_WAITING)),
        attention=Count("pk", filter=Q(outcome=StripeEventOutcome.NEEDS_ATTENTION)),
        attention_organizations=ArrayAgg(
            "organization__slug",
            distinct=True,
            filter=Q(outcome=StripeEventOutcome.NEEDS_ATTENTION),
            default=[],
        ),
    )
    return ConnectBacklog(
        waiting=found["waiting"],
        oldest_received_at=found["oldest"],
        needing_attention=found["attention"],
        attention_organizations=tuple(sorted(found["attention_organizations"])),
    )


# How long a wake-up stays set without its drain starting (a task lost with its worker): the
# next event stored after that queues a drain again; the quarter-hour retry is the backstop.
DRAIN_WAKE_UP_SECONDS = 30


def _drain_key(organization_id: int) -> str:
    return f"connect-events-drain:{organization_id}"


def connect_events_drain_wanted(*, organization_id: int) -> bool:
    """Whether a drain of the organization's waiting events should be queued now: only when
    none is queued yet (a flag in Redis, set here), so that a burst of events wakes one drain,
    not one task an event. Redis not answering queues one anyway."""
    try:
        return bool(
            redis_client().set(_drain_key(organization_id), "1", nx=True, ex=DRAIN_WAKE_UP_SECONDS)
        )
    except redis.RedisError:
        return True


def connect_events_drain_started(*, organization_id: int) -> None:
    """A drain starting clears its flag before it reads the waiting events: an event stored
    from now on queues the next drain, and one stored before is among those it reads, so no
    event is left waiting for a drain that never comes."""
    try:
        redis_client().delete(_drain_key(organization_id))
    except redis.RedisError:
        logger.warning("The drain flag of organization %s could not be cleared", organization_id)


def connect_events_new(*, organization_id: int, limit: int) -> list[ConnectEvent]:
    """Up to `limit` of the organization's events waiting for their first application, oldest
    first (failed ones wait for connect_events_retry), leaving out those another worker is
    applying: a second drain reads the events the first has not taken."""
    with transaction.atomic():
        return plain_objects(
            ConnectEvent,
            "SELECT {columns} FROM {table} WHERE organization_id = %s AND outcome = '' "
            "ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED",
            [organization_id, limit],
        )


def connect_events_taken(*, organization_id: int, event_ids: list[int]) -> set[int]:
    """Those of `event_ids` still waiting, locked until the caller's transaction ends; an
    event another worker holds is skipped (it is applying it), never waited for. Only their
    ids are read: an event's payload never changes once stored, so the caller's copy read
    before is the one to apply."""
    rows = plain_values(
        "SELECT id FROM {event} WHERE id = ANY(%s) AND organization_id = %s AND outcome = '' "
        "ORDER BY created, id FOR UPDATE SKIP LOCKED",
        [list(event_ids), organization_id],
        event=ConnectEvent,
    )
    return {event_id for (event_id,) in rows}


def connect_events_outcomes_record(*, outcomes: Mapping[int, tuple[str, str]]) -> int:
    """What came of applying many events, (outcome, detail) by event id, written in one
    statement in the caller's transaction; returns how many events were written."""
    if not outcomes:
        return 0
    table = connection.ops.quote_name(ConnectEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET outcome = given.outcome, "  # noqa: S608 - the model's table
            "outcome_detail = given.detail, processed_at = %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS given(id, outcome, detail) "
            f"WHERE {table}.id = given.id",
            [
                timezone.now(),
                array_text(list(outcomes)),
                array_text([outcome for outcome, _ in outcomes.values()]),
                array_text([detail[:2000] for _, detail in outcomes.values()]),
            ],
        )
        return cursor.rowcount


def connect_event_locked(event_id: int) -> ConnectEvent:
    """The event, locked until the caller's transaction ends: one application at a time."""
    return ConnectEvent.objects.select_for_update().get(pk=event_id)


def connect_event_outcome_record(*, event: ConnectEvent, outcome: str, detail: str) -> None:
    """What came of applying the event, written in the caller's transaction."""
    event.outcome = outcome
    event.outcome_detail = detail[:2000]
    event.processed_at = timezone.now()
    event.save(update_fields=["outcome", "outcome_detail", "processed_at"])


# Failed applications of an event before it is left for an operator: with the quarter-hour
# retry, about two and a half hours of a transient failure (Stripe or the database not
# answering).
CONNECT_EVENT_MAX_ATTEMPTS = 10


def connect_event_failure_record(*, event: ConnectEvent, detail: str, permanent: bool) -> str:
    """A failed application, written in the caller's transaction; returns the outcome. A
    permanent failure (the event cannot be applied as things stand) needs attention at once; a
    transient one is retried, up to CONNECT_EVENT_MAX_ATTEMPTS failures, then needs attention."""
    event.attempts += 1
    if permanent:
        outcome = StripeEventOutcome.NEEDS_ATTENTION
    elif event.attempts >= CONNECT_EVENT_MAX_ATTEMPTS:
        outcome = StripeEventOutcome.NEEDS_ATTENTION
        detail = f"Gave up after {event.attempts} failed attempts. Last: {detail}"
    else:
        outcome = StripeEventOutcome.FAILED
    event.outcome = outcome
    event.outcome_detail = detail[:2000]
    event.processed_at = timezone.now()
    event.save(update_fields=["outcome", "outcome_detail", "processed_at", "attempts"])
    return outcome


def connect_events_queue_again(event_ids: list[int]) -> int:
    """Operators, once the cause is dealt with (the plan raised, the month reopened): the
    events needing attention among `event_ids` wait again, with their attempts counted afresh,
    and the quarter-hour retry applies them. Returns how many."""
    return ConnectEvent.objects.filter(
        pk__in=event_ids,
        outcome=StripeEventOutcome.NEEDS_ATTENTION,
        organization__isnull=False,
    ).update(outcome="", attempts=0, processed_at=None)
