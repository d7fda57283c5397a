"""Stripe Checkout and the customer portal: the organization's Stripe customer, made once, the
Checkout session that starts a subscription, and the portal where the card, the plan and the
invoices are managed.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import stripe
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.billing.models import Plan, Subscription
from shared_apps.billing.selectors import subscription_can_check_out
from shared_apps.billing.services.subscriptions import billing_audit, subscription_locked
from shared_apps.billing.stripe_api import NOT_CONFIGURED, stripe_client, stripe_configured
from shared_apps.tenants.models import Organization

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParamsSubscriptionData

    from shared_apps.users.models import User

logger = logging.getLogger(__name__)


# --- Checkout and the customer portal ------------------------------------------------------------


def _stripe_refused(error: stripe.StripeError) -> ServiceError:
    logger.warning("Stripe refused a request: %s", error)
    return ServiceError(
        "Stripe could not be reached or refused the request; nothing was charged. Try again in "
        "a few minutes."
    )


def _customer_ensure(subscription: Subscription, *, organization: Organization, email: str) -> str:
    """The organization's Stripe customer, created the first time only. The idempotency key
    makes Stripe answer a repeated creation (a retry after a lost answer) with the same one."""
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    customer = stripe_client().v1.customers.create(
        params={
            "name": organization.name,
            "email": email or organization.owner_email,
            "metadata": {"organization_id": str(organization.pk), "slug": organization.slug},
        },
        options={"idempotency_key": f"ifm-customer-organization-{organization.pk}"},
    )
    subscription.stripe_customer_id = customer.id
    subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    return customer.id


def checkout_session_create(
    *,
    organization: Organization,
    plan: Plan,
    success_url: str,
    cancel_url: str,
    acting_user: User | None = None,
) -> str:
    """A Stripe Checkout session (subscription mode) for `plan`; returns the page to send the
    person to. What is left of a trial carries over, so subscribing early costs nothing."""
    if not stripe_configured():
        raise StateConflict(NOT_CONFIGURED)
    if not plan.stripe_price_id:
        raise ServiceError(
            f"The {plan.name} plan cannot be bought online.", fields={"plan": ["Not for sale."]}
        )
    with transaction.atomic():
        # The row lock makes two people subscribing at once share one Stripe customer.
        subscription = subscription_locked(organization)
        if not subscription_can_check_out(subscription):
            raise StateConflict(
                "This organization has a subscription already: change its plan or card in the "
                "billing portal."
            )
        email = getattr(acting_user, "email", "") or ""
        try:
            customer_id = _customer_ensure(subscription, organization=organization, email=email)
        except stripe.StripeError as error:
            raise _stripe_refused(error) from None
    # Kept even if the session below fails: the customer exists at Stripe now.
    subscription_data: SessionCreateParamsSubscriptionData = {
        "metadata": {"organization_id": str(organization.pk), "plan_code": plan.code}
    }
    trial_end = subscription.trial_ends_at
    # Stripe wants a trial to end at least 48 hours ahead; a shorter rest is dropped.
    if trial_end is not None and trial_end > timezone.now() + timedelta(hours=49):
        subscription_data["trial_end"] = int(trial_end.timestamp())
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(organization.pk),
                "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": {"organization_id": str(organization.pk), "plan_code": plan.code},
                "subscription_data": subscription_data,
            }
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error) from None
    with transaction.atomic():
        billing_audit(
            organization,
            "billing.checkout",
            acting_user=acting_user,
            plan=plan.code,
            session=session.id,
        )
    if not session.url:
        raise ServiceError("Stripe did not return a checkout page. Try again.")
    return session.url


def portal_session_create(
    *, organization: Organization, return_url: str, acting_user: User | None = None
) -> str:
    """A session of Stripe's customer portal, where the card, the plan and invoices are
    managed; returns its address."""
    if not stripe_configured():
        raise StateConflict(NOT_CONFIGURED)
    subscription = Subscription.objects.filter(organization=organization).first()
    if subscription is None or not subscription.stripe_customer_id:
        raise StateConflict("Subscribe first: there is no card or invoice to manage yet.")
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": subscription.stripe_customer_id, "return_url": return_url}
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error) from None
    billing_audit(organization, "billing.portal", acting_user=acting_user)
    return session.url
