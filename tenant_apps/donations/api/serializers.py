"""Input and output shapes of the donations API. Inputs check types and formats only; the rules
are the services' (they answer with the same error shape)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from saas_platform.lib.api import BooksDateField, ErrorOutput, Input
from tenant_apps.donations.models import (
    Campaign,
    Deposit,
    DepositState,
    Frequency,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
    ImportJob,
    Pledge,
    PledgeInstallment,
    PledgeState,
    Receipt,
    ReceiptSettings,
    RecurringGift,
    RecurringGiftState,
    SoftCredit,
    TributeType,
)
from tenant_apps.donations.selectors import import_progress, installments_status

__all__ = ["ErrorOutput"]


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# --- Campaigns ---------------------------------------------------------------------------------


class CampaignOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    goal = _money()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    is_active = serializers.BooleanField()


class CampaignCreateInput(Input):
    class Meta:
        model = Campaign

    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    goal = _money(required=False, default="0.00", min_value=0)
    start = BooksDateField(required=False, allow_null=True, default=None)
    end = BooksDateField(required=False, allow_null=True, default=None)


class CampaignUpdateInput(Input):
    class Meta:
        model = Campaign

    name = serializers.CharField(max_length=200, required=False)
    goal = _money(required=False, min_value=0)
    start = BooksDateField(required=False, allow_null=True)
    end = BooksDateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


# --- Gifts -------------------------------------------------------------------------------------


class AllocationOutput(serializers.Serializer):
    fund = serializers.CharField(source="fund.code")
    amount = _money()


class SoftCreditOutput(serializers.Serializer):
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    amount = _money()


class GiftOutput(serializers.Serializer):
    id = serializers.IntegerField()
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    amount = _money()
    currency = serializers.CharField()
    received_on = serializers.DateField()
    method = serializers.ChoiceField(choices=GiftMethod.choices)
    campaign = serializers.CharField(source="campaign.code", allow_null=True, default=None)
    designation = serializers.CharField()
    tribute_type = serializers.ChoiceField(choices=TributeType.choices)
    tribute_name = serializers.CharField()
    notify_name = serializers.CharField()
    notify_email = serializers.CharField()
    notify_sent_at = serializers.DateTimeField(
        allow_null=True, help_text="When the person to tell was emailed of the gift, if yet."
    )
    anonymous = serializers.BooleanField(
        help_text="The donor asked to be left off the lists of donors published."
    )
    goods_services_value = _money()
    goods_services_description = serializers.CharField()
    in_kind_description = serializers.CharField()
    check_number = serializers.CharField()
    payment_reference = serializers.CharField()
    # Plain strings, not enums: "source" and "state" name other choice sets in the schema.
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    source = serializers.CharField(help_text=f"One of {', '.join(GiftSource.values)}.")  # type: ignore[assignment]
    state = serializers.CharField(help_text=f"One of {', '.join(GiftState.values)}.")
    journal_entry = serializers.IntegerField(
        source="journal_entry.number",
        allow_null=True,
        default=None,
        help_text="The number of the entry that posted the gift.",
    )
    refund_entry = serializers.IntegerField(
        source="refund_entry.number",
        allow_null=True,
        default=None,
        help_text="The number of the entry that reversed it.",
    )
    void_entry = serializers.IntegerField(
        source="void_entry.number",
        allow_null=True,
        default=None,
        help_text="The number of the entry that reversed it when it was voided (none for a "
        "draft voided).",
    )
    void_reason = serializers.CharField(help_text="Why it was voided; blank unless it is.")
    voided_at = serializers.DateTimeField(allow_null=True)
    deposit = serializers.IntegerField(source="deposit_id", allow_null=True)
    pledge = serializers.IntegerField(
        source="pledge_id", allow_null=True, help_text="The pledge this gift is a payment on."
    )
    recurring_gift = serializers.IntegerField(
        source="recurring_gift_id",
        allow_null=True,
        help_text="The recurring gift whose schedule made this gift.",
    )
    allocations = AllocationOutput(many=True)
    soft_credits = SoftCreditOutput(many=True)
    posted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AllocationInput(Input):
    class Meta:
        model = GiftAllocation

    fund = serializers.CharField(max_length=20)
    amount = _money()


class SoftCreditInput(Input):
    class Meta:
        model = SoftCredit

    donor = serializers.IntegerField()
    amount = _money()


class _GiftDetailsInput(Input):
    class Meta:
        model = Gift

    campaign = serializers.CharField(
        max_length=20, required=False, allow_null=True, help_text="A campaign code."
    )
    designation = serializers.CharField(required=False, allow_blank=True, max_length=500)
    tribute_type = serializers.ChoiceField(choices=TributeType.choices, required=False)
    tribute_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notify_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notify_email = serializers.EmailField(required=False, allow_blank=True)
    goods_services_value = _money(required=False)
    goods_services_description = serializers.CharField(
        required=False, allow_blank=True, max_length=500
    )
    in_kind_description = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    check_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class GiftCreateInput(_GiftDetailsInput):
    donor = serializers.IntegerField()
    amount = _money()
    received_on = BooksDateField()
    method = serializers.ChoiceField(choices=GiftMethod.choices)
    allocations = AllocationInput(
        many=True, required=False, help_text="Funds and amounts; all to GEN when omitted."
    )
    soft_credits = SoftCreditInput(many=True, required=False)
    payment_reference = serializers.CharField(required=False, allow_blank=True, max_length=200)
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    source = serializers.CharField(  # type: ignore[assignment]
        required=False, max_length=20, help_text=f"One of {', '.join(GiftSource.values)}."
    )
    pledge = serializers.PrimaryKeyRelatedField(
        queryset=Pledge.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "There is no pledge {pk_value}."},
        help_text="A payment on this open pledge: same donor, its fund, at most its balance.",
    )


class GiftUpdateInput(_GiftDetailsInput):
    """A draft changes freely; a posted gift's amount, funds, method, date and donor are fixed."""

    donor = serializers.IntegerField(required=False)
    amount = _money(required=False)
    received_on = BooksDateField(required=False)
    method = serializers.ChoiceField(choices=GiftMethod.choices, required=False)
    allocations = AllocationInput(many=True, required=False)


class GiftRefundInput(Input):
    class Meta:
        model = None

    date = BooksDateField(required=False, help_text="The refund's date; today when omitted.")
    memo = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    amount = serializers.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="The part refunded; the whole gift (what is left of it) when omitted.",
    )
    key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        default="",
        help_text="For a gift paid through Stripe: a random hex string (16 to 64 characters) "
        "naming this refund; sent again, Stripe refunds once.",
    )


class GiftVoidInput(Input):
    class Meta:
        model = None

    reason = serializers.CharField(
        max_length=500, help_text="Why the gift is void: entered twice, a check that bounced..."
    )
    date = BooksDateField(
        required=False,
        help_text="The date of the entry that reverses a posted gift; today (or the day it was "
        "received, if later) when omitted. Not used for a draft.",
    )


# --- Deposits ----------------------------------------------------------------------------------


class DepositOutput(serializers.Serializer):
    id = serializers.IntegerField()
    deposit_on = serializers.DateField()
    bank_account = serializers.CharField(source="bank_account.code")
    expected_count = serializers.IntegerField()
    expected_total = _money()
    gift_count = serializers.IntegerField()
    gift_total = _money()
    gifts = serializers.SerializerMethodField(help_text="The ids of the deposited gifts.")
    state = serializers.CharField(help_text=f"One of {', '.join(DepositState.values)}.")
    journal_entry = serializers.IntegerField(
        source="journal_entry.number", allow_null=True, default=None
    )
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_gifts(self, deposit: Deposit) -> list[int]:
        return sorted(gift.pk for gift in deposit.gifts.all())  # prefetched


class DepositCreateInput(Input):
    class Meta:
        model = Deposit

    deposit_on = BooksDateField()
    expected_count = serializers.IntegerField(min_value=1)
    expected_total = _money()
    bank_account = serializers.CharField(max_length=20, required=False, default="1010")


class DepositGiftsInput(Input):
    class Meta:
        model = None

    gifts = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)


# --- Receipts ----------------------------------------------------------------------------------


class ReceiptOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="Per organization, without gaps.")
    version = serializers.IntegerField(help_text="1, then one more for each correction.")
    # A plain string: "kind" names the donors' choice set in the schema.
    kind = serializers.CharField(help_text="gift (one gift's receipt) or year_end (a statement).")
    gift = serializers.IntegerField(source="gift_id", allow_null=True)
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    year = serializers.IntegerField(allow_null=True, help_text="The year of a statement.")
    amount = _money(allow_null=True, help_text="None for in-kind gifts and void corrections.")
    is_void = serializers.BooleanField(help_text="A correction that voids what it replaces.")
    reason = serializers.CharField(help_text="Why this version corrects the previous one.")
    supersedes = serializers.IntegerField(
        source="supersedes_id", allow_null=True, help_text="The id of the version it replaces."
    )
    superseded_by = serializers.IntegerField(
        source="replaced_by_id",
        allow_null=True,
        help_text="The id of the version that replaces it (then this one is void).",
    )
    content = serializers.JSONField(help_text="What the receipt says, as drawn in the PDF.")
    issued_at = serializers.DateTimeField()
    issued_by = serializers.EmailField(source="issued_by.email", allow_null=True, default=None)
    emailed_to = serializers.CharField()
    emailed_at = serializers.DateTimeField(allow_null=True)
    email_error = serializers.CharField()


class ReceiptIssueInput(Input):
    class Meta:
        model = Receipt

    gift = serializers.IntegerField(help_text="A posted gift without a receipt.")


class ReceiptYearEndInput(Input):
    class Meta:
        model = Receipt

    donor = serializers.IntegerField()
    year = serializers.IntegerField(min_value=1900, max_value=2999, help_text="A calendar year.")


class ReceiptReissueInput(Input):
    class Meta:
        model = Receipt

    reason = serializers.CharField(max_length=500, help_text="What the correction changes.")


class ReceiptSettingsOutput(serializers.Serializer):
    legal_name = serializers.CharField()
    ein = serializers.CharField(help_text="NN-NNNNNNN.")
    address = serializers.CharField(help_text="One line per line of the address.")
    signatory_name = serializers.CharField()
    signatory_title = serializers.CharField()
    receipt_every_gift = serializers.BooleanField()
    next_number = serializers.IntegerField(help_text="The number the next receipt gets.")
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="What receipts cannot be issued without and is not set yet.",
    )


class ReceiptSettingsInput(Input):
    class Meta:
        model = ReceiptSettings

    legal_name = serializers.CharField(max_length=200, allow_blank=True)
    ein = serializers.CharField(max_length=10, allow_blank=True, help_text="NN-NNNNNNN.")
    address = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")
    signatory_name = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default=""
    )
    signatory_title = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default=""
    )
    receipt_every_gift = serializers.BooleanField(required=False, default=True)


# --- CSV imports -------------------------------------------------------------------------------


class ImportCreateInput(Input):
    class Meta:
        model = ImportJob

    # A string rather than a choice: an enum named after the field ("kind") would collide with
    # the donors' kind (individual, organization) in the schema. The service checks it.
    kind = serializers.CharField(help_text="donors or gifts.")
    # An empty file is the service's to refuse, with the message of every other bad file.
    file = serializers.FileField(
        allow_empty_file=True, help_text="A CSV file, UTF-8, at most 10 MB; header on row 1."
    )


class ImportProgressOutput(serializers.Serializer):
    state = serializers.CharField()
    processed = serializers.IntegerField()
    total = serializers.IntegerField()


class ImportJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField(
        help_text="queued, validating, importing, succeeded or failed; uploaded: a file uploaded "
        "on the imports page whose columns wait to be confirmed there."
    )
    original_filename = serializers.CharField()
    total_rows = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    error_count = serializers.IntegerField()
    duplicate_count = serializers.IntegerField()
    message = serializers.CharField()
    progress = serializers.SerializerMethodField(
        help_text="While the job runs, where it is (rows validated, then rows written)."
    )
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(ImportProgressOutput)
    def get_progress(self, job: ImportJob) -> dict[str, object]:
        return dict(import_progress(job))


class ImportErrorOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportDuplicateOutput(serializers.Serializer):
    row = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    donor = serializers.IntegerField(required=False, help_text="An existing donor it may be.")
    donor_name = serializers.CharField(required=False)
    gift = serializers.IntegerField(required=False, help_text="An existing gift it may repeat.")
    same_as_row = serializers.IntegerField(required=False, help_text="An earlier row it repeats.")


class ImportErrorPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportErrorOutput(many=True)


class ImportDuplicatePageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportDuplicateOutput(many=True)


# --- Pledges -----------------------------------------------------------------------------------


class InstallmentStatusOutput(serializers.Serializer):
    due_on = serializers.DateField()
    amount = _money()
    paid = _money(help_text="What the posted payments settle of it, applied in due order.")
    written_off = _money()
    status = serializers.CharField(help_text="One of paid, partly_paid, unpaid, written_off.")


class PledgePaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    received_on = serializers.DateField()
    amount = _money()
    state = serializers.CharField(help_text=f"One of {', '.join(GiftState.values)}.")


class PledgeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    amount = _money()
    currency = serializers.CharField()
    fund = serializers.CharField(source="fund.code")
    campaign = serializers.CharField(source="campaign.code", allow_null=True, default=None)
    pledged_on = serializers.DateField()
    state = serializers.CharField(help_text=f"One of {', '.join(PledgeState.values)}.")
    memo = serializers.CharField()
    paid_total = _money(help_text="What the posted payments add up to.")
    written_off_amount = _money()
    balance = serializers.SerializerMethodField(
        help_text="What is still to be paid: the amount less payments and write-offs (0 once "
        "cancelled)."
    )
    installments = serializers.SerializerMethodField()
    payments = PledgePaymentOutput(many=True, help_text="Gifts recorded as payments on it.")
    journal_entry = serializers.IntegerField(
        source="journal_entry.number",
        allow_null=True,
        default=None,
        help_text="The number of the entry that recognized the pledge.",
    )
    write_off_entry = serializers.IntegerField(
        source="write_off_entry.number", allow_null=True, default=None
    )
    reversal_entry = serializers.IntegerField(
        source="reversal_entry.number", allow_null=True, default=None
    )
    posted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(_money())
    def get_balance(self, pledge: Pledge) -> str:
        if pledge.state == PledgeState.CANCELLED:
            return "0.00"
        # paid_total is annotated by the pledge list selector.
        return f"{pledge.amount - pledge.written_off_amount - pledge.paid_total:.2f}"  # type: ignore[attr-defined]

    @extend_schema_field(InstallmentStatusOutput(many=True))
    def get_installments(self, pledge: Pledge) -> list[dict[str, object]]:
        # pledge_list annotates paid_total on each pledge it lists.
        rows = installments_status(pledge, paid_total=pledge.paid_total)  # type: ignore[attr-defined]
        return [dict(InstallmentStatusOutput(row).data) for row in rows]


class InstallmentInput(Input):
    class Meta:
        model = PledgeInstallment

    due_on = BooksDateField()
    amount = _money()


class ScheduleInput(Input):
    class Meta:
        model = None

    count = serializers.IntegerField(min_value=1, max_value=360)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    first_due_on = BooksDateField()


class _PledgeScheduleInput(Input):
    class Meta:
        model = Pledge

    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on.
    installments = InstallmentInput(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=360,
        help_text="Due dates and amounts that add up to the pledge.",
    )
    schedule = ScheduleInput(
        required=False,
        help_text="Or: equal installments, split to the cent, built from a count, a frequency "
        "and the first due date. With neither, one installment due on the pledge's date.",
    )
    campaign = serializers.CharField(
        max_length=20, required=False, allow_null=True, help_text="A campaign code."
    )
    memo = serializers.CharField(required=False, allow_blank=True, max_length=500)


class PledgeCreateInput(_PledgeScheduleInput):
    donor = serializers.IntegerField()
    amount = _money()
    pledged_on = BooksDateField()
    fund = serializers.CharField(max_length=20, required=False, default="GEN")


class PledgeUpdateInput(_PledgeScheduleInput):
    """A draft changes freely; a posted pledge may be rescheduled, or change campaign and memo."""

    donor = serializers.IntegerField(required=False)
    amount = _money(required=False)
    pledged_on = BooksDateField(required=False)
    fund = serializers.CharField(max_length=20, required=False)


class PledgeWriteOffInput(Input):
    class Meta:
        model = None

    date = BooksDateField(required=False, help_text="The write-off's date; today when omitted.")
    memo = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class PledgeCancelInput(Input):
    class Meta:
        model = None

    date = BooksDateField(
        required=False,
        help_text="For a posted pledge, the date of the reversal; the pledge's date by default.",
    )


# --- Recurring gifts ---------------------------------------------------------------------------


class RecurringGiftOutput(serializers.Serializer):
    id = serializers.IntegerField()
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.display_name")
    amount = _money()
    currency = serializers.CharField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    next_on = serializers.DateField()
    end_on = serializers.DateField(allow_null=True)
    method = serializers.ChoiceField(choices=GiftMethod.choices)
    fund = serializers.CharField(source="fund.code")
    campaign = serializers.CharField(source="campaign.code", allow_null=True, default=None)
    payment_reference = serializers.CharField()
    state = serializers.CharField(help_text=f"One of {', '.join(RecurringGiftState.values)}.")
    created_at = serializers.DateTimeField()


class RecurringGiftUpdateInput(Input):
    class Meta:
        model = RecurringGift

    amount = _money(required=False)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    next_on = BooksDateField(
        required=False, help_text="The next gift's date; its day of the month is kept after."
    )
    end_on = BooksDateField(required=False, allow_null=True)
    method = serializers.ChoiceField(
        choices=GiftMethod.choices,
        required=False,
        help_text="cash, check, ach or stock (card gifts recur through monthly giving on /give/).",
    )
    fund = serializers.CharField(max_length=20, required=False)
    campaign = serializers.CharField(
        max_length=20, required=False, allow_null=True, help_text="A campaign code."
    )
    payment_reference = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RecurringGiftCreateInput(RecurringGiftUpdateInput):
    donor = serializers.IntegerField()
    amount = _money()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    next_on = BooksDateField(help_text="The first gift's date; its day of the month is kept.")
    method = serializers.ChoiceField(
        choices=GiftMethod.choices,
        help_text="cash, check, ach or stock (card gifts recur through monthly giving on /give/).",
    )
    fund = serializers.CharField(max_length=20, required=False, default="GEN")


class RecurringGiftResumeInput(Input):
    class Meta:
        model = RecurringGift

    next_on = BooksDateField(
        required=False,
        help_text="The next gift's date; by default the schedule's first date from today on.",
    )


# --- Reports -----------------------------------------------------------------------------------


class GivingReportQueryInput(serializers.Serializer):
    """The query parameters of the fundraising reports; each report takes some of them."""

    fiscal_year = serializers.IntegerField(required=False, min_value=1901, max_value=2999)
    start = BooksDateField(required=False)
    end = BooksDateField(required=False)
    campaign = serializers.CharField(max_length=20, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500)


class GivingReportIndexOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    parameters = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField()
