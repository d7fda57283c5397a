"""Pages of the gifts desk: the list of gifts (filtered, sorted, paged, CSV) with bulk posting,
a gift's page with its actions by state and role, and the donor suggestions that the gift form
and batch entry share (views.batch)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.formatting import money
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Fund
from tenant_apps.donations import selectors
from tenant_apps.donations.models import (
    Campaign,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
)
from tenant_apps.donations.services import gifts as gift_services
from tenant_apps.donors.models import Donor
from tenant_apps.donors.selectors import donor_search

SUGGESTIONS = 8

# --- Donor lookup, shared by the gift form and batch entry --------------------------------------


def donor_matches(query: str) -> list[Donor]:
    """The first donors whose name, email, phone or tag matches `query`, merged ones left out."""
    if not query.strip():
        return []
    donors = Donor.objects.filter(merged_into__isnull=True).order_by("display_name", "id")
    return list(donor_search(query=query, donors=donors)[:SUGGESTIONS])


class DonorLookupForm(forms.Form):
    """A donor found by typing: the suggestion picked (its id, set by the page's script), or,
    without the script, the one donor the typed text matches."""

    donor_query = forms.CharField(label="Donor", max_length=200)
    donor_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        donor_id = cleaned.get("donor_id")
        query = cleaned.get("donor_query", "")
        if donor_id:
            donor = Donor.objects.filter(pk=donor_id, merged_into__isnull=True).first()
            if donor is None:
                self.add_error("donor_query", "That donor is not there any more; type again.")
            cleaned["donor"] = donor
        elif query:
            matches = donor_matches(query)
            if not matches:
                self.add_error("donor_query", f"No donor matches “{query}”.")
            elif len(matches) > 1:
                self.add_error(
                    "donor_query",
                    f"{len(matches)} donors match “{query}”: pick one from the suggestions.",
                )
            else:
                cleaned["donor"] = matches[0]
        return cleaned


def error_to_form(form: forms.Form, error: ServiceError) -> None:
    """A service's refusal on the form: next to the fields it names, else above the form."""
    placed = False
    for field, field_messages in (error.fields or {}).items():
        name = {"donor": "donor_query"}.get(field, field)
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


@require_safe
@page_requires(Capability.DONORS_READ)
def donor_suggestions(request: HttpRequest) -> HttpResponse:
    """The donors matching what was typed, as the listbox under a donor field."""
    query = request.GET.get("donor_query", "")
    return render(
        request,
        "donations/gifts/_donor_suggestions.html",
        {"donors": donor_matches(query), "query": query},
    )


# --- The list of gifts --------------------------------------------------------------------------

COLUMNS = (
    Column("select", "Select"),
    Column("date", "Date", order_by=("received_on",)),
    Column("donor", "Donor", order_by=("donor__display_name",)),
    Column("amount", "Amount", order_by=("amount",), numeric=True),
    Column("method", "Method"),
    Column("funds", "Funds"),
    Column("state", "State"),
)
CSV_HEADER = ("Gift", "Date", "Donor", "Amount", "Method", "Funds", "Campaign", "Source", "State")


class GiftFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", choices=[("", "Any"), *GiftState.choices], required=False
    )
    received_from = forms.DateField(
        label="Received from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label="Received to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    donor = forms.CharField(label="Donor", required=False, max_length=200)
    fund = forms.ModelChoiceField(
        label="Fund",
        queryset=Fund.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="Any",
    )
    campaign = forms.ModelChoiceField(
        label="Campaign",
        queryset=Campaign.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="Any",
    )
    method = forms.ChoiceField(
        label="Method", choices=[("", "Any"), *GiftMethod.choices], required=False
    )
    source = forms.ChoiceField(
        label="Source", choices=[("", "Any"), *GiftSource.choices], required=False
    )


def filtered_gifts(form: GiftFilterForm) -> QuerySet[Gift]:
    gifts = selectors.gift_list()
    if not form.is_valid():
        return gifts
    data = form.cleaned_data
    if data["state"]:
        gifts = gifts.filter(state=data["state"])
    if data["received_from"]:
        gifts = gifts.filter(received_on__gte=data["received_from"])
    if data["received_to"]:
        gifts = gifts.filter(received_on__lte=data["received_to"])
    if data["donor"]:
        matches = donor_search(query=data["donor"], donors=Donor.objects.all())
        gifts = gifts.filter(donor__in=matches.values("pk"))
    if data["fund"]:
        in_fund = GiftAllocation.objects.filter(fund=data["fund"]).values("gift_id")
        gifts = gifts.filter(pk__in=in_fund)
    if data["campaign"]:
        gifts = gifts.filter(campaign=data["campaign"])
    if data["method"]:
        gifts = gifts.filter(method=data["method"])
    if data["source"]:
        gifts = gifts.filter(source=data["source"])
    return gifts


@require_safe
@page_requires(Capability.DONORS_READ)
def gift_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = GiftFilterForm(request.GET)
    gifts = filtered_gifts(form)
    if wants_csv(request):
        return csv_response(
            "gifts.csv",
            CSV_HEADER,
            (
                (
                    gift.pk,
                    gift.received_on.isoformat(),
                    gift.donor.display_name,
                    money(gift.amount),
                    gift.get_method_display(),
                    ", ".join(a.fund.name for a in gift.allocations.all()),
                    gift.campaign.name if gift.campaign else "",
                    gift.get_source_display(),
                    gift.get_state_display(),
                )
                for gift in gifts.order_by("-received_on", "-id")
            ),
        )
    page = listing(request, gifts, columns=COLUMNS, default_sort="-date")
    return render(
        request,
        "donations/gifts/list.html",
        {
            "form": form,
            "listing": page,
            "has_drafts": any(gift.state == GiftState.DRAFT for gift in page.rows),
            "can_post": request.user.has_capability(Capability.GIFTS_POST),
            "can_write": request.user.has_capability(Capability.GIFTS_WRITE),
        },
    )


@require_POST
@page_requires(Capability.GIFTS_POST)
def gift_bulk_post(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Post the drafts ticked on the list, each on its own through gift_post: one refused says
    which and why, and the others are still posted."""
    ids = [int(value) for value in request.POST.getlist("gift") if value.isdigit()]
    gifts = list(Gift.objects.filter(pk__in=ids).order_by("id"))
    if not gifts:
        messages.error(request, "Tick the drafts to post first.")
    posted = 0
    for gift in gifts:
        try:
            gift_services.gift_post(gift=gift, acting_user=request.user)
        except ServiceError as error:
            messages.error(request, f"Gift {gift.pk} was not posted: {error.message}")
        else:
            posted += 1
    if posted:
        messages.success(request, f"Posted {posted} gift{'s' if posted != 1 else ''}.")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/gifts/") else "gifts:list")


# --- A gift's page and its actions --------------------------------------------------------------


class RefundForm(forms.Form):
    date = forms.DateField(label="Refund date", widget=forms.DateInput(attrs={"type": "date"}))
    memo = forms.CharField(label="Reason", max_length=500)


def gift_or_404(pk: int) -> Gift:
    gift = selectors.gift_detail(pk=pk)
    if gift is None:
        raise Http404("There is no such gift.")
    return gift


def gift_page(
    request: AuthenticatedHttpRequest,
    gift: Gift,
    *,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "donations/gifts/detail.html",
        {
            "gift": gift,
            "refund_form": refund_form
            or RefundForm(initial={"date": max(timezone.localdate(), gift.received_on)}),
            "can_post": user.has_capability(Capability.GIFTS_POST),
            "can_write": user.has_capability(Capability.GIFTS_WRITE),
            "can_read_books": user.has_capability(Capability.ACCOUNTING_READ),
        },
        status=status,
    )


@require_safe
@page_requires(Capability.DONORS_READ)
def gift_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return gift_page(request, gift_or_404(pk))


@require_POST
@page_requires(Capability.GIFTS_POST)
def gift_post(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    gift = gift_or_404(pk)
    try:
        gift_services.gift_post(gift=gift, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The gift was not posted: {error.message}")
    else:
        messages.success(request, "Gift posted to the books.")
    return redirect("gifts:detail", pk=pk)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def gift_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    gift = gift_or_404(pk)
    try:
        gift_services.gift_delete(gift=gift, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The gift was not deleted: {error.message}")
        return redirect("gifts:detail", pk=pk)
    messages.success(request, f"Draft gift {pk} deleted.")
    return redirect("gifts:list")


@require_POST
@page_requires(Capability.GIFTS_POST)
def gift_refund(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    gift = gift_or_404(pk)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            gift_services.gift_refund(
                gift=gift,
                date=form.cleaned_data["date"],
                memo=form.cleaned_data["memo"],
                acting_user=request.user,
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(request, "Gift refunded: its entry is reversed.")
            return redirect("gifts:detail", pk=pk)
    return gift_page(request, gift, refund_form=form, status=400)
