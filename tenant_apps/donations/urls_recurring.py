"""Pages of recurring gifts under /recurring/ on an organization's host: the list, the form, a
recurring gift's page with its coming dates and the gifts it made, and its actions."""

from django.urls import path

from tenant_apps.donations.views import recurring

app_name = "recurring"

urlpatterns = [
    path("", recurring.recurring_list, name="list"),
    path("new/", recurring.recurring_new, name="new"),
    path("<int:pk>/", recurring.recurring_detail, name="detail"),
    path("<int:pk>/edit/", recurring.recurring_edit, name="edit"),
    path("<int:pk>/pause/", recurring.recurring_pause, name="pause"),
    path("<int:pk>/resume/", recurring.recurring_resume, name="resume"),
    path("<int:pk>/cancel/", recurring.recurring_cancel, name="cancel"),
    path("<int:pk>/delete/", recurring.recurring_delete, name="delete"),
]
