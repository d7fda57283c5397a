"""Donor services on alpha's schema: what they store, what they refuse (writing nothing), and
the merge of duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.core.models import AuditEvent
from tenant_apps.donors import selectors
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorKind,
    DonorMergeRecord,
    DonorNote,
    DonorPhone,
    Tag,
)
from tenant_apps.donors.services import merges
from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec, PhoneSpec
from tenant_apps.donors.services.donors import donor_create, donor_note_add, donor_update
from tenant_apps.donors.services.households import household_add, household_create, household_remove
from tenant_apps.donors.services.merges import donor_merge, merge_step_register
from tenant_apps.donors.services.tags import donor_tag_add, donor_tag_remove, tag_create
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PERSON = DonorNames(kind=DonorKind.INDIVIDUAL, first_name=" Ada ", last_name="Lovelace")


def test_a_donor_is_created_with_contacts_tags_and_an_audit_row(in_alpha: Tenant) -> None:
    donor = donor_create(
        names=PERSON,
        emails=[EmailSpec(" Ada@Example.ORG "), EmailSpec("ada@work.org", is_primary=True)],
        phones=[PhoneSpec("+1 (555) 010-2030")],
        addresses=[AddressSpec(line1="12 St James's Sq", postcode="sw1y  4jh", country="gb")],
        tags=["Major donor", "major DONOR", "Board"],
        acting_user=in_alpha.owner,
    )

    assert donor.display_name == "Ada Lovelace"
    assert donor.first_name == "Ada"
    assert donor.created_by == in_alpha.owner
    assert list(donor.emails.values_list("email", "is_primary")) == [
        ("ada@work.org", True),
        ("ada@example.org", False),
    ]
    assert list(donor.phones.values_list("number", "phone_digits", "is_primary")) == [
        ("+1 (555) 010-2030", "5550102030", True)
    ]
    address = donor.addresses.get()
    assert (address.postcode, address.country, address.is_primary) == ("SW1Y 4JH", "GB", True)
    assert sorted(donor.tags.values_list("name", flat=True)) == ["Board", "Major donor"]
    assert AuditEvent.objects.filter(action="donor.create", object_id=str(donor.pk)).exists()


def test_an_organization_is_displayed_by_its_name(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(organization_name="Acme Foundation")
    assert (donor.kind, donor.display_name) == (DonorKind.ORGANIZATION, "Acme Foundation")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"names": DonorNames(kind="robot", last_name="X")}, "kind"),
        ({"names": DonorNames(kind=DonorKind.INDIVIDUAL)}, "last_name"),
        ({"names": DonorNames(kind=DonorKind.ORGANIZATION, last_name="X")}, "organization_name"),
        ({"emails": [EmailSpec("not-an-email")]}, "emails"),
        ({"emails": [EmailSpec("a@b.org"), EmailSpec("A@B.org")]}, "emails"),
        ({"emails": [EmailSpec("a@b.org", True), EmailSpec("c@d.org", True)]}, "emails"),
        ({"phones": [PhoneSpec("12-34")]}, "phones"),
        ({"addresses": [AddressSpec(line1=" ")]}, "addresses"),
        ({"addresses": [AddressSpec(line1="1 Main", country="USA")]}, "addresses"),
        ({"tags": ["  "]}, "name"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    in_alpha: Tenant, arguments: dict[str, Any], field: str
) -> None:
    arguments = {"names": PERSON, "emails": [EmailSpec("ok@example.org")], **arguments}
    with pytest.raises(ServiceError) as refused:
        donor_create(acting_user=None, tags=arguments.pop("tags", ["new-tag"]), **arguments)

    assert field in refused.value.fields
    assert refused.value.message
    assert not Donor.objects.exists()
    assert not DonorEmail.objects.exists()
    assert not Tag.objects.exists()


def test_the_database_refuses_a_second_primary_and_a_nameless_individual(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(first_name="Ada", last_name="Lovelace", emails=("a@example.org",))
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorEmail.objects.create(donor=donor, email="b@example.org", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorEmail.objects.create(donor=donor, email="UPPER@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Donor.objects.create(kind=DonorKind.INDIVIDUAL, display_name="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.bulk_create([Tag(name="Board"), Tag(name="BOARD")])


def test_an_update_keeps_the_display_name_and_is_audited(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(first_name="Ada", last_name="Lovelace")

    donor_update(
        donor=donor, first_name="Augusta Ada", do_not_contact=True, acting_user=in_alpha.owner
    )

    donor.refresh_from_db()
    assert donor.display_name == "Augusta Ada Lovelace"
    assert donor.do_not_contact
    event = AuditEvent.objects.get(action="donor.update", object_id=str(donor.pk))
    assert event.detail["first_name"] == "Augusta Ada"
    with pytest.raises(ServiceError):
        donor_update(donor=donor, kind=DonorKind.ORGANIZATION, acting_user=None)
    donor.refresh_from_db()
    assert donor.kind == DonorKind.INDIVIDUAL


def test_notes_households_and_tags(in_alpha: Tenant) -> None:
    ada, byron = (
        DonorFactory.create(first_name="Ada", last_name="Lovelace"),
        DonorFactory.create(first_name="George", last_name="Byron"),
    )

    note = donor_note_add(donor=ada, body=" Met at the gala ", acting_user=in_alpha.owner)
    household = household_create(name="Byron family", acting_user=None)
    household_add(household=household, donor=ada, acting_user=None)
    household_add(household=household, donor=byron, acting_user=None)
    other = household_create(name="Other", acting_user=None)
    tag = donor_tag_add(donor=ada, name="Board", acting_user=None)

    assert (note.body, note.author) == ("Met at the gala", in_alpha.owner)
    assert set(household.members.all()) == {ada, byron}
    with pytest.raises(StateConflict):
        household_add(household=other, donor=ada, acting_user=None)
    household_remove(household=household, donor=ada, acting_user=None)
    assert list(household.members.all()) == [byron]
    assert donor_tag_add(donor=byron, name="BOARD", acting_user=None) == tag
    donor_tag_remove(donor=ada, tag=tag, acting_user=None)
    assert list(tag.donors.all()) == [byron]
    with pytest.raises(ServiceError):
        tag_create(name="board", acting_user=None)
    with pytest.raises(ServiceError):
        donor_note_add(donor=ada, body="  ", acting_user=None)


# --- Merge -------------------------------------------------------------------------------------


def test_a_merge_moves_everything_and_keeps_a_tombstone_and_a_record(in_alpha: Tenant) -> None:
    # Given a survivor with a primary email and a duplicate with its own contacts and history
    survivor = DonorFactory.create(
        first_name="John", last_name="Smith", emails=("john@example.org",), tags=("board",)
    )
    merged = DonorFactory.create(
        first_name="Jon",
        last_name="Smith",
        emails=("jon@example.org", "JOHN@example.org"),
        phones=("555 010 2030",),
        postcodes=("02139",),
        tags=("major",),
        notes="Prefers calls.",
        email_ok=False,
    )
    household = household_create(name="Smiths", acting_user=None)
    household_add(household=household, donor=merged, acting_user=None)
    note = donor_note_add(donor=merged, body="Called in May", acting_user=None)
    earlier = DonorFactory.create(first_name="J.", last_name="Smith")
    donor_merge(survivor=merged, merged=earlier, acting_user=None)

    # When the duplicate is merged into the survivor
    result = donor_merge(survivor=survivor, merged=merged, acting_user=in_alpha.owner)

    # Then the survivor has its contacts, keeping its own primaries
    survivor.refresh_from_db()
    assert list(survivor.emails.values_list("email", "is_primary")) == [
        ("john@example.org", True),
        ("jon@example.org", False),
    ]
    assert list(survivor.phones.values_list("phone_digits", "is_primary")) == [("5550102030", True)]
    assert survivor.addresses.get().postcode == "02139"
    assert list(DonorNote.objects.filter(donor=survivor)) == [note]
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["board", "major"]
    assert survivor.household == household
    assert "Prefers calls." in survivor.notes
    assert survivor.email_ok is False  # the stricter preference wins
    # and the duplicate is an inactive tombstone, as is the donor merged into it earlier
    merged.refresh_from_db()
    earlier.refresh_from_db()
    assert (merged.is_active, merged.merged_into, merged.household) == (False, survivor, None)
    assert earlier.merged_into == survivor
    assert list(merged.emails.values_list("email", flat=True)) == ["john@example.org"]
    assert not merged.tags.exists()
    # and the record says what moved
    record = DonorMergeRecord.objects.get(merged=merged)
    assert record == result.record
    assert (record.survivor, record.acting_user) == (survivor, in_alpha.owner)
    assert record.moved["emails"]["emails_already_on_survivor"] == ["john@example.org"]
    assert record.moved["tags"] == {"tags": ["major"]}
    assert record.moved["notes"]["notes"] == [note.pk]
    assert record.moved["earlier_merges"] == {"earlier_merges_repointed": [earlier.pk]}
    assert AuditEvent.objects.filter(action="donor.merge", object_id=str(survivor.pk)).exists()


def test_a_merge_gives_the_survivor_primaries_it_lacks(in_alpha: Tenant) -> None:
    survivor = DonorFactory.create(first_name="John", last_name="Smith")
    merged = DonorFactory.create(
        first_name="Jon", last_name="Smith", emails=("jon@example.org",), phones=("5550102030",)
    )

    donor_merge(survivor=survivor, merged=merged, acting_user=None)

    assert survivor.emails.get().is_primary
    assert survivor.phones.get().is_primary


def test_a_merge_refuses_itself_a_merged_donor_and_other_kinds(in_alpha: Tenant) -> None:
    john, jon = (
        DonorFactory.create(first_name="John", last_name="Smith"),
        DonorFactory.create(first_name="Jon", last_name="Smith"),
    )
    acme = DonorFactory.create(organization_name="Smith Foundation", emails=("info@smith.org",))

    with pytest.raises(ServiceError, match="itself"):
        donor_merge(survivor=john, merged=john, acting_user=None)
    with pytest.raises(ServiceError, match="allow_different_kinds") as refused:
        donor_merge(survivor=john, merged=acme, acting_user=None)
    assert refused.value.status == 400
    assert DonorEmail.objects.get().donor == acme
    assert not DonorMergeRecord.objects.exists()

    donor_merge(survivor=john, merged=jon, acting_user=None)
    with pytest.raises(StateConflict, match="already merged"):
        donor_merge(survivor=john, merged=jon, acting_user=None)
    with pytest.raises(StateConflict, match="merge into that one"):
        donor_merge(survivor=jon, merged=acme, acting_user=None)
    jon.refresh_from_db()  # the merge worked on locked copies of the rows
    with pytest.raises(StateConflict):
        donor_note_add(donor=jon, body="late", acting_user=None)

    donor_merge(survivor=john, merged=acme, allow_different_kinds=True, acting_user=None)
    assert DonorEmail.objects.get().donor == john


def test_a_registered_merge_step_runs_in_the_merge(
    in_alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # How donations will move gifts and soft credits: one more step, in the same transaction.
    seen: list[tuple[int, int]] = []
    monkeypatch.setattr(merges, "MERGE_STEPS", list(merges.MERGE_STEPS))

    def step(survivor: Donor, merged: Donor) -> dict[str, Any]:
        seen.append((survivor.pk, merged.pk))
        return {"gifts": []}

    merge_step_register("gifts", step)
    john, jon = (
        DonorFactory.create(first_name="John", last_name="Smith"),
        DonorFactory.create(first_name="Jon", last_name="Smith"),
    )

    result = donor_merge(survivor=john, merged=jon, acting_user=None)

    assert seen == [(john.pk, jon.pk)]
    assert result.record.moved["gifts"] == {"gifts": []}


def test_a_failing_step_leaves_nothing_merged(
    in_alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(survivor: Donor, merged: Donor) -> dict[str, Any]:
        raise ServiceError("Gift 7 is in a closed deposit.")

    monkeypatch.setattr(merges, "MERGE_STEPS", [*merges.MERGE_STEPS, ("gifts", broken)])
    john = DonorFactory.create(first_name="John", last_name="Smith")
    jon = DonorFactory.create(first_name="Jon", last_name="Smith", emails=("jon@example.org",))

    with pytest.raises(ServiceError):
        donor_merge(survivor=john, merged=jon, acting_user=None)

    jon.refresh_from_db()
    assert jon.is_active
    assert jon.merged_into is None
    assert DonorEmail.objects.get().donor == jon
    assert not DonorMergeRecord.objects.exists()
    assert DonorPhone.objects.count() == DonorAddress.objects.count() == 0


# News by email, on a merge: "do not contact" on either record wins over everything; otherwise
# the person asked for news on either record, and gets it.
@pytest.mark.parametrize(
    ("survivor_news", "merged_news", "survivor_dnc", "merged_dnc", "news_after"),
    [
        (False, True, False, False, True),  # asked for on the duplicate: kept
        (True, False, False, False, True),  # asked for on the survivor: kept
        (False, False, False, False, False),
        (True, True, False, True, False),  # do not contact on the duplicate wins
        (True, False, True, False, False),  # do not contact on the survivor wins
    ],
)
def test_a_merge_keeps_news_asked_for_on_either_unless_either_says_do_not_contact(
    in_alpha: Tenant,
    survivor_news: bool,
    merged_news: bool,
    survivor_dnc: bool,
    merged_dnc: bool,
    news_after: bool,
) -> None:
    survivor = DonorFactory.create(
        first_name="Ada", email_news_ok=survivor_news, do_not_contact=survivor_dnc
    )
    merged = DonorFactory.create(
        first_name="Ada", email_news_ok=merged_news, do_not_contact=merged_dnc
    )
    preview = {
        part.label: [item.text for item in part.moving]
        for part in selectors.donor_merge_preview(survivor=survivor, merged=merged)
    }

    result = donor_merge(survivor=survivor, merged=merged, acting_user=None)

    survivor.refresh_from_db()
    assert survivor.email_news_ok is news_after
    assert survivor.do_not_contact is (survivor_dnc or merged_dnc)
    changed = result.record.moved["preferences"]["preferences_changed"]
    news_changed = news_after != survivor_news
    assert ("email_news_ok" in changed) is news_changed
    # The preview said so before.
    assert any(text.startswith("Email news") for text in preview["Preferences"]) is news_changed
