"""The organization settings page under /settings/organization/ (owners and administrators:
settings.manage): the name, time zone and logo; what receipts say about the organization; the
fiscal year's first month; the value of a volunteer hour. Each part is its own form, saved by
the service of the app that keeps it (the profile by tenants, receipts by donations, the fiscal
year by accounting, the rate by personnel), so a refusal in one leaves the others as they were.
Also the logo itself, served to every page's header, putting the dashboard's checklist away,
and online giving: the owner connects the organization's own Stripe account (billing.connect).
"""

from __future__ import annotations

import calendar
import mimetypes
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.billing.services.connect import (
    connect_account_refresh,
    connect_disconnect,
    connect_onboarding_start,
)
from shared_apps.billing.stripe_api import stripe_configured
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_url
from shared_apps.tenants.services import (
    LOGO_MAX_BYTES,
    organization_logo_remove,
    organization_logo_set,
    organization_profile_update,
    organization_setup_checklist_dismiss,
    time_zone_names,
)
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.selectors import fiscal_year_start_changeable, fund_list
from tenant_apps.checks.services.retention import check_scan_settings, check_scan_settings_update
from tenant_apps.donations import services as donations
from tenant_apps.donations.forms import ReceiptOrganizationForm
from tenant_apps.personnel import services as personnel
from tenant_apps.personnel.selectors import personnel_settings

SETTINGS_PAGE = "organization:index"
MONTHS = [(number, calendar.month_name[number]) for number in range(1, 13)]


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(time_zone_names())]


class ProfileForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="What these pages and the emails you send call the organization.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_time_zone_choices,
        help_text="Dates and times on these pages are read in it: today, a gift's day.",
    )


class LogoForm(forms.Form):
    logo = forms.FileField(
        label="Logo",
        help_text="A PNG or JPEG image of at most 1 MB. It shows in the header of every page, "
        "next to the name.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )


class BooksForm(forms.Form):
    fiscal_year_start_month = forms.TypedChoiceField(
        label="The fiscal year starts in", choices=MONTHS, coerce=int
    )


class PeopleForm(forms.Form):
    volunteer_hourly_rate = forms.DecimalField(
        label="Value of a volunteer hour",
        min_value=0.01,
        max_digits=8,
        decimal_places=2,
        help_text="In dollars, as 34.79: the volunteer-value report multiplies hours by it.",
    )


class ChecksForm(forms.Form):
    image_retention_days = forms.IntegerField(
        label="Keep images of scanned checks for",
        min_value=1,
        max_value=36500,
        help_text="In days (2,555 is seven years). Older images are deleted each night; the "
        "checks' amounts and their gifts stay.",
    )


class GivingFundsForm(forms.Form):
    funds = forms.MultipleChoiceField(
        label="Funds donors may choose",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The general fund is always offered; tick the others a donor may give to.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["funds"]).choices = [
            (fund.code, f"{fund.name} ({fund.code})")
            for fund in fund_list().filter(is_active=True).exclude(code="GEN")
        ]


class GivingFramesForm(forms.Form):
    frame_ancestors = forms.CharField(
        label="Sites that may show the giving pages inside their own pages",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address a line, such as https://www.example.org (https only; "
        "*.example.org for all its subdomains). Empty: no site may frame them.",
    )


FormsByPart = dict[str, forms.Form]


def _refusal_on(form: forms.Form, error: ServiceError) -> None:
    """A service's refusal next to the fields it names, and in the form's summary."""
    for field, problems in error.fields.items():
        if field in form.fields:
            form.add_error(field, problems)
    form.add_error(None, error.message)


def _tenant(request: HttpRequest) -> Organization:
    # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    return organization


def _settings_page(
    request: AuthenticatedHttpRequest, *, bound: FormsByPart | None = None, status: int = 200
) -> HttpResponse:
    """The page, each form showing what is saved, except a refused form, which shows what was
    typed and why it was refused."""
    organization = _tenant(request)
    receipts = donations.receipt_settings_current()
    books = accounting.accounting_settings()
    people = personnel_settings()
    parts: FormsByPart = {
        "profile": ProfileForm(
            initial={"name": organization.name, "time_zone": organization.time_zone}
        ),
        "logo": LogoForm(),
        "receipts": ReceiptOrganizationForm(
            initial={
                field: getattr(receipts, field) for field in ReceiptOrganizationForm.base_fields
            }
        ),
        "books": BooksForm(initial={"fiscal_year_start_month": books.fiscal_year_start_month}),
        "people": PeopleForm(initial={"volunteer_hourly_rate": people.volunteer_hourly_rate}),
        "checks": ChecksForm(
            initial={"image_retention_days": check_scan_settings().image_retention_days}
        ),
        "giving_funds": GivingFundsForm(
            initial={"funds": [fund.code for fund in donations.giving_funds()]}
        ),
        "giving_frames": GivingFramesForm(
            initial={"frame_ancestors": donations.giving_page_settings().frame_ancestors}
        ),
    }
    parts |= bound or {}
    fiscal_year_open_to_change = fiscal_year_start_changeable()
    if not fiscal_year_open_to_change and not parts["books"].is_bound:
        parts["books"].fields["fiscal_year_start_month"].disabled = True
    return render(
        request,
        "settings/organization.html",
        {
            **{f"{part}_form": form for part, form in parts.items()},
            "logo": organization.logo,
            "receipts_missing": donations.receipt_settings_missing(receipts),
            "fiscal_year_open_to_change": fiscal_year_open_to_change,
            "fiscal_year_start_name": calendar.month_name[books.fiscal_year_start_month],
            "giving": organization,
            "giving_url": organization_url(organization=organization, path="/give/"),
            "can_connect": request.user.has_capability(Capability.GIVING_CONNECT),
            "stripe_configured": stripe_configured(),
        },
        status=status,
    )


def _saved(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(SETTINGS_PAGE)


@require_safe
@page_requires(Capability.SETTINGS_MANAGE)
def organization_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _settings_page(request)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            organization_profile_update(
                organization=_tenant(request), acting_user=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            return _saved(request, "The organization's name and time zone are saved.")
    return _settings_page(request, bound={"profile": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_logo_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        # One byte past the limit is enough for the service to refuse a file as too large.
        content = form.cleaned_data["logo"].read(LOGO_MAX_BYTES + 1)
        try:
            organization_logo_set(
                organization=_tenant(request), content=content, acting_user=request.user
            )
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            return _saved(request, "The logo is saved: it shows in the header of every page.")
    return _settings_page(request, bound={"logo": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_logo_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization_logo_remove(organization=_tenant(request), acting_user=request.user)
    return _saved(request, "The logo is removed; the header shows the name alone.")


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_receipts(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ReceiptOrganizationForm(request.POST)
    if form.is_valid():
        try:
            donations.receipt_settings_update(acting_user=request.user, **form.cleaned_data)
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            return _saved(
                request, "The receipt settings are saved; receipts issued from now on use them."
            )
    return _settings_page(request, bound={"receipts": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_books(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BooksForm(request.POST)
    if form.is_valid():
        try:
            accounting.settings_update(
                fiscal_year_start_month=form.cleaned_data["fiscal_year_start_month"],
                acting_user=request.user,
            )
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            month = calendar.month_name[form.cleaned_data["fiscal_year_start_month"]]
            return _saved(request, f"The fiscal year starts in {month}.")
    return _settings_page(request, bound={"books": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_people(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PeopleForm(request.POST)
    if form.is_valid():
        try:
            personnel.settings_update(acting_user=request.user, **form.cleaned_data)
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            return _saved(request, "The value of a volunteer hour is saved.")
    return _settings_page(request, bound={"people": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def organization_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ChecksForm(request.POST)
    if form.is_valid():
        try:
            check_scan_settings_update(acting_user=request.user, **form.cleaned_data)
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            return _saved(request, "How long images of scanned checks are kept is saved.")
    return _settings_page(request, bound={"checks": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def setup_checklist_dismiss(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization_setup_checklist_dismiss(organization=_tenant(request), acting_user=request.user)
    messages.success(
        request,
        "The getting-started list is put away for everyone. Every step stays in the "
        "organization settings and on the staff page.",
    )
    return redirect("home")


# --- Online giving: the organization's Stripe account ------------------------------------------

GIVING_SECTION = "/settings/organization/#giving"


def _onboarding(request: AuthenticatedHttpRequest) -> HttpResponse:
    """To Stripe's onboarding of the organization's account (created the first time)."""
    organization = _tenant(request)
    try:
        url = connect_onboarding_start(
            organization=organization,
            refresh_url=organization_url(
                organization=organization, path="/settings/organization/giving/refresh/"
            ),
            return_url=organization_url(
                organization=organization, path="/settings/organization/giving/return/"
            ),
            acting_user=request.user,
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(GIVING_SECTION)
    return redirect(url)


@require_POST
@page_requires(Capability.GIVING_CONNECT)
def giving_connect(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _onboarding(request)


@require_safe
@page_requires(Capability.GIVING_CONNECT)
def giving_refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Stripe sends the owner here when an onboarding link expired or was used: a new one."""
    return _onboarding(request)


@require_safe
@page_requires(Capability.GIVING_CONNECT)
def giving_return(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Back from Stripe's onboarding: what the account may do now is read from Stripe, never
    assumed from having come back (onboarding can be left half done)."""
    try:
        organization = connect_account_refresh(
            organization=_tenant(request), acting_user=request.user
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(GIVING_SECTION)
    if organization.stripe_charges_enabled:
        messages.success(request, "Online giving is live: donors can give on your giving page.")
    else:
        messages.info(
            request,
            "Stripe does not take charges on the account yet: finish its onboarding, or wait "
            "for Stripe to check the details given.",
        )
    return redirect(GIVING_SECTION)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def giving_funds(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = GivingFundsForm(request.POST)
    if form.is_valid():
        try:
            donations.giving_funds_set(
                fund_codes=form.cleaned_data["funds"], acting_user=request.user
            )
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            messages.success(request, "The funds offered on the giving page are saved.")
            return redirect(GIVING_SECTION)
    return _settings_page(request, bound={"giving_funds": form}, status=400)


@require_POST
@page_requires(Capability.SETTINGS_MANAGE)
def giving_frames(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = GivingFramesForm(request.POST)
    if form.is_valid():
        try:
            origins = donations.giving_frame_ancestors_set(
                text=form.cleaned_data["frame_ancestors"], acting_user=request.user
            )
        except ServiceError as error:
            _refusal_on(form, error)
        else:
            messages.success(
                request,
                f"{len(origins)} site{'s' if len(origins) != 1 else ''} may show the giving pages."
                if origins
                else "No site may show the giving pages inside its own.",
            )
            return redirect(GIVING_SECTION)
    return _settings_page(request, bound={"giving_frames": form}, status=400)


@require_POST
@page_requires(Capability.GIVING_CONNECT)
def giving_disconnect(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        connect_disconnect(organization=_tenant(request), acting_user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(GIVING_SECTION)
    messages.success(
        request,
        "The Stripe account is disconnected: the giving page no longer takes gifts. The "
        "account itself, and its money, stay yours at Stripe.",
    )
    return redirect(GIVING_SECTION)


@require_safe
def organization_logo(request: HttpRequest) -> FileResponse:
    """The logo, to anyone who opens the organization's pages (the login page shows it too):
    a logo is what the organization shows the world."""
    name = _tenant(request).logo
    if not name or not default_storage.exists(name):
        raise Http404("The organization has no logo.")
    content_type, _ = mimetypes.guess_type(name)
    response = FileResponse(default_storage.open(name), content_type=content_type)
    # The page links it with its file name as the version, so a new logo is a new address.
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
