"""The public giving page under /give/ on an organization's host (no login)."""

from django.urls import path

from tenant_apps.donations.views import giving, giving_manage

app_name = "give"

urlpatterns = [
    path("", giving.give, name="index"),
    path("thanks/", giving.give_thanks, name="thanks"),
    path("manage/<str:token>/", giving_manage.give_manage, name="manage"),
]
