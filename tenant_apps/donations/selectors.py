"""Reads of donations, with what their lists show loaded up front: gifts, campaigns (with what
each raised, and its progress over time), deposits, pledges (with what is paid of their
schedule), recurring gifts, receipts and an import's progress; and the giving summaries of
donors (a page of them in one aggregate query)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, TruncDate
from django.urls import reverse
from django.utils import timezone

from saas_platform.lib.formatting import money
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, EntryState, JournalLine
from tenant_apps.donations.models import (
    PAYOUT_CHARGE_TYPES,
    Campaign,
    Deposit,
    DepositState,
    Gift,
    GiftSource,
    GiftState,
    ImportJob,
    ImportState,
    PayoutTransaction,
    Pledge,
    PledgeInstallment,
    PledgeState,
    Receipt,
    RecurringGift,
    SoftCredit,
)
from tenant_apps.donors.models import Donor, DonorMergeRecord, DonorNote, DonorTask
from tenant_apps.donors.selectors import (
    MergePreviewPart,
    PreviewItem,
    day_shown,
    donor_notes,
    preview_rows,
)


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("code")


def gift_list() -> QuerySet[Gift]:
    return (
        Gift.objects.select_related(
            "donor", "campaign", "journal_entry", "refund_entry", "void_entry", "deposit"
        )
        .prefetch_related("allocations__fund", "soft_credits__donor")
        .order_by("-received_on", "-id")
    )


def deposit_list() -> QuerySet[Deposit]:
    return (
        Deposit.objects.select_related("bank_account", "journal_entry")
        .annotate(
            gift_count=Count("gifts"),
            gift_total=Coalesce(
                Sum("gifts__amount"),
                Value(0),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .prefetch_related("gifts")
        .order_by("-deposit_on", "-id")
    )


# --- Pledges and recurring gifts ----------------------------------------------------------------


def pledge_paid_total(pledge: Pledge) -> Decimal:
    """What the pledge's posted payments add up to (refunded ones no longer count)."""
    total = Gift.objects.filter(pledge=pledge, state=GiftState.POSTED).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")


def pledge_list() -> QuerySet[Pledge]:
    """Pledges with what their output shows, in a fixed number of queries: the paid total is
    an aggregate, installments and payments are prefetched."""
    return (
        Pledge.objects.select_related(
            "donor", "fund", "campaign", "journal_entry", "write_off_entry", "reversal_entry"
        )
        .annotate(
            paid_total=Coalesce(
                Sum("payments__amount", filter=Q(payments__state=GiftState.POSTED)),
                Value(Decimal("0.00")),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
        .prefetch_related(
            "installments",
            Prefetch("payments", queryset=Gift.objects.order_by("received_on", "id")),
        )
        .order_by("-pledged_on", "-id")
    )


@dataclass(frozen=True)
class InstallmentStatus:
    due_on: date
    amount: Decimal
    paid: Decimal
    written_off: Decimal
    status: str  # paid, partly_paid, unpaid, written_off


def installments_status(pledge: Pledge, *, paid_total: Decimal) -> list[InstallmentStatus]:
    """The schedule with what is paid: the posted payments settle installments in due order,
    then what was written off settles the rest. Computed, never stored: a refund or a new
    payment cannot leave it stale."""
    paid_left, written_off_left = paid_total, pledge.written_off_amount
    rows = []
    for installment in pledge.installments.all():  # prefetched in due order
        paid = min(paid_left, installment.amount)
        paid_left -= paid
        written_off = min(written_off_left, installment.amount - paid)
        written_off_left -= written_off
        if paid == installment.amount:
            status = "paid"
        elif written_off and paid + written_off == installment.amount:
            status = "written_off"
        elif paid:
            status = "partly_paid"
        else:
            status = "unpaid"
        rows.append(
            InstallmentStatus(
                due_on=installment.due_on,
                amount=installment.amount,
                paid=paid,
                written_off=written_off,
                status=status,
            )
        )
    return rows


def recurring_gift_list() -> QuerySet[RecurringGift]:
    return RecurringGift.objects.select_related("donor", "fund", "campaign").order_by(
        "next_on", "id"
    )


# --- Receipts ----------------------------------------------------------------------------------


def receipt_list() -> QuerySet[Receipt]:
    """Receipts with what their list shows, in a fixed number of queries."""
    return Receipt.objects.select_related("donor", "issued_by").annotate(
        replaced_by_id=Subquery(Receipt.objects.filter(supersedes=OuterRef("pk")).values("pk")[:1])
    )


# --- Imports -----------------------------------------------------------------------------------


class ImportProgress(TypedDict):
    state: str
    processed: int
    total: int


def import_progress_key(job_id: int) -> str:
    # The cache's key function adds the schema: alpha's job 1 and beta's job 1 do not meet.
    return f"donations:import:{job_id}:progress"


def import_progress(job: ImportJob) -> ImportProgress:
    """Where the job is: from the cache while it runs, from its row once it is finished."""
    if not job.is_finished:
        published = cache.get(import_progress_key(job.pk))
        if published is not None:
            return published
    return {"state": job.state, "processed": job.rows_processed, "total": job.total_rows}


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def import_result(job: ImportJob) -> str:
    """A finished job's result in one line: "3 of 3 rows imported", "2 of 3 rows imported: 1
    row has errors", "nothing imported: 2 rows have errors", with the possible duplicates
    counted; "" for a job not finished."""
    if not job.is_finished:
        return ""
    if job.state == ImportState.SUCCEEDED and job.rows_created:
        line = f"{job.rows_created} of {_rows(job.total_rows)} imported"
    else:
        line = "nothing imported"
    details = []
    if job.rows_with_errors:
        verb = "has" if job.rows_with_errors == 1 else "have"
        details.append(f"{_rows(job.rows_with_errors)} {verb} errors")
    if job.duplicate_count:
        many = job.duplicate_count != 1
        details.append(f"{job.duplicate_count} possible duplicate{'s' if many else ''} to review")
    return f"{line}: {' and '.join(details)}" if details else line


def import_drafts_waiting(job: ImportJob) -> int:
    """How many gifts of a gift import are drafts still: they wait to be posted."""
    return Gift.objects.filter(import_job=job, state=GiftState.DRAFT).count()


# --- Giving summaries --------------------------------------------------------------------------

ZERO = Decimal("0.00")

# One row per asked donor: the posted gifts aggregated with conditional sums (refunded and
# draft gifts do not count), and the soft credits on posted gifts, in a single statement.
_GIVING_SUMMARY_SQL = """
WITH asked(donor_id) AS (SELECT unnest(%(donor_ids)s::bigint[])),
hard AS (
    SELECT g.donor_id,
           min(g.received_on) AS first_gift_on,
           max(g.received_on) AS last_gift_on,
           (array_agg(g.amount ORDER BY g.received_on DESC, g.id DESC))[1] AS last_gift_amount,
           max(g.amount) AS largest_gift,
           sum(g.amount) AS lifetime_total,
           sum(g.amount) FILTER (
               WHERE g.received_on BETWEEN %(this_start)s AND %(this_end)s
           ) AS this_fiscal_year,
           sum(g.amount) FILTER (
               WHERE g.received_on BETWEEN %(last_start)s AND %(last_end)s
           ) AS last_fiscal_year,
           count(*) AS gift_count
      FROM donations_gift g
     WHERE g.state = %(posted)s AND g.donor_id = ANY(%(donor_ids)s::bigint[])
     GROUP BY g.donor_id
),
soft AS (
    SELECT s.donor_id, sum(s.amount) AS soft_credit_total
      FROM donations_softcredit s
      JOIN donations_gift g ON g.id = s.gift_id
     WHERE g.state = %(posted)s AND s.donor_id = ANY(%(donor_ids)s::bigint[])
     GROUP BY s.donor_id
)
SELECT asked.donor_id, hard.first_gift_on, hard.last_gift_on, hard.last_gift_amount,
       hard.largest_gift, hard.lifetime_total, hard.this_fiscal_year, hard.last_fiscal_year,
       hard.gift_count, soft.soft_credit_total
  FROM asked
  LEFT JOIN hard ON hard.donor_id = asked.donor_id
  LEFT JOIN soft ON soft.donor_id = asked.donor_id
"""


@dataclass(frozen=True)
class GivingSummary:
    """What a donor has given: posted gifts only (a refund takes a gift out), in the books'
    currency. Fiscal years are named after the calendar year they end in."""

    donor_id: int
    currency: str
    fiscal_year: int
    first_gift_on: date | None
    last_gift_on: date | None
    last_gift_amount: Decimal | None
    largest_gift: Decimal | None
    lifetime_total: Decimal
    this_fiscal_year: Decimal
    last_fiscal_year: Decimal
    gift_count: int
    soft_credit_total: Decimal


@dataclass(frozen=True)
class FiscalYears:
    """The fiscal year a day is in and the one before, with their first and last days."""

    this_year: int
    this_start: date
    this_end: date
    last_start: date
    last_end: date

    @property
    def last_year(self) -> int:
        return self.this_year - 1


def fiscal_years_of(*, fiscal_year: int, start_month: int) -> FiscalYears:
    this_start, this_end = accounting.fiscal_year_bounds(fiscal_year, start_month=start_month)
    last_start, last_end = accounting.fiscal_year_bounds(fiscal_year - 1, start_month=start_month)
    return FiscalYears(fiscal_year, this_start, this_end, last_start, last_end)


def donor_giving_summaries(
    *, donor_ids: Sequence[int], today: date | None = None
) -> dict[int, GivingSummary]:
    """The giving summary of each donor in `donor_ids` (a page of a list), keyed by donor id;
    a donor with no posted gift gets zeros. Two queries whatever the number of donors: the
    books' settings (fiscal year start, currency) and one aggregate over their gifts."""
    ids = sorted({int(donor_id) for donor_id in donor_ids})
    if not ids:
        return {}
    settings_row = accounting.accounting_settings()
    start_month = settings_row.fiscal_year_start_month
    day = today or timezone.localdate()
    years = fiscal_years_of(
        fiscal_year=accounting.fiscal_year_of(day, start_month=start_month),
        start_month=start_month,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _GIVING_SUMMARY_SQL,
            {
                "donor_ids": ids,
                "posted": GiftState.POSTED.value,
                "this_start": years.this_start,
                "this_end": years.this_end,
                "last_start": years.last_start,
                "last_end": years.last_end,
            },
        )
        rows = cursor.fetchall()
    summaries = {}
    for (
        donor_id,
        first_gift_on,
        last_gift_on,
        last_gift_amount,
        largest_gift,
        lifetime_total,
        this_fiscal_year,
        last_fiscal_year,
        gift_count,
        soft_credit_total,
    ) in rows:
        summaries[donor_id] = GivingSummary(
            donor_id=donor_id,
            currency=settings_row.currency,
            fiscal_year=years.this_year,
            first_gift_on=first_gift_on,
            last_gift_on=last_gift_on,
            last_gift_amount=last_gift_amount,
            largest_gift=largest_gift,
            lifetime_total=lifetime_total or ZERO,
            this_fiscal_year=this_fiscal_year or ZERO,
            last_fiscal_year=last_fiscal_year or ZERO,
            gift_count=gift_count or 0,
            soft_credit_total=soft_credit_total or ZERO,
        )
    return summaries


# --- Donors with their giving (the staff pages' donor list and donor page) ----------------------


class Giving(TypedDict):
    last_gift_on: date | None
    lifetime_total: Decimal
    last_gift_sort: date


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # A donor as donors_with_giving returns it (for the type checker only).
    DonorWithGiving = WithAnnotations[Donor, Giving]


def donors_with_giving(donors: QuerySet[Donor]) -> QuerySet[DonorWithGiving]:
    """`donors` annotated with `last_gift_on` and `lifetime_total` (posted gifts only), so that
    a list can filter and sort on them: the donor's own giving columns, which the database keeps
    from its gifts (donations' migration 0007), so a page of 100,000 donors sorts on an index
    instead of summing every gift. `last_gift_sort` is the last gift's day with the earliest day
    for donors who never gave, so that the most recent givers come first and those who never
    gave last (the expression the donor_giving_last_order index holds)."""
    annotated = donors.annotate(last_gift_on=F("giving_last_on"), lifetime_total=F("giving_total"))
    return annotated.annotate(
        last_gift_sort=Coalesce("giving_last_on", Value(date.min), output_field=DateField())
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a donor, as the donor page lists it."""

    day: date
    what: str
    amount: Decimal | None = None
    url: str = ""
    detail: str = ""
    # Orders entries of the same day: the later one first.
    order: tuple[int, int] = (0, 0)


def _giving_entries(donor: Donor) -> list[TimelineEntry]:
    """The donor's gifts, soft credits on others' gifts, pledges, recurring gifts and receipts:
    five queries."""
    entries: list[TimelineEntry] = []
    for gift in Gift.objects.filter(donor=donor).select_related("campaign"):
        entries.append(
            TimelineEntry(
                day=gift.received_on,
                what=f"Gift by {gift.get_method_display().lower()} ({gift.get_state_display()})",
                amount=gift.amount,
                url=reverse("gifts:detail", args=[gift.pk]),
                detail=gift.campaign.name if gift.campaign else "",
                order=(1, gift.pk),
            )
        )
    credits = SoftCredit.objects.filter(donor=donor).select_related("gift__donor")
    for credit in credits:
        entries.append(
            TimelineEntry(
                day=credit.gift.received_on,
                what=f"Soft credit on a gift from {credit.gift.donor.display_name} "
                f"({credit.gift.get_state_display()})",
                amount=credit.amount,
                url=reverse("gifts:detail", args=[credit.gift_id]),
                order=(1, credit.gift_id),
            )
        )
    for pledge in Pledge.objects.filter(donor=donor).select_related("campaign"):
        entries.append(
            TimelineEntry(
                day=pledge.pledged_on,
                what=f"Pledge ({pledge.get_state_display()})",
                amount=pledge.amount,
                url=reverse("pledges:detail", args=[pledge.pk]),
                detail=pledge.memo,
                order=(2, pledge.pk),
            )
        )
    for recurring in RecurringGift.objects.filter(donor=donor):
        entries.append(
            TimelineEntry(
                day=timezone.localdate(recurring.created_at),
                what=f"{recurring.get_frequency_display()} recurring gift "
                f"({recurring.get_state_display()})",
                amount=recurring.amount,
                url=reverse("recurring:detail", args=[recurring.pk]),
                order=(2, recurring.pk),
            )
        )
    for receipt in Receipt.objects.filter(donor=donor):
        voided = " (void)" if receipt.is_void else ""
        entries.append(
            TimelineEntry(
                day=timezone.localdate(receipt.issued_at),
                what=f"{receipt.get_kind_display()} no. {receipt.number}{voided}",
                amount=receipt.amount,
                order=(3, receipt.pk),
            )
        )
    return entries


def _contact_entries(donor: Donor) -> list[TimelineEntry]:
    """The notes on the donor and the donors merged into them: two queries."""
    entries: list[TimelineEntry] = []
    for note in donor_notes(donor=donor):
        author = note.author.get_full_name() or note.author.email if note.author else ""
        entries.append(
            TimelineEntry(
                day=timezone.localdate(note.created_at),
                what=f"Note by {author}" if author else "Note",
                detail=note.body,
                order=(4, note.pk),
            )
        )
    merges = DonorMergeRecord.objects.filter(survivor=donor).select_related("merged")
    for merge in merges:
        entries.append(
            TimelineEntry(
                day=timezone.localdate(merge.merged_at),
                what=f"Merged {merge.merged.display_name} into this donor",
                url=reverse("donors:detail", args=[merge.merged_id]),
                order=(5, merge.pk),
            )
        )
    return entries


def _newest_first(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(entries, key=lambda entry: (entry.day, entry.order), reverse=True)


def donor_timeline(*, donor: Donor) -> list[TimelineEntry]:
    """The donor's gifts, soft credits on others' gifts, pledges, recurring gifts, receipts,
    notes and merges, newest first: seven queries whatever the number of each."""
    return _newest_first(_giving_entries(donor) + _contact_entries(donor))


def donor_notes_timeline(*, donor: Donor) -> list[TimelineEntry]:
    """The donor's notes and merges, newest first, without their giving: for roles that may
    read donors but not what they give."""
    return _newest_first(_contact_entries(donor))


# --- Deposits desk -----------------------------------------------------------------------------

# A deposit's page offers at most this many gifts to add at once; a filter narrows them.
DEPOSIT_CANDIDATES_SHOWN = 100


def deposit_desk_list(*, state: str = "") -> QuerySet[Deposit]:
    """Deposits with their entered count and total, optionally only the open or closed ones."""
    deposits = (
        Deposit.objects.select_related("bank_account")
        .annotate(
            gift_count=Count("gifts"),
            gift_total=Coalesce(
                Sum("gifts__amount"),
                Value(0),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by("-deposit_on", "-id")
    )
    return deposits.filter(state=state) if state else deposits


def deposit_gifts(deposit: Deposit) -> QuerySet[Gift]:
    """The gifts in a deposit, with their donors, in the order they are listed on the slip. A
    Stripe payout's are the gifts of the charges it settled, by their PaymentIntents, whether
    they were recorded before the payout or after it."""
    if deposit.stripe_payout_id:
        gifts = Gift.objects.filter(
            payment_reference__in=PayoutTransaction.objects.filter(
                deposit=deposit, type__in=PAYOUT_CHARGE_TYPES
            )
            .exclude(payment_intent="")
            .values("payment_intent")
        )
    else:
        gifts = Gift.objects.filter(deposit=deposit)
    return gifts.select_related("donor").order_by("received_on", "id")


# Stripe's balance transaction types, in words.
PAYOUT_TRANSACTION_LABELS = {
    "charge": "Gift",
    "payment": "Gift",
    "refund": "Refund",
    "payment_refund": "Refund",
    "adjustment": "Dispute or adjustment",
    "stripe_fee": "Stripe fee",
}


@dataclass(frozen=True)
class PayoutLine:
    label: str
    transaction: PayoutTransaction
    gift: Gift | None


@dataclass(frozen=True)
class Payout:
    """A Stripe payout's deposit: what it settled, each line with its gift once recorded, and
    its totals (gross, Stripe's fees, net: what reached the bank)."""

    deposit: Deposit
    lines: list[PayoutLine]
    gross: Decimal
    fees: Decimal
    net: Decimal
    unrecorded: int


def payout_of(deposit: Deposit) -> Payout:
    """Two queries: the transactions, and the gifts of their PaymentIntents with donors."""
    transactions = list(PayoutTransaction.objects.filter(deposit=deposit).order_by("id"))
    gifts = {
        gift.payment_reference: gift
        for gift in Gift.objects.filter(
            payment_reference__in=[row.payment_intent for row in transactions if row.payment_intent]
        ).select_related("donor")
    }
    lines = [
        PayoutLine(
            label=PAYOUT_TRANSACTION_LABELS.get(row.type, row.type.replace("_", " ").capitalize()),
            transaction=row,
            gift=gifts.get(row.payment_intent),
        )
        for row in transactions
    ]
    return Payout(
        deposit=deposit,
        lines=lines,
        gross=sum((row.amount for row in transactions), Decimal(0)),
        fees=sum((row.fee for row in transactions), Decimal(0)),
        net=sum((row.net for row in transactions), Decimal(0)),
        unrecorded=sum(
            1
            for line in lines
            if line.gift is None and line.transaction.type in PAYOUT_CHARGE_TYPES
        ),
    )


def deposit_candidates(
    deposit: Deposit, *, methods: Sequence[str], search: str = ""
) -> QuerySet[Gift]:
    """Posted gifts given by `methods` (what deposits hold: services.posting) in no deposit,
    received by the deposit's date: what can be added to it. `search` matches the donor's name
    or the check number."""
    gifts = Gift.objects.filter(
        state=GiftState.POSTED,
        deposit__isnull=True,
        method__in=methods,
        received_on__lte=deposit.deposit_on,
    ).select_related("donor")
    search = search.strip()
    if search:
        gifts = gifts.filter(
            Q(donor__display_name__icontains=search) | Q(check_number__icontains=search)
        )
    return gifts.order_by("received_on", "id")


# --- Receipts desk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptFilters:
    """What the receipts list is narrowed to; empty values select everything."""

    year: int | None = None
    kind: str = ""
    donor: str = ""
    emailed: bool | None = None
    voided: bool | None = None


def receipt_desk_list(filters: ReceiptFilters) -> QuerySet[Receipt]:
    """Receipts as receipt_list loads them, narrowed by `filters`. A year is a statement's year
    or the year a receipted gift was received; voided means void, or replaced by a correction."""
    receipts = receipt_list()
    if filters.year is not None:
        receipts = receipts.filter(Q(year=filters.year) | Q(gift__received_on__year=filters.year))
    if filters.kind:
        receipts = receipts.filter(kind=filters.kind)
    if filters.donor.strip():
        receipts = receipts.filter(donor__display_name__icontains=filters.donor.strip())
    if filters.emailed is not None:
        receipts = receipts.filter(emailed_at__isnull=not filters.emailed)
    if filters.voided is not None:
        voided = Q(is_void=True) | Q(replaced_by_id__isnull=False)
        receipts = receipts.filter(voided if filters.voided else ~voided)
    return receipts


def receipt_detail(pk: int) -> Receipt | None:
    """One receipt with its donor, gift, issuer, the version it corrects and any that replaces
    it (`replaced_by_id`)."""
    return receipt_list().select_related("gift", "supersedes").filter(pk=pk).first()


# --- The gifts desk: a gift's page and a batch being entered ------------------------------------


def gift_detail(*, pk: int) -> Gift | None:
    """A gift with everything its page shows (allocations, soft credits, entries, receipts)."""
    return (
        Gift.objects.select_related(
            "donor",
            "campaign",
            "journal_entry",
            "refund_entry",
            "void_entry",
            "deposit",
            "pledge",
            "recurring_gift",
            "created_by",
            "posted_by",
            "voided_by",
        )
        .prefetch_related(
            "allocations__fund",
            "soft_credits__donor",
            Prefetch("receipts", queryset=Receipt.objects.order_by("-issued_at", "-id")),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class Batch:
    """A deposit being filled with checks: its gifts in the order entered, how many and how
    much against what was counted by hand, and how many are still drafts."""

    deposit: Deposit
    gifts: list[Gift]
    count: int
    total: Decimal
    draft_count: int

    @property
    def matches(self) -> bool:
        return (
            self.count == self.deposit.expected_count and self.total == self.deposit.expected_total
        )


def batch_of(*, pk: int) -> Batch | None:
    deposit = Deposit.objects.select_related("bank_account").filter(pk=pk).first()
    if deposit is None:
        return None
    gifts = list(
        Gift.objects.filter(deposit=deposit)
        .select_related("donor")
        .prefetch_related("allocations__fund")
        .order_by("id")
    )
    return Batch(
        deposit=deposit,
        gifts=gifts,
        count=len(gifts),
        total=sum((gift.amount for gift in gifts), Decimal("0")),
        draft_count=sum(1 for gift in gifts if gift.state == GiftState.DRAFT),
    )


def open_batches() -> QuerySet[Deposit]:
    return deposit_list().filter(state=DepositState.OPEN)


# --- Campaigns: what each has raised, the campaigns desk -----------------------------------------

# What a campaign has raised is its posted gifts: a draft is not yet given and a refunded gift
# was given back (the whole gift leaves, whatever the refund's date). The campaign pages, the
# campaign report and the dashboard all read it through campaigns_with_progress.
CAMPAIGN_POSTED_GIFTS = Q(gifts__state=GiftState.POSTED)
# Past this many weeks, a campaign's progress over time is drawn month by month; past this many
# months, year by year.
PROGRESS_WEEKS_AT_MOST = 26
PROGRESS_MONTHS_AT_MOST = 60
CAMPAIGN_TOP_DONORS = 10
CAMPAIGN_RECENT_GIFTS = 10


class CampaignProgressFields(TypedDict):
    raised: Decimal
    gift_count: int
    donor_count: int


class CampaignDeskFields(CampaignProgressFields):
    percent_of_goal: int | None
    percent_sort: int
    status: str
    status_label: str
    start_sort: date


if TYPE_CHECKING:
    # Campaigns as campaigns_with_progress and campaign_desk_list return them (for the type
    # checker only).
    CampaignWithProgress = WithAnnotations[Campaign, CampaignProgressFields]
    CampaignOnDesk = WithAnnotations[Campaign, CampaignDeskFields]


def campaigns_with_progress(campaigns: QuerySet[Campaign]) -> QuerySet[CampaignWithProgress]:
    """`campaigns` annotated with `raised` (the sum of their posted gifts), `gift_count` and
    `donor_count` (of posted gifts): one join on the gifts, in the query of the campaigns."""
    return campaigns.annotate(
        raised=Coalesce(Sum("gifts__amount", filter=CAMPAIGN_POSTED_GIFTS), Value(ZERO)),
        gift_count=Count("gifts", filter=CAMPAIGN_POSTED_GIFTS),
        donor_count=Count("gifts__donor", filter=CAMPAIGN_POSTED_GIFTS, distinct=True),
    )


class CampaignStatus(TextChoices):
    """Where a campaign is on a given day: not started before its start, ended after its end
    or once it is marked inactive, active in between."""

    ACTIVE = "active", "Active"
    NOT_STARTED = "not_started", "Not started yet"
    ENDED = "ended", "Ended"


def campaign_status_q(status: str, *, today: date) -> Q:
    """The campaigns in `status` (a CampaignStatus) on `today`; a missing date never ends or
    delays a campaign."""
    ended = Q(is_active=False) | Q(end__lt=today)
    if status == CampaignStatus.ENDED:
        return ended
    if status == CampaignStatus.NOT_STARTED:
        return ~ended & Q(start__gt=today)
    return ~ended & ~Q(start__gt=today)


@dataclass(frozen=True)
class CampaignFilters:
    """What the campaigns list is narrowed to; empty values select every campaign."""

    status: str = ""
    year: int | None = None  # campaigns running at some time in that calendar year


def campaign_desk_list(*, filters: CampaignFilters, today: date) -> QuerySet[CampaignOnDesk]:
    """Campaigns with what they raised (campaigns_with_progress), their whole percent of the
    goal (None without a goal; `percent_sort` puts those last), their status on `today` (the
    value, and its label in words) and a date to sort by (the start, else the day the campaign
    was made): one query a page."""
    campaigns = Campaign.objects.all()
    if filters.status:
        campaigns = campaigns.filter(campaign_status_q(filters.status, today=today))
    if filters.year is not None:
        campaigns = campaigns.filter(
            Q(start__isnull=True) | Q(start__lte=date(filters.year, 12, 31)),
            Q(end__isnull=True) | Q(end__gte=date(filters.year, 1, 1)),
        )
    return campaigns_with_progress(campaigns).annotate(
        percent_of_goal=Case(
            When(goal__gt=0, then=Cast(Floor(F("raised") * 100 / F("goal")), IntegerField())),
            default=None,
            output_field=IntegerField(),
        ),
        percent_sort=Coalesce(F("percent_of_goal"), Value(-1)),
        status=Case(
            *(
                When(campaign_status_q(status, today=today), then=Value(status.value))
                for status in CampaignStatus
            ),
            output_field=CharField(),
        ),
        status_label=Case(
            *(
                When(campaign_status_q(status, today=today), then=Value(status.label))
                for status in CampaignStatus
            ),
            output_field=CharField(),
        ),
        start_sort=Coalesce(F("start"), TruncDate("created_at")),
    )


def campaign_giving_page(*, slug: str, today: date) -> CampaignOnDesk | None:
    """The campaign whose public giving page is /give/<slug>/, with what it raised, its percent
    of the goal and its status on `today` (campaign_desk_list) and its fixed fund: one query."""
    if not slug:
        return None
    return (
        campaign_desk_list(filters=CampaignFilters(), today=today)
        .filter(slug=slug)
        .select_related("giving_fund")
        .first()
    )


@dataclass(frozen=True)
class ProgressPoint:
    through: date  # the last day the point counts
    raised: Decimal  # posted giving up to and including that day


@dataclass(frozen=True)
class ProgressOverTime:
    """What a campaign had raised at the end of each week (or month), from its start (or
    first gift) to today, or its end if it has ended; later gifts carry it on to their day,
    so the last point is what the campaign raised. Weeks count from the first day; months
    and years are the calendar's; the last period ends on the last day."""

    by: str  # "week", "month" or "year"
    first_day: date
    last_day: date
    points: list[ProgressPoint]


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _week_after(end: date) -> date:
    return end + timedelta(days=7)


def _month_after(end: date) -> date:
    return _month_end(end + timedelta(days=1))


def _year_after(end: date) -> date:
    return date(end.year + 1, 12, 31)


def progress_period_ends(*, first_day: date, last_day: date) -> tuple[str, list[date]]:
    """The last days of the weeks from `first_day` to `last_day`; of the calendar months when
    that would be more than PROGRESS_WEEKS_AT_MOST weeks; of the calendar years past
    PROGRESS_MONTHS_AT_MOST months. The last period ends on `last_day`."""
    months = (last_day.year - first_day.year) * 12 + last_day.month - first_day.month + 1
    by: str
    following: Callable[[date], date]
    if (last_day - first_day).days < 7 * PROGRESS_WEEKS_AT_MOST:
        by, end, following = "week", first_day + timedelta(days=6), _week_after
    elif months <= PROGRESS_MONTHS_AT_MOST:
        by, end, following = "month", _month_end(first_day), _month_after
    else:
        by, end, following = "year", date(first_day.year, 12, 31), _year_after
    ends = []
    while end < last_day:
        ends.append(end)
        end = following(end)
    ends.append(last_day)
    return by, ends


def campaign_progress_over_time(*, campaign: Campaign, today: date) -> ProgressOverTime:
    """One query: the campaign's posted giving by day, added up period by period."""
    by_day = dict(
        Gift.objects.filter(campaign=campaign, state=GiftState.POSTED)
        .values("received_on")
        .annotate(total=Sum("amount"))
        .values_list("received_on", "total")
        .order_by()
    )
    first_day = campaign.start or min(by_day, default=today)
    last_day = min(campaign.end, today) if campaign.end else today
    last_day = max(last_day, first_day, *by_day)
    by, ends = progress_period_ends(first_day=first_day, last_day=last_day)
    days = sorted(by_day)
    points, raised, index = [], ZERO, 0
    for end in ends:
        # Gifts before the first day count in the first period.
        while index < len(days) and days[index] <= end:
            raised += by_day[days[index]]
            index += 1
        points.append(ProgressPoint(through=end, raised=raised))
    return ProgressOverTime(by=by, first_day=first_day, last_day=last_day, points=points)


@dataclass(frozen=True)
class CampaignDonor:
    donor_id: int
    display_name: str
    total: Decimal
    gift_count: int


@dataclass(frozen=True)
class CampaignOverview:
    """A campaign's page: the campaign annotated as campaign_desk_list annotates it, its
    progress over time, its largest donors (posted gifts) and its latest gifts (any state)."""

    campaign: CampaignOnDesk
    progress: ProgressOverTime
    top_donors: list[CampaignDonor]
    recent_gifts: list[Gift]

    @property
    def remaining(self) -> Decimal:
        """What is left to raise to reach the goal (nothing once it is reached)."""
        return max(self.campaign.goal - self.campaign.raised, ZERO)

    @property
    def average_gift(self) -> Decimal | None:
        if not self.campaign.gift_count:
            return None
        return (self.campaign.raised / self.campaign.gift_count).quantize(Decimal("0.01"))


def campaign_overview(*, pk: int, today: date) -> CampaignOverview | None:
    """Four queries, whatever the number of gifts: the campaign with its figures, its giving by
    day, its top donors and its latest gifts."""
    campaign = campaign_desk_list(filters=CampaignFilters(), today=today).filter(pk=pk).first()
    if campaign is None:
        return None
    top_donors = [
        CampaignDonor(*row)
        for row in Gift.objects.filter(campaign=campaign, state=GiftState.POSTED)
        .values("donor_id", "donor__display_name")
        .annotate(total=Sum("amount"), gift_count=Count("id"))
        .order_by("-total", "donor__display_name", "donor_id")
        .values_list("donor_id", "donor__display_name", "total", "gift_count")[:CAMPAIGN_TOP_DONORS]
    ]
    recent_gifts = list(
        Gift.objects.filter(campaign=campaign)
        .select_related("donor")
        .order_by("-received_on", "-id")[:CAMPAIGN_RECENT_GIFTS]
    )
    return CampaignOverview(
        campaign=campaign,
        progress=campaign_progress_over_time(campaign=campaign, today=today),
        top_donors=top_donors,
        recent_gifts=recent_gifts,
    )


# --- Merging duplicate donors: their records side by side, and what a merge moves ---------------


@dataclass(frozen=True)
class DonorRecords:
    """How many of each record a donor has, as the merge page compares two donors."""

    gifts: int
    pledges: int
    recurring_gifts: int
    receipts: int
    soft_credits: int
    notes: int
    open_tasks: int


def _count_per_donor(rows: QuerySet[Any]) -> Any:
    """A subquery counting `rows` (filtered on donor=OuterRef("pk")) for each donor."""
    counted = rows.order_by().values("donor").annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted), Value(0))


def donor_records_counted(*, donor_ids: Sequence[int]) -> dict[int, DonorRecords]:
    """The count of each kind of record of each donor, keyed by donor id: one query."""
    this_donor = OuterRef("pk")
    rows = (
        Donor.objects.filter(pk__in=donor_ids)
        .annotate(
            gift_count=_count_per_donor(Gift.objects.filter(donor=this_donor)),
            pledge_count=_count_per_donor(Pledge.objects.filter(donor=this_donor)),
            recurring_gift_count=_count_per_donor(RecurringGift.objects.filter(donor=this_donor)),
            receipt_count=_count_per_donor(Receipt.objects.filter(donor=this_donor)),
            soft_credit_count=_count_per_donor(SoftCredit.objects.filter(donor=this_donor)),
            note_count=_count_per_donor(DonorNote.objects.filter(donor=this_donor)),
            open_task_count=_count_per_donor(
                DonorTask.objects.filter(donor=this_donor, completed_at__isnull=True)
            ),
        )
        .values_list(
            "pk",
            "gift_count",
            "pledge_count",
            "recurring_gift_count",
            "receipt_count",
            "soft_credit_count",
            "note_count",
            "open_task_count",
        )
    )
    return {pk: DonorRecords(*counts) for pk, *counts in rows}


# The previews of donations' merge steps (tenant_apps.donations.apps registers them with the
# steps): each reads what its step would move, without writing.


def _in_a_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "by check", but "by ACH"."""
    return label if label.isupper() else label.lower()


def _gift_shown(gift: Gift) -> PreviewItem:
    return PreviewItem(
        f"{money(gift.amount)} on {day_shown(gift.received_on)} by "
        f"{_in_a_sentence(gift.get_method_display())} ({gift.get_state_display()})",
        reverse("gifts:detail", args=[gift.pk]),
    )


def gifts_merge_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    shown, count = preview_rows(
        Gift.objects.filter(donor=merged).order_by("-received_on", "-id"), _gift_shown
    )
    return MergePreviewPart(label="Gifts", moving=shown, moving_count=count)


def soft_credits_merge_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    """As merge_soft_credits: a credit on a gift that becomes the survivor's own, or on a gift
    that already credits the survivor, is dropped (the hard credit, or the survivor's, wins)."""
    both = [survivor.pk, merged.pk]
    dropped = Q(gift__donor__in=both) | Q(
        gift__in=SoftCredit.objects.filter(donor=survivor).values("gift")
    )

    def shown(credit: SoftCredit) -> PreviewItem:
        gift = credit.gift
        return PreviewItem(
            f"{money(credit.amount)} of {gift.donor.display_name}'s gift of "
            f"{day_shown(gift.received_on)}",
            reverse("gifts:detail", args=[gift.pk]),
        )

    credits = SoftCredit.objects.select_related("gift__donor").order_by("-gift__received_on", "-id")
    moving, moving_count = preview_rows(credits.filter(donor=merged).exclude(dropped), shown)
    staying, staying_count = preview_rows(
        credits.filter(Q(donor=merged) | Q(donor=survivor, gift__donor__in=both)).filter(dropped),
        shown,
    )
    return MergePreviewPart(
        label="Soft credits",
        moving=moving,
        moving_count=moving_count,
        staying=staying,
        staying_count=staying_count,
        staying_why=f"Dropped: the gift is {survivor.display_name}'s own, or credits them already.",
    )


def pledges_merge_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    def shown(pledge: Pledge) -> PreviewItem:
        return PreviewItem(
            f"{money(pledge.amount)} pledged on {day_shown(pledge.pledged_on)} "
            f"({pledge.get_state_display()})"
        )

    items, count = preview_rows(
        Pledge.objects.filter(donor=merged).order_by("-pledged_on", "-id"), shown
    )
    return MergePreviewPart(label="Pledges", moving=items, moving_count=count)


def recurring_gifts_merge_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    def shown(recurring: RecurringGift) -> PreviewItem:
        return PreviewItem(
            f"{money(recurring.amount)} {recurring.get_frequency_display().lower()} by "
            f"{_in_a_sentence(recurring.get_method_display())} ({recurring.get_state_display()})"
        )

    items, count = preview_rows(
        RecurringGift.objects.filter(donor=merged).order_by("next_on", "id"), shown
    )
    return MergePreviewPart(label="Recurring gifts", moving=items, moving_count=count)


def receipts_merge_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    """Receipts are not moved: an issued receipt is never changed, so they stay with the
    merged donor, whose page still lists them."""

    def shown(receipt: Receipt) -> PreviewItem:
        return PreviewItem(
            f"{receipt.get_kind_display()} no. {receipt.number} of "
            f"{day_shown(timezone.localdate(receipt.issued_at))}",
            reverse("receipts:detail", args=[receipt.pk]),
        )

    items, count = preview_rows(
        Receipt.objects.filter(donor=merged).order_by("-issued_at", "-id"), shown
    )
    return MergePreviewPart(
        label="Receipts",
        staying=items,
        staying_count=count,
        staying_why="An issued receipt is never changed: it stays as it was issued.",
    )


# --- The pledges and recurring-gifts desk ------------------------------------------------------

# A pledge owes money while it is a draft (once posted) or open; a fulfilled, written-off or
# cancelled one owes nothing.
OWING_PLEDGE_STATES = (PledgeState.DRAFT, PledgeState.OPEN)


class PledgeProgress(TypedDict):
    paid_total: Decimal
    settled_total: Decimal
    balance: Decimal
    next_due_on: date | None


if TYPE_CHECKING:
    # A pledge as pledges_with_progress returns it (for the type checker only).
    PledgeWithProgress = WithAnnotations[Pledge, PledgeProgress]


def pledges_with_progress(
    pledges: QuerySet[Pledge] | None = None,
) -> QuerySet[PledgeWithProgress]:
    """Pledges with what is paid (posted payments), what is still owed, and the due date of
    the first installment not yet settled, as subqueries in the list's one query so that a
    list can sort on them and find the overdue. Payments settle installments in due order,
    then what was written off, as installments_status reckons for one pledge."""
    money = DecimalField(max_digits=14, decimal_places=2)
    payments = (
        Gift.objects.filter(pledge=OuterRef("pk"), state=GiftState.POSTED)
        .order_by()
        .values("pledge")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    # What the installments due up to and on each one add up to.
    due_through = (
        PledgeInstallment.objects.filter(pledge=OuterRef("pledge"), due_on__lte=OuterRef("due_on"))
        .order_by()
        .values("pledge")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    first_unsettled = (
        PledgeInstallment.objects.filter(pledge=OuterRef("pk"))
        .annotate(due_through=Subquery(due_through, output_field=money))
        .filter(due_through__gt=OuterRef("settled_total"))
        .order_by("due_on")
        .values("due_on")[:1]
    )
    owing = Q(state__in=OWING_PLEDGE_STATES)
    rows = pledges if pledges is not None else Pledge.objects.all()
    return (
        rows.select_related("donor", "fund", "campaign")
        .annotate(paid_total=Coalesce(Subquery(payments), Value(ZERO), output_field=money))
        .annotate(settled_total=F("paid_total") + F("written_off_amount"))
        .annotate(
            balance=Case(
                When(owing, then=F("amount") - F("settled_total")),
                default=Value(ZERO),
                output_field=money,
            ),
            next_due_on=Case(
                When(owing, then=Subquery(first_unsettled)),
                default=None,
                output_field=DateField(),
            ),
        )
    )


def pledge_detail(*, pk: int) -> PledgeWithProgress | None:
    """A pledge with everything its page shows: its progress, schedule, payments and entries."""
    return (
        pledges_with_progress(Pledge.objects.filter(pk=pk))
        .select_related(
            "journal_entry", "write_off_entry", "reversal_entry", "created_by", "posted_by"
        )
        .prefetch_related(
            "installments",
            Prefetch("payments", queryset=Gift.objects.order_by("received_on", "id")),
        )
        .first()
    )


def recurring_gift_detail(*, pk: int) -> RecurringGift | None:
    """A recurring gift with the gifts it has made, newest first."""
    return (
        RecurringGift.objects.select_related("donor", "fund", "campaign", "created_by")
        .prefetch_related(Prefetch("gifts", queryset=Gift.objects.order_by("-received_on", "-id")))
        .filter(pk=pk)
        .first()
    )


def gift_processing_fee(gift: Gift) -> Decimal | None:
    """The card processor's fee posted against an online gift (Stripe's, read from its balance
    transaction when the gift was recorded), or None for a gift that has none. One query, for
    online gifts only."""
    if gift.source != GiftSource.ONLINE:
        return None
    total: Decimal | None = JournalLine.objects.filter(
        entry__source=EntrySource.FEE,
        entry__source_reference=f"gift:{gift.pk}",
        entry__state=EntryState.POSTED,
    ).aggregate(total=Sum("debit"))["total"]
    return total
