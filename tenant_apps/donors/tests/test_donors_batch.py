"""Many donors recorded at once (donors_create): the rows and audit rows donor_create gives
one by one, all or none."""

from __future__ import annotations

import pytest

from saas_platform.lib.errors import ServiceError
from tenant_apps.core.models import AuditEvent
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec
from tenant_apps.donors.services.donors import donor_create
from tenant_apps.donors.services.imports import DonorImportSpec, donors_create
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _shape(donor: Donor) -> tuple[object, ...]:
    return (
        donor.kind,
        donor.display_name,
        donor.do_not_contact,
        [email.email for email in donor.emails.all()],
        [address.line1 for address in donor.addresses.all()],
        sorted(tag.name for tag in donor.tags.all()),
    )


def test_donors_recorded_together_are_as_recorded_one_by_one(in_alpha: Tenant) -> None:
    given = {
        "names": DonorNames(kind="individual", first_name="Ada", last_name="Lovelace"),
        "emails": [EmailSpec(email="ada@example.org")],
        "addresses": [AddressSpec(line1="1 Oak Street", city="Springfield", postcode="62701")],
        "tags": ["Board"],
        "do_not_contact": True,
    }
    alone = donor_create(acting_user=in_alpha.owner, **given)  # type: ignore[arg-type]

    together = donors_create(
        donors=[
            DonorImportSpec(**given),  # type: ignore[arg-type]
            DonorImportSpec(names=DonorNames(kind="organization", organization_name="Acme")),
        ],
        acting_user=in_alpha.owner,
    )

    assert _shape(together[0]) == _shape(alone)
    assert together[0].created_by == in_alpha.owner
    assert together[1].display_name == "Acme"
    for donor in (alone, *together):
        assert list(
            AuditEvent.objects.filter(object_type="donor", object_id=str(donor.pk)).values_list(
                "action", "detail"
            )
        ) == [("donor.create", {"display_name": donor.display_name, "kind": donor.kind})]


def test_one_donor_refused_records_none(in_alpha: Tenant) -> None:
    with pytest.raises(ServiceError, match="Donor 2: "):
        donors_create(
            donors=[
                DonorImportSpec(names=DonorNames(kind="organization", organization_name="Acme")),
                DonorImportSpec(names=DonorNames(kind="individual")),
            ],
            acting_user=None,
        )

    assert not Donor.objects.exists()
    assert not AuditEvent.objects.filter(action="donor.create").exists()
