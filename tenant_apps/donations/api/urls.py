"""/api/v1/donations/ on a tenant host."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from tenant_apps.donations.api.reports import GivingReportIndexView, GivingReportView
from tenant_apps.donations.api.views import CampaignViewSet, DepositViewSet, GiftViewSet

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("gifts", GiftViewSet, basename="gift")
router.register("deposits", DepositViewSet, basename="deposit")

urlpatterns = [
    path("reports/", GivingReportIndexView.as_view(), name="donations-reports"),
    path("reports/<slug:name>/", GivingReportView.as_view(), name="donations-report"),
    *router.urls,
]
