"""manage.py demo_setup: the `demo` tenant with one login per role, for trying IFM locally."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tenants.utils import schema_context

from provisioning.services import tenant_provision, tenant_provision_resume
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_url
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import JournalEntry
from tenant_apps.accounting.services import LineSpec
from tenant_apps.donations import services as donations
from tenant_apps.donors import services as donors
from tenant_apps.donors.models import Donor

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a published development login
STAFF = [
    ("owner@demo.localhost", "Olivia Owner", Role.OWNER),
    ("bookkeeper@demo.localhost", "Ben Bookkeeper", Role.BOOKKEEPER),
    ("fundraiser@demo.localhost", "Fatima Fundraiser", Role.FUNDRAISER),
    ("volunteers@demo.localhost", "Victor Coordinator", Role.VOLUNTEER_COORDINATOR),
    ("viewer@demo.localhost", "Vera Viewer", Role.VIEWER),
    ("volunteer@demo.localhost", "Val Volunteer", Role.VOLUNTEER),
]


class Command(BaseCommand):
    help = "Create the demo tenant with one login per role (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=DEMO_SLUG).first()
        if organization is None:
            organization = tenant_provision(
                slug=DEMO_SLUG,
                name="Demo Community Fund",
                owner_email=STAFF[0][0],
                owner_password=DEMO_PASSWORD,
                owner_name=STAFF[0][1],
            )
        elif organization.state != OrganizationState.ACTIVE:
            organization = tenant_provision_resume(
                organization=organization, owner_password=DEMO_PASSWORD
            )
        with schema_context(organization.schema_name):
            for email, name, role in STAFF:
                if not User.objects.filter(email=email).exists():
                    User.objects.create_user(email, DEMO_PASSWORD, full_name=name, role=role)
            if not JournalEntry.objects.exists():
                demo_books_record(User.objects.get(email=STAFF[1][0]))
            if not Donor.objects.exists():
                demo_donations_record(
                    fundraiser=User.objects.get(email=STAFF[2][0]),
                    bookkeeper=User.objects.get(email=STAFF[1][0]),
                )

        url = organization_url(organization=organization)
        self.stdout.write(f"The demo organization is at {url}")


def demo_books_record(bookkeeper: User) -> None:
    """A few weeks of a small nonprofit this month, so the reports have figures to show."""
    today = timezone.localdate()

    def day(number: int) -> date:
        return today.replace(day=min(number, today.day))

    accounting.post_contribution(
        date=day(1), amount=Decimal("6500.00"), fund="GEN", acting_user=bookkeeper
    )
    accounting.post_contribution(
        date=day(2),
        amount=Decimal("8000.00"),
        fund="PRP",
        revenue_account="4030",
        memo="Foundation grant for the program",
        acting_user=bookkeeper,
    )
    accounting.post_contribution(
        date=day(3),
        amount=Decimal("120.00"),
        fund="GEN",
        debit_account="1060",
        acting_user=bookkeeper,
    )
    accounting.post_fee(date=day(3), amount=Decimal("3.78"), acting_user=bookkeeper)
    accounting.entry_record(
        date=day(5),
        memo="Salaries",
        source="manual",
        acting_user=bookkeeper,
        lines=[
            LineSpec(
                account="7020", fund="GEN", debit="1800.00", function="program", program="PRG"
            ),
            LineSpec(account="7020", fund="GEN", debit="700.00", function="management_general"),
            LineSpec(account="7020", fund="GEN", debit="500.00", function="fundraising"),
            LineSpec(account="1010", fund="GEN", credit="3000.00"),
        ],
    )
    accounting.entry_record(
        date=day(6),
        memo="Program supplies paid from the grant",
        source="manual",
        acting_user=bookkeeper,
        lines=[
            LineSpec(
                account="8110", fund="PRP", debit="1450.00", function="program", program="PRG"
            ),
            LineSpec(account="1010", fund="PRP", credit="1450.00"),
        ],
    )
    accounting.entry_record(
        date=day(7),
        memo="Rent invoice",
        source="manual",
        acting_user=bookkeeper,
        lines=[
            LineSpec(account="8210", fund="GEN", debit="950.00", function="management_general"),
            LineSpec(account="2010", fund="GEN", credit="950.00"),
        ],
    )


def demo_donations_record(*, fundraiser: User, bookkeeper: User) -> None:
    """Three donors, a campaign and three gifts (two posted, one draft), and receipt settings
    with a sample EIN, so the donor pages, receipts and fundraising reports have data."""
    donations.receipt_settings_update(
        acting_user=bookkeeper,
        ein="12-3456789",  # the IRS's own example number: a demo, not a real organization
        address="1 Main Street\nSpringfield, IL 62701",
        signatory_name="Olivia Owner",
        signatory_title="Executive Director",
    )
    ada = donors.donor_create(
        names=donors.DonorNames(kind="individual", first_name="Ada", last_name="Lovelace"),
        emails=[donors.EmailSpec(email="ada@example.org")],
        addresses=[
            donors.AddressSpec(
                line1="12 Analytical Way", city="Springfield", region="IL", postcode="62701"
            )
        ],
        tags=["Board"],
        acting_user=fundraiser,
    )
    grace = donors.donor_create(
        names=donors.DonorNames(kind="individual", first_name="Grace", last_name="Hopper"),
        emails=[donors.EmailSpec(email="grace@example.org")],
        phones=[donors.PhoneSpec(number="(217) 555-0142")],
        acting_user=fundraiser,
    )
    acme = donors.donor_create(
        names=donors.DonorNames(kind="organization", organization_name="Acme Foundation"),
        emails=[donors.EmailSpec(email="grants@acme.example")],
        acting_user=fundraiser,
    )
    today = timezone.localdate()
    spring = donations.campaign_create(
        code="SPRING", name="Spring appeal", goal="10000.00", acting_user=fundraiser
    )
    check = donations.gift_create(
        donor=ada,
        amount="250.00",
        received_on=today,
        method="check",
        check_number="1042",
        campaign=spring,
        acting_user=fundraiser,
    )
    restricted = donations.gift_create(
        donor=grace,
        amount="1000.00",
        received_on=today,
        method="ach",
        allocations=[donations.AllocationSpec(fund="PRP", amount="1000.00")],
        campaign=spring,
        designation="For the program",
        acting_user=fundraiser,
    )
    donations.gift_create(
        donor=acme,
        amount="5000.00",
        received_on=today,
        method="check",
        check_number="88017",
        acting_user=fundraiser,
    )
    for gift in (check, restricted):
        donations.gift_post(gift=gift, acting_user=bookkeeper)
