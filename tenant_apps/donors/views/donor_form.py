"""Adding and editing a donor: names, kind, emails, phones, an address, tags and preferences.

Before a new donor is saved, the donors it may already be are shown (donor_duplicates_suggest):
"It is this donor" opens that donor's page, "Create anyway" saves the new one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from saas_platform.lib.errors import ServiceError
from shared_apps.users.pages import page_requires, refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.donors import selectors
from tenant_apps.donors.models import Donor, DonorKind
from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec, PhoneSpec
from tenant_apps.donors.services.donors import donor_create, donor_update

# --- The form ------------------------------------------------------------------------------------

ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postcode", "country")
# What a service names in a refusal, and the form field that shows it.
SERVICE_FIELDS = {
    "kind": "kind",
    "first_name": "first_name",
    "last_name": "last_name",
    "organization_name": "organization_name",
    "emails": "emails",
    "phones": "phones",
    "addresses": "line1",
    "name": "tags",
    "tags": "tags",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class DonorForm(forms.Form):
    kind = forms.ChoiceField(
        label="This donor is", choices=DonorKind.choices, widget=forms.RadioSelect
    )
    first_name = forms.CharField(label="First name", required=False, max_length=100)
    last_name = forms.CharField(label="Last name", required=False, max_length=100)
    organization_name = forms.CharField(
        label="Organization name",
        required=False,
        max_length=200,
        help_text="For an organization only.",
    )
    emails = forms.CharField(
        label="Emails",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line; the first is the primary one.",
    )
    phones = forms.CharField(
        label="Phones",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line; the first is the primary one.",
    )
    line1 = forms.CharField(label="Address", required=False, max_length=200)
    line2 = forms.CharField(label="Address, second line", required=False, max_length=200)
    city = forms.CharField(label="City", required=False, max_length=100)
    region = forms.CharField(label="State or region", required=False, max_length=100)
    postcode = forms.CharField(label="ZIP or postcode", required=False, max_length=20)
    country = forms.CharField(
        label="Country", max_length=2, initial="US", help_text="Two letters: US, CA, GB…"
    )
    tags = forms.CharField(
        label="Tags", required=False, max_length=1000, help_text="Separated by commas."
    )
    email_ok = forms.BooleanField(label="May be emailed", required=False, initial=True)
    email_news_ok = forms.BooleanField(
        label="Asked for news and appeals by email", required=False, initial=False
    )
    mail_ok = forms.BooleanField(label="May be sent mail", required=False, initial=True)
    phone_ok = forms.BooleanField(label="May be phoned", required=False, initial=True)
    do_not_contact = forms.BooleanField(label="Do not contact at all", required=False)

    def names(self) -> DonorNames:
        data = self.cleaned_data
        return DonorNames(
            kind=data["kind"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            organization_name=data["organization_name"],
        )

    def emails_given(self) -> list[EmailSpec]:
        return [
            EmailSpec(email, is_primary=i == 0)
            for i, email in enumerate(_lines(self.cleaned_data["emails"]))
        ]

    def phones_given(self) -> list[PhoneSpec]:
        return [
            PhoneSpec(number, is_primary=i == 0)
            for i, number in enumerate(_lines(self.cleaned_data["phones"]))
        ]

    def address_given(self) -> AddressSpec | None:
        data = self.cleaned_data
        if not any(data[name] for name in ADDRESS_FIELDS if name != "country"):
            return None
        return AddressSpec(
            line1=data["line1"],
            line2=data["line2"],
            city=data["city"],
            region=data["region"],
            postcode=data["postcode"],
            country=data["country"].upper(),
            is_primary=True,
        )

    def tags_given(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]

    def add_service_error(self, error: ServiceError) -> None:
        """A service's refusal next to the fields it names (with its message in full), or
        above the form if it names none of them."""
        fields = [SERVICE_FIELDS[key] for key in error.fields if key in SERVICE_FIELDS]
        for field in dict.fromkeys(fields):
            self.add_error(field, error.message)
        if not fields:
            self.add_error(None, error.message)


def initial_of(donor: Donor) -> dict[str, Any]:
    """The form's values for an existing donor (its contacts and tags prefetched)."""
    address = next(iter(donor.addresses.all()), None)
    return {
        "kind": donor.kind,
        "first_name": donor.first_name,
        "last_name": donor.last_name,
        "organization_name": donor.organization_name,
        "emails": "\n".join(row.email for row in donor.emails.all()),
        "phones": "\n".join(row.number for row in donor.phones.all()),
        **({name: getattr(address, name) for name in ADDRESS_FIELDS} if address else {}),
        "tags": ", ".join(tag.name for tag in donor.tags.all()),
        "email_ok": donor.email_ok,
        "email_news_ok": donor.email_news_ok,
        "mail_ok": donor.mail_ok,
        "phone_ok": donor.phone_ok,
        "do_not_contact": donor.do_not_contact,
    }


def _write_check(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_capability(Capability.DONORS_WRITE):
        raise PermissionDenied(refusal(Capability.DONORS_WRITE))


# --- Adding a donor ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.DONORS_READ)
def donor_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    _write_check(request)
    form = DonorForm(request.POST or None, initial={"kind": DonorKind.INDIVIDUAL})
    suggestions: list[selectors.DuplicateSuggestion] = []
    if request.method == "POST" and form.is_valid():
        address = form.address_given()
        if "create_anyway" not in request.POST:
            suggestions = selectors.donor_duplicates_suggest(
                candidate=selectors.DuplicateCandidate(
                    names=form.names(),
                    emails=[spec.email for spec in form.emails_given()],
                    phones=[spec.number for spec in form.phones_given()],
                    postcodes=[address.postcode] if address else [],
                )
            )
        if not suggestions:
            try:
                donor = donor_create(
                    names=form.names(),
                    acting_user=request.user,
                    emails=form.emails_given(),
                    phones=form.phones_given(),
                    addresses=[address] if address else [],
                    tags=form.tags_given(),
                    email_ok=form.cleaned_data["email_ok"],
                    email_news_ok=form.cleaned_data["email_news_ok"],
                    mail_ok=form.cleaned_data["mail_ok"],
                    phone_ok=form.cleaned_data["phone_ok"],
                    do_not_contact=form.cleaned_data["do_not_contact"],
                )
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(request, f"{donor.display_name} is added.")
                return redirect("donors:detail", pk=donor.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "donors/form.html",
        {"form": form, "donor": None, "suggestions": suggestions},
        status=status,
    )


# --- Editing a donor -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.DONORS_READ)
def donor_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _write_check(request)
    donor = selectors.donor_list().filter(pk=pk, merged_into__isnull=True).first()
    if donor is None:
        raise Http404("There is no such donor.")
    form = DonorForm(request.POST or None, initial=initial_of(donor))
    if request.method == "POST" and form.is_valid():
        address = form.address_given()
        # The form edits the primary address; the donor's other addresses stay as they are.
        others = [
            AddressSpec(**{name: getattr(row, name) for name in ADDRESS_FIELDS})
            for row in list(donor.addresses.all())[1:]
        ]
        try:
            donor_update(
                donor=donor,
                acting_user=request.user,
                emails=form.emails_given(),
                phones=form.phones_given(),
                addresses=[address, *others] if address else others,
                tags=form.tags_given(),
                kind=form.cleaned_data["kind"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                organization_name=form.cleaned_data["organization_name"],
                email_ok=form.cleaned_data["email_ok"],
                email_news_ok=form.cleaned_data["email_news_ok"],
                mail_ok=form.cleaned_data["mail_ok"],
                phone_ok=form.cleaned_data["phone_ok"],
                do_not_contact=form.cleaned_data["do_not_contact"],
            )
        except ServiceError as error:
            form.add_service_error(error)
            # Nothing was saved: the page names the donor as it still is.
            donor.refresh_from_db()
        else:
            messages.success(request, f"{donor.display_name} is saved.")
            return redirect("donors:detail", pk=donor.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "donors/form.html",
        {"form": form, "donor": donor, "suggestions": []},
        status=status,
    )
