"""Donors and households as tests need them, made through the donor services as the app makes
them (contacts normalized, tags found or created, an audit row written). Call inside the
tenant's schema: the `in_alpha` fixture, or a `schema_context`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import factory

from tenant_apps.donors.models import Donor, DonorKind, Household
from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec, PhoneSpec
from tenant_apps.donors.services.donors import donor_create
from tenant_apps.donors.services.households import household_create

if TYPE_CHECKING:
    from shared_apps.users.models import User


class DonorFactory(factory.Factory[Donor]):
    """A donor made by donor_create: an individual unless `organization_name` is given. Its
    contacts are given as plain values: `emails`, `phones`, and `postcodes` (an address on a
    numbered Main St for each) or whole `addresses`, plus `tags`; any other keyword is
    donor_create's."""

    class Meta:
        model = Donor

    organization_name = ""
    first_name = factory.LazyAttributeSequence(
        lambda donor, number: "" if donor.organization_name else f"Given{number}"
    )
    last_name = factory.LazyAttributeSequence(
        lambda donor, number: "" if donor.organization_name else f"Family{number}"
    )
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    addresses: tuple[AddressSpec, ...] = ()
    tags: tuple[str, ...] = ()
    acting_user: User | None = None

    @classmethod
    def _create(cls, model_class: type[Donor], *args: Any, **fields: Any) -> Donor:
        organization_name = fields.pop("organization_name")
        postcodes = fields.pop("postcodes")
        return donor_create(
            names=DonorNames(
                kind=DonorKind.ORGANIZATION if organization_name else DonorKind.INDIVIDUAL,
                first_name=fields.pop("first_name"),
                last_name=fields.pop("last_name"),
                organization_name=organization_name,
            ),
            emails=[EmailSpec(email) for email in fields.pop("emails")],
            phones=[PhoneSpec(phone) for phone in fields.pop("phones")],
            addresses=[
                *fields.pop("addresses"),
                *(
                    AddressSpec(line1=f"{index + 1} Main St", postcode=postcode)
                    for index, postcode in enumerate(postcodes)
                ),
            ],
            tags=list(fields.pop("tags")),
            **fields,
        )


class HouseholdFactory(factory.Factory[Household]):
    """A household made by household_create."""

    class Meta:
        model = Household

    name = factory.Sequence(lambda number: f"Household {number}")

    @classmethod
    def _create(cls, model_class: type[Household], *args: Any, **fields: Any) -> Household:
        return household_create(acting_user=None, **fields)


def donor_made(
    first_name: str = "",
    last_name: str = "",
    *,
    organization_name: str = "",
    **fields: Any,
) -> Donor:
    """DonorFactory with the names given in order, as the donations, billing and console tests
    call it."""
    return DonorFactory.create(
        first_name=first_name, last_name=last_name, organization_name=organization_name, **fields
    )
