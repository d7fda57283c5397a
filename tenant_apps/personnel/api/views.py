"""The personnel API: people, staff records, volunteers, hour entries and their approval,
settings, payroll allocations and reports. A write validates its input, calls one service and
serializes what it returns; refusals come back in the one error shape."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from saas_platform.lib import report_api as reporting
from saas_platform.lib.api import ErrorOutput, validated_data
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import FilterSet
from shared_apps.users.models import User
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Function
from tenant_apps.donors import selectors as donor_selectors
from tenant_apps.personnel import reports, selectors
from tenant_apps.personnel.api.serializers import (
    HourBulkInput,
    HourBulkOutput,
    HourBulkRejectInput,
    HourEntryCreateInput,
    HourEntryOutput,
    HourEntryUpdateInput,
    HourRejectInput,
    PayrollAllocationInput,
    PayrollAllocationOutput,
    PersonCreateInput,
    PersonnelSettingsOutput,
    PersonnelSettingsUpdateInput,
    PersonOutput,
    PersonUpdateInput,
    ReportIndexItemOutput,
    ReportQueryInput,
    StaffCreateInput,
    StaffOutput,
    StaffPayOutput,
    StaffUpdateInput,
    VolunteerCreateInput,
    VolunteerOutput,
    VolunteerUpdateInput,
)
from tenant_apps.personnel.models import (
    HourEntry,
    HourState,
    PayrollAllocation,
    Person,
    PersonnelSettings,
    StaffRecord,
    Volunteer,
    WorkerKind,
)
from tenant_apps.personnel.services.approvals import (
    hour_entries_approve,
    hour_entries_reject,
    hour_entry_approve,
    hour_entry_reject,
)
from tenant_apps.personnel.services.hours import hour_entry_submit, hour_entry_update
from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.people import person_create, person_update
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.services.staff import staff_record_create, staff_record_update
from tenant_apps.personnel.services.volunteers import volunteer_create, volunteer_update

PERSONNEL = capability_required(read=Capability.PERSONNEL_READ, write=Capability.PERSONNEL_WRITE)
PAY = capability_required(read=Capability.PAY_READ, write=Capability.PAYROLL_POST)
HOURS_APPROVING = capability_required(
    read=Capability.PERSONNEL_READ, write=Capability.HOURS_APPROVE
)
API = "/api/v1/personnel"


def _person_by_id(person_id: int, *, field: str = "person") -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ServiceError(f"There is no person {person_id}.", fields={field: ["Unknown person."]})
    return person


def _user_by_id(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ServiceError(
            f"There is no active login {user_id}.", fields={"user": ["Unknown login."]}
        )
    return user


def _links(data: dict[str, Any]) -> dict[str, Any]:
    """Ids of logins and donors in an input, as the objects the services take."""
    data = dict(data)
    if "user" in data:
        data["user"] = _user_by_id(data["user"])
    if "donor" in data:
        donor = data["donor"]
        data["donor"] = None if donor is None else donor_selectors.donor_by_id(donor, field="donor")
    return data


# --- People, staff, volunteers -----------------------------------------------------------------


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People who work for the organization, as staff, volunteers or both."""

    serializer_class = PersonOutput
    permission_classes = [PERSONNEL]
    ordering = ["full_name", "id"]
    ordering_fields = ["full_name", "id"]

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.person_list()

    def _output(self, person: Person) -> dict[str, Any]:
        return dict(PersonOutput(self.get_queryset().get(pk=person.pk)).data)

    @extend_schema(request=PersonCreateInput, responses={201: PersonOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        """Add a person, optionally linked to their login and to their donor record."""
        data = _links(validated_data(PersonCreateInput, request))
        person = person_create(acting_user=request.user, **data)
        return Response(self._output(person), status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonUpdateInput, responses={200: PersonOutput, 400: ErrorOutput})
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        person = self.get_object()
        data = _links(validated_data(PersonUpdateInput, request))
        person = person_update(person=person, acting_user=request.user, **data)
        return Response(self._output(person))


def _pay_check(request: AuthenticatedRequest, data: dict[str, Any]) -> None:
    """Setting a pay rate is reading it: refused (403) to a role that may not read pay."""
    if "pay_rate" in data and not request.user.has_capability(Capability.PAY_READ):
        raise PermissionDenied(
            "Your role does not allow reading or setting pay; a bookkeeper or an "
            "administrator sets pay rates."
        )


class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff records: position, dates and the default split of their time by function, and
    their pay rate for roles that may read pay."""

    serializer_class = StaffOutput
    permission_classes = [PERSONNEL]
    filterset_fields = ["employment_type", "pay_type", "department"]
    ordering = ["person__full_name", "id"]
    ordering_fields = ["person__full_name", "start_date", "id"]

    def get_queryset(self) -> QuerySet[StaffRecord]:
        return selectors.staff_list()

    def get_serializer_class(self) -> type[StaffOutput]:
        user = self.request.user
        if user.is_authenticated and user.has_capability(Capability.PAY_READ):
            return StaffPayOutput
        return StaffOutput

    def _output(self, record: StaffRecord) -> dict[str, Any]:
        serializer = self.get_serializer_class()
        return dict(serializer(self.get_queryset().get(pk=record.pk)).data)

    @extend_schema(
        request=StaffCreateInput, responses={201: StaffOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        """Give a person a staff record. The default split adds up to 100 percent; its program
        share names the program."""
        data = validated_data(StaffCreateInput, request)
        _pay_check(request, data)
        data["person"] = _person_by_id(data["person"])
        record = staff_record_create(acting_user=request.user, **data)
        return Response(self._output(record), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StaffUpdateInput, responses={200: StaffOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        record = self.get_object()
        data = validated_data(StaffUpdateInput, request)
        _pay_check(request, data)
        record = staff_record_update(record=record, acting_user=request.user, **data)
        return Response(self._output(record))


class VolunteerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Volunteers: skills, availability, emergency contact, background check, dates."""

    serializer_class = VolunteerOutput
    permission_classes = [PERSONNEL]
    filterset_fields = ["status"]
    ordering = ["person__full_name", "id"]
    ordering_fields = ["person__full_name", "start_date", "id"]

    def get_queryset(self) -> QuerySet[Volunteer]:
        return selectors.volunteer_list()

    def _output(self, volunteer: Volunteer) -> dict[str, Any]:
        return dict(VolunteerOutput(self.get_queryset().get(pk=volunteer.pk)).data)

    @extend_schema(
        request=VolunteerCreateInput,
        responses={201: VolunteerOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(VolunteerCreateInput, request)
        data["person"] = _person_by_id(data["person"])
        volunteer = volunteer_create(acting_user=request.user, **data)
        return Response(self._output(volunteer), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=VolunteerUpdateInput,
        responses={200: VolunteerOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        volunteer = self.get_object()
        data = validated_data(VolunteerUpdateInput, request)
        volunteer = volunteer_update(volunteer=volunteer, acting_user=request.user, **data)
        return Response(self._output(volunteer))


# --- Hours -------------------------------------------------------------------------------------


class HoursPermission(BasePermission):
    """Reading and submitting: those who read personnel records (all entries) and those who
    submit hours (their own: the list is cut to them). Deciding: HOURS_APPROVE."""

    message = "Your role does not allow this."
    DECISIONS = ("approve", "reject", "bulk_approve", "bulk_reject")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if getattr(view, "action", None) in self.DECISIONS:
            return user.has_capability(Capability.HOURS_APPROVE)
        if request.method in SAFE_METHODS:
            return user.has_capability(Capability.PERSONNEL_READ) or user.has_capability(
                Capability.HOURS_SUBMIT
            )
        return user.has_capability(Capability.HOURS_SUBMIT) or user.has_capability(
            Capability.PERSONNEL_WRITE
        )


class HourEntryFilter(FilterSet):
    start = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after.")
    end = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before.")
    state = django_filters.ChoiceFilter(choices=HourState.choices)
    kind = django_filters.ChoiceFilter(choices=WorkerKind.choices)
    function = django_filters.ChoiceFilter(choices=Function.choices)
    program = django_filters.CharFilter(field_name="program__code", label="A program code.")

    class Meta:
        model = HourEntry
        fields = ["person", "state", "kind", "function", "program"]


def _entries_by_id(ids: list[int], queryset: QuerySet[HourEntry]) -> list[HourEntry]:
    found = {entry.pk: entry for entry in queryset.filter(pk__in=ids)}
    missing = [entry_id for entry_id in ids if entry_id not in found]
    if missing:
        raise ServiceError(
            f"Hour entry {missing[0]} does not exist. Nothing was changed.",
            fields={"entries": {str(missing[0]): ["Unknown entry."]}},
        )
    return [found[entry_id] for entry_id in ids]


class HourEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hour entries. Submitted by the person (or anyone who manages personnel), approved or
    rejected by a volunteer coordinator or an administrator, never by the person themselves.
    Approved entries are not changed: a correction is a new entry."""

    serializer_class = HourEntryOutput
    permission_classes = [HoursPermission]
    filterset_class = HourEntryFilter
    ordering = ["-date", "-id"]
    ordering_fields = ["date", "id"]

    def get_queryset(self) -> QuerySet[HourEntry]:
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return HourEntry.objects.none()
        # HoursPermission admits logged-in users only; GenericViewSet types request as Request.
        return selectors.hour_entry_list(user=self.request.user)  # type: ignore[arg-type]

    def _output(self, entry: HourEntry) -> dict[str, Any]:
        return dict(HourEntryOutput(self.get_queryset().get(pk=entry.pk)).data)

    def _many(self, entries: list[HourEntry]) -> dict[str, Any]:
        by_id = {e.pk: e for e in self.get_queryset().filter(pk__in=[e.pk for e in entries])}
        return {"entries": HourEntryOutput([by_id[e.pk] for e in entries], many=True).data}

    @extend_schema(
        request=HourEntryCreateInput,
        responses={201: HourEntryOutput, 400: ErrorOutput, 403: ErrorOutput},
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        """Log hours. At most 24 a day per person, no future dates, only within the person's
        staff or volunteer dates; program hours name their program, others none."""
        data = validated_data(HourEntryCreateInput, request)
        person_id = data.pop("person")
        if person_id is None:
            person = selectors.person_of(request.user)
            if person is None:
                raise ServiceError(
                    "person: your login is not linked to a person; name whose hours these are.",
                    fields={"person": ["Required."]},
                )
        else:
            person = _person_by_id(person_id)
        entry = hour_entry_submit(person=person, acting_user=request.user, **data)
        return Response(self._output(entry), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=HourEntryUpdateInput,
        responses={200: HourEntryOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Change a submitted entry (409 once decided)."""
        entry = self.get_object()
        data = validated_data(HourEntryUpdateInput, request)
        entry = hour_entry_update(entry=entry, acting_user=request.user, **data)
        return Response(self._output(entry))

    @extend_schema(
        operation_id="v1_personnel_hours_approve",
        request=None,
        responses={200: HourEntryOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Approve submitted hours. Specialized volunteer services post as in-kind."""
        entry = hour_entry_approve(entry=self.get_object(), acting_user=request.user)
        return Response(self._output(entry))

    @extend_schema(
        operation_id="v1_personnel_hours_reject",
        request=HourRejectInput,
        responses={200: HourEntryOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reject submitted hours, saying why."""
        entry = self.get_object()
        data = validated_data(HourRejectInput, request)
        entry = hour_entry_reject(entry=entry, reason=data["reason"], acting_user=request.user)
        return Response(self._output(entry))

    @extend_schema(
        operation_id="v1_personnel_hours_bulk_approve",
        request=HourBulkInput,
        responses={200: HourBulkOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=False, methods=["post"], url_path="bulk-approve")
    def bulk_approve(self, request: AuthenticatedRequest) -> Response:
        """Approve several entries: all of them, or none (the error names the entry)."""
        data = validated_data(HourBulkInput, request)
        entries = _entries_by_id(data["entries"], self.get_queryset())
        decided = hour_entries_approve(entries=entries, acting_user=request.user)
        return Response(self._many(decided))

    @extend_schema(
        operation_id="v1_personnel_hours_bulk_reject",
        request=HourBulkRejectInput,
        responses={200: HourBulkOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=False, methods=["post"], url_path="bulk-reject")
    def bulk_reject(self, request: AuthenticatedRequest) -> Response:
        """Reject several entries with one reason: all of them, or none."""
        data = validated_data(HourBulkRejectInput, request)
        entries = _entries_by_id(data["entries"], self.get_queryset())
        decided = hour_entries_reject(
            entries=entries, reason=data["reason"], acting_user=request.user
        )
        return Response(self._many(decided))


# --- Settings ----------------------------------------------------------------------------------

RATE_SOURCE = (
    "Default: Independent Sector's published value of a volunteer hour in the United States "
    "for 2024 (34.79, released April 2025)."
)


def _settings_output(settings_row: PersonnelSettings) -> dict[str, Any]:
    return dict(
        PersonnelSettingsOutput(
            {
                "volunteer_hourly_rate": settings_row.volunteer_hourly_rate,
                "volunteer_hourly_rate_source": RATE_SOURCE,
                "payroll_posting_enabled": settings_row.payroll_posting_enabled,
                "salary_account": settings_row.salary_account,
                "officer_salary_account": settings_row.officer_salary_account,
                "in_kind_expense_account": settings_row.in_kind_expense_account,
                "payroll_taxes_account": settings_row.payroll_taxes_account,
                "benefits_account": settings_row.benefits_account,
                "accrued_payroll_account": settings_row.accrued_payroll_account,
            }
        ).data
    )


class SettingsView(APIView):
    """The organization's personnel settings (one object)."""

    permission_classes = [
        capability_required(read=Capability.PERSONNEL_READ, write=Capability.SETTINGS_MANAGE)
    ]

    @extend_schema(responses={200: PersonnelSettingsOutput})
    def get(self, request: Request) -> Response:
        return Response(_settings_output(selectors.personnel_settings()))

    @extend_schema(
        request=PersonnelSettingsUpdateInput,
        responses={200: PersonnelSettingsOutput, 400: ErrorOutput},
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(PersonnelSettingsUpdateInput, request)
        settings_row = settings_update(acting_user=request.user, **data)
        return Response(_settings_output(settings_row))


# --- Payroll allocations -----------------------------------------------------------------------


class PayrollAllocationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Payroll allocations posted to the ledger. Posting one needs the setting on."""

    serializer_class = PayrollAllocationOutput
    permission_classes = [PAY]
    ordering = ["-start", "-id"]
    ordering_fields = ["start", "id"]

    def get_queryset(self) -> QuerySet[PayrollAllocation]:
        return PayrollAllocation.objects.select_related("entry", "created_by")

    @extend_schema(
        request=PayrollAllocationInput,
        responses={201: PayrollAllocationOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    def create(self, request: AuthenticatedRequest) -> Response:
        """Post the payroll allocation of a date range as one journal entry dated its end;
        a range that overlaps one posted before is refused (409)."""
        data = validated_data(PayrollAllocationInput, request)
        if data["start"] > data["end"]:
            raise ServiceError(
                "The start date is after the end date.", fields={"start": ["After the end."]}
            )
        record = payroll_allocation_post(
            start=data["start"], end=data["end"], acting_user=request.user
        )
        record = self.get_queryset().get(pk=record.pk)
        return Response(PayrollAllocationOutput(record).data, status=status.HTTP_201_CREATED)


# --- Reports -----------------------------------------------------------------------------------


class ReportIndexView(reporting.ReportIndexView):
    """The personnel reports, with their URLs."""

    permission_classes = [capability_required(read=Capability.PERSONNEL_READ)]
    registry = reports.REPORTS
    item_serializer = ReportIndexItemOutput

    def item(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "summary": reports.REPORT_SUMMARIES[name],
            "url": f"{API}/reports/{name}/",
            "csv_url": f"{API}/reports/{name}/?format=csv",
        }

    def get(self, request: AuthenticatedRequest) -> Response:  # type: ignore[override]  # the user is signed in (permission_classes)
        readable = reports.reports_readable(
            can_read_pay=request.user.has_capability(Capability.PAY_READ)
        )
        return Response(
            self.item_serializer([self.item(name) for name in readable], many=True).data
        )


class ReportView(reporting.ReportView):
    """A personnel report as JSON, or as CSV with ?format=csv (or Accept: text/csv)."""

    permission_classes = [capability_required(read=Capability.PERSONNEL_READ)]
    registry = reports.REPORTS
    query_serializer = ReportQueryInput
    operation_id = "v1_personnel_reports_detail"
    parameter_docs = {
        "start": "The first day (the first of the month `end` is in).",
        "end": "The last day (today).",
    }
    json_description = (
        "report, title, parameters, then the report's own figures "
        "(amounts and hours as strings with two decimals)."
    )
    csv_description = "The report's table, header first."

    def get(  # type: ignore[override]  # the user is signed in (permission_classes)
        self, request: AuthenticatedRequest, name: str
    ) -> Response | StreamingHttpResponse:
        """The payroll allocation shows each person's pay: only for roles that may read pay."""
        if name in reports.PAY_REPORTS and not request.user.has_capability(Capability.PAY_READ):
            raise PermissionDenied("Your role does not allow reading pay.")
        return super().get(request, name)

    def report_arguments(
        self, name: str, values: dict[str, Any], accepted: list[str]
    ) -> dict[str, Any]:
        """end today, start the first of the month `end` is in."""
        end = values.get("end") or timezone.localdate()
        return {"start": values.get("start") or end.replace(day=1), "end": end}
