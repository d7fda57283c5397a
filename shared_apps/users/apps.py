from django.apps import AppConfig

from saas_platform.lib.plan_limits import PlanLimit, plan_counter_register


class UsersConfig(AppConfig):
    name = "shared_apps.users"
    label = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        # Imported here, not at the top: the app registry must be ready before models load.
        from shared_apps.users import schema  # noqa: F401 - registers the OpenAPI extension
        from shared_apps.users.selectors import staff_users_counted

        plan_counter_register(limit=PlanLimit.STAFF_USERS, counter=staff_users_counted)
