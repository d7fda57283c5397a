"""Factories for the books. Accounts and funds are plain rows; a journal entry is made through
the entry services, so its lines are checked, and it is numbered and audited as any entry is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import factory
from django.utils import timezone

from tenant_apps.accounting.models import (
    Account,
    AccountType,
    EntrySource,
    FiscalPeriod,
    Fund,
    JournalEntry,
    NormalBalance,
    PeriodState,
    Restriction,
)
from tenant_apps.accounting.services import entries, periods
from tenant_apps.accounting.services.lines import LineSpec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from shared_apps.users.models import User


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    code = factory.Sequence(lambda number: f"9{number:04d}")
    name = factory.Sequence(lambda number: f"Test account {number}")
    type = AccountType.EXPENSE
    normal_balance = NormalBalance.DEBIT


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    code = factory.Sequence(lambda number: f"F{number:03d}")
    name = factory.Sequence(lambda number: f"Test fund {number}")
    restriction = Restriction.WITHOUT


class JournalEntryFactory(factory.Factory[JournalEntry]):
    """A journal entry of the current schema, made with `entry_create` (and `entry_post` when
    `posted=True`): by default a balanced draft of two lines, `amount` debited to cash (1010)
    and credited to contributions (4010) in fund GEN, dated today. `lines` replaces the two."""

    class Meta:
        model = JournalEntry

    date = factory.LazyFunction(timezone.localdate)
    memo = "Gift"
    amount = Decimal("100.00")
    fund = "GEN"
    debit_account = "1010"
    credit_account = "4010"
    lines: Sequence[LineSpec] | None = None
    source = EntrySource.MANUAL
    acting_user: User | None = None
    posted = False

    @classmethod
    def _create(cls, model_class: type[JournalEntry], *args: Any, **fields: Any) -> JournalEntry:
        amount, fund = fields.pop("amount"), fields.pop("fund")
        debit_account, credit_account = fields.pop("debit_account"), fields.pop("credit_account")
        lines = fields.pop("lines") or [
            LineSpec(account=debit_account, fund=fund, debit=amount),
            LineSpec(account=credit_account, fund=fund, credit=amount),
        ]
        posted, acting_user = fields.pop("posted"), fields["acting_user"]
        entry = entries.entry_create(lines=lines, **fields)
        if posted:
            entry = entries.entry_post(entry=entry, acting_user=acting_user)
        return entry


def months_closed_through(day: date, *, acting_user: User | None = None) -> FiscalPeriod:
    """Close every open month up to the one `day` is in, in order (months close in order), and
    return that month's period."""
    target = periods.period_for_date(day)
    earlier = FiscalPeriod.objects.filter(start__lte=target.start, state=PeriodState.OPEN)
    for period in earlier.order_by("start"):
        periods.period_close(period=period, acting_user=acting_user)
    target.refresh_from_db()
    return target


def months_closed_before(day: date, *, acting_user: User | None = None) -> None:
    """Close every open month before the one `day` is in, so that it is the next to close."""
    start = periods.period_for_date(day).start
    for period in FiscalPeriod.objects.filter(start__lt=start, state=PeriodState.OPEN).order_by(
        "start"
    ):
        periods.period_close(period=period, acting_user=acting_user)
