"""An Organization is a tenant: one PostgreSQL schema and one subdomain of PLATFORM_DOMAIN."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin


class OrganizationState(models.TextChoices):
    PROVISIONING = "provisioning", "Being set up"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    FAILED = "failed", "Provisioning failed"
    CLOSED = "closed", "Closed"


class Organization(TenantMixin):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=40, unique=True)
    state = models.CharField(
        max_length=20, choices=OrganizationState.choices, default=OrganizationState.PROVISIONING
    )
    state_reason = models.TextField(
        blank=True, help_text="Why the organization is in its state: the error, or the reason."
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    provisioning_step = models.CharField(
        max_length=40, blank=True, help_text="The last provisioning step that completed."
    )
    owner_email = models.EmailField(blank=True)
    plan_code = models.CharField(max_length=40, blank=True)
    # The organization's profile, edited by its owners and administrators. Kept here, not in the
    # tenant's schema, because every page shows it (the header's name and logo, the time zone
    # dates are read in) and the routing cache already holds this row: a warm request reads
    # them without a query.
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="An IANA time zone name: America/Chicago."
    )
    logo = models.CharField(
        max_length=200,
        blank=True,
        help_text="The logo's file name in the organization's own storage; empty: no logo.",
    )
    setup_checklist_dismissed = models.BooleanField(
        default=False, help_text="The dashboard's getting-started checklist is put away."
    )
    # Online giving: the organization's own Stripe account (Connect), which donations are
    # charged on directly, and what Stripe last said of it. Here, not in the tenant's schema,
    # because the Connect webhook routes each event by its account to the organization, and
    # the giving page reads the state with the row the routing cache holds.
    stripe_account_id = models.CharField(max_length=255, blank=True)
    stripe_charges_enabled = models.BooleanField(default=False)
    stripe_payouts_enabled = models.BooleanField(default=False)
    stripe_default_currency = models.CharField(
        max_length=3, blank=True, help_text="The connected account's currency, as usd."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Provisioning creates and drops schemas itself, step by step (provisioning.services).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=OrganizationState.values),
                name="organization_state_valid",
            ),
            models.UniqueConstraint(
                fields=["stripe_account_id"],
                condition=~models.Q(stripe_account_id=""),
                name="organization_stripe_account_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_public(self) -> bool:
        from django_tenants.utils import get_public_schema_name

        return self.schema_name == get_public_schema_name()


class Domain(DomainMixin):
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
