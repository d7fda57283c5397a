"""The worked example of the issue, computed by hand in the comments: two staff and three
volunteers over March 2026 give these hours, values and payroll allocation to the cent, and
posting the allocation moves exactly that in the statement of functional expenses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenant_apps.accounting import reports as ledger_reports
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Function
from tenant_apps.personnel import reports
from tenant_apps.personnel.models import PayType, StaffRecord
from tenant_apps.personnel.services.approvals import hour_entry_reject
from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    StaffRecordFactory,
    VolunteerFactory,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
PROGRAM, MG, FR = Function.PROGRAM, Function.MANAGEMENT_GENERAL, Function.FUNDRAISING


def march(day: int) -> date:
    return date(2026, 3, day)


@pytest.fixture
def march_example(in_alpha: Tenant) -> dict[str, StaffRecord]:
    """Given: the example's people and hours, in alpha."""
    accounting.program_create(code="FOOD", name="Food pantry", acting_user=None)
    # Maria: salaried, 60,000.00 a year, default split 70% FOOD / 20% M&G / 10% fundraising;
    # she logs no hours, so her default split applies.
    maria = StaffRecordFactory.create(
        full_name="Maria Lopez",
        pay_rate="60000.00",
        split_program="70",
        split_management_general="20",
        split_fundraising="10",
        default_program="FOOD",
    )
    # Sam: hourly, 22.50 an hour, on staff from 9 March.
    sam = StaffRecordFactory.create(
        full_name="Sam Chen",
        pay_type=PayType.HOURLY,
        pay_rate="22.50",
        employment_type="part_time",
        start_date=march(9),
    )
    HourEntryFactory.create(
        person=sam.person, date=march(10), hours="8.00", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=sam.person, date=march(11), hours="7.50", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=sam.person, date=march(12), hours="4.00", function=FR, approve=True
    )
    HourEntryFactory.create(
        person=sam.person, date=march(13), hours="3.25", function=MG, approve=True
    )
    # Not counted: still submitted, and rejected.
    HourEntryFactory.create(person=sam.person, date=march(16), hours="5.00", function=MG)
    rejected = HourEntryFactory.create(person=sam.person, date=march(17), hours="2.00", function=MG)
    hour_entry_reject(entry=rejected, reason="Holiday", acting_user=None)

    ann = VolunteerFactory.create(full_name="Ann Park")
    HourEntryFactory.create(
        person=ann.person, date=march(2), hours="6.00", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=ann.person, date=march(9), hours="4.00", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=ann.person, date=march(20), hours="3.00", function=FR, approve=True
    )
    ben = VolunteerFactory.create(full_name="Ben Ode")
    HourEntryFactory.create(
        person=ben.person, date=march(14), hours="5.50", program="PRG", approve=True
    )
    # Cara, an accountant: 4 hours of audit preparation are specialized skills, valued at
    # her rate of 85.00 and recognized in the books; 2 hours at the pantry are not.
    cara = VolunteerFactory.create(
        full_name="Cara Diaz", skills=["accounting"], specialized_rate="85.00"
    )
    HourEntryFactory.create(
        person=cara.person,
        date=march(5),
        hours="4.00",
        function=MG,
        approve=True,
        specialized_skills=True,
    )
    HourEntryFactory.create(
        person=cara.person, date=march(21), hours="2.00", program="FOOD", approve=True
    )
    # Payroll is recorded in management and general; the allocation moves it.
    accounting.entry_record(
        date=march(31),
        memo="March payroll",
        lines=[
            accounting.LineSpec(account="7020", fund="GEN", debit="5607.77", function=MG),
            accounting.LineSpec(account="1010", fund="GEN", credit="5607.77"),
        ],
        source="manual",
        acting_user=None,
    )
    return {"maria": maria, "sam": sam}


def test_hours_by_program_and_function(
    in_alpha: Tenant, march_example: dict[str, StaffRecord]
) -> None:
    data = reports.hours_by_program(**MARCH).as_json()

    # Staff (Sam only, approved): FOOD 8 + 7.5 = 15.5, fundraising 4, M&G 3.25 = 22.75.
    # Volunteers: FOOD 6 + 4 (Ann) + 2 (Cara) = 12, PRG 5.5 (Ben), M&G 4 (Cara), fundraising
    # 3 (Ann) = 24.5.
    assert data["lines"] == [
        {"function": PROGRAM, "program": "FOOD", "staff_hours": "15.50",
         "volunteer_hours": "12.00", "total_hours": "27.50"},
        {"function": PROGRAM, "program": "PRG", "staff_hours": "0.00",
         "volunteer_hours": "5.50", "total_hours": "5.50"},
        {"function": MG, "program": None, "staff_hours": "3.25",
         "volunteer_hours": "4.00", "total_hours": "7.25"},
        {"function": FR, "program": None, "staff_hours": "4.00",
         "volunteer_hours": "3.00", "total_hours": "7.00"},
    ]  # fmt: skip
    assert data["totals"] == {
        "staff_hours": "22.75",
        "volunteer_hours": "24.50",
        "total_hours": "47.25",
    }


def test_volunteer_value_at_the_default_rate(
    in_alpha: Tenant, march_example: dict[str, StaffRecord]
) -> None:
    data = reports.volunteer_value(**MARCH).as_json()

    # At 34.79 an hour: FOOD 12 x 34.79 = 417.48; PRG 5.5 x 34.79 = 191.345, rounded half up
    # to 191.35; M&G 4 x 34.79 = 139.16; fundraising 3 x 34.79 = 104.37; total 852.36.
    # Recognized: Cara's 4 specialized hours at her 85.00 = 340.00.
    assert data["hourly_rate"] == "34.79"
    assert [(line["program"] or line["function"], line["value"]) for line in data["lines"]] == [
        ("FOOD", "417.48"),
        ("PRG", "191.35"),
        (MG, "139.16"),
        (FR, "104.37"),
    ]
    assert data["totals"] == {
        "hours": "24.50",
        "value": "852.36",
        "specialized_hours": "4.00",
        "recognized_in_kind": "340.00",
    }


def test_payroll_allocation_to_the_cent(
    in_alpha: Tenant, march_example: dict[str, StaffRecord]
) -> None:
    data = reports.payroll_allocation(**MARCH).as_json()

    maria, sam = data["staff"]
    # Maria: 60,000.00 x 31 / 365 = 5,095.890..., 5,095.89. In cents, 509,589 split 70/20/10:
    # 356,712.3 / 101,917.8 / 50,958.9; the floors leave 2 cents, which go to the largest
    # remainders (.9 fundraising, .8 M&G): FOOD 3,567.12, M&G 1,019.18, fundraising 509.59.
    assert (maria["name"], maria["days_employed"], maria["basis"]) == (
        "Maria Lopez", 31, "default_split",
    )  # fmt: skip
    assert maria["cost"] == "5095.89"
    assert [(p["program"] or p["function"], p["amount"]) for p in maria["parts"]] == [
        ("FOOD", "3567.12"),
        (MG, "1019.18"),
        (FR, "509.59"),
    ]
    # Sam: 22.75 approved hours x 22.50 = 511.875, 511.88. In cents, 51,188 split by hours
    # 15.5 / 3.25 / 4 of 22.75: 34,875.34 / 7,312.57 / 9,000.09; one cent left goes to M&G
    # (.57): FOOD 348.75, M&G 73.13, fundraising 90.00.
    assert (sam["days_employed"], sam["hours"], sam["basis"]) == (23, "22.75", "hours")
    assert sam["cost"] == "511.88"
    assert [(p["program"] or p["function"], p["amount"]) for p in sam["parts"]] == [
        ("FOOD", "348.75"),
        (MG, "73.13"),
        (FR, "90.00"),
    ]
    # Totals: FOOD 3,915.87, M&G 1,092.31, fundraising 599.59; 5,607.77 in all.
    assert data["totals"] == [
        {"function": PROGRAM, "program": "FOOD", "amount": "3915.87"},
        {"function": MG, "program": None, "amount": "1092.31"},
        {"function": FR, "program": None, "amount": "599.59"},
    ]
    assert data["total_cost"] == "5607.77"
    assert data["posted"] == []


def test_posting_moves_exactly_the_allocation(
    in_alpha: Tenant, march_example: dict[str, StaffRecord]
) -> None:
    settings_update(payroll_posting_enabled=True, acting_user=None)
    before = ledger_reports.functional_expenses(start=MARCH["start"], end=MARCH["end"]).as_json()

    record = payroll_allocation_post(**MARCH, acting_user=None)

    after = ledger_reports.functional_expenses(start=MARCH["start"], end=MARCH["end"]).as_json()
    lines = sorted(
        (line.account.code, line.function, line.program and line.program.code,
         str(line.debit), str(line.credit))
        for line in record.entry.lines.select_related("account", "program")
    )  # fmt: skip
    posted = reports.payroll_allocation(**MARCH).as_json()["posted"]

    # Before: all 5,607.77 of payroll in M&G, and Cara's 340.00 of services (8560, M&G).
    salaries_before = next(row for row in before["expenses"] if row["account"] == "7020")
    assert salaries_before["management_general"] == "5607.77"
    # The entry: Dr 7020 FOOD 3,915.87 and fundraising 599.59, Cr 7020 M&G 4,515.46.
    assert lines == [
        ("7020", FR, None, "599.59", "0.00"),
        ("7020", MG, None, "0.00", "4515.46"),
        ("7020", PROGRAM, "FOOD", "3915.87", "0.00"),
    ]
    assert (record.total_cost, record.amount_moved) == (Decimal("5607.77"), Decimal("4515.46"))
    salaries = next(row for row in after["expenses"] if row["account"] == "7020")
    assert salaries["programs"] == {"FOOD": "3915.87"}
    assert salaries["management_general"] == "1092.31"
    assert salaries["fundraising"] == "599.59"
    assert salaries["total"] == "5607.77"
    in_kind = next(row for row in after["expenses"] if row["account"] == "8560")
    assert (in_kind["management_general"], in_kind["total"]) == ("340.00", "340.00")
    assert after["totals"]["total"] == before["totals"]["total"] == "5947.77"
    assert posted == [
        {"start": "2026-03-01", "end": "2026-03-31", "entry": record.entry.number,
         "amount_moved": "4515.46"},
    ]  # fmt: skip
