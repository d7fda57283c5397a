"""/api/v1/accounting/ on a tenant host."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from tenant_apps.accounting.api.views import (
    AccountViewSet,
    BudgetViewSet,
    FundViewSet,
    JournalEntryViewSet,
    PeriodViewSet,
    ProgramViewSet,
    ReportView,
    SettingsView,
)

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("funds", FundViewSet, basename="fund")
router.register("programs", ProgramViewSet, basename="program")
router.register("periods", PeriodViewSet, basename="period")
router.register("journal-entries", JournalEntryViewSet, basename="journal-entry")
router.register("budgets", BudgetViewSet, basename="budget")

urlpatterns = [
    path("settings/", SettingsView.as_view(), name="accounting-settings"),
    path("reports/<slug:name>/", ReportView.as_view(), name="accounting-report"),
    *router.urls,
]
