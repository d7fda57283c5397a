"""Pages of the deposits desk under /deposits/: the list with its CSV, opening a deposit, a
deposit's page (its gifts against the expected count and total, adding and removing gifts,
closing it) and its printable slip."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib import formatting
from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donations.deposit_slip_pdf import deposit_slip_render
from tenant_apps.donations.models import Deposit, DepositState, Gift
from tenant_apps.donations.services import deposits as deposits_service
from tenant_apps.donations.services.posting import DEPOSITED_METHODS

# --- The list ----------------------------------------------------------------------------------

COLUMNS = (
    Column("date", "Date", order_by=("deposit_on",)),
    Column("state", "State", order_by=("state",)),
    Column("expected_count", "Expected gifts", order_by=("expected_count",), numeric=True),
    Column("gift_count", "Entered gifts", order_by=("gift_count",), numeric=True),
    Column("expected_total", "Expected total", order_by=("expected_total",), numeric=True),
    Column("gift_total", "Entered total", order_by=("gift_total",), numeric=True),
)


class DepositFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Open and closed"), *DepositState.choices]
    )


@require_safe
@page_requires(Capability.GIVING_READ)
def deposit_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = DepositFilterForm(request.GET)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    deposits = selectors.deposit_desk_list(state=state)
    if wants_csv(request):
        return csv_response(
            "deposits.csv",
            [
                "Deposit",
                "Date",
                "State",
                "Expected gifts",
                "Entered gifts",
                "Expected total",
                "Entered total",
            ],
            (
                [
                    deposit.pk,
                    deposit.deposit_on.isoformat(),
                    deposit.get_state_display(),
                    formatting.count(deposit.expected_count),
                    formatting.count(deposit.gift_count),  # type: ignore[attr-defined]  # annotated
                    formatting.money(deposit.expected_total),
                    formatting.money(deposit.gift_total),  # type: ignore[attr-defined]  # annotated
                ]
                for deposit in deposits.iterator()
            ),
        )
    page = listing(request, deposits, columns=COLUMNS, default_sort="-date")
    context = {
        "form": form,
        "listing": page,
        "filtered": bool(state),
        "can_open": request.user.has_capability(Capability.GIFTS_WRITE),
    }
    return render(request, "donations/deposits/index.html", context)


# --- Opening one -------------------------------------------------------------------------------


class DepositForm(forms.Form):
    deposit_on = forms.DateField(
        label="Deposit date", widget=forms.DateInput(attrs={"type": "date"})
    )
    expected_count = forms.IntegerField(
        label="Number of checks and cash items", min_value=1, help_text="As counted by hand."
    )
    expected_total = forms.DecimalField(
        label="Total",
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text="The adding-machine total, in dollars.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def deposit_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DepositForm(request.POST or None, initial={"deposit_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                deposit = deposits_service.deposit_create(
                    acting_user=request.user, **form.cleaned_data
                )
            except ServiceError as error:
                for field, problems in error.fields.items():
                    if field in form.fields:
                        form.add_error(field, problems)
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Deposit {deposit.pk} is open: add its gifts.")
                return redirect("deposits:detail", pk=deposit.pk)
        status = 400
    return render(request, "donations/deposits/new.html", {"form": form}, status=status)


# --- One deposit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A deposit's gifts against what was counted by hand."""

    count: int
    total: Decimal
    expected_count: int
    expected_total: Decimal

    @property
    def matches(self) -> bool:
        return self.count == self.expected_count and self.total == self.expected_total

    @property
    def difference(self) -> str:
        """ "2 short, $150.00 short", "1 over, $20.00 over", or that they match."""
        if self.matches:
            return "The gifts match the count and total."
        parts = []
        count_gap = self.expected_count - self.count
        total_gap = self.expected_total - self.total
        if count_gap:
            parts.append(
                f"{formatting.count(abs(count_gap))} {'short' if count_gap > 0 else 'over'}"
            )
        if total_gap:
            parts.append(
                f"{formatting.money(abs(total_gap))} {'short' if total_gap > 0 else 'over'}"
            )
        return ", ".join(parts)


def deposit_or_404(pk: int) -> Deposit:
    deposit = (
        Deposit.objects.select_related("bank_account", "journal_entry", "reversal_entry")
        .filter(pk=pk)
        .first()
    )
    if deposit is None:
        raise Http404("There is no such deposit.")
    return deposit


def _work_context(
    request: AuthenticatedHttpRequest, deposit: Deposit, **extra: Any
) -> dict[str, Any]:
    gifts = list(selectors.deposit_gifts(deposit))
    search = request.GET.get("q", "")[:200]
    is_open = deposit.state == DepositState.OPEN
    can_write = is_open and request.user.has_capability(Capability.GIFTS_WRITE)
    candidates: list[Gift] = []
    if can_write:
        candidates = list(
            selectors.deposit_candidates(deposit, methods=DEPOSITED_METHODS, search=search)[
                : selectors.DEPOSIT_CANDIDATES_SHOWN
            ]
        )
    tally = Tally(
        count=len(gifts),
        total=sum((gift.amount for gift in gifts), Decimal("0")),
        expected_count=deposit.expected_count,
        expected_total=deposit.expected_total,
    )
    return {
        "deposit": deposit,
        "gifts": gifts,
        "tally": tally,
        "search": search,
        "candidates": candidates,
        "candidates_shown": selectors.DEPOSIT_CANDIDATES_SHOWN,
        "is_open": is_open,
        "can_write": can_write,
        "can_close": is_open and request.user.has_capability(Capability.GIFTS_POST),
        **extra,
    }


def _work(
    request: AuthenticatedHttpRequest, deposit: Deposit, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The deposit's page, or only its working part (gifts, tally, gifts to add) for htmx."""
    template = "donations/deposits/_work.html" if request.htmx else "donations/deposits/detail.html"
    return render(request, template, _work_context(request, deposit, **extra), status=status)


@require_safe
@page_requires(Capability.GIVING_READ)
def deposit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deposit = deposit_or_404(pk)
    if deposit.stripe_payout_id:
        payout = selectors.payout_of(deposit)
        return render(request, "donations/deposits/payout.html", {"payout": payout})
    return _work(request, deposit)


class AddGiftsForm(forms.Form):
    gifts = forms.ModelMultipleChoiceField(
        label="Gifts to add",
        queryset=Gift.objects.none(),
        error_messages={
            "required": "Choose at least one gift to add.",
            # A gift another deposit took meanwhile, or one no longer posted.
            "invalid_choice": "A chosen gift can no longer be added: it is in another deposit "
            "now, or no longer posted. The gifts below are the ones that can be added.",
        },
    )

    def __init__(self, *args: Any, deposit: Deposit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["gifts"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101  # declared above
        field.queryset = selectors.deposit_candidates(deposit, methods=DEPOSITED_METHODS)


def _after_change(request: AuthenticatedHttpRequest, deposit: Deposit, text: str) -> HttpResponse:
    if request.htmx:
        return _work(request, deposit, notice=text)
    messages.success(request, text)
    return redirect("deposits:detail", pk=deposit.pk)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def deposit_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deposit = deposit_or_404(pk)
    form = AddGiftsForm(request.POST, deposit=deposit)
    if not form.is_valid():
        return _work(
            request,
            deposit,
            status=400,
            error=" ".join(str(problem) for problem in form.errors["gifts"]),
        )
    gifts = list(form.cleaned_data["gifts"])
    try:
        deposits_service.deposit_add_gifts(deposit=deposit, gifts=gifts, acting_user=request.user)
    except ServiceError as error:
        return _work(request, deposit, status=error.status, error=error.message)
    added = f"{len(gifts)} gift{'s' if len(gifts) != 1 else ''}"
    return _after_change(request, deposit, f"{added} added to deposit {deposit.pk}.")


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def deposit_remove(request: AuthenticatedHttpRequest, pk: int, gift_pk: int) -> HttpResponse:
    deposit = deposit_or_404(pk)
    gift = Gift.objects.select_related("donor").filter(pk=gift_pk, deposit=deposit).first()
    if gift is None:
        raise Http404("That gift is not in this deposit.")
    try:
        deposits_service.deposit_remove_gift(deposit=deposit, gift=gift, acting_user=request.user)
    except ServiceError as error:
        return _work(request, deposit, status=error.status, error=error.message)
    return _after_change(
        request,
        deposit,
        f"{gift.donor.display_name}'s gift of {formatting.money(gift.amount)} was taken out.",
    )


@require_POST
@page_requires(Capability.GIFTS_POST)
def deposit_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deposit = deposit_or_404(pk)
    try:
        deposits_service.deposit_close(deposit=deposit, acting_user=request.user)
    except ServiceError as error:
        return _work(request, deposit, status=error.status, error=error.message)
    messages.success(request, f"Deposit {deposit.pk} is closed and its gifts are in the bank.")
    return redirect("deposits:detail", pk=deposit.pk)


@require_safe
@page_requires(Capability.GIVING_READ)
def deposit_slip(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deposit = deposit_or_404(pk)
    data = deposit_slip_render(
        organization=str(getattr(connection.tenant, "name", "")),
        deposit=deposit,
        gifts=list(selectors.deposit_gifts(deposit)),
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="deposit-{deposit.pk}.pdf"'
    return response
