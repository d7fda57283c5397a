"""/api/v1/personnel/ on a tenant host."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from tenant_apps.personnel.api.pay_runs import PayRunAccountsView, PayRunViewSet
from tenant_apps.personnel.api.views import (
    HourEntryViewSet,
    PayrollAllocationViewSet,
    PersonViewSet,
    ReportIndexView,
    ReportView,
    SettingsView,
    StaffViewSet,
    VolunteerViewSet,
)

router = DefaultRouter()
router.register("people", PersonViewSet, basename="person")
router.register("staff", StaffViewSet, basename="staff")
router.register("volunteers", VolunteerViewSet, basename="volunteer")
router.register("hours", HourEntryViewSet, basename="hour-entry")
router.register("payroll-allocations", PayrollAllocationViewSet, basename="payroll-allocation")
router.register("pay-runs", PayRunViewSet, basename="pay-run")

urlpatterns = [
    path("settings/", SettingsView.as_view(), name="personnel-settings"),
    path("pay-run-accounts/", PayRunAccountsView.as_view(), name="pay-run-accounts"),
    path("reports/", ReportIndexView.as_view(), name="personnel-reports"),
    path("reports/<slug:name>/", ReportView.as_view(), name="personnel-report"),
    *router.urls,
]
