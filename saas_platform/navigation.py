"""The staff site's navigation: its sections, each shown only to roles that may use it.

A section names the URL it opens, the capability it needs, and the path prefix under which it
is the current section. Apps' pages add their section here when they land. Related sections
can share one entry of the bar, a menu (`Group`), so that the bar keeps to one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.text import slugify

from shared_apps.users.models import User
from shared_apps.users.roles import Capability


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str
    capability: Capability | None
    prefixes: tuple[str, ...]

    def is_open_to(self, user: User) -> bool:
        return self.capability is None or user.has_capability(self.capability)

    def holds(self, path: str) -> bool:
        if self.prefixes == ("/",):
            return path == "/"
        return path.startswith(self.prefixes)


@dataclass(frozen=True)
class Group:
    """Sections behind one entry of the bar, a menu that opens under it. A role that may open
    only one of them gets that section as an entry of its own (a volunteer's "My hours")."""

    label: str
    sections: tuple[Section, ...]


SECTIONS: tuple[Section | Group, ...] = (
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
    # The people sections share one entry, a menu: with all of them the bar would no longer fit
    # one row of a 1,280 px window for owners and administrators.
    Group(
        "People",
        (
            Section(
                "Personnel reports", "personnel:index", Capability.PERSONNEL_READ, ("/personnel/",)
            ),
            # What staff were paid: salaries are for the roles that read pay only.
            Section("Pay runs", "payroll:index", Capability.PAY_READ, ("/pay-runs/",)),
            # One's own hours: the week's timesheet and, for volunteers, their year.
            Section(
                "My hours",
                "hours:timesheet",
                Capability.HOURS_SUBMIT,
                ("/hours/timesheet/", "/hours/volunteering/"),
            ),
            Section(
                "Approvals", "hours:approvals", Capability.HOURS_APPROVE, ("/hours/approvals/",)
            ),
            # Who has a login and with what role; inviting colleagues.
            Section("Staff", "staff:index", Capability.USERS_MANAGE, ("/settings/staff/",)),
        ),
    ),
    # The organization's name, logo, receipts, fiscal year and volunteer rate.
    Section(
        "Settings", "organization:index", Capability.SETTINGS_MANAGE, ("/settings/organization/",)
    ),
)


@dataclass(frozen=True)
class NavItem:
    """An entry of the bar: a link, or (with `items`) a menu of links under `label`."""

    label: str
    url: str
    current: bool
    items: tuple[NavItem, ...] = ()

    @property
    def menu_id(self) -> str:
        return f"sections-{slugify(self.label)}"


def _item(section: Section, path: str) -> NavItem:
    return NavItem(section.label, reverse(section.url_name), section.holds(path))


def navigation_for(user: User, path: str) -> list[NavItem]:
    """The sections `user` may open, the one `path` is in marked current (and so is the menu
    holding it)."""
    navigation = []
    for entry in SECTIONS:
        if isinstance(entry, Section):
            if entry.is_open_to(user):
                navigation.append(_item(entry, path))
            continue
        items = tuple(
            _item(section, path) for section in entry.sections if section.is_open_to(user)
        )
        if len(items) == 1:
            navigation.append(items[0])
        elif items:
            current = any(item.current for item in items)
            navigation.append(NavItem(entry.label, items[0].url, current, items))
    return navigation
