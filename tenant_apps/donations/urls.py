"""Pages of donations under /donations/ on an organization's host: CSV imports."""

from django.urls import path

from tenant_apps.donations.views import import_detail, import_index

app_name = "donations"

urlpatterns = [
    path("imports/", import_index, name="imports"),
    path("imports/<int:pk>/", import_detail, name="import"),
]
