"""Pages of the CSV imports: the upload form with a sample file of each kind and the list of
imports; an upload's columns (each read as the field chosen, recognised from its header) with a
preview of its first rows, to confirm or discard; and a job's page with its progress (refreshed
by a small script, or by hand without one), its result, its errors and, for gifts, the drafts
that wait to be posted."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires, roles_named
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability, Role, role_has_capability
from tenant_apps.donations import selectors
from tenant_apps.donations.api.imports import IMPORT_CAPABILITY, import_allowed
from tenant_apps.donations.models import (
    ImportJob,
    ImportKind,
    ImportState,
    RowErrorHandling,
)
from tenant_apps.donations.services import import_columns, import_csv, imports

# A page lists this many errors or duplicates; the API has them all.
SHOWN_ROWS = 500
IGNORE = ""


def _refused(kind: str) -> PermissionDenied:
    """The 403 page of an import action: which roles may import this kind of file."""
    noun = ImportKind(kind).label.lower()
    return PermissionDenied(
        f"Importing {noun} is for the {roles_named(IMPORT_CAPABILITY[ImportKind(kind)])} "
        "roles. Ask an owner or administrator of your organization if you need it."
    )


def _refused_every_kind() -> PermissionDenied:
    roles = [
        label
        for role, label in Role.choices
        if any(role_has_capability(role, needed) for needed in IMPORT_CAPABILITY.values())
    ]
    named = ", ".join(roles[:-1]) + f" and {roles[-1]}"
    return PermissionDenied(
        f"Importing is for the {named} roles. Ask an owner or administrator of your "
        "organization if you need it."
    )


# --- The upload form and the list of imports ---------------------------------------------------


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="The file holds", choices=ImportKind.choices)
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds


class ImportFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Of", choices=[("", "Donors or gifts"), *ImportKind.choices], required=False
    )
    state = forms.ChoiceField(
        label="State", choices=[("", "Any"), *ImportState.choices], required=False
    )


COLUMNS = (
    Column("file", "File", order_by=("original_filename",)),
    Column("kind", "Of", order_by=("kind",)),
    Column("uploaded", "Uploaded", order_by=("created_at",)),
    Column("by", "By"),
    Column("result", "Result"),
)
CSV_HEADER = (
    "Import",
    "File",
    "Of",
    "Uploaded",
    "By",
    "State",
    "Rows",
    "Imported",
    "Rows with errors",
    "Result",
)


def _kinds(request: AuthenticatedHttpRequest) -> list[tuple[str, str]]:
    return [
        (kind, label) for kind, label in ImportKind.choices if import_allowed(request.user, kind)
    ]


def _jobs(form: ImportFilterForm) -> Any:
    jobs = ImportJob.objects.select_related("created_by").defer("errors", "duplicates", "mapping")
    if form.is_valid():
        if form.cleaned_data["kind"]:
            jobs = jobs.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["state"]:
            jobs = jobs.filter(state=form.cleaned_data["state"])
    return jobs


def _result_or_state(job: ImportJob) -> str:
    return selectors.import_result(job) or job.get_state_display()


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def import_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    kinds = _kinds(request)
    form = UploadForm(kinds=kinds)
    status = 200
    if request.method == "POST":
        if not kinds:
            raise _refused_every_kind()
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            try:
                job = imports.import_upload(
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                form.add_error("file" if "file" in error.fields else None, error.message)
            else:
                messages.success(
                    request,
                    f"{job.original_filename} is uploaded: check how its columns are read, "
                    "then import it.",
                )
                return redirect("donations:import_columns", pk=job.pk)
        status = 400
    filters = ImportFilterForm(request.GET, auto_id="filter_%s")
    jobs = _jobs(filters)
    if wants_csv(request):
        return csv_response(
            "imports.csv",
            CSV_HEADER,
            (
                (
                    job.pk,
                    job.original_filename,
                    job.get_kind_display(),
                    timezone.localtime(job.created_at).isoformat(timespec="minutes"),
                    job.created_by.email if job.created_by else "",
                    job.get_state_display(),
                    job.total_rows,
                    job.rows_created,
                    job.rows_with_errors,
                    selectors.import_result(job),
                )
                for job in jobs.order_by("-created_at", "-id").iterator()
            ),
        )
    page = listing(request, jobs, columns=COLUMNS, default_sort="-uploaded")
    return render(
        request,
        "donations/imports.html",
        {
            "form": form,
            "filters": filters,
            "filtered": any(request.GET.get(name) for name in filters.fields),
            "can_import": bool(kinds),
            "listing": page,
            "rows": [(job, _result_or_state(job)) for job in page.rows],
            "columns": {
                ImportKind(kind).label: [
                    (column, import_columns.FIELD_LABELS[kind][column], text)
                    for column, text in import_csv.COLUMN_HELP[kind].items()
                ]
                for kind, _label in kinds
            },
            "samples": kinds,
            "max_megabytes": imports.MAX_FILE_BYTES // 1024 // 1024,
        },
        status=status,
    )


@require_safe
@page_requires(Capability.GIVING_READ)
def import_sample(request: AuthenticatedHttpRequest, kind: str) -> HttpResponseBase:
    """A file of `kind` to start from: every column, and a few believable rows (the gifts are
    from the sample donors, so the two import cleanly one after the other)."""
    if kind not in ImportKind.values:
        raise Http404("There is no such sample file.")
    columns = import_csv.COLUMNS[kind]
    return csv_response(
        f"{kind}-sample.csv",
        columns,
        ([row.get(column, "") for column in columns] for row in import_csv.SAMPLE_ROWS[kind]),
    )


# --- An upload's columns ---------------------------------------------------------------------


def job_or_404(pk: int) -> ImportJob:
    job = ImportJob.objects.select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise Http404("There is no such import.")
    return job


class ColumnsForm(forms.Form):
    """The field each column of the file is read as (`column_0` is the first), and what happens
    when rows have errors."""

    on_row_errors = forms.ChoiceField(
        label="If some rows have errors",
        choices=RowErrorHandling.choices,
        initial=RowErrorHandling.IMPORT_NOTHING,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        header: list[str],
        first_row: list[str],
        recognised: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = import_columns.FIELD_LABELS[kind]
        choices = [(IGNORE, "Ignore this column"), *labels.items()]
        self.header = header
        for position, _name in enumerate(header):
            example = first_row[position].strip() if position < len(first_row) else ""
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=import_columns.column_title(header, position),
                choices=choices,
                required=False,
                initial=recognised[position] if position < len(recognised) else IGNORE,
                help_text=f"First row: {example[:60]}" if example else "First row: empty",
            )
        # The radio buttons come after the columns.
        self.order_fields([*(f"column_{p}" for p in range(len(header))), "on_row_errors"])

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{position}"] for position in range(len(self.header))]

    def mapping(self) -> list[str]:
        """The choices as they stand: each column's as sent if it is one of the choices, else
        as first shown."""
        if self.is_bound:
            self.is_valid()
        chosen = getattr(self, "cleaned_data", {})
        return [
            chosen.get(f"column_{p}", self[f"column_{p}"].initial or IGNORE)
            for p in range(len(self.header))
        ]


def _uploaded_or_redirect(job: ImportJob) -> HttpResponse | None:
    if job.state != ImportState.UPLOADED:
        return redirect("donations:import", pk=job.pk)
    return None


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.GIVING_READ)
def import_columns_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """How each column of an upload will be read, with the first rows as the import would read
    them; changing a choice updates the preview (HTMX, or the Update button without it).
    Confirming queues the import."""
    job = job_or_404(pk)
    if not import_allowed(request.user, job.kind):
        raise _refused(job.kind)
    gone = _uploaded_or_redirect(job)
    if gone is not None:
        return gone
    read = imports.import_header(job, rows=import_columns.PREVIEW_ROWS)
    data = None
    if request.method == "POST":
        data = request.POST
    elif "update" in request.GET or request.htmx:
        data = request.GET
    form = ColumnsForm(
        data,
        kind=job.kind,
        header=read.header,
        first_row=read.records[0][1],
        recognised=job.mapping,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_confirm(
                job=job,
                mapping=form.mapping(),
                on_row_errors=form.cleaned_data["on_row_errors"],
                acting_user=request.user,
            )
        except ServiceError as error:
            _error_to_form(form, error)
        else:
            messages.success(request, f"The columns of {job.original_filename} are confirmed.")
            return redirect("donations:import", pk=job.pk)
    if request.method == "POST":
        status = 400
    preview = import_columns.import_preview(kind=job.kind, read=read, mapping=form.mapping())
    context = {
        "job": job,
        "form": form,
        "preview": preview,
        "unrecognised": [
            import_columns.column_title(read.header, position)
            for position, name in enumerate(job.mapping)
            if not name
        ],
        "preview_rows": import_columns.PREVIEW_ROWS,
    }
    if request.htmx and request.method == "GET":
        return render(request, "donations/imports/_preview.html", context)
    return render(request, "donations/imports/columns.html", context, status=status)


def _error_to_form(form: ColumnsForm, error: ServiceError) -> None:
    """The service's refusal on the form: each column's problem next to its choice, what the
    file lacks as a whole above the form."""
    placed = False
    for field, field_messages in (error.fields or {}).items():
        name = None if field == "columns" else field
        if name is None or name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


@require_POST
@page_requires(Capability.GIVING_READ)
def import_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = job_or_404(pk)
    if not import_allowed(request.user, job.kind):
        raise _refused(job.kind)
    try:
        imports.import_discard(job=job, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("donations:import", pk=job.pk)
    messages.success(request, f"The upload of {job.original_filename} is discarded.")
    return redirect("donations:imports")


# --- A job ---------------------------------------------------------------------------------------


@require_safe
@page_requires(Capability.GIVING_READ)
def import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = job_or_404(pk)
    if job.state == ImportState.UPLOADED:
        return redirect("donations:import_columns", pk=job.pk)
    waiting = 0
    if job.kind == ImportKind.GIFTS and job.state == ImportState.SUCCEEDED:
        waiting = selectors.import_drafts_waiting(job)
    return render(
        request,
        "donations/import.html",
        {
            "job": job,
            "progress": selectors.import_progress(job),
            "result": selectors.import_result(job),
            "errors": job.errors[:SHOWN_ROWS],
            "duplicates": job.duplicates[:SHOWN_ROWS],
            "shown_rows": SHOWN_ROWS,
            "drafts_waiting": waiting,
            "can_post": request.user.has_capability(Capability.GIFTS_POST),
            "posters": roles_named(Capability.GIFTS_POST),
        },
    )
