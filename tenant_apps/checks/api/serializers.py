"""Input and output shapes of the scanned-checks API."""

from __future__ import annotations

from rest_framework import serializers

from saas_platform.lib.api import Input
from tenant_apps.checks.models import ScannedCheck, ScanUpload


class UploadCreateInput(Input):
    class Meta:
        model = None

    deposit = serializers.IntegerField(min_value=1, help_text="The open deposit the checks go to.")
    # An empty file is the service's to refuse, with the message of every other bad file.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="JPEG, PNG, TIFF or PDF, checked by its content; at most CHECK_SCAN_MAX_BYTES.",
    )


class UploadOutput(serializers.ModelSerializer[ScanUpload]):
    # Plain strings, not enums: "state" and "kind" name other enums in the schema already.
    state = serializers.SerializerMethodField(help_text="queued, reading, done or failed.")
    kind = serializers.CharField(help_text="jpeg, png, tiff or pdf.")
    error = serializers.SerializerMethodField(
        help_text="Why the upload failed, in words; empty unless it did."
    )
    page_errors = serializers.ListField(child=serializers.CharField())

    # An upload whose reading stopped (ScanUpload.is_stalled) is failed, as the nightly pass
    # records it: a scanner polling it stops waiting.
    def get_state(self, upload: ScanUpload) -> str:
        return "failed" if upload.is_stalled else upload.state

    def get_error(self, upload: ScanUpload) -> str:
        return upload.stalled_error if upload.is_stalled else upload.error

    class Meta:
        model = ScanUpload
        fields = [
            "id",
            "deposit",
            "original_filename",
            "kind",
            "size_bytes",
            "state",
            "pages_total",
            "pages_read",
            "checks_found",
            "error",
            "page_errors",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class FieldReadOutput(serializers.Serializer):
    value = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField()
    flagged = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class ScannedCheckOutput(serializers.ModelSerializer[ScannedCheck]):
    state = serializers.CharField(help_text="pending, accepted, rejected or duplicate.")
    account_masked = serializers.CharField(help_text="The account's last four digits only.")
    fields_read = serializers.DictField(
        source="fields",
        child=FieldReadOutput(),
        help_text="What was read, per field, with its confidence (0 to 1) and whether a person "
        "must look at it and why. The account number's value is masked.",
    )

    class Meta:
        model = ScannedCheck
        fields = [
            "id",
            "upload",
            "deposit",
            "page_index",
            "position",
            "state",
            "routing_number",
            "account_masked",
            "check_number",
            "amount",
            "check_date",
            "payer_name",
            "payer_address",
            "memo",
            "suggested_donor",
            "suggestion_reason",
            "duplicate_of",
            "duplicate_reason",
            "donor",
            "gift",
            "reject_reason",
            "fields_read",
            "reading_error",
            "reviewed_at",
        ]
        read_only_fields = fields


class CorrectionsInput(Input):
    class Meta:
        model = ScannedCheck

    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    check_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    check_date = serializers.DateField(required=False, allow_null=True)
    payer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    payer_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AcceptInput(Input):
    class Meta:
        model = None

    donor = serializers.IntegerField(min_value=1, help_text="The donor the check is from.")
    corrections = CorrectionsInput(required=False, help_text="Fields read wrong, corrected.")


class RejectInput(Input):
    class Meta:
        model = None

    reason = serializers.CharField(max_length=300)
