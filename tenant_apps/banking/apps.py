from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "tenant_apps.banking"
    label = "banking"
    verbose_name = "Banking"
