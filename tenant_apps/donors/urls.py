"""Donors' own pages under /donors/ (namespace `donors`): adding and editing a donor. The list
and a donor's page come from donations (they show giving); saas_platform.urls_tenant mounts
both under the one namespace."""

from django.urls import path

from tenant_apps.donors.views.donor_form import donor_edit, donor_new

urlpatterns = [
    path("new/", donor_new, name="new"),
    path("<int:pk>/edit/", donor_edit, name="edit"),
]
