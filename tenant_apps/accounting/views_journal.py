"""Pages of the journal under /accounting/journal/: the list of entries (filtered, sorted, paged,
CSV), an entry's page with its actions (post, reverse, delete a draft), and the entry form
(any number of lines, totals per fund, save as draft or post). Reading is for roles that read
the books; every change is for roles that write them, through the entry services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.formatting import money
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors
from tenant_apps.accounting.journal_forms import (
    MAX_LINES,
    BaseLineFormSet,
    EntryForm,
    JournalFilterForm,
    ReverseForm,
    account_choices,
    fund_choices,
    fund_totals,
    imbalance_message,
    line_formset,
    line_initial,
)
from tenant_apps.accounting.models import EntrySource, EntryState, JournalEntry
from tenant_apps.accounting.services import entries as entry_services
from tenant_apps.accounting.services.postings import entry_record

# --- The list -----------------------------------------------------------------------------

COLUMNS = (
    Column("number", "Number", order_by=("number",), numeric=True),
    Column("date", "Date", order_by=("date",)),
    Column("memo", "Memo", order_by=("memo",)),
    Column("source", "Source", order_by=("source",)),
    Column("state", "State", order_by=("state",)),
    Column("amount", "Amount", order_by=("amount",), numeric=True),
)
CSV_HEADER = ("Number", "Date", "Memo", "Source", "Reference", "State", "Amount", "Posted by")


def _csv_rows(entries: Any) -> Any:
    for entry in entries:
        yield (
            entry.number or "",
            entry.date.isoformat(),
            entry.memo,
            entry.get_source_display(),
            entry.source_reference,
            entry.get_state_display(),
            money(entry.amount),
            entry.posted_by.email if entry.posted_by else "",
        )


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def journal_list(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = JournalFilterForm(request.GET)
    entries = selectors.journal_entries(form.filters())
    if form.is_bound and form.errors:
        entries = entries.none()
    page = listing(request, entries, columns=COLUMNS, default_sort="-date")
    if wants_csv(request):
        # What is shown: the filters and the sort of the page, every page of it.
        return csv_response("journal.csv", CSV_HEADER, _csv_rows(page.page.paginator.object_list))
    return render(
        request,
        "accounting/journal/list.html",
        {
            "form": form,
            "listing": page,
            "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
        },
    )


# --- An entry's page and its actions ------------------------------------------------------


def _entry_or_404(pk: int) -> JournalEntry:
    entry = selectors.entry_detail(pk=pk)
    if entry is None:
        raise Http404("There is no such journal entry.")
    return entry


def _came_from(entry: JournalEntry) -> tuple[str, str] | None:
    """What the entry records in the app it came from, as words and a link (or "")."""
    kind, _, key = entry.source_reference.partition(":")
    if entry.source == EntrySource.DONATION and kind == "gift" and key.isdigit():
        try:
            return f"Gift {key}", reverse("gifts:detail", args=[int(key)])
        except NoReverseMatch:
            return f"Gift {key}", ""
    if entry.source == EntrySource.PAYROLL and ".." in entry.source_reference:
        start, end = entry.source_reference.split("..", 1)
        return f"The payroll allocation of {start} to {end}", ""
    if kind in ("deposit", "pledge") and key.isdigit():
        return f"{kind.capitalize()} {key}", ""
    return None


def _entry_page(
    request: AuthenticatedHttpRequest,
    entry: JournalEntry,
    *,
    reverse_form: ReverseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "accounting/journal/detail.html",
        {
            "entry": entry,
            "lines": list(entry.lines.all()),
            "debits": sum(line.debit for line in entry.lines.all()),
            "credits": sum(line.credit for line in entry.lines.all()),
            "came_from": _came_from(entry),
            "generated": list(entry.generated.all()),
            "reversal": getattr(entry, "reversed_by", None),
            "can_write": request.user.has_capability(Capability.ACCOUNTING_WRITE),
            "reverse_form": reverse_form or ReverseForm(initial={"date": max(today, entry.date)}),
        },
        status=status,
    )


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def journal_entry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _entry_page(request, _entry_or_404(pk))


def _label(entry: JournalEntry) -> str:
    return f"Entry {entry.number}" if entry.number else f"Draft {entry.pk}"


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def journal_post(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(pk)
    try:
        posted = entry_services.entry_post(entry=entry, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"{_label(entry)} was not posted: {error.message}")
    else:
        messages.success(request, f"Posted as entry {posted.number}.")
    return redirect("accounting:journal_entry", pk=pk)


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def journal_reverse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = entry_services.entry_reverse(
                entry=entry,
                date=form.cleaned_data["date"],
                memo=form.cleaned_data["memo"],
                acting_user=request.user,
            )
        except ServiceError as error:
            placed = False
            for field, field_messages in error.fields.items():
                if field in form.fields:
                    for message in field_messages:
                        form.add_error(field, message)
                    placed = True
            if not placed:
                form.add_error(None, error.message)
        else:
            messages.success(request, f"Entry {entry.number} reversed by entry {reversal.number}.")
            return redirect("accounting:journal_entry", pk=pk)
    return _entry_page(request, entry, reverse_form=form, status=400)


@require_POST
@page_requires(Capability.ACCOUNTING_WRITE)
def journal_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(pk)
    try:
        entry_services.entry_delete(entry=entry, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, f"{_label(entry)} was not deleted: {error.message}")
        return redirect("accounting:journal_entry", pk=pk)
    messages.success(request, f"Draft {pk} deleted.")
    return redirect("accounting:journal")


# --- The entry form -----------------------------------------------------------------------

SAVE, POST, ADD_LINE = "save", "post", "add-line"


def form_context(form: Any, lines: BaseLineFormSet) -> dict[str, Any]:
    """What the entry form's template needs besides the forms: the pickers' suggestions and
    the totals per fund of the lines as they stand."""
    specs = lines.specs() if lines.is_bound and lines.is_valid() else []
    return {
        "form": form,
        "lines": lines,
        "accounts": account_choices(),
        "funds": fund_choices(),
        "totals": fund_totals(specs),
    }


def lines_with_one_more(request: HttpRequest) -> BaseLineFormSet:
    """The lines as posted with one blank row more (the add-line button without the script)."""
    data = request.POST.copy()
    count = data.get("lines-TOTAL_FORMS", "")
    data["lines-TOTAL_FORMS"] = str(min(int(count) + 1, MAX_LINES) if count.isdigit() else 1)
    return line_formset(data)


def _form_as_typed(request: HttpRequest) -> EntryForm:
    """The entry's date and memo as typed, shown again without judging them yet."""
    return EntryForm(
        initial={"date": request.POST.get("date", ""), "memo": request.POST.get("memo", "")}
    )


def _lines_checked(form: EntryForm, lines: BaseLineFormSet) -> bool:
    """Both forms read, and the lines balance fund by fund; else the reason is on the form."""
    if not (form.is_valid() and lines.is_valid()):
        if lines.non_form_errors():
            form.add_error(None, " ".join(str(error) for error in lines.non_form_errors()))
        return False
    specs = lines.specs()
    if len(specs) < 2:
        form.add_error(None, "An entry needs at least two lines: fill in two or more.")
        return False
    message = imbalance_message(fund_totals(specs))
    if message:
        form.add_error(None, message)
        return False
    return True


def _service_error_on(form: EntryForm, lines: BaseLineFormSet, error: ServiceError) -> None:
    """A service's refusal next to what it names: a line's field, the date, or the summary."""
    line_problems = error.fields.get("lines")
    placed = False
    if isinstance(line_problems, list):
        blank_skipped = [line for line in lines.forms if not line.is_blank()]
        for line_form, problems in zip(blank_skipped, line_problems, strict=False):
            if isinstance(problems, dict):
                for field, field_messages in problems.items():
                    name = field if field in line_form.fields else None
                    for message in field_messages:
                        line_form.add_error(name, message)
                    placed = True
    if "date" in error.fields:
        for message in error.fields["date"]:
            form.add_error("date", message)
        placed = True
    form.add_error(None, error.message if not placed else f"Nothing was saved: {error.message}")


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def journal_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new entry: saved as a draft, or posted at once (all or nothing)."""
    form = EntryForm(initial={"date": timezone.localdate()})
    lines = line_formset()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", SAVE)
        if action == ADD_LINE:
            context = form_context(_form_as_typed(request), lines_with_one_more(request))
            return render(request, "accounting/journal/form.html", context)
        form = EntryForm(request.POST)
        lines = line_formset(request.POST)
        if _lines_checked(form, lines):
            data = form.cleaned_data
            try:
                if action == POST:
                    entry = entry_record(
                        date=data["date"],
                        memo=data["memo"],
                        lines=lines.specs(),
                        source=EntrySource.MANUAL,
                        acting_user=request.user,
                    )
                else:
                    entry = entry_services.entry_create(
                        date=data["date"],
                        memo=data["memo"],
                        lines=lines.specs(),
                        acting_user=request.user,
                    )
            except ServiceError as error:
                _service_error_on(form, lines, error)
            else:
                messages.success(
                    request,
                    f"Posted as entry {entry.number}."
                    if entry.state != EntryState.DRAFT
                    else f"Saved as draft {entry.pk}; post it when it is ready.",
                )
                return redirect("accounting:journal_entry", pk=entry.pk)
        status = 400
    return render(request, "accounting/journal/form.html", form_context(form, lines), status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_WRITE)
def journal_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A draft's form: saved again, or saved and posted (all or nothing)."""
    entry = _entry_or_404(pk)
    if entry.state != EntryState.DRAFT:
        messages.error(request, "Only a draft can be changed; reverse a posted entry instead.")
        return redirect("accounting:journal_entry", pk=pk)
    form = EntryForm(initial={"date": entry.date, "memo": entry.memo})
    lines = line_formset(initial=line_initial(entry.lines.all()), rows=len(entry.lines.all()) + 1)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", SAVE)
        if action == ADD_LINE:
            context = form_context(_form_as_typed(request), lines_with_one_more(request))
            return render(request, "accounting/journal/form.html", {**context, "entry": entry})
        form = EntryForm(request.POST)
        lines = line_formset(request.POST)
        if _lines_checked(form, lines):
            data = form.cleaned_data
            change = (
                entry_services.entry_update_post if action == POST else entry_services.entry_update
            )
            try:
                entry = change(
                    entry=entry,
                    date=data["date"],
                    memo=data["memo"],
                    lines=lines.specs(),
                    acting_user=request.user,
                )
            except ServiceError as error:
                _service_error_on(form, lines, error)
            else:
                messages.success(
                    request,
                    f"Posted as entry {entry.number}."
                    if entry.state != EntryState.DRAFT
                    else "Draft saved.",
                )
                return redirect("accounting:journal_entry", pk=entry.pk)
        status = 400
    context = {**form_context(form, lines), "entry": entry}
    return render(request, "accounting/journal/form.html", context, status=status)
