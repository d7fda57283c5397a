"""Pages of the campaigns desk under /campaigns/ on an organization's host: the list, a
campaign's page, and the form that adds or changes one."""

from django.urls import path

from tenant_apps.donations.views import campaigns

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaign_index, name="index"),
    path("new/", campaigns.campaign_new, name="new"),
    path("<int:pk>/", campaigns.campaign_detail, name="detail"),
    path("<int:pk>/edit/", campaigns.campaign_edit, name="edit"),
]
