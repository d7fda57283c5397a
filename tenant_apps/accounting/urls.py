"""Pages of the accounting reports, under /accounting/ on an organization's host."""

from django.urls import path

from tenant_apps.accounting.views import report_detail, report_index

app_name = "accounting"

urlpatterns = [
    path("", report_index, name="index"),
    path("reports/<slug:name>/", report_detail, name="report"),
]
