"""Donors manage a monthly gift given on /give/ through Stripe's customer portal on the
organization's connected account: change the card or the amount, pause or cancel. There is no
donor login: every receipt email of a donor with a monthly gift carries a signed link,
`/give/manage/<token>/`, good for MANAGE_LINK_DAYS, which opens a portal session for the
subscription's customer. The token names the organization's schema and the monthly gift; a
link made for one organization is refused on another's host, and an edited one is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import stripe
from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.billing.stripe_api import stripe_client
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_stripe_account, organization_url
from tenant_apps.donations.models import RecurringGift, RecurringGiftState
from tenant_apps.donors.models import Donor

logger = logging.getLogger(__name__)

SALT = "ifm.donations.give.manage"
MANAGE_LINK_DAYS = 30
INVALID = (
    "This link to manage a monthly gift is not valid here. Use the link in your latest receipt "
    "email, or contact the organization."
)
EXPIRED = (
    "This link to manage your monthly gift has expired (links last "
    f"{MANAGE_LINK_DAYS} days). Your next receipt email brings a new one; or contact the "
    "organization."
)
NOT_CONNECTED = "Monthly gifts cannot be managed online right now. Please contact the organization."
UNAVAILABLE = "Stripe did not answer. Nothing was changed; please try again in a few minutes."


def manageable_monthly_gift(donor: Donor) -> RecurringGift | None:
    """The donor's monthly gift given through Stripe that is still going, the latest first."""
    return manageable_monthly_gifts([donor.pk]).first()


def manageable_monthly_gifts(donor_ids: Iterable[int]) -> QuerySet[RecurringGift]:
    """The donors' monthly gifts given through Stripe that are still going, the latest first
    (each donor's first is manageable_monthly_gift's)."""
    return (
        RecurringGift.objects.filter(donor_id__in=list(donor_ids))
        .exclude(stripe_subscription_id="")
        .filter(state__in=(RecurringGiftState.ACTIVE, RecurringGiftState.PAUSED))
        .order_by("-created_at", "-id")
    )


def manage_link(*, organization: Organization, recurring_gift: RecurringGift) -> str:
    """The signed address that opens the portal for this monthly gift."""
    token = signing.dumps(
        {"schema": organization.schema_name, "gift": recurring_gift.pk}, salt=SALT
    )
    # The organization's own URLs, whichever host's request or task makes the link (a receipt
    # emailed after the Connect webhook, which Stripe calls on the platform's host).
    path = reverse("give:manage", args=[token], urlconf=settings.ROOT_URLCONF)
    return organization_url(organization=organization, path=path)


def _gift_of(*, organization: Organization, token: str) -> RecurringGift:
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=MANAGE_LINK_DAYS))
    except signing.SignatureExpired:
        raise StateConflict(EXPIRED) from None
    except signing.BadSignature:
        raise ServiceError(INVALID) from None
    if not isinstance(data, dict) or data.get("schema") != organization.schema_name:
        raise ServiceError(INVALID)
    if not isinstance(data.get("gift"), int):
        raise ServiceError(INVALID)
    recurring_gift = (
        RecurringGift.objects.filter(pk=data["gift"]).exclude(stripe_subscription_id="").first()
    )
    if recurring_gift is None:
        raise ServiceError(INVALID)
    return recurring_gift


def portal_session_url(*, organization: Organization, token: str) -> str:
    """A Stripe customer portal session for the monthly gift the token names; the page the
    donor is sent to. Refused with a message for a bad, expired or foreign token."""
    recurring_gift = _gift_of(organization=organization, token=token)
    account = organization_stripe_account(organization)
    if not account:
        raise StateConflict(NOT_CONNECTED)
    client = stripe_client()
    options: stripe.RequestOptions = {"stripe_account": account}
    try:
        subscription = client.v1.subscriptions.retrieve(
            recurring_gift.stripe_subscription_id, options=options
        )
        customer = subscription.customer
        session = client.v1.billing_portal.sessions.create(
            params={
                "customer": customer if isinstance(customer, str) else customer.id,
                "return_url": organization_url(
                    organization=organization,
                    path=reverse("give:index", urlconf=settings.ROOT_URLCONF),
                ),
            },
            options=options,
        )
    except stripe.InvalidRequestError as error:
        logger.warning("no portal for monthly gift %s: %s", recurring_gift.pk, error)
        raise StateConflict(NOT_CONNECTED) from None
    except stripe.StripeError as error:
        logger.warning("Stripe did not open a portal for gift %s: %s", recurring_gift.pk, error)
        raise ServiceError(UNAVAILABLE) from None
    return str(session.url)
