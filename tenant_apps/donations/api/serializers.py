"""Input and output shapes of the donations API. Inputs check types and formats only; the rules
are the services' (they answer with the same error shape)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenant_apps.accounting.api.serializers import BooksDateField, ErrorOutput
from tenant_apps.donations.models import (
    Deposit,
    DepositState,
    GiftMethod,
    GiftSource,
    GiftState,
    TributeType,
)

__all__ = ["ErrorOutput"]


def _money(**kwargs: object) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


# --- Campaigns ---------------------------------------------------------------------------------


class CampaignOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    goal = _money()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    is_active = serializers.BooleanField()


class CampaignCreateInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    goal = _money(required=False, default="0.00", min_value=0)
    start = BooksDateField(required=False, allow_null=True, default=None)
    end = BooksDateField(required=False, allow_null=True, default=None)


class CampaignUpdateInput(serializers.Serializer):
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
    goods_services_value = _money()
    goods_services_description = serializers.CharField()
    in_kind_description = serializers.CharField()
    check_number = serializers.CharField()
    payment_reference = serializers.CharField()
    # Plain strings, not enums: "source" and "state" name other choice sets in the schema.
    source = serializers.CharField(help_text=f"One of {', '.join(GiftSource.values)}.")
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
    deposit = serializers.IntegerField(source="deposit_id", allow_null=True)
    allocations = AllocationOutput(many=True)
    soft_credits = SoftCreditOutput(many=True)
    posted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AllocationInput(serializers.Serializer):
    fund = serializers.CharField(max_length=20)
    amount = _money()


class SoftCreditInput(serializers.Serializer):
    donor = serializers.IntegerField()
    amount = _money()


class _GiftDetailsInput(serializers.Serializer):
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
    source = serializers.CharField(
        required=False, max_length=20, help_text=f"One of {', '.join(GiftSource.values)}."
    )


class GiftUpdateInput(_GiftDetailsInput):
    """A draft changes freely; a posted gift's amount, funds, method, date and donor are fixed."""

    donor = serializers.IntegerField(required=False)
    amount = _money(required=False)
    received_on = BooksDateField(required=False)
    method = serializers.ChoiceField(choices=GiftMethod.choices, required=False)
    allocations = AllocationInput(many=True, required=False)


class GiftRefundInput(serializers.Serializer):
    date = BooksDateField(required=False, help_text="The refund's date; today when omitted.")
    memo = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


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


class DepositCreateInput(serializers.Serializer):
    deposit_on = BooksDateField()
    expected_count = serializers.IntegerField(min_value=1)
    expected_total = _money()
    bank_account = serializers.CharField(max_length=20, required=False, default="1010")


class DepositGiftsInput(serializers.Serializer):
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


class ReceiptIssueInput(serializers.Serializer):
    gift = serializers.IntegerField(help_text="A posted gift without a receipt.")


class ReceiptYearEndInput(serializers.Serializer):
    donor = serializers.IntegerField()
    year = serializers.IntegerField(min_value=1900, max_value=2999, help_text="A calendar year.")


class ReceiptReissueInput(serializers.Serializer):
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


class ReceiptSettingsInput(serializers.Serializer):
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


class ImportCreateInput(serializers.Serializer):
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
    state = serializers.CharField(help_text="queued, validating, importing, succeeded or failed.")
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
    def get_progress(self, job: object) -> dict[str, object]:
        from tenant_apps.donations.imports import import_progress

        return dict(import_progress(job))  # type: ignore[arg-type]


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
