from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from saas_platform.lib.admin import ReadOnlyAdmin
from saas_platform.lib.admin_sites import public_admin_site
from shared_apps.billing.models import ConnectEvent, Plan, StripeEvent, Subscription
from shared_apps.billing.services.connect_events import connect_events_queue_again


@admin.register(Plan, site=public_admin_site)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "monthly_price", "max_donors", "max_staff_users", "is_public"]
    search_fields = ["code", "name"]


@admin.register(Subscription, site=public_admin_site)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organization", "plan", "status", "trial_ends_at", "past_due_since"]
    list_filter = ["status", "plan"]
    search_fields = ["organization__name", "organization__slug", "stripe_customer_id"]
    list_select_related = ["organization", "plan"]
    readonly_fields = [
        "stripe_customer_id",
        "stripe_subscription_id",
        "suspended_for_billing_at",
        "created_at",
        "updated_at",
    ]


@admin.register(StripeEvent, site=public_admin_site)
class StripeEventAdmin(ReadOnlyAdmin):
    """Read only: events are what Stripe sent; the subscription is recomputed from them."""

    list_display = ["stripe_id", "type", "created", "organization", "outcome", "received_at"]
    list_filter = ["outcome", "type", "livemode"]
    search_fields = ["stripe_id", "customer_id", "subscription_id", "organization__slug"]
    list_select_related = ["organization"]
    date_hierarchy = "created"
    readonly_fields = [
        "stripe_id",
        "type",
        "created",
        "livemode",
        "organization",
        "customer_id",
        "subscription_id",
        "received_at",
        "processed_at",
        "outcome",
        "outcome_detail",
        "payload",
    ]


@admin.register(ConnectEvent, site=public_admin_site)
class ConnectEventAdmin(ReadOnlyAdmin):
    """Read only: the online-giving events of the organizations' connected Stripe accounts, with
    the organization each was routed to and what came of it. Those needing attention (a
    permanent refusal, or too many failures) are queued again by the action once the cause is
    dealt with."""

    list_display = [
        "stripe_id",
        "type",
        "account_id",
        "created",
        "organization",
        "outcome",
        "attempts",
        "outcome_detail",
    ]
    actions = ["queue_again"]
    list_filter = ["outcome", "type", "livemode"]
    search_fields = ["stripe_id", "account_id", "organization__slug"]
    list_select_related = ["organization"]
    date_hierarchy = "created"
    readonly_fields = [
        "stripe_id",
        "type",
        "account_id",
        "created",
        "livemode",
        "organization",
        "received_at",
        "processed_at",
        "outcome",
        "outcome_detail",
        "attempts",
        "payload",
    ]

    @admin.action(description="Apply again (the cause is dealt with)")
    def queue_again(self, request: HttpRequest, queryset: QuerySet[ConnectEvent]) -> None:
        count = connect_events_queue_again(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            f"{count} event{'s' if count != 1 else ''} needing attention will be applied again "
            "within a quarter of an hour.",
        )
