"""The public giving pages under /give/ on an organization's host (no login): the general page,
the thank-you page, and each campaign's page with its image."""

from django.urls import path

from tenant_apps.donations.views import giving, giving_manage

app_name = "give"

urlpatterns = [
    path("", giving.give, name="index"),
    path("thanks/", giving.give_thanks, name="thanks"),
    path("manage/<str:token>/", giving_manage.give_manage, name="manage"),
    path("<slug:slug>/", giving.give_campaign, name="campaign"),
    path("<slug:slug>/image/", giving.campaign_image, name="campaign_image"),
]
