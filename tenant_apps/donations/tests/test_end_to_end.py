"""Done means: a gift entered through the API shows up in the donor's giving summary, in its
campaign's progress, in the ledger and in the statement of activities in the right net-asset
column. Everything here goes through the API, as an integrator or the pages would."""

from __future__ import annotations

from typing import Any

import pytest

from shared_apps.users.roles import Role
from tenant_apps.donations.tests.factories import today
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def _revenue(activities: dict[str, Any], account: str) -> dict[str, str]:
    rows = [row for row in activities["revenue_and_support"] if row["account"] == account]
    assert len(rows) == 1, activities["revenue_and_support"]
    return {key: rows[0][key] for key in rows[0] if key.endswith(("restrictions", "total"))}


def test_a_gift_entered_through_the_api_reaches_every_report(alpha: Tenant) -> None:
    fundraiser = alpha.api(alpha.user(Role.FUNDRAISER, email="funds@alpha.org"))
    bookkeeper = alpha.api(alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))
    day = today().isoformat()

    # Given a donor and a campaign, entered by a fundraiser
    donor = _ok(
        fundraiser.post(
            "/api/v1/donors/donors/",
            {"kind": "individual", "first_name": "Grace", "last_name": "Hopper"},
            format="json",
        ),
        201,
    )
    _ok(
        fundraiser.post(
            "/api/v1/donations/campaigns/",
            {"code": "LAB", "name": "Computer lab", "goal": "2000.00"},
            format="json",
        ),
        201,
    )

    # When a check restricted to a purpose is entered for the campaign, and a bookkeeper posts it
    gift = _ok(
        fundraiser.post(
            "/api/v1/donations/gifts/",
            {
                "donor": donor["id"],
                "amount": "500.00",
                "received_on": day,
                "method": "check",
                "check_number": "1201",
                "campaign": "LAB",
                "allocations": [{"fund": "PRP", "amount": "500.00"}],
            },
            format="json",
        ),
        201,
    )
    posted = _ok(bookkeeper.post(f"/api/v1/donations/gifts/{gift['id']}/post/"))
    assert posted["state"] == "posted"

    # Then the donor's giving summary has it
    summary = _ok(fundraiser.get(f"/api/v1/donors/donors/{donor['id']}/giving-summary/"))
    assert summary["giving"]["lifetime_total"] == "500.00"
    assert summary["giving"]["this_fiscal_year"] == "500.00"
    assert summary["giving"]["gift_count"] == 1
    assert summary["giving"]["last_gift_on"] == day
    listed = _ok(fundraiser.get("/api/v1/donors/donors/giving-summary/", {"q": "Hopper"}))
    assert [row["giving"]["lifetime_total"] for row in listed["results"]] == ["500.00"]

    # and the campaign's progress
    progress = _ok(fundraiser.get("/api/v1/donations/reports/campaign-progress/"))
    (lab,) = progress["campaigns"]
    assert (lab["code"], lab["raised"], lab["gift_count"], lab["donor_count"]) == (
        "LAB",
        "500.00",
        1,
        1,
    )
    assert lab["percent_of_goal"] == "25.0"
    by_fund = _ok(fundraiser.get("/api/v1/donations/reports/giving-by-fund/"))
    assert [(row["fund"], row["restriction"], row["amount"]) for row in by_fund["funds"]] == [
        ("PRP", "purpose", "500.00")
    ]

    # and the ledger: Dr 1050 undeposited funds, Cr 4010 contributions, in the PRP fund
    trial = _ok(bookkeeper.get("/api/v1/accounting/reports/trial-balance/", {"fund": "PRP"}))
    assert {row["account"]: (row["debit"], row["credit"]) for row in trial["accounts"]} == {
        "1050": ("500.00", "0.00"),
        "4010": ("0.00", "500.00"),
    }
    ledger = _ok(
        bookkeeper.get(
            "/api/v1/accounting/reports/general-ledger/", {"account": "4010", "start": day}
        )
    )
    assert [(line["fund"], line["credit"]) for line in ledger["lines"]] == [("PRP", "500.00")]
    assert ledger["lines"][0]["entry"] == posted["journal_entry"]
    cash = _ok(
        bookkeeper.get(
            "/api/v1/accounting/reports/general-ledger/", {"account": "1050", "start": day}
        )
    )
    assert cash["closing_balance"] == "500.00"

    # and the statement of activities, with donor restrictions
    activities = _ok(bookkeeper.get("/api/v1/accounting/reports/activities/"))
    assert _revenue(activities, "4010") == {
        "without_donor_restrictions": "0.00",
        "with_donor_restrictions": "500.00",
        "total": "500.00",
    }

    # When an unrestricted gift follows (no allocations: all to the general fund)
    second = _ok(
        fundraiser.post(
            "/api/v1/donations/gifts/",
            {"donor": donor["id"], "amount": "120.00", "received_on": day, "method": "cash"},
            format="json",
        ),
        201,
    )
    _ok(bookkeeper.post(f"/api/v1/donations/gifts/{second['id']}/post/"))

    # Then it is in the "without donor restrictions" column, and in the donor's summary
    activities = _ok(bookkeeper.get("/api/v1/accounting/reports/activities/"))
    assert _revenue(activities, "4010") == {
        "without_donor_restrictions": "120.00",
        "with_donor_restrictions": "500.00",
        "total": "620.00",
    }
    trial = _ok(bookkeeper.get("/api/v1/accounting/reports/trial-balance/"))
    balances = {row["account"]: (row["debit"], row["credit"]) for row in trial["accounts"]}
    assert balances == {"1050": ("620.00", "0.00"), "4010": ("0.00", "620.00")}
    summary = _ok(fundraiser.get(f"/api/v1/donors/donors/{donor['id']}/giving-summary/"))
    assert (summary["giving"]["lifetime_total"], summary["giving"]["gift_count"]) == ("620.00", 2)
    assert summary["giving"]["last_gift_amount"] == "120.00"
    assert summary["giving"]["largest_gift"] == "500.00"
    # The unrestricted gift has no campaign: the campaign's progress is unchanged.
    progress = _ok(fundraiser.get("/api/v1/donations/reports/campaign-progress/"))
    assert progress["campaigns"][0]["raised"] == "500.00"

    # When the restricted gift is refunded, it leaves the summary, the campaign and the books
    _ok(bookkeeper.post(f"/api/v1/donations/gifts/{gift['id']}/refund/", {}, format="json"))
    summary = _ok(fundraiser.get(f"/api/v1/donors/donors/{donor['id']}/giving-summary/"))
    assert summary["giving"]["lifetime_total"] == "120.00"
    progress = _ok(fundraiser.get("/api/v1/donations/reports/campaign-progress/"))
    assert progress["campaigns"][0]["raised"] == "0.00"
    activities = _ok(bookkeeper.get("/api/v1/accounting/reports/activities/"))
    assert _revenue(activities, "4010")["with_donor_restrictions"] == "0.00"
