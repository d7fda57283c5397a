"""Pages of the CSV imports: the upload form with the recent jobs, and a job's page with its
progress (refreshed by a small script, or by hand without one) and its errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donations.api.imports import import_allowed
from tenant_apps.donations.models import ImportJob, ImportKind
from tenant_apps.donations.services import import_csv, imports

RECENT_JOBS = 50
# A page lists this many errors or duplicates; the API has them all.
SHOWN_ROWS = 500


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="The file holds", choices=ImportKind.choices)
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv"})
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds


def donor_reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else to the login page) and allowed to read donors (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_capability(Capability.DONORS_READ):
            raise PermissionDenied("Your role does not allow reading donors.")
        return view(request, *args, **kwargs)

    return wrapper


def _kinds(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (kind, label) for kind, label in ImportKind.choices if import_allowed(request.user, kind)
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@donor_reader_required
def import_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    kinds = _kinds(request)
    form = UploadForm(kinds=kinds)
    status = 200
    if request.method == "POST":
        if not kinds:
            raise PermissionDenied("Your role does not allow importing.")
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            try:
                job = imports.import_job_create(
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    acting_user=request.user,
                )
            except ServiceError as error:
                form.add_error("file" if "file" in error.fields else None, error.message)
            else:
                return redirect("donations:import", pk=job.pk)
        status = 400
    jobs = ImportJob.objects.select_related("created_by").defer("errors", "duplicates")
    return render(
        request,
        "donations/imports.html",
        {
            "form": form,
            "can_import": bool(kinds),
            "jobs": jobs[:RECENT_JOBS],
            "columns": {
                ImportKind(kind).label: import_csv.COLUMN_HELP[kind].items()
                for kind in ImportKind.values
            },
            "max_megabytes": imports.MAX_FILE_BYTES // 1024 // 1024,
        },
        status=status,
    )


@require_safe
@donor_reader_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = ImportJob.objects.select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise Http404("There is no such import.")
    return render(
        request,
        "donations/import.html",
        {
            "job": job,
            "progress": selectors.import_progress(job),
            "errors": job.errors[:SHOWN_ROWS],
            "duplicates": job.duplicates[:SHOWN_ROWS],
            "shown_rows": SHOWN_ROWS,
        },
    )
