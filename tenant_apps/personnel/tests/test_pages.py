"""The personnel report pages: who may see them, the table, the CSV link and bad parameters."""

from __future__ import annotations

from datetime import date

import pytest

from shared_apps.users.roles import Role
from tenant_apps.personnel.tests.factories import HourEntryFactory, VolunteerFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_the_index_lists_the_reports(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.BOOKKEEPER)).get("/personnel/")

    assert page.status_code == 200
    for name in ("hours", "volunteer-value", "payroll-allocation"):
        assert f"/personnel/reports/{name}/".encode() in page.content


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FUNDRAISER, Role.VOLUNTEER_COORDINATOR])
def test_the_payroll_allocation_is_refused_to_roles_that_may_not_read_pay(
    alpha: Tenant, role: str
) -> None:
    client = alpha.client(alpha.user(role))

    index = client.get("/personnel/")
    report = client.get("/personnel/reports/payroll-allocation/")

    assert index.status_code == 200
    assert b"/personnel/reports/hours/" in index.content
    assert b"payroll-allocation" not in index.content
    assert report.status_code == 403
    assert b"Owner, Administrator and Bookkeeper" in report.content


def test_a_report_page_shows_the_table_and_links_the_csv(in_alpha: Tenant) -> None:
    HourEntryFactory.create(
        person=VolunteerFactory.create(full_name="Ben Ode").person,
        date=date(2026, 3, 2),
        hours="7.25",
        approve=True,
    )

    page = in_alpha.client(in_alpha.owner).get(
        "/personnel/reports/volunteer-value/?start=2026-03-01&end=2026-03-31"
    )

    assert page.status_code == 200
    assert b"Volunteer hours and their value" in page.content
    assert b"252.23" in page.content  # 7.25 x 34.79 = 252.2275
    assert (
        b"/api/v1/personnel/reports/volunteer-value/?format=csv&amp;start=2026-03-01"
        in page.content
    )


def test_bad_parameters_are_shown_not_a_server_error(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    bad = client.get("/personnel/reports/hours/?start=soon&end=2026-03-31")
    backwards = client.get("/personnel/reports/hours/?start=2026-04-01&end=2026-03-01")
    unknown = client.get("/personnel/reports/nothing/")

    assert bad.status_code == 400
    assert b"Please correct the parameters" in bad.content
    assert backwards.status_code == 400
    assert b"The start date is after the end date." in backwards.content
    assert unknown.status_code == 404


def test_pages_need_a_login_and_the_right_role(alpha: Tenant) -> None:
    assert alpha.client().get("/personnel/").status_code == 302
    assert alpha.client(alpha.user(Role.VOLUNTEER)).get("/personnel/").status_code == 403
