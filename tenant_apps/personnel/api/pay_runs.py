"""The pay-run API under /api/v1/personnel/: pay runs entered or imported from the payroll
provider's file, their lines changed while not posted, the preview of their allocation and
entry, posting, reversing and posting again, deleting one never posted; and the accounts pay
runs post to. The same services as the pages under /pay-runs/; PAY_READ reads, PAYROLL_POST
acts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.filters import BooleanFilter, FilterSet
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.personnel import selectors_payroll as selectors
from tenant_apps.personnel.allocation import pay_run_allocation_compute
from tenant_apps.personnel.api.serializers import (
    PayRunAccountsInput,
    PayRunAccountsOutput,
    PayRunCreateInput,
    PayRunDetailOutput,
    PayRunImportInput,
    PayRunLinesInput,
    PayRunOutput,
    PayRunPreviewOutput,
    PayRunReverseInput,
)
from tenant_apps.personnel.models import PayRun, PersonnelSettings, StaffRecord
from tenant_apps.personnel.pay_run_files import HEADERS, MAX_FILE_BYTES
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.pay_runs import (
    PayLine,
    pay_run_create,
    pay_run_delete,
    pay_run_entry_lines,
    pay_run_import,
    pay_run_lines_set,
    pay_run_post,
    pay_run_repost,
)
from tenant_apps.personnel.services.payroll import payroll_allocation_reverse
from tenant_apps.personnel.services.settings import PAY_RUN_ACCOUNT_SETTINGS, settings_update

PAY = capability_required(read=Capability.PAY_READ, write=Capability.PAYROLL_POST)
WRITE_ANSWERS = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


def pay_lines_of(lines: list[dict[str, Any]]) -> list[PayLine]:
    """The lines of an input with their staff records (one query); an unknown staff record is
    refused, naming its line."""
    ids = {line["staff_record"] for line in lines}
    records = {
        record.pk: record
        for record in StaffRecord.objects.select_related("person").filter(pk__in=ids)
    }
    unknown = [
        f"Line {number}: there is no staff record {line['staff_record']}."
        for number, line in enumerate(lines, start=1)
        if line["staff_record"] not in records
    ]
    if unknown:
        count = "One line names" if len(unknown) == 1 else f"{len(unknown)} lines name"
        raise ServiceError(
            f"{count} no staff record; nothing was saved.", fields={"lines": unknown}
        )
    return [
        PayLine(
            staff_record=records[line["staff_record"]],
            gross_pay=line["gross_pay"],
            employer_taxes=line["employer_taxes"],
            benefits=line["benefits"],
            where=f"Line {number}",
        )
        for number, line in enumerate(lines, start=1)
    ]


class PayRunFilter(FilterSet):
    posted = BooleanFilter(field_name="posted", label="Posted (true) or not (false).")
    paid_from = django_filters.DateFilter(
        field_name="pay_date", lookup_expr="gte", label="Paid on or after."
    )
    paid_to = django_filters.DateFilter(
        field_name="pay_date", lookup_expr="lte", label="Paid on or before."
    )

    class Meta:
        model = PayRun
        fields: list[str] = []


IMPORT_DESCRIPTION = (
    "Import a pay run from the payroll provider's CSV file (UTF-8, at most 1 MB, header on the "
    "first row). Each row is matched to a staff record by employee id, else email, else name; "
    "amounts are in dollars. Columns (any of the names given for each): "
    + "; ".join(f"{column}: {', '.join(names)}" for column, names in HEADERS.items())
    + ". Every bad or unmatched row is reported with its line number under fields.file, and "
    "nothing is saved unless every row is good."
)


@extend_schema_view(
    list=extend_schema(description="Pay runs, the latest paid first, with their totals."),
    retrieve=extend_schema(
        description="A pay run with its lines (each person's pay) and its postings."
    ),
)
class PayRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Pay runs: what the payroll provider paid for a period, posted to the books split by the
    hours approved in it."""

    serializer_class = PayRunOutput
    permission_classes = [PAY]
    parser_classes = [JSONParser]  # lines nest: a form cannot carry them
    filterset_class = PayRunFilter
    ordering = ["-pay_date", "-id"]
    ordering_fields = ["pay_date", "id"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[PayRun]:
        return selectors.pay_run_list().select_related("created_by")

    def get_serializer_class(self) -> type[PayRunOutput]:
        return PayRunDetailOutput if self.action == "retrieve" else PayRunOutput

    def _detail(self, run: PayRun) -> dict[str, Any]:
        """The run as it is now, with its lines and postings: four queries."""
        found = selectors.pay_run_of(run.pk)
        if found is None:
            raise NotFound("There is no such pay run.")
        found.lines_shown = selectors.pay_run_lines(found)  # type: ignore[attr-defined]  # output
        found.postings_shown = selectors.pay_run_postings(found)  # type: ignore[attr-defined]
        return dict(PayRunDetailOutput(found).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._detail(self.get_object()))

    @extend_schema(request=PayRunCreateInput, responses={201: PayRunDetailOutput, **WRITE_ANSWERS})
    def create(self, request: AuthenticatedRequest) -> Response:
        """Enter a pay run: its period, pay date and each person's gross pay, employer taxes
        and benefits. Every line's problem is reported under fields.lines; nothing is saved
        unless every line is good."""
        data = validated_data(PayRunCreateInput, request)
        run = pay_run_create(
            period_start=data["period_start"],
            period_end=data["period_end"],
            pay_date=data["pay_date"],
            lines=pay_lines_of(data["lines"]),
            acting_user=request.user,
        )
        return Response(self._detail(run), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_personnel_pay_runs_import",
        description=IMPORT_DESCRIPTION,
        request={"multipart/form-data": PayRunImportInput},
        responses={201: PayRunDetailOutput, **WRITE_ANSWERS},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(PayRunImportInput, request)
        upload = data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ServiceError(
                "The file is larger than 1 MB; import it in parts.",
                fields={"file": ["Larger than 1 MB."]},
            )
        run = pay_run_import(
            period_start=data["period_start"],
            period_end=data["period_end"],
            pay_date=data["pay_date"],
            raw=upload.read(),
            source_name=upload.name or "",
            acting_user=request.user,
        )
        return Response(self._detail(run), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_personnel_pay_runs_lines",
        request=PayRunLinesInput,
        responses={200: PayRunDetailOutput, **WRITE_ANSWERS},
    )
    @action(detail=True, methods=["put"])
    def lines(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Replace the run's lines: amounts changed, people added, people left out removed;
        checked as when the run was entered. Refused (409) while the run is posted: reverse
        the posting first."""
        run = self.get_object()
        data = validated_data(PayRunLinesInput, request)
        run = pay_run_lines_set(
            pay_run=run, lines=pay_lines_of(data["lines"]), acting_user=request.user
        )
        return Response(self._detail(run))

    @extend_schema(
        operation_id="v1_personnel_pay_runs_preview",
        responses={200: PayRunPreviewOutput, 404: ErrorOutput},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str) -> Response:
        """The run's cost split by the hours approved in its period, person by person, and the
        entry posting it would record now (the one posted, to the cent, if nothing changes)."""
        run = self.get_object()
        allocation = pay_run_allocation_compute(pay_run=run)
        specs = pay_run_entry_lines(allocation)
        names = selectors.ledger_names(
            account_codes={spec.account for spec in specs}, fund_codes=set()
        )
        entry = [
            {
                "account": spec.account,
                "account_name": names.get(spec.account, ""),
                "fund": spec.fund,
                "function": spec.function or None,
                "program": spec.program or None,
                "debit": Decimal(spec.debit) if spec.debit else None,
                "credit": Decimal(spec.credit) if spec.credit else None,
            }
            for spec in specs
        ]
        return Response(
            PayRunPreviewOutput(
                {
                    "pay_run": run.pk,
                    "posted": run.posted,
                    "total_cost": allocation.total_cost,
                    "people": allocation.people,
                    "entry": entry,
                }
            ).data
        )

    @extend_schema(
        operation_id="v1_personnel_pay_runs_post",
        request=None,
        responses={200: PayRunDetailOutput, **WRITE_ANSWERS},
    )
    # Not named `post`: a viewset's method of that name would answer every POST to the run.
    @action(detail=True, methods=["post"], url_path="post")
    def post_run(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Post the run's cost to the books, split by the hours approved in its period, dated
        the period's last day. Refused (409) when the run, or a day of its period, is posted."""
        run = self.get_object()
        pay_run_post(pay_run=run, acting_user=request.user)
        return Response(self._detail(run))

    @extend_schema(
        operation_id="v1_personnel_pay_runs_reverse",
        request=PayRunReverseInput,
        responses={200: PayRunDetailOutput, **WRITE_ANSWERS},
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reverse the run's posting on a date, saying why; its lines may then be corrected
        and the run posted again."""
        run = self.get_object()
        data = validated_data(PayRunReverseInput, request)
        posting = selectors.posting_in_force_of(run)
        if posting is None:
            raise StateConflict("This pay run is not posted: there is nothing to reverse.")
        payroll_allocation_reverse(
            allocation=posting, date=data["date"], reason=data["reason"], acting_user=request.user
        )
        return Response(self._detail(run))

    @extend_schema(
        operation_id="v1_personnel_pay_runs_repost",
        request=PayRunReverseInput,
        responses={200: PayRunDetailOutput, **WRITE_ANSWERS},
    )
    @action(detail=True, methods=["post"])
    def repost(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reverse the run's posting on a date, saying why, and post the run again at once (after
        hours in its period were approved or corrected, or its accounts changed): both or
        neither."""
        run = self.get_object()
        data = validated_data(PayRunReverseInput, request)
        pay_run_repost(
            pay_run=run, date=data["date"], reason=data["reason"], acting_user=request.user
        )
        return Response(self._detail(run))

    @extend_schema(responses={204: None, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput})
    def destroy(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Delete a run that was never posted; a run posted once, even if reversed since, stays
        with its postings (409)."""
        pay_run_delete(pay_run=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _accounts_output(settings_row: PersonnelSettings) -> dict[str, Any]:
    return dict(
        PayRunAccountsOutput(
            {name: getattr(settings_row, name) for name in PAY_RUN_ACCOUNT_SETTINGS}
        ).data
    )


class PayRunAccountsView(APIView):
    """The accounts pay runs post to (a part of the personnel settings): read with PAY_READ,
    changed with PAYROLL_POST. The salaries and the employer's taxes and benefits are expense
    accounts; the credit is accrued payroll (a liability) or the bank (an asset)."""

    permission_classes = [PAY]

    @extend_schema(operation_id="v1_personnel_pay_run_accounts_read",
                   responses={200: PayRunAccountsOutput})  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(_accounts_output(personnel_settings()))

    @extend_schema(
        operation_id="v1_personnel_pay_run_accounts_update",
        request=PayRunAccountsInput,
        responses={200: PayRunAccountsOutput, 400: ErrorOutput, 403: ErrorOutput},
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(PayRunAccountsInput, request)
        return Response(_accounts_output(settings_update(acting_user=request.user, **data)))
