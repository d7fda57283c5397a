"""Budgets' services: making a budget, saving its amounts (all rows or none), spreading an
annual amount, importing a CSV file (every bad row named by its line), approval, and the audit
row of each change."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import Budget, BudgetLine, BudgetState
from tenant_apps.accounting.services.budgets import (
    BudgetRowSpec,
    budget_amount_parse,
    budget_amounts_save,
    budget_approve,
    budget_create,
    budget_import,
    budget_return_to_draft,
    spread_evenly,
)
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[3] / "tests" / "data" / "budget.csv"


def monthly(amount: str) -> list[Decimal]:
    return [Decimal(amount)] * 12


def _budget(name: str = "Operating budget", year: int = 2026) -> Budget:
    return budget_create(name=name, fiscal_year=year, acting_user=None)


def _lines(budget: Budget) -> dict[tuple[str, str, str], list[Decimal]]:
    return {
        (line.account.code, line.fund.code if line.fund else "", line.program.code if line.program else ""): line.amounts  # noqa: E501
        for line in BudgetLine.objects.filter(budget=budget).select_related("account", "fund", "program")  # noqa: E501
    }  # fmt: skip


# --- Spreading and amounts ---------------------------------------------------------------------


def test_an_annual_amount_spreads_into_twelve_months_that_add_up_to_the_cent() -> None:
    months = spread_evenly(Decimal("1000.00"))

    assert months == [Decimal("83.33")] * 8 + [Decimal("83.34")] * 4
    assert sum(months) == Decimal("1000.00")
    assert spread_evenly(Decimal("0.05")) == [Decimal("0.00")] * 7 + [Decimal("0.01")] * 5
    assert spread_evenly(Decimal("-24.00")) == [Decimal("-2.00")] * 12


def test_an_amount_is_read_as_people_type_it() -> None:
    assert budget_amount_parse("$1,234.50", field="Jan") == Decimal("1234.50")
    assert budget_amount_parse("", field="Jan") == Decimal("0.00")
    assert budget_amount_parse("-75", field="Jan") == Decimal("-75.00")
    for bad in ("12.345", "twelve", "1e400", "9999999999999"):
        with pytest.raises(ServiceError):
            budget_amount_parse(bad, field="Jan")


# --- Making and saving -------------------------------------------------------------------------


def test_a_budget_starts_as_a_draft_of_the_fiscal_year_and_is_audited(in_alpha: Tenant) -> None:
    budget = budget_create(name=" Operating budget ", fiscal_year=2026, acting_user=in_alpha.owner)

    assert (budget.name, budget.state, budget.starts_on.isoformat()) == (
        "Operating budget",
        BudgetState.DRAFT,
        "2026-01-01",
    )
    event = AuditEvent.objects.get(action="budget.create")
    assert event.actor == in_alpha.owner
    assert event.object_id == str(budget.pk)


def test_two_budgets_of_a_year_cannot_share_a_name(in_alpha: Tenant) -> None:
    _budget()

    with pytest.raises(ServiceError, match="already a budget named"):
        _budget()
    _budget(year=2027)  # another year may
    for name, year in (("", 2026), ("Budget", 1800)):
        with pytest.raises(ServiceError):
            budget_create(name=name, fiscal_year=year, acting_user=None)


def test_saving_the_amounts_replaces_them_and_leaves_rows_of_zeros_out(in_alpha: Tenant) -> None:
    budget = _budget()
    budget_amounts_save(
        budget=budget,
        rows=[BudgetRowSpec(account="4010", amounts=monthly("900"))],
        acting_user=None,
    )

    kept = budget_amounts_save(
        budget=budget,
        rows=[
            BudgetRowSpec(account="4010", amounts=monthly("1000")),
            BudgetRowSpec(account="8110", amounts=monthly("0")),
            BudgetRowSpec(account="7020", fund="GEN", program="PRG", amounts=monthly("400")),
        ],
        acting_user=in_alpha.owner,
    )

    assert kept == 2
    assert _lines(budget) == {
        ("4010", "", ""): monthly("1000.00"),
        ("7020", "GEN", "PRG"): monthly("400.00"),
    }
    event = AuditEvent.objects.filter(action="budget.amounts_save").latest("id")
    assert event.detail == {"lines": 2, "total": "16800.00"}


def test_one_bad_row_saves_nothing_and_every_bad_row_is_named(in_alpha: Tenant) -> None:
    budget = _budget()
    budget_amounts_save(
        budget=budget, rows=[BudgetRowSpec(account="4010", amounts=monthly("5"))], acting_user=None
    )

    with pytest.raises(ServiceError) as refused:
        budget_amounts_save(
            budget=budget,
            rows=[
                BudgetRowSpec(account="4010", amounts=monthly("1000")),
                BudgetRowSpec(account="9999", amounts=monthly("1")),
                BudgetRowSpec(account="1010", amounts=monthly("1")),
                BudgetRowSpec(account="4000", amounts=monthly("1")),
                BudgetRowSpec(account="4020", program="PRG", amounts=monthly("1")),
                BudgetRowSpec(account="8110", fund="NOPE", amounts=monthly("1")),
                BudgetRowSpec(account="4010", amounts=monthly("2")),
            ],
            acting_user=None,
        )

    assert refused.value.fields["rows"] == [
        "Row 2: there is no account '9999'.",
        "Row 3: account '1010' is not a revenue or expense account that takes postings.",
        "Row 4: account '4000' is not a revenue or expense account that takes postings.",
        "Row 5: a program is given only with an expense account.",
        "Row 6: there is no fund 'NOPE'.",
        "Row 7: the same account, fund and program as Row 1.",
    ]
    assert _lines(budget) == {("4010", "", ""): monthly("5.00")}


def test_an_approved_budget_refuses_new_amounts_until_it_is_a_draft_again(
    in_alpha: Tenant,
) -> None:
    budget = _budget()
    budget_approve(budget=budget, acting_user=in_alpha.owner)
    rows = [BudgetRowSpec(account="4010", amounts=monthly("1"))]

    with pytest.raises(StateConflict):
        budget_amounts_save(budget=budget, rows=rows, acting_user=None)
    with pytest.raises(StateConflict):
        budget_approve(budget=budget, acting_user=None)

    budget_return_to_draft(budget=budget, acting_user=in_alpha.owner)
    assert budget_amounts_save(budget=budget, rows=rows, acting_user=None) == 1
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["budget.approve", "budget.return_to_draft", "budget.amounts_save"]


# --- Import ------------------------------------------------------------------------------------


def test_the_sample_file_imports_with_funds_and_programs(in_alpha: Tenant) -> None:
    budget = _budget()

    count = budget_import(budget=budget, text=SAMPLE.read_text(), acting_user=in_alpha.owner)

    assert count == 4
    lines = _lines(budget)
    assert lines[("4010", "", "")] == monthly("1000.00")
    assert lines[("8110", "GEN", "")] == [Decimal("83.33")] * 8 + [Decimal("83.34")] * 4
    assert lines[("7020", "GEN", "PRG")] == monthly("400.00")
    assert AuditEvent.objects.filter(action="budget.import").get().detail == {"lines": 4}


def test_an_annual_column_is_spread_evenly(in_alpha: Tenant) -> None:
    budget = _budget()

    budget_import(budget=budget, text="account,annual\n8110,1000\n4010,\n", acting_user=None)

    assert _lines(budget) == {("8110", "", ""): [Decimal("83.33")] * 8 + [Decimal("83.34")] * 4}


def test_a_file_with_bad_rows_saves_nothing_and_names_each_line(in_alpha: Tenant) -> None:
    budget = _budget()
    budget_import(budget=budget, text="account,annual\n4010,1200\n", acting_user=None)
    text = (
        "account,fund,annual\n"
        "4010,,1200\n"
        "8110,,twelve\n"
        "\n"
        "9999,,100\n"
        "8110,NOPE,100\n"
        "4010,,5\n"
        "8120,,1.234\n"
    )

    with pytest.raises(ServiceError) as refused:
        budget_import(budget=budget, text=text, acting_user=None)

    assert refused.value.message == "Nothing was saved: 6 problems."
    assert refused.value.fields["rows"] == [
        "Line 3: annual: 'twelve' is not a number.",
        "Line 5: there is no account '9999'.",
        "Line 6: there is no fund 'NOPE'.",
        "Line 7: the same account, fund and program as Line 2.",
        "Line 8: annual: at most 2 decimal places.",
        "Line 8: there is no account '8120'.",
    ]
    assert _lines(budget) == {("4010", "", ""): monthly("100.00")}


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("fund,annual", "no account column"),
        ("account,annual,Jan", "either the twelve months or annual"),
        ("account,Jan,Feb", "the months Mar, Apr"),
        ("account,amount", "unknown column 'amount'"),
    ],
)
def test_a_header_that_cannot_be_read_is_refused(
    in_alpha: Tenant, header: str, problem: str
) -> None:
    with pytest.raises(ServiceError, match=problem):
        budget_import(budget=_budget(), text=f"{header}\n4010,1\n", acting_user=None)
    with pytest.raises(ServiceError, match="empty"):
        budget_import(budget=_budget("Other"), text="", acting_user=None)


def test_the_months_are_named_from_the_fiscal_year_start(in_alpha: Tenant) -> None:
    from tenant_apps.accounting.services.periods import settings_update

    settings_update(fiscal_year_start_month=7, acting_user=None)
    budget = _budget(year=2027)
    header = "account," + ",".join(["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
    header += ",Jan,Feb,Mar,Apr,May,Jun"

    text = f"{header}\n4010,1,2,3,4,5,6,7,8,9,10,11,12\n"
    budget_import(budget=budget, text=text, acting_user=None)

    assert budget.starts_on.isoformat() == "2026-07-01"
    assert _lines(budget)[("4010", "", "")][0] == Decimal("1.00")  # July, the first month
