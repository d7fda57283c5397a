"""Gifts: recording a draft with its allocations and soft credits, changing or deleting a
draft, posting it to the books (see services.posting for what it puts there; its receipt and
its tribute notice follow after commit), refunding it, and voiding it, and the donor-merge
step for gifts.

Each top-level service owns its transaction and writes its audit row (core's AuditEvent) in it;
a refusal raises ServiceError or StateConflict with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from saas_platform.lib.bulk import keys_taken, rows_insert, rows_update
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse
from saas_platform.lib.plain_reads import plain_values
from saas_platform.lib.tasks import enqueue_on_commit
from saas_platform.lib.transactions import all_or_none
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, Fund, JournalEntry
from tenant_apps.core.services import (
    actor_of,
    audit_event,
    audit_events_record,
    audit_record,
    changes_save,
)
from tenant_apps.donations.models import (
    Campaign,
    Deposit,
    DepositState,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftRefund,
    GiftSource,
    GiftState,
    Pledge,
    Receipt,
    RecurringGift,
    SoftCredit,
    TributeType,
)
from tenant_apps.donations.services.allocations import (
    AllocationSpec,
    SoftCreditSpec,
    allocations_build,
    soft_credits_build,
)
from tenant_apps.donations.services.checks import (
    changes_check,
    date_required,
    donor_check,
    gift_details_check,
    method_check,
)
from tenant_apps.donations.services.pledges import (
    pledge_after_payment,
    pledge_after_refund,
    pledge_locked_for_payment,
    pledge_payment_check,
)
from tenant_apps.donations.services.posting import (
    DEFAULT_FUND,
    UNDEPOSITED_FUNDS_ACCOUNT,
    gift_lines,
)
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings_lacking,
    receipts_issuable,
)
from tenant_apps.donations.services.tributes import tribute_notice_wanted
from tenant_apps.donations.tasks import receipt_correct_for_part_refund as receipt_correct_task
from tenant_apps.donations.tasks import receipt_issue_for_gift as receipt_issue_task
from tenant_apps.donations.tasks import receipt_issue_for_gifts as receipts_issue_task
from tenant_apps.donations.tasks import receipt_void_for_refunded_gift as receipt_void_task
from tenant_apps.donations.tasks import tribute_notice_email_send as tribute_notice_task
from tenant_apps.donors.models import Donor

if TYPE_CHECKING:
    from shared_apps.users.models import User


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


@dataclass(frozen=True)
class GiftSpec:
    """One gift of a batch (gifts_create): what gift_create takes, but the user and a pledge
    (an installment of a monthly gift through Stripe names its recurring gift and invoice)."""

    donor: Donor
    amount: Decimal | str
    received_on: date
    method: str
    allocations: Sequence[AllocationSpec] = ()
    soft_credits: Sequence[SoftCreditSpec] = ()
    campaign: Campaign | None = None
    designation: str = ""
    tribute_type: str = TributeType.NONE
    tribute_name: str = ""
    notify_name: str = ""
    notify_email: str = ""
    goods_services_value: Decimal | str = Decimal("0")
    goods_services_description: str = ""
    in_kind_description: str = ""
    check_number: str = ""
    payment_reference: str = ""
    source: str = GiftSource.MANUAL
    anonymous: bool = False
    recurring_gift: RecurringGift | None = None
    stripe_invoice_id: str = ""


def _gift_checked(
    spec: GiftSpec,
    *,
    fund_of: Pledge | RecurringGift | None = None,
    funds: Mapping[str, Fund] | None = None,
) -> tuple[Gift, list[GiftAllocation], list[SoftCredit]]:
    """The unsaved gift, allocations and soft credits `spec` describes, checked; the gift goes
    to `fund_of`'s fund unless its allocations say otherwise."""
    donor_check(spec.donor)
    gift_amount = amount_parse(spec.amount, field="amount")
    received_on = date_required(spec.received_on, field="received_on")
    method = method_check(spec.method)
    if spec.source not in GiftSource.values:
        raise ServiceError(
            f"A source is one of {', '.join(GiftSource.values)}.",
            fields={"source": ["Unknown source."]},
        )
    details = gift_details_check(
        {
            "designation": spec.designation,
            "tribute_type": spec.tribute_type,
            "tribute_name": spec.tribute_name,
            "notify_name": spec.notify_name,
            "notify_email": spec.notify_email,
            "goods_services_value": spec.goods_services_value,
            "goods_services_description": spec.goods_services_description,
            "in_kind_description": spec.in_kind_description,
            "check_number": spec.check_number,
            "payment_reference": spec.payment_reference,
        },
        amount=gift_amount,
        method=method,
    )
    allocations = spec.allocations
    if not allocations and fund_of is not None:
        allocations = [AllocationSpec(fund=fund_of.fund.code, amount=gift_amount)]
    allocation_rows = allocations_build(allocations, amount=gift_amount, funds=funds)
    credit_rows = soft_credits_build(spec.soft_credits, donor=spec.donor, amount=gift_amount)
    gift = Gift(
        donor=spec.donor,
        amount=gift_amount,
        received_on=received_on,
        method=method,
        campaign=spec.campaign,
        source=spec.source,
        anonymous=bool(spec.anonymous),
        **details,
    )
    return gift, allocation_rows, credit_rows


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
    stripe_invoice_id: str = "",
    anonymous: bool = False,
) -> Gift:
    """A draft gift with its allocations (one to GEN if none) and soft credits. Nothing is in
    the books until gift_post. A payment on a pledge (`pledge`) comes from the pledge's donor,
    goes to its fund (the default) and is at most its remaining balance; a gift made by a
    recurring gift's schedule names it (`recurring_gift`), once per date; an installment of a
    monthly gift through Stripe names it and the invoice that paid it (`stripe_invoice_id`),
    once per invoice."""
    gift, allocation_rows, credit_rows = _gift_checked(
        GiftSpec(
            donor=donor,
            amount=amount,
            received_on=received_on,
            method=method,
            allocations=allocations,
            soft_credits=soft_credits,
            campaign=campaign,
            designation=designation,
            tribute_type=tribute_type,
            tribute_name=tribute_name,
            notify_name=notify_name,
            notify_email=notify_email,
            goods_services_value=goods_services_value,
            goods_services_description=goods_services_description,
            in_kind_description=in_kind_description,
            check_number=check_number,
            payment_reference=payment_reference,
            source=source,
            anonymous=anonymous,
        ),
        fund_of=pledge or recurring_gift,
    )
    if (
        gift.payment_reference
        and Gift.objects.filter(payment_reference=gift.payment_reference).exists()
    ):
        raise StateConflict(
            f"A gift with payment reference {gift.payment_reference} is already recorded."
        )
    if recurring_gift is not None and recurring_gift.donor_id != donor.pk:
        raise ServiceError(
            f"Recurring gift {recurring_gift.pk} is donor {recurring_gift.donor_id}'s.",
            fields={"donor": ["Not the recurring gift's donor."]},
        )
    with transaction.atomic():
        if pledge is not None:
            pledge = pledge_locked_for_payment(pledge)
            pledge_payment_check(
                pledge,
                donor=donor,
                amount=gift.amount,
                method=gift.method,
                fund_ids={row.fund.pk for row in allocation_rows},
            )
        gift.pledge = pledge
        gift.recurring_gift = recurring_gift
        gift.stripe_invoice_id = stripe_invoice_id
        gift.currency = accounting.accounting_settings().currency
        gift.created_by = actor_of(acting_user)
        gift.save(force_insert=True)
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
            amount=f"{gift.amount:.2f}",
            **({"pledge": pledge.pk} if pledge is not None else {}),
            **({"recurring_gift": recurring_gift.pk} if recurring_gift is not None else {}),
        )
    return gift


def gifts_create(*, gifts: Sequence[GiftSpec], acting_user: User | None) -> list[Gift]:
    """Many draft gifts in one transaction, all or none, each checked as gift_create checks
    one and written with the same rows (allocations, soft credits, audit row): the funds read
    once, and the gifts, their allocations and soft credits and audit rows written in one
    statement each. A refusal names the gift by its place in the batch."""
    return _gifts_created(gifts, acting_user=acting_user)[0]


def gifts_create_post(
    *,
    gifts: Sequence[GiftSpec],
    acting_user: User | None,
    entries_after: Callable[[Gift], Sequence[accounting.EntrySpec]] | None = None,
    payments_read_unrecorded: bool = False,
) -> tuple[list[Gift], list[JournalEntry]]:
    """Many gifts created and posted in one transaction, all or none, with the rows, entries,
    audit rows and receipts gifts_create then gifts_post give them, each gift written once,
    already posted: for gifts in the books as soon as they are recorded (online gifts). The
    gifts' keys are taken from their sequence first, so that their entries (which name them)
    are written before them. A GiftSpec names no pledge, so none is a payment on one. Returns
    the gifts and every entry posted, in the order numbered (each gift's, then its
    `entries_after`).

    `payments_read_unrecorded`: the caller has read, in this transaction, which payments are
    recorded (a drain, under the organization's clearing lock), so they are not read again
    here. A payment recorded already is then refused by the database's unique index on
    payment references (IntegrityError) rather than by this service (StateConflict)."""
    if not gifts:
        return [], []
    with all_or_none():
        prepared = _gifts_prepared(
            gifts, acting_user=acting_user, payments_read_unrecorded=payments_read_unrecorded
        )
        for (gift, _, _), key in zip(prepared, keys_taken(Gift, len(prepared)), strict=True):
            gift.pk = key
        _gifts_created_audit([gift for gift, _, _ in prepared], acting_user=acting_user)
        allocations = {gift.pk: allocations for gift, allocations, _ in prepared}
        posted, entries = _gifts_post_batch(
            [gift for gift, _, _ in prepared],
            allocations,
            acting_user=acting_user,
            entries_after=entries_after,
            written=False,
        )
        rows_insert(posted)
        _gifts_rows_insert(prepared)
        return posted, entries


type _Prepared = tuple[Gift, list[GiftAllocation], list[SoftCredit]]


def _gifts_created(
    gifts: Sequence[GiftSpec], *, acting_user: User | None
) -> tuple[list[Gift], dict[int, list[GiftAllocation]]]:
    """gifts_create's drafts, and each one's allocations by its id."""
    if not gifts:
        return [], {}
    prepared = _gifts_prepared(gifts, acting_user=acting_user)
    # In the caller's transaction, without a savepoint of its own.
    with transaction.atomic(savepoint=False):
        created = rows_insert([gift for gift, _, _ in prepared])
        _gifts_rows_insert(prepared)
        _gifts_created_audit(created, acting_user=acting_user)
    return created, {gift.pk: allocations for gift, allocations, _ in prepared}


def _gifts_prepared(
    gifts: Sequence[GiftSpec], *, acting_user: User | None, payments_read_unrecorded: bool = False
) -> list[_Prepared]:
    """Each spec checked as gift_create checks one (a refusal names the gift by its place in
    the batch; a payment reference recorded already, or twice in the batch, is refused), as
    the unsaved gift, allocations and soft credits gifts_create writes."""
    codes = {allocation.fund for spec in gifts for allocation in spec.allocations}
    funds = accounting.funds_by_code(codes | {DEFAULT_FUND})
    prepared = []
    for index, spec in enumerate(gifts):
        try:
            prepared.append(_gift_checked(spec, funds=funds))
        except ServiceError as error:
            raise type(error)(f"Gift {index + 1}: {error.message}", fields=error.fields) from error
        if spec.recurring_gift is not None and spec.recurring_gift.donor_id != spec.donor.pk:
            raise ServiceError(
                f"Gift {index + 1}: recurring gift {spec.recurring_gift.pk} is donor "
                f"{spec.recurring_gift.donor_id}'s.",
                fields={"donor": ["Not the recurring gift's donor."]},
            )
    references = [gift.payment_reference for gift, _, _ in prepared if gift.payment_reference]
    repeated = sorted({ref for ref in references if references.count(ref) > 1})
    recorded = (
        []
        if payments_read_unrecorded or not references
        else sorted(
            Gift.objects.filter(payment_reference__in=references).values_list(
                "payment_reference", flat=True
            )
        )
    )
    if repeated or recorded:
        raise StateConflict(
            f"A gift with payment reference {(repeated or recorded)[0]} is already recorded."
        )
    currency = accounting.accounting_settings().currency
    actor = actor_of(acting_user)
    for (gift, _, _), spec in zip(prepared, gifts, strict=True):
        gift.currency = currency
        gift.created_by = actor
        gift.recurring_gift = spec.recurring_gift
        gift.stripe_invoice_id = spec.stripe_invoice_id
    return prepared


def _gifts_rows_insert(prepared: Sequence[_Prepared]) -> None:
    """The allocations and soft credits of gifts written (with their keys), a statement each."""
    allocation_rows: list[GiftAllocation] = []
    credit_rows: list[SoftCredit] = []
    for gift, allocations, credits in prepared:
        rows: list[GiftAllocation | SoftCredit] = [*allocations, *credits]
        for row in rows:
            row.gift = gift
        allocation_rows += allocations
        credit_rows += credits
    rows_insert(allocation_rows)
    rows_insert(credit_rows)


def _gifts_created_audit(gifts: Sequence[Gift], *, acting_user: User | None) -> None:
    audit_events_record(
        [
            audit_event(
                "gift.create",
                acting_user=acting_user,
                obj=gift,
                donor=gift.donor_id,
                amount=f"{gift.amount:.2f}",
                **(
                    {"recurring_gift": gift.recurring_gift_id}
                    if gift.recurring_gift_id is not None
                    else {}
                ),
            )
            for gift in gifts
        ]
    )


def gift_locked(gift: Gift) -> Gift:
    return Gift.objects.select_for_update(no_key=True).select_related("donor").get(pk=gift.pk)


def gift_of_payment_locked(payment_reference: str) -> Gift | None:
    """The gift of a payment (an online gift's PaymentIntent), found and locked in one read."""
    return (
        Gift.objects.select_for_update(no_key=True)
        .select_related("donor")
        .filter(payment_reference=payment_reference)
        .first()
    )


def gift_update(*, gift: Gift, acting_user: User | None, **changes: Any) -> Gift:
    """Change a gift. A draft changes freely; a posted or refunded gift keeps what its journal
    entry says (amount, funds, method, date, donor): that is a refund and a new gift."""
    changes_check(changes, EDITABLE_FIELDS | LEDGER_FIELDS, of="a gift")
    with transaction.atomic():
        gift = gift_locked(gift)
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
            rows = allocations_build(specs, amount=amount)
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
            pledge_payment_check(
                pledge_locked_for_payment(gift.pledge),
                donor=donor,
                amount=amount,
                method=method,
                fund_ids=set(gift.allocations.values_list("fund_id", flat=True)),
            )
        values = {"donor": donor, "amount": amount, "method": method, "received_on": received_on}
        if "campaign" in changes:
            values["campaign"] = changes["campaign"]
        told = gift.notify_email
        changes_save(
            gift,
            {**values, **details},
            action="gift.update",
            acting_user=acting_user,
            changed=sorted(changes),
        )
        # A new or corrected address is told; one removed tells no one, and when its person
        # was told already the gift keeps when.
        if gift.state == GiftState.POSTED and gift.notify_email and gift.notify_email != told:
            _tribute_notice_again(gift)
    return gift


def _tribute_notice_again(gift: Gift) -> None:
    """A posted gift's person to tell has a new email (added after posting, or a mistyped one
    corrected): they are told at it, once, as at posting (services.tributes)."""
    if gift.notify_sent_at is not None:
        gift.notify_sent_at = None
        gift.save(update_fields=["notify_sent_at"])
    if tribute_notice_wanted(gift):
        enqueue_on_commit(tribute_notice_task, gift.pk)


def gift_delete(*, gift: Gift, acting_user: User | None) -> None:
    """Delete a draft gift (entered by mistake) with its allocations and soft credits. A posted
    gift is in the books: it is refunded, never deleted."""
    with transaction.atomic():
        gift = gift_locked(gift)
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


def gift_post(
    *,
    gift: Gift,
    acting_user: User | None,
    entries_after: Callable[[Gift], Sequence[accounting.EntrySpec]] | None = None,
) -> Gift:
    """Post a draft gift: its journal entry (see services.posting), dated the day it
    was received, with source_reference "gift:<id>". `entries_after`, given the gift, names
    entries of its own to post right after the gift's (an online gift's processing fee), in
    the same few statements."""
    with transaction.atomic():
        gift = gift_locked(gift)
        if gift.state != GiftState.DRAFT:
            raise StateConflict(f"Gift {gift.pk} is {gift.state}; only a draft can be posted.")
        total = gift.allocations.aggregate(total=Sum("amount"))["total"]
        if total != gift.amount:  # the services keep this; a guard against other writers
            raise StateConflict(
                f"Gift {gift.pk}'s allocations add up to {total}, not {gift.amount:.2f}."
            )
        pledge = pledge_locked_for_payment(gift.pledge) if gift.pledge is not None else None
        if pledge is not None:
            # Checked again now: other payments may have been posted since this one was drafted.
            pledge_payment_check(
                pledge,
                donor=gift.donor,
                amount=gift.amount,
                method=gift.method,
                fund_ids=set(gift.allocations.values_list("fund_id", flat=True)),
            )
        entry, *_ = accounting.entries_record(
            entries=[
                accounting.EntrySpec(
                    date=gift.received_on,
                    memo=f"Gift {gift.pk} from {gift.donor.display_name}"[:500],
                    lines=gift_lines(gift),
                    source=EntrySource.IN_KIND
                    if gift.method == GiftMethod.IN_KIND
                    else EntrySource.DONATION,
                    source_reference=f"gift:{gift.pk}",
                ),
                *(entries_after(gift) if entries_after is not None else ()),
            ],
            acting_user=acting_user,
        )
        changes_save(
            gift,
            {
                "state": GiftState.POSTED,
                "journal_entry": entry,
                "posted_by": actor_of(acting_user),
                "posted_at": timezone.now(),
            },
            action="gift.post",
            acting_user=acting_user,
            entry=entry.number,
        )
        if pledge is not None:
            pledge_after_payment(pledge, acting_user=acting_user)
        # Its receipt is issued after commit (services.receipts decides whether it needs one)
        # when the organization can issue receipts, and the person its tribute names is told
        # of it (services.tributes).
        if receipts_issuable():
            enqueue_on_commit(receipt_issue_task, gift.pk)
        if tribute_notice_wanted(gift):
            enqueue_on_commit(tribute_notice_task, gift.pk)
    return gift


def gifts_post(
    *,
    gifts: Sequence[Gift],
    acting_user: User | None,
    entries_after: Callable[[Gift], Sequence[accounting.EntrySpec]] | None = None,
) -> list[Gift]:
    """Post many draft gifts in one transaction, all or none, in the order given: each with
    the journal entry, audit row and receipt that gift_post gives it, written a batch at a
    time (accounting's entries_record), the batch's receipts issued by one task after commit.
    A payment on a pledge is posted on its own through gift_post, its pledge checked again and
    updated, between the batches before and after it. `entries_after`, as for gift_post, names
    each gift's own entries to post right after the gift's (online gifts' processing fees)."""
    if not gifts:
        return []
    ids = [gift.pk for gift in gifts]
    with transaction.atomic():
        locked = {
            gift.pk: gift
            for gift in Gift.objects.select_for_update(no_key=True)
            .select_related("donor")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        allocations: dict[int, list[GiftAllocation]] = {pk: [] for pk in ids}
        for allocation in (
            GiftAllocation.objects.filter(gift_id__in=ids).select_related("fund").order_by("id")
        ):
            allocations[allocation.gift_id].append(allocation)
        ordered = []
        for pk in dict.fromkeys(ids):
            gift = locked.get(pk)
            if gift is None:
                raise StateConflict(f"Gift {pk} does not exist.")
            if gift.state != GiftState.DRAFT:
                raise StateConflict(f"Gift {gift.pk} is {gift.state}; only a draft can be posted.")
            total = sum((row.amount for row in allocations[pk]), Decimal("0"))
            if total != gift.amount:  # the services keep this; a guard against other writers
                raise StateConflict(
                    f"Gift {gift.pk}'s allocations add up to {total}, not {gift.amount:.2f}."
                )
            ordered.append(gift)
        posted: list[Gift] = []
        batch: list[Gift] = []
        for gift in ordered:
            if gift.pledge_id is None:
                batch.append(gift)
                continue
            posted += _gifts_post_batch(
                batch, allocations, acting_user=acting_user, entries_after=entries_after
            )[0]
            batch = []
            posted.append(
                gift_post(gift=gift, acting_user=acting_user, entries_after=entries_after)
            )
        posted += _gifts_post_batch(
            batch, allocations, acting_user=acting_user, entries_after=entries_after
        )[0]
    return posted


def _gifts_post_batch(
    gifts: list[Gift],
    allocations: dict[int, list[GiftAllocation]],
    *,
    acting_user: User | None,
    entries_after: Callable[[Gift], Sequence[accounting.EntrySpec]] | None,
    written: bool = True,
) -> tuple[list[Gift], list[JournalEntry]]:
    """Locked, checked drafts (not payments on pledges) posted: their entries (each gift's
    followed by its `entries_after`, numbered in that order as gift_post numbers them), then
    the gifts and their audit rows in one statement each, their receipts queued as one task.
    Gifts not `written` yet (with their keys taken) are only marked posted: the caller writes
    them so. Returns the gifts and every entry posted, in order."""
    if not gifts:
        return [], []
    specs: list[accounting.EntrySpec] = []
    places: list[int] = []  # where each gift's own entry is among the specs
    for gift in gifts:
        places.append(len(specs))
        specs.append(
            accounting.EntrySpec(
                date=gift.received_on,
                memo=f"Gift {gift.pk} from {gift.donor.display_name}"[:500],
                lines=gift_lines(gift, allocations=allocations[gift.pk]),
                source=EntrySource.IN_KIND
                if gift.method == GiftMethod.IN_KIND
                else EntrySource.DONATION,
                source_reference=f"gift:{gift.pk}",
            )
        )
        if entries_after is not None:
            specs += entries_after(gift)
    recorded = accounting.entries_record(entries=specs, acting_user=acting_user)
    entries = [recorded[place] for place in places]
    now = timezone.now()
    for gift, entry in zip(gifts, entries, strict=True):
        gift.state = GiftState.POSTED
        gift.journal_entry = entry
        gift.posted_by = actor_of(acting_user)
        gift.posted_at = now
        gift.updated_at = now
    if written:
        rows_update(
            Gift,
            per_row="journal_entry_id",
            values={gift.pk: entry.pk for gift, entry in zip(gifts, entries, strict=True)},
            state=GiftState.POSTED.value,
            posted_by_id=gifts[0].posted_by_id,
            posted_at=now,
            updated_at=now,
        )
    audit_events_record(
        [
            audit_event("gift.post", acting_user=acting_user, obj=gift, entry=entry.number)
            for gift, entry in zip(gifts, entries, strict=True)
        ]
    )
    if receipts_issuable():
        enqueue_on_commit(receipts_issue_task, [gift.pk for gift in gifts])
    for gift in gifts:
        if tribute_notice_wanted(gift):
            enqueue_on_commit(tribute_notice_task, gift.pk)
    return gifts, recorded


def gift_refund(
    *,
    gift: Gift,
    acting_user: User | None,
    date: date | None = None,
    memo: str = "",
    amount: Decimal | None = None,
    stripe_refund_id: str = "",
) -> Gift:
    """Refund a posted gift, whole (the default: what is left of it) or in part (`amount`),
    dated `date` (today by default), recording a GiftRefund.

    The whole gift at once: its entry is reversed. A check or cash gift in a closed deposit has
    left undeposited funds: the money goes back out of the deposit's bank account, so a second
    entry moves it Dr 1050, Cr the bank, per fund. In part: an entry takes `amount` back out of
    the gift's accounts, shared among its funds as the gift is; only a gift neither deposited,
    paying a pledge nor in kind is refunded in part. When its refunds reach its amount the gift
    is refunded and its receipt voided after commit; until then each refund in part has its
    receipt corrected after commit to the contribution that remains.

    `stripe_refund_id` names the refund Stripe made: a refund already recorded under that id is
    not recorded again (the gift is returned unchanged), whichever of the gift's page and the
    Connect webhook brings it first."""
    day = date_required(date, field="date") if date is not None else timezone.localdate()
    with transaction.atomic():
        gift = gift_locked(gift)
        if (
            stripe_refund_id
            and GiftRefund.objects.filter(stripe_refund_id=stripe_refund_id).exists()
        ):
            return gift
        amount = gift_refund_check(gift, day=day, amount=amount)
        refunded = _refunded_so_far(gift)
        whole = refunded == 0 and amount == gift.amount
        if whole:
            entry = _whole_refund_entries(gift, day=day, memo=memo, acting_user=acting_user)
        else:
            (entry,) = accounting.entries_record(
                entries=[_part_refund_spec(gift, amount, day=day, memo=memo)],
                acting_user=acting_user,
            )
        GiftRefund.objects.create(
            gift=gift,
            amount=amount,
            refunded_on=day,
            stripe_refund_id=stripe_refund_id,
            journal_entry=entry,
            created_by=actor_of(acting_user),
        )
        audit_record(
            "gift.refund",
            acting_user=acting_user,
            obj=gift,
            reversal=entry.number,
            amount=f"{amount:.2f}",
            **({"stripe_refund": stripe_refund_id} if stripe_refund_id else {}),
        )
        if refunded + amount == gift.amount:
            gift.state = GiftState.REFUNDED
            gift.refund_entry = entry
            gift.save(update_fields=["state", "refund_entry", "updated_at"])
            if gift.pledge is not None:
                pledge_after_refund(
                    pledge_locked_for_payment(gift.pledge),
                    gift=gift,
                    day=day,
                    acting_user=acting_user,
                )
        # A receipt issued for it is voided by a new version after commit; or, what remains
        # being still a contribution, one issued for more is corrected to it.
        receipts_follow_up({gift.pk: gift.state == GiftState.REFUNDED})
    return gift


def gift_refund_check(gift: Gift, *, day: date, amount: Decimal | None) -> Decimal:
    """The amount a refund of the (locked) gift on `day` gives back, or the reason it cannot:
    only a posted gift, not before it was received, at most what is left of it, and in part
    only a gift neither deposited, paying a pledge nor in kind."""
    if gift.state != GiftState.POSTED:
        raise StateConflict(f"Gift {gift.pk} is {gift.state}; only a posted gift is refunded.")
    if day < gift.received_on:
        # Checked before the ledger's own rule so that the refusal speaks of the gift.
        raise ServiceError(
            "A refund cannot be dated before the gift was received "
            f"({gift.received_on.isoformat()}).",
            fields={"date": [f"On or after {gift.received_on.isoformat()}."]},
        )
    left = gift.amount - _refunded_so_far(gift)
    if amount is None:
        return left
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(
            "A refund is a positive amount in dollars and cents.",
            fields={"amount": ["A positive amount, such as 10.00."]},
        )
    if amount > left:
        raise ServiceError(
            f"At most ${left:,.2f} of this gift is left to refund.",
            fields={"amount": [f"At most ${left:,.2f}."]},
        )
    if amount < gift.amount and (
        gift.deposit_id is not None
        or gift.pledge_id is not None
        or gift.method == GiftMethod.IN_KIND
    ):
        raise ServiceError(
            "Only the whole of a deposited gift, a pledge payment or a gift in kind is refunded.",
            fields={"amount": ["Leave it blank to refund the whole gift."]},
        )
    return amount


def _refunded_so_far(gift: Gift) -> Decimal:
    total: Decimal | None = gift.refunds.aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@dataclass(frozen=True)
class RefundSpec:
    """One refund of a batch (refund_entry_spec, then refunds_recorded): what gift_refund
    records, for a posted gift the caller holds locked and has checked (gift_refund_check: a
    whole refund or one in part, of a gift neither deposited, paying a pledge nor in kind), and
    what was refunded of the gift before this refund."""

    gift: Gift
    amount: Decimal
    day: date
    memo: str
    refunded_before: Decimal
    stripe_refund_id: str = ""
    # The gift's allocations with their funds, in id order, when the caller has read them.
    allocations: Sequence[GiftAllocation] | None = None


def refund_entry_spec(refund: RefundSpec) -> accounting.EntrySpec:
    """The refund's entry, as gift_refund posts it: the gift's entry reversed when the refund
    is the whole gift at once, else its lines turned around for the amount."""
    gift = refund.gift
    if gift.deposit_id is not None or gift.pledge_id is not None or gift.journal_entry is None:
        raise StateConflict(f"Gift {gift.pk} is refunded on its own (gift_refund).")
    if refund.refunded_before == 0 and refund.amount == gift.amount:
        return accounting.EntrySpec(
            date=refund.day,
            memo=refund.memo or f"Refund of gift {gift.pk}",
            lines=(),
            source=EntrySource.REVERSAL,
            source_reference=str(gift.journal_entry.number),
            reverses=gift.journal_entry,
        )
    return _part_refund_spec(
        gift, refund.amount, day=refund.day, memo=refund.memo, allocations=refund.allocations
    )


def _part_refund_spec(
    gift: Gift,
    amount: Decimal,
    *,
    day: date,
    memo: str,
    allocations: Sequence[GiftAllocation] | None = None,
) -> accounting.EntrySpec:
    """The entry of a refund of `amount` of the gift, not the whole gift at once."""
    return accounting.EntrySpec(
        date=day,
        memo=(memo or f"Refund of {amount:.2f} of gift {gift.pk}")[:500],
        lines=_part_refund_lines(gift, amount, allocations=allocations),
        source=EntrySource.DONATION,
        source_reference=f"gift:{gift.pk}",
    )


def refunds_recorded(
    refunds: Sequence[RefundSpec], entries: Sequence[JournalEntry], *, acting_user: User | None
) -> None:
    """What gift_refund writes once a refund's entry is posted, for many (each refund's entry
    posted by the caller from refund_entry_spec): the GiftRefund rows and audit rows in one
    statement each, the gifts refunded in full marked so, each receipt voided or corrected
    after commit."""
    if not refunds:
        return
    actor = actor_of(acting_user)
    rows_insert(
        [
            GiftRefund(
                gift=refund.gift,
                amount=refund.amount,
                refunded_on=refund.day,
                stripe_refund_id=refund.stripe_refund_id,
                journal_entry=entry,
                created_by=actor,
            )
            for refund, entry in zip(refunds, entries, strict=True)
        ]
    )
    audit_events_record(
        [
            audit_event(
                "gift.refund",
                acting_user=acting_user,
                obj=refund.gift,
                reversal=entry.number,
                amount=f"{refund.amount:.2f}",
                **({"stripe_refund": refund.stripe_refund_id} if refund.stripe_refund_id else {}),
            )
            for refund, entry in zip(refunds, entries, strict=True)
        ]
    )
    now = timezone.now()
    whole: dict[int, JournalEntry] = {}
    completed: dict[int, bool] = {}
    for refund, entry in zip(refunds, entries, strict=True):
        completes = refund.refunded_before + refund.amount == refund.gift.amount
        if completes:
            whole[refund.gift.pk] = entry
            refund.gift.state = GiftState.REFUNDED
            refund.gift.refund_entry = entry
            refund.gift.updated_at = now
        completed[refund.gift.pk] = completes  # a gift's later refund says what remains
    # As gift_refund: a receipt issued for it is voided, or corrected to what remains.
    receipts_follow_up(completed)
    if whole:
        rows_update(
            Gift,
            per_row="refund_entry_id",
            values={pk: entry.pk for pk, entry in whole.items()},
            state=GiftState.REFUNDED.value,
            updated_at=now,
        )


def _whole_refund_entries(
    gift: Gift, *, day: date, memo: str, acting_user: User | None
) -> JournalEntry:
    deposit = _deposit_for_reversal(gift, doing="refunding")
    reversal = accounting.entry_reverse(
        # Only a posted gift is refunded (checked), and a posted gift has its entry.
        entry=gift.journal_entry,  # type: ignore[arg-type]
        acting_user=acting_user,
        date=day,
        memo=memo or f"Refund of gift {gift.pk}",
    )
    if deposit is not None:
        accounting.entry_record(
            date=day,
            memo=f"Refund of gift {gift.pk} out of deposit {deposit.pk}",
            lines=_out_of_deposit_lines(gift, deposit),
            source=EntrySource.DONATION,
            source_reference=f"gift:{gift.pk}",
            acting_user=acting_user,
        )
    return reversal


def _part_refund_lines(
    gift: Gift, amount: Decimal, *, allocations: Sequence[GiftAllocation] | None = None
) -> list[accounting.LineSpec]:
    """The gift's own lines turned around for `amount`, shared among its allocations in
    proportion (to the cent; the last allocation takes what rounding leaves)."""
    lines = gift_lines(gift, allocations=allocations)
    pairs = list(zip(lines[0::2], lines[1::2], strict=True))
    result: list[accounting.LineSpec] = []
    left = amount
    for number, (debit, credit) in enumerate(pairs):
        share_of = Decimal(str(debit.debit))
        share = (
            left
            if number == len(pairs) - 1
            else (amount * share_of / gift.amount).quantize(Decimal("0.01"))
        )
        left -= share
        if share == 0:
            continue
        result.append(accounting.LineSpec(account=credit.account, fund=credit.fund, debit=share))
        result.append(accounting.LineSpec(account=debit.account, fund=debit.fund, credit=share))
    return result


def _deposit_for_reversal(gift: Gift, *, doing: str) -> Deposit | None:
    """The deposit a gift left undeposited funds through (locked), or None. A gift still in an
    open deposit is refused: it comes out of the deposit first."""
    if gift.deposit_id is None:
        return None
    deposit = Deposit.objects.select_for_update().get(pk=gift.deposit_id)
    if deposit.state == DepositState.OPEN:
        raise StateConflict(
            f"Gift {gift.pk} is in open deposit {deposit.pk}; remove it from the deposit "
            f"before {doing} it."
        )
    return deposit


def _out_of_deposit_lines(gift: Gift, deposit: Deposit) -> list[accounting.LineSpec]:
    """A check or cash gift in a closed deposit is in the deposit's bank account, no longer
    in undeposited funds: taking it out moves it Dr 1050, Cr the bank, per fund."""
    return [
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
    ]


VOID_FROM_STATES = (GiftState.DRAFT, GiftState.POSTED)
VOID_REASON_LENGTH = 500  # Gift.void_reason


def gift_void(
    *, gift: Gift, reason: str, acting_user: User | None, date: date | None = None
) -> Gift:
    """Void a gift entered in error or never received (a duplicate, a check that bounced): it
    leaves every giving total and campaign figure, and a receipt issued for it is voided by a
    new version after commit. A posted gift's entry is reversed, dated `date` (by default
    today, or the day it was received if that is later), and a check or cash gift in a closed
    deposit comes back out of the bank as a refund does. A draft was never in the books: it is
    only marked void, so that what was entered stays on record. A refunded gift is already out
    of the books and is not voided."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            "Say why the gift is voided.", fields={"reason": ["A void needs a reason."]}
        )
    if len(reason) > VOID_REASON_LENGTH:
        raise ServiceError(
            f"A reason is at most {VOID_REASON_LENGTH} characters.",
            fields={"reason": [f"At most {VOID_REASON_LENGTH} characters."]},
        )
    day = date_required(date, field="date") if date is not None else None
    with transaction.atomic():
        gift = gift_locked(gift)
        day = day or max(timezone.localdate(), gift.received_on)
        if gift.state not in VOID_FROM_STATES:
            raise StateConflict(
                f"Gift {gift.pk} is {gift.get_state_display().lower()}; only a draft or a posted "
                "gift is voided."
            )
        if gift.refunds.exists():
            raise StateConflict(
                f"Gift {gift.pk} is refunded in part; refund what is left of it instead."
            )
        was_posted = gift.state == GiftState.POSTED
        reversal = None
        if was_posted:
            if day < gift.received_on:
                raise ServiceError(
                    "A void cannot be dated before the gift was received "
                    f"({gift.received_on.isoformat()}).",
                    fields={"date": [f"On or after {gift.received_on.isoformat()}."]},
                )
            deposit = _deposit_for_reversal(gift, doing="voiding")
            reversal = accounting.entry_reverse(
                # A posted gift has its entry (the gift_posted_has_entry constraint).
                entry=gift.journal_entry,  # type: ignore[arg-type]
                acting_user=acting_user,
                date=day,
                memo=f"Void of gift {gift.pk}: {reason}"[:500],
            )
            if deposit is not None:
                accounting.entry_record(
                    date=day,
                    memo=f"Void of gift {gift.pk} out of deposit {deposit.pk}",
                    lines=_out_of_deposit_lines(gift, deposit),
                    source=EntrySource.DONATION,
                    source_reference=f"gift:{gift.pk}",
                    acting_user=acting_user,
                )
        elif gift.deposit_id is not None:
            _deposit_for_reversal(gift, doing="voiding")
        changes_save(
            gift,
            {
                "state": GiftState.VOIDED,
                "void_reason": reason,
                "void_entry": reversal,
                "voided_by": actor_of(acting_user),
                "voided_at": timezone.now(),
            },
            action="gift.void",
            acting_user=acting_user,
            reason=reason,
            was=GiftState.POSTED.value if was_posted else GiftState.DRAFT.value,
            **({"reversal": reversal.number} if reversal is not None else {}),
        )
        if was_posted:
            receipts_follow_up({gift.pk: True})
            if gift.pledge is not None:
                pledge_after_refund(
                    pledge_locked_for_payment(gift.pledge),
                    gift=gift,
                    day=day,
                    acting_user=acting_user,
                )
    return gift


def receipts_follow_up(gifts: Mapping[int, bool]) -> None:
    """After gifts are refunded or voided (each gift's id: whether nothing of it remains), what
    their receipts need, queued to run after commit: voided by a new version when nothing
    remains, else corrected to what remains (services.receipts). Only for a gift that may have
    a receipt: one is issued, or the settings can issue one now. While they cannot, none is
    being issued (issuing holds the settings' row, so a change leaving them lacking commits
    after it), and one issued later reads the gift refunded: the task would have nothing to
    do, and is not queued for every refund of an organization that does not receipt."""
    if not gifts:
        return
    if receipt_settings_lacking():
        receipted = {
            gift_id
            for (gift_id,) in plain_values(
                "SELECT DISTINCT gift_id FROM {receipt} WHERE gift_id = ANY(%s)",
                [list(gifts)],
                receipt=Receipt,
            )
        }
        gifts = {gift_id: whole for gift_id, whole in gifts.items() if gift_id in receipted}
    for gift_id, whole in gifts.items():
        enqueue_on_commit(receipt_void_task if whole else receipt_correct_task, gift_id)


def merge_gifts(survivor: Donor, merged: Donor) -> dict[str, Any]:
    gifts = list(Gift.objects.filter(donor=merged).values_list("pk", flat=True))
    Gift.objects.filter(pk__in=gifts).update(donor=survivor, updated_at=timezone.now())
    return {"gifts": gifts}
