"""/api/v1/donors/ on a tenant host."""

from rest_framework.routers import DefaultRouter

from tenant_apps.donors.api.views import DonorViewSet, HouseholdViewSet, TagViewSet

router = DefaultRouter()
router.register("donors", DonorViewSet, basename="donor")
router.register("households", HouseholdViewSet, basename="household")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = router.urls
