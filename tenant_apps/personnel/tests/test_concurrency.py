"""Two submissions for one person at the same time: the lock on the person's row makes the
second wait for the first and count its hours, so they cannot pass the 24-hour day together.
Needs committed rows (two connections), so it runs on a tenant made outside the test
transaction."""

from __future__ import annotations

import threading
from datetime import date

from django.db import connection, transaction
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker

from saas_platform.lib.errors import ServiceError
from shared_apps.tenants.models import Organization
from tenant_apps.accounting.models import Function
from tenant_apps.personnel.models import HourEntry
from tenant_apps.personnel.services.hours import hour_entry_submit
from tenant_apps.personnel.tests.factories import VolunteerFactory

DAY = date(2026, 3, 10)


def test_two_submissions_at_once_cannot_both_pass(
    committed_tenant: Organization, django_db_blocker: DjangoDbBlocker
) -> None:
    schema = committed_tenant.schema_name
    first_written, release = threading.Event(), threading.Event()
    results: dict[str, str] = {}

    def submit(name: str, *, hold: bool) -> None:
        try:
            with schema_context(schema), transaction.atomic():
                hour_entry_submit(
                    person=person, date=DAY, hours="13.00", function=Function.FUNDRAISING,
                    acting_user=None,
                )  # fmt: skip
                if hold:  # keep the transaction (and the lock) open while the other starts
                    first_written.set()
                    release.wait(timeout=10)
            results[name] = "saved"
        except ServiceError as error:
            results[name] = error.message
        finally:
            connection.close()

    with django_db_blocker.unblock():
        with schema_context(schema):
            person = VolunteerFactory.create(full_name="Ann Park").person
        first = threading.Thread(target=submit, args=("first",), kwargs={"hold": True})
        second = threading.Thread(target=submit, args=("second",), kwargs={"hold": False})
        first.start()
        assert first_written.wait(timeout=10)
        second.start()
        # Without the lock the second would count 0 hours (the first is not committed) and
        # save now; with it, it waits for the first to commit.
        second.join(timeout=0.5)
        release.set()
        first.join(timeout=10)
        second.join(timeout=10)
        with schema_context(schema):
            saved = list(HourEntry.objects.filter(person=person).values_list("hours", flat=True))

    assert results["first"] == "saved"
    assert "already has 13.00 hours on 2026-03-10" in results["second"]
    assert [str(hours) for hours in saved] == ["13.00"]
