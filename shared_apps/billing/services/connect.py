"""Stripe Connect: the organization's own Stripe account, which online gifts are charged on
directly (the money, and its refunds, are the nonprofit's, never the platform's).

The owner connects it from the organization settings through Stripe's hosted onboarding
(Account Links): the account is created once, and each visit to onboarding is a fresh,
short-lived link. What the organization may do with it (take charges, receive payouts) is
whatever Stripe last said when the account was read again: on the return from onboarding, on
an expired link's refresh, and never guessed. Disconnecting forgets the account here; the
account itself is the nonprofit's and stays at Stripe.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import stripe
from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.billing.stripe_api import stripe_client, stripe_configured
from shared_apps.tenants.models import Organization
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

CONNECT_NOT_CONFIGURED = (
    "Stripe is not configured on this installation, so a Stripe account cannot be connected "
    "for online giving."
)
ACCOUNT_FIELDS = (
    "stripe_account_id",
    "stripe_charges_enabled",
    "stripe_payouts_enabled",
    "stripe_default_currency",
)


def _refused(error: stripe.StripeError) -> ServiceError:
    logger.warning("Stripe refused a Connect request: %s", error)
    return ServiceError(
        "Stripe could not be reached or refused the request; nothing changed. Try again in a "
        "few minutes."
    )


def _locked(organization: Organization) -> Organization:
    """The organization's row, locked: the instance a request holds comes from the routing
    cache and may be older than the table."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _account_state(account: stripe.Account) -> dict[str, Any]:
    values = account.to_dict()
    return {
        "stripe_charges_enabled": bool(values.get("charges_enabled")),
        "stripe_payouts_enabled": bool(values.get("payouts_enabled")),
        "stripe_default_currency": str(values.get("default_currency") or "")[:3].lower(),
    }


def _save(row: Organization, values: dict[str, Any], *, action: str, acting_user: Any) -> None:
    """Store what changed (a save: the post_save signal retires the routing cache, so the giving
    page sees the new state from the next request on) and audit it."""
    changed = {
        field: [getattr(row, field), value]
        for field, value in values.items()
        if getattr(row, field) != value
    }
    if not changed:
        return
    for field, value in values.items():
        setattr(row, field, value)
    row.save(update_fields=[*values, "updated_at"])
    audit_record(action, acting_user=acting_user, obj=row, **changed)


def connect_onboarding_start(
    *, organization: Organization, refresh_url: str, return_url: str, acting_user: User | None
) -> str:
    """The address of Stripe's onboarding for the organization's connected account, creating
    the account the first time. Stripe sends the owner back to `return_url` when done, or to
    `refresh_url` when the link has expired."""
    if not stripe_configured():
        raise StateConflict(CONNECT_NOT_CONFIGURED)
    with transaction.atomic():
        # The row lock makes two owners connecting at once share one account.
        row = _locked(organization)
        if not row.stripe_account_id:
            try:
                account = stripe_client().v1.accounts.create(
                    params={
                        "type": "standard",
                        **({"email": row.owner_email} if row.owner_email else {}),
                        "business_profile": {"name": row.name},
                        "metadata": {"organization_id": str(row.pk), "slug": row.slug},
                    }
                )
            except stripe.StripeError as error:
                raise _refused(error) from None
            _save(
                row,
                {"stripe_account_id": account.id, **_account_state(account)},
                action="organization.stripe_connect",
                acting_user=acting_user,
            )
    try:
        link = stripe_client().v1.account_links.create(
            params={
                "account": row.stripe_account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise _refused(error) from None
    return link.url


def connect_account_refresh(
    *, organization: Organization, acting_user: User | None
) -> Organization:
    """Read the connected account again and store whether it takes charges and pays out, and
    its currency (audited when any of them changed)."""
    if not stripe_configured():
        raise StateConflict(CONNECT_NOT_CONFIGURED)
    account_id = organization.stripe_account_id
    if not account_id:
        raise StateConflict("No Stripe account is connected.")
    try:
        account = stripe_client().v1.accounts.retrieve(account_id)
    except stripe.StripeError as error:
        raise _refused(error) from None
    with transaction.atomic():
        row = _locked(organization)
        if row.stripe_account_id != account_id:  # disconnected meanwhile
            return row
        _save(
            row,
            _account_state(account),
            action="organization.stripe_account_update",
            acting_user=acting_user,
        )
    return row


def connect_disconnect(*, organization: Organization, acting_user: User | None) -> Organization:
    """Forget the connected account: the giving page says online giving is not set up, and
    the account's webhook events are stored and touch nothing here any more."""
    with transaction.atomic():
        row = _locked(organization)
        if not row.stripe_account_id:
            raise StateConflict("No Stripe account is connected.")
        _save(
            row,
            {
                "stripe_account_id": "",
                "stripe_charges_enabled": False,
                "stripe_payouts_enabled": False,
                "stripe_default_currency": "",
            },
            action="organization.stripe_disconnect",
            acting_user=acting_user,
        )
    return row
