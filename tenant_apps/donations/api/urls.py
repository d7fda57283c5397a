"""/api/v1/donations/ on a tenant host."""

from rest_framework.routers import DefaultRouter

from tenant_apps.donations.api.pledges import PledgeViewSet, RecurringGiftViewSet
from tenant_apps.donations.api.views import CampaignViewSet, DepositViewSet, GiftViewSet

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("gifts", GiftViewSet, basename="gift")
router.register("deposits", DepositViewSet, basename="deposit")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("recurring-gifts", RecurringGiftViewSet, basename="recurring-gift")

urlpatterns = router.urls
