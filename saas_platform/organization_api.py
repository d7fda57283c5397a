"""The organization settings over the API, /api/v1/organization/settings/ (owners and
administrators: settings.manage): what the settings page shows and changes, but the logo. A
change is checked by the page's own forms, part by part, then saved by each part's service;
all the parts of one request are saved, or none."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from saas_platform.lib.api import ErrorOutput, Input, validated_data
from saas_platform.lib.errors import ServiceError
from saas_platform.organization_pages import BooksForm, PeopleForm, ProfileForm
from shared_apps.tenants.models import Organization
from shared_apps.tenants.services import organization_profile_update
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.selectors import fiscal_year_start_changeable
from tenant_apps.donations import services as donations
from tenant_apps.donations.forms import ReceiptOrganizationForm
from tenant_apps.personnel import services as personnel
from tenant_apps.personnel.selectors import personnel_settings

# Each part of the settings: its page form, and the names of its fields.
PARTS: dict[str, type[forms.Form]] = {
    "profile": ProfileForm,
    "receipts": ReceiptOrganizationForm,
    "books": BooksForm,
    "people": PeopleForm,
}


class OrganizationSettingsOutput(serializers.Serializer):
    name = serializers.CharField()
    time_zone = serializers.CharField()
    legal_name = serializers.CharField()
    ein = serializers.CharField()
    address = serializers.CharField()
    signatory_name = serializers.CharField()
    signatory_title = serializers.CharField()
    footer = serializers.CharField()
    receipts_missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="What receipts cannot be issued without until it is set (legal_name, ein).",
    )
    fiscal_year_start_month = serializers.IntegerField(min_value=1, max_value=12)
    fiscal_year_start_changeable = serializers.BooleanField(
        help_text="The first month changes until the first entry is posted."
    )
    volunteer_hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2)


class OrganizationSettingsInput(Input):
    class Meta:
        model = None

    name = serializers.CharField(max_length=200, required=False)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="A time zone name, as America/New_York."
    )
    legal_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ein = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="Written NN-NNNNNNN."
    )
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    signatory_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    signatory_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    footer = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    fiscal_year_start_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    volunteer_hourly_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, required=False
    )


def _organization(request: Request) -> Organization:
    # TenantMainMiddleware sets request.tenant; Request passes attributes through to it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    return organization


def _current(organization: Organization) -> dict[str, Any]:
    receipts = donations.receipt_settings_current()
    return {
        "name": organization.name,
        "time_zone": organization.time_zone,
        **{field: getattr(receipts, field) for field in ReceiptOrganizationForm.base_fields},
        "receipts_missing": list(donations.receipt_settings_missing(receipts)),
        "fiscal_year_start_month": accounting.accounting_settings().fiscal_year_start_month,
        "fiscal_year_start_changeable": fiscal_year_start_changeable(),
        "volunteer_hourly_rate": personnel_settings().volunteer_hourly_rate,
    }


def _checked_parts(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each part a change touches, checked by the page's form with the values not given kept
    as they are; every refused field of every part in one 400."""
    checked: dict[str, dict[str, Any]] = {}
    problems: dict[str, list[str]] = {}
    for part, form_class in PARTS.items():
        if not any(field in changes for field in form_class.base_fields):
            continue
        form = form_class(
            {field: changes.get(field, current[field]) for field in form_class.base_fields}
        )
        if form.is_valid():
            checked[part] = form.cleaned_data
        else:
            problems.update(
                {field: [str(error) for error in errors] for field, errors in form.errors.items()}
            )
    if problems:
        raise ServiceError("Some settings are not valid; nothing was saved.", fields=problems)
    return checked


class OrganizationSettingsView(APIView):
    """The organization's settings: its name and time zone, what receipts say about it, the
    fiscal year's first month, the value of a volunteer hour."""

    permission_classes = [
        capability_required(read=Capability.SETTINGS_MANAGE, write=Capability.SETTINGS_MANAGE)
    ]

    @extend_schema(
        operation_id="v1_organization_settings_read",
        responses={200: OrganizationSettingsOutput, 403: ErrorOutput},
    )
    def get(self, request: Request) -> Response:
        return Response(OrganizationSettingsOutput(_current(_organization(request))).data)

    @extend_schema(
        operation_id="v1_organization_settings_update",
        request=OrganizationSettingsInput,
        responses={
            200: OrganizationSettingsOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            409: ErrorOutput,
        },
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        """Change any of the settings, checked as the settings page checks them; all or none.
        The fiscal year's first month is fixed once anything is posted (409)."""
        organization = _organization(request)
        changes = validated_data(OrganizationSettingsInput, request)
        checked = _checked_parts(_current(organization), changes)
        user = request.user
        with transaction.atomic():
            if "profile" in checked:
                organization = organization_profile_update(
                    organization=organization, acting_user=user, **checked["profile"]
                )
            if "receipts" in checked:
                donations.receipt_settings_update(acting_user=user, **checked["receipts"])
            if "books" in checked:
                # Unchanged, the month is not a change: the service refuses any once posted.
                month = checked["books"]["fiscal_year_start_month"]
                if month != accounting.accounting_settings().fiscal_year_start_month:
                    accounting.settings_update(fiscal_year_start_month=month, acting_user=user)
            if "people" in checked:
                personnel.settings_update(acting_user=user, **checked["people"])
        return Response(OrganizationSettingsOutput(_current(organization)).data)
