"""The two home pages: the public site's, and an organization's, which is the staff's
dashboard: each role sees the part of the day's work that is theirs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dateformat import format as date_format

from saas_platform.lib.charts import BarChart, bar_chart
from shared_apps.billing.selectors import connect_events_needing_attention
from shared_apps.tenants.models import Organization
from shared_apps.users.models import User
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from shared_apps.users.selectors import colleague_invited
from tenant_apps.banking.selectors import unreconciled_accounts
from tenant_apps.donations import dashboard
from tenant_apps.donations.dashboard import GivingComparison
from tenant_apps.donors.selectors import my_tasks
from tenant_apps.personnel.selectors_hours import hours_awaiting_count


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html")


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers ask for on their own (before or without reading a page's
    icon link), is the site's icon: a redirect, not a 404 in the logs and the console."""
    response = HttpResponseRedirect(static("img/favicon.svg"))
    response["Cache-Control"] = "max-age=86400, public"
    return response


# --- The dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardParts:
    """Which summaries a user sees. Those who record gifts see their own desk: fundraisers
    (who add donors) the giving, bookkeepers (who post) the books; owners and administrators
    both. Read-only roles see whatever they may read."""

    fundraising: bool
    books: bool


def dashboard_parts(user: User) -> DashboardParts:
    records_gifts = user.has_capability(Capability.GIFTS_WRITE)
    return DashboardParts(
        fundraising=user.has_capability(Capability.DONORS_WRITE)
        or (user.has_capability(Capability.GIVING_READ) and not records_gifts),
        books=user.has_capability(Capability.ACCOUNTING_READ)
        and (user.has_capability(Capability.GIFTS_POST) or not records_gifts),
    )


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    url: str
    action: str
    done: bool


SETTINGS_URL = "/settings/organization/"


@dataclass(frozen=True)
class Checklist:
    items: list[ChecklistItem]
    can_dismiss: bool


def setup_checklist(user: User, *, organization: Organization) -> Checklist | None:
    """A new organization's first steps that `user` can take; none once they are all done, once
    an owner or administrator put the list away, or when the user can take none of them. Each
    step is read from the data, never ticked by hand."""
    if organization.setup_checklist_dismissed:
        return None
    steps = [
        (Capability.SETTINGS_MANAGE, "ein_set", "Your EIN, which every receipt states",
         f"{SETTINGS_URL}#receipts", "Add the EIN"),
        (Capability.SETTINGS_MANAGE, "receipt_settings_done", "Receipts: legal name and signer",
         f"{SETTINGS_URL}#receipts", "Set up receipts"),
        (Capability.USERS_MANAGE, "colleague_invited", "A colleague with their own login",
         "/settings/staff/", "Invite a colleague"),
        (Capability.DONORS_WRITE, "has_donor", "Your donors", "/donations/imports/",
         "Import your donors from a spreadsheet"),
        (Capability.GIFTS_WRITE, "has_gift", "Your first gift", "/gifts/new/",
         "Record a gift"),
        (Capability.GIVING_CONNECT, "giving_live",
         "Online giving, through your own Stripe account", f"{SETTINGS_URL}#giving",
         "Connect Stripe"),
    ]  # fmt: skip
    mine = [step for step in steps if user.has_capability(step[0])]
    if not mine:
        return None
    progress = dataclasses.asdict(dashboard.setup_progress())
    if user.has_capability(Capability.USERS_MANAGE):
        progress["colleague_invited"] = colleague_invited()
    # Live when Stripe takes charges on the connected account, as last read from Stripe.
    progress["giving_live"] = organization.stripe_charges_enabled
    items = [
        ChecklistItem(label=label, url=url, action=action, done=progress[done])
        for _, done, label, url, action in mine
    ]
    items = [
        dataclasses.replace(item, label="Online giving is live")
        if item.url.endswith("#giving") and item.done
        else item
        for item in items
    ]
    if all(item.done for item in items):
        return None
    can_dismiss = user.has_capability(Capability.SETTINGS_MANAGE)
    return Checklist(items=items, can_dismiss=can_dismiss)


def giving_chart(giving: GivingComparison) -> BarChart:
    years = giving.years
    return bar_chart(
        title=f"Giving by month, FY{years.this_year} against FY{years.last_year}",
        series=[f"FY{years.this_year}", f"FY{years.last_year}"],
        groups=[
            (date_format(month.month, "M"), (month.this_year, month.last_year))
            for month in giving.months
        ],
    )


@login_required
def tenant_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    parts = dashboard_parts(user)
    # TenantMainMiddleware sets request.tenant; HttpRequest does not declare it.
    organization: Organization = request.tenant  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "parts": parts,
        "checklist": setup_checklist(user, organization=organization),
        "can_read_donors": user.has_capability(Capability.DONORS_READ),
        "can_write_donors": user.has_capability(Capability.DONORS_WRITE),
        "can_write_gifts": user.has_capability(Capability.GIFTS_WRITE),
        "can_post_gifts": user.has_capability(Capability.GIFTS_POST),
        "can_read_books": user.has_capability(Capability.ACCOUNTING_READ),
        "can_read_personnel": user.has_capability(Capability.PERSONNEL_READ),
        "can_read_pay": user.has_capability(Capability.PAY_READ),
        "can_submit_hours": user.has_capability(Capability.HOURS_SUBMIT),
    }
    if user.has_capability(Capability.GIVING_CONNECT):
        # Online gifts charged but not recorded (a permanent refusal): the owner's to know.
        context["giving_attention"] = connect_events_needing_attention(organization.pk)
    if user.has_capability(Capability.HOURS_APPROVE):
        context["hours_awaiting"] = hours_awaiting_count(excluding_user_id=user.pk)
    if context["can_read_donors"]:
        context["my_tasks"] = my_tasks(user=user, today=today)
    if parts.fundraising:
        fundraising = dashboard.fundraising_summary(today=today)
        context |= {"fundraising": fundraising, "chart": giving_chart(fundraising.giving)}
    if parts.books:
        context["books"] = dashboard.books_summary(today=today)
        # Banking sits beside donations, not under it: its tile is read here.
        context["unreconciled"] = unreconciled_accounts()
    return render(request, "tenant/home.html", context)
