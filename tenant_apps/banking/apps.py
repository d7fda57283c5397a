from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "tenant_apps.banking"
    label = "banking"
    verbose_name = "Banking"

    def ready(self) -> None:
        from tenant_apps.accounting.closing import closing_check_register
        from tenant_apps.banking.closing import unreconciled_accounts_check

        closing_check_register("banking.unreconciled_accounts", unreconciled_accounts_check)
