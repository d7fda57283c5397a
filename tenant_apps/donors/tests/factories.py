"""Donors as tests need them. Donors made here go through the model, not donor_create: use
`donor_made(...)` for a donor with contacts, as the services would store them."""

from __future__ import annotations

from typing import Any

import factory

from tenant_apps.donors.models import Donor, DonorKind, Household, Tag
from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec, PhoneSpec
from tenant_apps.donors.services.donors import donor_create


class DonorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Donor

    kind = DonorKind.INDIVIDUAL
    first_name = factory.Sequence(lambda number: f"Given{number}")
    last_name = factory.Sequence(lambda number: f"Family{number}")
    display_name = factory.LazyAttribute(lambda donor: f"{donor.first_name} {donor.last_name}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.Sequence(lambda number: f"Household {number}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda number: f"tag-{number}")


def donor_made(
    first_name: str = "",
    last_name: str = "",
    *,
    organization_name: str = "",
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    postcodes: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    acting_user: Any = None,
    **fields: Any,
) -> Donor:
    """A donor created by donor_create (call inside the tenant's schema_context)."""
    kind = DonorKind.ORGANIZATION if organization_name else DonorKind.INDIVIDUAL
    return donor_create(
        names=DonorNames(
            kind=kind,
            first_name=first_name,
            last_name=last_name,
            organization_name=organization_name,
        ),
        emails=[EmailSpec(email) for email in emails],
        phones=[PhoneSpec(phone) for phone in phones],
        addresses=[
            AddressSpec(line1=f"{index + 1} Main St", postcode=postcode)
            for index, postcode in enumerate(postcodes)
        ],
        tags=list(tags),
        acting_user=acting_user,
        **fields,
    )
