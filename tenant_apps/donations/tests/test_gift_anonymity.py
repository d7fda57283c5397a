"""A gift given anonymously: staff see it (a badge on the gift's page and in the gift list, a
column of the list's CSV); the public giving pages name no donor, anonymous or not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.users.roles import Role
from tenant_apps.donations.models import Campaign
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donations.tests.test_campaign_giving_pages import (  # noqa: F401 - fixtures
    PAGE,
    campaign,
)
from tenant_apps.donations.tests.test_online_gifts import connected  # noqa: F401 - fixture
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_staff_see_an_anonymous_gift_on_its_page_in_the_list_and_its_csv(
    in_alpha: Tenant,
) -> None:
    hidden = GiftFactory.create(
        donor=donor_made("Ada", "Lovelace"), amount="12.00", anonymous=True, posted=True
    )
    GiftFactory.create(donor=donor_made("Grace", "Hopper"), amount="34.00", posted=True)
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER))

    page = viewer.get(f"/gifts/{hidden.pk}/").content.decode()
    listed = viewer.get("/gifts/").content.decode()
    download: Any = viewer.get("/gifts/", {"format": "csv"})
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()

    assert 'Ada Lovelace <span class="badge neutral">Anonymous</span>' in page
    assert listed.count('<span class="badge neutral">Anonymous</span>') == 1
    assert lines[0].endswith(",State,Anonymous")
    assert {line.split(",")[2]: line.rsplit(",", 1)[1] for line in lines[1:]} == {
        "Ada Lovelace": "Yes",
        "Grace Hopper": "No",
    }


def test_the_campaign_and_thank_you_pages_name_no_donor(
    alpha: Tenant,
    campaign: Campaign,  # noqa: F811
) -> None:
    with schema_context("alpha"):
        GiftFactory.create(
            donor=donor_made("Ada", "Lovelace"), campaign=campaign, anonymous=True, posted=True
        )
        GiftFactory.create(donor=donor_made("Grace", "Hopper"), campaign=campaign, posted=True)
    visitor = Client(HTTP_HOST=alpha.host)

    pages = [
        visitor.get(PAGE).content.decode(),
        visitor.get(f"{PAGE}?embed=1").content.decode(),
        visitor.get("/give/thanks/?campaign=spring-appeal").content.decode(),
    ]

    assert "from 2 donors" in pages[0]
    for html in pages:
        assert "Lovelace" not in html and "Hopper" not in html
