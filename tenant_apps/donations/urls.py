"""Pages of the fundraising reports, under /donations/ on an organization's host."""

from django.urls import path

from tenant_apps.donations.views import report_detail, report_index

app_name = "donations"

urlpatterns = [
    path("reports/", report_index, name="reports"),
    path("reports/<slug:name>/", report_detail, name="report"),
]
