"""/api/v1/banking/ on a tenant host."""

from rest_framework.routers import DefaultRouter

from tenant_apps.banking.api.views import (
    BankAccountViewSet,
    ReconciliationViewSet,
    StatementViewSet,
)

router = DefaultRouter()
router.register("accounts", BankAccountViewSet, basename="bank-account")
router.register("statements", StatementViewSet, basename="bank-statement")
router.register("reconciliations", ReconciliationViewSet, basename="reconciliation")

urlpatterns = router.urls
