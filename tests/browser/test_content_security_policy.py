"""The Content-Security-Policy in Chromium: every page the tests reach runs under it without a
violation, a donor's name holding a script is shown as text, and a script slipped into a page
does not run. Those pages are checked by axe-core and photographed at desktop and phone width
too; axe-core is served from the page's own host, so the policy stays in force for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import DjangoDbBlocker

from tests.browser.conftest import Platform, axe_check, pages_photographed
from tests.plugin import OWNER_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


pytestmark = pytest.mark.browser

# Added before any page script runs (through the DevTools protocol, which the policy does not
# govern): every violation the page reports is kept for the test to read.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
HOSTILE_NAME = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def hostile_donor(django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """A donor of alpha whose name is a script, committed for the server's threads to see; it,
    the donors and import jobs the test makes, their audit rows and sessions are removed after."""
    from django.contrib.sessions.models import Session
    from django.db import connections
    from django_tenants.utils import schema_context

    from tenant_apps.core.models import AuditEvent
    from tenant_apps.donations.models import ImportJob
    from tenant_apps.donors import services
    from tenant_apps.donors.models import Donor, DonorAddress, DonorEmail, DonorNote, DonorPhone

    email = f"hostile-{uuid.uuid4().hex[:8]}@example.org"
    with django_db_blocker.unblock(), schema_context("alpha"):
        donors_before = set(Donor.objects.values_list("pk", flat=True))
        jobs_before = set(ImportJob.objects.values_list("pk", flat=True))
        audit_before = set(AuditEvent.objects.values_list("pk", flat=True))
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        services.donor_create(
            names=services.DonorNames(kind="individual", first_name=HOSTILE_NAME, last_name="Doe"),
            emails=[services.EmailSpec(email)],
            acting_user=None,
        )
    try:
        yield email
    finally:
        with django_db_blocker.unblock(), schema_context("alpha"):
            ImportJob.objects.exclude(pk__in=jobs_before).delete()
            made = Donor.objects.exclude(pk__in=donors_before)
            for part in (DonorEmail, DonorPhone, DonorAddress, DonorNote):  # PROTECT, not cascade
                part.objects.filter(donor__in=made).delete()
            made.delete()
            AuditEvent.objects.exclude(pk__in=audit_before).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
        connections.close_all()


def _log_in(page: Page, platform: Platform) -> None:
    page.goto(platform.url("/accounts/login/", slug="alpha"))
    page.get_by_label("Email").fill("owner@alpha.org")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(platform.url("/", slug="alpha"))


# The script slipped into the page is refused, and Chromium logs the refusal.
@pytest.mark.console_errors_expected(r"inline script.*violates .*'script-src 'self''")
def test_a_script_in_a_donors_name_is_shown_as_text_and_never_runs(
    chromium: Browser, platform: Platform, hostile_donor: str, tmp_path: Path
) -> None:
    page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    _log_in(page, platform)

    # Given a donor file naming the hostile donor's email, the import shows that donor (by
    # name) as a possible duplicate.
    upload = tmp_path / "donors.csv"
    upload.write_text(f"first_name,last_name,email\nJane,Doe,{hostile_donor}\n")
    page.goto(platform.url("/donations/imports/", slug="alpha"))
    axe_check(page, context="the imports page")
    pages_photographed(page, "donations-imports")
    page.get_by_label("The file holds").select_option("donors")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check the columns").click()
    page.wait_for_url("**/donations/imports/*/columns/")
    page.get_by_role("button", name="Import 1 row").click()
    page.wait_for_url("**/donations/imports/*/")

    duplicates = page.get_by_role("region", name="Possible duplicates")
    assert "<script>window.__pwned = 1</script>" in duplicates.inner_text()
    assert page.evaluate("window.__pwned") is None
    axe_check(page, context="an import with a possible duplicate")
    pages_photographed(page, "csp-hostile-donor-name")
    assert page.evaluate("window.__violations") == []

    # When a script is slipped into the page all the same, the policy stops it.
    ran = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = 1";
          document.body.appendChild(script);
          return window.__injected;
        }"""
    )
    page.wait_for_function("window.__violations.length > 0")
    assert ran is None
    assert page.evaluate("window.__injected") is None
    assert page.evaluate("window.__violations") == ["script-src-elem inline"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounting/",
        "/accounting/reports/trial-balance/",
        "/donations/imports/",
        "/donations/reports/",
        "/donations/reports/top-donors/",
        "/personnel/",
    ],
)
def test_the_staff_pages_run_under_the_policy_without_a_violation(
    chromium: Browser, platform: Platform, hostile_donor: str, path: str
) -> None:
    page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    _log_in(page, platform)

    response = page.goto(platform.url(path, slug="alpha"))
    page.wait_for_load_state("networkidle")

    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    axe_check(page, context=path)
    pages_photographed(page, "staff-" + (path.strip("/").replace("/", "-") or "home"))
    assert page.evaluate("window.__violations") == []


def test_the_api_docs_and_the_public_pages_run_under_the_policy(
    chromium: Browser, platform: Platform
) -> None:
    page = chromium.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    for name, url in (
        ("csp-api-docs", platform.url("/api/docs/", slug="alpha")),
        ("public-home", platform.url("/")),
        ("public-signup", platform.url("/signup/")),
        ("public-login", platform.url("/accounts/login/")),
    ):
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
        assert response is not None, url
        assert response.status == 200, url
        assert page.evaluate("window.__violations") == [], url
        if name == "csp-api-docs":
            # Swagger UI's own page (drf-spectacular's template around swagger-ui-dist), which
            # axe faults on for its markup and colours: photographed, not checked.
            page.get_by_text("IFM API").first.wait_for()
        else:
            axe_check(page, context=url)
        pages_photographed(page, name)
