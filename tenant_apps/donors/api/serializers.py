"""Input and output shapes of the donors API. Inputs check types and formats only; the rules
are the services' (they answer with the same error shape)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from saas_platform.lib.api import ErrorOutput, Input
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorKind,
    DonorNote,
    DonorPhone,
    Household,
    Tag,
)

__all__ = ["ErrorOutput"]


# --- Outputs -----------------------------------------------------------------------------------


class EmailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    is_primary = serializers.BooleanField()


class PhoneOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    phone_digits = serializers.CharField()
    is_primary = serializers.BooleanField()


class AddressOutput(serializers.Serializer):
    id = serializers.IntegerField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postcode = serializers.CharField()
    country = serializers.CharField()
    is_primary = serializers.BooleanField()


class HouseholdRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DonorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DonorKind.choices)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    organization_name = serializers.CharField()
    display_name = serializers.CharField()
    email_ok = serializers.BooleanField()
    email_news_ok = serializers.BooleanField(
        help_text="Asked to be sent news and appeals by email (apart from email_ok, which "
        "allows any email, receipts included)."
    )
    mail_ok = serializers.BooleanField()
    phone_ok = serializers.BooleanField()
    do_not_contact = serializers.BooleanField()
    notes = serializers.CharField()
    is_active = serializers.BooleanField()
    merged_into = serializers.IntegerField(
        source="merged_into_id", allow_null=True, help_text="The surviving donor's id."
    )
    household = HouseholdRefOutput(allow_null=True)
    emails = EmailOutput(many=True)
    phones = PhoneOutput(many=True)
    addresses = AddressOutput(many=True)
    tags = serializers.SerializerMethodField(help_text="Tag names, in order.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, donor: Donor) -> list[str]:
        return [tag.name for tag in donor.tags.all()]  # prefetched, ordered by name


class DuplicateOutput(serializers.Serializer):
    id = serializers.IntegerField(source="donor.id")
    display_name = serializers.CharField(source="donor.display_name")
    kind = serializers.CharField(source="donor.kind")
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["email", "phone", "name_and_postcode"])
    )


class DonorCreatedOutput(DonorOutput):
    possible_duplicates = DuplicateOutput(
        many=True,
        help_text="Donors that may be the same as the one just created, best first: the "
        "donor is created anyway; merge it into one of these if it is a duplicate.",
    )


class MergeRecordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    survivor = serializers.IntegerField(source="survivor_id")
    merged = serializers.IntegerField(source="merged_id")
    acting_user = serializers.IntegerField(source="acting_user_id", allow_null=True)
    merged_at = serializers.DateTimeField()
    moved = serializers.JSONField()


class MergeOutput(serializers.Serializer):
    survivor = DonorOutput()
    record = MergeRecordOutput()


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = serializers.EmailField(source="author.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class HouseholdMemberOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class HouseholdOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = HouseholdMemberOutput(many=True)


class TagOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- Inputs ------------------------------------------------------------------------------------


class EmailInput(Input):
    class Meta:
        model = DonorEmail

    email = serializers.CharField(max_length=254)
    is_primary = serializers.BooleanField(default=False)


class PhoneInput(Input):
    class Meta:
        model = DonorPhone

    number = serializers.CharField(max_length=40)
    is_primary = serializers.BooleanField(default=False)


class AddressInput(Input):
    class Meta:
        model = DonorAddress

    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, required=False, default="US")
    is_primary = serializers.BooleanField(default=False)


class DonorCreateInput(Input):
    class Meta:
        model = Donor

    kind = serializers.ChoiceField(choices=DonorKind.choices)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    organization_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    email_ok = serializers.BooleanField(default=True)
    email_news_ok = serializers.BooleanField(
        default=False, help_text="Asked to be sent news and appeals by email."
    )
    mail_ok = serializers.BooleanField(default=True)
    phone_ok = serializers.BooleanField(default=True)
    do_not_contact = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    household = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A household's id."
    )
    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on (three fields).
    emails = EmailInput(many=True, required=False, default=list, max_length=20)  # type: ignore[call-arg]
    phones = PhoneInput(many=True, required=False, default=list, max_length=20)  # type: ignore[call-arg]
    addresses = AddressInput(many=True, required=False, default=list, max_length=20)  # type: ignore[call-arg]
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=50
    )


class DonorUpdateInput(Input):
    class Meta:
        model = Donor

    kind = serializers.ChoiceField(choices=DonorKind.choices, required=False)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    organization_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email_ok = serializers.BooleanField(required=False)
    email_news_ok = serializers.BooleanField(
        required=False, help_text="Asked to be sent news and appeals by email."
    )
    mail_ok = serializers.BooleanField(required=False)
    phone_ok = serializers.BooleanField(required=False)
    do_not_contact = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    is_active = serializers.BooleanField(required=False)
    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on.
    emails = EmailInput(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=20,
        help_text="Replaces all the donor's emails (an empty list removes them).",
    )
    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on.
    phones = PhoneInput(  # type: ignore[call-arg]
        many=True, required=False, max_length=20, help_text="Replaces all the donor's phones."
    )
    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on.
    addresses = AddressInput(  # type: ignore[call-arg]
        many=True, required=False, max_length=20, help_text="Replaces all the donor's addresses."
    )


class MergeInput(Input):
    class Meta:
        model = None

    merged = serializers.IntegerField(help_text="The id of the duplicate merged into this donor.")
    allow_different_kinds = serializers.BooleanField(default=False)


class NoteInput(Input):
    class Meta:
        model = DonorNote

    body = serializers.CharField(max_length=10_000)


class TagInput(Input):
    class Meta:
        model = Tag

    name = serializers.CharField(max_length=100)


class HouseholdCreateInput(Input):
    class Meta:
        model = Household

    name = serializers.CharField(max_length=200)


class HouseholdMemberInput(Input):
    class Meta:
        model = None

    donor = serializers.IntegerField(help_text="A donor's id.")


# --- Giving summary ----------------------------------------------------------------------------


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class GivingSummaryOutput(serializers.Serializer):
    """A donor's posted giving (refunded and draft gifts do not count)."""

    currency = serializers.CharField()
    fiscal_year = serializers.IntegerField(
        help_text="The fiscal year today is in, named after the calendar year it ends in."
    )
    first_gift_on = serializers.DateField(allow_null=True)
    last_gift_on = serializers.DateField(allow_null=True)
    last_gift_amount = _money(allow_null=True)
    largest_gift = _money(allow_null=True)
    lifetime_total = _money()
    this_fiscal_year = _money()
    last_fiscal_year = _money()
    gift_count = serializers.IntegerField()
    soft_credit_total = _money(help_text="Soft credits on posted gifts of other donors.")


class DonorGivingSummaryOutput(serializers.Serializer):
    """A donor and its giving summary (the view sets `giving` on the donor)."""

    id = serializers.IntegerField()
    display_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=DonorKind.choices)
    is_active = serializers.BooleanField()
    giving = GivingSummaryOutput()
