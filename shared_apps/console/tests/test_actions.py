"""Operators' actions: each changes the tenant and writes its audit row together; bad input or
a state that does not allow the action gives a clear message and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

import provisioning.services
from shared_apps.billing.models import Plan, Subscription
from shared_apps.console import services
from shared_apps.console.models import ExportState, OperatorAuditEvent, Outcome, TenantExport
from shared_apps.console.tests.factories import organization_made
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.users.models import User

pytestmark = pytest.mark.django_db


def _state(organization: Organization) -> str:
    organization.refresh_from_db()
    return organization.state


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- The tenant page ---------------------------------------------------------------------


def test_tenant_page_shows_domains_billing_numbers_and_trail(alpha, console, operator):
    Subscription.objects.create(
        organization=alpha.organization,
        plan=Plan.objects.get(code="starter"),
        status="trialing",
        trial_ends_at=timezone.now() + timedelta(days=30),
    )
    services.organization_suspend(organization=alpha.organization, operator=operator, reason="r1")
    services.organization_reactivate(
        organization=alpha.organization, operator=operator, reason="r2"
    )

    response = console.get("/console/tenants/alpha/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "alpha.localhost" in html and "(primary)" in html
    assert "Starter, Trial; trial ends" in html
    assert [event.reason for event in response.context["operator_events"]] == ["r2", "r1"]
    assert "ops@ifm.test" in html
    assert response.context["stats"].donors == 0
    # active: suspend, export and delete are offered; reactivate and retry are not
    assert 'action="/console/tenants/alpha/suspend/"' in html
    assert 'action="/console/tenants/alpha/reactivate/"' not in html
    assert 'action="/console/tenants/alpha/retry/"' not in html
    assert '<label for="id_suspend_reason">' in html


def test_tenant_page_shows_the_tenants_own_events(alpha, console):
    from tenant_apps.donors.tests.factories import donor_made

    with schema_context(alpha.organization.schema_name):
        donor_made("Event", "Maker")

    response = console.get("/console/tenants/alpha/")

    assert any(event.action.startswith("donor.") for event in response.context["tenant_events"])


def test_unknown_tenant_and_the_public_schema_are_404(console):
    assert console.get("/console/tenants/nope/").status_code == 404
    assert console.get("/console/tenants/public/").status_code == 404
    assert console.post("/console/tenants/nope/suspend/", {"reason": "x"}).status_code == 404


def test_unknown_action_is_404_and_writes_nothing(alpha, console):
    assert console.post("/console/tenants/alpha/explode/", {"reason": "x"}).status_code == 404
    assert not OperatorAuditEvent.objects.exists()


# --- Suspend and reactivate --------------------------------------------------------------


def test_suspend_refuses_the_tenants_hosts_at_once_and_is_audited(alpha, console, operator):
    staff = alpha.client(alpha.owner)
    assert staff.get("/").status_code == 200  # cached in the routing cache as active

    response = console.post("/console/tenants/alpha/suspend/", {"reason": "  Chargeback  "})

    assert response.status_code == 302
    assert response["Location"] == "/console/tenants/alpha/"
    assert _state(alpha.organization) == OrganizationState.SUSPENDED
    assert alpha.organization.state_reason == "Chargeback"
    refused = staff.get("/")
    assert refused.status_code == 403
    event = OperatorAuditEvent.objects.get()
    assert (event.actor, event.actor_email, event.action, event.outcome) == (
        operator,
        "ops@ifm.test",
        "suspend",
        Outcome.SUCCEEDED,
    )
    assert (event.organization_id, event.organization_slug) == (alpha.organization.pk, "alpha")
    assert event.reason == "Chargeback"
    assert event.detail == {"previous_state": "active"}
    assert "alpha suspended." in _messages(console.get(response["Location"]))


def test_reactivate_serves_the_tenant_again(alpha, console, operator):
    services.organization_suspend(organization=alpha.organization, operator=operator, reason="x")
    staff = alpha.client(alpha.owner)
    assert staff.get("/").status_code == 403

    response = console.post("/console/tenants/alpha/reactivate/", {"reason": "Paid by wire"})

    assert response.status_code == 302
    assert _state(alpha.organization) == OrganizationState.ACTIVE
    assert alpha.organization.state_reason == ""
    assert staff.get("/").status_code == 200
    assert list(OperatorAuditEvent.objects.values_list("action", "reason")) == [
        ("reactivate", "Paid by wire"),
        ("suspend", "x"),
    ]


@pytest.mark.parametrize("action", ["suspend", "reactivate", "retry", "export", "delete"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_every_action_needs_a_reason(alpha, console, action, reason):
    response = console.post(
        f"/console/tenants/alpha/{action}/", {"reason": reason, "confirmation": "alpha"}
    )

    assert response.status_code == 400
    assert "a reason is required" in " ".join(_messages(response))
    assert b"Enter the reason for this action." in response.content or action in (
        "reactivate",
        "retry",
    )  # those forms are not shown for an active tenant; the message still is
    assert _state(alpha.organization) == OrganizationState.ACTIVE
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantExport.objects.exists()


def test_a_reason_too_long_is_refused(alpha, console):
    response = console.post("/console/tenants/alpha/suspend/", {"reason": "x" * 2001})

    assert response.status_code == 400
    assert "at most 2000 characters" in " ".join(_messages(response))
    assert _state(alpha.organization) == OrganizationState.ACTIVE


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (OrganizationState.SUSPENDED, "suspend", "only an active tenant can be suspended"),
        (OrganizationState.CLOSED, "suspend", "only an active tenant can be suspended"),
        (OrganizationState.ACTIVE, "reactivate", "only a suspended tenant can be reactivated"),
        (OrganizationState.CLOSED, "reactivate", "only a suspended tenant can be reactivated"),
        (OrganizationState.ACTIVE, "retry", "only a failed provisioning"),
        (OrganizationState.SUSPENDED, "retry", "only a failed provisioning"),
        (OrganizationState.PROVISIONING, "retry", "only a failed provisioning"),
        (OrganizationState.PROVISIONING, "export", "wait until provisioning"),
        (OrganizationState.PROVISIONING, "delete", "wait until provisioning"),
    ],
)
def test_actions_not_valid_in_the_tenants_state_change_nothing(console, state, action, expected):
    organization = organization_made(slug="gamma", state=state)

    response = console.post(
        f"/console/tenants/gamma/{action}/", {"reason": "because", "confirmation": "gamma"}
    )

    assert response.status_code == 409
    message = " ".join(_messages(response))
    assert expected in message and "gamma" in message
    assert _state(organization) == state
    assert Organization.objects.filter(slug="gamma").exists()
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantExport.objects.exists()


# --- Retry provisioning ------------------------------------------------------------------


def test_retry_resumes_a_failed_provisioning(console, operator):
    organization = organization_made(slug="gamma", state=OrganizationState.FAILED)
    Organization.objects.filter(pk=organization.pk).update(state_reason="schema: boom")

    response = console.post("/console/tenants/gamma/retry/", {"reason": "Database was full"})

    assert response.status_code == 302
    assert _state(organization) == OrganizationState.ACTIVE
    assert organization.provisioning_step == "activate"
    assert schema_exists("tenant_gamma")
    with schema_context("tenant_gamma"):
        assert User.objects.filter(email="owner@gamma.org", role="owner").exists()
    connection.set_schema_to_public()
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome, event.reason) == (
        "retry",
        "succeeded",
        "Database was full",
    )


def test_retry_that_fails_again_says_why_and_records_it(console, monkeypatch):
    organization = organization_made(slug="gamma", state=OrganizationState.FAILED)

    def broken(organization, owner):
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisioning.services, "STEPS", [("schema", broken)])

    response = console.post("/console/tenants/gamma/retry/", {"reason": "try again"})

    assert response.status_code == 400
    assert "failed again at step 'schema'" in " ".join(_messages(response))
    assert _state(organization) == OrganizationState.FAILED
    assert organization.state_reason == "schema: disk full"
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome) == ("retry", "failed")
    assert "disk full" in event.detail["error"]


def test_a_stalled_provisioning_may_be_retried(operator):
    organization = organization_made(slug="gamma", state=OrganizationState.PROVISIONING)
    assert not services.organization_retry_allowed(organization)
    Organization.objects.filter(pk=organization.pk).update(
        state_changed_at=timezone.now() - timedelta(minutes=20)
    )
    organization.refresh_from_db()
    assert services.organization_retry_allowed(organization)


# --- Export ------------------------------------------------------------------------------


@pytest.fixture
def stored_exports():
    """Removes the dump files a test made."""
    yield
    with schema_context("public"):
        for export in TenantExport.objects.exclude(file_name=""):
            if default_storage.exists(export.file_name):
                default_storage.delete(export.file_name)


def test_export_runs_in_a_task_and_is_downloadable(
    alpha, console, operator, django_capture_on_commit_callbacks, stored_exports
):
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post("/console/tenants/alpha/export/", {"reason": "Owner asked"})

    assert response.status_code == 302
    export = TenantExport.objects.get()
    assert export.state == ExportState.DONE
    assert export.file_name.startswith("exports/alpha-")
    assert (export.organization_id, export.organization_slug) == (alpha.organization.pk, "alpha")
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome, event.reason) == ("export", "succeeded", "Owner asked")
    assert event.detail["export_id"] == export.pk
    assert event.detail["file_name"] == export.file_name
    page = console.get("/console/tenants/alpha/")
    assert f"/console/exports/{export.pk}/download/".encode() in page.content

    download = console.get(f"/console/exports/{export.pk}/download/")

    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    body = b"".join(download.streaming_content)
    assert body.startswith(b"PGDMP")
    assert alpha.organization.schema_name.encode() in body
    downloaded = OperatorAuditEvent.objects.filter(action="export_download").get()
    assert downloaded.detail["export_id"] == export.pk


def test_export_state_is_shown_while_queued(alpha, console):
    # Without running the on-commit callbacks the task never starts: the export stays queued.
    response = console.post("/console/tenants/alpha/export/", {"reason": "Owner asked"})
    assert response.status_code == 302

    page = console.get("/console/tenants/alpha/")

    export = TenantExport.objects.get()
    assert export.state == ExportState.QUEUED
    assert OperatorAuditEvent.objects.get().outcome == Outcome.QUEUED
    assert b"An export is under way." in page.content
    assert b"Queued" in page.content
    again = console.post("/console/tenants/alpha/export/", {"reason": "twice"})
    assert again.status_code == 409
    assert "already under way" in " ".join(_messages(again))
    assert TenantExport.objects.count() == 1
    not_yet = console.get(f"/console/exports/{export.pk}/download/")
    assert not_yet.status_code == 409
    assert OperatorAuditEvent.objects.count() == 1


def test_a_failed_export_is_recorded_with_its_error(
    alpha, console, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*, organization):
        raise RuntimeError("pg_dump failed: no space")

    monkeypatch.setattr(provisioning.services, "tenant_export", broken)
    with django_capture_on_commit_callbacks(execute=True):
        console.post("/console/tenants/alpha/export/", {"reason": "backup"})

    export = TenantExport.objects.get()
    assert (export.state, export.error) == (ExportState.FAILED, "pg_dump failed: no space")
    assert OperatorAuditEvent.objects.get().outcome == Outcome.FAILED
    page = console.get("/console/tenants/alpha/")
    assert b"pg_dump failed: no space" in page.content


def test_the_export_task_runs_once(
    alpha, operator, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr(
        provisioning.services, "tenant_export", lambda *, organization: calls.append(1) or "x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        export = services.tenant_export_request(
            organization=alpha.organization, operator=operator, reason="r"
        )

    assert services.tenant_export_perform(export_id=export.pk) is None  # redelivered: no-op
    assert calls == [1]


def test_a_missing_export_file_is_410(alpha, console):
    export = TenantExport.objects.create(
        organization_id=alpha.organization.pk,
        organization_slug="alpha",
        state=ExportState.DONE,
        file_name="exports/alpha-gone.dump",
    )
    assert console.get(f"/console/exports/{export.pk}/download/").status_code == 410
    assert console.get("/console/exports/999999/download/").status_code == 404


def test_downloads_are_for_operators_only(alpha):
    export = TenantExport.objects.create(
        organization_id=alpha.organization.pk,
        organization_slug="alpha",
        state=ExportState.DONE,
        file_name="exports/alpha-x.dump",
    )
    staff = alpha.client(alpha.owner)
    assert staff.get(f"/console/exports/{export.pk}/download/").status_code == 404
    anonymous = Client(HTTP_HOST="localhost")
    assert anonymous.get(f"/console/exports/{export.pk}/download/").status_code == 302
    assert not OperatorAuditEvent.objects.exists()


# --- Delete (the real drop is in test_end_to_end.py) -------------------------------------


@pytest.mark.parametrize("confirmation", ["", "ALPHA", "alpha2", "beta"])
def test_delete_needs_the_slug_typed_exactly(alpha, console, confirmation):
    response = console.post(
        "/console/tenants/alpha/delete/", {"reason": "closing", "confirmation": confirmation}
    )

    assert response.status_code == 400
    assert "Type the tenant's subdomain, alpha, to confirm" in " ".join(_messages(response))
    assert b"Type alpha exactly." in response.content
    assert b'aria-invalid="true"' in response.content
    assert b"closing</textarea>" in response.content  # the reason is kept for another try
    assert _state(alpha.organization) == OrganizationState.ACTIVE
    assert schema_exists(alpha.organization.schema_name)
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantExport.objects.exists()


def test_a_delete_that_fails_deletes_nothing_and_says_why(alpha, console, monkeypatch):
    def broken(*, organization):
        raise RuntimeError("pg_dump failed: connection refused")

    monkeypatch.setattr(provisioning.services, "tenant_export", broken)

    response = console.post(
        "/console/tenants/alpha/delete/", {"reason": "closing", "confirmation": "alpha"}
    )

    assert response.status_code == 400
    assert "nothing was deleted" in " ".join(_messages(response))
    assert Organization.objects.filter(slug="alpha").exists()
    assert schema_exists(alpha.organization.schema_name)
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome) == ("delete", "failed")
    assert "connection refused" in event.detail["error"]
    assert not TenantExport.objects.exists()


# --- The audit page ----------------------------------------------------------------------


def test_audit_page_lists_events_and_filters_by_tenant(alpha, beta, console, operator):
    services.organization_suspend(organization=alpha.organization, operator=operator, reason="a1")
    services.organization_suspend(organization=beta.organization, operator=operator, reason="b1")

    everything = console.get("/console/audit/")
    only_beta = console.get("/console/audit/", {"tenant": "beta"})
    nobody = console.get("/console/audit/", {"tenant": "zzz"})

    assert [event.reason for event in everything.context["page"]] == ["b1", "a1"]
    assert [event.reason for event in only_beta.context["page"]] == ["b1"]
    assert b'<th scope="col">Operator</th>' in everything.content
    assert b"No operator event." in nobody.content


def test_deleting_a_tenant_whose_schema_was_never_made_is_refused_clearly(console):
    """provisioning.tenant_delete exports first, and pg_dump finds no such schema: the console
    says so, keeps the tenant and records the failure; nothing is half-deleted."""
    organization = organization_made(slug="gamma", state=OrganizationState.FAILED)

    response = console.post(
        "/console/tenants/gamma/delete/", {"reason": "never worked", "confirmation": "gamma"}
    )

    assert response.status_code == 400
    assert "no matching schemas" in " ".join(_messages(response))
    assert _state(organization) == OrganizationState.FAILED
    assert OperatorAuditEvent.objects.get().outcome == Outcome.FAILED


def test_a_lost_export_does_not_block_a_new_one(alpha, console):
    console.post("/console/tenants/alpha/export/", {"reason": "first"})
    TenantExport.objects.update(
        state=ExportState.RUNNING, created_at=timezone.now() - services.EXPORT_STALE
    )

    page = console.get("/console/tenants/alpha/")
    response = console.post("/console/tenants/alpha/export/", {"reason": "worker died"})

    assert b'action="/console/tenants/alpha/export/"' in page.content
    assert response.status_code == 302
    assert TenantExport.objects.count() == 2
