"""The public giving page on an organization's host, /give/: no login. A donor chooses an
amount (a preset or their own), a fund the organization offers, whether to cover the card fee,
and gives their name and email; the gift is then paid on Stripe Checkout, on the
organization's own Stripe account, and the donor comes back to a thank-you page. Without a
connected account that takes charges the page says online giving is not set up.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from saas_platform.lib.client_address import client_address
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.throttling import WINDOW_SECONDS, window_count
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_url
from tenant_apps.donations.services.online import (
    MINIMUM_GIFT,
    PRESET_AMOUNTS,
    giving_funds,
    giving_live,
    gross_covering_fees,
    online_checkout_create,
    online_gift_check,
)

logger = logging.getLogger(__name__)

OTHER = "other"


class GiveForm(forms.Form):
    preset = forms.ChoiceField(
        label="Amount",
        choices=[(f"{amount:.0f}", f"${amount:,.0f}") for amount in PRESET_AMOUNTS]
        + [(OTHER, "Another amount")],
        required=False,
        widget=forms.RadioSelect,
    )
    other_amount = forms.CharField(
        label="Another amount, in dollars",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    fund = forms.ChoiceField(label="Where your gift goes", choices=())
    cover_fees = forms.BooleanField(label="Cover the card fee", required=False)
    name = forms.CharField(
        label="Your name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="Your receipt is sent here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, funds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fund_field = cast(forms.ChoiceField, self.fields["fund"])
        fund_field.choices = funds
        if len(funds) == 1:
            fund_field.widget = forms.HiddenInput()

    def amount(self) -> Decimal | None:
        """The amount chosen: a preset, or the one typed (which wins when given)."""
        typed = (self.cleaned_data.get("other_amount") or "").replace("$", "").replace(",", "")
        chosen = typed.strip() or self.cleaned_data.get("preset") or ""
        if chosen == OTHER or not chosen:
            return None
        try:
            return Decimal(chosen)
        except (InvalidOperation, ValueError):
            return None


def _tenant(request: HttpRequest) -> Organization:
    # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    return organization


def _page(request: HttpRequest, form: GiveForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "donations/give/give.html",
        {
            "form": form,
            "minimum": MINIMUM_GIFT,
            "fee_examples": [(amount, gross_covering_fees(amount)) for amount in PRESET_AMOUNTS],
        },
        status=status,
    )


def _checkout_refused(request: HttpRequest) -> bool:
    """Count one Checkout creation from this client; True past GIVING_CHECKOUTS_PER_MINUTE
    (many attempts from one client is how stolen cards are tested)."""
    key = f"give-checkouts:{client_address(request=request)}"
    count = window_count(key=key, window_seconds=WINDOW_SECONDS)
    return count > settings.GIVING_CHECKOUTS_PER_MINUTE


@require_http_methods(["GET", "HEAD", "POST"])
def give(request: HttpRequest) -> HttpResponse:
    organization = _tenant(request)
    if not giving_live(organization):
        return render(request, "donations/give/not_set_up.html")
    funds = [(fund.code, fund.name) for fund in giving_funds()]
    if request.method != "POST":
        return _page(request, GiveForm(funds=funds, initial={"fund": funds[0][0]}))
    if _checkout_refused(request):
        logger.warning("giving page: too many checkouts from one client")
        response = render(request, "donations/give/too_many.html", status=429)
        response["Retry-After"] = str(WINDOW_SECONDS)
        return response
    form = GiveForm(request.POST, funds=funds)
    if not form.is_valid():
        return _page(request, form, status=400)
    amount = form.amount()
    if amount is None:
        form.add_error("preset", "Choose an amount, or type another amount.")
        return _page(request, form, status=400)
    try:
        gift = online_gift_check(
            amount=amount,
            cover_fees=form.cleaned_data["cover_fees"],
            fund=form.cleaned_data["fund"],
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
        )
        url = online_checkout_create(
            organization=organization,
            gift=gift,
            success_url=organization_url(organization=organization, path="/give/thanks/"),
            cancel_url=organization_url(organization=organization, path="/give/"),
        )
    except ServiceError as error:
        for field, problems in error.fields.items():
            form.add_error("preset" if field == "amount" else field, problems)
        if not error.fields:
            form.add_error(None, error.message)
        return _page(request, form, status=400)
    return HttpResponseRedirect(url, status=303)


@require_safe
def give_thanks(request: HttpRequest) -> HttpResponse:
    """Where Stripe sends the donor after paying. The gift is recorded, and the receipt
    emailed, when Stripe's webhook confirms the payment, which may be a moment later."""
    return render(request, "donations/give/thanks.html")
