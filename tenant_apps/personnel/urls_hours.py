"""Pages of hours, under /hours/ on an organization's host: the timesheet, a volunteer's year
and the approvals queue."""

from django.urls import path

from tenant_apps.personnel.views_hours import approvals, approvals_decide, timesheet, volunteering

app_name = "hours"

urlpatterns = [
    path("timesheet/", timesheet, name="timesheet"),
    path("volunteering/", volunteering, name="volunteering"),
    path("approvals/", approvals, name="approvals"),
    path("approvals/decide/", approvals_decide, name="decide"),
]
