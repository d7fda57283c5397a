"""Billing pages: the organization's billing page on its own host (plan, status, Checkout and
the customer portal), and Stripe's webhook on the public host."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.billing import selectors
from shared_apps.billing.services import checkout, events
from shared_apps.billing.stripe_api import NOT_CONFIGURED, stripe_configured
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_url
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability

logger = logging.getLogger(__name__)


def billing_manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else to the login page) and allowed to manage the organization (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_capability(Capability.SETTINGS_MANAGE):
            raise PermissionDenied("Only owners and administrators manage billing.")
        return view(request, *args, **kwargs)

    return wrapper


def _organization(request: HttpRequest) -> Organization:
    # TenantMainMiddleware sets request.tenant; Django's HttpRequest type does not have it.
    return request.tenant  # type: ignore[attr-defined]


@require_safe
@billing_manager_required
def billing_page(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    outcome = request.GET.get("checkout", "")
    if outcome == "done":
        messages.success(
            request, "Thank you: your subscription starts as soon as Stripe confirms it."
        )
    elif outcome == "canceled":
        messages.info(request, "Checkout was canceled; nothing was charged.")
    subscription = selectors.subscription_of(organization)
    context = {
        "subscription": subscription,
        "plan": subscription.plan
        if subscription
        else selectors.plan_by_code(organization.plan_code),
        "plans": selectors.plans_for_sale(),
        "suspended_for_billing": selectors.organization_suspended_for_billing(
            organization=organization
        ),
        "usage": selectors.plan_usage(),
        "stripe_configured": stripe_configured(),
        "not_configured": NOT_CONFIGURED,
        "can_subscribe": selectors.subscription_can_check_out(subscription),
    }
    return render(request, "billing/billing.html", context)


def _back_with(request: HttpRequest, error: ServiceError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("billing:page")


@require_POST
@billing_manager_required
def checkout_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = _organization(request)
    plan = selectors.plan_by_code(request.POST.get("plan", "")[:40])
    if plan is None or not plan.is_public:
        messages.error(request, "Choose one of the plans offered.")
        return redirect("billing:page")
    try:
        url = checkout.checkout_session_create(
            organization=organization,
            plan=plan,
            success_url=organization_url(organization=organization, path="/billing/?checkout=done"),
            cancel_url=organization_url(
                organization=organization, path="/billing/?checkout=canceled"
            ),
            acting_user=request.user,
        )
    except ServiceError as error:
        return _back_with(request, error)
    return HttpResponseRedirect(url)


@require_POST
@billing_manager_required
def portal_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = _organization(request)
    try:
        url = checkout.portal_session_create(
            organization=organization,
            return_url=organization_url(organization=organization, path="/billing/"),
            acting_user=request.user,
        )
    except ServiceError as error:
        return _back_with(request, error)
    return HttpResponseRedirect(url)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's deliveries: 200 once stored (a replay too), 400 when the signature or the
    payload is bad, with nothing stored. Processing failures are kept on the event for a
    retry and still answer 200: Stripe's own retries would not fix them."""
    try:
        event = events.stripe_event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except events.WebhookRefused as refusal:
        logger.warning("Stripe webhook refused: %s", refusal.message)
        return JsonResponse({"error": {"status": 400, "message": refusal.message}}, status=400)
    return JsonResponse({"received": event.stripe_id, "outcome": event.outcome})
