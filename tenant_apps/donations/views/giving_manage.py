"""/give/manage/<token>/: the signed link in a receipt email that takes a donor to Stripe's
customer portal for their monthly gift (services.online_portal). No login."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.tenants.models import Organization
from tenant_apps.donations.services.online_portal import portal_session_url


@require_safe
@never_cache
def give_manage(request: HttpRequest, token: str) -> HttpResponse:
    # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    try:
        url = portal_session_url(organization=organization, token=token)
    except StateConflict as refusal:
        return _refused(request, str(refusal), status=410)
    except ServiceError as refusal:
        return _refused(request, str(refusal), status=400)
    response = HttpResponseRedirect(url, status=303)
    # The token is a credential: no page it leads from passes it on.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    response = render(
        request, "donations/give/manage_refused.html", {"message": message}, status=status
    )
    response["Referrer-Policy"] = "no-referrer"
    return response
