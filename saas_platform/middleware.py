"""Request id and access log, and tenant routing by host with a cached lookup."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, resolve, reverse
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from saas_platform.lib.connection import connection
from saas_platform.lib.health import healthz
from saas_platform.lib.http_errors import DATABASE_UNAVAILABLE, database_unavailable
from saas_platform.lib.metrics import request_observe
from saas_platform.lib.request_context import request_id_var, request_var
from shared_apps.billing.selectors import organization_suspended_for_billing
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import (
    hostname_normalize,
    organization_for_host,
    organization_time_zone,
)

logger = logging.getLogger("ifm.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths a tenant answers whatever its state: the load balancer's probe, and the static files
# (the same for every tenant, nothing of its own) that the refusal pages themselves use.
READY_PATH = "/readyz"
_ALWAYS_SERVED = ("/healthz", READY_PATH)
_PREFIXES_ALWAYS_SERVED = (settings.STATIC_URL,)
# What an organization suspended for billing still reaches, so that it can pay: signing in and
# out, resetting a forgotten password, and the billing pages (Checkout, the customer portal,
# Stripe's return), which admit owners and administrators only. Everything else gets the
# suspended page.
_SERVED_WHILE_SUSPENDED_FOR_BILLING = ("/accounts/login/", "/accounts/logout/")
_PREFIXES_SERVED_WHILE_SUSPENDED_FOR_BILLING = (
    "/billing/",
    "/accounts/password_reset/",
    "/accounts/reset/",
)
# The public host's endpoints that only Stripe's servers call, by URL name: no browser, so none
# of the browser's middleware after routing (sessions, CSRF, authentication, messages, htmx,
# clickjacking) has anything to do for them. Routing serves them itself (_direct_view): each
# delivery skips those layers and the URL resolver, about a fifth of the web process's CPU for a
# Connect delivery (bench/README.md). The request id, access log, metrics, security headers and
# routing's own checks still apply; the views are CSRF-exempt and verify Stripe's signature.
_SERVED_DIRECTLY = ("stripe_connect_webhook", "billing:webhook")


class RequestContextMiddleware:
    """Gives each request an id (the caller's X-Request-ID when well formed) and logs one line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # The request carries its id for the error pages and logs; HttpRequest does not declare it.
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        # Error reports read the user of the request in progress (lib.error_tracking).
        request_token = request_var.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            seconds = time.perf_counter() - started
            request_observe(
                method=request.method or "", status=response.status_code, seconds=seconds
            )
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "host": request.META.get("HTTP_HOST", ""),
                },
            )
            return response
        finally:
            request_var.reset(request_token)
            request_id_var.reset(token)


class TenantRoutingMiddleware(TenantMainMiddleware):
    """Selects the schema from the host, and refuses tenants that may not be served.

    The lookup is cached (shared_apps.tenants.selectors.organization_for_host), so a warm request
    runs no SQL to find its tenant.
    """

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        # Normalised before django-tenants drops a leading "www.", so "WWW.alpha.example.org"
        # loses its "www." too.
        return remove_www(hostname_normalize(request.get_host().split(":")[0]))

    def get_tenant(self, domain_model: object, hostname: str) -> Organization:
        organization = organization_for_host(hostname=hostname)
        if organization is None:
            # django-tenants passes the Domain model class, typed here as its untyped base does.
            raise domain_model.DoesNotExist  # type: ignore[attr-defined]
        return organization

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # The active time zone is per thread: the previous request's must not carry over.
        timezone.deactivate()
        try:
            request.get_host()
        except DisallowedHost:
            return _page(request, "errors/unknown_host.html", status=404)
        try:
            response = super().process_request(request)
            if response is not None:
                return response
            refused = self._refuse_unservable(request)
            if refused is not None:
                return refused
            _time_zone_activate(request.tenant)  # type: ignore[attr-defined]
            view = _direct_view(request)
            return _served_directly(view, request) if view is not None else None
        except DATABASE_UNAVAILABLE as error:
            # A cold routing cache needs the database: without it no host can be resolved, and
            # the probes must still read 503 JSON from /healthz, not a 500 page.
            return _unavailable(request, error)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view that lost the database answers 503 (retry later), not 500 (our bug)."""
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return _unavailable(request, exception)
        return None

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return _page(request, "errors/unknown_host.html", status=404)

    @staticmethod
    def _refuse_unservable(request: HttpRequest) -> HttpResponse | None:
        # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
        organization: Organization = request.tenant  # type: ignore[attr-defined]
        if organization.state == OrganizationState.ACTIVE or request.path in _ALWAYS_SERVED:
            return None
        if request.path.startswith(_PREFIXES_ALWAYS_SERVED):
            return None
        # Only suspended tenants pay this query; active ones are served from the cache alone.
        for_billing = organization_suspended_for_billing(organization=organization)
        if for_billing and _served_while_suspended_for_billing(request.path):
            return None
        connection.set_schema_to_public()
        if organization.state == OrganizationState.SUSPENDED:
            return _page(
                request,
                "errors/suspended.html",
                status=403,
                organization=organization,
                suspended_for_billing=for_billing,
            )
        if organization.state == OrganizationState.CLOSED:
            return _page(request, "errors/closed.html", status=410, organization=organization)
        # provisioning, or failed and waiting for a retry: nothing half-made is served.
        response = _page(request, "errors/being_set_up.html", status=503, organization=organization)
        response["Retry-After"] = "5"
        return response


def _direct_view(request: HttpRequest) -> Callable[[HttpRequest], HttpResponse] | None:
    """The view of a server-to-server endpoint (_SERVED_DIRECTLY) when the request, routed to
    the public host, asks for one; None otherwise."""
    if getattr(request, "urlconf", None) != settings.PUBLIC_SCHEMA_URLCONF:
        return None
    return _direct_views().get(request.path)


def _served_directly(
    view: Callable[[HttpRequest], HttpResponse], request: HttpRequest
) -> HttpResponse:
    """The view's answer, with its length as CommonMiddleware would set it: without one, the
    server sends it in chunks."""
    response = view(request)
    if not response.streaming and not response.has_header("Content-Length"):
        response.headers["Content-Length"] = str(len(response.content))
    return response


@cache
def _direct_views() -> dict[str, Callable[[HttpRequest], HttpResponse]]:
    """Path to view of each server-to-server endpoint, read once from the public URL map, which
    stays the one place their paths and views are named."""
    urlconf, prefix = settings.PUBLIC_SCHEMA_URLCONF, get_script_prefix()
    paths = (reverse(name, urlconf=urlconf) for name in _SERVED_DIRECTLY)
    return {path: resolve(f"/{path.removeprefix(prefix)}", urlconf=urlconf).func for path in paths}


def _unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    """503 without the database. Readiness cannot check more than liveness then, so it
    answers liveness's JSON (`"database": "down"`), as /healthz does."""
    if request.path == READY_PATH:
        logger.error("database unavailable: %s %s: %s", request.method, request.path, error)
        return healthz(request)
    return database_unavailable(request, error)


def _time_zone_activate(organization: Organization) -> None:
    """Dates and times on the organization's pages are read in its own time zone."""
    zone = organization_time_zone(organization)
    if zone is not None:
        timezone.activate(zone)


def _served_while_suspended_for_billing(path: str) -> bool:
    return path in _SERVED_WHILE_SUSPENDED_FOR_BILLING or path.startswith(
        _PREFIXES_SERVED_WHILE_SUSPENDED_FOR_BILLING
    )


def _page(
    request: HttpRequest,
    template: str,
    *,
    status: int,
    organization: Organization | None = None,
    **context: object,
) -> HttpResponse:
    response = TemplateResponse(
        request,
        template,
        {"organization": organization, "platform_domain": settings.PLATFORM_DOMAIN, **context},
        status=status,
    )
    return response.render()
