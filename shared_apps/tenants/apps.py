from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "shared_apps.tenants"
    label = "tenants"
    verbose_name = "Organizations"

    def ready(self) -> None:
        # Imported in ready(): app modules need the app registry loaded first.
        from shared_apps.tenants import signals  # noqa: F401
