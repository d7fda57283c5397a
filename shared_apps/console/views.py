"""The operators' console: server-rendered pages on the public host only.

Who gets in: a user of the public schema with `is_operator`, logged in with a session on the
public host. Anyone else is sent to the login page (anonymous) or refused with 403 (logged in,
not an operator). Tenant staff never reach it: their sessions live in their own schema and
their cookies are host-only, a bearer token is not a login for pages, and these URLs exist only
in the public host's URLconf (a tenant host answers 404).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_tenants.utils import get_public_schema_name, schema_context

from provisioning.health import readiness_report
from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from shared_apps.billing.selectors import subscription_of
from shared_apps.console import selectors
from shared_apps.console.models import ExportState, OperatorAction, TenantExport
from shared_apps.console.services.actions import REASON_MAX_LENGTH
from shared_apps.console.services.deletion import DELETION_STALE, organization_delete_request
from shared_apps.console.services.exports import (
    EXPORT_STALE,
    EXPORTABLE_STATES,
    tenant_export_download_record,
    tenant_export_request,
)
from shared_apps.console.services.states import (
    organization_provision_retry,
    organization_reactivate,
    organization_suspend,
)
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.users.requests import AuthenticatedHttpRequest

View = Callable[..., HttpResponseBase]


def operator_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if connection.schema_name != get_public_schema_name():
            raise Http404("The console is on the platform's own host.")
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and getattr(user, "is_operator", False)):
            return TemplateResponse(request, "console/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _public_tenant(slug: str) -> Organization:
    return get_object_or_404(
        Organization.objects.exclude(schema_name=get_public_schema_name()), slug=slug
    )


# --- Tenant list -------------------------------------------------------------------------


@require_GET
@operator_required
def tenant_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort.lstrip("-") not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    page, rows = selectors.tenant_list_page(query=query, sort=sort, page=request.GET.get("page"))
    columns = [
        (key, label, sort == key, sort == f"-{key}")
        for key, label in (
            ("name", "Name"),
            ("slug", "Subdomain"),
            ("state", "State"),
            ("plan", "Plan"),
            ("created", "Created"),
        )
    ]
    return TemplateResponse(
        request,
        "console/tenant_list.html",
        {"page": page, "rows": rows, "query": query, "sort": sort, "columns": columns},
    )


# --- Tenant page and its actions ---------------------------------------------------------


def _tenant_context(organization: Organization, **extra: Any) -> dict[str, Any]:
    exports = list(selectors.tenant_exports(organization_id=organization.pk)[:20])
    # While a deletion is under way no action is offered: the services refuse them anyway.
    # One pending past DELETION_STALE was lost: the actions are offered again, and the services
    # give it up when one is taken.
    deletion = selectors.tenant_deletion_pending(organization_id=organization.pk)
    deletion_lost = deletion is not None and (deletion.created_at < timezone.now() - DELETION_STALE)
    idle = deletion is None or deletion_lost
    return {
        "tenant": organization,
        "domains": list(organization.domains.all()),
        "subscription": subscription_of(organization),
        "stats": selectors.tenant_stats([organization.schema_name]).get(
            organization.schema_name, selectors.TenantStats()
        ),
        "tenant_events": selectors.tenant_recent_events(organization=organization),
        "operator_events": list(selectors.operator_events(organization_id=organization.pk)[:50]),
        "exports": exports,
        "deletion_pending": deletion,
        "deletion_lost": deletion_lost,
        "can_suspend": idle and organization.state == OrganizationState.ACTIVE,
        "can_reactivate": idle and organization.state == OrganizationState.SUSPENDED,
        "can_retry": idle and selectors.organization_retry_allowed(organization),
        "can_export": idle and organization.state in EXPORTABLE_STATES,
        "can_delete": idle and organization.state != OrganizationState.PROVISIONING,
        "export_pending": any(
            export.state in (ExportState.QUEUED, ExportState.RUNNING)
            and export.created_at >= timezone.now() - EXPORT_STALE
            for export in exports
        ),
        "failed_action": "",
        "error_fields": {},
        "submitted": {},
        **extra,
    }


@require_GET
@operator_required
def tenant_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _public_tenant(slug)
    return TemplateResponse(request, "console/tenant_detail.html", _tenant_context(organization))


ACTIONS: dict[str, str] = {
    OperatorAction.SUSPEND: "suspended",
    OperatorAction.REACTIVATE: "reactivated",
    OperatorAction.RETRY: "provisioned",
    OperatorAction.EXPORT: "queued for export",
    OperatorAction.DELETE: "queued for deletion",
}


@require_POST
@operator_required
def tenant_action(request: AuthenticatedHttpRequest, slug: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    organization = _public_tenant(slug)
    reason = request.POST.get("reason", "")
    operator = request.user
    try:
        if action == OperatorAction.SUSPEND:
            organization_suspend(organization=organization, operator=operator, reason=reason)
        elif action == OperatorAction.REACTIVATE:
            organization_reactivate(organization=organization, operator=operator, reason=reason)
        elif action == OperatorAction.RETRY:
            organization_provision_retry(
                organization=organization, operator=operator, reason=reason
            )
        elif action == OperatorAction.EXPORT:
            tenant_export_request(organization=organization, operator=operator, reason=reason)
        else:
            organization_delete_request(
                organization=organization,
                operator=operator,
                reason=reason,
                confirmation=request.POST.get("confirmation", ""),
            )
            messages.success(
                request,
                f"Deletion of {slug} requested. It is suspended from now on; in the background "
                "its schema is exported, its Stripe subscription cancelled, then the schema is "
                "dropped with its domains and rows. This page shows how it ends, and the export "
                "once it is made.",
            )
            return redirect(f"{reverse('console:audit')}?tenant={slug}")
    except ServiceError as error:
        messages.error(request, error.message)
        organization = Organization.objects.filter(pk=organization.pk).first()
        if organization is None:  # deleted meanwhile by someone else: its trail is what is left
            return redirect(f"{reverse('console:audit')}?tenant={slug}")
        context = _tenant_context(
            organization,
            failed_action=action,
            error_fields=error.fields,
            submitted={"reason": reason[:REASON_MAX_LENGTH]},
        )
        return TemplateResponse(request, "console/tenant_detail.html", context, status=error.status)
    messages.success(request, f"{organization.slug} {ACTIONS[action]}.")
    return redirect("console:tenant", slug=organization.slug)


# --- Exports -----------------------------------------------------------------------------


@require_GET
@operator_required
def export_download(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponseBase:
    export = get_object_or_404(TenantExport, pk=export_id)
    try:
        tenant_export_download_record(export=export, operator=request.user)
    except ServiceError as error:
        return TemplateResponse(
            request,
            "console/message.html",
            {"title": "No file to download", "message": error.message},
            status=error.status,
        )
    # Exports are stored in the public schema's namespace (provisioning.tenant_export).
    with schema_context(get_public_schema_name()):
        if not default_storage.exists(export.file_name):
            return TemplateResponse(
                request,
                "console/message.html",
                {"title": "File missing", "message": "The export's file is no longer stored."},
                status=410,
            )
        handle = default_storage.open(export.file_name, "rb")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.file_name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )


# --- Audit -------------------------------------------------------------------------------


@require_GET
@operator_required
def audit_list(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    slug = request.GET.get("tenant", "").strip()[:40]
    events = selectors.operator_events(slug=slug)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "console/audit_list.html",
        {
            "page": page,
            "tenant_slug": slug,
            "deletion": selectors.tenant_deletion_latest(slug=slug) if slug else None,
            "exports": list(
                TenantExport.objects.filter(organization_slug=slug, state=ExportState.DONE)[:20]
            )
            if slug
            else [],
        },
    )


# --- Health ------------------------------------------------------------------------------

STATE_LABELS = {
    "ok": "OK",
    "down": "Down",
    "stale": "Behind",
    "low": "Running low",
    "attention": "Needs attention",
    "unknown": "Not checked",
}
STATUS_LABELS = {
    "ok": "Everything is working.",
    "degraded": "Serving, but something needs an operator.",
    "unavailable": "Not serving: the load balancer takes this process out.",
}


@require_GET
@operator_required
def health(request: HttpRequest) -> HttpResponse:
    """The readiness report /readyz gives the probes, in words, for operators."""
    report = readiness_report(for_operators=True)
    rows = [(check, STATE_LABELS[check.state]) for check in report.checks]
    return TemplateResponse(
        request,
        "console/health.html",
        {"report": report, "rows": rows, "status_label": STATUS_LABELS[report.status]},
        status=200,
    )
