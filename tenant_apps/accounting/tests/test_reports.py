"""The six reports against a month of a small nonprofit, every figure worked out by hand below.

Alpha's books, fiscal year from July:
  30 Sep  opening balances: cash 10,000.00 without restrictions (GEN, 3010) and 2,000.00 with
          (PRP, 3110); then September is closed.
  October
   1  gift, no restriction          Dr 1010 GEN 1,500.00  Cr 4010 GEN 1,500.00
   3  foundation grant, restricted  Dr 1010 PRP 5,000.00  Cr 4030 PRP 5,000.00
   5  corporate check, undeposited  Dr 1050 GEN   750.00  Cr 4020 GEN   750.00
  10  online gift and its fee       Dr 1060 GEN   200.00  Cr 4010 GEN   200.00
                                    Dr 8550 GEN     6.10  Cr 1060 GEN     6.10  (M&G)
  15  salaries 3,000.00 from cash   7020: YTH 1,200.00, PRG 600.00, M&G 900.00, fundraising 300.00
  20  tutoring supplies from PRP    Dr 8110 PRP 1,250.00 (program YTH)  Cr 1010 PRP 1,250.00
          -> release: Dr 6910 PRP (with) 1,250.00  Cr 6910 PRP (without) 1,250.00
  22  rent billed                   Dr 8210 GEN 1,000.00 (M&G)  Cr 2010 GEN 1,000.00
  25  travel posted by mistake      Dr 8310 GEN   500.00 (fundraising)  Cr 1010 GEN 500.00
  26  ... and reversed
  28  printing for a mailing        Dr 8170 GEN   420.00 (fundraising)  Cr 1010 GEN 420.00

By hand, at 31 October:
  cash 1010 = GEN 10,000 + 1,500 - 3,000 - 500 + 500 - 420 = 8,080.00
            + PRP  2,000 + 5,000 - 1,250                    = 5,750.00  -> 13,830.00
  1050 = 750.00; 1060 = 200.00 - 6.10 = 193.90; total assets 14,773.90; AP 2010 1,000.00
  expenses = 6.10 + 3,000 + 1,250 + 1,000 + (500 - 500) + 420 = 5,676.10
  without = 10,000 + 1,700 + 750 + 1,250 released - 5,676.10 = 8,023.90
  with    =  2,000 + 5,000 - 1,250 released                  = 5,750.00
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import reports
from tenant_apps.accounting.models import JournalEntry, Restriction
from tenant_apps.accounting.services import chart, entries, periods, postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import (
    FundFactory,
    JournalEntryFactory,
    months_closed_through,
)
from tests.plugin import Tenant

if TYPE_CHECKING:
    from shared_apps.users.models import User

OCTOBER: dict[str, Any] = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


def record(user: User | None, day: int, memo: str, *lines: LineSpec) -> JournalEntry:
    """A posted entry of `day` October."""
    return JournalEntryFactory.create(
        date=date(2026, 10, day), memo=memo, lines=lines, acting_user=user, posted=True
    )


def expense(account: str, fund: str, amount: str, function: str, program: str = "") -> LineSpec:
    return LineSpec(
        account=account, fund=fund, debit=amount, function=function, program=program or None
    )


@dataclass(frozen=True)
class October:
    tenant: Tenant
    supplies: JournalEntry  # the restricted expense of 20 October, released from PRP


@pytest.fixture
def october(in_alpha: Tenant) -> October:
    """Alpha's schema, current for the whole test, with the month of books described above."""
    owner = in_alpha.owner
    periods.settings_update(fiscal_year_start_month=7, acting_user=owner)
    chart.program_create(code="YTH", name="Youth tutoring", acting_user=owner)
    JournalEntryFactory.create(
        date=date(2026, 9, 30),
        memo="Opening balances",
        posted=True,
        acting_user=owner,
        lines=[
            LineSpec(account="1010", fund="GEN", debit="10000.00"),
            LineSpec(account="3010", fund="GEN", credit="10000.00"),
            LineSpec(account="1010", fund="PRP", debit="2000.00"),
            LineSpec(account="3110", fund="PRP", credit="2000.00"),
        ],
    )
    months_closed_through(date(2026, 9, 30), acting_user=owner)

    postings.post_contribution(
        date=date(2026, 10, 1), amount=Decimal("1500.00"), fund="GEN", acting_user=owner
    )
    postings.post_contribution(
        date=date(2026, 10, 3),
        amount=Decimal("5000.00"),
        fund="PRP",
        revenue_account="4030",
        acting_user=owner,
    )
    postings.post_contribution(
        date=date(2026, 10, 5),
        amount=Decimal("750.00"),
        fund="GEN",
        debit_account="1050",
        revenue_account="4020",
        acting_user=owner,
    )
    postings.post_contribution(
        date=date(2026, 10, 10),
        amount=Decimal("200.00"),
        fund="GEN",
        debit_account="1060",
        acting_user=owner,
    )
    postings.post_fee(date=date(2026, 10, 10), amount=Decimal("6.10"), acting_user=owner)
    record(
        owner,
        15,
        "October salaries",
        expense("7020", "GEN", "1200.00", "program", "YTH"),
        expense("7020", "GEN", "600.00", "program", "PRG"),
        expense("7020", "GEN", "900.00", "management_general"),
        expense("7020", "GEN", "300.00", "fundraising"),
        LineSpec(account="1010", fund="GEN", credit="3000.00"),
    )
    supplies = record(
        owner,
        20,
        "Tutoring supplies",
        expense("8110", "PRP", "1250.00", "program", "YTH"),
        LineSpec(account="1010", fund="PRP", credit="1250.00"),
    )
    record(
        owner,
        22,
        "October rent",
        expense("8210", "GEN", "1000.00", "management_general"),
        LineSpec(account="2010", fund="GEN", credit="1000.00"),
    )
    mistake = record(
        owner,
        25,
        "Travel (wrong month)",
        expense("8310", "GEN", "500.00", "fundraising"),
        LineSpec(account="1010", fund="GEN", credit="500.00"),
    )
    entries.entry_reverse(entry=mistake, acting_user=owner, date=date(2026, 10, 26))
    record(
        owner,
        28,
        "Mailing",
        expense("8170", "GEN", "420.00", "fundraising"),
        LineSpec(account="1010", fund="GEN", credit="420.00"),
    )
    return October(tenant=in_alpha, supplies=supplies)


def test_the_closed_september_refuses_a_late_posting(october: October) -> None:
    alpha = october.tenant
    before = JournalEntry.objects.count()
    with pytest.raises(StateConflict, match="is closed: nothing can be posted on 2026-09-15"):
        postings.post_contribution(
            date=date(2026, 9, 15), amount=Decimal("10.00"), fund="GEN", acting_user=alpha.owner
        )
    assert JournalEntry.objects.count() == before


def test_trial_balance(october: October) -> None:
    report = reports.trial_balance(as_of=date(2026, 10, 31)).as_json()
    assert [(row["account"], row["debit"], row["credit"]) for row in report["accounts"]] == [
        ("1010", "13830.00", "0.00"),
        ("1050", "750.00", "0.00"),
        ("1060", "193.90", "0.00"),
        ("2010", "0.00", "1000.00"),
        ("3010", "0.00", "10000.00"),
        ("3110", "0.00", "2000.00"),
        ("4010", "0.00", "1700.00"),
        ("4020", "0.00", "750.00"),
        ("4030", "0.00", "5000.00"),
        ("7020", "3000.00", "0.00"),
        ("8110", "1250.00", "0.00"),
        ("8170", "420.00", "0.00"),
        ("8210", "1000.00", "0.00"),
        ("8550", "6.10", "0.00"),
    ]
    assert report["total_debit"] == report["total_credit"] == "20450.00"
    assert report["balanced"] is True


def test_trial_balance_of_one_fund_and_an_earlier_date(october: October) -> None:
    restricted = reports.trial_balance(as_of=date(2026, 10, 31), fund="PRP").as_json()
    opening = reports.trial_balance(as_of=date(2026, 9, 30)).as_json()
    # 6910 nets to zero within PRP (with gives 1,250.00, without receives it) and is left out.
    assert [(row["account"], row["debit"], row["credit"]) for row in restricted["accounts"]] == [
        ("1010", "5750.00", "0.00"),
        ("3110", "0.00", "2000.00"),
        ("4030", "0.00", "5000.00"),
        ("8110", "1250.00", "0.00"),
    ]
    assert restricted["total_debit"] == restricted["total_credit"] == "7000.00"
    assert opening["total_debit"] == opening["total_credit"] == "12000.00"


def test_statement_of_financial_position(october: October) -> None:
    report = reports.financial_position(as_of=date(2026, 10, 31)).as_json()
    assert [(row["account"], row["amount"]) for row in report["assets"]] == [
        ("1010", "13830.00"),
        ("1050", "750.00"),
        ("1060", "193.90"),
    ]
    assert report["total_assets"] == "14773.90"
    assert [(row["account"], row["amount"]) for row in report["liabilities"]] == [
        ("2010", "1000.00")
    ]
    assert report["total_liabilities"] == "1000.00"
    assert report["net_assets"] == {
        "without_donor_restrictions": "8023.90",
        "with_donor_restrictions": "5750.00",
        "total": "13773.90",
    }
    assert report["total_liabilities_and_net_assets"] == "14773.90"
    assert report["balanced"] is True


def test_statement_of_activities(october: October) -> None:
    report = reports.activities(**OCTOBER).as_json()

    def columns(without: str, with_: str, total: str) -> dict[str, str]:
        return {
            "without_donor_restrictions": without,
            "with_donor_restrictions": with_,
            "total": total,
        }

    assert [
        (row["account"], row["without_donor_restrictions"], row["with_donor_restrictions"])
        for row in report["revenue_and_support"]
    ] == [("4010", "1700.00", "0.00"), ("4020", "750.00", "0.00"), ("4030", "0.00", "5000.00")]
    assert report["released_from_restrictions"] == columns("1250.00", "-1250.00", "0.00")
    assert report["total_revenue_and_support"] == columns("3700.00", "3750.00", "7450.00")
    assert [(row["name"], row["total"]) for row in report["expenses"]] == [
        ("Program services: Program services", "600.00"),
        ("Program services: Youth tutoring", "2450.00"),
        ("Management and general", "1906.10"),
        ("Fundraising", "720.00"),
    ]
    assert all(row["with_donor_restrictions"] == "0.00" for row in report["expenses"])
    assert report["total_expenses"] == columns("5676.10", "0.00", "5676.10")
    assert report["change_in_net_assets"] == columns("-1976.10", "3750.00", "1773.90")
    assert report["net_assets_beginning"] == columns("10000.00", "2000.00", "12000.00")
    assert report["net_assets_end"] == columns("8023.90", "5750.00", "13773.90")


def test_statement_of_functional_expenses(october: October) -> None:
    report = reports.functional_expenses(**OCTOBER).as_json()
    assert report["programs"] == [
        {"code": "PRG", "name": "Program services"},
        {"code": "YTH", "name": "Youth tutoring"},
    ]
    rows = {row["account"]: row for row in report["expenses"]}
    # Travel (8310) was posted and reversed within the month: it nets to nothing and is left out.
    assert list(rows) == ["7020", "8110", "8170", "8210", "8550"]
    assert rows["7020"] == {
        "account": "7020",
        "name": "Salaries - other staff",
        "programs": {"PRG": "600.00", "YTH": "1200.00"},
        "program_services": "1800.00",
        "management_general": "900.00",
        "fundraising": "300.00",
        "total": "3000.00",
    }
    assert rows["8110"]["programs"] == {"PRG": "0.00", "YTH": "1250.00"}
    assert (rows["8170"]["fundraising"], rows["8170"]["total"]) == ("420.00", "420.00")
    assert (rows["8210"]["management_general"], rows["8210"]["total"]) == ("1000.00", "1000.00")
    assert (rows["8550"]["management_general"], rows["8550"]["total"]) == ("6.10", "6.10")
    assert report["totals"] == {
        "programs": {"PRG": "600.00", "YTH": "2450.00"},
        "program_services": "3050.00",
        "management_general": "1906.10",
        "fundraising": "720.00",
        "total": "5676.10",
    }


def test_fund_balances(october: October) -> None:
    report = reports.fund_balances(as_of=date(2026, 10, 31)).as_json()
    assert report["funds"] == [
        {
            "fund": "GEN",
            "name": "General fund",
            "restriction": "without",
            "assets": "9023.90",
            "liabilities": "1000.00",
            "without_donor_restrictions": "8023.90",
            "with_donor_restrictions": "0.00",
            "balance": "8023.90",
        },
        {
            "fund": "PRP",
            "name": "Purpose-restricted gifts",
            "restriction": "purpose",
            "assets": "5750.00",
            "liabilities": "0.00",
            "without_donor_restrictions": "0.00",
            "with_donor_restrictions": "5750.00",
            "balance": "5750.00",
        },
    ]
    assert report["totals"]["balance"] == "13773.90"


def test_general_ledger_with_running_balance(october: October) -> None:
    report = reports.general_ledger(account="1010", **OCTOBER).as_json()
    restricted = reports.general_ledger(account="1010", fund="PRP", **OCTOBER).as_json()
    assert report["opening_balance"] == "12000.00"
    assert [
        (line["date"], line["debit"], line["credit"], line["balance"]) for line in report["lines"]
    ] == [
        ("2026-10-01", "1500.00", "0.00", "13500.00"),
        ("2026-10-03", "5000.00", "0.00", "18500.00"),
        ("2026-10-15", "0.00", "3000.00", "15500.00"),
        ("2026-10-20", "0.00", "1250.00", "14250.00"),
        ("2026-10-25", "0.00", "500.00", "13750.00"),
        ("2026-10-26", "500.00", "0.00", "14250.00"),
        ("2026-10-28", "0.00", "420.00", "13830.00"),
    ]
    assert (report["total_debit"], report["total_credit"]) == ("7000.00", "5170.00")
    assert report["closing_balance"] == "13830.00"
    assert report["lines"][5]["source"] == "reversal"
    assert restricted["opening_balance"] == "2000.00"
    assert [line["balance"] for line in restricted["lines"]] == ["7000.00", "5750.00"]


def test_general_ledger_of_a_credit_account_runs_in_its_normal_direction(october: October) -> None:
    report = reports.general_ledger(account="4010", **OCTOBER).as_json()
    assert report["opening_balance"] == "0.00"
    assert [line["balance"] for line in report["lines"]] == ["1500.00", "1700.00"]
    assert report["closing_balance"] == "1700.00"


def _balances(report: reports.Report) -> list[tuple[str, Decimal]]:
    return [(str(row.cells[2]), row.cells[-1]) for row in report.rows]


def test_general_ledger_pages_carry_the_running_balance_across_pages(october: October) -> None:
    first = reports.general_ledger_page(account="1010", size=3, **OCTOBER)
    assert first.page is not None and first.page.next is not None
    second = reports.general_ledger_page(
        account="1010", size=3, after=first.page.next["after"], **OCTOBER
    )
    assert second.page is not None and second.page.next is not None
    third = reports.general_ledger_page(
        account="1010", size=3, after=second.page.next["after"], **OCTOBER
    )
    assert third.page is not None

    assert [row.cells[-1] for row in first.rows] == [
        Decimal("12000.00"), Decimal("13500.00"), Decimal("18500.00"), Decimal("15500.00"),
        Decimal("15500.00"),
    ]  # fmt: skip
    assert (first.rows[0].cells[2], first.rows[-1].cells[2]) == (
        "Opening balance",
        "Carried forward",
    )
    assert _balances(second)[0] == ("Brought forward", Decimal("15500.00"))
    assert [row.cells[-1] for row in second.rows[1:4]] == [
        Decimal("14250.00"), Decimal("13750.00"), Decimal("14250.00"),
    ]  # fmt: skip
    assert [balance for _, balance in _balances(third)] == [
        Decimal("14250.00"), Decimal("13830.00"), Decimal("13830.00"),
    ]  # fmt: skip
    assert (_balances(third)[0][0], _balances(third)[-1][0]) == (
        "Brought forward",
        "Closing balance",
    )
    # The last page closes with the period's totals, as the whole report does.
    assert third.rows[-1].cells[6:8] == [Decimal("7000.00"), Decimal("5170.00")]
    assert (first.page.first, first.page.last, first.page.total) == (1, 3, 7)
    assert (second.page.first, second.page.last) == (4, 6)
    assert (third.page.first, third.page.last, third.page.next) == (7, 7, None)
    assert first.page.previous is None
    assert (
        first.parameters
        == third.parameters
        == {
            "account": "1010",
            "start": "2026-10-01",
            "end": "2026-10-31",
        }
    )
    # Every line's balance agrees with the whole ledger's.
    whole = reports.general_ledger(account="1010", **OCTOBER).as_json()
    paged = [row.cells[-1] for page in (first, second, third) for row in page.rows if row.cells[1]]
    assert [str(balance) for balance in paged] == [line["balance"] for line in whole["lines"]]


def test_general_ledger_previous_page_is_the_page_before(october: October) -> None:
    first = reports.general_ledger_page(account="1010", size=3, **OCTOBER)
    assert first.page is not None and first.page.next is not None
    second = reports.general_ledger_page(
        account="1010", size=3, after=first.page.next["after"], **OCTOBER
    )
    assert second.page is not None and second.page.previous is not None

    back = reports.general_ledger_page(
        account="1010", size=3, before=second.page.previous["before"], **OCTOBER
    )

    assert back.rows == first.rows
    assert back.page == first.page


def test_general_ledger_page_of_one_fund(october: October) -> None:
    page = reports.general_ledger_page(account="1010", fund="PRP", size=1, **OCTOBER)
    assert page.page is not None and page.page.next is not None
    last = reports.general_ledger_page(
        account="1010", fund="PRP", size=1, after=page.page.next["after"], **OCTOBER
    )

    assert _balances(page)[0] == ("Opening balance", Decimal("2000.00"))
    assert page.rows[1].cells[-1] == Decimal("7000.00")
    assert last.rows[-1].cells[-1] == Decimal("5750.00")
    assert last.page is not None and last.page.next is None
    assert last.parameters["fund"] == "PRP"


def _ledger_pages(size: int, **parameters: Any) -> list[reports.Report]:
    """Every page of October's general ledger of `parameters`, `size` lines a page, read
    forward and then back again from the last."""
    pages = [reports.general_ledger_page(size=size, **OCTOBER, **parameters)]
    while (page := pages[-1].page) is not None and page.next is not None:
        after = page.next["after"]
        pages.append(reports.general_ledger_page(size=size, after=after, **OCTOBER, **parameters))
    while (page := pages[-1].page) is not None and page.previous is not None:
        before = page.previous["before"]
        pages.append(reports.general_ledger_page(size=size, before=before, **OCTOBER, **parameters))
    return pages


def _walked(account: str) -> bool:
    """Whether the general ledger walks October's entries to find `account`'s lines (October's
    lines, all accounts, fewer than four times the account's in all) or reads the account's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT sum(line_count) FROM accounting_balance WHERE month = %s)"
            " < 4 * (SELECT sum(line_count) FROM accounting_balance b"
            "        JOIN accounting_account a ON a.id = b.account_id WHERE a.code = %s)",
            [OCTOBER["start"], account],
        )
        return bool(cursor.fetchone()[0])


def test_general_ledger_pages_are_the_same_read_either_way(october: October) -> None:
    # Given October's pages of cash, and of its restricted fund, while October has few lines
    # besides cash's (they are found by walking October's entries)
    assert _walked("1010")
    walked = [_ledger_pages(3, account="1010"), _ledger_pages(1, account="1010", fund="PRP")]

    # When October gets many lines of other accounts (cash's are then read through the account)
    for day in range(1, 31):
        for _ in range(2):
            postings.post_contribution(
                date=date(2026, 10, day),
                amount=Decimal("10.00"),
                fund="GEN",
                debit_account="1050",
                revenue_account="4020",
                acting_user=None,
            )
    assert not _walked("1010")

    # Then every page, forward and back, has the same lines, balances and places
    by_account = [_ledger_pages(3, account="1010"), _ledger_pages(1, account="1010", fund="PRP")]
    assert [len(pages) for pages in by_account] == [5, 3]
    for before, after in zip(walked, by_account, strict=True):
        assert [(page.rows, page.page) for page in after] == [
            (page.rows, page.page) for page in before
        ]


@pytest.mark.parametrize(
    ("position", "message"),
    [
        ({"after": "yesterday"}, "after: 'yesterday' is not a place in the ledger"),
        ({"before": "2026-10-01.1"}, "before: '2026-10-01.1' is not a place"),
        ({"after": "2026-10-01.-4.2"}, "is not a place"),
        ({"after": f"2026-10-01.{2**63}.1"}, "is not a place"),
        ({"after": "2026-02-30.1.1"}, "is not a place"),
        ({"after": "2026-10-01.1.1", "before": "2026-10-02.1.1"}, "not both"),
    ],
)
def test_general_ledger_page_refuses_a_bad_place(
    october: October, position: dict[str, str], message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        reports.general_ledger_page(
            account="1010",
            **OCTOBER,
            after=position.get("after", ""),
            before=position.get("before", ""),
        )


def test_general_ledger_page_runs_a_fixed_number_of_queries_however_deep(
    october: October, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    first = reports.general_ledger_page(account="1010", size=2, **OCTOBER)
    assert first.page is not None and first.page.next is not None
    with count_queries() as shallow:
        reports.general_ledger_page(
            account="1010", size=2, fund="GEN", after=first.page.next["after"], **OCTOBER
        )
    for day in range(1, 29):
        postings.post_contribution(
            date=date(2026, 10, day), amount=Decimal("10.00"), fund="GEN", acting_user=None
        )
    middle = reports.general_ledger_page(account="1010", size=2, **OCTOBER)
    for _ in range(8):
        assert middle.page is not None and middle.page.next is not None
        middle = reports.general_ledger_page(
            account="1010", size=2, after=middle.page.next["after"], **OCTOBER
        )
    assert middle.page is not None and middle.page.next is not None
    with count_queries() as deep:
        reports.general_ledger_page(
            account="1010", size=2, fund="GEN", after=middle.page.next["after"], **OCTOBER
        )
    statements = [q["sql"] for q in deep if not q["sql"].startswith("SET search_path")]
    assert len(deep) == len(shallow)
    # The account, the fund, the page's lines and one aggregate.
    assert len(statements) == 4, statements


def test_general_ledger_csv_streams_every_line_in_chunks(
    october: October, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "LEDGER_CHUNK", 2)
    report = reports.general_ledger(account="1010", **OCTOBER)

    table = list(report.table_lines())

    assert table[0][-1] == "Balance"
    assert table[1][2:] == ["Opening balance", "", "", "", "", "", "12000.00"]
    assert [row[-1] for row in table[2:-1]] == [
        line["balance"] for line in report.as_json()["lines"]
    ]
    assert table[-1][2:] == ["Closing balance", "", "", "", "7000.00", "5170.00", "13830.00"]
    assert table == report.as_table()


def test_reversing_the_restricted_expense_reverses_its_release(october: October) -> None:
    alpha, supplies = october.tenant, october.supplies
    entries.entry_reverse(entry=supplies, acting_user=alpha.owner, date=date(2026, 10, 31))
    position = reports.financial_position(as_of=date(2026, 10, 31)).as_json()
    activity = reports.activities(**OCTOBER).as_json()
    assert position["net_assets"] == {
        "without_donor_restrictions": "8023.90",  # the release and the expense both went
        "with_donor_restrictions": "7000.00",
        "total": "15023.90",
    }
    assert activity["released_from_restrictions"]["with_donor_restrictions"] == "0.00"


@pytest.mark.parametrize("name", sorted(reports.REPORTS))
def test_each_report_runs_a_fixed_number_of_queries(
    october: October, count_queries: Callable[[], CaptureQueriesContext], name: str
) -> None:
    parameters: dict[str, Any] = {
        "trial-balance": {"as_of": date(2026, 10, 31)},
        "financial-position": {"as_of": date(2026, 10, 31)},
        "fund-balances": {"as_of": date(2026, 10, 31)},
        "activities": OCTOBER,
        "functional-expenses": OCTOBER,
        "general-ledger": {"account": "1010", **OCTOBER},
    }[name]
    alpha = october.tenant
    with count_queries() as small:
        reports.REPORTS[name](**parameters)
    chart.program_create(code="ADV", name="Advocacy", acting_user=alpha.owner)
    FundFactory(code="TIME", name="Next year", restriction=Restriction.TIME)
    for day in range(1, 9):
        postings.post_contribution(
            date=date(2026, 10, day), amount=Decimal("25.00"), fund="TIME", acting_user=None
        )
        record(
            None,
            day,
            "More",
            expense("8140", "GEN", "3.00", "program", "ADV"),
            expense("8130", "GEN", "2.00", "fundraising"),
            LineSpec(account="1010", fund="GEN", credit="5.00"),
        )
    with count_queries() as large:
        reports.REPORTS[name](**parameters)
    statements = [q["sql"] for q in large if not q["sql"].startswith("SET search_path")]
    assert len(large) == len(small)
    assert len(statements) <= 3, statements


@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [
        ("activities", {"start": date(2026, 11, 1), "end": date(2026, 10, 1)}, "start date"),
        ("general-ledger", {"account": "0000", **OCTOBER}, "no account '0000'"),
        ("trial-balance", {"as_of": date(2026, 10, 31), "fund": "NOPE"}, "no fund 'NOPE'"),
    ],
)
def test_bad_report_parameters_are_refused_clearly(
    in_alpha: Tenant, name: str, parameters: dict[str, Any], message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        reports.REPORTS[name](**parameters)


def test_csv_table_of_the_trial_balance(october: October) -> None:
    table = reports.trial_balance(as_of=date(2026, 10, 31)).as_table()
    assert table[0] == ["Account", "Name", "Type", "Debit", "Credit"]
    assert table[1] == ["1010", "Cash - operating (checking)", "asset", "13830.00", "0.00"]
    assert table[-1] == ["Total", "", "", "20450.00", "20450.00"]


def test_a_direct_posting_to_net_assets_is_not_revenue(october: October) -> None:
    alpha = october.tenant
    record(
        alpha.owner,
        30,
        "Prior-period correction",
        LineSpec(account="1010", fund="GEN", debit="100.00"),
        LineSpec(account="3010", fund="GEN", credit="100.00"),
    )
    activity = reports.activities(**OCTOBER).as_json()
    position = reports.financial_position(as_of=date(2026, 10, 31)).as_json()
    assert activity["total_revenue_and_support"]["total"] == "7450.00"
    assert activity["other_changes_in_net_assets"]["without_donor_restrictions"] == "100.00"
    assert activity["change_in_net_assets"]["without_donor_restrictions"] == "-1876.10"
    assert activity["net_assets_end"]["without_donor_restrictions"] == "8123.90"
    assert position["net_assets"]["without_donor_restrictions"] == "8123.90"


# --- Comparison columns: October beside September (by hand from the month above) -----------------


def _figures(report: reports.Report) -> dict[str, list[Any]]:
    """Each line's words and its last three cells: the total, the prior figure, the change."""
    return {str(row.cells[0]): row.cells[-3:] for row in report.rows if row.kind != "heading"}


def test_financial_position_beside_the_end_of_the_month_before(october: October) -> None:
    report = reports.financial_position(as_of=date(2026, 10, 31), compare="prior-period")

    assert [column.label for column in report.table_columns] == [
        "Line",
        "Amount",
        "Prior period",
        "Change",
    ]
    figures = _figures(report)
    # 30 September: only the opening balances, cash 12,000.00 and net assets 10,000 + 2,000.
    assert figures["1010 Cash - operating (checking)"][1:] == [
        Decimal("12000.00"),
        Decimal("1830.00"),
    ]
    assert figures["Total assets"] == [
        Decimal("14773.90"),
        Decimal("12000.00"),
        Decimal("2773.90"),
    ]
    assert figures["Total liabilities"] == [Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00")]
    assert figures["Without donor restrictions"] == [
        Decimal("8023.90"),
        Decimal("10000.00"),
        Decimal("-1976.10"),
    ]
    assert figures["With donor restrictions"][1:] == [Decimal("2000.00"), Decimal("3750.00")]
    assert report.parameters["compare"] == "prior-period"
    assert report.as_json()["comparison"]["parameters"] == {"as_of": "2026-09-30"}


def test_activities_beside_september_keep_a_line_only_september_has(october: October) -> None:
    report = reports.activities(**OCTOBER, compare="prior-period")

    figures = _figures(report)
    assert figures["Total revenue and support"] == [
        Decimal("7450.00"),
        Decimal("0.00"),
        Decimal("7450.00"),
    ]
    # September's opening balances were posted straight to net assets; October has no such line,
    # so it shows with nothing this month, in September's place, before the change in net assets.
    labels = [str(row.cells[0]) for row in report.rows]
    other = labels.index("Other changes in net assets (direct postings)")
    assert labels[other + 1] == "Change in net assets"
    assert figures["Other changes in net assets (direct postings)"] == [
        Decimal("0.00"),
        Decimal("12000.00"),
        Decimal("-12000.00"),
    ]
    assert figures["Change in net assets"] == [
        Decimal("1773.90"),
        Decimal("12000.00"),
        Decimal("-10226.10"),
    ]
    assert figures["Net assets, end of period"] == [
        Decimal("13773.90"),
        Decimal("12000.00"),
        Decimal("1773.90"),
    ]
    assert report.as_json()["comparison"]["parameters"] == {
        "start": "2026-09-01",
        "end": "2026-09-30",
    }


def test_functional_expenses_beside_the_prior_year_which_had_none(october: October) -> None:
    report = reports.functional_expenses(**OCTOBER, compare="prior-year")

    total = next(row for row in report.rows if row.kind == "total")
    assert total.cells[-3:] == [Decimal("5676.10"), Decimal("0.00"), Decimal("5676.10")]
    assert report.table_columns[-2].label == "Prior year"


@pytest.mark.parametrize(
    ("compare", "dates", "prior"),
    [
        ("prior-year", {"as_of": date(2028, 2, 29)}, {"as_of": date(2027, 2, 28)}),
        ("prior-period", {"as_of": date(2026, 3, 15)}, {"as_of": date(2026, 2, 28)}),
        (
            "prior-period",
            {"start": date(2026, 1, 1), "end": date(2026, 3, 31)},
            {"start": date(2025, 10, 1), "end": date(2025, 12, 31)},
        ),
        (
            "prior-period",
            {"start": date(2026, 10, 10), "end": date(2026, 10, 19)},
            {"start": date(2026, 9, 30), "end": date(2026, 10, 9)},
        ),
    ],
)
def test_prior_dates(compare: str, dates: dict[str, date], prior: dict[str, date]) -> None:
    assert reports.prior_dates(compare, **dates) == prior


def test_an_unknown_comparison_is_refused() -> None:
    with pytest.raises(ServiceError, match="not a comparison"):
        reports.prior_dates("last-decade", as_of=date(2026, 1, 1))
