"""The board packet's page: a period and a comparison, then the PDF (drawn at once for up to a
year, else made in the background with its progress on the page, as the year-end statements
are)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.report_pages import PeriodForm
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import reports, selectors
from tenant_apps.accounting.services import board_packets


class PacketForm(PeriodForm):
    compare = forms.ChoiceField(
        label="Compare with",
        required=False,
        choices=[("", "Nothing"), *reports.COMPARISONS.items()],
    )


def _filename(start: str, end: str) -> str:
    return f"board-packet-{start}-to-{end}.pdf"


def _run_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    token = request.GET.get("run", "")[:64]
    progress = board_packets.board_packet_progress(token) if token else None
    return {"token": token, "progress": progress}


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.ACCOUNTING_READ)
def packet_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    initial = {"start": selectors.fiscal_year_start(today), "end": today}
    form = PacketForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            compare = form.cleaned_data["compare"] or None
            try:
                if board_packets.packet_is_quick(start, end):
                    pdf = board_packets.board_packet_pdf(start=start, end=end, compare=compare)
                    response = HttpResponse(pdf, content_type="application/pdf")
                    filename = _filename(start.isoformat(), end.isoformat())
                    response["Content-Disposition"] = f'attachment; filename="{filename}"'
                    return response
                token = board_packets.board_packet_start(
                    start=start, end=end, compare=compare, acting_user=request.user
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                return redirect(f"{request.path}?run={token}")
        status = 400
    context = {**_run_context(request), "form": form}
    return render(request, "accounting/board_packet.html", context, status=status)


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def packet_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The progress fragment htmx polls."""
    return render(request, "accounting/_board_packet_progress.html", _run_context(request))


@require_safe
@page_requires(Capability.ACCOUNTING_READ)
def packet_download(request: AuthenticatedHttpRequest) -> FileResponse:
    progress = _run_context(request)["progress"]
    if progress is None or progress["state"] != "done":
        raise Http404("This board packet is not ready, or no longer kept.")
    return FileResponse(
        default_storage.open(progress["document"], "rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=_filename(progress["start"], progress["end"]),
    )
