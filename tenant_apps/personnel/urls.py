"""Pages of the personnel reports, under /personnel/ on an organization's host."""

from django.urls import path

from tenant_apps.personnel.views import report_detail, report_index

app_name = "personnel"

urlpatterns = [
    path("", report_index, name="index"),
    path("reports/<slug:name>/", report_detail, name="report"),
]
