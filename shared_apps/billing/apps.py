from typing import Any

from django.apps import AppConfig
from django.core import checks

from saas_platform.lib.plan_limits import plan_guard_register, plan_maximum_register


class BillingConfig(AppConfig):
    name = "shared_apps.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Imported here, not at the top: the app registry must be ready before models load.
        from shared_apps.billing.limits import plan_limit_check, plan_maximum_of_current_tenant

        checks.register(stripe_settings_check, checks.Tags.compatibility)
        plan_guard_register(plan_limit_check)
        plan_maximum_register(plan_maximum_of_current_tenant)


def stripe_settings_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Half a Stripe configuration charges people whose payments are never recorded (no
    webhook secret), or verifies events for an account it cannot call (no secret key)."""
    from django.conf import settings

    if bool(settings.STRIPE_SECRET_KEY) == bool(settings.STRIPE_WEBHOOK_SECRET):
        return []
    missing = "STRIPE_WEBHOOK_SECRET" if settings.STRIPE_SECRET_KEY else "STRIPE_SECRET_KEY"
    return [
        checks.Warning(
            f"Stripe is half configured: set {missing} too, or neither.",
            hint="See .env.example, section Billing.",
            id="billing.W001",
        )
    ]
