"""/api/v1/checks/: uploads of scans and the checks read from them."""

from rest_framework.routers import SimpleRouter

from tenant_apps.checks.api.views import ScannedCheckViewSet, ScanUploadViewSet

router = SimpleRouter()
router.register("uploads", ScanUploadViewSet, basename="checks-upload")
router.register("checks", ScannedCheckViewSet, basename="checks-check")

urlpatterns = router.urls
