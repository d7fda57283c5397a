from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tenant_apps.core"
    label = "core"
    verbose_name = "Organization"
