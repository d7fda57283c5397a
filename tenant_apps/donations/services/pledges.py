"""Pledges: recording one with its schedule, changing, deleting, posting, writing off and
cancelling it, the pledge side of its payments (which are gifts, services.gifts), and the
donor-merge step for pledges.

A pledge is an unconditional promise to give. Under ASC 958-605 it is revenue when it is made:
posting a pledge records Dr 1210 pledges receivable, Cr 4010 contributions, in the pledge's
fund, whose restriction decides the net-asset class. Its payments are gifts (Gift.pledge) that
credit 1210 instead of 4010 (services.posting); the pledge is fulfilled when they reach its
amount, and open again if one is refunded. What will not be collected is written off: Dr 4010
(a reduction of contributions), Cr 1210, in the same fund. A draft pledge is cancelled with no
entry; a posted one with no payments is cancelled by reversing its entry (recorded in error).

Not modeled: the present-value discount of pledges due after more than a year (ASC 958-310-30)
and the time restriction implied by payments due in later periods. The fund chosen decides the
class: a bookkeeper who wants the implied time restriction picks a time-restricted fund.

Each top-level service owns its transaction and writes its audit row; refusals raise
ServiceError or StateConflict with nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse, text_check
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource
from tenant_apps.core.services import actor_of, audit_record, changes_save
from tenant_apps.donations import selectors
from tenant_apps.donations.models import (
    Campaign,
    Gift,
    GiftMethod,
    Pledge,
    PledgeInstallment,
    PledgeState,
)
from tenant_apps.donations.services.checks import (
    changes_check,
    date_required,
    donor_check,
    fund_check,
)
from tenant_apps.donations.services.posting import (
    CONTRIBUTIONS_ACCOUNT,
    DEFAULT_FUND,
    PLEDGES_RECEIVABLE_ACCOUNT,
    pledge_write_off_lines,
)
from tenant_apps.donations.services.schedules import InstallmentSpec, ScheduleSpec, schedule_of
from tenant_apps.donors.models import Donor

if TYPE_CHECKING:
    from shared_apps.users.models import User


# Fields of a pledge that are in its journal entry: a posted pledge keeps them.
PLEDGE_LEDGER_FIELDS = frozenset({"donor", "amount", "fund", "pledged_on"})
PLEDGE_EDITABLE_FIELDS = frozenset({"campaign", "memo", "installments", "schedule"})


def _memo(value: str | None) -> str:
    return text_check(value, field="memo", max_length=500)


def pledge_create(
    *,
    donor: Donor,
    amount: Decimal | str,
    pledged_on: date,
    acting_user: User | None,
    fund: str = DEFAULT_FUND,
    campaign: Campaign | None = None,
    memo: str = "",
    installments: Sequence[InstallmentSpec] = (),
    schedule: ScheduleSpec | None = None,
) -> Pledge:
    """A draft pledge with its schedule. Nothing is in the books until pledge_post."""
    donor_check(donor)
    pledge_amount = amount_parse(amount, field="amount")
    pledged_on = date_required(pledged_on, field="pledged_on")
    fund_row = fund_check(fund)
    memo = _memo(memo)
    rows = schedule_of(
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
    changes_check(changes, PLEDGE_LEDGER_FIELDS | PLEDGE_EDITABLE_FIELDS, of="a pledge")
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
        donor = donor_check(changes["donor"]) if "donor" in changes else pledge.donor
        amount = (
            amount_parse(changes["amount"], field="amount")
            if "amount" in changes
            else pledge.amount
        )
        pledged_on = date_required(changes.get("pledged_on", pledge.pledged_on), field="pledged_on")
        fund = fund_check(changes["fund"]) if "fund" in changes else pledge.fund
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
            rows = schedule_of(
                installments=installments,
                schedule=changes.get("schedule"),
                amount=amount,
                pledged_on=pledged_on,
            )
            pledge.installments.all().delete()
            for row in rows:
                row.pledge = pledge
            PledgeInstallment.objects.bulk_create(rows)
        values = {
            "donor": donor,
            "amount": amount,
            "fund": fund,
            "pledged_on": pledged_on,
            "memo": memo,
        }
        if "campaign" in changes:
            values["campaign"] = changes["campaign"]
        changes_save(
            pledge, values, action="pledge.update", acting_user=acting_user, changed=sorted(changes)
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
        donor_check(pledge.donor)
        entry = accounting.entry_record(
            date=pledge.pledged_on,
            memo=f"Pledge {pledge.pk} from {pledge.donor.display_name}"[:500],
            lines=[
                accounting.LineSpec(
                    account=PLEDGES_RECEIVABLE_ACCOUNT,
                    fund=pledge.fund.code,
                    debit=pledge.amount,
                ),
                accounting.LineSpec(
                    account=CONTRIBUTIONS_ACCOUNT,
                    fund=pledge.fund.code,
                    credit=pledge.amount,
                ),
            ],
            source=EntrySource.DONATION,
            source_reference=f"pledge:{pledge.pk}",
            acting_user=acting_user,
        )
        changes_save(
            pledge,
            {
                "state": PledgeState.OPEN,
                "journal_entry": entry,
                "posted_by": actor_of(acting_user),
                "posted_at": timezone.now(),
            },
            action="pledge.post",
            acting_user=acting_user,
            entry=entry.number,
        )
    return pledge


def _day_check(day: date | None, pledge: Pledge, *, field: str = "date") -> date:
    day = date_required(day, field=field) if day is not None else timezone.localdate()
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
        balance = pledge.amount - pledge.written_off_amount - selectors.pledge_paid_total(pledge)
        if balance <= 0:  # an open pledge owes something; a guard against other writers
            raise StateConflict(f"Pledge {pledge.pk} has nothing left unpaid to write off.")
        entry = accounting.entry_record(
            date=day,
            memo=memo or f"Write-off of pledge {pledge.pk} from {pledge.donor.display_name}"[:500],
            lines=pledge_write_off_lines(pledge, balance),
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
            if selectors.pledge_paid_total(pledge):
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


def merge_pledges(survivor: Donor, merged: Donor) -> dict[str, Any]:
    """Pledges move with their payments (merge_gifts moves those): a payment and its pledge
    stay with one donor."""
    pledges = list(Pledge.objects.filter(donor=merged).values_list("pk", flat=True))
    Pledge.objects.filter(pk__in=pledges).update(donor=survivor, updated_at=timezone.now())
    return {"pledges": pledges}


# --- Payments on pledges (the gift side: gift_create, gift_post and gift_refund call these) ---


def pledge_locked_for_payment(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update().select_related("fund").get(pk=pledge.pk)


def pledge_payment_check(
    pledge: Pledge, *, donor: Donor, amount: Decimal, method: str, fund_ids: set[int]
) -> None:
    """Refuse a payment the pledge cannot take (call with the pledge locked)."""
    if pledge.state != PledgeState.OPEN:
        raise StateConflict(
            f"Pledge {pledge.pk} is {pledge.state}; payments are recorded on an open pledge"
            + (" (post it first)." if pledge.state == PledgeState.DRAFT else ".")
        )
    if donor.pk != pledge.donor_id:
        raise ServiceError(
            f"Pledge {pledge.pk} is donor {pledge.donor_id}'s; a payment on it comes from the "
            "same donor.",
            fields={"pledge": ["Another donor's pledge."]},
        )
    if method == GiftMethod.IN_KIND:
        raise ServiceError(
            "A pledge is paid in money; record goods as an in-kind gift of their own.",
            fields={"method": ["Not for a pledge payment."]},
        )
    if fund_ids != {pledge.fund_id}:
        raise ServiceError(
            f"A payment on pledge {pledge.pk} goes to its fund {pledge.fund.code}, all of it.",
            fields={"allocations": [f"Only fund {pledge.fund.code}."]},
        )
    balance = pledge.amount - pledge.written_off_amount - selectors.pledge_paid_total(pledge)
    if amount > balance:
        raise ServiceError(
            f"A payment of {amount:.2f} is more than pledge {pledge.pk}'s remaining balance "
            f"of {balance:.2f}. Record the difference as a separate gift.",
            fields={"amount": [f"At most {balance:.2f}."]},
        )


def pledge_after_payment(pledge: Pledge, *, acting_user: User | None) -> None:
    if selectors.pledge_paid_total(pledge) == pledge.amount:
        pledge.state = PledgeState.FULFILLED
        pledge.save(update_fields=["state", "updated_at"])
        audit_record("pledge.fulfil", acting_user=acting_user, obj=pledge)


def pledge_after_refund(pledge: Pledge, *, gift: Gift, day: date, acting_user: User | None) -> None:
    """A refunded payment puts its amount back in pledges receivable (the reversal debits
    1210). A fulfilled pledge is open again for it. A written-off pledge was judged
    uncollectible: the amount is written off too, Dr 4010, Cr 1210, so no receivable is left
    behind a pledge that is closed."""
    if pledge.state == PledgeState.FULFILLED:
        pledge.state = PledgeState.OPEN
        pledge.save(update_fields=["state", "updated_at"])
        audit_record("pledge.reopen", acting_user=acting_user, obj=pledge, gift=gift.pk)
    elif pledge.state == PledgeState.WRITTEN_OFF:
        entry = accounting.entry_record(
            date=day,
            memo=f"Write-off of pledge {pledge.pk}: payment gift {gift.pk} refunded",
            lines=pledge_write_off_lines(pledge, gift.amount),
            source=EntrySource.DONATION,
            source_reference=f"pledge:{pledge.pk}",
            acting_user=acting_user,
        )
        pledge.written_off_amount += gift.amount
        pledge.save(update_fields=["written_off_amount", "updated_at"])
        audit_record(
            "pledge.write_off",
            acting_user=acting_user,
            obj=pledge,
            entry=entry.number,
            amount=f"{gift.amount:.2f}",
            gift=gift.pk,
        )
