from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "tenant_apps.checks"
    label = "checks"
    verbose_name = "Check deposits"
