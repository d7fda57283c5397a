"""The accounting API: chart of accounts, funds, programs, periods, journal entries, budgets,
settings and reports. A write validates its input, calls one service and serializes what it
returns; the services' refusals come back in the one error shape (400, or 409 for a state
conflict)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from saas_platform.lib import report_api as reporting
from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import FilterSet
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting import reports, selectors
from tenant_apps.accounting.api.serializers import (
    AccountCreateInput,
    AccountOutput,
    AccountUpdateInput,
    BudgetCreateInput,
    BudgetDetailOutput,
    BudgetLinesInput,
    BudgetOutput,
    EntryCreateInput,
    EntryOutput,
    EntryReverseInput,
    FundCreateInput,
    FundOutput,
    FundUpdateInput,
    PeriodChecklistOutput,
    PeriodOutput,
    PeriodReopenInput,
    ProgramCreateInput,
    ProgramOutput,
    ProgramUpdateInput,
    ReportQueryInput,
    SettingsOutput,
    SettingsUpdateInput,
)
from tenant_apps.accounting.closing import closing_checklist
from tenant_apps.accounting.models import (
    AccountingSettings,
    Budget,
    JournalEntry,
    JournalLine,
)
from tenant_apps.accounting.services import budgets, chart, entries, periods
from tenant_apps.accounting.services.budgets import BudgetRowSpec
from tenant_apps.accounting.services.lines import LineSpec

ACCOUNTING = capability_required(read=Capability.ACCOUNTING_READ, write=Capability.ACCOUNTING_WRITE)
# Codes may hold dots (chart.CODE_PATTERN), which DRF's default lookup pattern refuses.
CODE_LOOKUP = r"[^/]+"


# --- Chart: accounts, funds, programs ----------------------------------------------------------


class _ByCodeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Lists and details of the chart's parts, found by code; writes are each view's own."""

    permission_classes = [ACCOUNTING]
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP
    ordering = ["code"]
    ordering_fields = ["code", "name"]


class AccountViewSet(_ByCodeViewSet):
    """The chart of accounts, by code."""

    serializer_class = AccountOutput
    filterset_fields = ["type", "is_active"]

    def get_queryset(self) -> QuerySet[Any]:
        if self.action == "list":
            return selectors.account_rows()
        return selectors.account_list()

    @extend_schema(request=AccountCreateInput, responses={201: AccountOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(AccountCreateInput, request)
        account = chart.account_create(
            code=data["code"],
            name=data["name"],
            type=data["type"],
            parent_code=data["parent"],
            ucoa_code=data["ucoa_code"],
            acting_user=request.user,
        )
        return Response(AccountOutput(account).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AccountUpdateInput, responses={200: AccountOutput, 400: ErrorOutput})
    def partial_update(self, request: AuthenticatedRequest, code: str) -> Response:
        account = self.get_object()
        data = validated_data(AccountUpdateInput, request, instance=account)
        account = chart.account_update(
            account=account,
            name=data.get("name"),
            is_active=data.get("is_active"),
            acting_user=request.user,
        )
        return Response(AccountOutput(account).data)


class FundViewSet(_ByCodeViewSet):
    """Funds, by code; the restriction decides the net-asset class and is fixed."""

    serializer_class = FundOutput
    filterset_fields = ["restriction", "is_active"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.fund_list()

    @extend_schema(request=FundCreateInput, responses={201: FundOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(FundCreateInput, request)
        fund = chart.fund_create(
            code=data["code"],
            name=data["name"],
            restriction=data["restriction"],
            description=data["description"],
            release_on=data["release_on"],
            acting_user=request.user,
        )
        return Response(FundOutput(fund).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FundUpdateInput, responses={200: FundOutput, 400: ErrorOutput})
    def partial_update(self, request: AuthenticatedRequest, code: str) -> Response:
        fund = self.get_object()
        data = validated_data(FundUpdateInput, request, instance=fund)
        fund = chart.fund_update(
            fund=fund,
            name=data.get("name"),
            description=data.get("description"),
            is_active=data.get("is_active"),
            release_on=data.get("release_on", chart.UNCHANGED),
            acting_user=request.user,
        )
        return Response(FundOutput(fund).data)


class ProgramViewSet(_ByCodeViewSet):
    """Programs, by code: what program expenses are reported by."""

    serializer_class = ProgramOutput
    filterset_fields = ["is_active"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.program_list()

    @extend_schema(request=ProgramCreateInput, responses={201: ProgramOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(ProgramCreateInput, request)
        program = chart.program_create(
            code=data["code"],
            name=data["name"],
            description=data["description"],
            acting_user=request.user,
        )
        return Response(ProgramOutput(program).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProgramUpdateInput, responses={200: ProgramOutput, 400: ErrorOutput})
    def partial_update(self, request: AuthenticatedRequest, code: str) -> Response:
        program = self.get_object()
        data = validated_data(ProgramUpdateInput, request, instance=program)
        program = chart.program_update(
            program=program,
            name=data.get("name"),
            description=data.get("description"),
            is_active=data.get("is_active"),
            acting_user=request.user,
        )
        return Response(ProgramOutput(program).data)


# --- Periods -----------------------------------------------------------------------------------


class PeriodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The monthly periods of the fiscal years; postings dated in a closed one are refused."""

    serializer_class = PeriodOutput
    permission_classes = [ACCOUNTING]
    filterset_fields = ["fiscal_year", "state"]
    ordering = ["start"]
    ordering_fields = ["start"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.period_list()

    @extend_schema(
        operation_id="v1_accounting_periods_close",
        request=None,
        responses={200: PeriodOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Close the period: nothing more can be posted in it. Periods close in order (409
        while an earlier one is open), and drafts dated in it must be posted or deleted first;
        the other open items of its checklist are recorded with the close in the audit log."""
        period = periods.period_close(period=self.get_object(), acting_user=request.user)
        return Response(PeriodOutput(period).data)

    @extend_schema(
        operation_id="v1_accounting_periods_checklist",
        responses={200: PeriodChecklistOutput},
    )
    @action(detail=True, methods=["get"])
    def checklist(self, request: AuthenticatedRequest, pk: str) -> Response:
        """What is still open in the books for the period: drafts dated in it, open deposits,
        gifts not yet posted, each with its count and the page that settles it. Items that
        block the close say so."""
        period = self.get_object()
        items = closing_checklist(start=period.start, end=period.end)
        return Response(PeriodChecklistOutput({"period": period, "items": items}).data)

    @extend_schema(
        operation_id="v1_accounting_periods_reopen",
        request=PeriodReopenInput,
        responses={200: PeriodOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reopen the latest closed period, with a reason (required, kept in the audit log).
        A period closed before a later closed one is refused (409): reopen the later first."""
        period = self.get_object()
        data = validated_data(PeriodReopenInput, request)
        period = periods.period_reopen(
            period=period, reason=data["reason"], acting_user=request.user
        )
        return Response(PeriodOutput(period).data)


# --- Journal entries ---------------------------------------------------------------------------


def _having_line(queryset: QuerySet[JournalEntry], **lookup: Any) -> QuerySet[JournalEntry]:
    # EXISTS rather than a join: an entry with two lines on the account is listed once.
    return queryset.filter(Exists(JournalLine.objects.filter(entry=OuterRef("pk"), **lookup)))


class JournalEntryFilter(FilterSet):
    start = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="Dated on or after (YYYY-MM-DD)."
    )
    end = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label="Dated on or before (YYYY-MM-DD)."
    )
    account = django_filters.CharFilter(
        method="filter_account", label="An account code: entries with a line on it."
    )
    fund = django_filters.CharFilter(
        method="filter_fund", label="A fund code: entries with a line in it."
    )

    class Meta:
        model = JournalEntry
        fields = ["state", "source"]

    def filter_account(
        self, queryset: QuerySet[JournalEntry], name: str, value: str
    ) -> QuerySet[JournalEntry]:
        return _having_line(queryset, account__code=value)

    def filter_fund(
        self, queryset: QuerySet[JournalEntry], name: str, value: str
    ) -> QuerySet[JournalEntry]:
        return _having_line(queryset, fund__code=value)


class JournalEntryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Journal entries with their lines. Create makes a draft; post puts it in the books;
    a posted entry is never changed, only reversed; only a draft can be deleted."""

    serializer_class = EntryOutput
    permission_classes = [ACCOUNTING]
    filterset_class = JournalEntryFilter
    parser_classes = [JSONParser]  # lines nest: a form cannot carry them
    ordering = ["-date", "-id"]
    ordering_fields = ["date", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.entry_list()

    def _output(self, entry: JournalEntry) -> dict[str, Any]:
        # Read back with the list's prefetches: one query for the lines, not one per line.
        return dict(EntryOutput(self.get_queryset().get(pk=entry.pk)).data)

    @extend_schema(request=EntryCreateInput, responses={201: EntryOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(EntryCreateInput, request)
        entry = entries.entry_create(
            date=data["date"],
            memo=data["memo"],
            lines=[
                LineSpec(
                    account=line["account"],
                    fund=line["fund"],
                    debit=line.get("debit"),
                    credit=line.get("credit"),
                    function=line.get("function") or None,
                    program=line.get("program") or None,
                    memo=line["memo"],
                )
                for line in data["lines"]
            ],
            acting_user=request.user,
        )
        return Response(self._output(entry), status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: ErrorOutput})
    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        entries.entry_delete(entry=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="v1_accounting_journal_entries_post",
        request=None,
        responses={200: EntryOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_entry(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Post a draft: it gets the next number. Spending from a purpose- or time-restricted
        fund posts the release from restriction with it. 409 in a closed period."""
        entry = entries.entry_post(entry=self.get_object(), acting_user=request.user)
        return Response(self._output(entry))

    @extend_schema(
        operation_id="v1_accounting_journal_entries_reverse",
        request=EntryReverseInput,
        responses={201: EntryOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="reverse", url_name="reverse")
    def reverse_entry(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reverse a posted entry with a new posted entry of the opposite sides; answers the
        reversal. Releases the entry generated are reversed with it."""
        entry = self.get_object()
        data = validated_data(EntryReverseInput, request)
        reversal = entries.entry_reverse(
            entry=entry, date=data.get("date"), memo=data["memo"], acting_user=request.user
        )
        return Response(self._output(reversal), status=status.HTTP_201_CREATED)


# --- Budgets -----------------------------------------------------------------------------------


class BudgetViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Annual budgets: twelve monthly amounts per revenue or expense account (optionally for a
    fund or a program). A new budget is a draft; its lines are replaced as a whole; an approved
    budget refuses changes (409) until it is returned to draft. The statements compare with
    the approved ones (`compare=budget`)."""

    serializer_class = BudgetOutput
    permission_classes = [ACCOUNTING]
    filterset_fields = ["fiscal_year", "state"]
    ordering = ["-fiscal_year", "name"]
    ordering_fields = ["fiscal_year", "name", "updated_at"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.budget_desk_list(filters=selectors.BudgetFilters())

    def _detail(self, pk: Any) -> Budget:
        budget = selectors.budget_detail(pk=pk) if str(pk).isdigit() else None
        if budget is None:
            raise NotFound("There is no such budget.")
        return budget

    def _output(self, budget: Budget) -> dict[str, Any]:
        # Read back with its lines and their count: the answer is what the books now hold.
        return dict(BudgetDetailOutput(self._detail(budget.pk)).data)

    @extend_schema(responses={200: BudgetDetailOutput, 404: ErrorOutput})
    def retrieve(self, request: AuthenticatedRequest, pk: str) -> Response:
        """A budget with its months and its lines."""
        return Response(BudgetDetailOutput(self._detail(pk)).data)

    @extend_schema(request=BudgetCreateInput, responses={201: BudgetDetailOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        """A draft budget for a fiscal year, with no lines yet; its months follow the
        organization's fiscal year. A name is used once a year (400)."""
        data = validated_data(BudgetCreateInput, request)
        budget = budgets.budget_create(
            name=data["name"], fiscal_year=data["fiscal_year"], acting_user=request.user
        )
        return Response(self._output(budget), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_accounting_budgets_lines",
        request=BudgetLinesInput,
        responses={200: BudgetDetailOutput, 400: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["put"], url_path="lines", url_name="lines")
    def lines(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Replace the draft budget's lines: every line checked, none saved if one is wrong
        (400, each problem named by its row); lines of twelve zeros are left out. 409 once
        approved."""
        budget = self._detail(pk)
        data = validated_data(BudgetLinesInput, request)
        budgets.budget_amounts_save(
            budget=budget,
            rows=[
                BudgetRowSpec(
                    account=line["account"],
                    fund=line["fund"],
                    program=line["program"],
                    amounts=line["amounts"],
                )
                for line in data["lines"]
            ],
            acting_user=request.user,
        )
        return Response(self._output(budget))

    @extend_schema(
        operation_id="v1_accounting_budgets_approve",
        request=None,
        responses={200: BudgetDetailOutput, 404: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Approve the draft: what the board agreed, and what the statements compare with.
        Its amounts are then fixed. 409 if already approved."""
        budget = budgets.budget_approve(budget=self._detail(pk), acting_user=request.user)
        return Response(self._output(budget))

    @extend_schema(
        operation_id="v1_accounting_budgets_return_to_draft",
        request=None,
        responses={200: BudgetDetailOutput, 404: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="return-to-draft", url_name="return-to-draft")
    def return_to_draft(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Return the approved budget to draft, so that its lines can change. 409 if it is a
        draft."""
        budget = budgets.budget_return_to_draft(budget=self._detail(pk), acting_user=request.user)
        return Response(self._output(budget))


# --- Settings ----------------------------------------------------------------------------------


def _settings_output(settings_row: AccountingSettings) -> dict[str, Any]:
    start_month = settings_row.fiscal_year_start_month
    year = selectors.fiscal_year_of(timezone.localdate(), start_month=start_month)
    start, end = selectors.fiscal_year_bounds(year, start_month=start_month)
    return dict(
        SettingsOutput(
            {
                "fiscal_year_start_month": start_month,
                "currency": settings_row.currency,
                "current_fiscal_year": {"year": year, "start": start, "end": end},
            }
        ).data
    )


class SettingsView(APIView):
    """The organization's accounting settings (one object)."""

    permission_classes = [
        capability_required(read=Capability.ACCOUNTING_READ, write=Capability.SETTINGS_MANAGE)
    ]

    @extend_schema(responses={200: SettingsOutput})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(_settings_output(selectors.accounting_settings()))

    @extend_schema(
        request=SettingsUpdateInput,
        responses={200: SettingsOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        settings_row = selectors.accounting_settings()
        data = validated_data(SettingsUpdateInput, request, instance=settings_row)
        if "fiscal_year_start_month" in data:
            settings_row = periods.settings_update(
                fiscal_year_start_month=data["fiscal_year_start_month"], acting_user=request.user
            )
        return Response(_settings_output(settings_row))


# --- Reports -----------------------------------------------------------------------------------


class ReportView(reporting.ReportView):
    """A financial report as JSON, or as CSV with ?format=csv (or Accept: text/csv)."""

    permission_classes = [capability_required(read=Capability.ACCOUNTING_READ)]
    registry = reports.REPORTS
    query_serializer = ReportQueryInput
    parameter_types = {**reporting.DATE_PARAMETERS, "size": OpenApiTypes.INT}
    parameter_docs = {
        "as_of": "trial-balance, financial-position, fund-balances: the balance date (today).",
        "start": "activities, functional-expenses, general-ledger: the first day (the first day "
        "of the fiscal year `end` is in).",
        "end": "activities, functional-expenses, general-ledger: the last day (today).",
        "account": "general-ledger (required): the account code.",
        "fund": "trial-balance, general-ledger: only this fund (a fund code).",
        "after": "general-ledger: the page after this line (the `page.next` of the page "
        "before); leave it out for the first page. JSON answers a page of lines in the order "
        "(date, entry number, line), with `page` {first, last, total, next}; the opening and "
        "closing balances and the totals are the period's on every page. CSV streams every "
        "line.",
        "size": "general-ledger: lines in a JSON page, 1 to 1000 (200).",
        "compare": "financial-position, activities, functional-expenses: add the figures of "
        "the prior period (the period just before, or the end of the month before a balance "
        "date) or the prior year, and the change, as two more columns. activities and "
        "functional-expenses also take budget: the approved budget for the same whole months "
        "(from the first of a month to the last day of one) and the actual over (under) it; "
        "400 where a month has no approved budget.",
    }

    def report_arguments(
        self, name: str, values: dict[str, Any], accepted: list[str]
    ) -> dict[str, Any]:
        """as_of and end today, start the first day of the fiscal year `end` falls in."""
        today = timezone.localdate()
        arguments: dict[str, Any] = {}
        if "as_of" in accepted:
            arguments["as_of"] = values.get("as_of", today)
        if "end" in accepted:
            arguments["end"] = values.get("end", today)
        if "start" in accepted:
            arguments["start"] = values.get("start") or selectors.fiscal_year_start(
                arguments["end"]
            )
        if "account" in accepted:
            if "account" not in values:
                raise ServiceError(
                    f"account: the {name} report is about one account; "
                    "give its code (?account=1010).",
                    fields={"account": ["Required."]},
                )
            arguments["account"] = values["account"]
        if "fund" in accepted:
            arguments["fund"] = values.get("fund")
        if "compare" in accepted:
            arguments["compare"] = values.get("compare")
        for paging in ("after", "size"):
            if paging in accepted and paging in values:
                arguments[paging] = values[paging]
        return arguments
