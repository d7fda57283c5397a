"""Request bodies (saas_platform.lib.api.Input): numbers bounded by the columns they write, and
fields an input does not take refused rather than dropped."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django_tenants.utils import schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework import serializers

import shared_apps
import tenant_apps
from saas_platform.lib.api import Input
from tenant_apps.accounting.models import Fund
from tenant_apps.donations.models import Deposit, Gift
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tenant_apps.personnel.models import PersonnelSettings, StaffRecord, Volunteer
from tenant_apps.personnel.tests.factories import person_made, staff_made, volunteer_made
from tests.helpers import api_error
from tests.plugin import Tenant

API = "/api/v1"


# --- Every input, walked -----------------------------------------------------------------------


def _api_modules() -> Iterator[Any]:
    for package in (tenant_apps, shared_apps):
        for app in pkgutil.iter_modules(package.__path__):
            try:
                api = importlib.import_module(f"{package.__name__}.{app.name}.api")
            except ModuleNotFoundError:
                continue
            yield api
            for module in pkgutil.iter_modules(api.__path__):
                yield importlib.import_module(f"{api.__name__}.{module.name}")


def _body_inputs() -> list[type[serializers.Serializer]]:
    """Every serializer of the API modules named *Input, except query parameters (which are not
    request bodies): found by import, so that a new input cannot be missed."""
    found = {
        value
        for module in _api_modules()
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, serializers.Serializer)
        and name.endswith("Input")
        and not name.endswith("QueryInput")
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _column_limits(column: models.Field) -> tuple[Decimal, Decimal]:
    if isinstance(column, models.ForeignKey):
        return _column_limits(column.target_field)
    if isinstance(column, models.DecimalField):
        largest = (
            Decimal(10) ** (column.max_digits - column.decimal_places)
            - Decimal(10) ** -column.decimal_places
        )
        return -largest, largest
    lowest, highest = connection.ops.integer_field_range(column.get_internal_type())
    return Decimal(lowest), Decimal(highest)


def _numeric_columns(
    cls: type[serializers.Serializer],
) -> Iterator[tuple[str, serializers.DecimalField | serializers.IntegerField, models.Field]]:
    """The number fields of input `cls` and the columns they write."""
    meta: Any = getattr(cls, "Meta", None)
    model, columns = meta.model, getattr(meta, "columns", {})
    for name, field in cls().fields.items():
        if not isinstance(field, serializers.DecimalField | serializers.IntegerField):
            continue
        column_name = columns.get(name, name)
        if column_name is None:
            continue
        try:
            column = model._meta.get_field(column_name)
        except FieldDoesNotExist:
            continue
        target = column.target_field if isinstance(column, models.ForeignKey) else column
        if isinstance(target, models.DecimalField | models.IntegerField | models.AutoField):
            yield name, field, column


def test_every_request_body_is_an_input_that_names_the_model_it_writes() -> None:
    inputs = _body_inputs()

    assert len(inputs) > 50  # the walk found the API's inputs
    plain = [cls.__qualname__ for cls in inputs if not issubclass(cls, Input)]
    assert plain == []
    unnamed = [
        cls.__qualname__ for cls in inputs if not hasattr(getattr(cls, "Meta", None), "model")
    ]
    assert unnamed == []


def test_every_number_field_is_bounded_by_the_column_it_writes() -> None:
    checked, loose = set(), []
    for cls in _body_inputs():
        if getattr(getattr(cls, "Meta", None), "model", None) is None:
            continue
        for name, field, column in _numeric_columns(cls):
            checked.add(f"{cls.__name__}.{name}")
            lowest, highest = _column_limits(column)
            if field.max_value is None or Decimal(field.max_value) > highest:
                loose.append(f"{cls.__name__}.{name}: max {field.max_value}, column {highest}")
            if field.min_value is None or Decimal(field.min_value) < lowest:
                loose.append(f"{cls.__name__}.{name}: min {field.min_value}, column {lowest}")
            if (
                isinstance(field, serializers.DecimalField)
                and isinstance(column, models.DecimalField)
                and (
                    field.max_digits is None
                    or field.max_digits > (column.max_digits or 0)
                    or (field.decimal_places or 0) > (column.decimal_places or 0)
                )
            ):
                loose.append(f"{cls.__name__}.{name}: {field.max_digits} digits, column more")

    assert loose == []
    assert {
        "DepositCreateInput.expected_count",
        "StaffCreateInput.pay_rate",
        "StaffUpdateInput.pay_rate",
        "PersonnelSettingsUpdateInput.volunteer_hourly_rate",
        "VolunteerCreateInput.specialized_rate",
        "VolunteerUpdateInput.specialized_rate",
        "LineInput.debit",
        "GiftCreateInput.amount",
    } <= checked


def test_a_tighter_bound_a_field_declares_is_kept() -> None:
    from tenant_apps.accounting.api.serializers import LineInput, SettingsUpdateInput
    from tenant_apps.donations.api.serializers import DepositCreateInput

    debit = LineInput().fields["debit"]
    count = DepositCreateInput().fields["expected_count"]
    month = SettingsUpdateInput().fields["fiscal_year_start_month"]
    assert isinstance(debit, serializers.DecimalField)
    assert isinstance(count, serializers.IntegerField)
    assert isinstance(month, serializers.IntegerField)
    assert debit.min_value == 0
    assert count.min_value == 1
    assert (month.min_value, month.max_value) == (1, 12)


# --- The six endpoints that answered 500 -------------------------------------------------------


def _count_and_state(model: type[models.Model], field: str) -> tuple[int, list[Any]]:
    with schema_context("alpha"):
        rows = model._default_manager
        return rows.count(), sorted(rows.values_list(field, flat=True), key=str)


def _case(alpha: Tenant, case: str) -> tuple[str, str, dict[str, Any], type[models.Model], str]:
    """For a case: the method, the path, the body without the number, and what it writes."""
    with schema_context("alpha"):
        if case == "deposit":
            body: dict[str, Any] = {"deposit_on": "2026-03-10", "expected_total": "10.00"}
            return "post", f"{API}/donations/deposits/", body, Deposit, "expected_count"
        if case == "staff-create":
            person = person_made("Maria Lopez")
            body = {
                "person": person.pk,
                "position": "Director",
                "employment_type": "full_time",
                "pay_type": "salaried",
                "start_date": "2025-01-01",
            }
            return "post", f"{API}/personnel/staff/", body, StaffRecord, "pay_rate"
        if case == "staff-update":
            staff = staff_made("Maria Lopez")
            return "patch", f"{API}/personnel/staff/{staff.pk}/", {}, StaffRecord, "pay_rate"
        if case == "settings":
            path = f"{API}/personnel/settings/"
            return "patch", path, {}, PersonnelSettings, "volunteer_hourly_rate"
        if case == "volunteer-create":
            person = person_made("Ben Ode")
            body = {"person": person.pk, "start_date": "2025-06-01"}
            return "post", f"{API}/personnel/volunteers/", body, Volunteer, "specialized_rate"
        volunteer = volunteer_made("Ben Ode")
        path = f"{API}/personnel/volunteers/{volunteer.pk}/"
        return "patch", path, {}, Volunteer, "specialized_rate"


SIX = [
    pytest.param("deposit", 2147483648, 2147483647, "2147483647", id="deposit-expected-count"),
    pytest.param(
        "staff-create", "10000000000.00", "9999999999.99", "9999999999.99", id="staff-create"
    ),
    pytest.param(
        "staff-update", "10000000000.00", "9999999999.99", "9999999999.99", id="staff-update"
    ),
    pytest.param("settings", "1000000.00", "999999.99", "999999.99", id="volunteer-hourly-rate"),
    pytest.param(
        "volunteer-create", "100000000.00", "99999999.99", "99999999.99", id="volunteer-create"
    ),
    pytest.param(
        "volunteer-update", "100000000.00", "99999999.99", "99999999.99", id="volunteer-update"
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "too_large", "largest", "shown"), SIX)
def test_a_number_past_its_column_is_a_400_that_changes_nothing(
    alpha: Tenant, case: str, too_large: int | str, largest: int | str, shown: str
) -> None:
    method, path, body, model, field = _case(alpha, case)
    before = _count_and_state(model, field)

    response = getattr(alpha.api(alpha.owner), method)(
        path, {**body, field: too_large}, format="json"
    )

    error = api_error(response, 400)
    assert error["code"] == "invalid"
    assert error["fields"] == {field: [f"Ensure this value is less than or equal to {shown}."]}
    assert _count_and_state(model, field) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "too_large", "largest", "shown"), SIX)
def test_the_largest_number_its_column_holds_is_taken(
    alpha: Tenant, case: str, too_large: int | str, largest: int | str, shown: str
) -> None:
    method, path, body, model, field = _case(alpha, case)

    response = getattr(alpha.api(alpha.owner), method)(
        path, {**body, field: largest}, format="json"
    )

    # Taken, or refused by a rule of the service: never a database error.
    assert response.status_code < 500, response.content
    if response.status_code < 300:
        with schema_context("alpha"):
            assert model._default_manager.filter(**{field: Decimal(shown)}).exists()


# --- Unknown fields ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_misspelt_field_on_a_donor_is_a_400_naming_it(in_alpha: Tenant) -> None:
    before = Donor.objects.count()
    body = {"kind": "individual", "last_name": "Doe", "frist_name": "Jane"}

    error = api_error(
        in_alpha.api(in_alpha.owner).post(f"{API}/donors/donors/", body, format="json"), 400
    )

    assert error["code"] == "invalid"
    assert error["fields"] == {"frist_name": ["Unknown field."]}
    assert error["message"] == "Unknown field: frist_name."
    assert Donor.objects.count() == before


@pytest.mark.django_db
def test_a_form_post_is_taken_with_its_csrf_token(
    alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = alpha.client(alpha.owner)
    client.get("/api/v1/donations/imports/", HTTP_ACCEPT="text/html")  # the browsable API
    form = {
        "kind": "donors",
        "file": SimpleUploadedFile("donors.csv", b"first_name,last_name\nJane,Doe\n"),
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/donations/imports/", form, HTTP_ACCEPT="application/json")

    assert response.status_code == 201, response.content[:300]


@pytest.mark.django_db
def test_a_misspelt_field_in_a_nested_address_is_a_400_naming_it(in_alpha: Tenant) -> None:
    before = Donor.objects.count()
    body = {
        "kind": "individual",
        "last_name": "Doe",
        "addresses": [{"line1": "1 Main St", "postal_cod": "02139"}],
    }

    error = api_error(
        in_alpha.api(in_alpha.owner).post(f"{API}/donors/donors/", body, format="json"), 400
    )

    assert error["fields"] == {"addresses": {"0": {"postal_cod": ["Unknown field."]}}}
    assert error["message"] == "Unknown field: addresses[0].postal_cod."
    assert Donor.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "fields", "message"),
    [
        pytest.param(
            {"campain": "SPRING"},
            {"campain": ["Unknown field."]},
            "Unknown field: campain.",
            id="gift",
        ),
        pytest.param(
            {"allocations": [{"fund": "GEN", "ammount": "25.00"}]},
            {
                "allocations": {
                    "0": {"amount": ["This field is required."], "ammount": ["Unknown field."]}
                }
            },
            "Unknown field: allocations[0].ammount.",
            id="allocation",
        ),
    ],
)
def test_a_misspelt_field_on_a_gift_is_a_400_naming_it(
    in_alpha: Tenant, extra: dict[str, Any], fields: dict[str, Any], message: str
) -> None:
    donor = donor_made("Ada", "Lovelace")
    before = Gift.objects.count()
    body = {
        "donor": donor.pk,
        "amount": "25.00",
        "received_on": "2026-03-10",
        "method": "check",
        **extra,
    }

    response = in_alpha.api(in_alpha.owner).post(f"{API}/donations/gifts/", body, format="json")

    error = api_error(response, 400)
    assert error["fields"] == fields
    assert error["message"] == message
    assert Gift.objects.count() == before


@pytest.mark.django_db
def test_several_unknown_fields_are_all_named_with_the_other_errors(alpha: Tenant) -> None:
    body = {"kind": "nobody", "zip": "02139", "nickname": "Jo"}

    error = api_error(
        alpha.api(alpha.owner).post(f"{API}/donors/donors/", body, format="json"), 400
    )

    assert set(error["fields"]) == {"kind", "zip", "nickname"}
    assert error["message"] == "Unknown fields: zip, nickname."


@pytest.mark.django_db
def test_fixed_fields_sent_back_unchanged_are_still_taken(in_alpha: Tenant) -> None:
    owner = in_alpha.api(in_alpha.owner)
    fund = owner.get(f"{API}/accounting/funds/GEN/").json()

    # A client that sends back the fund it read, with a new name: code and restriction are fixed
    # but unchanged, so they are not unknown; only the fields of the fund it cannot write are.
    sent_back = {key: fund[key] for key in ("code", "restriction", "description", "is_active")}
    changed = owner.patch(
        f"{API}/accounting/funds/GEN/", {**sent_back, "name": "Operating"}, format="json"
    )

    assert changed.status_code == 200, changed.content
    assert Fund.objects.get(code="GEN").name == "Operating"


@pytest.mark.django_db
def test_posting_in_the_create_of_an_entry_keeps_its_own_message(alpha: Tenant) -> None:
    body = {
        "date": "2026-03-10",
        "post": True,
        "lines": [
            {"account": "1010", "fund": "GEN", "debit": "5.00"},
            {"account": "4010", "fund": "GEN", "credit": "5.00"},
        ],
    }

    response = alpha.api(alpha.owner).post(
        f"{API}/accounting/journal-entries/", body, format="json"
    )

    error = api_error(response, 400)
    assert list(error["fields"]) == ["post"]
    assert "/post/" in error["fields"]["post"][0]
