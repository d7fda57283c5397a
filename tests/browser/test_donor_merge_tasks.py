"""Duplicates and follow-ups in Chromium, as a fundraiser works them: she opens a donor, sees
that he is probably here twice, compares the two side by side with what a merge would move
(swapping which one stays, and back), merges them, then adds a follow-up for herself from the
donor's Tasks panel, finds it on the dashboard's "My tasks" and in the task list, and marks it
done. Every page and state is checked by axe, photographed at desktop and phone width, and
kept within a phone's width."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role
from tests.browser.conftest import axe_check, page_checked
from tests.browser.staff import StaffSite, staff_site  # noqa: F401
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def _checked(page: Page, name: str, context: str) -> None:
    page_checked(page, name, context=context)
    assert page.evaluate("window.__violations") == [], context  # nothing the policy refused


def test_a_fundraiser_merges_a_duplicate_then_follows_up_with_a_task(
    staff_site: StaffSite,  # noqa: F811
    chromium: Browser,
) -> None:
    from playwright.sync_api import expect

    from tenant_apps.donations.tests.factories import GiftFactory
    from tenant_apps.donors.services import donor_note_add
    from tenant_apps.donors.tests.factories import DonorFactory

    with staff_site.schema():
        john = DonorFactory.create(
            first_name="John",
            last_name="Smith",
            emails=("john@example.org",),
            postcodes=("02139",),
            tags=("Board",),
        )
        jon = DonorFactory.create(
            first_name="Jon",
            last_name="Smith",
            emails=("john@example.org", "jon.smith@example.org"),
            phones=("617-555-0142",),
            tags=("Gala 2025",),
            mail_ok=False,
        )
        GiftFactory.create(donor=john, amount="250.00", posted=True)
        GiftFactory.create(donor=jon, amount="1200.00", posted=True, method="ach")
        donor_note_add(donor=jon, body="Met at the spring gala.", acting_user=None)
    page: Page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    staff_site.log_in(page, Role.FUNDRAISER)

    # Given John's page, which says he may be here twice
    page.goto(staff_site.url(f"/donors/{john.pk}/"))
    duplicates = page.get_by_role("region", name="Possible duplicates")
    expect(duplicates).to_contain_text("Jon Smith")
    expect(duplicates).to_contain_text("(same email), added")
    _checked(page, "donors-duplicates", "a donor's page with a possible duplicate")

    # When she compares the two
    duplicates.get_by_role("link", name="Compare and merge with Jon Smith").click()
    page.wait_for_url(re.compile(rf"/donors/{john.pk}/merge/{jon.pk}/$"))
    expect(page.get_by_role("heading", name="Compare and merge", level=1)).to_be_visible()
    expect(page.get_by_text("John Smith stays; Jon Smith is merged into it.")).to_be_visible()
    compare = page.get_by_role("table", name="The two donors side by side")
    expect(compare.get_by_role("row", name=re.compile("^Lifetime giving"))).to_contain_text(
        "$250.00"
    )
    expect(compare.get_by_role("row", name=re.compile("^Lifetime giving"))).to_contain_text(
        "$1,200.00"
    )
    preview = page.get_by_role("region", name="What the merge does")
    expect(preview.get_by_role("region", name=re.compile("^Gifts"))).to_contain_text("$1,200.00 on")
    expect(preview.get_by_role("region", name=re.compile("^Emails"))).to_contain_text(
        "John Smith has it already."
    )
    expect(preview.get_by_role("region", name=re.compile("^Preferences"))).to_contain_text(
        "May be sent mail: no, as on Jon Smith"
    )
    _checked(page, "donors-merge", "the merge page: the two side by side and the preview")

    # and swaps which one stays, then swaps back
    page.get_by_role("link", name="Swap: keep Jon Smith instead").click()
    expect(page.get_by_text("Jon Smith stays; John Smith is merged into it.")).to_be_visible()
    page.get_by_role("link", name="Swap: keep John Smith instead").click()
    expect(page.get_by_text("John Smith stays; Jon Smith is merged into it.")).to_be_visible()

    # and merges them, with the keyboard
    merge = page.get_by_role("button", name="Merge Jon Smith into John Smith")
    merge.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/donors/{john.pk}/$"))

    # Then John's page says so, his timeline shows the merge and Jon's history
    expect(page.get_by_text("Jon Smith is merged into John Smith: 1 gift, 1 note")).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Merged Jon Smith into this donor")
    expect(timeline).to_contain_text("Met at the spring gala.")
    expect(page.get_by_role("region", name="Possible duplicates")).to_have_count(0)
    axe_check(page, context="the survivor's page after the merge")

    # and Jon's page points at John
    page.goto(staff_site.url(f"/donors/{jon.pk}/"))
    expect(page.get_by_text("This donor was merged into John Smith.")).to_be_visible()
    axe_check(page, context="the merged donor's page")
    page.get_by_role("link", name="John Smith", exact=True).click()
    page.wait_for_url(re.compile(rf"/donors/{john.pk}/$"))

    # When she adds a follow-up for herself in the Tasks panel (htmx: no reload)
    tasks = page.get_by_role("region", name="Tasks")
    expect(tasks).to_contain_text("No tasks yet.")
    expect(tasks.get_by_label("For")).to_have_text(re.compile(r"\(me\)"))
    tasks.get_by_label("Task", exact=True).fill("Thank John for the gala gift")
    tasks.get_by_role("button", name="Add task").click()
    expect(tasks.get_by_role("status")).to_contain_text("“Thank John for the gala gift” is added")
    expect(tasks.locator(".task-title")).to_have_text(["Thank John for the gala gift"])
    _checked(page, "donors-tasks", "a donor's Tasks panel after a task is added (htmx swap)")

    # Then the dashboard lists it under "My tasks"
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dashboard").click()
    mine = page.get_by_role("region", name="My tasks")
    expect(mine).to_contain_text("Thank John for the gala gift")
    expect(mine.get_by_role("link", name="John Smith")).to_have_attribute(
        "href", f"/donors/{john.pk}/"
    )
    _checked(page, "dashboard-my-tasks", "the dashboard with a task of mine")

    # and so does the task list
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Tasks").click()
    page.wait_for_url(re.compile(r"/tasks/$"))
    expect(page.get_by_role("table")).to_contain_text("Thank John for the gala gift")
    _checked(page, "tasks-list", "the task list, my open tasks")

    # When she marks it done from the dashboard
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dashboard").click()
    mine.get_by_role("button", name=re.compile(r"^Mark done\W+Thank John")).click()

    # Then it is done and "My tasks" says there is nothing to follow up
    expect(page.get_by_text("“Thank John for the gala gift” is done.")).to_be_visible()
    expect(mine).to_contain_text("Nothing to follow up")
    axe_check(page, context="the dashboard after the task is done")
    page.close()
