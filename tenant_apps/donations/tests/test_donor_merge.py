"""Merging duplicate donors from the staff pages: the duplicates panel of a donor's page, the
merge page (the two side by side, which stays, the preview of what moves, the merge), and the
preview itself against what the merge then moves; roles, refusals, CSRF, escaping, queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, Pledge, SoftCredit
from tenant_apps.donations.services.allocations import SoftCreditSpec
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.receipts import receipt_issue
from tenant_apps.donations.tests.factories import GiftFactory, PledgeFactory
from tenant_apps.donors import selectors as donor_selectors
from tenant_apps.donors.models import Donor, DonorMergeRecord, DonorTask
from tenant_apps.donors.services import donor_merge, donor_note_add, task_create
from tenant_apps.donors.services.merges import MERGE_STEPS
from tenant_apps.donors.tests.factories import DonorFactory, HouseholdFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"
WRITERS = [Role.OWNER, Role.ADMIN, Role.FUNDRAISER]
READERS_ONLY = [Role.BOOKKEEPER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR]


def _pair(**merged_fields: Any) -> tuple[Donor, Donor]:
    """John Smith and a duplicate with the same email."""
    john = DonorFactory.create(
        first_name="John", last_name="Smith", emails=("john@example.org",), tags=("Board",)
    )
    fields: dict[str, Any] = {
        "first_name": "Jon",
        "last_name": "Smith",
        "emails": ("john@example.org", "jon@example.org"),
    }
    fields.update(merged_fields)
    return john, DonorFactory.create(**fields)


def _merge_url(survivor: Donor, merged: Donor) -> str:
    return f"/donors/{survivor.pk}/merge/{merged.pk}/"


# --- The duplicates panel ----------------------------------------------------------------------


def test_a_donor_page_lists_possible_duplicates_with_compare_and_merge(in_alpha: Tenant) -> None:
    john, jon = _pair()
    DonorFactory.create(first_name="Grace", last_name="Hopper")
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(f"/donors/{john.pk}/").text

    assert "Possible duplicates" in page
    assert f'<a href="/donors/{jon.pk}/">Jon Smith</a>' in page
    added = timezone.localdate(jon.created_at).strftime("%b %-d, %Y")
    assert f"(same email), added {added}" in page
    assert f'href="/donors/{john.pk}/merge/{jon.pk}/"' in page
    assert "Grace Hopper" not in page


@pytest.mark.parametrize("role", READERS_ONLY)
def test_readers_see_the_duplicates_but_no_merge(in_alpha: Tenant, role: str) -> None:
    john, jon = _pair()
    page = in_alpha.client(in_alpha.user(role)).get(f"/donors/{john.pk}/").text
    assert "Possible duplicates" in page
    assert "Jon Smith" in page
    assert "Compare and merge" not in page


def test_no_panel_without_duplicates_nor_on_a_merged_donor(in_alpha: Tenant) -> None:
    john, jon = _pair()
    alone = DonorFactory.create(first_name="Grace", last_name="Hopper")
    donor_merge(survivor=john, merged=jon, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert "Possible duplicates" not in client.get(f"/donors/{alone.pk}/").text
    merged_page = client.get(f"/donors/{jon.pk}/").text
    assert "Possible duplicates" not in merged_page
    assert f'This donor was merged into <a href="/donors/{john.pk}/">John Smith</a>.' in merged_page


# --- The merge page: who may, and what it shows ---------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_those_who_write_donors_compare_two(in_alpha: Tenant, role: str) -> None:
    john, jon = _pair()
    user = in_alpha.owner if role == Role.OWNER else in_alpha.user(role)
    response = in_alpha.client(user).get(_merge_url(john, jon))
    assert response.status_code == 200
    assert "Merge Jon Smith into John Smith" in response.text


@pytest.mark.parametrize("role", [*READERS_ONLY, Role.VOLUNTEER])
def test_others_get_the_page_that_names_who_may_and_merge_nothing(
    in_alpha: Tenant, role: str
) -> None:
    john, jon = _pair()
    client = in_alpha.client(in_alpha.user(role))
    for response in (client.get(_merge_url(john, jon)), client.post(_merge_url(john, jon))):
        assert response.status_code == 403
        assert "This page is for the Owner, Administrator and Fundraiser roles" in response.text
    jon.refresh_from_db()
    assert jon.merged_into is None


def test_anonymous_visitors_are_sent_to_log_in(in_alpha: Tenant) -> None:
    john, jon = _pair()
    response = in_alpha.client().get(_merge_url(john, jon))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_sets_the_two_side_by_side_and_previews_what_moves(in_alpha: Tenant) -> None:
    household = HouseholdFactory.create(name="Smith household")
    john, jon = _pair(
        phones=("555-010-2030",), postcodes=("02139",), tags=("Major",), household=household
    )
    GiftFactory.create(donor=jon, amount="1234.50", posted=True)
    GiftFactory.create(donor=john, amount="20.00", posted=True)
    PledgeFactory.create(donor=jon, amount="500.00")
    donor_note_add(donor=jon, body="Met at the gala.", acting_user=None)
    task_create(
        donor=jon,
        title="Send the annual report",
        due_on=timezone.localdate(),
        assignee=in_alpha.owner,
        acting_user=None,
    )

    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(_merge_url(john, jon)).text

    # Side by side: which stays, contacts, household, tags, giving and records.
    assert "John Smith stays; Jon Smith is merged into it." in page
    assert "Stays" in page and "Merged into it" in page
    for shown in ("jon@example.org", "555-010-2030", "1 Main St", "Smith household", "Major"):
        assert shown in page, shown
    assert '<td class="num">$1,234.50</td>' in page
    assert '<td class="num">$20.00</td>' in page
    # The preview: what moves, and what stays (the email John has already).
    for shown in (
        "$1,234.50 on",
        "by check (Posted)",
        "$500.00 pledged on",
        "Met at the gala.",
        "Send the annual report (due",
        "John Smith joins Smith household",
        "jon@example.org",
        "Major",
    ):
        assert shown in page, shown
    assert "Not moved (1):</strong> John Smith has it already." in page
    assert f'href="/donors/{jon.pk}/merge/{john.pk}/">Swap: keep Jon Smith instead' in page


def test_the_swap_keeps_the_other_one(in_alpha: Tenant) -> None:
    john, jon = _pair()
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(_merge_url(jon, john)).text
    assert "Jon Smith stays; John Smith is merged into it." in page
    assert "Merge John Smith into Jon Smith" in page


def test_names_people_typed_are_shown_as_text(in_alpha: Tenant) -> None:
    john, jon = _pair(first_name=HOSTILE, tags=(HOSTILE,))
    donor_note_add(donor=jon, body=HOSTILE, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    for path in (_merge_url(john, jon), f"/donors/{john.pk}/"):
        text = client.get(path).text
        assert HOSTILE not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path


def test_the_page_runs_as_many_queries_for_much_history_as_for_little(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    john, jon = _pair()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    client.get(_merge_url(john, jon))  # the session and the caches, once

    def queries(number: int) -> int:
        for index in range(number):
            GiftFactory.create(donor=jon, amount=f"{index + 1}.00", posted=True)
            PledgeFactory.create(donor=jon)
            donor_note_add(donor=jon, body=f"Note {index}", acting_user=None)
            task_create(
                donor=jon,
                title=f"Task {index}",
                due_on=timezone.localdate(),
                assignee=in_alpha.owner,
                acting_user=None,
            )
        with count_queries() as captured:
            assert client.get(_merge_url(john, jon)).status_code == 200
        return len(captured)

    assert queries(1) == queries(12)


# --- Merging --------------------------------------------------------------------------------------


def test_merging_moves_the_history_and_the_survivor_shows_it(in_alpha: Tenant) -> None:
    john, jon = _pair()
    gift = GiftFactory.create(donor=jon, amount="75.00", posted=True)
    task = task_create(
        donor=jon,
        title="Call",
        due_on=timezone.localdate(),
        assignee=in_alpha.owner,
        acting_user=None,
    )
    fundraiser = in_alpha.user(Role.FUNDRAISER)
    client = in_alpha.client(fundraiser)

    response = client.post(_merge_url(john, jon))

    assert response.status_code == 302
    assert response["Location"] == f"/donors/{john.pk}/"
    jon.refresh_from_db()
    assert (jon.merged_into, jon.is_active) == (john, False)
    assert Gift.objects.get(pk=gift.pk).donor == john
    assert DonorTask.objects.get(pk=task.pk).donor == john
    record = DonorMergeRecord.objects.get(merged=jon)
    assert record.acting_user == fundraiser
    assert AuditEvent.objects.filter(
        action="donor.merge", actor=fundraiser, object_id=str(john.pk)
    ).exists()
    page = client.get(response["Location"]).text
    assert "Jon Smith is merged into John Smith: 1 gift, 1 task and 1 email moved." in page
    assert "Merged Jon Smith into this donor" in page
    assert "$75.00" in page
    merged_page = client.get(f"/donors/{jon.pk}/").text
    assert f'merged into <a href="/donors/{john.pk}/">John Smith</a>' in merged_page


def test_a_donor_is_not_merged_with_itself(in_alpha: Tenant) -> None:
    john, _ = _pair()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    for response in (client.get(_merge_url(john, john)), client.post(_merge_url(john, john))):
        assert response.status_code == 400
        assert "A donor cannot be merged with itself" in response.text
    assert not DonorMergeRecord.objects.exists()


def test_an_already_merged_donor_is_refused_with_the_way_to_its_survivor(
    in_alpha: Tenant,
) -> None:
    john, jon = _pair()
    grace = DonorFactory.create(first_name="Grace", last_name="Hopper")
    donor_merge(survivor=john, merged=jon, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    for path in (_merge_url(grace, jon), _merge_url(jon, grace)):
        for response in (client.get(path), client.post(path)):
            assert response.status_code == 409
            assert "Jon Smith was already merged into John Smith" in response.text
            assert f'href="/donors/{john.pk}/">Open John Smith</a>' in response.text
    assert DonorMergeRecord.objects.count() == 1


def test_a_merge_done_meanwhile_is_said_and_nothing_more_happens(
    in_alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone merged Jon elsewhere between this page's reading and its merge.
    from tenant_apps.donations.views import donor_merge as view

    john, jon = _pair()
    grace = DonorFactory.create(first_name="Grace", last_name="Hopper")
    real_refusal = view._refusal

    def merged_meanwhile(survivor: Donor, merged: Donor) -> tuple[str, int, Donor | None]:
        answer = real_refusal(survivor, merged)
        if not DonorMergeRecord.objects.exists():
            donor_merge(survivor=grace, merged=jon, acting_user=None)
        return answer

    monkeypatch.setattr(view, "_refusal", merged_meanwhile)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(_merge_url(john, jon))

    assert response.status_code == 302
    assert response["Location"] == _merge_url(john, jon)
    jon.refresh_from_db()
    assert jon.merged_into == grace
    assert "was already merged into donor" in client.get(response["Location"]).text


def test_an_individual_and_an_organization_need_the_box_ticked(in_alpha: Tenant) -> None:
    john = DonorFactory.create(first_name="John", last_name="Smith", emails=("j@smith.org",))
    foundation = DonorFactory.create(organization_name="Smith Foundation", emails=("j@smith.org",))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert (
        "Yes, merge an individual and an organization"
        in client.get(_merge_url(john, foundation)).text
    )

    refused = client.post(_merge_url(john, foundation))

    assert refused.status_code == 400
    assert "One thing needs fixing" in refused.text
    assert "merging them needs allow_different_kinds" in refused.text
    foundation.refresh_from_db()
    assert foundation.merged_into is None

    merged = client.post(_merge_url(john, foundation), {"allow_different_kinds": "on"})
    assert merged.status_code == 302
    foundation.refresh_from_db()
    assert foundation.merged_into == john


def test_a_merge_needs_the_csrf_token(in_alpha: Tenant) -> None:
    john, jon = _pair()
    client = Client(HTTP_HOST=in_alpha.host, enforce_csrf_checks=True)
    client.force_login(in_alpha.user(Role.FUNDRAISER))

    response = client.post(_merge_url(john, jon))

    assert response.status_code == 403
    jon.refresh_from_db()
    assert jon.merged_into is None


def test_another_organization_cannot_merge_alpha_donors(alpha: Tenant, beta: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        john, jon = _pair()
    client = beta.client(beta.owner)
    assert client.get(_merge_url(john, jon)).status_code == 404
    assert client.post(_merge_url(john, jon)).status_code == 404
    with schema_context(alpha.organization.schema_name):
        jon.refresh_from_db()
        assert jon.merged_into is None


# --- The preview against the merge ----------------------------------------------------------------


def test_every_merge_step_has_its_preview() -> None:
    steps = {name for name, _ in MERGE_STEPS}
    previews = {name for name, _ in donor_selectors.MERGE_PREVIEWS}
    assert steps <= previews
    assert previews - steps == {"donations.receipts"}


def _parts(survivor: Donor, merged: Donor) -> dict[str, donor_selectors.MergePreviewPart]:
    loaded = {donor.pk: donor for donor in donor_selectors.donor_list()}
    return {
        part.label: part
        for part in donor_selectors.donor_merge_preview(
            survivor=loaded[survivor.pk], merged=loaded[merged.pk]
        )
    }


def test_the_preview_says_what_the_merge_then_moves(in_alpha: Tenant) -> None:
    # Given two records of one man, with gifts, credits, a receipt, notes and a task
    receipt_settings_update(
        acting_user=None, legal_name="Alpha Relief Fund", ein="12-3456789", signatory_name="Ann"
    )
    john, jon = _pair(phones=("555-010-2030",), email_ok=False, notes="Prefers calls.")
    spouse = DonorFactory.create(first_name="Mary", last_name="Smith")
    jons_gifts = [GiftFactory.create(donor=jon, amount=f"{n}0.00", posted=True) for n in (1, 2)]
    spouse_gift = GiftFactory.create(
        donor=spouse, soft_credits=[SoftCreditSpec(donor=jon, amount="5.00")]
    )
    # Jon credited on John's own gift: the hard credit wins, the soft one is dropped.
    GiftFactory.create(donor=john, soft_credits=[SoftCreditSpec(donor=jon, amount="7.00")])
    receipt = receipt_issue(gift=jons_gifts[0], acting_user=None)
    donor_note_add(donor=jon, body="Asked about bequests.", acting_user=None)
    task_create(
        donor=jon,
        title="Visit",
        due_on=timezone.localdate(),
        assignee=in_alpha.owner,
        acting_user=None,
    )

    # When the preview is read, then the merge is done
    parts = _parts(john, jon)
    donor_merge(survivor=john, merged=jon, acting_user=None)

    # Then each part said what moved
    assert parts["Gifts"].moving_count == Gift.objects.filter(donor=john).count() - 1 == 2
    assert parts["Emails"].moving == [donor_selectors.PreviewItem("jon@example.org")]
    assert parts["Emails"].staying_count == 1
    assert parts["Phones"].moving_count == 1
    assert parts["Preferences"].moving == [
        donor_selectors.PreviewItem("May be emailed: no, as on Jon Smith")
    ]
    assert [item.text for item in parts["Notes"].moving][0].startswith("The notes on file")
    assert parts["Notes"].moving_count == 2
    assert parts["Tasks"].moving_count == DonorTask.objects.filter(donor=john).count() == 1
    credits = parts["Soft credits"]
    assert (credits.moving_count, credits.staying_count) == (1, 1)
    assert SoftCredit.objects.get(donor=john).gift == spouse_gift
    assert parts["Receipts"].staying_count == 1
    assert parts["Receipts"].moving_count == 0
    receipt.refresh_from_db()
    assert receipt.donor == jon
    assert parts["Pledges"].is_empty and not Pledge.objects.exists()


def test_the_preview_of_many_things_shows_the_first_and_counts_the_rest(in_alpha: Tenant) -> None:
    john, jon = _pair()
    for index in range(donor_selectors.PREVIEW_SHOWN + 3):
        GiftFactory.create(donor=jon, amount=f"{index + 1}.00")

    gifts = _parts(john, jon)["Gifts"]

    assert len(gifts.moving) == donor_selectors.PREVIEW_SHOWN
    assert (gifts.moving_count, gifts.moving_more) == (donor_selectors.PREVIEW_SHOWN + 3, 3)
    assert gifts.moving[0].url.startswith("/gifts/")
