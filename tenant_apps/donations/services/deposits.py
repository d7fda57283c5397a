"""Deposits of checks and cash: opening one with its expected count and total, putting posted
gifts in it or taking them out, and closing it, which moves their money from undeposited funds
to the bank account, per fund.

A deposit is also the batch a stack of checks is entered in: each check is entered as a draft
gift already in the deposit (deposit_gift_enter), the batch's drafts are posted together
(deposit_drafts_post), and the deposit closes once they are all posted and match."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Account, AccountType, EntrySource
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations.models import (
    Deposit,
    DepositState,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
)
from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.checks import date_required
from tenant_apps.donations.services.gifts import gift_create, gift_locked, gifts_post
from tenant_apps.donations.services.posting import (
    DEFAULT_BANK_ACCOUNT,
    DEFAULT_FUND,
    DEPOSITED_METHODS,
    UNDEPOSITED_FUNDS_ACCOUNT,
)

if TYPE_CHECKING:
    from shared_apps.users.models import User
    from tenant_apps.donors.models import Donor


def deposit_create(
    *,
    deposit_on: date,
    expected_count: int,
    expected_total: Decimal | str,
    acting_user: User | None,
    bank_account: str = DEFAULT_BANK_ACCOUNT,
) -> Deposit:
    deposit_on = date_required(deposit_on, field="deposit_on")
    if not isinstance(expected_count, int) or expected_count < 1:
        raise ServiceError(
            "A deposit expects at least one gift.", fields={"expected_count": ["At least 1."]}
        )
    total = amount_parse(expected_total, field="expected_total")
    account = Account.objects.filter(code=bank_account).first()
    if (
        account is None
        or not account.is_active
        or account.type != AccountType.ASSET
        or account.children.exists()
        or account.code == UNDEPOSITED_FUNDS_ACCOUNT
    ):
        raise ServiceError(
            f"{bank_account!r} is not an active bank account to deposit into.",
            fields={"bank_account": ["Not a postable asset account."]},
        )
    with transaction.atomic():
        deposit = Deposit.objects.create(
            deposit_on=deposit_on,
            bank_account=account,
            expected_count=expected_count,
            expected_total=total,
            created_by=actor_of(acting_user),
        )
        audit_record(
            "deposit.create",
            acting_user=acting_user,
            obj=deposit,
            total=f"{total:.2f}",
        )
    return deposit


def _open_deposit_locked(deposit: Deposit) -> Deposit:
    deposit = Deposit.objects.select_for_update().select_related("bank_account").get(pk=deposit.pk)
    if deposit.state != DepositState.OPEN:
        raise StateConflict(f"Deposit {deposit.pk} is closed.")
    return deposit


def deposit_add_gift(*, deposit: Deposit, gift: Gift, acting_user: User | None) -> Gift:
    """Put a posted check or cash gift, not yet in a deposit, into an open deposit."""
    with transaction.atomic():
        deposit = _open_deposit_locked(deposit)
        gift = gift_locked(gift)
        if gift.method not in DEPOSITED_METHODS:
            raise ServiceError(
                f"Gift {gift.pk} was given by {gift.method}; deposits hold checks and cash.",
                fields={"gifts": ["Not a check or cash."]},
            )
        if gift.state != GiftState.POSTED:
            raise StateConflict(f"Gift {gift.pk} is {gift.state}; only posted gifts are deposited.")
        if gift.deposit_id is not None:
            raise StateConflict(f"Gift {gift.pk} is already in deposit {gift.deposit_id}.")
        if gift.received_on > deposit.deposit_on:
            raise ServiceError(
                f"Gift {gift.pk} was received after the deposit's date.",
                fields={"gifts": ["Received after the deposit."]},
            )
        gift.deposit = deposit
        gift.save(update_fields=["deposit", "updated_at"])
        audit_record("deposit.add_gift", acting_user=acting_user, obj=deposit, gift=gift.pk)
    return gift


def deposit_add_gifts(
    *, deposit: Deposit, gifts: Sequence[Gift], acting_user: User | None
) -> list[Gift]:
    """Put several gifts into an open deposit at once: all of them, or none when one is
    refused (the refusal names it)."""
    with transaction.atomic():
        return [
            deposit_add_gift(deposit=deposit, gift=gift, acting_user=acting_user) for gift in gifts
        ]


def deposit_remove_gift(*, deposit: Deposit, gift: Gift, acting_user: User | None) -> Gift:
    with transaction.atomic():
        deposit = _open_deposit_locked(deposit)
        gift = gift_locked(gift)
        if gift.deposit_id != deposit.pk:
            raise ServiceError(
                f"Gift {gift.pk} is not in deposit {deposit.pk}.",
                fields={"gifts": ["Not in this deposit."]},
            )
        gift.deposit = None
        gift.save(update_fields=["deposit", "updated_at"])
        audit_record("deposit.remove_gift", acting_user=acting_user, obj=deposit, gift=gift.pk)
    return gift


def deposit_close(*, deposit: Deposit, acting_user: User | None) -> Deposit:
    """Close a deposit whose gifts match its expected count and total exactly, posting one
    entry with a pair of lines per fund: Dr the bank account, Cr 1050 undeposited funds."""
    with transaction.atomic():
        deposit = _open_deposit_locked(deposit)
        gifts = list(Gift.objects.select_for_update(no_key=True).filter(deposit=deposit))
        drafts = [gift.pk for gift in gifts if gift.state == GiftState.DRAFT]
        if drafts:
            # A draft's money is not in undeposited funds yet: nothing to move to the bank.
            raise StateConflict(
                f"Deposit {deposit.pk} holds {len(drafts)} draft gift(s) "
                f"({', '.join(str(pk) for pk in drafts)}); post them before closing it."
            )
        count = len(gifts)
        total = sum((gift.amount for gift in gifts), Decimal("0"))
        if count != deposit.expected_count or total != deposit.expected_total:
            raise ServiceError(
                f"Deposit {deposit.pk} holds {count} gifts for {total:.2f}; "
                f"{deposit.expected_count} for {deposit.expected_total:.2f} were expected. "
                "Find the difference before closing it.",
                fields={"expected_total": ["The gifts do not match the count and total."]},
            )
        per_fund: dict[str, Decimal] = defaultdict(Decimal)
        for code, amount in GiftAllocation.objects.filter(gift__deposit=deposit).values_list(
            "fund__code", "amount"
        ):
            per_fund[code] += amount
        lines = []
        for code in sorted(per_fund):
            lines.append(
                accounting.LineSpec(
                    account=deposit.bank_account.code, fund=code, debit=per_fund[code]
                )
            )
            lines.append(
                accounting.LineSpec(
                    account=UNDEPOSITED_FUNDS_ACCOUNT, fund=code, credit=per_fund[code]
                )
            )
        entry = accounting.entry_record(
            date=deposit.deposit_on,
            memo=f"Deposit {deposit.pk}",
            lines=lines,
            source=EntrySource.DONATION,
            source_reference=f"deposit:{deposit.pk}",
            acting_user=acting_user,
        )
        deposit.state = DepositState.CLOSED
        deposit.journal_entry = entry
        deposit.closed_by = actor_of(acting_user)
        deposit.closed_at = timezone.now()
        deposit.save(update_fields=["state", "journal_entry", "closed_by", "closed_at"])
        audit_record("deposit.close", acting_user=acting_user, obj=deposit, entry=entry.number)
    return deposit


# --- Batch entry: a deposit filled with draft gifts -------------------------------------------


def deposit_gift_enter(
    *,
    deposit: Deposit,
    donor: Donor,
    amount: Decimal | str,
    acting_user: User | None,
    check_number: str = "",
    fund: str = DEFAULT_FUND,
    source: str = GiftSource.MANUAL,
) -> Gift:
    """One check of a batch: a draft gift by check, received on the deposit's date, to `fund`
    (the general fund unless told), already in the open deposit. It is in the books once the
    batch is posted (deposit_drafts_post). `source` says how it was entered (typed, or read
    from a scan of the check)."""
    with transaction.atomic():
        deposit = _open_deposit_locked(deposit)
        gift = gift_create(
            donor=donor,
            amount=amount,
            received_on=deposit.deposit_on,
            method=GiftMethod.CHECK,
            check_number=check_number,
            allocations=[AllocationSpec(fund=fund, amount=amount)],
            source=source,
            acting_user=acting_user,
        )
        gift.deposit = deposit
        gift.save(update_fields=["deposit", "updated_at"])
        audit_record("deposit.add_gift", acting_user=acting_user, obj=deposit, gift=gift.pk)
    return gift


def deposit_drafts_post(*, deposit: Deposit, acting_user: User | None) -> list[Gift]:
    """Post every draft gift of an open deposit (gifts_post), all or nothing: one refusal
    leaves the whole batch in draft, so a batch is never half in the books."""
    with transaction.atomic():
        deposit = _open_deposit_locked(deposit)
        drafts = list(Gift.objects.filter(deposit=deposit, state=GiftState.DRAFT).order_by("id"))
        if not drafts:
            raise StateConflict(f"Deposit {deposit.pk} has no draft gifts to post.")
        posted = gifts_post(gifts=drafts, acting_user=acting_user)
        audit_record(
            "deposit.post_drafts",
            acting_user=acting_user,
            obj=deposit,
            gifts=[gift.pk for gift in posted],
        )
    return posted
