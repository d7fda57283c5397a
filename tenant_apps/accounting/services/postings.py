"""The posting rules other apps call: an entry created and posted in one step, a contribution,
a processing fee. Accounts and funds are named by code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, Unpack

from saas_platform.lib.inputs import amount_parse
from tenant_apps.accounting.models import EntrySource, Function, JournalEntry
from tenant_apps.accounting.services.entries import EntrySpec, entries_create_post
from tenant_apps.accounting.services.lines import LineSpec

if TYPE_CHECKING:
    from shared_apps.users.models import User


def entry_record(
    *,
    date: date,
    memo: str,
    lines: Sequence[LineSpec],
    source: str,
    source_reference: str = "",
    acting_user: User | None,
) -> JournalEntry:
    """Create and post an entry in one transaction (what other apps' posting rules use): the
    rows entry_create and entry_post would write, in the few statements of a batch of one
    (entries_create_post), refused as a posting, which is what the caller asked for."""
    (entry,) = entries_create_post(
        specs=[
            EntrySpec(
                date=date,
                memo=memo,
                lines=lines,
                source=source,
                source_reference=source_reference,
            )
        ],
        acting_user=acting_user,
    )
    return entry


def entries_record(*, entries: Sequence[EntrySpec], acting_user: User | None) -> list[JournalEntry]:
    """Create and post many entries in one transaction, all or none: entry_record for each, in
    a few statements (see entries.entries_create_post)."""
    return entries_create_post(specs=entries, acting_user=acting_user)


def post_contribution(
    *,
    date: date,
    amount: Decimal,
    fund: str,
    acting_user: User | None,
    debit_account: str = "1010",
    revenue_account: str = "4010",
    memo: str = "",
    source: str = EntrySource.DONATION,
    source_reference: str = "",
) -> JournalEntry:
    """Dr cash (or a clearing account: 1050 undeposited checks, 1060 Stripe) and Cr the
    contribution revenue account, both in `fund`; the fund's restriction decides whether the
    revenue is with or without donor restrictions."""
    amount = amount_parse(amount, field="amount")
    return entry_record(
        date=date,
        memo=memo or "Contribution",
        lines=[
            LineSpec(account=debit_account, fund=fund, debit=amount),
            LineSpec(account=revenue_account, fund=fund, credit=amount),
        ],
        source=source,
        source_reference=source_reference,
        acting_user=acting_user,
    )


class FeeDetails(TypedDict, total=False):
    """What a fee may say besides its day and amount (fee_entry's defaults otherwise)."""

    fund: str
    expense_account: str
    credit_account: str
    function: str
    program: str | None
    memo: str
    source_reference: str


def post_fee(
    *, date: date, amount: Decimal, acting_user: User | None, **details: Unpack[FeeDetails]
) -> JournalEntry:
    """A processing fee posted on its own: fee_entry's entry."""
    (entry,) = entries_create_post(
        specs=[fee_entry(date=date, amount=amount, **details)], acting_user=acting_user
    )
    return entry


def fee_entry(
    *,
    date: date,
    amount: Decimal,
    fund: str = "GEN",
    expense_account: str = "8550",
    credit_account: str = "1060",
    function: str = Function.MANAGEMENT_GENERAL,
    program: str | None = None,
    memo: str = "",
    source_reference: str = "",
) -> EntrySpec:
    """A processing fee: Dr the fee expense (8550 by default), Cr the account it was taken
    from (1060 Stripe clearing by default); posted by post_fee, or by entries_record with
    others."""
    amount = amount_parse(amount, field="amount")
    return EntrySpec(
        date=date,
        memo=memo or "Processing fee",
        lines=[
            LineSpec(
                account=expense_account, fund=fund, debit=amount, function=function, program=program
            ),
            LineSpec(account=credit_account, fund=fund, credit=amount),
        ],
        source=EntrySource.FEE,
        source_reference=source_reference,
    )
