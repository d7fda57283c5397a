"""alpha's books read back as the donations tests compare them: its trial balance and its fund
balances today, as strings."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenant_apps.accounting import reports
from tenant_apps.donations.tests.factories import today


def ledger(fund: str | None = None) -> dict[str, tuple[str, str]]:
    """alpha's trial balance today, for all funds or one, checked to balance: account code to
    (debit, credit)."""
    with schema_context("alpha"):
        report = reports.trial_balance(as_of=today(), fund=fund).as_json()
    assert report["balanced"] is True
    return {row["account"]: (row["debit"], row["credit"]) for row in report["accounts"]}


def fund_balances() -> dict[str, tuple[str, str, str]]:
    """alpha's fund balances today: fund code to (assets, without and with donor
    restrictions)."""
    with schema_context("alpha"):
        report = reports.fund_balances(as_of=today()).as_json()
    return {
        row["fund"]: (
            row["assets"],
            row["without_donor_restrictions"],
            row["with_donor_restrictions"],
        )
        for row in report["funds"]
    }
