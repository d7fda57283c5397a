"""Pages of pledges: the list (filtered, sorted, paged, CSV), the pledge form (a draft with its
schedule), a pledge's page with its schedule and payments, and its actions by state and role:
post, edit or delete a draft, write off what is unpaid, cancel.

Who may do what follows the pledges API: those who enter gifts record, edit, delete and cancel
drafts; those who post gifts post pledges, write them off, and cancel a posted one (its entry is
reversed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import code_filter
from saas_platform.lib.formatting import money
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires, refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Fund
from tenant_apps.donations import selectors
from tenant_apps.donations.models import Campaign, Frequency, Pledge, PledgeState
from tenant_apps.donations.services import pledges as pledge_services
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donations.services.schedules import MAX_INSTALLMENTS, ScheduleSpec
from tenant_apps.donations.views.gifts import (
    DonorLookupForm,
    FundChoiceField,
    donor_preset,
    error_to_form,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.selectors import donor_search

if TYPE_CHECKING:
    from tenant_apps.donations.selectors import PledgeWithProgress

DATE_INPUT = forms.DateInput(attrs={"type": "date"})

# --- The list of pledges ------------------------------------------------------------------------

COLUMNS = (
    Column("pledged", "Pledged", order_by=("pledged_on",)),
    Column("donor", "Donor", order_by=("donor__display_name",)),
    Column("amount", "Amount", order_by=("amount",), numeric=True),
    Column("paid", "Paid", order_by=("paid_total",), numeric=True),
    Column("balance", "Balance", order_by=("balance",), numeric=True),
    Column("next_due", "Next due", order_by=("next_due_on",)),
    Column("state", "State"),
    Column("campaign", "Campaign"),
    Column("fund", "Fund"),
)
CSV_HEADER = (
    "Pledge",
    "Pledged on",
    "Donor",
    "Amount",
    "Paid",
    "Balance",
    "Next due",
    "Overdue",
    "State",
    "Campaign",
    "Fund",
    "Memo",
)


class PledgeFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", choices=[("", "Any"), *PledgeState.choices], required=False
    )
    donor = forms.CharField(label="Donor", required=False, max_length=200)
    campaign = code_filter("Campaign", Campaign.objects.order_by("code"))
    fund = code_filter("Fund", Fund.objects.order_by("code"))
    overdue = forms.BooleanField(label="Overdue only", required=False)


def is_overdue(pledge: PledgeWithProgress, *, today: date) -> bool:
    """An open pledge whose first unsettled installment was due before today."""
    return (
        pledge.state == PledgeState.OPEN
        and pledge.next_due_on is not None
        and pledge.next_due_on < today
    )


def filtered_pledges(form: PledgeFilterForm, *, today: date) -> QuerySet[PledgeWithProgress]:
    pledges = selectors.pledges_with_progress()
    if not form.is_valid():
        return pledges
    data = form.cleaned_data
    if data["state"]:
        pledges = pledges.filter(state=data["state"])
    if data["donor"]:
        matches = donor_search(query=data["donor"], donors=Donor.objects.all())
        pledges = pledges.filter(donor__in=matches.values("pk"))
    if data["campaign"]:
        pledges = pledges.filter(campaign=data["campaign"])
    if data["fund"]:
        pledges = pledges.filter(fund=data["fund"])
    if data["overdue"]:
        pledges = pledges.filter(state=PledgeState.OPEN, next_due_on__lt=today)
    return pledges


@require_safe
@page_requires(Capability.GIVING_READ)
def pledge_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    today = timezone.localdate()
    form = PledgeFilterForm(request.GET)
    pledges = filtered_pledges(form, today=today)
    if wants_csv(request):
        return csv_response(
            "pledges.csv",
            CSV_HEADER,
            (
                (
                    pledge.pk,
                    pledge.pledged_on.isoformat(),
                    pledge.donor.display_name,
                    money(pledge.amount),
                    money(pledge.paid_total),
                    money(pledge.balance),
                    pledge.next_due_on.isoformat() if pledge.next_due_on else "",
                    "Yes" if is_overdue(pledge, today=today) else "No",
                    pledge.get_state_display(),
                    pledge.campaign.name if pledge.campaign else "",
                    pledge.fund.name,
                    pledge.memo,
                )
                for pledge in pledges.order_by("-pledged_on", "-id")
            ),
        )
    page = listing(request, pledges, columns=COLUMNS, default_sort="-pledged")
    return render(
        request,
        "donations/pledges/list.html",
        {
            "form": form,
            "listing": page,
            "today": today,
            "filtered": any(
                value for key, value in request.GET.items() if key not in {"sort", "page"}
            ),
            "can_write": request.user.has_capability(Capability.GIFTS_WRITE),
        },
    )


# --- The pledge form ----------------------------------------------------------------------------


class PledgeForm(DonorLookupForm):
    amount = forms.DecimalField(
        label="Amount pledged", min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    pledged_on = forms.DateField(label="Pledged on", widget=DATE_INPUT)
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
    installment_count = forms.IntegerField(
        label="Installments",
        min_value=1,
        max_value=MAX_INSTALLMENTS,
        initial=1,
    )
    frequency = forms.ChoiceField(
        label="Paid", choices=Frequency.choices, initial=Frequency.MONTHLY
    )
    first_due_on = forms.DateField(
        label="First installment due",
        required=False,
        widget=DATE_INPUT,
    )
    memo = forms.CharField(
        label="Memo", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        pledged_on, first_due_on = cleaned.get("pledged_on"), cleaned.get("first_due_on")
        if pledged_on and first_due_on and first_due_on < pledged_on:
            self.add_error("first_due_on", "On or after the day it was pledged.")
        elif pledged_on and not first_due_on:
            cleaned["first_due_on"] = pledged_on
        return cleaned

    def schedule(self) -> ScheduleSpec:
        data = self.cleaned_data
        return ScheduleSpec(
            count=data["installment_count"],
            frequency=data["frequency"],
            first_due_on=data["first_due_on"],
        )


# The services name the schedule as a whole; the form, its count and its first date.
SCHEDULE_FIELDS = {"schedule": "installment_count", "installments": "first_due_on"}


def pledge_error_to_form(form: forms.Form, error: ServiceError) -> None:
    fields = {SCHEDULE_FIELDS.get(name, name): value for name, value in error.fields.items()}
    error_to_form(form, ServiceError(error.message, fields=fields))


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def pledge_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Donor, amount, fund, campaign, the day it was pledged, its schedule (how many
    installments, how often, the first due date) and a memo. Saved as a draft."""
    form = PledgeForm(
        initial={"pledged_on": timezone.localdate(), **donor_preset(request.GET.get("donor"))}
    )
    status = 200
    if request.method == "POST":
        form = PledgeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pledge = pledge_services.pledge_create(
                    donor=data["donor"],
                    amount=data["amount"],
                    pledged_on=data["pledged_on"],
                    fund=data["fund"].code,
                    campaign=data["campaign"],
                    memo=data["memo"],
                    schedule=form.schedule(),
                    acting_user=request.user,
                )
            except ServiceError as error:
                pledge_error_to_form(form, error)
            else:
                messages.success(request, "Pledge recorded as a draft, for a bookkeeper to post.")
                return redirect("pledges:detail", pk=pledge.pk)
        status = 400
    return render(request, "donations/pledges/form.html", {"form": form}, status=status)


def frequency_of(due_dates: list[date]) -> str:
    """The frequency a schedule was most likely made with: the months between its first two
    installments (monthly when there is one)."""
    if len(due_dates) < 2:
        return Frequency.MONTHLY
    first, second = due_dates[:2]
    months = (second.year - first.year) * 12 + second.month - first.month
    return {3: Frequency.QUARTERLY, 12: Frequency.ANNUALLY}.get(months, Frequency.MONTHLY)


def pledge_initial(pledge: Pledge) -> dict[str, Any]:
    due_dates = [installment.due_on for installment in pledge.installments.all()]
    return {
        "donor_query": pledge.donor.display_name,
        "donor_id": pledge.donor_id,
        "amount": pledge.amount,
        "pledged_on": pledge.pledged_on,
        "fund": pledge.fund.code,
        "campaign": pledge.campaign_id,
        "installment_count": len(due_dates),
        "frequency": frequency_of(due_dates),
        "first_due_on": due_dates[0] if due_dates else pledge.pledged_on,
        "memo": pledge.memo,
    }


def pledge_changes(form: PledgeForm) -> dict[str, Any]:
    """What the form changed, as pledge_update takes it. A new schedule, amount or date
    rebuilds the installments; otherwise they are left as they are (they may have been given
    one by one through the API)."""
    changed = set(form.changed_data)
    data = form.cleaned_data
    changes: dict[str, Any] = {}
    if changed & {"donor_query", "donor_id"}:
        changes["donor"] = data["donor"]
    for name in ("amount", "pledged_on", "campaign", "memo"):
        if name in changed:
            changes[name] = data[name]
    if "fund" in changed:
        changes["fund"] = data["fund"].code
    if changed & {"installment_count", "frequency", "first_due_on", "amount", "pledged_on"}:
        changes["schedule"] = form.schedule()
    return changes


def pledge_or_404(pk: int) -> PledgeWithProgress:
    pledge = selectors.pledge_detail(pk=pk)
    if pledge is None:
        raise Http404("There is no such pledge.")
    return pledge


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def pledge_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a draft through pledge_update; a posted pledge is written off or cancelled."""
    pledge = pledge_or_404(pk)
    if pledge.state != PledgeState.DRAFT:
        messages.error(request, "Only a draft can be edited; a posted pledge is in the books.")
        return redirect("pledges:detail", pk=pk)
    initial = pledge_initial(pledge)
    form = PledgeForm(initial=initial)
    status = 200
    if request.method == "POST":
        form = PledgeForm(request.POST, initial=initial)
        if form.is_valid():
            changes = pledge_changes(form)
            if not changes:
                messages.info(request, "Nothing was changed.")
                return redirect("pledges:detail", pk=pk)
            try:
                pledge_services.pledge_update(pledge=pledge, acting_user=request.user, **changes)
            except ServiceError as error:
                pledge_error_to_form(form, error)
            else:
                messages.success(request, "Draft pledge saved.")
                return redirect("pledges:detail", pk=pk)
        status = 400
    return render(
        request, "donations/pledges/form.html", {"form": form, "pledge": pledge}, status=status
    )


# --- A pledge's page and its actions ------------------------------------------------------------


class WriteOffForm(forms.Form):
    date = forms.DateField(label="Write-off date", widget=DATE_INPUT)
    memo = forms.CharField(
        label="Reason", max_length=500, help_text="Why it will not be collected."
    )


class CancelForm(forms.Form):
    date = forms.DateField(
        label="Reversal date",
        required=False,
        widget=DATE_INPUT,
        help_text="Empty: the day it was pledged.",
    )
    confirm = forms.BooleanField(label="Yes, cancel this pledge")


@dataclass(frozen=True)
class ScheduleRow:
    due_on: date
    amount: Decimal
    paid: Decimal
    written_off: Decimal
    balance: Decimal
    status: str


def installment_status_label(row: selectors.InstallmentStatus, *, state: str, today: date) -> str:
    if row.status == "paid":
        return "Paid"
    if row.status == "written_off":
        return "Written off"
    if state == PledgeState.CANCELLED:
        return "Cancelled"
    late = state == PledgeState.OPEN and row.due_on < today
    if row.status == "partly_paid":
        return "Partly paid, overdue" if late else "Partly paid"
    return "Overdue" if late else "To come"


def schedule_rows(pledge: PledgeWithProgress, *, today: date) -> list[ScheduleRow]:
    return [
        ScheduleRow(
            due_on=row.due_on,
            amount=row.amount,
            paid=row.paid,
            written_off=row.written_off,
            balance=row.amount - row.paid - row.written_off
            if pledge.state in selectors.OWING_PLEDGE_STATES
            else Decimal("0.00"),
            status=installment_status_label(row, state=pledge.state, today=today),
        )
        for row in selectors.installments_status(pledge, paid_total=pledge.paid_total)
    ]


@dataclass(frozen=True)
class PledgeActions:
    """What the person may do to the pledge as it stands: the API's rules, by state and role."""

    post: bool
    edit: bool
    pay: bool
    write_off: bool
    cancel: bool

    @property
    def any(self) -> bool:
        return self.post or self.edit or self.pay or self.write_off or self.cancel


def actions_of(pledge: PledgeWithProgress, *, can_write: bool, can_post: bool) -> PledgeActions:
    draft, open_ = pledge.state == PledgeState.DRAFT, pledge.state == PledgeState.OPEN
    return PledgeActions(
        post=draft and can_post,
        edit=draft and can_write,
        pay=open_ and can_write,
        write_off=open_ and can_post,
        # A posted pledge with payments is written off instead (pledge_cancel refuses it).
        cancel=(draft and can_write) or (open_ and can_post and not pledge.paid_total),
    )


def pledge_page(
    request: AuthenticatedHttpRequest,
    pledge: PledgeWithProgress,
    *,
    write_off_form: WriteOffForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    return render(
        request,
        "donations/pledges/detail.html",
        {
            "pledge": pledge,
            "schedule": schedule_rows(pledge, today=today),
            "payments": list(pledge.payments.all()),
            "overdue": is_overdue(pledge, today=today),
            "actions": actions_of(
                pledge,
                can_write=user.has_capability(Capability.GIFTS_WRITE),
                can_post=user.has_capability(Capability.GIFTS_POST),
            ),
            "write_off_form": write_off_form
            or WriteOffForm(initial={"date": max(today, pledge.pledged_on)}),
            "cancel_form": cancel_form or CancelForm(),
            "can_read_books": user.has_capability(Capability.ACCOUNTING_READ),
        },
        status=status,
    )


def refusal_on_form(
    request: AuthenticatedHttpRequest, form: forms.Form, error: ServiceError, *, action: str
) -> bool:
    """A refusal about the form's input goes next to its fields (True); one about the pledge's
    state (it was paid, or changed meanwhile) is a message on its page, where the form may no
    longer be offered (False)."""
    if set(error.fields) & set(form.fields):
        error_to_form(form, error)
        return True
    messages.error(request, f"The pledge was not {action}: {error.message}")
    return False


@require_safe
@page_requires(Capability.GIVING_READ)
def pledge_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return pledge_page(request, pledge_or_404(pk))


@require_POST
@page_requires(Capability.GIFTS_POST)
def pledge_post(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pledge = pledge_or_404(pk)
    try:
        pledge_services.pledge_post(pledge=pledge, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The pledge was not posted: {error.message}")
    else:
        messages.success(request, "Pledge posted: it is in the books as a receivable.")
    return redirect("pledges:detail", pk=pk)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def pledge_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pledge = pledge_or_404(pk)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, delete this draft” to delete it.")
        return redirect("pledges:detail", pk=pk)
    try:
        pledge_services.pledge_delete(pledge=pledge, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"The pledge was not deleted: {error.message}")
        return redirect("pledges:detail", pk=pk)
    messages.success(request, f"Draft pledge {pk} deleted.")
    return redirect("pledges:list")


@require_POST
@page_requires(Capability.GIFTS_POST)
def pledge_write_off(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pledge = pledge_or_404(pk)
    form = WriteOffForm(request.POST)
    if form.is_valid():
        balance = pledge.balance
        try:
            pledge_services.pledge_write_off(
                pledge=pledge,
                date=form.cleaned_data["date"],
                memo=form.cleaned_data["memo"],
                acting_user=request.user,
            )
        except ServiceError as error:
            if not refusal_on_form(request, form, error, action="written off"):
                return redirect("pledges:detail", pk=pk)
        else:
            messages.success(request, f"{money(balance)} written off: the pledge is closed.")
            return redirect("pledges:detail", pk=pk)
    return pledge_page(request, pledge, write_off_form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def pledge_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel a draft; or reverse a posted pledge with no payments, recorded in error, which
    is a posting and so for those who post (as in the API)."""
    pledge = pledge_or_404(pk)
    if pledge.state != PledgeState.DRAFT and not request.user.has_capability(Capability.GIFTS_POST):
        raise PermissionDenied(refusal(Capability.GIFTS_POST))
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            pledge_services.pledge_cancel(
                pledge=pledge,
                date=form.cleaned_data["date"] if pledge.state != PledgeState.DRAFT else None,
                acting_user=request.user,
            )
        except ServiceError as error:
            if not refusal_on_form(request, form, error, action="cancelled"):
                return redirect("pledges:detail", pk=pk)
        else:
            messages.success(
                request,
                "Pledge cancelled."
                if pledge.state == PledgeState.DRAFT
                else "Pledge cancelled: its entry is reversed.",
            )
            return redirect("pledges:detail", pk=pk)
    return pledge_page(request, pledge, cancel_form=form, status=400)
