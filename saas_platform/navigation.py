"""The staff site's navigation: its sections, each shown only to roles that may use it.

A section names the URL it opens, the capability it needs, and the path prefix under which it
is the current section. Apps' pages add their section here when they land.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from shared_apps.users.models import User
from shared_apps.users.roles import Capability


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str
    capability: Capability | None
    prefixes: tuple[str, ...]


SECTIONS = (
    Section("Dashboard", "home", None, ("/",)),
    Section("Donors", "donors:index", Capability.DONORS_READ, ("/donors/",)),
    # Follow-ups with donors: where a development director looks for the week's calls.
    Section("Tasks", "tasks:index", Capability.DONORS_READ, ("/tasks/",)),
    Section("Gifts", "gifts:list", Capability.GIVING_READ, ("/gifts/", "/pledges/", "/recurring/")),
    Section("Deposits", "deposits:index", Capability.GIVING_READ, ("/deposits/",)),
    Section("Campaigns", "campaigns:index", Capability.GIVING_READ, ("/campaigns/",)),
    Section("Receipts", "receipts:index", Capability.GIVING_READ, ("/receipts/",)),
    Section("Imports", "donations:imports", Capability.GIVING_READ, ("/donations/imports",)),
    Section("Reports", "donations:reports", Capability.GIVING_READ, ("/donations/reports",)),
    Section("Books", "accounting:index", Capability.ACCOUNTING_READ, ("/accounting/",)),
    Section("People", "personnel:index", Capability.PERSONNEL_READ, ("/personnel/",)),
    # What staff were paid: salaries are for the roles that read pay only.
    Section("Pay runs", "payroll:index", Capability.PAY_READ, ("/pay-runs/",)),
    # One's own hours: the week's timesheet and, for volunteers, their year.
    Section(
        "My hours",
        "hours:timesheet",
        Capability.HOURS_SUBMIT,
        ("/hours/timesheet/", "/hours/volunteering/"),
    ),
    Section("Approvals", "hours:approvals", Capability.HOURS_APPROVE, ("/hours/approvals/",)),
    # Who has a login and with what role; inviting colleagues.
    Section("Staff", "staff:index", Capability.USERS_MANAGE, ("/settings/staff/",)),
    # The organization's name, logo, receipts, fiscal year and volunteer rate.
    Section(
        "Settings", "organization:index", Capability.SETTINGS_MANAGE, ("/settings/organization/",)
    ),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def navigation_for(user: User, path: str) -> list[NavItem]:
    """The sections `user` may open, the one `path` is in marked current."""
    visible = [
        section
        for section in SECTIONS
        if section.capability is None or user.has_capability(section.capability)
    ]

    def is_current(section: Section) -> bool:
        if section.prefixes == ("/",):
            return path == "/"
        return path.startswith(section.prefixes)

    return [
        NavItem(section.label, reverse(section.url_name), is_current(section))
        for section in visible
    ]
