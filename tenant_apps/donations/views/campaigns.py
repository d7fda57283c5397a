"""Pages of the campaigns desk under /campaigns/: the list of campaigns with what each raised
against its goal (filtered, sorted, paged, CSV), a campaign's page (its figures, what it raised
over time against the goal, its top donors and latest gifts) and the campaign form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib import formatting
from saas_platform.lib.charts import LineChart, line_chart
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import EARLIEST_DATE, LATEST_DATE
from saas_platform.lib.listing import Column, csv_response, listing, ordered, sort_of, wants_csv
from shared_apps.tenants.selectors import organization_url
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.selectors import fund_list
from tenant_apps.donations import selectors
from tenant_apps.donations.models import Campaign
from tenant_apps.donations.selectors import CampaignFilters, CampaignOverview, CampaignStatus
from tenant_apps.donations.services import campaigns as campaign_services
from tenant_apps.donations.services import giving_pages
from tenant_apps.donations.views.gifts import error_to_form

# --- The list ----------------------------------------------------------------------------------

COLUMNS = (
    Column("name", "Campaign", order_by=("name",)),
    Column("code", "Code", order_by=("code",)),
    Column("dates", "Dates", order_by=("start_sort", "end")),
    Column("goal", "Goal", order_by=("goal",), numeric=True),
    Column("raised", "Raised", order_by=("raised",), numeric=True),
    Column("percent", "Of goal", order_by=("percent_sort",), numeric=True),
    Column("donors", "Donors", order_by=("donor_count",), numeric=True),
    Column("status", "Status"),
)
CSV_HEADER = (
    "Code",
    "Name",
    "Start",
    "End",
    "Goal",
    "Raised",
    "% of goal",
    "Gifts",
    "Donors",
    "Status",
)
DEFAULT_SORT = "-dates"  # the latest first
YEARS = (EARLIEST_DATE.year, LATEST_DATE.year)


class CampaignFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any"), *CampaignStatus.choices], required=False
    )
    year = forms.IntegerField(
        label="Running in the year",
        min_value=YEARS[0],
        max_value=YEARS[1],
        required=False,
        # A year is typed, not stepped through: no spin buttons.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )

    def filters(self) -> CampaignFilters:
        """What the valid filters select; a filter that is not valid selects nothing less
        (its error shows next to it)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return CampaignFilters(status=data.get("status") or "", year=data.get("year"))


@require_safe
@page_requires(Capability.GIVING_READ)
def campaign_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = CampaignFilterForm(request.GET)
    filters = form.filters()
    campaigns = selectors.campaign_desk_list(filters=filters, today=timezone.localdate())
    if wants_csv(request):
        return csv_response(
            "campaigns.csv",
            CSV_HEADER,
            (
                (
                    campaign.code,
                    campaign.name,
                    campaign.start.isoformat() if campaign.start else "",
                    campaign.end.isoformat() if campaign.end else "",
                    formatting.money(campaign.goal),
                    formatting.money(campaign.raised),
                    _percent_text(campaign.percent_of_goal),
                    formatting.count(campaign.gift_count),
                    formatting.count(campaign.donor_count),
                    campaign.status_label,
                )
                for campaign in ordered(campaigns, *sort_of(request.GET, COLUMNS, DEFAULT_SORT))
            ),
        )
    page = listing(request, campaigns, columns=COLUMNS, default_sort=DEFAULT_SORT)
    return render(
        request,
        "donations/campaigns/index.html",
        {
            "form": form,
            "listing": page,
            "filtered": bool(filters.status or filters.year is not None),
            "can_write": request.user.has_capability(Capability.GIFTS_WRITE),
        },
    )


def _percent_text(percent: int | None) -> str:
    return "" if percent is None else f"{percent}%"


# --- A campaign's page -------------------------------------------------------------------------

PERIOD_WORDS = {
    # by: (the table's first heading, the chart's "... by ..." words, the axis labels' format)
    "week": ("Week ending", "week by week", "M j"),
    "month": ("Month ending", "month by month", "M Y"),
    "year": ("Year ending", "year by year", "Y"),
}


def progress_chart(overview: CampaignOverview) -> LineChart:
    """What the campaign had raised at the end of each period, against its goal."""
    progress, goal = overview.progress, overview.campaign.goal
    heading, by_words, axis_format = PERIOD_WORDS[progress.by]
    title = f"Raised {by_words}"
    if goal:
        title += f" against the goal of {formatting.money(goal)}"
    return line_chart(
        title=title,
        label_heading=heading,
        value_heading="Raised to date",
        points=[
            (
                date_format(point.through, "M j, Y"),
                date_format(point.through, axis_format),
                point.raised,
            )
            for point in progress.points
        ],
        reference=goal,
        reference_name="Goal",
    )


def campaign_or_404(pk: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404("There is no such campaign.")
    return campaign


@require_safe
@page_requires(Capability.GIVING_READ)
def campaign_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    overview = selectors.campaign_overview(pk=pk, today=timezone.localdate())
    if overview is None:
        raise Http404("There is no such campaign.")
    user = request.user
    campaign = overview.campaign
    page_url = ""
    if campaign.slug:
        organization = request.tenant  # type: ignore[attr-defined]  # TenantMainMiddleware's
        page_url = organization_url(organization=organization, path=f"/give/{campaign.slug}/")
    return render(
        request,
        "donations/campaigns/detail.html",
        {
            "overview": overview,
            "campaign": campaign,
            "chart": progress_chart(overview),
            "can_write": user.has_capability(Capability.GIFTS_WRITE),
            "can_read_reports": user.has_capability(Capability.REPORTS_READ),
            "page_url": page_url,
            "button_code": embed_button_code(url=page_url, name=campaign.name),
            "frame_code": embed_frame_code(url=page_url, name=campaign.name),
        },
    )


def embed_button_code(*, url: str, name: str) -> str:
    """The HTML of a "Give" button linking to the page, for the organization's own site: a
    plain link with its style inline (no script, nothing loaded from here)."""
    return format_html(
        '<a href="{}" style="display:inline-block;padding:.6em 1.2em;background:#0b5cad;'
        'color:#fff;border-radius:6px;font:600 1rem system-ui,sans-serif;text-decoration:none">'
        "Give to {}</a>",
        url,
        name,
    )


def embed_frame_code(*, url: str, name: str) -> str:
    """The HTML of the page in an iframe (`?embed=1`: without the site's header); shown by the
    sites listed in the organization settings only."""
    return format_html(
        '<iframe src="{}?embed=1" title="Give to {}" width="100%" height="1400" '
        'style="border:0;max-width:40rem"></iframe>',
        url,
        name,
    )


# --- The campaign form -------------------------------------------------------------------------


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )


class CampaignForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="Up to 20 letters, digits, dots, dashes or underscores. Gift imports and the "
        "API name the campaign by it; it cannot be changed later.",
    )
    name = forms.CharField(label="Name", max_length=200)
    goal = forms.DecimalField(
        label="Goal",
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="In dollars. Leave it empty for a campaign without a goal.",
    )
    start = _date_field("Start")
    end = _date_field("End")
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Active campaigns show on the dashboard; untick it once the campaign is over.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: date | None = cleaned.get("start")
        end: date | None = cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        return cleaned


class CampaignEditForm(CampaignForm):
    """The form of a campaign already made: its code stays (gifts and the API name it by it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.disabled = True
        code.required = False
        code.help_text = "Gift imports and the API name the campaign by its code: it stays."


EDITED_FIELDS = ("name", "goal", "start", "end", "is_active")


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def campaign_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = campaign_services.campaign_create(
                    code=data["code"],
                    name=data["name"],
                    goal=data["goal"] or Decimal("0"),
                    start=data["start"],
                    end=data["end"],
                    is_active=data["is_active"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(request, f"Campaign {campaign.name} added.")
                return redirect("campaigns:detail", pk=campaign.pk)
        status = 400
    return render(request, "donations/campaigns/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def campaign_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_or_404(pk)
    initial = {"code": campaign.code, **{name: getattr(campaign, name) for name in EDITED_FIELDS}}
    form = CampaignEditForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {**form.cleaned_data, "goal": form.cleaned_data["goal"] or Decimal("0")}
            changes = {
                name: data[name] for name in EDITED_FIELDS if data[name] != getattr(campaign, name)
            }
            if not changes:
                messages.info(request, "Nothing was changed.")
                return redirect("campaigns:detail", pk=pk)
            try:
                campaign_services.campaign_update(
                    campaign=campaign, acting_user=request.user, **changes
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(request, "Campaign saved.")
                return redirect("campaigns:detail", pk=pk)
        status = 400
    return render(
        request,
        "donations/campaigns/form.html",
        {"form": form, "campaign": campaign},
        status=status,
    )


# --- The campaign's public giving page, as fundraisers set it ------------------------------------


class GivingPageForm(forms.Form):
    slug = forms.CharField(
        label="Page address",
        max_length=60,
        required=False,
        help_text="The end of the page's address, /give/<address>/: 3 to 60 lowercase letters, "
        "digits and dashes, such as spring-appeal.",
    )
    is_public = forms.BooleanField(
        label="Open to donors",
        required=False,
        help_text="Donors can give on the page while it is open and the campaign has not ended.",
    )
    story = forms.CharField(
        label="Story",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What the campaign is for, in your words; a blank line starts a new paragraph.",
    )
    giving_fund = forms.ChoiceField(
        label="Where its gifts go",
        required=False,
        help_text="One fund for every gift, or let the donor choose among the funds offered on "
        "the giving page.",
    )

    def __init__(self, *args: Any, funds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["giving_fund"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = [("", "The donor chooses"), *funds]


class CampaignImageForm(forms.Form):
    image = forms.FileField(
        label="Image",
        help_text="A PNG, JPEG or WebP image of at most 2 MB, shown across the top of the page.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )


def _fund_choices() -> list[tuple[str, str]]:
    return [
        (fund.code, f"{fund.name} ({fund.code})") for fund in fund_list().filter(is_active=True)
    ]


def _giving_page_form_page(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    *,
    form: GivingPageForm | None = None,
    image_form: CampaignImageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.tenant  # type: ignore[attr-defined]  # TenantMainMiddleware's
    form = form or GivingPageForm(
        funds=_fund_choices(),
        initial={
            "slug": campaign.slug,
            "is_public": campaign.is_public,
            "story": campaign.story,
            "giving_fund": campaign.giving_fund.code if campaign.giving_fund else "",
        },
    )
    return render(
        request,
        "donations/campaigns/giving_page.html",
        {
            "campaign": campaign,
            "form": form,
            "image_form": image_form or CampaignImageForm(),
            "page_url": organization_url(organization=organization, path="/give/")
            + (f"{campaign.slug}/" if campaign.slug else ""),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def campaign_giving_page_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_or_404(pk)
    if request.method != "POST":
        return _giving_page_form_page(request, campaign)
    form = GivingPageForm(request.POST, funds=_fund_choices())
    if form.is_valid():
        data = form.cleaned_data
        try:
            giving_pages.campaign_giving_page_update(
                campaign=campaign,
                slug=data["slug"],
                is_public=data["is_public"],
                story=data["story"],
                giving_fund=data["giving_fund"],
                acting_user=request.user,
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(request, "The giving page is saved.")
            return redirect("campaigns:detail", pk=pk)
    return _giving_page_form_page(request, campaign, form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def campaign_image_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_or_404(pk)
    form = CampaignImageForm(request.POST, request.FILES)
    if form.is_valid():
        # One byte past the limit is enough for the service to refuse a file as too large.
        content = form.cleaned_data["image"].read(giving_pages.CAMPAIGN_IMAGE_MAX_BYTES + 1)
        try:
            giving_pages.campaign_image_set(
                campaign=campaign, content=content, acting_user=request.user
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(request, "The image is saved: it shows at the top of the page.")
            return redirect("campaigns:giving_page", pk=pk)
    return _giving_page_form_page(request, campaign, image_form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def campaign_image_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    giving_pages.campaign_image_remove(campaign=campaign_or_404(pk), acting_user=request.user)
    messages.success(request, "The image is removed from the giving page.")
    return redirect("campaigns:giving_page", pk=pk)
