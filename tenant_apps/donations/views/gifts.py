"""Pages of the gifts desk: the list of gifts (filtered, sorted, paged, CSV) with bulk posting,
a gift's page with its actions by state and role, the gift form, and the donor suggestions that
the gift form and batch entry share (views.batch)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import code_filter
from saas_platform.lib.formatting import money
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires, roles_named
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Fund
from tenant_apps.donations import selectors
from tenant_apps.donations.models import (
    Campaign,
    DisputeStatus,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
    ImportJob,
    ImportKind,
    PledgeState,
    TributeType,
)
from tenant_apps.donations.services import gifts as gift_services
from tenant_apps.donations.services.allocations import AllocationSpec, SoftCreditSpec
from tenant_apps.donations.services.online_refunds import gift_refund_anywhere, paid_at_stripe
from tenant_apps.donations.services.tributes import person_to_tell_refusal
from tenant_apps.donors.models import Donor
from tenant_apps.donors.selectors import donor_search, searching

if TYPE_CHECKING:
    from shared_apps.tenants.models import Organization
    from tenant_apps.donations.selectors import PledgeWithProgress

SUGGESTIONS = 8

# --- Donor lookup, shared by the gift form and batch entry --------------------------------------


def donor_matches(query: str) -> list[Donor]:
    """The first donors whose name, email, phone or tag matches `query`, merged ones left out."""
    if not query.strip():
        return []
    donors = Donor.objects.filter(merged_into__isnull=True).order_by("display_name", "id")
    with searching():
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


def donor_preset(value: str | None) -> dict[str, Any]:
    """The initial donor of a form opened from a donor's page (`?donor=<id>`): nothing when
    the id names no donor, or one merged into another."""
    if not value or not value.isdigit():
        return {}
    donor = Donor.objects.filter(pk=int(value), merged_into__isnull=True).first()
    if donor is None:
        return {}
    return {"donor_query": donor.display_name, "donor_id": donor.pk}


class FundChoiceField(forms.ModelChoiceField):
    """A fund by its code, shown by its name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


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
@page_requires(Capability.GIVING_READ)
def donor_suggestions(request: HttpRequest) -> HttpResponse:
    """The donors matching what was typed, as the listbox under a donor field. The field is
    `donor_query`, or a form row's (`credit-0-donor_query`, a soft credit's donor): its prefix
    keeps the options' ids apart from those of the other donor fields on the page."""
    name = next(
        (key for key in request.GET if key == "donor_query" or key.endswith("-donor_query")),
        "donor_query",
    )
    query = request.GET.get(name, "")
    prefix = name.removesuffix("donor_query").replace("_", "-")
    return render(
        request,
        "donations/gifts/_donor_suggestions.html",
        {"donors": donor_matches(query), "query": query, "option_prefix": f"{prefix}donor"},
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
CSV_HEADER = (
    "Gift",
    "Date",
    "Donor",
    "Amount",
    "Method",
    "Funds",
    "Campaign",
    "Source",
    "State",
    "Anonymous",
)


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
    fund = code_filter("Fund", Fund.objects.order_by("code"))
    campaign = code_filter("Campaign", Campaign.objects.order_by("code"))
    method = forms.ChoiceField(
        label="Method", choices=[("", "Any"), *GiftMethod.choices], required=False
    )
    source = forms.ChoiceField(
        label="Source", choices=[("", "Any"), *GiftSource.choices], required=False
    )
    dispute = forms.ChoiceField(
        label="Card dispute",
        choices=[("", "Any"), ("any", "Ever disputed"), *DisputeStatus.choices[1:]],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The gifts of one import (`?import=<id>`, linked from the import's page): kept by the
        # filters as a hidden field, shown above the list with the way back to all gifts.
        self.fields["import"] = forms.ModelChoiceField(
            queryset=ImportJob.objects.filter(kind=ImportKind.GIFTS),
            required=False,
            widget=forms.HiddenInput,
            error_messages={"invalid_choice": "There is no such gift import."},
        )


def filtered_gifts(form: GiftFilterForm) -> QuerySet[Gift]:
    gifts = selectors.gift_list()
    if not form.is_valid():
        # An import that is not there selects nothing rather than every gift.
        return gifts.none() if "import" in form.errors else gifts
    data = form.cleaned_data
    if data["import"]:
        gifts = gifts.filter(import_job=data["import"])
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
    if data["dispute"] == "any":
        gifts = gifts.exclude(dispute_status=DisputeStatus.NONE)
    elif data["dispute"]:
        gifts = gifts.filter(dispute_status=data["dispute"])
    return gifts


@require_safe
@page_requires(Capability.GIVING_READ)
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
                    "Yes" if gift.anonymous else "No",
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
            "import_job": form.cleaned_data.get("import") if form.is_valid() else None,
            "import_missing": "import" in form.errors,
            "can_post": request.user.has_capability(Capability.GIFTS_POST),
            "posters": roles_named(Capability.GIFTS_POST),
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
    amount = forms.DecimalField(
        label="Amount to refund",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text="Leave it blank to refund the whole gift (or what is left of it).",
    )
    date = forms.DateField(label="Refund date", widget=forms.DateInput(attrs={"type": "date"}))
    memo = forms.CharField(label="Reason", max_length=500)
    # The refund asked for, made when the page is shown: sent twice, Stripe refunds once.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Why is it void?",
        max_length=500,
        help_text="For example: entered twice, or the check bounced.",
    )
    confirm = forms.BooleanField(
        label="Yes, void this gift",
        error_messages={"required": "Tick the box to confirm: a void cannot be undone."},
    )


def _tenant(request: HttpRequest) -> Organization:
    # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    return organization


def gift_or_404(pk: int) -> Gift:
    gift = selectors.gift_detail(pk=pk)
    if gift is None:
        raise Http404("There is no such gift.")
    return gift


class NotifyForm(forms.Form):
    """The person a posted gift's tribute is to be told of it, and their email; both left
    blank, no one is told."""

    notify_name = forms.CharField(label="Their name", max_length=200, required=False)
    notify_email = forms.EmailField(
        label="Their email",
        max_length=254,
        required=False,
        help_text="They are told by email once saved; a new address is told again.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person_to_tell_check(self, cleaned)
        return cleaned


def person_to_tell_check(form: forms.Form, cleaned: dict[str, Any]) -> None:
    """A person to tell is told by email: a name without one is refused, not kept untold."""
    refusal = person_to_tell_refusal(
        notify_name=cleaned.get("notify_name") or "", notify_email=cleaned.get("notify_email") or ""
    )
    if refusal and "notify_email" not in form.errors:
        form.add_error("notify_email", refusal)


def gift_page(
    request: AuthenticatedHttpRequest,
    gift: Gift,
    *,
    refund_form: RefundForm | None = None,
    void_form: VoidForm | None = None,
    notify_form: NotifyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    processing_fee = selectors.gift_processing_fee(gift)
    return render(
        request,
        "donations/gifts/detail.html",
        {
            "gift": gift,
            "refund_form": refund_form
            or RefundForm(
                initial={
                    "date": max(timezone.localdate(), gift.received_on),
                    "key": secrets.token_hex(16),
                }
            ),
            "refunds": list(gift.refunds.select_related("journal_entry")),
            # Read only for a gift that was disputed: no query for the others.
            "disputes": (
                list(gift.disputes.select_related("hold_entry", "release_entry"))
                if gift.dispute_status
                else []
            ),
            "paid_at_stripe": paid_at_stripe(gift),
            "void_form": void_form or VoidForm(),
            "notify_form": notify_form
            or NotifyForm(
                initial={"notify_name": gift.notify_name, "notify_email": gift.notify_email}
            ),
            "can_post": user.has_capability(Capability.GIFTS_POST),
            "can_write": user.has_capability(Capability.GIFTS_WRITE),
            "can_read_books": user.has_capability(Capability.ACCOUNTING_READ),
            "processing_fee": processing_fee,
            "net_of_fee": gift.amount - processing_fee if processing_fee is not None else None,
        },
        status=status,
    )


@require_safe
@page_requires(Capability.GIVING_READ)
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
            gift_refund_anywhere(
                gift=gift,
                organization=_tenant(request),
                refund_key=form.cleaned_data["key"],
                date=form.cleaned_data["date"],
                memo=form.cleaned_data["memo"],
                amount=form.cleaned_data["amount"],
                acting_user=request.user,
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(
                request,
                "Refund made at Stripe and recorded in the books."
                if paid_at_stripe(gift)
                else "Refund recorded in the books.",
            )
            return redirect("gifts:detail", pk=pk)
    return gift_page(request, gift, refund_form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_POST)
def gift_void(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    gift = gift_or_404(pk)
    form = VoidForm(request.POST)
    if form.is_valid():
        was_posted = gift.state == GiftState.POSTED
        try:
            gift_services.gift_void(
                gift=gift, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(
                request,
                "Gift voided: its entry is reversed and it no longer counts in giving."
                if was_posted
                else "Draft voided: it stays on record and never counts in giving.",
            )
            return redirect("gifts:detail", pk=pk)
    return gift_page(request, gift, void_form=form, status=400)


@require_POST
@page_requires(Capability.GIFTS_WRITE)
def gift_notify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Give a posted gift's tribute the person to tell, or correct their email: they are told
    (services.gifts gift_update)."""
    gift = gift_or_404(pk)
    form = NotifyForm(request.POST)
    if gift.state != GiftState.POSTED or gift.tribute_type == TributeType.NONE:
        messages.error(request, "Only a posted gift in honor or memory of someone tells anyone.")
        return redirect("gifts:detail", pk=pk)
    if form.is_valid():
        before = gift.notify_email
        had_someone = bool(gift.notify_name or gift.notify_email)
        try:
            gift = gift_services.gift_update(
                gift=gift, acting_user=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            error_to_form(form, error)
        else:
            if not gift.notify_email:
                saved = "Saved: no one will be told of the gift." if had_someone else "Saved."
            elif gift.notify_email != before:
                saved = f"Saved: {gift.notify_email} will be told of the gift by email."
            else:
                saved = "Saved."
            messages.success(request, saved)
            return redirect("gifts:detail", pk=pk)
    return gift_page(request, gift, notify_form=form, status=400)


# --- The gift form ------------------------------------------------------------------------------

ALLOCATION_ROWS = 3
SOFT_CREDIT_ROWS = 2


class GiftForm(DonorLookupForm):
    amount = forms.DecimalField(label="Amount", min_value=Decimal("0.01"), decimal_places=2)
    received_on = forms.DateField(
        label="Date received", widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(label="Method", choices=GiftMethod.choices)
    check_number = forms.CharField(label="Check number", max_length=40, required=False)
    payment_reference = forms.CharField(label="Reference", max_length=200, required=False)
    campaign = forms.ModelChoiceField(
        label="Campaign",
        queryset=Campaign.objects.order_by("code"),
        required=False,
        empty_label="No campaign",
    )
    tribute_type = forms.ChoiceField(
        label="Tribute", choices=TributeType.choices, initial=TributeType.NONE
    )
    tribute_name = forms.CharField(label="In honor or memory of", max_length=200, required=False)
    notify_name = forms.CharField(label="Person to tell: name", max_length=200, required=False)
    notify_email = forms.EmailField(label="Person to tell: email", max_length=254, required=False)
    goods_services_description = forms.CharField(
        label="Goods or services given in return", max_length=500, required=False
    )
    goods_services_value = forms.DecimalField(
        label="Their value", min_value=Decimal("0"), decimal_places=2, required=False
    )
    designation = forms.CharField(
        label="Memo", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # A payment on a pledge: the form opened from the pledge's page carries it.
    pledge_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        person_to_tell_check(self, cleaned)
        return cleaned


class AllocationForm(forms.Form):
    fund = FundChoiceField(
        label="Fund",
        queryset=Fund.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="No fund",
    )
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), decimal_places=2, required=False
    )


class SoftCreditForm(DonorLookupForm):
    """A donor credited with the gift, found by typing as the gift's donor is, and the amount
    credited; a row left empty credits no one."""

    amount = forms.DecimalField(
        label="Amount credited", min_value=Decimal("0.01"), decimal_places=2, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["donor_query"].required = False
        # "credit-0" is the first row: its label names it for a screen reader.
        row = (self.prefix or "").rsplit("-", 1)[-1]
        number = f" {int(row) + 1}" if row.isdigit() else ""
        self.fields["donor_query"].label = f"Donor credited{number}"
        self.fields["amount"].label = f"Amount credited{number}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("donor_query") and cleaned.get("amount") is None:
            if "amount" not in self.errors:
                self.add_error("amount", "Give the amount credited to this donor.")
        elif cleaned.get("amount") is not None and not cleaned.get("donor_query"):
            self.add_error("donor_query", "Name the donor credited with this amount.")
        return cleaned


AllocationFormSet = forms.formset_factory(AllocationForm, extra=ALLOCATION_ROWS)
SoftCreditFormSet = forms.formset_factory(SoftCreditForm, extra=SOFT_CREDIT_ROWS)


def allocations_of(formset: Any) -> list[AllocationSpec]:
    return [
        AllocationSpec(fund=row["fund"].code, amount=row["amount"])
        for row in formset.cleaned_data
        if row.get("fund") and row.get("amount")
    ]


def split_check(form: GiftForm, allocations: list[AllocationSpec]) -> None:
    """A split says where all of the gift goes: its amounts add up to the gift's."""
    amount = form.cleaned_data.get("amount")
    if not allocations or amount is None:
        return
    total = sum((Decimal(spec.amount) for spec in allocations), Decimal("0"))
    if total != amount:
        form.add_error(
            None,
            f"The funds add up to {money(total)}; the gift is {money(amount)}. "
            "Make them add up to the amount.",
        )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def gift_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The gift form: donor, amount, date, method, campaign, split across funds, tribute, soft
    credits, goods or services in return, memo. Saved as a draft through gift_create."""
    pledge = payment_pledge(request.POST.get("pledge_id") or request.GET.get("pledge"))
    initial = {
        "received_on": timezone.localdate(),
        "method": GiftMethod.CHECK,
        **donor_preset(request.GET.get("donor")),
        **(payment_initial(pledge) if pledge else {}),
    }
    form = GiftForm(initial=initial)
    allocations = AllocationFormSet(prefix="fund")
    credits = SoftCreditFormSet(prefix="credit")
    status = 200
    if request.method == "POST":
        form = GiftForm(request.POST)
        allocations = AllocationFormSet(request.POST, prefix="fund")
        credits = SoftCreditFormSet(request.POST, prefix="credit")
        if form.is_valid() and allocations.is_valid() and credits.is_valid():
            specs = allocations_of(allocations)
            split_check(form, specs)
            if form.cleaned_data["pledge_id"] and pledge is None:
                form.add_error(None, "That pledge is not open for payments any more.")
        if not form.errors and allocations.is_valid() and credits.is_valid():
            data = form.cleaned_data
            try:
                gift = gift_services.gift_create(
                    donor=data["donor"],
                    amount=data["amount"],
                    received_on=data["received_on"],
                    method=data["method"],
                    check_number=data["check_number"],
                    payment_reference=data["payment_reference"],
                    campaign=data["campaign"],
                    allocations=specs,
                    soft_credits=[
                        SoftCreditSpec(donor=row["donor"], amount=row["amount"])
                        for row in credits.cleaned_data
                        if row.get("donor") and row.get("amount")
                    ],
                    tribute_type=data["tribute_type"],
                    tribute_name=data["tribute_name"],
                    notify_name=data["notify_name"],
                    notify_email=data["notify_email"],
                    goods_services_description=data["goods_services_description"],
                    goods_services_value=data["goods_services_value"] or Decimal("0"),
                    designation=data["designation"],
                    pledge=pledge,
                    acting_user=request.user,
                )
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(
                    request,
                    f"Payment on pledge {pledge.pk} recorded as a draft, for a bookkeeper to post."
                    if pledge
                    else "Gift recorded as a draft, for a bookkeeper to post.",
                )
                return redirect("gifts:detail", pk=gift.pk)
        status = 400
    return render(
        request,
        "donations/gifts/new.html",
        {"form": form, "allocations": allocations, "credits": credits, "pledge": pledge},
        status=status,
    )


def payment_pledge(value: str | None) -> PledgeWithProgress | None:
    """The open pledge a payment is for (`?pledge=<id>` from its page), else none."""
    if not value or not value.isdigit():
        return None
    pledge = selectors.pledge_detail(pk=int(value))
    return pledge if pledge is not None and pledge.state == PledgeState.OPEN else None


def payment_initial(pledge: PledgeWithProgress) -> dict[str, Any]:
    """A payment's form filled in from its pledge: the donor, the campaign, and what is left of
    the next installment (or of the pledge)."""
    schedule = selectors.installments_status(pledge, paid_total=pledge.paid_total)
    next_due = next(
        (row for row in schedule if row.status in ("unpaid", "partly_paid")),
        None,
    )
    amount = next_due.amount - next_due.paid - next_due.written_off if next_due else pledge.balance
    return {
        "donor_query": pledge.donor.display_name,
        "donor_id": pledge.donor_id,
        "amount": amount,
        "campaign": pledge.campaign,
        "pledge_id": pledge.pk,
    }


class GiftEditForm(GiftForm):
    """A draft's form: as the gift form, less what gift_update does not change (its payment
    reference, its soft credits)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["payment_reference"]
        del self.fields["pledge_id"]


EDITED_FIELDS = (
    "amount",
    "received_on",
    "method",
    "check_number",
    "campaign",
    "tribute_type",
    "tribute_name",
    "notify_name",
    "notify_email",
    "goods_services_description",
    "designation",
)


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIFTS_WRITE)
def gift_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a draft through gift_update; a posted gift is refunded instead."""
    gift = gift_or_404(pk)
    if gift.state != GiftState.DRAFT:
        messages.error(request, "Only a draft can be edited; refund a posted gift instead.")
        return redirect("gifts:detail", pk=pk)
    form = GiftEditForm(
        initial={
            "donor_query": gift.donor.display_name,
            "donor_id": gift.donor_id,
            **{name: getattr(gift, name) for name in EDITED_FIELDS},
            "goods_services_value": gift.goods_services_value,
        }
    )
    allocations = AllocationFormSet(
        prefix="fund",
        initial=[{"fund": a.fund.code, "amount": a.amount} for a in gift.allocations.all()],
    )
    status = 200
    if request.method == "POST":
        form = GiftEditForm(request.POST)
        allocations = AllocationFormSet(request.POST, prefix="fund")
        if form.is_valid() and allocations.is_valid():
            specs = allocations_of(allocations)
            split_check(form, specs)
        if not form.errors and allocations.is_valid():
            data = form.cleaned_data
            changes: dict[str, Any] = {name: data[name] for name in EDITED_FIELDS}
            changes["goods_services_value"] = data["goods_services_value"] or Decimal("0")
            changes["donor"] = data["donor"]
            if specs:
                changes["allocations"] = specs
            try:
                gift_services.gift_update(gift=gift, acting_user=request.user, **changes)
            except ServiceError as error:
                error_to_form(form, error)
            else:
                messages.success(request, "Draft saved.")
                return redirect("gifts:detail", pk=pk)
        status = 400
    return render(
        request,
        "donations/gifts/new.html",
        {"form": form, "allocations": allocations, "credits": None, "gift": gift},
        status=status,
    )
