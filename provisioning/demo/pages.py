"""The pages `make run` prints once the server answers, one per README "What to open" row.

README.md's table and this list are the same list (tests/test_readme.py holds them together):
add a page to both.
"""

from __future__ import annotations

from typing import Literal, NamedTuple


class DemoPage(NamedTuple):
    site: Literal["platform", "demo"]  # the public site, or the demo organization's
    path: str
    what: str


PAGES: tuple[DemoPage, ...] = (
    DemoPage("platform", "/", "the public site"),
    DemoPage("platform", "/signup/", "sign up a new organization"),
    DemoPage(
        "platform",
        "/console/",
        "operators' console (`operator@ifm.localhost` / `operator-demo-2026`)",
    ),
    DemoPage("platform", "/admin/", "operators' admin (same login; the path is `ADMIN_URL_PATH`)"),
    DemoPage("demo", "/", "the demo organization: its login page, then the dashboard of your role"),
    DemoPage(
        "demo",
        "/donors/",
        "donors: search as you type, filters, a donor's page and timeline, add and edit",
    ),
    DemoPage(
        "demo",
        "/gifts/",
        "gifts: the list (post selected drafts), the gift form, a gift's page (post, refund, void)",
    ),
    DemoPage(
        "demo",
        "/gifts/batch/",
        "batch entry of a stack of checks, keyboard only, posted in one action",
    ),
    DemoPage(
        "demo",
        "/deposits/",
        "deposits: count and total against expected, close, the printable slip; scanned "
        "checks uploaded, read and reviewed into draft gifts",
    ),
    DemoPage(
        "demo",
        "/receipts/",
        "receipts: PDF, email again, corrected versions, year-end statements, settings",
    ),
    DemoPage("demo", "/accounting/", "the financial statements (any role that reads the books)"),
    DemoPage(
        "demo",
        "/accounting/periods/",
        "the month-end close: a month's checklist, close in order, reopen with a reason",
    ),
    DemoPage(
        "demo",
        "/accounting/journal/",
        "the journal: filters, an entry's page (post, reverse), the entry form with totals by fund",
    ),
    DemoPage(
        "demo",
        "/accounting/journal/recurring/",
        "recurring entries (monthly rent): set up once, posted for a month with one action",
    ),
    DemoPage(
        "demo",
        "/accounting/bank/",
        "bank reconciliation: import OFX, QFX or CSV statements, match, finish, report and PDF",
    ),
    DemoPage(
        "demo",
        "/accounting/chart/",
        "chart of accounts: filter, CSV; bookkeepers add, rename, deactivate",
    ),
    DemoPage(
        "demo",
        "/accounting/funds/",
        "funds with their restriction and release date: add, edit, deactivate",
    ),
    DemoPage(
        "demo", "/accounting/programs/", "programs expenses are charged to: add, edit, deactivate"
    ),
    DemoPage(
        "demo",
        "/accounting/budgets/",
        "budgets: a grid by account and month, CSV import, approval; budget versus actual",
    ),
    DemoPage(
        "demo",
        "/give/",
        "the public giving page, no login (it says giving is not set up until the owner connects "
        "a Stripe account in the organization settings)",
    ),
    DemoPage(
        "demo",
        "/give/community-appeal/",
        "a campaign's public giving page: its story, goal and progress; staff edit it, and copy "
        "its button and frame codes, from the campaign's page",
    ),
    DemoPage("demo", "/donations/imports/", "CSV imports of donors and gifts, with their progress"),
    DemoPage(
        "demo", "/donations/reports/", "fundraising reports: LYBUNT, SYBUNT, campaigns, funds..."
    ),
    DemoPage("demo", "/personnel/", "hours, volunteer value and payroll allocation"),
    DemoPage(
        "demo",
        "/hours/timesheet/",
        "my hours: the week's timesheet by program, keyboard entry, save, submit for approval",
    ),
    DemoPage(
        "demo",
        "/hours/volunteering/",
        "a volunteer's year: hours approved and awaiting, and what their time is worth",
    ),
    DemoPage(
        "demo",
        "/hours/approvals/",
        "hours awaiting approval by person and week: approve or reject in bulk (coordinator)",
    ),
    DemoPage(
        "demo",
        "/pay-runs/",
        "pay runs: enter or import the provider's CSV, preview the split by approved hours and "
        "its entry, post, reverse (owner, admin, bookkeeper)",
    ),
    DemoPage(
        "demo",
        "/settings/staff/",
        "staff: invite by email with a role, change roles, deactivate (owners and admins)",
    ),
    DemoPage(
        "demo",
        "/settings/organization/",
        "organization settings: name, time zone, logo, receipts, fiscal year, volunteer rate "
        "(owners and admins)",
    ),
    DemoPage("demo", "/account/", "your account: name, password, sessions, sign out everywhere"),
    DemoPage("demo", "/admin/", "the organization's own admin (owners and admins)"),
    DemoPage("demo", "/api/docs/", "the API (Swagger UI); schema at `/api/schema/`"),
    DemoPage("demo", "/healthz", "health: database and Redis, 503 when one is down"),
)
