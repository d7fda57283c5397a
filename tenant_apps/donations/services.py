"""Writes of gifts and what they post: campaigns, gifts with their allocations and soft
credits, posting and refunding a gift, deposits, and the donor-merge steps for gifts.

Every ledger write goes through accounting.services (entry_record, entry_reverse); nothing here
writes journal rows. Each top-level service owns its transaction and writes its audit row
(core's AuditEvent) in it; a refusal raises ServiceError or StateConflict with nothing written.

Posting rules (what a posted gift puts in the books, one debit and one credit per allocation,
in the allocation's fund, so that each fund balances on its own):

- cash and check: Dr 1050 undeposited funds, Cr 4010 contributions; closing the deposit they
  are in moves them, per fund, Dr the deposit's bank account (1010), Cr 1050;
- card: Dr 1060 Stripe clearing, Cr 4010 (the payout moves it to the bank, a later issue);
- ach: Dr 1010 cash, Cr 4010 (the money is in the bank when the transfer settles);
- stock: Dr 1010, Cr 4010, at the value received. A simplification: stock is usually sold at
  once by the broker; an investments account (1310s) would be the place if it is kept;
- in_kind: Dr 8560 donated goods and services expense (function management_general: goods used
  at once), Cr 4110 donated goods, source "in_kind". Goods kept as assets would need their own
  rule.
- a payment on a pledge: the debit as above, Cr 1210 pledges receivable instead of 4010 (the
  pledge was the revenue when it was posted; see donations.pledges).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import EARLIEST_DATE, LATEST_DATE, amount_parse
from saas_platform.lib.tasks import enqueue_on_commit
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import (
    Account,
    AccountType,
    EntrySource,
    Function,
    Fund,
)
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations.models import (
    Campaign,
    Deposit,
    DepositState,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
    Pledge,
    PledgeState,
    RecurringGift,
    SoftCredit,
    TributeType,
)
from tenant_apps.donations.tasks import receipt_issue_for_gift as receipt_issue_task
from tenant_apps.donations.tasks import receipt_void_for_refunded_gift as receipt_void_task
from tenant_apps.donors.models import Donor

if TYPE_CHECKING:
    from shared_apps.users.models import User

DEFAULT_FUND = "GEN"
UNDEPOSITED_FUNDS_ACCOUNT = "1050"
DEFAULT_BANK_ACCOUNT = "1010"
CONTRIBUTIONS_ACCOUNT = "4010"
PLEDGES_RECEIVABLE_ACCOUNT = "1210"
IN_KIND_REVENUE_ACCOUNT = "4110"
IN_KIND_EXPENSE_ACCOUNT = "8560"
# The account a gift of each method is debited to when posted (see the module docstring).
DEBIT_ACCOUNT_OF_METHOD: dict[str, str] = {
    GiftMethod.CASH: UNDEPOSITED_FUNDS_ACCOUNT,
    GiftMethod.CHECK: UNDEPOSITED_FUNDS_ACCOUNT,
    GiftMethod.CARD: "1060",
    GiftMethod.ACH: DEFAULT_BANK_ACCOUNT,
    GiftMethod.STOCK: DEFAULT_BANK_ACCOUNT,
}
DEPOSITED_METHODS = (GiftMethod.CASH, GiftMethod.CHECK)
# Fields of a gift that are in its journal entry: a posted gift keeps them.
LEDGER_FIELDS = frozenset({"amount", "allocations", "method", "received_on", "donor"})
EDITABLE_FIELDS = frozenset(
    {
        "campaign",
        "designation",
        "tribute_type",
        "tribute_name",
        "notify_name",
        "notify_email",
        "goods_services_value",
        "goods_services_description",
        "in_kind_description",
        "check_number",
    }
)
TEXT_LIMITS = {
    "designation": 500,
    "tribute_name": 200,
    "notify_name": 200,
    "goods_services_description": 500,
    "in_kind_description": 1000,
    "check_number": 40,
    "payment_reference": 200,
}


@dataclass(frozen=True)
class AllocationSpec:
    fund: str
    amount: Decimal | str


@dataclass(frozen=True)
class SoftCreditSpec:
    donor: Donor
    amount: Decimal | str


def changes_check(changes: dict[str, Any], allowed: Collection[str], *, of: str) -> None:
    """Refuse, naming them, the changes an update service does not make (`of` names the thing:
    "a gift")."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ServiceError(
            f"Cannot change {', '.join(sorted(unknown))} of {of}.",
            fields={name: ["Cannot be changed."] for name in sorted(unknown)},
        )


# --- Checks the gift, pledge and import services share ----------------------------------------


def text_check(value: str | None, *, field: str) -> str:
    """A descriptive field, trimmed, within its TEXT_LIMITS length."""
    value = (value or "").strip()
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        raise ServiceError(f"{field}: at most {limit} characters.", fields={field: ["Too long."]})
    return value


def date_required(value: Any, *, field: str) -> date:
    """A date the books can hold; anything else is "a date is required" on `field`."""
    if not isinstance(value, date) or not EARLIEST_DATE <= value <= (LATEST_DATE):
        raise ServiceError(f"{field}: a date is required.", fields={field: ["A date is required."]})
    return value


def _amount_or_zero(value: Any, *, field: str) -> Decimal:
    """An amount that may be zero or left out (a goal, a value given in return)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    try:
        if Decimal(str(value).strip()) == 0:
            return Decimal("0.00")
    except ArithmeticError:
        pass  # amount_parse names the problem
    return amount_parse(value, field=field)


# --- Campaigns --------------------------------------------------------------------------------


def _campaign_check(
    *, name: str, goal: Any, start: date | None, end: date | None
) -> tuple[str, Decimal]:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ServiceError(
            "A campaign needs a name of at most 200 characters.",
            fields={"name": ["Required, at most 200 characters."]},
        )
    goal_amount = _amount_or_zero(goal, field="goal")
    if start is not None and end is not None and end < start:
        raise ServiceError(
            "A campaign ends on or after its start.", fields={"end": ["Before the start."]}
        )
    return name, goal_amount


def campaign_create(
    *,
    code: str,
    name: str,
    acting_user: User | None,
    goal: Decimal | str = Decimal("0"),
    start: date | None = None,
    end: date | None = None,
) -> Campaign:
    code = (code or "").strip()
    if not accounting.CODE_PATTERN.match(code):
        raise ServiceError(
            "A campaign code is 1 to 20 letters, digits, dots, dashes or underscores.",
            fields={"code": ["Not a valid code."]},
        )
    if Campaign.objects.filter(code=code).exists():
        raise ServiceError(f"There is already a campaign {code}.", fields={"code": ["Taken."]})
    name, goal_amount = _campaign_check(name=name, goal=goal, start=start, end=end)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            code=code, name=name, goal=goal_amount, start=start, end=end
        )
        audit_record("campaign.create", acting_user=acting_user, obj=campaign, code=code)
    return campaign


def campaign_update(*, campaign: Campaign, acting_user: User | None, **changes: Any) -> Campaign:
    unknown = set(changes) - {"name", "goal", "start", "end", "is_active"}
    if unknown:
        raise ServiceError(f"Cannot change {', '.join(sorted(unknown))} of a campaign.")
    merged = {
        "name": campaign.name,
        "goal": campaign.goal,
        "start": campaign.start,
        "end": campaign.end,
        **changes,
    }
    name, goal_amount = _campaign_check(
        name=merged["name"], goal=merged["goal"], start=merged["start"], end=merged["end"]
    )
    with transaction.atomic():
        campaign.name, campaign.goal = name, goal_amount
        campaign.start, campaign.end = merged["start"], merged["end"]
        if "is_active" in changes:
            campaign.is_active = bool(changes["is_active"])
        campaign.save()
        audit_record(
            "campaign.update",
            acting_user=acting_user,
            obj=campaign,
            changed=sorted(changes),
        )
    return campaign


# --- Gifts ------------------------------------------------------------------------------------


def donor_check(donor: Donor, *, field: str = "donor") -> Donor:
    """A donor a gift may name: not one merged into another."""
    if donor.merged_into_id is not None:
        raise ServiceError(
            f"Donor {donor.pk} was merged into donor {donor.merged_into_id}; use that one.",
            fields={field: ["A merged donor."]},
        )
    return donor


def _allocations_build(specs: Sequence[AllocationSpec], *, amount: Decimal) -> list[GiftAllocation]:
    """Unsaved allocations that add up to `amount`: one to GEN when none are given."""
    if not specs:
        specs = [AllocationSpec(fund=DEFAULT_FUND, amount=amount)]
    codes = [spec.fund for spec in specs]
    if len(set(codes)) != len(codes):
        raise ServiceError(
            "A fund appears twice in the allocations; give one amount per fund.",
            fields={"allocations": ["One allocation per fund."]},
        )
    funds = {fund.code: fund for fund in Fund.objects.filter(code__in=codes)}
    allocations = []
    for spec in specs:
        fund = funds.get(spec.fund)
        if fund is None or not fund.is_active:
            raise ServiceError(
                f"There is no active fund {spec.fund!r}.",
                fields={"allocations": [f"Unknown or inactive fund {spec.fund!r}."]},
            )
        part = amount_parse(spec.amount, field="allocations")
        allocations.append(GiftAllocation(fund=fund, amount=part))
    total = sum((allocation.amount for allocation in allocations), Decimal("0"))
    if total != amount:
        raise ServiceError(
            f"The allocations add up to {total:.2f}, not the gift's {amount:.2f}.",
            fields={"allocations": ["They must add up to the amount."]},
        )
    return allocations


def _soft_credits_build(
    specs: Sequence[SoftCreditSpec], *, donor: Donor, amount: Decimal
) -> list[SoftCredit]:
    credits, seen = [], set()
    for spec in specs:
        donor_check(spec.donor, field="soft_credits")
        if spec.donor.pk == donor.pk:
            raise ServiceError(
                "A gift's own donor gets the hard credit, not a soft credit.",
                fields={"soft_credits": ["The gift's own donor."]},
            )
        if spec.donor.pk in seen:
            raise ServiceError(
                f"Donor {spec.donor.pk} is soft-credited twice.",
                fields={"soft_credits": ["One soft credit per donor."]},
            )
        seen.add(spec.donor.pk)
        part = amount_parse(spec.amount, field="soft_credits")
        if part > amount:
            raise ServiceError(
                f"A soft credit of {part:.2f} is more than the gift's {amount:.2f}.",
                fields={"soft_credits": ["More than the gift."]},
            )
        credits.append(SoftCredit(donor=spec.donor, amount=part))
    return credits


def gift_details_check(values: dict[str, Any], *, amount: Decimal, method: str) -> dict[str, Any]:
    """Check and normalize the descriptive fields (all present in `values`)."""
    for field in TEXT_LIMITS:
        if field in values:
            values[field] = text_check(values[field], field=field)
    if values["tribute_type"] not in TributeType.values:
        raise ServiceError(
            f"A tribute is one of {', '.join(TributeType.values)}.",
            fields={"tribute_type": ["Unknown tribute type."]},
        )
    if values["tribute_type"] != TributeType.NONE and not values["tribute_name"]:
        raise ServiceError(
            "A tribute names the person honored or remembered.",
            fields={"tribute_name": ["Required with a tribute."]},
        )
    email = (values["notify_email"] or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError(
                f"{email} is not an email address.", fields={"notify_email": ["Not an email."]}
            ) from None
    values["notify_email"] = email
    value = _amount_or_zero(values["goods_services_value"], field="goods_services_value")
    if value > amount:
        raise ServiceError(
            "The value of goods or services given in return is more than the gift.",
            fields={"goods_services_value": ["More than the amount."]},
        )
    if value and not values["goods_services_description"]:
        raise ServiceError(
            "Describe the goods or services given in return (the receipt must).",
            fields={"goods_services_description": ["Required with a value."]},
        )
    values["goods_services_value"] = value
    if method == GiftMethod.IN_KIND and not values["in_kind_description"]:
        raise ServiceError(
            "An in-kind gift is described (its receipt describes it, without a value).",
            fields={"in_kind_description": ["Required for an in-kind gift."]},
        )
    return values


def method_check(method: str) -> str:
    """One of the gift methods, by its value."""
    if method not in GiftMethod.values:
        raise ServiceError(
            f"A method is one of {', '.join(GiftMethod.values)}.",
            fields={"method": ["Unknown method."]},
        )
    return method


def gift_create(
    *,
    donor: Donor,
    amount: Decimal | str,
    received_on: date,
    method: str,
    acting_user: User | None,
    allocations: Sequence[AllocationSpec] = (),
    soft_credits: Sequence[SoftCreditSpec] = (),
    campaign: Campaign | None = None,
    designation: str = "",
    tribute_type: str = TributeType.NONE,
    tribute_name: str = "",
    notify_name: str = "",
    notify_email: str = "",
    goods_services_value: Decimal | str = Decimal("0"),
    goods_services_description: str = "",
    in_kind_description: str = "",
    check_number: str = "",
    payment_reference: str = "",
    source: str = GiftSource.MANUAL,
    pledge: Pledge | None = None,
    recurring_gift: RecurringGift | None = None,
) -> Gift:
    """A draft gift with its allocations (one to GEN if none) and soft credits. Nothing is in
    the books until gift_post. A payment on a pledge (`pledge`) comes from the pledge's donor,
    goes to its fund (the default) and is at most its remaining balance; a gift made by a
    recurring gift's schedule names it (`recurring_gift`), once per date."""
    donor_check(donor)
    gift_amount = amount_parse(amount, field="amount")
    received_on = date_required(received_on, field="received_on")
    method = method_check(method)
    if source not in GiftSource.values:
        raise ServiceError(
            f"A source is one of {', '.join(GiftSource.values)}.",
            fields={"source": ["Unknown source."]},
        )
    details = gift_details_check(
        {
            "designation": designation,
            "tribute_type": tribute_type,
            "tribute_name": tribute_name,
            "notify_name": notify_name,
            "notify_email": notify_email,
            "goods_services_value": goods_services_value,
            "goods_services_description": goods_services_description,
            "in_kind_description": in_kind_description,
            "check_number": check_number,
            "payment_reference": payment_reference,
        },
        amount=gift_amount,
        method=method,
    )
    # A payment on a pledge, or a recurring gift's gift, goes to their fund unless told.
    fund_of = pledge or recurring_gift
    if not allocations and fund_of is not None:
        allocations = [AllocationSpec(fund=fund_of.fund.code, amount=gift_amount)]
    allocation_rows = _allocations_build(allocations, amount=gift_amount)
    credit_rows = _soft_credits_build(soft_credits, donor=donor, amount=gift_amount)
    if (
        details["payment_reference"]
        and Gift.objects.filter(payment_reference=details["payment_reference"]).exists()
    ):
        raise StateConflict(
            f"A gift with payment reference {details['payment_reference']} is already recorded."
        )
    if recurring_gift is not None and recurring_gift.donor_id != donor.pk:
        raise ServiceError(
            f"Recurring gift {recurring_gift.pk} is donor {recurring_gift.donor_id}'s.",
            fields={"donor": ["Not the recurring gift's donor."]},
        )
    with transaction.atomic():
        if pledge is not None:
            pledge = _pledge_locked(pledge)
            _pledge_payment_check(
                pledge,
                donor=donor,
                amount=gift_amount,
                method=method,
                fund_ids={row.fund.pk for row in allocation_rows},
            )
        gift = Gift.objects.create(
            donor=donor,
            amount=gift_amount,
            currency=accounting.accounting_settings().currency,
            received_on=received_on,
            method=method,
            campaign=campaign,
            source=source,
            pledge=pledge,
            recurring_gift=recurring_gift,
            created_by=actor_of(acting_user),
            **details,
        )
        gift_rows: list[GiftAllocation | SoftCredit] = [*allocation_rows, *credit_rows]
        for row in gift_rows:
            row.gift = gift
        GiftAllocation.objects.bulk_create(allocation_rows)
        SoftCredit.objects.bulk_create(credit_rows)
        audit_record(
            "gift.create",
            acting_user=acting_user,
            obj=gift,
            donor=donor.pk,
            amount=f"{gift_amount:.2f}",
            **({"pledge": pledge.pk} if pledge is not None else {}),
            **({"recurring_gift": recurring_gift.pk} if recurring_gift is not None else {}),
        )
    return gift


def _locked(gift: Gift) -> Gift:
    return Gift.objects.select_for_update().select_related("donor").get(pk=gift.pk)


def gift_update(*, gift: Gift, acting_user: User | None, **changes: Any) -> Gift:
    """Change a gift. A draft changes freely; a posted or refunded gift keeps what its journal
    entry says (amount, funds, method, date, donor): that is a refund and a new gift."""
    changes_check(changes, EDITABLE_FIELDS | LEDGER_FIELDS, of="a gift")
    with transaction.atomic():
        gift = _locked(gift)
        ledger_changes = sorted(set(changes) & LEDGER_FIELDS)
        if gift.state != GiftState.DRAFT and ledger_changes:
            raise StateConflict(
                f"Gift {gift.pk} is {gift.state}: its {', '.join(ledger_changes)} are in the "
                "books and cannot be edited. To correct them, refund it and record a new gift."
            )
        donor = donor_check(changes["donor"]) if "donor" in changes else gift.donor
        amount = (
            amount_parse(changes["amount"], field="amount") if "amount" in changes else gift.amount
        )
        method = method_check(changes.get("method", gift.method))
        received_on = date_required(
            changes.get("received_on", gift.received_on), field="received_on"
        )
        details = gift_details_check(
            {
                name: changes.get(name, getattr(gift, name))
                for name in EDITABLE_FIELDS - {"campaign"}
            },
            amount=amount,
            method=method,
        )
        if "allocations" in changes or "amount" in changes:
            specs = changes.get("allocations")
            if specs is None:
                current = list(gift.allocations.select_related("fund"))
                # One allocation follows the new amount; a split must be given again.
                specs = (
                    [AllocationSpec(fund=current[0].fund.code, amount=amount)]
                    if len(current) == 1
                    else [AllocationSpec(a.fund.code, a.amount) for a in current]
                )
            rows = _allocations_build(specs, amount=amount)
            gift.allocations.all().delete()
            for row in rows:
                row.gift = gift
            GiftAllocation.objects.bulk_create(rows)
        if "donor" in changes and gift.soft_credits.filter(donor=donor).exists():
            raise ServiceError(
                "The new donor has a soft credit on this gift; remove it first.",
                fields={"donor": ["Soft-credited on this gift."]},
            )
        if ledger_changes and gift.pledge is not None:
            _pledge_payment_check(
                _pledge_locked(gift.pledge),
                donor=donor,
                amount=amount,
                method=method,
                fund_ids=set(gift.allocations.values_list("fund_id", flat=True)),
            )
        gift.donor, gift.amount, gift.method, gift.received_on = donor, amount, method, received_on
        if "campaign" in changes:
            gift.campaign = changes["campaign"]
        for name, value in details.items():
            setattr(gift, name, value)
        gift.save()
        audit_record("gift.update", acting_user=acting_user, obj=gift, changed=sorted(changes))
    return gift


def gift_delete(*, gift: Gift, acting_user: User | None) -> None:
    """Delete a draft gift (entered by mistake) with its allocations and soft credits. A posted
    gift is in the books: it is refunded, never deleted."""
    with transaction.atomic():
        gift = _locked(gift)
        if gift.state != GiftState.DRAFT:
            raise StateConflict(
                f"Gift {gift.pk} is {gift.state}; only a draft can be deleted. Refund it instead."
            )
        audit_record(
            "gift.delete",
            acting_user=acting_user,
            obj=gift,
            donor=gift.donor_id,
            amount=f"{gift.amount:.2f}",
            received_on=gift.received_on.isoformat(),
        )
        gift.delete()


def _gift_lines(gift: Gift) -> list[accounting.LineSpec]:
    lines = []
    for allocation in gift.allocations.select_related("fund").order_by("id"):
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
                accounting.LineSpec(
                    account=DEBIT_ACCOUNT_OF_METHOD[gift.method], fund=fund, debit=allocation.amount
                )
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


def gift_post(*, gift: Gift, acting_user: User | None) -> Gift:
    """Post a draft gift: its journal entry (see the module's posting rules), dated the day it
    was received, with source_reference "gift:<id>"."""
    with transaction.atomic():
        gift = _locked(gift)
        if gift.state != GiftState.DRAFT:
            raise StateConflict(f"Gift {gift.pk} is {gift.state}; only a draft can be posted.")
        total = gift.allocations.aggregate(total=Sum("amount"))["total"]
        if total != gift.amount:  # the services keep this; a guard against other writers
            raise StateConflict(
                f"Gift {gift.pk}'s allocations add up to {total}, not {gift.amount:.2f}."
            )
        pledge = _pledge_locked(gift.pledge) if gift.pledge is not None else None
        if pledge is not None:
            # Checked again now: other payments may have been posted since this one was drafted.
            _pledge_payment_check(
                pledge,
                donor=gift.donor,
                amount=gift.amount,
                method=gift.method,
                fund_ids=set(gift.allocations.values_list("fund_id", flat=True)),
            )
        entry = accounting.entry_record(
            date=gift.received_on,
            memo=f"Gift {gift.pk} from {gift.donor.display_name}"[:500],
            lines=_gift_lines(gift),
            source=EntrySource.IN_KIND
            if gift.method == GiftMethod.IN_KIND
            else EntrySource.DONATION,
            source_reference=f"gift:{gift.pk}",
            acting_user=acting_user,
        )
        gift.state = GiftState.POSTED
        gift.journal_entry = entry
        gift.posted_by = actor_of(acting_user)
        gift.posted_at = timezone.now()
        gift.save(update_fields=["state", "journal_entry", "posted_by", "posted_at", "updated_at"])
        audit_record("gift.post", acting_user=acting_user, obj=gift, entry=entry.number)
        if pledge is not None:
            _pledge_after_payment(pledge, acting_user=acting_user)
        # Its receipt is issued after commit (donations.receipts decides whether it needs one).
        enqueue_on_commit(receipt_issue_task, gift.pk)
    return gift


def gift_refund(
    *, gift: Gift, acting_user: User | None, date: date | None = None, memo: str = ""
) -> Gift:
    """Refund a posted gift: its entry is reversed (dated `date`, today by default). A check or
    cash gift in a closed deposit has left undeposited funds: the money goes back out of the
    deposit's bank account, so a second entry moves it Dr 1050, Cr the bank, per fund."""
    day = date_required(date, field="date") if date is not None else timezone.localdate()
    with transaction.atomic():
        gift = _locked(gift)
        if gift.state != GiftState.POSTED:
            raise StateConflict(f"Gift {gift.pk} is {gift.state}; only a posted gift is refunded.")
        if day < gift.received_on:
            # Checked before the ledger's own rule so that the refusal speaks of the gift.
            raise ServiceError(
                "A refund cannot be dated before the gift was received "
                f"({gift.received_on.isoformat()}).",
                fields={"date": [f"On or after {gift.received_on.isoformat()}."]},
            )
        deposit = (
            Deposit.objects.select_for_update().get(pk=gift.deposit_id)
            if gift.deposit_id is not None
            else None
        )
        if deposit is not None and deposit.state == DepositState.OPEN:
            raise StateConflict(
                f"Gift {gift.pk} is in open deposit {deposit.pk}; remove it from the deposit "
                "before refunding it."
            )
        reversal = accounting.entry_reverse(
            # Only a posted gift is refunded (checked above), and a posted gift has its entry.
            entry=gift.journal_entry,  # type: ignore[arg-type]
            acting_user=acting_user,
            date=day,
            memo=memo or f"Refund of gift {gift.pk}",
        )
        if deposit is not None:
            accounting.entry_record(
                date=day,
                memo=f"Refund of gift {gift.pk} out of deposit {deposit.pk}",
                lines=[
                    line
                    for allocation in gift.allocations.select_related("fund")
                    for line in (
                        accounting.LineSpec(
                            account=UNDEPOSITED_FUNDS_ACCOUNT,
                            fund=allocation.fund.code,
                            debit=allocation.amount,
                        ),
                        accounting.LineSpec(
                            account=deposit.bank_account.code,
                            fund=allocation.fund.code,
                            credit=allocation.amount,
                        ),
                    )
                ],
                source=EntrySource.DONATION,
                source_reference=f"gift:{gift.pk}",
                acting_user=acting_user,
            )
        gift.state = GiftState.REFUNDED
        gift.refund_entry = reversal
        gift.save(update_fields=["state", "refund_entry", "updated_at"])
        # A receipt issued for it is voided by a new version after commit.
        enqueue_on_commit(receipt_void_task, gift.pk)
        audit_record(
            "gift.refund",
            acting_user=acting_user,
            obj=gift,
            reversal=reversal.number,
        )
        if gift.pledge is not None:
            _pledge_after_refund(
                _pledge_locked(gift.pledge), gift=gift, day=day, acting_user=acting_user
            )
    return gift


# --- Deposits ---------------------------------------------------------------------------------


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
        gift = _locked(gift)
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


def deposit_remove_gift(*, deposit: Deposit, gift: Gift, acting_user: User | None) -> Gift:
    with transaction.atomic():
        deposit = _open_deposit_locked(deposit)
        gift = _locked(gift)
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
        gifts = list(Gift.objects.select_for_update().filter(deposit=deposit))
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


# --- Donor merge steps (registered in DonationsConfig.ready) ------------------------------------


def merge_gifts(survivor: Donor, merged: Donor) -> dict[str, Any]:
    gifts = list(Gift.objects.filter(donor=merged).values_list("pk", flat=True))
    Gift.objects.filter(pk__in=gifts).update(donor=survivor, updated_at=timezone.now())
    return {"gifts": gifts}


def merge_soft_credits(survivor: Donor, merged: Donor) -> dict[str, Any]:
    """Soft credits of the merged donor move to the survivor. One on a gift that is now the
    survivor's own (hard credit wins), or that the survivor already has, is dropped."""
    own = SoftCredit.objects.filter(Q(donor=merged) | Q(donor=survivor), gift__donor=survivor)
    already = SoftCredit.objects.filter(
        donor=merged, gift__in=SoftCredit.objects.filter(donor=survivor).values("gift")
    )
    dropped = sorted(
        set(own.values_list("pk", flat=True)) | set(already.values_list("pk", flat=True))
    )
    SoftCredit.objects.filter(pk__in=dropped).delete()
    moved = list(SoftCredit.objects.filter(donor=merged).values_list("pk", flat=True))
    SoftCredit.objects.filter(pk__in=moved).update(donor=survivor)
    return {"soft_credits": moved, "soft_credits_dropped": dropped}


# --- Payments on pledges (the gift side; pledges themselves are in donations.pledges) -----------


def _pledge_locked(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update().select_related("fund").get(pk=pledge.pk)


def pledge_paid_total(pledge: Pledge) -> Decimal:
    """What the pledge's posted payments add up to (refunded ones no longer count)."""
    total = Gift.objects.filter(pledge=pledge, state=GiftState.POSTED).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")


def _pledge_payment_check(
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
    balance = pledge.amount - pledge.written_off_amount - pledge_paid_total(pledge)
    if amount > balance:
        raise ServiceError(
            f"A payment of {amount:.2f} is more than pledge {pledge.pk}'s remaining balance "
            f"of {balance:.2f}. Record the difference as a separate gift.",
            fields={"amount": [f"At most {balance:.2f}."]},
        )


def _pledge_after_payment(pledge: Pledge, *, acting_user: User | None) -> None:
    if pledge_paid_total(pledge) == pledge.amount:
        pledge.state = PledgeState.FULFILLED
        pledge.save(update_fields=["state", "updated_at"])
        audit_record("pledge.fulfil", acting_user=acting_user, obj=pledge)


def _pledge_after_refund(
    pledge: Pledge, *, gift: Gift, day: date, acting_user: User | None
) -> None:
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


def pledge_write_off_lines(pledge: Pledge, amount: Decimal) -> list[accounting.LineSpec]:
    """A reduction of contributions in the pledge's fund: Dr 4010, Cr 1210."""
    return [
        accounting.LineSpec(account=CONTRIBUTIONS_ACCOUNT, fund=pledge.fund.code, debit=amount),
        accounting.LineSpec(
            account=PLEDGES_RECEIVABLE_ACCOUNT, fund=pledge.fund.code, credit=amount
        ),
    ]
