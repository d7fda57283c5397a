"""The bank's line on the month-end close's checklist (accounting.closing): bank accounts with
postings in or before the month that are not reconciled through its last day. It does not block
the close: a statement often arrives days after the month ends, and the bookkeeper decides."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q

from tenant_apps.accounting.closing import ClosingItem, page_url
from tenant_apps.accounting.models import LEDGER_STATES, JournalLine
from tenant_apps.banking.models import Reconciliation, ReconciliationState
from tenant_apps.banking.selectors import bank_account_queryset


def unreconciled_accounts_check(start: date, end: date) -> ClosingItem:
    """One query: bank accounts with a posted line dated up to `end` and no finished
    reconciliation on or after `end`."""
    count = (
        bank_account_queryset()
        .filter(
            Exists(
                JournalLine.objects.filter(
                    account=OuterRef("pk"), entry__state__in=LEDGER_STATES, entry__date__lte=end
                )
            )
        )
        .exclude(
            Exists(
                Reconciliation.objects.filter(
                    Q(statement_date__gte=end),
                    account=OuterRef("pk"),
                    state=ReconciliationState.FINISHED,
                )
            )
        )
        .count()
    )
    return ClosingItem(
        name="banking.unreconciled_accounts",
        label="Bank accounts not reconciled through the month's end",
        count=count,
        url=page_url("banking:index"),
        action="Import the statement and reconcile it",
    )
