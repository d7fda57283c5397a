"""Pages of the chart under /accounting/: the chart of accounts, the funds and the programs, each
a list (filtered, sorted and paged in the URL, CSV) that anyone who reads the books can open, and
the pages that add, edit, deactivate and reactivate one, for those who keep the books. The rules
are the chart services'; what they refuse is shown next to the field it concerns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import EARLIEST_DATE, LATEST_DATE
from saas_platform.lib.listing import Column, csv_response, listing, ordered, sort_of, wants_csv
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors
from tenant_apps.accounting.models import Account, AccountType, Fund, Program, Restriction
from tenant_apps.accounting.selectors import ChartFilters
from tenant_apps.accounting.services import chart

STATUSES = [("active", "Active"), ("inactive", "Inactive"), ("", "Active and inactive")]


def error_to_form(form: forms.Form, error: ServiceError) -> None:
    """A service's refusal on the form: next to the fields it names, else above the form."""
    placed = False
    for field, field_messages in (error.fields or {}).items():
        if field in form.fields and not form.fields[field].disabled:
            for message in field_messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# --- Filters -----------------------------------------------------------------------------------


class ChartFilterForm(forms.Form):
    text = forms.CharField(label="Code or name", required=False, max_length=200)
    status = forms.ChoiceField(label="Status", choices=STATUSES, required=False)

    def filters(self) -> ChartFilters:
        """What the valid filters select; an invalid one selects nothing less (its error shows
        next to it). With no status in the URL, the active ones are listed."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        status = data.get("status", "active") if "status" in self.data else "active"
        return ChartFilters(
            status=status or "", text=(data.get("text") or "").strip(), kind=data.get("kind") or ""
        )


class AccountFilterForm(ChartFilterForm):
    kind = forms.ChoiceField(
        label="Type", choices=[("", "Any type"), *AccountType.choices], required=False
    )


class FundFilterForm(ChartFilterForm):
    kind = forms.ChoiceField(
        label="Restriction", choices=[("", "Any restriction"), *Restriction.choices], required=False
    )


# --- Forms -------------------------------------------------------------------------------------

CODE_HELP = "Up to 20 letters, digits, dots, dashes or underscores; it cannot be changed later."


def _code_field(help_text: str) -> forms.CharField:
    return forms.CharField(label="Code", max_length=20, help_text=help_text)


def _name_field() -> forms.CharField:
    return forms.CharField(label="Name", max_length=200)


def _description_field() -> forms.CharField:
    return forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _release_on_field() -> forms.DateField:
    return forms.DateField(
        label="Release date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
        help_text="Only for a time restriction: on this day what the fund still holds with "
        "donor restrictions is released, in an entry dated that day.",
    )


class AccountForm(forms.Form):
    code = _code_field(
        CODE_HELP + " Accounts sort by code: the Unified Chart of Accounts numbers them by type."
    )
    name = _name_field()
    type = forms.ChoiceField(label="Type", choices=AccountType.choices)
    parent = forms.ChoiceField(
        label="Under",
        required=False,
        help_text="A summary account of the same type, to total this one with its siblings. "
        "A summary account takes no postings.",
    )
    ucoa_code = forms.CharField(
        label="UCOA code",
        max_length=20,
        required=False,
        help_text="The Unified Chart of Accounts code it maps to, if any.",
    )

    def __init__(self, *args: Any, parents: Iterable[Account] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Declared above as a ChoiceField; `fields` is typed as holding any Field.
        parent = cast(forms.ChoiceField, self.fields["parent"])
        parent.choices = [("", "Nothing: a top-level account")] + [
            (account.code, f"{account.code} {account.name}") for account in parents
        ]


class AccountEditForm(forms.Form):
    """An account's code and type are fixed once it exists: entries and reports rely on them."""

    name = _name_field()


class FundForm(forms.Form):
    code = _code_field(CODE_HELP + " Gift forms, imports and the API name the fund by it.")
    name = _name_field()
    restriction = forms.ChoiceField(
        label="Restriction",
        choices=Restriction.choices,
        help_text="What the donors asked: it decides the fund's net-asset class and cannot be "
        "changed later.",
    )
    release_on = _release_on_field()
    description = _description_field()


class FundEditForm(forms.Form):
    name = _name_field()
    release_on = _release_on_field()
    description = _description_field()

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fund.restriction != Restriction.TIME:
            del self.fields["release_on"]


class ProgramForm(forms.Form):
    code = _code_field(CODE_HELP + " Expense lines name the program by it.")
    name = _name_field()
    description = _description_field()


class ProgramEditForm(forms.Form):
    name = _name_field()
    description = _description_field()


# --- The three kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What differs between the chart's three lists and their pages."""

    key: str  # the URL names' prefix: "chart" lists, "chart_new" adds...
    noun: str  # "account"
    add_label: str  # "Add an account"
    plural: str  # "accounts"
    title: str  # the list's heading
    model: type[Account] | type[Fund] | type[Program]
    filter_form: type[ChartFilterForm]
    rows: Callable[[ChartFilters], QuerySet[Any]]
    columns: tuple[Column, ...]
    csv_header: tuple[str, ...]
    csv_row: Callable[[Any], Sequence[Any]]
    empty: str  # what to do when there is none yet
    deactivate_note: str
    per_page: int = 50


ACTIONS = Column("actions", "Actions")


def _yes_no(active: bool) -> str:
    return "Active" if active else "Inactive"


ACCOUNTS = Kind(
    key="chart",
    add_label="Add an account",
    noun="account",
    plural="accounts",
    title="Chart of accounts",
    model=Account,
    filter_form=AccountFilterForm,
    rows=lambda filters: selectors.account_desk_list(filters=filters),
    columns=(
        Column("code", "Code", order_by=("code",)),
        Column("name", "Name", order_by=("name",)),
        Column("type", "Type", order_by=("type", "code")),
        Column("parent", "Under", order_by=("parent__code",)),
        Column("status", "Status", order_by=("is_active",)),
    ),
    csv_header=("Code", "Name", "Type", "Normal balance", "Under", "UCOA code", "Status"),
    csv_row=lambda account: (
        account.code,
        account.name,
        account.get_type_display(),
        account.get_normal_balance_display(),
        account.parent.code if account.parent else "",
        account.ucoa_code,
        _yes_no(account.is_active),
    ),
    empty="No accounts yet. Add the accounts your books need, asset to expense.",
    deactivate_note="An inactive account keeps its history and shows on the reports, but no new "
    "entry can post to it.",
    # A whole chart on one page, as a bookkeeper reads it: the seeded one has about a hundred.
    per_page=200,
)
FUNDS = Kind(
    key="funds",
    add_label="Add a fund",
    noun="fund",
    plural="funds",
    title="Funds",
    model=Fund,
    filter_form=FundFilterForm,
    rows=lambda filters: selectors.fund_desk_list(filters=filters),
    columns=(
        Column("code", "Code", order_by=("code",)),
        Column("name", "Name", order_by=("name",)),
        Column("restriction", "Restriction", order_by=("restriction", "code")),
        Column("release_on", "Release date", order_by=("release_on",)),
        Column("status", "Status", order_by=("is_active",)),
    ),
    csv_header=("Code", "Name", "Restriction", "Release date", "Released", "Status"),
    csv_row=lambda fund: (
        fund.code,
        fund.name,
        fund.get_restriction_display(),
        fund.release_on.isoformat() if fund.release_on else "",
        "Yes" if fund.is_released else "",
        _yes_no(fund.is_active),
    ),
    empty="No funds yet. Add one for the money donors gave without restrictions, then one "
    "for each restricted gift or grant.",
    deactivate_note="An inactive fund keeps its history and balance, but no new entry or gift "
    "can use it.",
)
PROGRAMS = Kind(
    key="programs",
    add_label="Add a program",
    noun="program",
    plural="programs",
    title="Programs",
    model=Program,
    filter_form=ChartFilterForm,
    rows=lambda filters: selectors.program_desk_list(filters=filters),
    columns=(
        Column("code", "Code", order_by=("code",)),
        Column("name", "Name", order_by=("name",)),
        Column("description", "Description"),
        Column("status", "Status", order_by=("is_active",)),
    ),
    csv_header=("Code", "Name", "Description", "Status"),
    csv_row=lambda program: (
        program.code,
        program.name,
        program.description,
        _yes_no(program.is_active),
    ),
    empty="No programs yet. Add one for each service you run: program expenses are charged "
    "to them, and the statement of functional expenses totals each.",
    deactivate_note="An inactive program keeps its history, but no new expense can be charged "
    "to it.",
)
KINDS = {kind.key: kind for kind in (ACCOUNTS, FUNDS, PROGRAMS)}


def _object_or_404[Row: Model](model: type[Row], pk: int) -> Row:
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        raise Http404("There is no such row in the chart.")
    return row


def _list_url(kind: Kind) -> str:
    return reverse(f"accounting:{kind.key}")


# --- Lists -------------------------------------------------------------------------------------


def _chart_list(request: AuthenticatedHttpRequest, kind: Kind) -> HttpResponseBase:
    query = request.GET.copy()
    query.setdefault("status", "active")  # the form shows what the list holds: active ones
    form = kind.filter_form(query)
    filters = form.filters()
    rows = kind.rows(filters)
    if wants_csv(request):
        sort, column = sort_of(request.GET, kind.columns, "code")
        return csv_response(
            f"{kind.plural}.csv",
            kind.csv_header,
            (kind.csv_row(row) for row in ordered(rows, sort, column).iterator()),
        )
    can_write = request.user.has_capability(Capability.ACCOUNTING_WRITE)
    columns = (*kind.columns, ACTIONS) if can_write else kind.columns
    page = listing(request, rows, columns=columns, default_sort="code", per_page=kind.per_page)
    return render(
        request,
        "accounting/chart/list.html",
        {
            "kind": kind,
            "form": form,
            "listing": page,
            "filtered": filters != ChartFilters(),
            "can_write": can_write,
            "row_template": f"accounting/chart/_{kind.noun}_row.html",
            "new_url": reverse(f"accounting:{kind.key}_new"),
        },
    )


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def account_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _chart_list(request, ACCOUNTS)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def fund_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _chart_list(request, FUNDS)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def program_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _chart_list(request, PROGRAMS)


# --- Adding and editing ------------------------------------------------------------------------


def _form_page(
    request: AuthenticatedHttpRequest,
    kind: Kind,
    form: forms.Form,
    *,
    obj: Model | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounting/chart/form.html",
        {"kind": kind, "form": form, "obj": obj, "list_url": _list_url(kind)},
        status=status,
    )


def _form_answered(
    request: AuthenticatedHttpRequest,
    kind: Kind,
    form: forms.Form,
    write: Callable[[dict[str, Any]], Any],
    *,
    obj: Model | None = None,
) -> HttpResponse:
    """The form's page; on a valid POST, `write(cleaned_data)` through the service and the list
    with a message, or the form again (400) with the service's refusal on its fields."""
    if request.method != "POST":
        return _form_page(request, kind, form, obj=obj)
    if form.is_valid():
        try:
            row = write(form.cleaned_data)
        except ServiceError as error:
            error_to_form(form, error)
        else:
            messages.success(request, f"{kind.noun.capitalize()} {row.code} {row.name} saved.")
            return redirect(f"{_list_url(kind)}?text={row.code}&status=")
    return _form_page(request, kind, form, obj=obj, status=400)


def _posted(request: AuthenticatedHttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def account_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AccountForm(_posted(request), parents=selectors.account_parent_choices())
    return _form_answered(
        request,
        ACCOUNTS,
        form,
        lambda data: chart.account_create(
            code=data["code"],
            name=data["name"],
            type=data["type"],
            parent_code=data["parent"],
            ucoa_code=data["ucoa_code"],
            acting_user=request.user,
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def account_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _object_or_404(Account, pk)
    form = AccountEditForm(_posted(request), initial={"name": account.name})
    return _form_answered(
        request,
        ACCOUNTS,
        form,
        lambda data: chart.account_update(
            account=account, name=data["name"], acting_user=request.user
        ),
        obj=account,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def fund_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _form_answered(
        request,
        FUNDS,
        FundForm(_posted(request)),
        lambda data: chart.fund_create(
            code=data["code"],
            name=data["name"],
            restriction=data["restriction"],
            release_on=data["release_on"],
            description=data["description"],
            acting_user=request.user,
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def fund_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    fund = _object_or_404(Fund, pk)
    initial = {"name": fund.name, "release_on": fund.release_on, "description": fund.description}
    return _form_answered(
        request,
        FUNDS,
        FundEditForm(_posted(request), initial=initial, fund=fund),
        lambda data: chart.fund_update(
            fund=fund,
            name=data["name"],
            description=data["description"],
            release_on=data.get("release_on", chart.UNCHANGED),
            acting_user=request.user,
        ),
        obj=fund,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def program_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _form_answered(
        request,
        PROGRAMS,
        ProgramForm(_posted(request)),
        lambda data: chart.program_create(
            code=data["code"],
            name=data["name"],
            description=data["description"],
            acting_user=request.user,
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def program_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = _object_or_404(Program, pk)
    initial = {"name": program.name, "description": program.description}
    return _form_answered(
        request,
        PROGRAMS,
        ProgramEditForm(_posted(request), initial=initial),
        lambda data: chart.program_update(
            program=program,
            name=data["name"],
            description=data["description"],
            acting_user=request.user,
        ),
        obj=program,
    )


# --- Deactivating and reactivating -------------------------------------------------------------

UPDATES: dict[str, Callable[..., Any]] = {
    "chart": lambda obj, **changes: chart.account_update(account=obj, **changes),
    "funds": lambda obj, **changes: chart.fund_update(fund=obj, **changes),
    "programs": lambda obj, **changes: chart.program_update(program=obj, **changes),
}


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def chart_active(
    request: AuthenticatedHttpRequest, kind_key: str, pk: int, activate: bool
) -> HttpResponse:
    """The page that deactivates (or reactivates) an account, a fund or a program: what that
    means, and a button."""
    kind = KINDS[kind_key]
    obj = _object_or_404(kind.model, pk)
    if request.method == "POST":
        if obj.is_active == activate:
            messages.info(
                request,
                f"{kind.noun.capitalize()} {obj.code} was already "
                f"{'active' if activate else 'inactive'}.",
            )
        else:
            UPDATES[kind.key](obj, is_active=activate, acting_user=request.user)
            done = "reactivated" if activate else "deactivated"
            messages.success(request, f"{kind.noun.capitalize()} {obj.code} {obj.name} {done}.")
        return redirect(f"{_list_url(kind)}?text={obj.code}&status=")
    return render(
        request,
        "accounting/chart/active.html",
        {"kind": kind, "obj": obj, "activate": activate, "list_url": _list_url(kind)},
    )
