"""Personnel in the tenant's admin can be looked at, not written: writes go through services."""

from __future__ import annotations

from datetime import date

import pytest

from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    StaffRecordFactory,
    VolunteerFactory,
)
from tests.plugin import Tenant

MODELS: tuple[str, ...] = ("person", "staffrecord", "volunteer", "hourentry", "personnelsettings")
MODELS += ("payrollallocation",)


@pytest.mark.parametrize("model", MODELS)
def test_an_owner_reads_each_model_but_cannot_add_one(in_alpha: Tenant, model: str) -> None:
    staff = StaffRecordFactory.create(
        full_name="Maria Lopez",
        split_program="50",
        split_management_general="50",
        default_program="PRG",
    )
    HourEntryFactory.create(
        person=VolunteerFactory.create(full_name="Ben Ode").person,
        date=date(2026, 3, 2),
        hours="7.25",
        approve=True,
    )
    settings_update(payroll_posting_enabled=True, acting_user=None)
    payroll_allocation_post(start=date(2026, 3, 1), end=date(2026, 3, 31), acting_user=None)
    client = in_alpha.client(in_alpha.owner)

    listed = client.get(f"/admin/personnel/{model}/")

    assert listed.status_code == 200
    assert client.get(f"/admin/personnel/{model}/add/").status_code == 403
    if model == "staffrecord":
        page = client.get(f"/admin/personnel/staffrecord/{staff.pk}/change/")
        assert page.status_code == 200
        assert b"Maria Lopez" in page.content
        assert (
            client.post(f"/admin/personnel/staffrecord/{staff.pk}/change/", {}).status_code == 403
        )
    if model == "hourentry":
        assert b"7.25" in listed.content
