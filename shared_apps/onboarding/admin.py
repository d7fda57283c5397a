from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from saas_platform.lib.admin_sites import public_admin_site
from shared_apps.onboarding.models import Signup


@admin.register(Signup, site=public_admin_site)
class SignupAdmin(admin.ModelAdmin):
    """Operators look at signups (who is waiting, what failed); the flow itself changes them."""

    list_display = ["slug", "name", "email", "plan_code", "state", "created_at", "expires_at"]
    list_filter = ["state", "plan_code"]
    search_fields = ["slug", "name", "email"]
    list_select_related = ["organization"]
    exclude = ["password_hash", "token_hash"]
    readonly_fields = [
        "public_id",
        "name",
        "slug",
        "owner_name",
        "email",
        "plan_code",
        "state",
        "expires_at",
        "verification_sent_at",
        "verified_at",
        "completed_at",
        "failure_reason",
        "organization",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # signups come from the signup page only
