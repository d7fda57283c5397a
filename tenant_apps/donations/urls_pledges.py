"""Pages of pledges under /pledges/ on an organization's host: the list, the pledge form, a
pledge's page with its schedule and payments, and its actions."""

from django.urls import path

from tenant_apps.donations.views import pledges

app_name = "pledges"

urlpatterns = [
    path("", pledges.pledge_list, name="list"),
    path("new/", pledges.pledge_new, name="new"),
    path("<int:pk>/", pledges.pledge_detail, name="detail"),
    path("<int:pk>/edit/", pledges.pledge_edit, name="edit"),
    path("<int:pk>/delete/", pledges.pledge_delete, name="delete"),
    path("<int:pk>/post/", pledges.pledge_post, name="post"),
    path("<int:pk>/write-off/", pledges.pledge_write_off, name="write_off"),
    path("<int:pk>/cancel/", pledges.pledge_cancel, name="cancel"),
]
