"""Pledges and recurring gifts: their writes (services) and the reads their lists need.

A pledge is an unconditional promise to give. Under ASC 958-605 it is revenue when it is made:
posting a pledge records Dr 1210 pledges receivable, Cr 4010 contributions, in the pledge's
fund, whose restriction decides the net-asset class. Its payments are gifts (Gift.pledge) that
credit 1210 instead of 4010 (donations.services); the pledge is fulfilled when they reach its
amount, and open again if one is refunded. What will not be collected is written off: Dr 4010
(a reduction of contributions), Cr 1210, in the same fund. A draft pledge is cancelled with no
entry; a posted one with no payments is cancelled by reversing its entry (recorded in error).

Not modeled: the present-value discount of pledges due after more than a year (ASC 958-310-30)
and the time restriction implied by payments due in later periods. The fund chosen decides the
class: a bookkeeper who wants the implied time restriction picks a time-restricted fund.

A recurring gift makes a draft gift on each due date (recurring_gifts_run, daily from a Celery
beat task in every active tenant); a person confirms and posts it like any other gift.

Each top-level service owns its transaction and writes its audit row; refusals raise
ServiceError or StateConflict with nothing written.
"""

from __future__ import annotations

import logging
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, Fund
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations import services
from tenant_apps.donations.models import (
    MONTHS_OF_FREQUENCY,
    RECURRING_METHODS,
    Campaign,
    Frequency,
    Gift,
    GiftState,
    Pledge,
    PledgeInstallment,
    PledgeState,
    RecurringGift,
    RecurringGiftState,
)
from tenant_apps.donors.models import Donor

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

MAX_INSTALLMENTS = 360  # thirty years of monthly payments
CENT = Decimal("0.01")
# Fields of a pledge that are in its journal entry: a posted pledge keeps them.
PLEDGE_LEDGER_FIELDS = frozenset({"donor", "amount", "fund", "pledged_on"})
PLEDGE_EDITABLE_FIELDS = frozenset({"campaign", "memo", "installments", "schedule"})


@dataclass(frozen=True)
class InstallmentSpec:
    due_on: date
    amount: Decimal | str


@dataclass(frozen=True)
class ScheduleSpec:
    """`count` payments, `frequency` apart, the first due on `first_due_on`."""

    count: int
    frequency: str
    first_due_on: date


# --- Dates ------------------------------------------------------------------------------------


def months_added(day: date, months: int, *, anchor_day: int) -> date:
    """`day` moved `months` later, on `anchor_day` or the month's last day if it is shorter:
    Jan 31 -> Feb 28 -> Mar 31."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(anchor_day, monthrange(year, month)[1]))


def _frequency_check(frequency: str) -> str:
    if frequency not in Frequency.values:
        raise ServiceError(
            f"A frequency is one of {', '.join(Frequency.values)}.",
            fields={"frequency": ["Unknown frequency."]},
        )
    return frequency


# --- Pledge schedules -------------------------------------------------------------------------


def schedule_split(*, amount: Decimal, schedule: ScheduleSpec) -> list[InstallmentSpec]:
    """`amount` in `schedule.count` installments that add up to it exactly: equal parts, the
    cents left over one each on the first installments."""
    count = schedule.count
    if not isinstance(count, int) or not 1 <= count <= MAX_INSTALLMENTS:
        raise ServiceError(
            f"A schedule has 1 to {MAX_INSTALLMENTS} installments.",
            fields={"schedule": [f"Count from 1 to {MAX_INSTALLMENTS}."]},
        )
    frequency = _frequency_check(schedule.frequency)
    first = services.date_required(schedule.first_due_on, field="schedule")
    if amount < CENT * count:
        raise ServiceError(
            f"{amount:.2f} cannot be split in {count} installments of at least 0.01.",
            fields={"schedule": ["Too many installments for the amount."]},
        )
    part = (amount / count).quantize(CENT, rounding=ROUND_DOWN)
    left_over = int((amount - part * count) / CENT)
    step = MONTHS_OF_FREQUENCY[Frequency(frequency)]
    return [
        InstallmentSpec(
            due_on=months_added(first, step * index, anchor_day=first.day),
            amount=part + CENT if index < left_over else part,
        )
        for index in range(count)
    ]


def _installments_build(
    specs: Sequence[InstallmentSpec], *, amount: Decimal, pledged_on: date
) -> list[PledgeInstallment]:
    if not specs:
        specs = [InstallmentSpec(due_on=pledged_on, amount=amount)]
    if len(specs) > MAX_INSTALLMENTS:
        raise ServiceError(
            f"A schedule has at most {MAX_INSTALLMENTS} installments.",
            fields={"installments": ["Too many."]},
        )
    rows, seen = [], set()
    for spec in specs:
        due_on = services.date_required(spec.due_on, field="installments")
        if due_on < pledged_on:
            raise ServiceError(
                f"An installment is due on {due_on}, before the pledge was made ({pledged_on}).",
                fields={"installments": ["Due before the pledge date."]},
            )
        if due_on in seen:
            raise ServiceError(
                f"Two installments are due on {due_on}; give one per date.",
                fields={"installments": ["One installment per date."]},
            )
        seen.add(due_on)
        rows.append(
            PledgeInstallment(due_on=due_on, amount=amount_parse(spec.amount, field="installments"))
        )
    total = sum((row.amount for row in rows), Decimal("0"))
    if total != amount:
        raise ServiceError(
            f"The installments add up to {total:.2f}, not the pledge's {amount:.2f}.",
            fields={"installments": ["They must add up to the amount."]},
        )
    return sorted(rows, key=lambda row: row.due_on)


def _schedule_of(
    *,
    installments: Sequence[InstallmentSpec] | None,
    schedule: ScheduleSpec | None,
    amount: Decimal,
    pledged_on: date,
) -> list[PledgeInstallment]:
    """The installments of an explicit list, of a (count, frequency, first date) schedule, or,
    with neither, one installment due on the day of the pledge."""
    if installments and schedule is not None:
        raise ServiceError(
            "Give the installments or a schedule to build them from, not both.",
            fields={"schedule": ["Not with installments."]},
        )
    specs = schedule_split(amount=amount, schedule=schedule) if schedule else installments or ()
    return _installments_build(specs, amount=amount, pledged_on=pledged_on)


@dataclass(frozen=True)
class InstallmentStatus:
    due_on: date
    amount: Decimal
    paid: Decimal
    written_off: Decimal
    status: str  # paid, partly_paid, unpaid, written_off


def installments_status(pledge: Pledge, *, paid_total: Decimal) -> list[InstallmentStatus]:
    """The schedule with what is paid: the posted payments settle installments in due order,
    then what was written off settles the rest. Computed, never stored: a refund or a new
    payment cannot leave it stale."""
    paid_left, written_off_left = paid_total, pledge.written_off_amount
    rows = []
    for installment in pledge.installments.all():  # prefetched in due order
        paid = min(paid_left, installment.amount)
        paid_left -= paid
        written_off = min(written_off_left, installment.amount - paid)
        written_off_left -= written_off
        if paid == installment.amount:
            status = "paid"
        elif written_off and paid + written_off == installment.amount:
            status = "written_off"
        elif paid:
            status = "partly_paid"
        else:
            status = "unpaid"
        rows.append(
            InstallmentStatus(
                due_on=installment.due_on,
                amount=installment.amount,
                paid=paid,
                written_off=written_off,
                status=status,
            )
        )
    return rows


# --- Pledges ----------------------------------------------------------------------------------


def _fund_check(code: str) -> Fund:
    fund = Fund.objects.filter(code=code).first()
    if fund is None or not fund.is_active:
        raise ServiceError(
            f"There is no active fund {code!r}.", fields={"fund": ["Unknown or inactive fund."]}
        )
    return fund


def _memo(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > 500:
        raise ServiceError("memo: at most 500 characters.", fields={"memo": ["Too long."]})
    return value


def pledge_create(
    *,
    donor: Donor,
    amount: Decimal | str,
    pledged_on: date,
    acting_user: User | None,
    fund: str = services.DEFAULT_FUND,
    campaign: Campaign | None = None,
    memo: str = "",
    installments: Sequence[InstallmentSpec] = (),
    schedule: ScheduleSpec | None = None,
) -> Pledge:
    """A draft pledge with its schedule. Nothing is in the books until pledge_post."""
    services.donor_check(donor)
    pledge_amount = amount_parse(amount, field="amount")
    pledged_on = services.date_required(pledged_on, field="pledged_on")
    fund_row = _fund_check(fund)
    memo = _memo(memo)
    rows = _schedule_of(
        installments=installments, schedule=schedule, amount=pledge_amount, pledged_on=pledged_on
    )
    with transaction.atomic():
        pledge = Pledge.objects.create(
            donor=donor,
            amount=pledge_amount,
            currency=accounting.accounting_settings().currency,
            fund=fund_row,
            campaign=campaign,
            pledged_on=pledged_on,
            memo=memo,
            created_by=actor_of(acting_user),
        )
        for row in rows:
            row.pledge = pledge
        PledgeInstallment.objects.bulk_create(rows)
        audit_record(
            "pledge.create",
            acting_user=acting_user,
            obj=pledge,
            donor=donor.pk,
            amount=f"{pledge_amount:.2f}",
            installments=len(rows),
        )
    return pledge


def _pledge_locked(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update().select_related("donor", "fund").get(pk=pledge.pk)


def pledge_update(*, pledge: Pledge, acting_user: User | None, **changes: Any) -> Pledge:
    """Change a pledge. A draft changes freely; a posted one keeps what its entry says (donor,
    amount, fund, date) and may only be rescheduled, or change its campaign and memo."""
    services.changes_check(changes, PLEDGE_LEDGER_FIELDS | PLEDGE_EDITABLE_FIELDS, of="a pledge")
    with transaction.atomic():
        pledge = _pledge_locked(pledge)
        ledger_changes = sorted(set(changes) & PLEDGE_LEDGER_FIELDS)
        if pledge.state != PledgeState.DRAFT and ledger_changes:
            raise StateConflict(
                f"Pledge {pledge.pk} is {pledge.state}: its {', '.join(ledger_changes)} are in "
                "the books and cannot be edited. Write off or cancel it and record a new pledge."
            )
        if pledge.state not in (PledgeState.DRAFT, PledgeState.OPEN) and (
            "installments" in changes or "schedule" in changes
        ):
            raise StateConflict(f"Pledge {pledge.pk} is {pledge.state}: its schedule is final.")
        donor = services.donor_check(changes["donor"]) if "donor" in changes else pledge.donor
        amount = (
            amount_parse(changes["amount"], field="amount")
            if "amount" in changes
            else pledge.amount
        )
        pledged_on = services.date_required(
            changes.get("pledged_on", pledge.pledged_on), field="pledged_on"
        )
        fund = _fund_check(changes["fund"]) if "fund" in changes else pledge.fund
        memo = _memo(changes.get("memo", pledge.memo))
        reschedule = {"installments", "schedule", "amount", "pledged_on"} & set(changes)
        if reschedule:
            installments = changes.get("installments")
            if installments is None and changes.get("schedule") is None:
                current = list(pledge.installments.all())
                if len(current) == 1:
                    # One installment follows the amount, and the date if due on the pledge's.
                    only = current[0]
                    due_on = pledged_on if only.due_on == pledge.pledged_on else only.due_on
                    installments = [InstallmentSpec(due_on=due_on, amount=amount)]
                elif "amount" in changes:
                    raise ServiceError(
                        "The pledge is paid in installments: give its new schedule with the "
                        "new amount.",
                        fields={"installments": ["Required with a new amount."]},
                    )
                else:
                    installments = [InstallmentSpec(row.due_on, row.amount) for row in current]
            rows = _schedule_of(
                installments=installments,
                schedule=changes.get("schedule"),
                amount=amount,
                pledged_on=pledged_on,
            )
            pledge.installments.all().delete()
            for row in rows:
                row.pledge = pledge
            PledgeInstallment.objects.bulk_create(rows)
        pledge.donor, pledge.amount, pledge.fund = donor, amount, fund
        pledge.pledged_on, pledge.memo = pledged_on, memo
        if "campaign" in changes:
            pledge.campaign = changes["campaign"]
        pledge.save()
        audit_record(
            "pledge.update",
            acting_user=acting_user,
            obj=pledge,
            changed=sorted(changes),
        )
    return pledge


def pledge_delete(*, pledge: Pledge, acting_user: User | None) -> None:
    """Delete a draft pledge (nothing of it is in the books)."""
    with transaction.atomic():
        pledge = _pledge_locked(pledge)
        if pledge.state != PledgeState.DRAFT:
            raise StateConflict(
                f"Pledge {pledge.pk} is {pledge.state}; only a draft is deleted. Cancel or write "
                "it off instead."
            )
        audit_record(
            "pledge.delete",
            acting_user=acting_user,
            obj=pledge,
            donor=pledge.donor_id,
            amount=f"{pledge.amount:.2f}",
        )
        pledge.delete()


def pledge_post(*, pledge: Pledge, acting_user: User | None) -> Pledge:
    """Post a draft pledge: the promise is revenue now, Dr 1210 pledges receivable, Cr 4010
    contributions, in its fund, dated the day it was made (source_reference "pledge:<id>")."""
    with transaction.atomic():
        pledge = _pledge_locked(pledge)
        if pledge.state != PledgeState.DRAFT:
            raise StateConflict(f"Pledge {pledge.pk} is {pledge.state}; only a draft is posted.")
        services.donor_check(pledge.donor)
        entry = accounting.entry_record(
            date=pledge.pledged_on,
            memo=f"Pledge {pledge.pk} from {pledge.donor.display_name}"[:500],
            lines=[
                accounting.LineSpec(
                    account=services.PLEDGES_RECEIVABLE_ACCOUNT,
                    fund=pledge.fund.code,
                    debit=pledge.amount,
                ),
                accounting.LineSpec(
                    account=services.CONTRIBUTIONS_ACCOUNT,
                    fund=pledge.fund.code,
                    credit=pledge.amount,
                ),
            ],
            source=EntrySource.DONATION,
            source_reference=f"pledge:{pledge.pk}",
            acting_user=acting_user,
        )
        pledge.state = PledgeState.OPEN
        pledge.journal_entry = entry
        pledge.posted_by = actor_of(acting_user)
        pledge.posted_at = timezone.now()
        pledge.save(
            update_fields=["state", "journal_entry", "posted_by", "posted_at", "updated_at"]
        )
        audit_record("pledge.post", acting_user=acting_user, obj=pledge, entry=entry.number)
    return pledge


def _day_check(day: date | None, pledge: Pledge, *, field: str = "date") -> date:
    day = services.date_required(day, field=field) if day is not None else timezone.localdate()
    if day < pledge.pledged_on:
        raise ServiceError(
            f"{field}: on or after the day of the pledge ({pledge.pledged_on}).",
            fields={field: ["Before the pledge."]},
        )
    return day


def pledge_write_off(
    *, pledge: Pledge, acting_user: User | None, date: date | None = None, memo: str = ""
) -> Pledge:
    """Write off what is still unpaid of an open pledge: Dr 4010 contributions (a reduction),
    Cr 1210 pledges receivable, in its fund, dated `date` (today by default)."""
    memo = _memo(memo)
    with transaction.atomic():
        pledge = _pledge_locked(pledge)
        if pledge.state != PledgeState.OPEN:
            raise StateConflict(
                f"Pledge {pledge.pk} is {pledge.state}; only an open pledge is written off."
            )
        day = _day_check(date, pledge)
        balance = pledge.amount - pledge.written_off_amount - services.pledge_paid_total(pledge)
        if balance <= 0:  # an open pledge owes something; a guard against other writers
            raise StateConflict(f"Pledge {pledge.pk} has nothing left unpaid to write off.")
        entry = accounting.entry_record(
            date=day,
            memo=memo or f"Write-off of pledge {pledge.pk} from {pledge.donor.display_name}"[:500],
            lines=services.pledge_write_off_lines(pledge, balance),
            source=EntrySource.DONATION,
            source_reference=f"pledge:{pledge.pk}",
            acting_user=acting_user,
        )
        pledge.state = PledgeState.WRITTEN_OFF
        pledge.write_off_entry = entry
        pledge.written_off_amount += balance
        pledge.save(update_fields=["state", "write_off_entry", "written_off_amount", "updated_at"])
        audit_record(
            "pledge.write_off",
            acting_user=acting_user,
            obj=pledge,
            entry=entry.number,
            amount=f"{balance:.2f}",
        )
    return pledge


def pledge_cancel(*, pledge: Pledge, acting_user: User | None, date: date | None = None) -> Pledge:
    """Cancel a pledge. A draft has no entry: it is only marked cancelled. A posted pledge that
    has no posted payments was recorded in error: its entry is reversed (dated `date`, the
    pledge's own date by default). One with payments is written off instead."""
    with transaction.atomic():
        pledge = _pledge_locked(pledge)
        detail: dict[str, Any] = {}
        if pledge.state == PledgeState.OPEN:
            if services.pledge_paid_total(pledge):
                raise StateConflict(
                    f"Pledge {pledge.pk} has posted payments; write off its unpaid balance "
                    "instead of cancelling it."
                )
            day = _day_check(date, pledge) if date is not None else pledge.pledged_on
            reversal = accounting.entry_reverse(
                # An open pledge is posted, so it has its journal entry.
                entry=pledge.journal_entry,  # type: ignore[arg-type]
                acting_user=acting_user,
                date=day,
                memo=f"Cancellation of pledge {pledge.pk}",
            )
            pledge.reversal_entry = reversal
            detail["reversal"] = reversal.number
        elif pledge.state != PledgeState.DRAFT:
            raise StateConflict(
                f"Pledge {pledge.pk} is {pledge.state}; only a draft or open pledge is cancelled."
            )
        pledge.state = PledgeState.CANCELLED
        pledge.save(update_fields=["state", "reversal_entry", "updated_at"])
        audit_record("pledge.cancel", acting_user=acting_user, obj=pledge, **detail)
    return pledge


def pledge_list() -> QuerySet[Pledge]:
    """Pledges with what their output shows, in a fixed number of queries: the paid total is
    an aggregate, installments and payments are prefetched."""
    return (
        Pledge.objects.select_related(
            "donor", "fund", "campaign", "journal_entry", "write_off_entry", "reversal_entry"
        )
        .annotate(
            paid_total=Coalesce(
                Sum("payments__amount", filter=Q(payments__state=GiftState.POSTED)),
                Value(Decimal("0.00")),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
        .prefetch_related(
            "installments",
            Prefetch("payments", queryset=Gift.objects.order_by("received_on", "id")),
        )
        .order_by("-pledged_on", "-id")
    )


# --- Recurring gifts --------------------------------------------------------------------------


RECURRING_FIELDS = frozenset(
    {"amount", "frequency", "next_on", "end_on", "method", "fund", "campaign", "payment_reference"}
)


def _recurring_check(
    *, amount: Any, frequency: str, next_on: Any, end_on: Any, method: str, reference: str
) -> tuple[Decimal, date, str]:
    value = amount_parse(amount, field="amount")
    _frequency_check(frequency)
    next_on = services.date_required(next_on, field="next_on")
    if end_on is not None and services.date_required(end_on, field="end_on") < next_on:
        raise ServiceError(
            "A recurring gift ends on or after its next date.",
            fields={"end_on": ["Before the next date."]},
        )
    if method not in RECURRING_METHODS:
        raise ServiceError(
            f"A recurring gift is given by {', '.join(RECURRING_METHODS)}. Card gifts recur "
            "through the donation page's subscriptions.",
            fields={"method": ["Not a method for a recurring gift."]},
        )
    reference = services.text_check(reference, field="payment_reference")
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
    fund: str = services.DEFAULT_FUND,
    campaign: Campaign | None = None,
    end_on: date | None = None,
    payment_reference: str = "",
) -> RecurringGift:
    """An active recurring gift; its first gift is made on `next_on`, then every period on
    the same day of the month (or the month's last day)."""
    services.donor_check(donor)
    value, next_on, reference = _recurring_check(
        amount=amount,
        frequency=frequency,
        next_on=next_on,
        end_on=end_on,
        method=method,
        reference=payment_reference,
    )
    fund_row = _fund_check(fund)
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
        RecurringGift.objects.select_for_update(of=("self",))
        .select_related("donor", "fund", "campaign")
        .get(pk=recurring.pk)
    )


def recurring_gift_update(
    *, recurring_gift: RecurringGift, acting_user: User | None, **changes: Any
) -> RecurringGift:
    """Change an active or paused recurring gift. A new next date sets the day of the month
    the schedule keeps; gifts already made stay as they are."""
    services.changes_check(changes, RECURRING_FIELDS, of="a recurring gift")
    with transaction.atomic():
        recurring = _recurring_locked(recurring_gift)
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
        if "fund" in changes:
            recurring.fund = _fund_check(changes["fund"])
        if "next_on" in changes:
            recurring.anchor_day = next_on.day
        recurring.amount, recurring.next_on, recurring.payment_reference = value, next_on, reference
        recurring.frequency, recurring.method = merged["frequency"], merged["method"]
        recurring.end_on, recurring.campaign = merged["end_on"], merged["campaign"]
        recurring.save()
        audit_record(
            "recurring_gift.update",
            acting_user=acting_user,
            obj=recurring,
            changed=sorted(changes),
        )
    return recurring


def recurring_gift_delete(*, recurring_gift: RecurringGift, acting_user: User | None) -> None:
    """Delete a recurring gift that has made no gift yet (one that has is cancelled: its gifts
    keep pointing at it)."""
    with transaction.atomic():
        recurring = _recurring_locked(recurring_gift)
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
        next_on = services.date_required(next_on, field="next_on")
        if next_on < today or (current.end_on is not None and next_on > current.end_on):
            raise ServiceError(
                "A resumed recurring gift's next date is from today to its end date.",
                fields={"next_on": ["In the past, or after the end date."]},
            )
        anchor_day = next_on.day  # a date given sets the day of the month kept from now on
    else:
        next_on = current.next_on
        step = MONTHS_OF_FREQUENCY[Frequency(current.frequency)]
        while next_on < today:
            next_on = months_added(next_on, step, anchor_day=current.anchor_day)
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
            gift = services.gift_create(
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
    due = RecurringGift.objects.filter(state=RecurringGiftState.ACTIVE, next_on__lte=today)
    for recurring_id in due.order_by("id").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                recurring = (
                    RecurringGift.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("donor", "fund", "campaign")
                    .filter(pk=recurring_id, state=RecurringGiftState.ACTIVE)
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


def recurring_gift_list() -> QuerySet[RecurringGift]:
    return RecurringGift.objects.select_related("donor", "fund", "campaign").order_by(
        "next_on", "id"
    )


# --- Donor merge steps (registered in DonationsConfig.ready) ------------------------------------


def merge_pledges(survivor: Donor, merged: Donor) -> dict[str, Any]:
    """Pledges move with their payments (merge_gifts moves those): a payment and its pledge
    stay with one donor."""
    pledges = list(Pledge.objects.filter(donor=merged).values_list("pk", flat=True))
    Pledge.objects.filter(pk__in=pledges).update(donor=survivor, updated_at=timezone.now())
    return {"pledges": pledges}


def merge_recurring_gifts(survivor: Donor, merged: Donor) -> dict[str, Any]:
    recurring = list(RecurringGift.objects.filter(donor=merged).values_list("pk", flat=True))
    RecurringGift.objects.filter(pk__in=recurring).update(donor=survivor, updated_at=timezone.now())
    return {"recurring_gifts": recurring}
