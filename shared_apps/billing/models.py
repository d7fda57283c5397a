"""Plans and each organization's subscription to one, in the public schema.

An Organization names its plan by value (`Organization.plan_code`); the subscription row here
carries the billing state (trial, active, past due...) and the Stripe ids. Tenant schemas never
refer to these tables: a tenant reads its limits by plan code.
"""

from __future__ import annotations

from django.db import models


class Plan(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    # None: no limit.
    max_donors = models.PositiveIntegerField(null=True, blank=True)
    max_staff_users = models.PositiveIntegerField(null=True, blank=True)
    trial_days = models.PositiveSmallIntegerField(default=30)
    # The Stripe Price its subscriptions are made of; blank where Stripe is not configured.
    stripe_price_id = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=300, blank=True)
    is_public = models.BooleanField(default=True, help_text="Offered on the signup page.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "monthly_price", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0), name="plan_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment failed"
    CANCELED = "canceled", "Canceled"


class Subscription(models.Model):
    """One per organization: its plan, where billing stands, and the Stripe ids."""

    organization = models.OneToOneField(
        "tenants.Organization", on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.TRIALING
    )
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # When a payment first failed; past the grace period the organization is suspended.
    past_due_since = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True)
    # When billing suspended the organization (a failed payment, or a trial that ended unpaid,
    # past the grace period). Set only by billing, so a payment lifts a suspension of ours and
    # never one an operator made for another reason: it is lifted only while the organization's
    # state still dates from this moment. The same test lets such an organization reach its
    # billing page while suspended (saas_platform.middleware).
    suspended_for_billing_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriptionStatus.values),
                name="subscription_status_valid",
            ),
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~models.Q(stripe_customer_id=""),
                name="subscription_stripe_customer_unique",
            ),
            models.UniqueConstraint(
                fields=["stripe_subscription_id"],
                condition=~models.Q(stripe_subscription_id=""),
                name="subscription_stripe_subscription_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.plan_id} ({self.status})"


# --- Stripe webhook events ---------------------------------------------------------------------


class StripeEventOutcome(models.TextChoices):
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"
    # A Connect event that cannot be applied as things stand (a plan's limit, a closed month, a
    # currency the books are not kept in), or that failed too many times: not retried until an
    # operator queues it again once the cause is dealt with.
    NEEDS_ATTENTION = "attention", "Needs attention"


class WebhookEvent(models.Model):
    """What every stored Stripe event has: its id (stored once), type, when Stripe created it
    (the order events are applied in, whatever their arrival), the payload as it came, and what
    came of it."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Empty while it waits to be applied.
    outcome = models.CharField(max_length=20, choices=StripeEventOutcome.choices, blank=True)
    outcome_detail = models.TextField(blank=True)

    class Meta:
        abstract = True


class StripeEvent(WebhookEvent):
    """Every event Stripe sent us, once by its id, with what came of it.

    The subscription's state is recomputed from the stored events of its organization (see
    services.subscription_state_rebuild), which is why they are all kept: a replay finds its
    row and changes nothing, and an event that arrives late takes its place by its `created`.
    """

    organization = models.ForeignKey(
        "tenants.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_events",
    )
    customer_id = models.CharField(max_length=255, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["customer_id"], name="stripeevent_customer"),
            models.Index(fields=["organization", "created"], name="stripeevent_organization"),
            models.Index(fields=["outcome"], name="stripeevent_outcome"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=[*StripeEventOutcome.values, ""]),
                name="stripeevent_outcome_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"


# --- Stripe Connect webhook events (online giving) --------------------------------------------


class ConnectEvent(WebhookEvent):
    """Every event of the organizations' connected accounts (online gifts), once by its id, with
    the organization its `account` routed it to and what came of it. An event for an account no
    organization has is stored, answered and touches no tenant. The organization's schema
    applies the rest (donations.services.online_events), recording the outcome here in the
    same transaction as the gift, so that an event is applied once."""

    account_id = models.CharField(max_length=255, blank=True)
    organization = models.ForeignKey(
        "tenants.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="connect_events",
    )
    # Failed applications since it arrived (or was last queued again by an operator).
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["account_id"], name="connectevent_account"),
            models.Index(fields=["organization", "created"], name="connectevent_organization"),
            # The events not done with (waiting, failed, needing attention), by organization in
            # the order a drain takes them: a drain's read goes to its organization's few, not
            # through the outcome of every event (with autovacuum behind, the versions of
            # processed events that were once waiting, thousands of them in a busy hour).
            models.Index(
                fields=["organization", "created", "id"],
                name="connectevent_pending",
                condition=models.Q(outcome__in=["", "failed", "attention"]),
            ),
            # A refund or dispute left alone because it came before its gift, found by its
            # payment when the gift is recorded (every gift's application asks): without it,
            # that read went through every ignored event of the platform, which grows for good
            # (every event of an account no organization has is stored ignored).
            models.Index(
                models.F("organization"),
                models.F("payload__data__object__payment_intent"),
                name="connectevent_came_first",
                condition=models.Q(outcome="ignored"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=[*StripeEventOutcome.values, ""]),
                name="connectevent_outcome_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type} ({self.account_id})"
