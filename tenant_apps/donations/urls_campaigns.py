"""Pages of the campaigns desk under /campaigns/ on an organization's host: the list, a
campaign's page, the form that adds or changes one, and its public giving page's settings."""

from django.urls import path

from tenant_apps.donations.views import campaigns

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaign_index, name="index"),
    path("new/", campaigns.campaign_new, name="new"),
    path("<int:pk>/", campaigns.campaign_detail, name="detail"),
    path("<int:pk>/edit/", campaigns.campaign_edit, name="edit"),
    path("<int:pk>/giving-page/", campaigns.campaign_giving_page_edit, name="giving_page"),
    path("<int:pk>/giving-page/image/", campaigns.campaign_image_upload, name="image_upload"),
    path(
        "<int:pk>/giving-page/image/delete/", campaigns.campaign_image_delete, name="image_delete"
    ),
]
