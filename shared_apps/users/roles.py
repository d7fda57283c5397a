"""Roles of an organization's staff and the capabilities each grants.

Apps check capabilities, never role names, so a new role or a changed grant is one edit here.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Administrator"
    BOOKKEEPER = "bookkeeper", "Bookkeeper"
    FUNDRAISER = "fundraiser", "Fundraiser"
    VOLUNTEER_COORDINATOR = "volunteer_coordinator", "Volunteer coordinator"
    VIEWER = "viewer", "Read-only"
    # A volunteer's own login: they log and see their own hours, nothing else.
    VOLUNTEER = "volunteer", "Volunteer"


class Capability(StrEnum):
    USERS_MANAGE = "users.manage"
    SETTINGS_MANAGE = "settings.manage"
    ACCOUNTING_READ = "accounting.read"
    ACCOUNTING_WRITE = "accounting.write"
    REPORTS_READ = "reports.read"
    DONORS_READ = "donors.read"
    DONORS_WRITE = "donors.write"
    GIFTS_WRITE = "gifts.write"
    GIFTS_POST = "gifts.post"
    PERSONNEL_READ = "personnel.read"
    PERSONNEL_WRITE = "personnel.write"
    HOURS_SUBMIT = "hours.submit"
    HOURS_APPROVE = "hours.approve"
    PAYROLL_POST = "payroll.post"
    # Salaries, pay rates and the payroll allocation (each person's cost): kept apart from
    # PERSONNEL_READ so that those who manage people's hours do not see what they are paid.
    PAY_READ = "pay.read"
    # Gifts and their amounts (gift lists, deposits, receipts, pledges, campaigns' totals,
    # fundraising reports): kept apart from DONORS_READ so that a volunteer coordinator can
    # reach donors who volunteer without seeing what they give.
    GIVING_READ = "giving.read"
    # Connecting (or disconnecting) the Stripe account that online gifts are paid into: where
    # the organization's money goes is its owner's decision alone.
    GIVING_CONNECT = "giving.connect"


_READ = {
    Capability.ACCOUNTING_READ,
    Capability.REPORTS_READ,
    Capability.DONORS_READ,
    Capability.GIVING_READ,
    Capability.PERSONNEL_READ,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.ADMIN: frozenset(Capability) - {Capability.GIVING_CONNECT},
    Role.BOOKKEEPER: frozenset(
        _READ
        | {
            Capability.ACCOUNTING_WRITE,
            Capability.GIFTS_WRITE,
            Capability.GIFTS_POST,
            Capability.HOURS_SUBMIT,
            Capability.PAYROLL_POST,
            Capability.PAY_READ,
        }
    ),
    Role.FUNDRAISER: frozenset(
        _READ | {Capability.DONORS_WRITE, Capability.GIFTS_WRITE, Capability.HOURS_SUBMIT}
    ),
    # Donors' names and contacts (to reach volunteers who give) but not their giving; people
    # and hours but not pay.
    Role.VOLUNTEER_COORDINATOR: frozenset(
        {
            Capability.REPORTS_READ,
            Capability.DONORS_READ,
            Capability.PERSONNEL_READ,
            Capability.PERSONNEL_WRITE,
            Capability.HOURS_SUBMIT,
            Capability.HOURS_APPROVE,
        }
    ),
    # Everything read-only but pay: salaries are the bookkeeper's and the administrators'.
    Role.VIEWER: frozenset(_READ),
    # HOURS_SUBMIT without PERSONNEL_READ: the hour entries they see are their own only.
    Role.VOLUNTEER: frozenset({Capability.HOURS_SUBMIT}),
}

# Roles that administer the organization: the tenant's Django admin is theirs.
ADMINISTRATOR_ROLES = frozenset({Role.OWNER, Role.ADMIN})


def role_has_capability(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
