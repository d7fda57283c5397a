"""Pages of recurring gifts: the list (filtered, sorted, paged, CSV), the form, a recurring
gift's page with its coming dates and the gifts it made, and its actions: edit, pause, resume
(from a date, or the next one of its schedule), cancel, and delete one that made no gift.

As in the recurring-gifts API, those who read donors see them and those who enter gifts change
them: a recurring gift only ever makes draft gifts, which are posted like any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import code_filter
from saas_platform.lib.formatting import money
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Fund
from tenant_apps.donations import selectors
from tenant_apps.donations.models import (
    RECURRING_METHODS,
    Campaign,
    Frequency,
    GiftMethod,
    RecurringGift,
    RecurringGiftState,
)
from tenant_apps.donations.services import recurring as recurring_services
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donations.services.schedules import dates_from, first_on_or_after
from tenant_apps.donations.views.gifts import (
    DonorLookupForm,
    FundChoiceField,
    donor_preset,
    error_to_form,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.selectors import donor_search

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
# How many of the coming gifts a recurring gift's page lists.
UPCOMING = 6
# A recurring gift that may still make gifts; cancelled and completed ones are done.
LIVE_STATES = (RecurringGiftState.ACTIVE, RecurringGiftState.PAUSED)

# --- The list -----------------------------------------------------------------------------------

COLUMNS = (
    Column("donor", "Donor", order_by=("donor__display_name",)),
    Column("amount", "Amount", order_by=("amount",), numeric=True),
    Column("frequency", "Every", order_by=("frequency",)),
    Column("next", "Next gift", order_by=("next_on",)),
    Column("state", "State", order_by=("state",)),
    Column("method", "Method"),
    Column("fund", "Fund"),
)
CSV_HEADER = (
    "Recurring gift",
    "Donor",
    "Amount",
    "Frequency",
    "Next gift",
    "Ends",
    "State",
    "Method",
    "Fund",
    "Campaign",
    "Reference",
)


class RecurringFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", choices=[("", "Any"), *RecurringGiftState.choices], required=False
    )
    frequency = forms.ChoiceField(
        label="Every", choices=[("", "Any"), *Frequency.choices], required=False
    )
    donor = forms.CharField(label="Donor", required=False, max_length=200)
    fund = code_filter("Fund", Fund.objects.order_by("code"))


def filtered_recurring_gifts(form: RecurringFilterForm) -> QuerySet[RecurringGift]:
    recurring = selectors.recurring_gift_list()
    if not form.is_valid():
        return recurring
    data = form.cleaned_data
    if data["state"]:
        recurring = recurring.filter(state=data["state"])
    if data["frequency"]:
        recurring = recurring.filter(frequency=data["frequency"])
    if data["donor"]:
        matches = donor_search(query=data["donor"], donors=Donor.objects.all())
        recurring = recurring.filter(donor__in=matches.values("pk"))
    if data["fund"]:
        recurring = recurring.filter(fund=data["fund"])
    return recurring


@require_safe
@page_requires(Capability.GIVING_READ)
def recurring_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = RecurringFilterForm(request.GET)
    recurring = filtered_recurring_gifts(form)
    if wants_csv(request):
        return csv_response(
            "recurring-gifts.csv",
            CSV_HEADER,
            (
                (
                    row.pk,
                    row.donor.display_name,
                    money(row.amount),
                    row.get_frequency_display(),
                    row.next_on.isoformat() if row.state in LIVE_STATES else "",
                    row.end_on.isoformat() if row.end_on else "",
                    row.get_state_display(),
                    row.get_method_display(),
                    row.fund.name,
                    row.campaign.name if row.campaign else "",
                    row.payment_reference,
                )
                for row in recurring.order_by("next_on", "id")
            ),
        )
    page = listing(request, recurring, columns=COLUMNS, default_sort="next")
    return render(
        request,
        "donations/recurring/list.html",
        {
            "form": form,
            "listing": page,
            "filtered": any(
                value for key, value in request.GET.items() if key not in {"sort", "page"}
            ),
            "can_write": request.user.has_capability(Capability.GIFTS_WRITE),
        },
    )


# --- The form -----------------------------------------------------------------------------------


class RecurringTermsForm(forms.Form):
    """What a recurring gift gives and when; the donor is chosen once, when it is made."""

    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    frequency = forms.ChoiceField(label="Every", choices=Frequency.choices)
    next_on = forms.DateField(
        label="First gift on",
        widget=DATE_INPUT,
        help_text="Later gifts fall on the same day of the month (or the month's last day).",
    )
    end_on = forms.DateField(
        label="Ends on",
        required=False,
        widget=DATE_INPUT,
        help_text="Empty: until it is cancelled.",
    )
    method = forms.ChoiceField(
        label="Method",
        choices=[(method.value, method.label) for method in RECURRING_METHODS],
        help_text="Card gifts recur through the donation page.",
    )
    fund = FundChoiceField(
        label="Fund",
        queryset=Fund.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        empty_label=None,
        initial=DEFAULT_FUND,
    )
    campaign = forms.ModelChoiceField(
        label="Campaign",
        queryset=Campaign.objects.order_by("code"),
        required=False,
        empty_label="No campaign",
    )
    payment_reference = forms.CharField(
        label="Reference",
        max_length=200,
        required=False,
        help_text="The bank's reference of a standing order or ACH debit, if any.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        next_on, end_on = cleaned.get("next_on"), cleaned.get("end_on")
        if next_on and end_on and end_on < next_on:
            self.add_error("end_on", "On or after the date of the first gift.")
        return cleaned


class RecurringGiftForm(DonorLookupForm, RecurringTermsForm):
    pass


class RecurringEditForm(RecurringTermsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_on"].label = "Next gift on"


TERMS = ("amount", "frequency", "next_on", "end_on", "method", "campaign", "payment_reference")


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def recurring_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Donor, amount, how often, the first date, an end if any, method, fund, campaign and
    reference; made active through recurring_gift_create."""
    form = RecurringGiftForm(
        initial={
            "next_on": timezone.localdate(),
            "frequency": Frequency.MONTHLY,
            "method": GiftMethod.ACH,
            **donor_preset(request.GET.get("donor")),
        }
    )
    status = 200
    if request.method == "POST":
        form = RecurringGiftForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                recurring = recurring_services.recurring_gift_create(
                    donor=data["donor"],
                    fund=data["fund"].code,
                    acting_user=request.user,
                    **{name: data[name] for name in TERMS},
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(
                    request,
                    "Recurring gift saved: each date makes a draft gift, for a bookkeeper to post.",
                )
                return redirect("recurring:detail", pk=recurring.pk)
        status = 400
    return render(request, "donations/recurring/form.html", {"form": form}, status=status)


def recurring_or_404(pk: int) -> RecurringGift:
    recurring = selectors.recurring_gift_detail(pk=pk)
    if recurring is None:
        raise Http404("There is no such recurring gift.")
    return recurring


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def recurring_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change what an active or paused recurring gift gives and when; the gifts it made stay."""
    recurring = recurring_or_404(pk)
    if recurring.state not in LIVE_STATES:
        messages.error(request, "A cancelled or completed recurring gift is not changed.")
        return redirect("recurring:detail", pk=pk)
    initial = {name: getattr(recurring, name) for name in TERMS}
    initial["fund"] = recurring.fund.code
    form = RecurringEditForm(initial=initial)
    status = 200
    if request.method == "POST":
        form = RecurringEditForm(request.POST, initial=initial)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in TERMS if name in form.changed_data}
            if "fund" in form.changed_data:
                changes["fund"] = form.cleaned_data["fund"].code
            if not changes:
                messages.info(request, "Nothing was changed.")
                return redirect("recurring:detail", pk=pk)
            try:
                recurring_services.recurring_gift_update(
                    recurring_gift=recurring, acting_user=request.user, **changes
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(request, "Recurring gift saved.")
                return redirect("recurring:detail", pk=pk)
        status = 400
    return render(
        request,
        "donations/recurring/form.html",
        {"form": form, "recurring": recurring},
        status=status,
    )


# --- A recurring gift's page and its actions ---------------------------------------------------


class ResumeForm(forms.Form):
    next_on = forms.DateField(
        label="Next gift on",
        required=False,
        widget=DATE_INPUT,
        help_text="Empty: the next date of its schedule from today. Dates passed while paused "
        "are not made up.",
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, cancel this recurring gift")


@dataclass(frozen=True)
class Upcoming:
    """The coming gifts' dates, whether they come only once it is resumed, and whether more
    follow the ones listed."""

    dates: list[date]
    if_resumed: bool
    more: bool = False


def upcoming_of(recurring: RecurringGift, *, today: date) -> Upcoming:
    if recurring.state == RecurringGiftState.ACTIVE:
        first, if_resumed = recurring.next_on, False
    elif recurring.state == RecurringGiftState.PAUSED:
        first = first_on_or_after(
            recurring.next_on,
            frequency=recurring.frequency,
            anchor_day=recurring.anchor_day,
            today=today,
        )
        if_resumed = True
    else:
        return Upcoming(dates=[], if_resumed=False)
    dates = dates_from(
        first,
        frequency=recurring.frequency,
        anchor_day=recurring.anchor_day,
        end_on=recurring.end_on,
        count=UPCOMING + 1,
    )
    return Upcoming(dates=dates[:UPCOMING], if_resumed=if_resumed, more=len(dates) > UPCOMING)


def recurring_page(
    request: AuthenticatedHttpRequest,
    recurring: RecurringGift,
    *,
    resume_form: ResumeForm | None = None,
    cancel_form: ConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    gifts = list(recurring.gifts.all())
    return render(
        request,
        "donations/recurring/detail.html",
        {
            "recurring": recurring,
            "gifts": gifts,
            "upcoming": upcoming_of(recurring, today=timezone.localdate()),
            "live": recurring.state in LIVE_STATES,
            "can_write": request.user.has_capability(Capability.GIFTS_WRITE),
            "resume_form": resume_form or ResumeForm(),
            "cancel_form": cancel_form or ConfirmForm(),
        },
        status=status,
    )


@require_safe
@page_requires(Capability.GIVING_READ)
def recurring_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return recurring_page(request, recurring_or_404(pk))


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def recurring_pause(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    recurring = recurring_or_404(pk)
    try:
        recurring_services.recurring_gift_pause(recurring_gift=recurring, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The recurring gift was not paused: {error.message}")
    else:
        messages.success(request, "Recurring gift paused: no gift is made until it is resumed.")
    return redirect("recurring:detail", pk=pk)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def recurring_resume(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    recurring = recurring_or_404(pk)
    form = ResumeForm(request.POST)
    if form.is_valid():
        try:
            resumed = recurring_services.recurring_gift_resume(
                recurring_gift=recurring,
                next_on=form.cleaned_data["next_on"],
                acting_user=request.user,
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            if resumed.state == RecurringGiftState.COMPLETED:
                messages.success(request, "Its schedule ended while it was paused: it is complete.")
            else:
                messages.success(
                    request,
                    "Recurring gift resumed: the next gift is on "
                    f"{date_format(resumed.next_on, 'M j, Y')}.",
                )
            return redirect("recurring:detail", pk=pk)
    return recurring_page(request, recurring, resume_form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def recurring_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    recurring = recurring_or_404(pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            recurring_services.recurring_gift_cancel(
                recurring_gift=recurring, acting_user=request.user
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(request, "Recurring gift cancelled: it makes no more gifts.")
            return redirect("recurring:detail", pk=pk)
    return recurring_page(request, recurring, cancel_form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def recurring_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    recurring = recurring_or_404(pk)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, delete it” to delete the recurring gift.")
        return redirect("recurring:detail", pk=pk)
    try:
        recurring_services.recurring_gift_delete(recurring_gift=recurring, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The recurring gift was not deleted: {error.message}")
        return redirect("recurring:detail", pk=pk)
    messages.success(request, f"Recurring gift {pk} deleted.")
    return redirect("recurring:list")
