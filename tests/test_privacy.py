"""Pay and giving are read only by the roles that hold their capabilities: every route of an
organization's host, walked from the URL resolver with one object of each kind planted, is
fetched as each role, and no salary, pay rate or per-person payroll cost (PAY_READ) and no gift
amount (GIVING_READ) appears in the HTML, JSON or CSV of a role without the capability, while
the roles with it do see them. A route added later is walked too, or this test names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform import urls_tenant
from shared_apps.users.roles import Capability, Role, role_has_capability
from tenant_apps.accounting.reports import REPORTS as BOOKS_REPORTS
from tenant_apps.donations.api.reports import GivingReportView
from tenant_apps.personnel.reports import REPORTS as PERSONNEL_REPORTS
from tenant_apps.personnel.reports import payroll_allocation
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

SALARY = Decimal("52000.00")
# A pay run's line for the staff member: what the provider paid, figures no other page has.
PAY_RUN_LINE = (Decimal("4321.09"), Decimal("330.56"), Decimal("275.43"))
GIFT, PLEDGE, RECURRING = "7345.67", "2468.13", "135.79"
GIVING_REPORTS = list(GivingReportView.registry)

# Routes not fetched, each with why none of them can show pay or giving.
NOT_WALKED = {
    "healthz": "a health check: no data",
    "accounts/": "logging in, out and passwords: no data",
    "admin/": "the Django admin, only for owners and administrators (who read both)",
    "billing/": "the plan and its payment: no pay or giving of the organization",
    "api/v1/auth/": "logging in over the API and the signed-in user: no data",
    "api/schema/": "the API's description: field names, no figures",
    "api/docs/": "the API's description: field names, no figures",
}


@dataclass(frozen=True)
class Planted:
    """One object of each kind, for the routes that name one."""

    values: dict[tuple[str, str], str]

    def value(self, segment: str, parameter: str) -> str:
        """The value of `parameter` in a route where it follows the path segment `segment`."""
        return self.values.get((segment, parameter)) or self.values[("", parameter)]


def _pattern_text(pattern: URLPattern | URLResolver) -> str:
    return str(pattern.pattern).lstrip("^").rstrip("$")


def tenant_routes() -> Iterator[str]:
    """Every route of an organization's host, as its pattern text (format-suffix twins of a
    route are left out: they answer as the route itself does)."""

    def walk(patterns: Iterable[object], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            assert isinstance(pattern, URLPattern | URLResolver)
            text = prefix + _pattern_text(pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, text)
            elif "format" not in text:
                yield text

    return walk(urls_tenant.urlpatterns, "")


def _skipped(route: str) -> bool:
    return any(route.startswith(prefix) for prefix in NOT_WALKED)


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def concrete_paths(route: str, planted: Planted) -> list[str]:
    """The paths to fetch for `route`: its parameters filled from `planted`; a report's name
    expands to every report of its registry."""
    if route.endswith("reports/<slug:name>/"):
        registry = (
            PERSONNEL_REPORTS
            if "personnel" in route
            else GIVING_REPORTS
            if "donations" in route
            else BOOKS_REPORTS
        )
        paths = ["/" + route.replace("<slug:name>", name) for name in registry]
        return paths + [f"{path}?format=csv" for path in paths]

    def fill(match: re.Match[str]) -> str:
        parameter = match.group(1) or match.group(2)
        before = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return planted.value(before, parameter)

    path = "/" + PARAMETER.sub(fill, route)
    # Lists and reports are also CSV: the same figures in another rendering.
    return [path, f"{path}?format=csv"] if not PARAMETER.search(route) else [path]


def _plant(tenant: Tenant) -> Planted:
    from tenant_apps.accounting.models import (
        Account,
        FiscalPeriod,
        Function,
        Fund,
        JournalEntry,
        Program,
    )
    from tenant_apps.accounting.services.budgets import (
        BudgetRowSpec,
        budget_amounts_save,
        budget_create,
    )
    from tenant_apps.banking.tests.factories import statement_made
    from tenant_apps.checks.models import ScannedCheck, ScanUpload
    from tenant_apps.donations.models import ImportJob
    from tenant_apps.donations.services.campaigns import campaign_create
    from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
    from tenant_apps.donations.services.receipt_settings import receipt_settings_update
    from tenant_apps.donations.services.receipts import receipt_issue
    from tenant_apps.donations.tests.factories import (
        GiftFactory,
        PledgeFactory,
        RecurringGiftFactory,
    )
    from tenant_apps.donors.services.households import household_create
    from tenant_apps.donors.services.tags import donor_tag_add
    from tenant_apps.donors.services.tasks import task_create
    from tenant_apps.donors.tests.factories import DonorFactory
    from tenant_apps.personnel.services.pay_runs import PayLine, pay_run_create
    from tenant_apps.personnel.tests.factories import (
        HourEntryFactory,
        StaffRecordFactory,
        VolunteerFactory,
    )

    today = timezone.localdate()
    donor = DonorFactory.create()
    other = DonorFactory.create()
    tag = donor_tag_add(donor=donor, name="Volunteer", acting_user=None)
    household = household_create(name="The Hopper household", acting_user=None)
    campaign = campaign_create(code="SPRING", name="Spring appeal", goal="10000", acting_user=None)
    gift = GiftFactory.create(donor=donor, amount=GIFT, campaign=campaign, posted=True)
    deposit = deposit_create(
        deposit_on=today, expected_count=1, expected_total=GIFT, acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=gift, acting_user=None)
    receipt_settings_update(acting_user=None, legal_name="Alpha Relief Fund", ein="12-3456789")
    receipt = receipt_issue(gift=gift, acting_user=None)
    pledge = PledgeFactory.create(donor=donor, amount=PLEDGE)
    recurring = RecurringGiftFactory.create(donor=donor, amount=RECURRING)
    task = task_create(
        donor=donor, title="Thank-you call", due_on=today, assignee=tenant.owner, acting_user=None
    )
    job = ImportJob.objects.create(kind="donors", original_filename="donors.csv")
    staff = StaffRecordFactory.create(full_name="Maria Lopez", pay_rate=SALARY)
    volunteer = VolunteerFactory.create(full_name="Ben Ode")
    hours = HourEntryFactory.create(
        person=staff.person, date=today, hours="6", function=Function.FUNDRAISING, approve=True
    )
    HourEntryFactory.create(person=volunteer.person, date=today, hours="3", approve=True)
    # Hours awaiting approval, for the approvals queue.
    HourEntryFactory.create(person=volunteer.person, date=today, hours="2")
    pay_run = pay_run_create(
        period_start=today.replace(day=1),
        period_end=today,
        pay_date=today,
        lines=[PayLine(staff, *PAY_RUN_LINE, where="Maria Lopez")],
        acting_user=None,
    )
    period = FiscalPeriod.objects.order_by("start").first()
    entry = JournalEntry.objects.order_by("-pk").first()
    assert period is not None and entry is not None
    statement = statement_made([(today, GIFT, "Deposit")], closing=GIFT, statement_date=today)
    statement_line = statement.lines.get()
    budget = budget_create(name="Operating budget", fiscal_year=today.year, acting_user=None)
    budget_amounts_save(
        budget=budget,
        rows=[BudgetRowSpec(account="4010", amounts=[Decimal("100.00")] * 12)],
        acting_user=None,
    )
    scan = ScanUpload.objects.create(
        deposit=deposit, original_filename="scan.pdf", kind="pdf", size_bytes=1, sha256="0" * 64
    )
    scanned = ScannedCheck.objects.create(
        upload=scan, deposit=deposit, page_index=0, image_sha256="0" * 64, amount=GIFT
    )
    return Planted(
        values={
            ("", "pk"): str(donor.pk),
            ("deposits", "deposit_pk"): str(deposit.pk),
            ("gifts", "gift_pk"): str(gift.pk),
            ("checks", "pk"): str(scanned.pk),
            ("uploads", "pk"): str(scan.pk),
            ("donors", "pk"): str(donor.pk),
            ("merge", "other_pk"): str(other.pk),
            ("tags", "tag_id"): str(tag.pk),
            ("tags", "pk"): str(tag.pk),
            ("households", "pk"): str(household.pk),
            ("campaigns", "pk"): str(campaign.pk),
            ("campaigns", "code"): campaign.code,
            # The public giving pages: the planted campaign has no open page (404), and a
            # manage link that is not signed is refused (400); neither shows a gift.
            ("give", "slug"): "planted-campaign",
            ("manage", "token"): "not-a-signed-token",
            ("gifts", "pk"): str(gift.pk),
            ("gifts", "gift_id"): str(gift.pk),
            ("remove", "gift_pk"): str(gift.pk),
            ("deposits", "pk"): str(deposit.pk),
            ("batch", "pk"): str(deposit.pk),
            ("receipts", "pk"): str(receipt.pk),
            ("pledges", "pk"): str(pledge.pk),
            ("recurring", "pk"): str(recurring.pk),
            ("recurring-gifts", "pk"): str(recurring.pk),
            ("tasks", "pk"): str(task.pk),
            ("imports", "pk"): str(job.pk),
            ("sample", "kind"): "gifts",
            ("accounts", "code"): Account.objects.order_by("code").values_list("code", flat=True)[
                0
            ],
            ("funds", "code"): Fund.objects.order_by("code").values_list("code", flat=True)[0],
            ("programs", "code"): Program.objects.order_by("code").values_list("code", flat=True)[
                0
            ],
            ("periods", "pk"): str(period.pk),
            ("journal-entries", "pk"): str(entry.pk),
            ("people", "pk"): str(staff.person.pk),
            ("staff", "pk"): str(staff.pk),
            ("volunteers", "pk"): str(volunteer.pk),
            ("hours", "pk"): str(hours.pk),
            ("pay-runs", "pk"): str(pay_run.pk),
            ("journal", "pk"): str(entry.pk),
            ("periods", "month"): period.slug,
            ("statements", "pk"): str(statement.pk),
            ("budgets", "pk"): str(budget.pk),
            ("reconciliations", "pk"): str(statement.reconciliation.pk),
            ("lines", "line_pk"): str(statement_line.pk),
            # An invitation's link that was never sent: the page says so, and shows nothing.
            ("invitations", "token"): "an-unknown-token",
        }
    )


def _pay_figures(tenant: Tenant) -> list[str]:
    """The salary and each person's payroll cost on this month's allocation, as pages, JSON
    and CSV write them."""
    today = timezone.localdate()
    report = payroll_allocation(start=today.replace(day=1), end=today)
    data = report.data
    assert isinstance(data, dict)
    costs = {Decimal(staff["cost"]) for staff in data["staff"]} | {SALARY, *PAY_RUN_LINE}
    costs.add(sum(PAY_RUN_LINE, Decimal("0")))
    return [text for cost in costs for text in (f"{cost:,.2f}", f"{cost:.2f}")]


def _giving_figures() -> list[str]:
    return [text for amount in (GIFT, PLEDGE, RECURRING) for text in _written(amount)]


def _written(amount: str) -> tuple[str, str]:
    return (f"{Decimal(amount):,.2f}", amount)


def _fetch_all(tenant: Tenant, role: str, paths: list[str]) -> dict[str, str]:
    """Each path's answer as text, for a user of `role` signed in to pages and API alike."""
    client = tenant.client(tenant.owner if role == Role.OWNER else tenant.user(role))
    texts = {}
    for path in paths:
        response = client.get(path, HTTP_ACCEPT="text/html,application/json,text/csv")
        assert response.status_code < 500, (role, path, response.status_code)
        body = response.getvalue()  # streamed (a CSV) or not
        texts[path] = body.decode("utf-8", errors="replace")
    return texts


def test_every_route_of_the_host_is_walked_or_named_as_left_out() -> None:
    parameters = (
        "pk",
        "other_pk",
        "tag_id",
        "gift_id",
        "gift_pk",
        "deposit_pk",
        "code",
        "kind",
        "token",
        "line_pk",
        "month",
        "slug",
    )
    planted = Planted(values={("", name): "1" for name in parameters})
    walked = [route for route in tenant_routes() if not _skipped(route)]

    unfilled = [
        path
        for route in walked
        for path in concrete_paths(route, planted)
        if "<" in path or "(?P" in path
    ]

    assert len(walked) > 100  # the walk reached the apps' URL maps
    assert unfilled == []
    # Every route left out is still a route: the list does not outlive what it names.
    routes = list(tenant_routes())
    assert {prefix for prefix in NOT_WALKED if any(r.startswith(prefix) for r in routes)} == set(
        NOT_WALKED
    )


def test_no_role_sees_pay_or_giving_it_may_not_read(in_alpha: Tenant) -> None:
    planted = _plant(in_alpha)
    routes = [route for route in tenant_routes() if not _skipped(route)]
    missing = {
        route: (segment, parameter)
        for route in routes
        for match in PARAMETER.finditer(route)
        for parameter in [match.group(1) or match.group(2)]
        for segment in [route[: match.start()].rstrip("/").rsplit("/", 1)[-1]]
        if parameter != "name"
        and (segment, parameter) not in planted.values
        and ("", parameter) not in planted.values
    }
    assert missing == {}, "plant an object for these routes"
    paths = [path for route in routes for path in concrete_paths(route, planted)]
    pay, giving = _pay_figures(in_alpha), _giving_figures()
    assert len(pay) > 2, "the allocation has a row for the staff member"

    with schema_context("public"):
        answers = {role: _fetch_all(in_alpha, role, paths) for role in Role.values}

    leaks = []
    for role, texts in answers.items():
        for capability, figures in ((Capability.PAY_READ, pay), (Capability.GIVING_READ, giving)):
            if role_has_capability(role, capability):
                continue
            leaks += [
                (role, path, figure)
                for path, text in texts.items()
                for figure in figures
                if figure in text
            ]
    assert leaks == []

    for role in (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER):
        texts = answers[role]
        assert "52000.00" in texts[f"/api/v1/personnel/staff/{planted.value('staff', 'pk')}/"]
        assert any(cost in texts["/personnel/reports/payroll-allocation/"] for cost in pay), role
        assert any(
            cost in texts["/api/v1/personnel/reports/payroll-allocation/?format=csv"]
            for cost in pay
        ), role
        pay_run = f"/pay-runs/{planted.value('pay-runs', 'pk')}/"
        assert "$4,321.09" in texts[pay_run], role
        assert "$4,927.08" in texts[f"{pay_run}preview/"], role  # 4,321.09 + 330.56 + 275.43
        assert "$4,927.08" in texts["/pay-runs/?format=csv"], role
        pay_run_api = f"/api/v1/personnel{pay_run}"
        assert "4321.09" in texts[pay_run_api], role
        assert "4927.08" in texts[f"{pay_run_api}preview/"], role
        assert "4927.08" in texts["/api/v1/personnel/pay-runs/"], role
    for role in (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER):
        texts = answers[role]
        donor_page = texts[f"/donors/{planted.value('donors', 'pk')}/"]
        assert "$7,345.67" in donor_page, role
        assert GIFT in texts["/api/v1/donations/gifts/"], role
        assert "7,345.67" in texts["/gifts/"], role
    coordinator = answers[Role.VOLUNTEER_COORDINATOR]
    donor_page = coordinator[f"/donors/{planted.value('donors', 'pk')}/"]
    assert 'id="contact-heading"' in donor_page  # how to reach the donor, not what they give
    assert 'id="giving-heading"' not in donor_page
    assert "Maria Lopez" in coordinator["/api/v1/personnel/staff/"]
    assert "Maria Lopez" not in answers[Role.FUNDRAISER]["/personnel/reports/payroll-allocation/"]
    # The approvals queue is the approvers': the coordinator sees Ben's hours awaiting
    # approval, a volunteer (who approves nothing) does not.
    assert "Ben Ode" in coordinator["/hours/approvals/"]
    assert "Ben Ode" in coordinator["/hours/approvals/?format=csv"]
    assert "Ben Ode" not in answers[Role.VOLUNTEER]["/hours/approvals/"]
    assert "Ben Ode" not in answers[Role.VOLUNTEER]["/hours/timesheet/"]


GIVING_ENDPOINTS = [
    "/api/v1/donations/gifts/",
    "/api/v1/donations/deposits/",
    "/api/v1/donations/campaigns/",
    "/api/v1/donations/receipts/",
    "/api/v1/donations/pledges/",
    "/api/v1/donations/recurring-gifts/",
    "/api/v1/donations/imports/",
    "/api/v1/donations/reports/",
    "/api/v1/donations/reports/lybunt/",
    "/api/v1/donors/donors/giving-summary/",
]
PAY_ENDPOINTS = [
    "/api/v1/personnel/payroll-allocations/",
    "/api/v1/personnel/reports/payroll-allocation/",
    "/api/v1/personnel/pay-runs/",
    "/api/v1/personnel/pay-run-accounts/",
]


@pytest.mark.parametrize("role", Role.values)
def test_the_giving_and_pay_endpoints_answer_only_the_roles_that_read_them(
    alpha: Tenant, role: str
) -> None:
    client = alpha.api(alpha.owner if role == Role.OWNER else alpha.user(role))

    for endpoints, capability in ((GIVING_ENDPOINTS, Capability.GIVING_READ),
                                  (PAY_ENDPOINTS, Capability.PAY_READ)):  # fmt: skip
        expected = 200 if role_has_capability(role, capability) else 403
        for path in endpoints:
            assert client.get(path).status_code == expected, (role, path)
    donors = client.get("/api/v1/donors/donors/")
    expected = 200 if role_has_capability(role, Capability.DONORS_READ) else 403
    assert donors.status_code == expected  # the coordinator still reaches donors
