from rest_framework import viewsets

from shared_apps.users.permissions import capability_required
from shared_apps.users.roles import Capability
from tenant_apps.accounting import selectors
from tenant_apps.accounting.api.serializers import AccountSerializer, FundSerializer


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """The chart of accounts, by code."""

    serializer_class = AccountSerializer
    permission_classes = [capability_required(read=Capability.ACCOUNTING_READ)]
    lookup_field = "code"
    filterset_fields = ["type", "is_active"]
    ordering = ["code"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.account_list()


class FundViewSet(viewsets.ReadOnlyModelViewSet):
    """Funds, by code; the restriction decides the net-asset class."""

    serializer_class = FundSerializer
    permission_classes = [capability_required(read=Capability.ACCOUNTING_READ)]
    lookup_field = "code"
    filterset_fields = ["restriction", "is_active"]
    ordering = ["code"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.fund_list()
