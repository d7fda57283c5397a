"""Reads of the books of the current schema: the chart, funds, programs, periods and entries.
The financial reports are in reports.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from tenant_apps.accounting.models import (
    Account,
    AccountType,
    FiscalPeriod,
    Fund,
    JournalEntry,
    JournalLine,
    Program,
)


@dataclass(frozen=True)
class ChartSummary:
    accounts: int
    accounts_by_type: dict[str, int]
    funds: int


def chart_summary() -> ChartSummary:
    counts = Account.objects.filter(is_active=True).aggregate(
        total=Count("id"),
        **{kind: Count("id", filter=Q(type=kind)) for kind in AccountType.values},
    )
    total = counts.pop("total")
    return ChartSummary(
        accounts=total,
        accounts_by_type=counts,
        funds=Fund.objects.filter(is_active=True).count(),
    )


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("parent").order_by("code")


def fund_list() -> QuerySet[Fund]:
    return Fund.objects.order_by("code")


def program_list() -> QuerySet[Program]:
    return Program.objects.order_by("code")


def period_list() -> QuerySet[FiscalPeriod]:
    return FiscalPeriod.objects.select_related("closed_by").order_by("start")


def entry_list() -> QuerySet[JournalEntry]:
    """Entries with their people and lines, in a fixed number of queries per page."""
    return JournalEntry.objects.select_related(
        "created_by", "posted_by", "reversed_by"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=JournalLine.objects.select_related("account", "fund", "program").order_by(
                "id"
            ),
        )
    )
