from django.contrib import admin

from saas_platform.admin_sites import public_admin_site
from shared_apps.billing.models import Plan, Subscription


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
    readonly_fields = ["stripe_customer_id", "stripe_subscription_id", "created_at", "updated_at"]
