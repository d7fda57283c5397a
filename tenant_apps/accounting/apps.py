from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "tenant_apps.accounting"
    label = "accounting"
    verbose_name = "Accounting"
