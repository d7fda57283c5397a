from django.apps import AppConfig

from saas_platform.lib.plan_limits import PlanLimit, plan_counter_register


class DonorsConfig(AppConfig):
    name = "tenant_apps.donors"
    label = "donors"
    verbose_name = "Donors"

    def ready(self) -> None:
        # Imported here, not at the top: the app registry must be ready before models load.
        from tenant_apps.donors.selectors import donors_counted

        plan_counter_register(limit=PlanLimit.DONORS, counter=donors_counted)
