"""Pages of donations under /donations/ on an organization's host: CSV imports and the
fundraising reports."""

from django.urls import path

from tenant_apps.donations.views.imports import import_detail, import_index
from tenant_apps.donations.views.reports import report_detail, report_index

app_name = "donations"

urlpatterns = [
    path("imports/", import_index, name="imports"),
    path("imports/<int:pk>/", import_detail, name="import"),
    path("reports/", report_index, name="reports"),
    path("reports/<slug:name>/", report_detail, name="report"),
]
