"""Reads of the chart of accounts and funds of the current schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from tenant_apps.accounting.models import Account, AccountType, Fund


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
