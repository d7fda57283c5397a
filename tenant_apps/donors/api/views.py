"""The donors API: donors (search, contacts, notes, tags, duplicates, merge), households and
tags. A write validates its input, calls one service and serializes what it returns; the
services' refusals come back in the one error shape (400, or 409 for a state conflict)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import django_filters
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from saas_platform.lib.api import CursorPagination, ErrorOutput, validated_data
from saas_platform.lib.csv_export import CSVRenderer, csv_text_cell
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import FilterSet
from shared_apps.users.permissions import capability_required
from shared_apps.users.requests import AuthenticatedRequest
from shared_apps.users.roles import Capability
from tenant_apps.donors import selectors
from tenant_apps.donors.api.serializers import (
    DonorCreatedOutput,
    DonorCreateInput,
    DonorOutput,
    DonorUpdateInput,
    DuplicateOutput,
    HouseholdCreateInput,
    HouseholdMemberInput,
    HouseholdOutput,
    MergeInput,
    MergeOutput,
    NoteInput,
    NoteOutput,
    TagInput,
    TagOutput,
)
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorKind,
    DonorPhone,
    Household,
    Tag,
)
from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec, PhoneSpec
from tenant_apps.donors.services.donors import donor_create, donor_note_add, donor_update
from tenant_apps.donors.services.households import (
    household_add,
    household_create,
    household_remove,
    household_update,
)
from tenant_apps.donors.services.imports import DONOR_CSV_COLUMNS, TAG_SEPARATOR
from tenant_apps.donors.services.merges import donor_merge
from tenant_apps.donors.services.tags import donor_tag_add, donor_tag_remove, tag_create

DONORS = capability_required(read=Capability.DONORS_READ, write=Capability.DONORS_WRITE)


def _household_by_id(household_id: int, *, field: str) -> Household:
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise ServiceError(
            f"There is no household {household_id}.", fields={field: ["Unknown household."]}
        )
    return household


class DonorFilter(FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label="Search by name (typos forgiven), email, phone or tag name."
    )
    tag = django_filters.CharFilter(
        field_name="tags__name", lookup_expr="iexact", label="A tag name (any case)."
    )
    kind = django_filters.ChoiceFilter(choices=DonorKind.choices)

    class Meta:
        model = Donor
        fields = ["kind", "is_active", "household"]

    def filter_q(self, queryset: QuerySet[Donor], name: str, value: str) -> QuerySet[Donor]:
        return selectors.donor_search(query=value, donors=queryset)


class NoteCursorPagination(CursorPagination):
    """A donor's notes, newest first, a page at a time: they grow for as long as the donor
    gives. The donor list's `ordering` does not apply to them."""

    # DRF takes a tuple of orderings here; drf-stubs type ordering as one string.
    ordering = ("-created_at", "-id")  # type: ignore[assignment]

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        return self.ordering


@extend_schema_view(
    list=extend_schema(description="Donors by display name; `q` searches."),
    retrieve=extend_schema(description="A donor with contacts, tags and household."),
)
class DonorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Donors, people and organizations. A merged donor stays, inactive, with `merged_into`."""

    serializer_class = DonorOutput
    permission_classes = [DONORS]
    filterset_class = DonorFilter
    parser_classes = [JSONParser]  # contacts nest: a form cannot carry them
    ordering = ["display_name", "id"]
    ordering_fields = ["display_name", "created_at", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.donor_list()

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # The export's errors keep the one JSON error shape, though CSV was asked for (or, on a
        # 406, though no renderer suits the client: DRF then falls back on the first, CSV).
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            isinstance(response, Response)
            and response.status_code >= 400
            and isinstance(response.accepted_renderer, CSVRenderer)
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

    def _output(self, donor: Donor) -> dict[str, Any]:
        # Read back with the list's prefetches: one query per kind of contact.
        return dict(DonorOutput(self.get_queryset().get(pk=donor.pk)).data)

    @extend_schema(request=DonorCreateInput, responses={201: DonorCreatedOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        """Create a donor with its contacts and tags. The answer lists `possible_duplicates`:
        existing donors with the same email or phone, or a similar name at the same postcode."""
        data = validated_data(DonorCreateInput, request)
        household = (
            _household_by_id(data["household"], field="household")
            if data["household"] is not None
            else None
        )
        donor = donor_create(
            names=DonorNames(
                kind=data["kind"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                organization_name=data["organization_name"],
            ),
            emails=[EmailSpec(**row) for row in data["emails"]],
            phones=[PhoneSpec(**row) for row in data["phones"]],
            addresses=[AddressSpec(**row) for row in data["addresses"]],
            tags=data["tags"],
            household=household,
            email_ok=data["email_ok"],
            email_news_ok=data["email_news_ok"],
            mail_ok=data["mail_ok"],
            phone_ok=data["phone_ok"],
            do_not_contact=data["do_not_contact"],
            notes=data["notes"],
            acting_user=request.user,
        )
        donor = self.get_queryset().get(pk=donor.pk)
        duplicates = selectors.donor_duplicates_suggest(
            candidate=selectors.candidate_of(donor), exclude=donor
        )
        body = dict(DonorOutput(donor).data)
        body["possible_duplicates"] = DuplicateOutput(duplicates, many=True).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DonorUpdateInput, responses={200: DonorOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        donor = self.get_object()
        data = validated_data(DonorUpdateInput, request)
        emails = [EmailSpec(**row) for row in data.pop("emails")] if "emails" in data else None
        phones = [PhoneSpec(**row) for row in data.pop("phones")] if "phones" in data else None
        addresses = (
            [AddressSpec(**row) for row in data.pop("addresses")] if "addresses" in data else None
        )
        donor = donor_update(
            donor=donor,
            acting_user=request.user,
            emails=emails,
            phones=phones,
            addresses=addresses,
            **data,
        )
        return Response(self._output(donor))

    @extend_schema(
        operation_id="v1_donors_donors_duplicates",
        request=None,
        responses={200: DuplicateOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def duplicates(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Donors that may be the same as this one, best first, with the reasons."""
        donor = self.get_object()
        suggestions = selectors.donor_duplicates_suggest(
            candidate=selectors.candidate_of(donor), exclude=donor
        )
        return Response(DuplicateOutput(suggestions, many=True).data)

    @extend_schema(
        operation_id="v1_donors_donors_merge",
        request=MergeInput,
        responses={200: MergeOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Merge the donor `merged` into this one, which survives. Refused across kinds
        (individual, organization) unless `allow_different_kinds`."""
        survivor = self.get_object()
        data = validated_data(MergeInput, request)
        result = donor_merge(
            survivor=survivor,
            merged=selectors.donor_by_id(data["merged"], field="merged"),
            allow_different_kinds=data["allow_different_kinds"],
            acting_user=request.user,
        )
        return Response(
            MergeOutput(
                {"survivor": self.get_queryset().get(pk=survivor.pk), "record": result.record}
            ).data
        )

    @extend_schema(
        operation_id="v1_donors_donors_notes",
        methods=["GET"],
        request=None,
        responses={200: NoteOutput(many=True)},
    )
    @extend_schema(
        operation_id="v1_donors_donors_notes_add",
        methods=["POST"],
        request=NoteInput,
        responses={201: NoteOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=NoteCursorPagination)
    def notes(self, request: AuthenticatedRequest, pk: str) -> Response:
        """The donor's notes, newest first, a page at a time; POST adds one."""
        donor = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.donor_notes(donor=donor))
            return self.get_paginated_response(NoteOutput(page, many=True).data)
        data = validated_data(NoteInput, request)
        note = donor_note_add(donor=donor, body=data["body"], acting_user=request.user)
        return Response(NoteOutput(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="v1_donors_donors_tags_add",
        request=TagInput,
        responses={200: DonorOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"], url_path="tags")
    def tag_add(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Tag the donor; a tag of a new name is created."""
        donor = self.get_object()
        data = validated_data(TagInput, request)
        donor_tag_add(donor=donor, name=data["name"], acting_user=request.user)
        return Response(self._output(donor))

    @extend_schema(
        operation_id="v1_donors_donors_tags_remove",
        request=None,
        parameters=[OpenApiParameter("tag_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: DonorOutput, 404: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["delete"], url_path=r"tags/(?P<tag_id>[0-9]+)")
    def tag_remove(self, request: AuthenticatedRequest, pk: str, tag_id: str) -> Response:
        """Take a tag off the donor."""
        donor = self.get_object()
        tag = Tag.objects.filter(pk=int(tag_id)).first()
        if tag is None:
            raise ServiceError(f"There is no tag {tag_id}.", fields={"tag": ["Unknown tag."]})
        donor_tag_remove(donor=donor, tag=tag, acting_user=request.user)
        return Response(self._output(donor))

    @extend_schema(
        operation_id="v1_donors_donors_export",
        request=None,
        responses={(200, "text/csv"): OpenApiTypes.STR, 406: ErrorOutput},
    )
    # JSON is there for the error answers only: the file itself is CSV, whatever is asked.
    @action(detail=False, methods=["get"], renderer_classes=[CSVRenderer, JSONRenderer])
    def export(self, request: AuthenticatedRequest) -> StreamingHttpResponse:
        """The donors the list's filters and search select (merged donors left out), as a CSV
        file in the columns the donor import reads: an exported file imports as it is. One
        query, streamed, whatever the number of donors. Asked for with `Accept: text/csv`, or
        `?format=csv`, or no preference; a client that accepts only JSON gets a 406."""
        if not isinstance(request.accepted_renderer, CSVRenderer):
            raise NotAcceptable("The donor export is a CSV file: accept text/csv.")
        donors = _export_queryset(self.filter_queryset(self.get_queryset()))
        response = StreamingHttpResponse(_export_lines(donors), content_type="text/csv")
        day = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="donors-{day}.csv"'
        return response


# --- Export --------------------------------------------------------------------------------------


def _export_queryset(donors: QuerySet[Donor]) -> QuerySet[Donor]:
    """Each donor with its primary email, phone and address and its tags, from subqueries:
    one query for the whole file (prefetches would run one per chunk of donors)."""

    def primary(model: type[DonorEmail | DonorPhone | DonorAddress]) -> QuerySet[Any]:
        return model.objects.filter(donor=OuterRef("pk")).order_by("-is_primary", "id")

    address = JSONObject(
        line1="line1",
        line2="line2",
        city="city",
        region="region",
        postcode="postcode",
        country="country",
    )
    tags = (
        Donor.tags.through.objects.filter(donor=OuterRef("pk"))
        .values("donor")
        .annotate(names=ArrayAgg("tag__name", order_by=("tag__name",)))
        # django-stubs check values() against the model's fields, not the annotation above.
        .values("names")  # type: ignore[misc]
    )
    return (
        donors.filter(merged_into__isnull=True)
        .prefetch_related(None)
        .select_related(None)
        .annotate(
            export_email=Subquery(primary(DonorEmail).values("email")[:1]),
            export_phone=Subquery(primary(DonorPhone).values("number")[:1]),
            export_address=Subquery(primary(DonorAddress).values(json=address)[:1]),
            export_tags=Subquery(tags),
        )
    )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _export_row(donor: Donor) -> list[str]:
    # export_* (here and below) are annotations of _export_queryset.
    address = donor.export_address or {}  # type: ignore[attr-defined]
    cells = {
        "type": donor.kind,
        "first_name": donor.first_name,
        "last_name": donor.last_name,
        "organization_name": donor.organization_name,
        # export_email, export_phone and export_tags are annotations of the export's selector.
        "email": donor.export_email,  # type: ignore[attr-defined]
        "phone": donor.export_phone,  # type: ignore[attr-defined]
        "address_line1": address.get("line1"),
        "address_line2": address.get("line2"),
        "city": address.get("city"),
        "region": address.get("region"),
        "postcode": address.get("postcode"),
        "country": address.get("country"),
        "tags": TAG_SEPARATOR.join(donor.export_tags or []),  # type: ignore[attr-defined]
        "email_ok": _yes_no(donor.email_ok),
        "email_news_ok": _yes_no(donor.email_news_ok),
        "mail_ok": _yes_no(donor.mail_ok),
        "phone_ok": _yes_no(donor.phone_ok),
        "do_not_contact": _yes_no(donor.do_not_contact),
        "notes": donor.notes,
    }
    return [csv_text_cell(cells[column]) for column in DONOR_CSV_COLUMNS]


class _Line:
    """A file-like object csv.writer writes one line to, handed back at once."""

    def write(self, value: str) -> str:
        return value


def _export_lines(donors: QuerySet[Donor]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte order mark makes Excel read the file as UTF-8 (the import accepts it).
    yield "\ufeff" + writer.writerow(DONOR_CSV_COLUMNS)
    for donor in donors.iterator(chunk_size=2000):
        yield writer.writerow(_export_row(donor))


class HouseholdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Households and their members."""

    serializer_class = HouseholdOutput
    permission_classes = [DONORS]
    ordering = ["name", "id"]
    ordering_fields = ["name", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.household_list()

    def _output(self, household: Household) -> dict[str, Any]:
        return dict(HouseholdOutput(self.get_queryset().get(pk=household.pk)).data)

    @extend_schema(request=HouseholdCreateInput, responses={201: HouseholdOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(HouseholdCreateInput, request)
        household = household_create(name=data["name"], acting_user=request.user)
        return Response(self._output(household), status=status.HTTP_201_CREATED)

    @extend_schema(request=HouseholdCreateInput, responses={200: HouseholdOutput, 400: ErrorOutput})
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        household = self.get_object()
        # A partial update: a field left out keeps its value.
        data = validated_data(HouseholdCreateInput, request, instance=household)
        household = household_update(
            household=household, name=data.get("name", household.name), acting_user=request.user
        )
        return Response(self._output(household))

    @extend_schema(
        operation_id="v1_donors_households_add",
        request=HouseholdMemberInput,
        responses={200: HouseholdOutput, 400: ErrorOutput, 409: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def add(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Add a donor to the household (409 if they are in another one)."""
        household = self.get_object()
        data = validated_data(HouseholdMemberInput, request)
        household_add(
            household=household,
            donor=selectors.donor_by_id(data["donor"], field="donor"),
            acting_user=request.user,
        )
        return Response(self._output(household))

    @extend_schema(
        operation_id="v1_donors_households_remove",
        request=HouseholdMemberInput,
        responses={200: HouseholdOutput, 400: ErrorOutput},
    )
    @action(detail=True, methods=["post"])
    def remove(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Take a donor out of the household."""
        household = self.get_object()
        data = validated_data(HouseholdMemberInput, request)
        household_remove(
            household=household,
            donor=selectors.donor_by_id(data["donor"], field="donor"),
            acting_user=request.user,
        )
        return Response(self._output(household))


class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tags, unique by name ignoring case."""

    serializer_class = TagOutput
    permission_classes = [DONORS]
    ordering = ["name", "id"]
    ordering_fields = ["name", "id"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.tag_list()

    @extend_schema(request=TagInput, responses={201: TagOutput, 400: ErrorOutput})
    def create(self, request: AuthenticatedRequest) -> Response:
        data = validated_data(TagInput, request)
        tag = tag_create(name=data["name"], acting_user=request.user)
        return Response(TagOutput(tag).data, status=status.HTTP_201_CREATED)
