"""Pay runs: the worked example computed by hand (to the cent), importing the provider's file
(every bad row reported, nothing saved), posting, reversing and posting again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import reports as ledger_reports
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntryState, Function, JournalEntry
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.allocation import pay_run_allocation_compute
from tenant_apps.personnel.models import HourEntry, PayrollAllocation, PayRun, StaffRecord
from tenant_apps.personnel.services.approvals import hour_entry_approve
from tenant_apps.personnel.services.pay_runs import (
    PayLine,
    pay_run_create,
    pay_run_entry_lines,
    pay_run_import,
    pay_run_post,
)
from tenant_apps.personnel.services.payroll import (
    payroll_allocation_post,
    payroll_allocation_reverse,
)
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    PersonFactory,
    StaffRecordFactory,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
PAID = date(2026, 4, 3)
PROGRAM, MG, FR = Function.PROGRAM, Function.MANAGEMENT_GENERAL, Function.FUNDRAISING


def march(day: int) -> date:
    return date(2026, 3, day)


@pytest.fixture
def staff(in_alpha: Tenant) -> dict[str, StaffRecord]:
    """Given: Maria logs 40 hours on FOOD, 20 in management and general and 10 in fundraising;
    Sam logs hours that are not approved (his default split, 100% management and general,
    applies); Olive, an officer, logs 30 hours on FOOD and 10 in management and general."""
    accounting.program_create(code="FOOD", name="Food pantry", acting_user=None)
    maria = StaffRecordFactory.create(
        person=PersonFactory.create(full_name="Maria Lopez", email="maria@alpha.org")
    )
    sam = StaffRecordFactory.create(full_name="Sam Chen", pay_type="hourly", pay_rate="20.00")
    olive = StaffRecordFactory.create(full_name="Olive Grant", is_officer=True)
    for day, hours, function in ((2, "8", PROGRAM), (3, "8", PROGRAM), (4, "8", PROGRAM)):
        HourEntryFactory.create(
            person=maria.person, date=march(day), hours=hours, function=function,
            program="FOOD", approve=True,
        )  # fmt: skip
    HourEntryFactory.create(
        person=maria.person, date=march(5), hours="16", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=maria.person, date=march(9), hours="20", function=MG, approve=True
    )
    HourEntryFactory.create(
        person=maria.person, date=march(10), hours="10", function=FR, approve=True
    )
    HourEntryFactory.create(person=sam.person, date=march(11), hours="8", function=FR)
    HourEntryFactory.create(
        person=olive.person, date=march(12), hours="18", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=olive.person, date=march(13), hours="12", program="FOOD", approve=True
    )
    HourEntryFactory.create(
        person=olive.person, date=march(16), hours="10", function=MG, approve=True
    )
    return {"maria": maria, "sam": sam, "olive": olive}


def _run(staff: dict[str, StaffRecord]) -> PayRun:
    def line(name: str, gross: str, taxes: str, benefits: str) -> PayLine:
        return PayLine(
            staff_record=staff[name],
            gross_pay=Decimal(gross),
            employer_taxes=Decimal(taxes),
            benefits=Decimal(benefits),
            where=name,
        )

    return pay_run_create(
        period_start=march(1),
        period_end=march(31),
        pay_date=PAID,
        lines=[
            line("maria", "5000.00", "382.50", "600.00"),
            line("sam", "1200.00", "91.80", "0.00"),
            line("olive", "8000.00", "612.00", "1000.01"),
        ],
        acting_user=None,
    )


def test_the_worked_example_to_the_cent(staff: dict[str, StaffRecord]) -> None:
    run = _run(staff)

    allocation = pay_run_allocation_compute(pay_run=run)

    people = {person.name: person for person in allocation.people}
    # Maria's 70 hours: 40 FOOD, 20 M&G, 10 fundraising.
    # Gross 5,000.00 = 500,000 cents: 285,714.29 / 142,857.14 / 71,428.57 exact; floors add up
    # to 499,999, the cent left goes to the largest remainder (fundraising, .57).
    # Taxes 38,250 cents: 21,857.14 / 10,928.57 / 5,464.29; the cent left to M&G (.57).
    # Benefits 60,000 cents: 34,285.71 / 17,142.86 / 8,571.43; two cents left, to M&G (.86)
    # and FOOD (.71).
    assert [
        (part.function, part.program_code, part.gross_pay, part.employer_taxes, part.benefits)
        for part in people["Maria Lopez"].parts
    ] == [
        (PROGRAM, "FOOD", Decimal("2857.14"), Decimal("218.57"), Decimal("342.86")),
        (MG, None, Decimal("1428.57"), Decimal("109.29"), Decimal("171.43")),
        (FR, None, Decimal("714.29"), Decimal("54.64"), Decimal("85.71")),
    ]
    # Sam has no approved hours: his default split, all management and general.
    assert people["Sam Chen"].basis == "default_split"
    assert [(part.function, part.total) for part in people["Sam Chen"].parts] == [
        (MG, Decimal("1291.80"))
    ]
    # Olive, 30 FOOD and 10 M&G hours: benefits 100,001 cents cut 75,000.75 / 25,000.25, the
    # cent left to FOOD.
    assert [
        (part.function, part.gross_pay, part.employer_taxes, part.benefits)
        for part in people["Olive Grant"].parts
    ] == [
        (PROGRAM, Decimal("6000.00"), Decimal("459.00"), Decimal("750.01")),
        (MG, Decimal("2000.00"), Decimal("153.00"), Decimal("250.00")),
    ]
    assert [person.name for person in allocation.without_hours] == ["Sam Chen"]
    assert allocation.total_cost == Decimal("16886.31")
    assert [(part.function, part.total) for part in allocation.totals()] == [
        (PROGRAM, Decimal("10627.58")),  # 3,418.57 + 7,209.01
        (MG, Decimal("5404.09")),  # 1,709.29 + 1,291.80 + 2,403.00
        (FR, Decimal("854.64")),
    ]
    assert [
        (line.account, line.function, line.program, line.debit, line.credit)
        for line in pay_run_entry_lines(allocation)
    ] == [
        ("7010", MG, None, Decimal("2000.00"), None),
        ("7010", PROGRAM, "FOOD", Decimal("6000.00"), None),
        ("7020", FR, None, Decimal("714.29"), None),
        ("7020", MG, None, Decimal("2628.57"), None),  # Maria 1,428.57 + Sam 1,200.00
        ("7020", PROGRAM, "FOOD", Decimal("2857.14"), None),
        ("7220", FR, None, Decimal("85.71"), None),
        ("7220", MG, None, Decimal("421.43"), None),
        ("7220", PROGRAM, "FOOD", Decimal("1092.87"), None),
        ("7250", FR, None, Decimal("54.64"), None),
        ("7250", MG, None, Decimal("354.09"), None),  # 109.29 + 91.80 + 153.00
        ("7250", PROGRAM, "FOOD", Decimal("677.57"), None),
        ("2020", None, None, None, Decimal("16886.31")),
    ]


def test_posting_the_run_records_its_split_in_the_functional_expenses(
    staff: dict[str, StaffRecord],
) -> None:
    run = _run(staff)

    posted = pay_run_post(pay_run=run, acting_user=None)

    entry = posted.entry
    assert entry.state == EntryState.POSTED and entry.date == march(31)
    assert sum(line.debit for line in entry.lines.all()) == Decimal("16886.31")
    assert posted.pay_run == run and posted.total_cost == Decimal("16886.31")
    assert (posted.start, posted.end) == (march(1), march(31))
    statement = ledger_reports.functional_expenses(start=march(1), end=march(31)).as_json()
    salaries = next(row for row in statement["expenses"] if row["account"] == "7020")
    assert salaries["programs"]["FOOD"] == "2857.14"
    assert salaries["fundraising"] == "714.29"
    assert statement["totals"]["program_services"] == "10627.58"
    assert statement["totals"]["management_general"] == "5404.09"
    assert statement["totals"]["fundraising"] == "854.64"
    assert AuditEvent.objects.filter(action="payroll_allocation.post").count() == 1
    with pytest.raises(StateConflict, match="posted already"):
        pay_run_post(pay_run=run, acting_user=None)


def test_a_reversed_run_is_posted_again_after_the_hours_are_corrected(
    staff: dict[str, StaffRecord],
) -> None:
    run = _run(staff)
    first = pay_run_post(pay_run=run, acting_user=None)

    with pytest.raises(ServiceError, match="Say why"):
        payroll_allocation_reverse(allocation=first, date=march(31), reason=" ", acting_user=None)
    reversed_allocation = payroll_allocation_reverse(
        allocation=first, date=date(2026, 4, 2), reason="Sam's hours were approved late",
        acting_user=None,
    )  # fmt: skip
    hour_entry_approve(entry=HourEntry.objects.get(person=staff["sam"].person), acting_user=None)
    second = pay_run_post(pay_run=run, acting_user=None)

    first.entry.refresh_from_db()
    assert first.entry.state == EntryState.REVERSED
    reversal = reversed_allocation.reversal_entry
    assert reversal is not None and reversal.date == date(2026, 4, 2)
    assert reversal.memo == "Sam's hours were approved late"
    # Sam's 1,291.80 now goes to fundraising, where his approved hours are.
    sam_line = second.entry.lines.get(account__code="7020", function=FR)
    assert sam_line.debit == Decimal("714.29") + Decimal("1200.00")
    assert PayrollAllocation.objects.filter(reversal_entry__isnull=True).get() == second
    assert AuditEvent.objects.filter(action="payroll_allocation.reverse").count() == 1
    with pytest.raises(StateConflict, match="reversed already"):
        payroll_allocation_reverse(
            allocation=first, date=date(2026, 4, 2), reason="again", acting_user=None
        )


def test_a_reversed_allocation_frees_its_range(in_alpha: Tenant) -> None:
    StaffRecordFactory.create(
        full_name="Fay", split_program="0", split_management_general="50", split_fundraising="50"
    )
    settings_update(payroll_posting_enabled=True, acting_user=None)
    allocation = payroll_allocation_post(start=march(1), end=march(31), acting_user=None)

    payroll_allocation_reverse(
        allocation=allocation, date=march(31), reason="Split changed", acting_user=None
    )
    again = payroll_allocation_post(start=march(1), end=march(31), acting_user=None)

    assert again.pk != allocation.pk
    # Reversed in the journal rather than here: the range is freed too, and the posting is
    # recorded as reversed.
    accounting.entry_reverse(entry=again.entry, acting_user=None, memo="Wrong month")
    third = payroll_allocation_post(start=march(1), end=march(31), acting_user=None)
    again.refresh_from_db()
    assert again.reversal_entry is not None and again.reversal_reason == "Wrong month"
    assert third.entry.state == EntryState.POSTED
    assert (
        JournalEntry.objects.filter(source="payroll", state=EntryState.POSTED).get() == third.entry
    )


def test_a_run_cannot_cover_days_allocated_already(staff: dict[str, StaffRecord]) -> None:
    run = _run(staff)
    pay_run_post(pay_run=run, acting_user=None)
    overlapping = pay_run_create(
        period_start=march(31), period_end=date(2026, 4, 15), pay_date=date(2026, 4, 17),
        lines=[PayLine(staff["sam"], Decimal("100.00"), Decimal("0"), Decimal("0"), "Sam")],
        acting_user=None,
    )  # fmt: skip

    with pytest.raises(StateConflict, match="a day's salaries move once"):
        pay_run_post(pay_run=overlapping, acting_user=None)


def test_the_providers_file_is_imported(staff: dict[str, StaffRecord]) -> None:
    run = pay_run_import(
        period_start=march(1),
        period_end=march(31),
        pay_date=PAID,
        raw=(DATA / "pay_run_march_2026.csv").read_bytes(),
        source_name="pay_run_march_2026.csv",
        acting_user=None,
    )

    assert run.source == "imported"
    assert {
        (line.staff_record.person.full_name, line.gross_pay, line.employer_taxes, line.benefits)
        for line in run.lines.select_related("staff_record__person")
    } == {
        ("Maria Lopez", Decimal("5000.00"), Decimal("382.50"), Decimal("600.00")),
        ("Sam Chen", Decimal("1200.00"), Decimal("91.80"), Decimal("0.00")),
        ("Olive Grant", Decimal("8000.00"), Decimal("612.00"), Decimal("1000.01")),
    }
    assert pay_run_allocation_compute(pay_run=run).total_cost == Decimal("16886.31")
    assert AuditEvent.objects.filter(action="pay_run.create").count() == 1


def test_every_bad_row_is_reported_and_nothing_saved(staff: dict[str, StaffRecord]) -> None:
    with pytest.raises(ServiceError) as refused:
        pay_run_import(
            period_start=march(1),
            period_end=march(31),
            pay_date=PAID,
            raw=(DATA / "pay_run_bad_rows.csv").read_bytes(),
            source_name="bad.csv",
            acting_user=None,
        )

    assert refused.value.message == "5 rows have problems; nothing was saved."
    assert refused.value.fields["file"] == [
        "Line 3: no staff member has Nobody Here.",
        "Line 4: gross pay: -1200.00 is negative.",
        "Line 5: employer taxes: 'lots' is not an amount.",
        "Line 6: no employee id, email or name; it pays nothing (gross pay, taxes and benefits "
        "are all zero).",
        "Line 7: no employee id, email or name.",
    ]
    assert not PayRun.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name,Gross Pay\nMaria Lopez,10\n", "lacks employer taxes, benefits"),
        (b"Gross Pay,Employer Taxes,Benefits\n1,1,1\n", "lacks employee id, email or employee"),
        (b"Name,Gross Pay,Employer Taxes,Benefits\n", "a header and no rows"),
        (b"", "The file is empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(
    staff: dict[str, StaffRecord], content: bytes, message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        pay_run_import(
            period_start=march(1),
            period_end=march(31),
            pay_date=PAID,
            raw=content,
            source_name="x.csv",
            acting_user=None,
        )
    assert not PayRun.objects.exists()


def test_the_employee_id_and_email_name_the_person(staff: dict[str, StaffRecord]) -> None:
    raw = (
        "Employee ID,Email,Gross,Employer Tax,Benefits\n"
        f"{staff['olive'].pk},,100.00,7.65,\n"
        ",MARIA@alpha.org,50.00,0,0\n"
    ).encode()

    run = pay_run_import(
        period_start=march(1),
        period_end=march(31),
        pay_date=PAID,
        raw=raw,
        source_name="x.csv",
        acting_user=None,
    )

    assert sorted(line.staff_record.person.full_name for line in run.lines.all()) == [
        "Maria Lopez",
        "Olive Grant",
    ]


def test_lines_are_checked_against_the_staff_records(staff: dict[str, StaffRecord]) -> None:
    contractor = StaffRecordFactory.create(full_name="Cy Contract", employment_type="contractor")
    gone = StaffRecordFactory.create(full_name="Gil Gone", end_date=date(2026, 2, 28))

    def line(record: StaffRecord, gross: str = "10.00") -> PayLine:
        name = record.person.full_name
        return PayLine(record, Decimal(gross), Decimal("0"), Decimal("0"), name)

    with pytest.raises(ServiceError) as refused:
        pay_run_create(
            period_start=march(1),
            period_end=march(31),
            pay_date=PAID,
            lines=[line(contractor), line(gone), line(staff["sam"], "0"), line(staff["sam"])],
            acting_user=None,
        )

    assert refused.value.fields["lines"] == [
        "Cy Contract: Cy Contract is a contractor: contractors' fees are professional "
        "services, not payroll.",
        "Gil Gone: Gil Gone was not on staff from 2026-03-01 to 2026-03-31.",
        "Sam Chen: it pays nothing.",
        "Sam Chen: Sam Chen is paid on Sam Chen already.",
    ]
    with pytest.raises(ServiceError, match="ends before it starts"):
        pay_run_create(
            period_start=march(31), period_end=march(1), pay_date=PAID, lines=[], acting_user=None
        )
    with pytest.raises(ServiceError, match="at least one person"):
        pay_run_create(
            period_start=march(1), period_end=march(31), pay_date=PAID, lines=[], acting_user=None
        )
    assert not PayRun.objects.exists()


def test_the_allocation_report_lists_only_postings_in_force(staff: dict[str, StaffRecord]) -> None:
    from tenant_apps.personnel import reports

    posting = pay_run_post(pay_run=_run(staff), acting_user=None)
    before = reports.payroll_allocation(start=march(1), end=march(31)).as_json()["posted"]
    payroll_allocation_reverse(
        allocation=posting, date=march(31), reason="Amounts wrong", acting_user=None
    )

    after = reports.payroll_allocation(start=march(1), end=march(31)).as_json()["posted"]

    assert len(before) == 1 and after == []
