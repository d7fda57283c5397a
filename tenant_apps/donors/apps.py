from django.apps import AppConfig


class DonorsConfig(AppConfig):
    name = "tenant_apps.donors"
    label = "donors"
    verbose_name = "Donors"
