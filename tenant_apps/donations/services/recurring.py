"""Recurring gifts: a donor's standing gift of an amount every period. Each due date makes a
draft gift (recurring_gifts_run, daily from a Celery beat task in every active tenant) that a
person confirms and posts like any other gift. Also the donor-merge step for recurring gifts.

Each top-level service owns its transaction and writes its audit row; refusals raise
ServiceError or StateConflict with nothing written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse
from tenant_apps.accounting import services as accounting
from tenant_apps.core.services import actor_of, audit_record, changes_save
from tenant_apps.donations.models import (
    MONTHS_OF_FREQUENCY,
    RECURRING_METHODS,
    Campaign,
    Frequency,
    Gift,
    RecurringGift,
    RecurringGiftState,
)
from tenant_apps.donations.services.checks import (
    changes_check,
    date_required,
    donor_check,
    fund_check,
    text_check,
)
from tenant_apps.donations.services.gifts import gift_create
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donations.services.schedules import (
    first_on_or_after,
    frequency_check,
    months_added,
)
from tenant_apps.donors.models import Donor

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)


RECURRING_FIELDS = frozenset(
    {"amount", "frequency", "next_on", "end_on", "method", "fund", "campaign", "payment_reference"}
)


def _recurring_check(
    *, amount: Any, frequency: str, next_on: Any, end_on: Any, method: str, reference: str
) -> tuple[Decimal, date, str]:
    value = amount_parse(amount, field="amount")
    frequency_check(frequency)
    next_on = date_required(next_on, field="next_on")
    if end_on is not None and date_required(end_on, field="end_on") < next_on:
        raise ServiceError(
            "A recurring gift ends on or after its next date.",
            fields={"end_on": ["Before the next date."]},
        )
    if method not in RECURRING_METHODS:
        raise ServiceError(
            f"A recurring gift is given by {', '.join(RECURRING_METHODS)}. A donor gives monthly "
            'by card on the organization\'s giving page (/give/, "Monthly"): Stripe charges '
            "it and each payment is recorded as it is made.",
            fields={"method": ["Not a method for a recurring gift."]},
        )
    reference = text_check(reference, field="payment_reference")
    return value, next_on, reference


def _reference_free(reference: str, *, but: RecurringGift | None = None) -> None:
    taken = RecurringGift.objects.filter(payment_reference=reference)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if reference and taken.exists():
        raise StateConflict(f"A recurring gift with payment reference {reference} exists.")


def recurring_gift_create(
    *,
    donor: Donor,
    amount: Decimal | str,
    frequency: str,
    next_on: date,
    method: str,
    acting_user: User | None,
    fund: str = DEFAULT_FUND,
    campaign: Campaign | None = None,
    end_on: date | None = None,
    payment_reference: str = "",
) -> RecurringGift:
    """An active recurring gift; its first gift is made on `next_on`, then every period on
    the same day of the month (or the month's last day)."""
    donor_check(donor)
    value, next_on, reference = _recurring_check(
        amount=amount,
        frequency=frequency,
        next_on=next_on,
        end_on=end_on,
        method=method,
        reference=payment_reference,
    )
    fund_row = fund_check(fund)
    _reference_free(reference)
    with transaction.atomic():
        recurring = RecurringGift.objects.create(
            donor=donor,
            amount=value,
            currency=accounting.accounting_settings().currency,
            frequency=frequency,
            next_on=next_on,
            anchor_day=next_on.day,
            end_on=end_on,
            method=method,
            fund=fund_row,
            campaign=campaign,
            payment_reference=reference,
            created_by=actor_of(acting_user),
        )
        audit_record(
            "recurring_gift.create",
            acting_user=acting_user,
            obj=recurring,
            donor=donor.pk,
            amount=f"{value:.2f}",
            frequency=frequency,
        )
    return recurring


def _recurring_locked(recurring: RecurringGift) -> RecurringGift:
    return (
        RecurringGift.objects.select_for_update(no_key=True, of=("self",))
        .select_related("donor", "fund", "campaign")
        .get(pk=recurring.pk)
    )


STRIPE_MANAGED = (
    "Recurring gift {pk} is a monthly gift through Stripe: it is changed or cancelled at "
    "Stripe (in the organization's Stripe dashboard), and the change then shows here."
)


def _by_hand_only(recurring: RecurringGift) -> None:
    """A monthly gift through Stripe changes at Stripe only: changed here, it would say one
    thing while Stripe charges another."""
    if recurring.stripe_subscription_id:
        raise StateConflict(STRIPE_MANAGED.format(pk=recurring.pk))


def recurring_gift_update(
    *, recurring_gift: RecurringGift, acting_user: User | None, **changes: Any
) -> RecurringGift:
    """Change an active or paused recurring gift. A new next date sets the day of the month
    the schedule keeps; gifts already made stay as they are."""
    changes_check(changes, RECURRING_FIELDS, of="a recurring gift")
    with transaction.atomic():
        recurring = _recurring_locked(recurring_gift)
        _by_hand_only(recurring)
        if recurring.state in (RecurringGiftState.CANCELLED, RecurringGiftState.COMPLETED):
            raise StateConflict(f"Recurring gift {recurring.pk} is {recurring.state}.")
        merged = {name: getattr(recurring, name) for name in RECURRING_FIELDS - {"fund"}}
        merged.update({name: value for name, value in changes.items() if name != "fund"})
        value, next_on, reference = _recurring_check(
            amount=merged["amount"],
            frequency=merged["frequency"],
            next_on=merged["next_on"],
            end_on=merged["end_on"],
            method=merged["method"],
            reference=merged["payment_reference"],
        )
        _reference_free(reference, but=recurring)
        values = {
            "amount": value,
            "next_on": next_on,
            "payment_reference": reference,
            "frequency": merged["frequency"],
            "method": merged["method"],
            "end_on": merged["end_on"],
            "campaign": merged["campaign"],
        }
        if "fund" in changes:
            values["fund"] = fund_check(changes["fund"])
        if "next_on" in changes:
            values["anchor_day"] = next_on.day
        changes_save(
            recurring,
            values,
            action="recurring_gift.update",
            acting_user=acting_user,
            changed=sorted(changes),
        )
    return recurring


def recurring_gift_delete(*, recurring_gift: RecurringGift, acting_user: User | None) -> None:
    """Delete a recurring gift that has made no gift yet (one that has is cancelled: its gifts
    keep pointing at it)."""
    with transaction.atomic():
        recurring = _recurring_locked(recurring_gift)
        _by_hand_only(recurring)
        if recurring.gifts.exists():
            raise StateConflict(f"Recurring gift {recurring.pk} has made gifts; cancel it instead.")
        audit_record(
            "recurring_gift.delete",
            acting_user=acting_user,
            obj=recurring,
            donor=recurring.donor_id,
        )
        recurring.delete()


def _recurring_state_change(
    recurring_gift: RecurringGift,
    *,
    allowed: tuple[str, ...],
    to: str,
    action: str,
    acting_user: User | None,
    next_on: date | None = None,
    anchor_day: int | None = None,
) -> RecurringGift:
    with transaction.atomic():
        recurring = _recurring_locked(recurring_gift)
        _by_hand_only(recurring)
        if recurring.state not in allowed:
            raise StateConflict(
                f"Recurring gift {recurring.pk} is {recurring.state}; only "
                f"{' or '.join(allowed)} can be {action}d."
            )
        recurring.state = to
        fields = ["state", "updated_at"]
        if next_on is not None:
            recurring.next_on, recurring.anchor_day = next_on, anchor_day or recurring.anchor_day
            fields += ["next_on", "anchor_day"]
        recurring.save(update_fields=fields)
        audit_record(
            f"recurring_gift.{action}",
            acting_user=acting_user,
            obj=recurring,
            **({"next_on": next_on.isoformat()} if next_on is not None else {}),
        )
    return recurring


def recurring_gift_pause(
    *, recurring_gift: RecurringGift, acting_user: User | None
) -> RecurringGift:
    """Stop making gifts until resumed; the dates passed while paused are skipped."""
    return _recurring_state_change(
        recurring_gift,
        allowed=(RecurringGiftState.ACTIVE,),
        to=RecurringGiftState.PAUSED,
        action="pause",
        acting_user=acting_user,
    )


def recurring_gift_resume(
    *,
    recurring_gift: RecurringGift,
    acting_user: User | None,
    next_on: date | None = None,
    today: date | None = None,
) -> RecurringGift:
    """Make gifts again from `next_on`, or from the first date of the schedule on or after
    `today`: the dates that passed while it was paused are not caught up."""
    today = today or timezone.localdate()
    current = RecurringGift.objects.get(pk=recurring_gift.pk)
    anchor_day = None
    if next_on is not None:
        next_on = date_required(next_on, field="next_on")
        if next_on < today or (current.end_on is not None and next_on > current.end_on):
            raise ServiceError(
                "A resumed recurring gift's next date is from today to its end date.",
                fields={"next_on": ["In the past, or after the end date."]},
            )
        anchor_day = next_on.day  # a date given sets the day of the month kept from now on
    else:
        next_on = first_on_or_after(
            current.next_on, frequency=current.frequency, anchor_day=current.anchor_day, today=today
        )
    # A schedule that ran out while paused has nothing left to make.
    ended = current.end_on is not None and next_on > current.end_on
    return _recurring_state_change(
        recurring_gift,
        allowed=(RecurringGiftState.PAUSED,),
        to=RecurringGiftState.COMPLETED if ended else RecurringGiftState.ACTIVE,
        action="resume",
        acting_user=acting_user,
        next_on=next_on,
        anchor_day=anchor_day,
    )


def recurring_gift_cancel(
    *, recurring_gift: RecurringGift, acting_user: User | None
) -> RecurringGift:
    """No more gifts; the gifts already made (drafts included) stay."""
    return _recurring_state_change(
        recurring_gift,
        allowed=(RecurringGiftState.ACTIVE, RecurringGiftState.PAUSED),
        to=RecurringGiftState.CANCELLED,
        action="cancel",
        acting_user=acting_user,
    )


@dataclass
class RunResult:
    created: list[int] = field(default_factory=list)  # gift ids
    failed: dict[int, str] = field(default_factory=dict)  # recurring gift id -> why


def _recurring_run_one(recurring: RecurringGift, *, today: date) -> list[int]:
    """Make the gifts due up to `today` for one recurring gift and move its next date on
    (call in a transaction, with the row locked)."""
    step = MONTHS_OF_FREQUENCY[Frequency(recurring.frequency)]
    made = []
    while recurring.next_on <= today:
        if recurring.end_on is not None and recurring.next_on > recurring.end_on:
            break
        # The unique (recurring_gift, received_on) makes a second run harmless; this check
        # keeps it from being an error.
        if not Gift.objects.filter(
            recurring_gift=recurring, received_on=recurring.next_on
        ).exists():
            gift = gift_create(
                donor=recurring.donor,
                amount=recurring.amount,
                received_on=recurring.next_on,
                method=recurring.method,
                campaign=recurring.campaign,
                recurring_gift=recurring,
                acting_user=None,
            )
            made.append(gift.pk)
        recurring.next_on = months_added(recurring.next_on, step, anchor_day=recurring.anchor_day)
    fields = ["next_on", "updated_at"]
    if recurring.end_on is not None and recurring.next_on > recurring.end_on:
        recurring.state = RecurringGiftState.COMPLETED
        fields.append("state")
    recurring.save(update_fields=fields)
    return made


def recurring_gifts_run(*, today: date) -> RunResult:
    """Make the draft gifts due up to `today` for every active recurring gift, each in its own
    transaction: one that cannot be made (an inactive fund) is reported and retried on the next
    run, and does not hold the others back. Safe to run twice."""
    result = RunResult()
    # A monthly gift through Stripe is charged by Stripe; its gifts come from its invoices.
    due = RecurringGift.objects.filter(
        state=RecurringGiftState.ACTIVE, next_on__lte=today, stripe_subscription_id=""
    )
    for recurring_id in due.order_by("id").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                recurring = (
                    RecurringGift.objects.select_for_update(
                        skip_locked=True, no_key=True, of=("self",)
                    )
                    .select_related("donor", "fund", "campaign")
                    .filter(
                        pk=recurring_id, state=RecurringGiftState.ACTIVE, stripe_subscription_id=""
                    )
                    .first()
                )
                if recurring is None:  # changed, or being run elsewhere
                    continue
                made = _recurring_run_one(recurring, today=today)
                if made:
                    audit_record("recurring_gift.run", acting_user=None, obj=recurring, gifts=made)
                result.created += made
        except ServiceError as error:
            logger.warning("Recurring gift %s not run: %s", recurring_id, error.message)
            result.failed[recurring_id] = error.message
    return result


def merge_recurring_gifts(survivor: Donor, merged: Donor) -> dict[str, Any]:
    recurring = list(RecurringGift.objects.filter(donor=merged).values_list("pk", flat=True))
    RecurringGift.objects.filter(pk__in=recurring).update(donor=survivor, updated_at=timezone.now())
    return {"recurring_gifts": recurring}
