"""Time restrictions ending: on a time-restricted fund's release date, what the fund still holds
with donor restrictions is released to net assets without them (ASC 958-205-45), in one entry
dated that day. The daily task calls `time_releases_run`; a fund is released once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum

from saas_platform.lib.errors import ServiceError
from tenant_apps.accounting.models import (
    LEDGER_STATES,
    Account,
    AccountType,
    EntrySource,
    FiscalPeriod,
    Fund,
    JournalEntry,
    JournalLine,
    NetAssetClass,
    PeriodState,
    Restriction,
)
from tenant_apps.accounting.selectors import (
    fund_release_reference,
    fund_released,
    funds_due_for_release,
)
from tenant_apps.accounting.services.entries import RELEASE_ACCOUNT_OF_RESTRICTION, post_generated
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


@dataclass
class ReleaseRun:
    """What a run did: the entries it posted, and the funds it could not release (with why)."""

    released: list[JournalEntry] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def fund_restricted_balance(*, fund: Fund, as_of: date) -> Decimal:
    """What the fund holds with donor restrictions as of a day: its net assets, revenue and
    expenses of that class, credits less debits."""
    balance = JournalLine.objects.filter(
        fund=fund,
        net_asset_class=NetAssetClass.WITH,
        account__type__in=[AccountType.NET_ASSETS, AccountType.REVENUE, AccountType.EXPENSE],
        entry__state__in=LEDGER_STATES,
        entry__date__lte=as_of,
    ).aggregate(balance=Sum("credit") - Sum("debit"))["balance"]
    return balance or ZERO


def fund_time_release(*, fund: Fund, acting_user: User | None) -> JournalEntry | None:
    """Release what the fund holds with donor restrictions on its release date, in a posted
    entry dated that day. None when there was nothing to release (nothing is written then, so a
    gift that arrives later is released by a later run). Refused when the fund was already
    released, or the period of its release date is closed."""
    with transaction.atomic():
        fund = Fund.objects.select_for_update().get(pk=fund.pk)
        day = fund.release_on
        if fund.restriction != Restriction.TIME or day is None:
            raise ServiceError(f"Fund {fund.code} has no time restriction with a release date.")
        if fund_released(fund):
            raise ServiceError(f"Fund {fund.code} was already released on {day:%B %-d, %Y}.")
        if FiscalPeriod.objects.filter(
            start__lte=day, end__gte=day, state=PeriodState.CLOSED
        ).exists():
            raise ServiceError(
                f"Fund {fund.code} is due for release on {day:%B %-d, %Y}, but that month is "
                "closed: reopen it, or post the release by hand."
            )
        amount = fund_restricted_balance(fund=fund, as_of=day)
        if amount <= 0:
            return None
        code = RELEASE_ACCOUNT_OF_RESTRICTION[Restriction.TIME]
        account = Account.objects.filter(code=code).first()
        if account is None:
            raise ServiceError(f"The release account {code} is missing from the chart of accounts.")
        memo = f"Time restriction of fund {fund.code} ended"
        entry = post_generated(
            date=day,
            memo=memo,
            source=EntrySource.RELEASE,
            source_reference=fund_release_reference(fund),
            lines=[
                JournalLine(
                    account=account,
                    fund=fund,
                    net_asset_class=NetAssetClass.WITH,
                    debit=amount,
                    memo=memo,
                ),
                JournalLine(
                    account=account,
                    fund=fund,
                    net_asset_class=NetAssetClass.WITHOUT,
                    credit=amount,
                    memo=memo,
                ),
            ],
            acting_user=acting_user,
        )
        audit_record(
            "fund.release",
            acting_user=acting_user,
            obj=fund,
            entry=entry.number,
            amount=str(amount),
            date=day.isoformat(),
        )
    return entry


def time_releases_run(*, today: date) -> ReleaseRun:
    """Release every time-restricted fund whose date has come (the daily task). Safe to run
    twice: a released fund is not released again. One fund's refusal does not stop the rest."""
    run = ReleaseRun()
    for fund in funds_due_for_release(today=today):
        try:
            entry = fund_time_release(fund=fund, acting_user=None)
        except ServiceError as error:
            logger.warning("Fund %s not released: %s", fund.code, error.message)
            run.refused[fund.code] = error.message
            continue
        if entry is not None:
            run.released.append(entry)
    return run
