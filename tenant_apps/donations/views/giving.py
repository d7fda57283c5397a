"""The public giving pages on an organization's host, no login: /give/ (the general page) and
/give/<slug>/ (a campaign's page: its story, image, goal and progress). A donor chooses an
amount (a preset or their own), once or monthly, a fund where the page lets them, a tribute
(in honor or in memory of someone, with a person to tell), whether to cover Stripe's fee,
whether to give anonymously and to hear from the organization, and gives their name and email;
the gift is then paid on Stripe Checkout, on the organization's own Stripe account, and the
donor comes back to a thank-you page. Without a connected account that takes charges the pages
say online giving is not set up.

Embedding: `?embed=1` draws the page without the site's header, for an iframe on the
organization's own site; the sites allowed to frame the giving pages are the organization's
list (GivingPageSettings), sent as the CSP frame-ancestors of these pages only (every other
page keeps frame-ancestors 'none' and X-Frame-Options DENY). The form posts to the top window:
Stripe's Checkout page refuses to be framed.

Card testing (many small charges with stolen cards): the Checkout sessions one client, and the
organization as a whole, may open a minute are limited (a 429 page that says so), a field
hidden from people catches form-filling robots, and gifts under the minimum are refused.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from saas_platform.lib.client_address import client_address
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.throttling import WINDOW_SECONDS, window_count
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_url
from tenant_apps.donations.models import Campaign, TributeType
from tenant_apps.donations.selectors import CampaignStatus, campaign_giving_page
from tenant_apps.donations.services.giving_pages import giving_page_settings
from tenant_apps.donations.services.online import (
    ACH_FEE_CAP,
    BANK_ACCOUNT,
    CARD,
    FREQUENCIES,
    MINIMUM_GIFT,
    ONCE,
    PAYMENT_METHODS,
    PRESET_AMOUNTS,
    Tribute,
    giving_funds,
    giving_live,
    gross_covering_fees,
    online_checkout_create,
    online_gift_check,
)

logger = logging.getLogger(__name__)

OTHER = "other"
HONEYPOT = "website"
TRIBUTE_CHOICES = [
    ("", "No"),
    (TributeType.HONOR.value, "In honor of someone"),
    (TributeType.MEMORY.value, "In memory of someone"),
]
# Where a form field's errors show when a service names a field the form calls otherwise.
FORM_FIELD_OF = {"amount": "preset"}


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
    frequency = forms.ChoiceField(
        label="How often",
        choices=list(FREQUENCIES.items()),
        initial=ONCE,
        required=False,
        widget=forms.RadioSelect,
    )
    fund = forms.ChoiceField(label="Where your gift goes", choices=())
    payment_method = forms.ChoiceField(
        label="Pay by",
        choices=list(PAYMENT_METHODS.items()),
        initial=CARD,
        required=False,
        widget=forms.RadioSelect,
    )
    cover_fees = forms.BooleanField(label="Cover the processing fee", required=False)
    tribute_type = forms.ChoiceField(
        label="Give in honor or in memory of someone",
        choices=TRIBUTE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    tribute_name = forms.CharField(label="Their name", max_length=200, required=False)
    tribute_notify_name = forms.CharField(
        label="Tell someone of your gift: their name", max_length=200, required=False
    )
    tribute_notify_email = forms.EmailField(
        label="Their email", max_length=254, required=False, help_text="Optional."
    )
    name = forms.CharField(
        label="Your name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="Your receipt is sent here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    anonymous = forms.BooleanField(
        label="Give anonymously",
        required=False,
        help_text="We leave your name off the lists of donors we publish.",
    )
    email_opt_in = forms.BooleanField(label="Email me news of the work I give to", required=False)
    # Hidden from people (by the stylesheet, and from screen readers); robots filling in every
    # field fill it in.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(
        self, *args: Any, funds: list[tuple[str, str]], fixed_fund: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if fixed_fund:
            # The campaign's fund: shown for what it is, whatever a posted form says.
            self.fields["fund"] = forms.CharField(required=False, widget=forms.HiddenInput())
            self.initial["fund"] = fixed_fund
            return
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

    def tribute(self) -> Tribute:
        data = self.cleaned_data
        return Tribute(
            kind=data.get("tribute_type") or "",
            name=data.get("tribute_name") or "",
            notify_name=data.get("tribute_notify_name") or "",
            notify_email=data.get("tribute_notify_email") or "",
        )


@dataclass(frozen=True)
class GivingPage:
    """What a giving page is for: the organization's general page, or a campaign's."""

    campaign: Any = None  # the campaign with its progress (campaign_giving_page), or None
    embed: bool = False

    @property
    def path(self) -> str:
        return f"/give/{self.campaign.slug}/" if self.campaign is not None else "/give/"

    @property
    def fixed_fund(self) -> str:
        fund = self.campaign.giving_fund if self.campaign is not None else None
        return fund.code if fund is not None else ""


def _tenant(request: HttpRequest) -> Organization:
    # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    return organization


def _embedded(request: HttpRequest) -> bool:
    return request.GET.get("embed") == "1"


def framed_as_allowed(response: HttpResponse) -> HttpResponse:
    """Let the sites the organization lists frame this giving page (CSP frame-ancestors, and
    no X-Frame-Options, which cannot name sites); with none listed the page keeps the
    project's 'none' and DENY."""
    origins = giving_page_settings().frame_origins
    if origins:
        response._csp_config = {  # type: ignore[attr-defined]  # read by Django's CSP middleware
            **settings.SECURE_CSP,
            "frame-ancestors": origins,
        }
        response.xframe_options_exempt = True  # Django's XFrameOptionsMiddleware reads it
    return response


def _funds_for(page: GivingPage) -> list[tuple[str, str]]:
    if page.fixed_fund:
        fund = page.campaign.giving_fund
        return [(fund.code, fund.name)]
    return [(fund.code, fund.name) for fund in giving_funds()]


def _form_page(
    request: HttpRequest, page: GivingPage, form: GiveForm, *, status: int = 200
) -> HttpResponse:
    return framed_as_allowed(
        render(
            request,
            "donations/give/give.html",
            {
                "form": form,
                "page": page,
                "campaign": page.campaign,
                "embed": page.embed,
                "minimum": MINIMUM_GIFT,
                "ach_fee_cap": ACH_FEE_CAP,
                "fee_examples": [
                    (amount, gross_covering_fees(amount), gross_covering_fees(amount, BANK_ACCOUNT))
                    for amount in PRESET_AMOUNTS[:2]
                ],
            },
            status=status,
        )
    )


def _too_many(request: HttpRequest, *, whose: str) -> HttpResponse:
    response = render(request, "donations/give/too_many.html", {"whose": whose}, status=429)
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def _client_refused(request: HttpRequest) -> bool:
    """Count one gift attempt from this client; True past GIVING_CHECKOUTS_PER_MINUTE (many
    attempts from one client is how stolen cards are tested). The cache namespaces the key by
    the organization's schema."""
    key = f"give-checkouts:{client_address(request=request)}"
    count = window_count(key=key, window_seconds=WINDOW_SECONDS)
    return count > settings.GIVING_CHECKOUTS_PER_MINUTE


def _organization_refused() -> bool:
    """Count one Checkout session for the organization; True past
    GIVING_CHECKOUTS_PER_ORGANIZATION_PER_MINUTE (card testing spread over many addresses)."""
    count = window_count(key="give-checkouts:organization", window_seconds=WINDOW_SECONDS)
    return count > settings.GIVING_CHECKOUTS_PER_ORGANIZATION_PER_MINUTE


def _refusal_on(form: GiveForm, error: ServiceError) -> None:
    for field, problems in error.fields.items():
        name = FORM_FIELD_OF.get(field, field)
        form.add_error(name if name in form.fields else None, problems)
    if not error.fields:
        form.add_error(None, error.message)


def _thanks_url(organization: Organization, page: GivingPage) -> str:
    query = f"?{urlencode({'campaign': page.campaign.slug})}" if page.campaign else ""
    return organization_url(organization=organization, path=f"/give/thanks/{query}")


def _gift_taken(
    request: HttpRequest, page: GivingPage, funds: list[tuple[str, str]]
) -> HttpResponse:
    """A posted form: checked, then a Checkout session opened and the donor sent to it."""
    organization = _tenant(request)
    if _client_refused(request):
        logger.warning("giving page: too many checkouts from one client")
        return _too_many(request, whose="client")
    form = GiveForm(request.POST, funds=funds, fixed_fund=page.fixed_fund)
    if not form.is_valid():
        return _form_page(request, page, form, status=400)
    if form.cleaned_data["website"]:
        logger.warning("giving page: the hidden field was filled in; nothing opened")
        form.add_error(None, "Your gift could not be taken from this form. Please try again.")
        return _form_page(request, page, form, status=400)
    amount = form.amount()
    if amount is None:
        form.add_error("preset", "Choose an amount, or type another amount.")
        return _form_page(request, page, form, status=400)
    data = form.cleaned_data
    try:
        gift = online_gift_check(
            amount=amount,
            cover_fees=data["cover_fees"],
            fund=page.fixed_fund or data["fund"],
            email=data["email"],
            name=data["name"],
            frequency=data["frequency"] or ONCE,
            payment_method=data["payment_method"] or CARD,
            campaign=page.campaign,
            tribute=form.tribute(),
            anonymous=data["anonymous"],
            email_opt_in=data["email_opt_in"],
        )
        if _organization_refused():
            logger.warning("giving page: too many checkouts for the organization")
            return _too_many(request, whose="organization")
        url = online_checkout_create(
            organization=organization,
            gift=gift,
            success_url=_thanks_url(organization, page),
            cancel_url=organization_url(organization=organization, path=page.path),
        )
    except ServiceError as error:
        _refusal_on(form, error)
        return _form_page(request, page, form, status=400)
    return HttpResponseRedirect(url, status=303)


def _giving_page(request: HttpRequest, page: GivingPage) -> HttpResponse:
    if not giving_live(_tenant(request)):
        # A campaign's page still tells its story and progress; the form is not offered.
        return framed_as_allowed(
            render(
                request,
                "donations/give/not_set_up.html",
                {"embed": page.embed, "campaign": page.campaign},
            )
        )
    funds = _funds_for(page)
    if request.method == "POST":
        return _gift_taken(request, page, funds)
    initial = {"fund": funds[0][0], "frequency": ONCE, "payment_method": CARD, "tribute_type": ""}
    form = GiveForm(funds=funds, fixed_fund=page.fixed_fund, initial=initial)
    return _form_page(request, page, form)


# The giving pages take no session and change nothing but what the donor then pays at Stripe,
# so they need no CSRF token; and an embedded page's form, posted from another site's frame,
# would carry no CSRF cookie (browsers hold back SameSite cookies there).
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def give(request: HttpRequest) -> HttpResponse:
    return _giving_page(request, GivingPage(embed=_embedded(request)))


def _closed(request: HttpRequest, campaign: Any, *, embed: bool) -> HttpResponse:
    """A campaign page donors cannot give on: not open (404) or over (410), saying so."""
    ended = campaign.status == CampaignStatus.ENDED
    return framed_as_allowed(
        render(
            request,
            "donations/give/closed.html",
            {"campaign": campaign, "ended": ended, "embed": embed},
            status=410 if ended else 404,
        )
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def give_campaign(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = campaign_giving_page(slug=slug, today=timezone.localdate())
    if campaign is None:
        raise Http404("There is no giving page at this address.")
    embed = _embedded(request)
    if not campaign.is_public or campaign.status == CampaignStatus.ENDED:
        return _closed(request, campaign, embed=embed)
    return _giving_page(request, GivingPage(campaign=campaign, embed=embed))


@require_safe
def give_thanks(request: HttpRequest) -> HttpResponse:
    """Where Stripe sends the donor after paying. The gift is recorded, and the receipt
    emailed, when Stripe's webhook confirms the payment, which may be a moment later. The page
    names the campaign the gift was made to (an open campaign page's only)."""
    slug = request.GET.get("campaign", "")[:60]
    campaign = (
        Campaign.objects.filter(slug=slug, is_public=True).only("name", "slug").first()
        if slug
        else None
    )
    return framed_as_allowed(render(request, "donations/give/thanks.html", {"campaign": campaign}))


@require_safe
def campaign_image(request: HttpRequest, slug: str) -> FileResponse:
    """A campaign page's image, to anyone who opens the page; the page links it with its file
    name as the version, so a new image is a new address."""
    campaign = Campaign.objects.filter(slug=slug, is_public=True).only("image").first()
    if campaign is None or not campaign.image or not default_storage.exists(campaign.image):
        raise Http404("The page has no image.")
    content_type, _ = mimetypes.guess_type(campaign.image)
    response = FileResponse(default_storage.open(campaign.image), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
