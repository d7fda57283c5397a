from rest_framework.routers import DefaultRouter

from tenant_apps.accounting.api.views import AccountViewSet, FundViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("funds", FundViewSet, basename="fund")

urlpatterns = router.urls
