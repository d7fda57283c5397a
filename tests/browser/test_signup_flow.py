"""A new organization goes from the signup form to its own logged-in subdomain in Chromium,
its schema a spare one renamed as in production, and is refused once an operator suspends it.
Every page on the way is checked by axe-core and photographed at desktop and phone width."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django_tenants.utils import schema_exists
from pytest_django import DjangoDbBlocker, Settings

from tests.browser.conftest import Platform, axe_check, pages_photographed, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser


pytestmark = pytest.mark.browser

PASSWORD = "Harbor-Light-2026"
OPERATOR_EMAIL = "operator@browser-test.ifm"
OPERATOR_PASSWORD = "Operator-Light-2026"


def _wait_for_mail(to: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if to in message.to:
                return message
        time.sleep(0.05)
    pytest.fail(f"no email to {to} within {seconds} s")


@pytest.fixture
def made_here(django_db_blocker: DjangoDbBlocker) -> Iterator[dict[str, str]]:
    """Names of what the test creates; all of it is removed afterwards, schema included."""
    from django.contrib.sessions.models import Session
    from django.db import connections

    from saas_platform.lib.connection import connection

    names = {"slug": f"harbor-{uuid.uuid4().hex[:6]}"}
    with django_db_blocker.unblock():
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
    try:
        yield names
    finally:
        with django_db_blocker.unblock():
            from shared_apps.console.models import OperatorAuditEvent
            from shared_apps.onboarding.models import Signup
            from shared_apps.tenants.models import Organization

            connection.set_schema_to_public()
            OperatorAuditEvent.objects.filter(organization_slug=names["slug"]).delete()
            for organization in Organization.objects.filter(slug=names["slug"]):
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
                organization.delete()  # its domain and subscription go with it
            Signup.objects.filter(slug=names["slug"]).delete()
            # By SQL: the ORM's cascade would look for tenant tables that refer to users.
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM users WHERE email = %s", [OPERATOR_EMAIL])
            Session.objects.exclude(session_key__in=sessions_before).delete()
            # Playwright runs this test in a context of its own, where Django opened another
            # connection than the one pytest-django closes: close it, or the test database
            # cannot be dropped at the end of the run.
            connections.close_all()


@pytest.fixture
def spare_ready(django_db_blocker: DjangoDbBlocker, settings: Settings) -> Iterator[str]:
    """One spare schema ready, as the worker keeps them in production. Set up before the worker
    and removed after it has stopped, with every spare the worker made meanwhile."""
    from django.db import connections

    from provisioning.models import SpareSchema
    from provisioning.spares import spares_refill

    settings.PROVISIONING_SPARE_SCHEMAS = 1
    with django_db_blocker.unblock():
        spares_refill()
        try:
            yield SpareSchema.objects.get().schema_name
        finally:
            settings.PROVISIONING_SPARE_SCHEMAS = 0
            spares_refill()
            connections.close_all()  # as made_here does, for the same reason


def _wait_for_new_spare(old: str, seconds: float = 30) -> str:
    from provisioning.models import SpareSchema

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        names = list(SpareSchema.objects.values_list("schema_name", flat=True))
        if names and old not in names:
            return names[0]
        time.sleep(0.1)
    pytest.fail(f"the worker made no new spare schema within {seconds} s")


# The suspended organization's host answers 403, which Chromium logs.
@pytest.mark.console_errors_expected(r"status of 403 \(Forbidden\)")
def test_signup_to_a_logged_in_subdomain_then_suspended(
    chromium: Browser,
    platform: Platform,
    spare_ready: str,
    celery_worker: None,
    made_here: dict[str, str],
) -> None:
    from shared_apps.billing.models import Subscription
    from shared_apps.console.models import OperatorAuditEvent
    from shared_apps.tenants.models import Organization, OrganizationState
    from shared_apps.users.models import User

    slug = made_here["slug"]
    email = f"hana@{slug}.org"
    owner = chromium.new_context()
    page = owner.new_page()

    # Given the signup form, whose subdomain check answers as one types
    page.goto(platform.url("/signup/"))
    page.get_by_label("Organization name").fill("Harbor Food Bank")
    assert page.get_by_label("Subdomain").input_value() == "harbor-food-bank"  # suggested
    page.get_by_label("Subdomain").fill("alpha")
    page.wait_for_selector("#slug-status.taken")
    assert page.inner_text("#slug-status") == "This subdomain is taken."
    page.get_by_label("Subdomain").fill(slug)
    page.wait_for_selector("#slug-status.ok")
    assert page.inner_text("#slug-status") == f"{slug}.localhost is available."
    page.get_by_label("Your name").fill("Hana Ortiz")
    page.get_by_label("Your email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Plus").check()
    page.get_by_label("I accept the terms of service").check()
    axe_check(page, context="the signup form, filled in")
    pages_photographed(page, "signup")

    # When it is sent, the progress page waits for the email to be confirmed
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(re.compile(r"/signup/[0-9a-f-]{36}/progress/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    axe_check(page, context="the progress page, waiting for the email")
    pages_photographed(page, "progress-check-email")

    # and the emailed link, once confirmed, starts provisioning, which the page follows
    message = _wait_for_mail(email)
    found = re.search(r"http://localhost:\d+/signup/verify/[\w-]+/", str(message.body))
    assert found is not None
    link = found.group(0)
    page.goto(link)
    axe_check(page, context="the emailed link's confirmation page")
    pages_photographed(page, "signup-verify")
    page.get_by_role("button", name="Confirm and create my organization").click()
    page.wait_for_url(re.compile(r"/signup/[0-9a-f-]{36}/progress/$"))
    page.wait_for_selector('#progress .step.done[data-step="verify"]')
    progress_url = page.url
    # Only a glance: the page moves on by itself within a few seconds. It is checked below,
    # once ready, with scripts off.
    screenshot(page, "progress")
    login_url = platform.url("/accounts/login/", slug=slug)
    page.wait_for_url(login_url, timeout=45_000)

    # Then the owner logs in at the new subdomain
    assert page.get_by_role("heading", level=1).inner_text() == "Log in to Harbor Food Bank"
    axe_check(page, context="the new organization's login page")
    pages_photographed(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(platform.url("/", slug=slug))
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert page.inner_text("header.site .brand") == "IFM\nHarbor Food Bank"
    assert "Welcome, Hana (Owner)" in page.inner_text("main")
    axe_check(page, context="the new organization's home page")
    pages_photographed(page, "tenant-home")

    # and the progress page, without its script (which would move on), says it is ready
    ready = chromium.new_page()
    ready.route(
        "**/progress.js", lambda route: route.fulfill(body="", content_type="text/javascript")
    )
    ready.goto(progress_url)
    assert ready.get_by_role("heading", level=1).inner_text() == "Harbor Food Bank is ready"
    axe_check(ready, context="the progress page, ready")
    pages_photographed(ready, "progress-ready")

    organization = Organization.objects.get(slug=slug)
    assert organization.state == OrganizationState.ACTIVE
    # its schema was the spare, renamed, and the worker has made the next one
    assert not schema_exists(spare_ready)
    assert schema_exists(organization.schema_name)
    assert _wait_for_new_spare(spare_ready) != spare_ready
    assert organization.plan_code == "plus"
    assert Subscription.objects.get(organization=organization).status == "trialing"

    # and an operator, logged in on the public host, sees it and suspends it
    User.objects.create_superuser(OPERATOR_EMAIL, OPERATOR_PASSWORD)  # is_operator
    operator = chromium.new_context().new_page()
    operator.goto(platform.url("/accounts/login/"))
    axe_check(operator, context="the platform's login page")
    pages_photographed(operator, "platform-login")
    operator.get_by_label("Email").fill(OPERATOR_EMAIL)
    operator.get_by_label("Password").fill(OPERATOR_PASSWORD)
    operator.get_by_role("button", name="Log in").click()
    operator.wait_for_url(platform.url("/"))
    axe_check(operator, context="the platform's home page, as an operator")
    pages_photographed(operator, "platform-home-operator")
    operator.goto(platform.url(f"/console/?q={slug}"))
    assert "Harbor Food Bank" in operator.inner_text("main")
    axe_check(operator, context="the console's search")
    pages_photographed(operator, "console")
    operator.goto(platform.url(f"/console/tenants/{slug}/"))
    axe_check(operator, context="the console's page of the organization")
    operator.get_by_label("Reason (required)").first.fill("Suspended for the browser test")
    operator.get_by_role("button", name="Suspend", exact=True).click()
    operator.wait_for_load_state()
    axe_check(operator, context="the console's page of the organization, suspended")
    pages_photographed(operator, "console-tenant")
    organization.refresh_from_db()
    assert organization.state == OrganizationState.SUSPENDED
    assert OperatorAuditEvent.objects.filter(
        organization_slug=slug, action="suspend", actor_email=OPERATOR_EMAIL
    ).exists()

    # and the tenant's host refuses its own owner
    response = page.goto(platform.url("/", slug=slug))
    assert response is not None
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "This account is suspended"
    axe_check(page, context="the suspended organization's page")
    pages_photographed(page, "suspended")


def test_signup_page_fits_a_phone_and_shows_focus(chromium: Browser, platform: Platform) -> None:
    phone = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = phone.new_page()
    page.goto(platform.url("/signup/"))

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    unlabelled = page.evaluate(
        """Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
           .filter(field => field.labels.length === 0).map(field => field.name)"""
    )
    assert unlabelled == []
    # The form's first field has the focus, and the next one gets a visible ring.
    assert page.evaluate("document.activeElement.name") == "name"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "slug"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    screenshot(page, "signup-phone-focus")

    # On a page without a form, the skip link comes first.
    page.goto(platform.url("/signup/terms/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    axe_check(page, context="the terms of service")
    pages_photographed(page, "signup-terms")
