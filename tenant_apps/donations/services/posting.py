"""What gifts and pledges put in the books: the accounts they post to and the lines of their
journal entries. Nothing here writes; the gift, deposit and pledge services record the entries
through accounting.services (entry_record, entry_reverse).

Posting rules (what a posted gift puts in the books, one debit and one credit per allocation,
in the allocation's fund, so that each fund balances on its own):

- cash and check: Dr 1050 undeposited funds, Cr 4010 contributions; closing the deposit they
  are in moves them, per fund, Dr the deposit's bank account (1010), Cr 1050;
- card: Dr 1060 Stripe clearing, Cr 4010 (the payout moves it to the bank, a later issue);
- ach: Dr 1010 cash, Cr 4010 (the money is in the bank when the transfer settles);
- any gift paid online (source online, card or ACH): Dr 1060 Stripe clearing, Cr 4010, as
  Stripe holds the money, takes its fee from it and pays out the rest;
- stock: Dr 1010, Cr 4010, at the value received. A simplification: stock is usually sold at
  once by the broker; an investments account (1310s) would be the place if it is kept;
- in_kind: Dr 8560 donated goods and services expense (function management_general: goods used
  at once), Cr 4110 donated goods, source "in_kind". Goods kept as assets would need their own
  rule.
- a payment on a pledge: the debit as above, Cr 1210 pledges receivable instead of 4010 (the
  pledge was the revenue when it was posted; see services.pledges).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Function
from tenant_apps.donations.models import Gift, GiftAllocation, GiftMethod, GiftSource, Pledge

DEFAULT_FUND = "GEN"
UNDEPOSITED_FUNDS_ACCOUNT = "1050"
DEFAULT_BANK_ACCOUNT = "1010"
CONTRIBUTIONS_ACCOUNT = "4010"
PLEDGES_RECEIVABLE_ACCOUNT = "1210"
IN_KIND_REVENUE_ACCOUNT = "4110"
IN_KIND_EXPENSE_ACCOUNT = "8560"
STRIPE_CLEARING_ACCOUNT = "1060"
# The account a gift of each method is debited to when posted (see the posting rules above).
DEBIT_ACCOUNT_OF_METHOD: dict[str, str] = {
    GiftMethod.CASH: UNDEPOSITED_FUNDS_ACCOUNT,
    GiftMethod.CHECK: UNDEPOSITED_FUNDS_ACCOUNT,
    GiftMethod.CARD: STRIPE_CLEARING_ACCOUNT,
    GiftMethod.ACH: DEFAULT_BANK_ACCOUNT,
    GiftMethod.STOCK: DEFAULT_BANK_ACCOUNT,
}
DEPOSITED_METHODS = (GiftMethod.CASH, GiftMethod.CHECK)


def gift_lines(
    gift: Gift, *, allocations: Sequence[GiftAllocation] | None = None
) -> list[accounting.LineSpec]:
    """The lines of a posted gift's entry (see the posting rules above); `allocations` are the
    gift's, with their funds, in id order, when the caller has read them already."""
    if allocations is None:
        allocations = list(gift.allocations.select_related("fund").order_by("id"))
    debit_account = (
        STRIPE_CLEARING_ACCOUNT
        if gift.source == GiftSource.ONLINE
        else DEBIT_ACCOUNT_OF_METHOD.get(gift.method, "")
    )
    lines = []
    for allocation in allocations:
        fund = allocation.fund.code
        if gift.method == GiftMethod.IN_KIND:
            lines.append(
                accounting.LineSpec(
                    account=IN_KIND_EXPENSE_ACCOUNT,
                    fund=fund,
                    debit=allocation.amount,
                    function=Function.MANAGEMENT_GENERAL,
                )
            )
            lines.append(
                accounting.LineSpec(
                    account=IN_KIND_REVENUE_ACCOUNT, fund=fund, credit=allocation.amount
                )
            )
        else:
            lines.append(
                accounting.LineSpec(account=debit_account, fund=fund, debit=allocation.amount)
            )
            lines.append(
                accounting.LineSpec(
                    account=PLEDGES_RECEIVABLE_ACCOUNT
                    if gift.pledge_id is not None
                    else CONTRIBUTIONS_ACCOUNT,
                    fund=fund,
                    credit=allocation.amount,
                )
            )
    return lines


def pledge_write_off_lines(pledge: Pledge, amount: Decimal) -> list[accounting.LineSpec]:
    """A reduction of contributions in the pledge's fund: Dr 4010, Cr 1210."""
    return [
        accounting.LineSpec(account=CONTRIBUTIONS_ACCOUNT, fund=pledge.fund.code, debit=amount),
        accounting.LineSpec(
            account=PLEDGES_RECEIVABLE_ACCOUNT, fund=pledge.fund.code, credit=amount
        ),
    ]
