"""manage.py demo_setup and demo_welcome, committed as `make run` runs them (receipt tasks run
after each commit), the demo organization dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker

from provisioning.demo.pages import PAGES
from shared_apps.users.models import User


@pytest.fixture
def committed_demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    from saas_platform.lib.connection import connection
    from shared_apps.tenants.models import Organization

    with django_db_blocker.unblock():
        try:
            yield
        finally:
            connection.set_schema_to_public()
            for organization in Organization.objects.filter(slug="demo"):
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
                organization.delete()


def test_demo_setup_tells_three_years_of_a_nonprofit_once(committed_demo: None) -> None:
    """The demo's reports all have rows: three years of giving with lapsed and recaptured
    donors, pay runs posted from the staff's approved hours, volunteers' hours approved, every
    past month closed; its logins are its people; running it again changes nothing."""
    from django.utils import timezone

    from tenant_apps.accounting import reports
    from tenant_apps.accounting.budget_reports import budget_versus_actual
    from tenant_apps.accounting.models import Budget, FiscalPeriod, JournalEntry
    from tenant_apps.donations import reports as giving
    from tenant_apps.donations.models import Deposit, Gift, Receipt
    from tenant_apps.donors.models import Donor, Household
    from tenant_apps.personnel import reports as personnel
    from tenant_apps.personnel.models import HourEntry, PayrollAllocation, PayRun, Person

    out = StringIO()
    call_command("demo_setup", stdout=out)
    today = timezone.localdate()
    with schema_context("demo"):
        counts = (Donor.objects.count(), Gift.objects.count(), JournalEntry.objects.count())
    call_command("demo_setup", stdout=out)

    assert "demo.localhost" in out.getvalue()
    welcome = StringIO()
    call_command("demo_welcome", stdout=welcome)
    for page in PAGES:
        assert f"{page.path}  " in welcome.getvalue(), page
    assert "bookkeeper@demo.localhost" in welcome.getvalue()
    with schema_context("demo"):
        assert (Donor.objects.count(), Gift.objects.count(), JournalEntry.objects.count()) == counts
        assert User.objects.count() == 6
        assert Person.objects.filter(user__isnull=False).count() == 6
        assert Donor.objects.count() == 500
        assert Household.objects.count() >= 5
        years = {gift.received_on.year for gift in Gift.objects.all()}
        assert years == {today.year - 2, today.year - 1, today.year}
        assert Gift.objects.filter(state="draft").count() == 3
        # Only this month's posted gifts are receipted; the history was receipted elsewhere.
        assert Receipt.objects.count() == 9
        assert Deposit.objects.filter(state="open").count() == 1
        assert PayrollAllocation.objects.count() == (today.year - (today.year - 2)) * 12 + (
            today.month - 1
        )
        # Each past month's pay run posted, split by the staff's approved hours; this month's
        # entered for the four staff and not posted.
        pay_run = PayRun.objects.get(period_start=today.replace(day=1))
        assert pay_run.lines.count() == 4 and not pay_run.allocations.exists()
        past = PayRun.objects.exclude(pk=pay_run.pk)
        assert past.count() == PayrollAllocation.objects.filter(pay_run__isnull=False).count()
        assert not past.filter(allocations__isnull=True).exists()
        assert HourEntry.objects.filter(
            kind="staff", state="approved", date__lt=today.replace(day=1)
        ).exists()
        assert not FiscalPeriod.objects.filter(end__lt=date(today.year, 1, 1), state="open")
        assert not FiscalPeriod.objects.filter(start__gte=date(today.year, 1, 1), state="closed")
        assert giving.lybunt(fiscal_year=today.year).rows
        assert giving.sybunt(fiscal_year=today.year).rows
        assert giving.retention(fiscal_year=today.year).rows
        year = {"start": date(today.year, 1, 1), "end": today}
        assert personnel.hours_by_program(**year).rows
        assert personnel.volunteer_value(**year).rows
        balance = reports.trial_balance(as_of=today).as_json()
        functional = reports.functional_expenses(start=year["start"], end=year["end"])
        budget = Budget.objects.get(fiscal_year=today.year, state="approved")
        against = budget_versus_actual(budget=budget.pk, month=today).as_json()
    assert balance["balanced"]
    assert functional.rows
    assert against["total_revenue"]["ytd_budget"] != "0.00"
    assert against["total_expenses"]["ytd_actual"] != "0.00"


@pytest.mark.django_db
def test_demo_welcome_says_to_set_the_demo_up_first() -> None:
    with pytest.raises(CommandError, match="demo_setup"):
        call_command("demo_welcome", stdout=StringIO())
