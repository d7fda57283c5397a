"""The banking API under /api/v1/banking/: bank accounts, statements and reconciliations, to
read. Whoever reads the books reads these; importing and reconciling are done on the bank
desk's pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from saas_platform.lib.filters import FilterSet
from shared_apps.users.permissions import capability_required
from shared_apps.users.roles import Capability
from tenant_apps.banking import selectors
from tenant_apps.banking.api.serializers import (
    BankAccountOutput,
    ReconciliationOutput,
    StatementOutput,
)
from tenant_apps.banking.models import ReconciliationState

BOOKS = capability_required(read=Capability.ACCOUNTING_READ)


class _ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [BOOKS]


class BankAccountViewSet(_ReadOnlyViewSet):
    """The bank accounts (checking and savings in the chart), by code, with where their
    reconciliation stands."""

    serializer_class = BankAccountOutput
    lookup_field = "code"
    # Codes may hold dots (the chart's code pattern), which DRF's default lookup refuses.
    lookup_value_regex = r"[^/]+"
    ordering = ["code"]
    ordering_fields = ["code", "name"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.bank_account_summaries()


class StatementFilter(FilterSet):
    account = django_filters.CharFilter(field_name="account__code", label="A bank account's code.")
    start = django_filters.DateFilter(
        field_name="statement_date", lookup_expr="gte", label="Dated on or after (YYYY-MM-DD)."
    )
    end = django_filters.DateFilter(
        field_name="statement_date", lookup_expr="lte", label="Dated on or before (YYYY-MM-DD)."
    )


class ReconciliationFilter(StatementFilter):
    state = django_filters.ChoiceFilter(choices=ReconciliationState.choices)


class StatementViewSet(_ReadOnlyViewSet):
    """Imported bank statements, the latest first."""

    serializer_class = StatementOutput
    filterset_class = StatementFilter
    ordering = ["-statement_date", "-id"]
    ordering_fields = ["statement_date", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.statement_summaries()


class ReconciliationViewSet(_ReadOnlyViewSet):
    """Reconciliations of bank accounts at their statements' dates, the latest first; a
    finished one is locked."""

    serializer_class = ReconciliationOutput
    filterset_class = ReconciliationFilter
    ordering = ["-statement_date", "-id"]
    ordering_fields = ["statement_date", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.reconciliation_list()
