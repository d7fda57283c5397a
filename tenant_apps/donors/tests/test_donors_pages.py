"""Adding and editing a donor on the staff pages: roles, the duplicate suggestions before a
new donor is saved, errors next to the fields, and what is saved (through the services)."""

from __future__ import annotations

from typing import Any

import pytest

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donors.models import Donor, DonorKind
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

NEW = "/donors/new/"


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": DonorKind.INDIVIDUAL,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "organization_name": "",
        "emails": "ada@example.org\nada.k@example.org",
        "phones": "(555) 010-2030",
        "line1": "12 St James's Square",
        "line2": "",
        "city": "London",
        "region": "",
        "postcode": "sw1y 4jh",
        "country": "gb",
        "tags": "Board, Math",
        "email_ok": "on",
        "phone_ok": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.FUNDRAISER])
def test_roles_that_write_donors_open_the_forms(in_alpha: Tenant, role: str) -> None:
    donor = DonorFactory.create()
    client = in_alpha.client(in_alpha.user(role))
    assert client.get(NEW).status_code == 200
    assert client.get(f"/donors/{donor.pk}/edit/").status_code == 200


@pytest.mark.parametrize(
    "role", [Role.BOOKKEEPER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER]
)
def test_other_roles_are_refused_the_forms_and_their_posts(in_alpha: Tenant, role: str) -> None:
    donor = DonorFactory.create(first_name="Kept")
    client = in_alpha.client(in_alpha.user(role))
    for path in (NEW, f"/donors/{donor.pk}/edit/"):
        for response in (client.get(path), client.post(path, _form(first_name="Changed"))):
            assert response.status_code == 403
            assert "This page is for the Owner, Administrator" in response.text
    assert not Donor.objects.filter(first_name="Changed").exists()


def test_anonymous_visitors_are_sent_to_log_in(in_alpha: Tenant) -> None:
    response = in_alpha.client().get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_fundraiser_adds_a_donor_with_contacts_tags_and_preferences(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(NEW, _form())
    donor = Donor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/donors/{donor.pk}/"
    assert donor.display_name == "Ada Lovelace"
    assert [row.email for row in donor.emails.all()] == ["ada@example.org", "ada.k@example.org"]
    assert donor.emails.get(is_primary=True).email == "ada@example.org"
    assert donor.phones.get().phone_digits == "5550102030"
    address = donor.addresses.get()
    assert (address.postcode, address.country, address.is_primary) == ("SW1Y 4JH", "GB", True)
    assert sorted(tag.name for tag in donor.tags.all()) == ["Board", "Math"]
    assert (donor.email_ok, donor.mail_ok, donor.phone_ok) == (True, False, True)
    assert AuditEvent.objects.filter(action="donor.create", object_id=str(donor.pk)).exists()
    assert "Ada Lovelace is added." in client.get(response["Location"]).text


def test_a_likely_duplicate_is_suggested_before_saving(in_alpha: Tenant) -> None:
    ada = DonorFactory.create(first_name="Ada", last_name="Lovelace", emails=("ada@example.org",))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    suggested = client.post(NEW, _form())

    assert suggested.status_code == 200
    assert "This donor may be here already" in suggested.text
    assert f'href="/donors/{ada.pk}/"' in suggested.text
    assert "It is this donor" in suggested.text
    assert "same email" in suggested.text
    assert 'name="create_anyway"' in suggested.text
    assert Donor.objects.count() == 1

    created = client.post(NEW, _form(create_anyway="1"))
    assert created.status_code == 302
    assert Donor.objects.count() == 2


def test_bad_input_comes_back_with_the_errors_and_saves_nothing(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    no_name = client.post(NEW, _form(first_name="", last_name=""))
    bad_email = client.post(NEW, _form(emails="not-an-email"))
    org = client.post(NEW, _form(kind=DonorKind.ORGANIZATION, organization_name=""))
    assert no_name.status_code == bad_email.status_code == org.status_code == 400
    assert "An individual needs a first or a last name." in no_name.text
    assert 'href="#id_last_name"' in no_name.text
    assert "not an email address" in bad_email.text
    assert 'href="#id_emails"' in bad_email.text
    assert "An organization needs its name." in org.text
    assert Donor.objects.count() == 0


def test_editing_changes_names_contacts_tags_and_keeps_other_addresses(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(
        first_name="Ada", last_name="Byron", postcodes=("02139", "10001"), tags=("Old",)
    )
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    form = client.get(f"/donors/{donor.pk}/edit/")
    assert 'value="Byron"' in form.text
    assert 'value="Old"' in form.text

    response = client.post(
        f"/donors/{donor.pk}/edit/",
        _form(last_name="Lovelace", line1="1 Main St", postcode="02139", country="US", tags="New"),
    )

    assert response.status_code == 302
    donor.refresh_from_db()
    assert donor.display_name == "Ada Lovelace"
    assert sorted(row.postcode for row in donor.addresses.all()) == ["02139", "10001"]
    assert [tag.name for tag in donor.tags.all()] == ["New"]
    assert not donor.mail_ok
    actions = set(
        AuditEvent.objects.filter(object_id=str(donor.pk)).values_list("action", flat=True)
    )
    assert {"donor.update", "donor.contacts_replace", "donor.tags_replace"} <= actions


def test_an_edit_refused_by_the_service_changes_nothing(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(first_name="Ada", last_name="Lovelace", phones=("555-010-2030",))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(f"/donors/{donor.pk}/edit/", _form(first_name="Augusta", phones="12"))
    assert response.status_code == 400
    assert 'href="#id_phones"' in response.text
    donor.refresh_from_db()
    assert donor.first_name == "Ada"
    assert donor.phones.get().phone_digits == "5550102030"
