"""/api/v1/donations/ on a tenant host."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from tenant_apps.donations.api.imports import ImportJobViewSet
from tenant_apps.donations.api.pledges import PledgeViewSet, RecurringGiftViewSet
from tenant_apps.donations.api.receipts import ReceiptSettingsView, ReceiptViewSet
from tenant_apps.donations.api.reports import GivingReportIndexView, GivingReportView
from tenant_apps.donations.api.views import CampaignViewSet, DepositViewSet, GiftViewSet

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("gifts", GiftViewSet, basename="gift")
router.register("deposits", DepositViewSet, basename="deposit")
router.register("receipts", ReceiptViewSet, basename="receipt")
router.register("imports", ImportJobViewSet, basename="import")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("recurring-gifts", RecurringGiftViewSet, basename="recurring-gift")

urlpatterns = [
    path("receipt-settings/", ReceiptSettingsView.as_view(), name="receipt-settings"),
    path("reports/", GivingReportIndexView.as_view(), name="donations-reports"),
    path("reports/<slug:name>/", GivingReportView.as_view(), name="donations-report"),
    *router.urls,
]
