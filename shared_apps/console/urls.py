"""The console's URLs, included under /console/ by the public host's URLconf only."""

from django.urls import path

from shared_apps.console import views

app_name = "console"

urlpatterns = [
    path("", views.tenant_list, name="tenants"),
    path("tenants/<slug:slug>/", views.tenant_detail, name="tenant"),
    path("tenants/<slug:slug>/<slug:action>/", views.tenant_action, name="tenant_action"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
    path("audit/", views.audit_list, name="audit"),
    path("health/", views.health, name="health"),
]
