"""Operators' actions: each changes the tenant and writes its audit row together; bad input or
a state that does not allow the action gives a clear message and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, NoReturn

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists
from pytest_django import DjangoCaptureOnCommitCallbacks

import provisioning.services
from saas_platform.lib.connection import connection
from shared_apps.billing.models import Plan, Subscription
from shared_apps.console.models import (
    DeletionState,
    ExportState,
    OperatorAuditEvent,
    Outcome,
    TenantDeletion,
    TenantExport,
)
from shared_apps.console.selectors import organization_retry_allowed
from shared_apps.console.services.deletion import (
    DELETION_STALE,
    organization_delete_perform,
    organization_delete_request,
)
from shared_apps.console.services.exports import (
    EXPORT_STALE,
    tenant_export_perform,
    tenant_export_request,
)
from shared_apps.console.services.states import organization_reactivate, organization_suspend
from shared_apps.console.tests.factories import OrganizationFactory
from shared_apps.tenants.models import Domain, Organization, OrganizationState
from shared_apps.users.models import User
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


def _state(organization: Organization) -> str:
    organization.refresh_from_db()
    return organization.state


def _messages(response: TestResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- The tenant page ---------------------------------------------------------------------


def test_tenant_page_shows_domains_billing_numbers_and_trail(
    alpha: Tenant, console: Client, operator_user: User
) -> None:
    Subscription.objects.create(
        organization=alpha.organization,
        plan=Plan.objects.get(code="starter"),
        status="trialing",
        trial_ends_at=timezone.now() + timedelta(days=30),
    )
    organization_suspend(organization=alpha.organization, operator=operator_user, reason="r1")
    organization_reactivate(organization=alpha.organization, operator=operator_user, reason="r2")

    response = console.get("/console/tenants/alpha/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "alpha.localhost" in html
    assert "(primary)" in html
    assert "Starter, Trial; trial ends" in html
    assert [event.reason for event in response.context["operator_events"]] == ["r2", "r1"]
    assert "ops@ifm.test" in html
    assert response.context["stats"].donors == 0
    # active: suspend, export and delete are offered; reactivate and retry are not
    assert 'action="/console/tenants/alpha/suspend/"' in html
    assert 'action="/console/tenants/alpha/reactivate/"' not in html
    assert 'action="/console/tenants/alpha/retry/"' not in html
    assert '<label for="id_suspend_reason">' in html


def test_tenant_page_shows_the_tenants_own_events(alpha: Tenant, console: Client) -> None:
    from tenant_apps.donors.tests.factories import donor_made

    with schema_context(alpha.organization.schema_name):
        donor_made("Event", "Maker")

    response = console.get("/console/tenants/alpha/")

    assert any(event.action.startswith("donor.") for event in response.context["tenant_events"])


def test_unknown_tenant_and_the_public_schema_are_404(console: Client) -> None:
    assert console.get("/console/tenants/nope/").status_code == 404
    assert console.get("/console/tenants/public/").status_code == 404
    assert console.post("/console/tenants/nope/suspend/", {"reason": "x"}).status_code == 404


def test_unknown_action_is_404_and_writes_nothing(alpha: Tenant, console: Client) -> None:
    assert console.post("/console/tenants/alpha/explode/", {"reason": "x"}).status_code == 404
    assert not OperatorAuditEvent.objects.exists()


# --- Suspend and reactivate --------------------------------------------------------------


def test_suspend_refuses_the_tenants_hosts_at_once_and_is_audited(
    alpha: Tenant, console: Client, operator_user: User
) -> None:
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
        operator_user,
        "ops@ifm.test",
        "suspend",
        Outcome.SUCCEEDED,
    )
    assert (event.organization_id, event.organization_slug) == (alpha.organization.pk, "alpha")
    assert event.reason == "Chargeback"
    assert event.detail == {"previous_state": "active"}
    assert "alpha suspended." in _messages(console.get(response["Location"]))


def test_reactivate_serves_the_tenant_again(
    alpha: Tenant, console: Client, operator_user: User
) -> None:
    organization_suspend(organization=alpha.organization, operator=operator_user, reason="x")
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
def test_every_action_needs_a_reason(
    alpha: Tenant, console: Client, action: str, reason: str
) -> None:
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


def test_a_reason_too_long_is_refused(alpha: Tenant, console: Client) -> None:
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
def test_actions_not_valid_in_the_tenants_state_change_nothing(
    console: Client, state: str, action: str, expected: str
) -> None:
    organization = OrganizationFactory.create(slug="gamma", state=state)

    response = console.post(
        f"/console/tenants/gamma/{action}/", {"reason": "because", "confirmation": "gamma"}
    )

    assert response.status_code == 409
    message = " ".join(_messages(response))
    assert expected in message
    assert "gamma" in message
    assert _state(organization) == state
    assert Organization.objects.filter(slug="gamma").exists()
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantExport.objects.exists()


# --- Retry provisioning ------------------------------------------------------------------


def test_retry_resumes_a_failed_provisioning(console: Client, operator_user: User) -> None:
    organization = OrganizationFactory.create(slug="gamma", state=OrganizationState.FAILED)
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


def test_retry_that_fails_again_says_why_and_records_it(
    console: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    organization = OrganizationFactory.create(slug="gamma", state=OrganizationState.FAILED)

    def broken(organization: Organization, owner: User) -> NoReturn:
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


def test_a_stalled_provisioning_may_be_retried(operator_user: User) -> None:
    organization = OrganizationFactory.create(slug="gamma", state=OrganizationState.PROVISIONING)
    assert not organization_retry_allowed(organization)
    Organization.objects.filter(pk=organization.pk).update(
        state_changed_at=timezone.now() - timedelta(minutes=20)
    )
    organization.refresh_from_db()
    assert organization_retry_allowed(organization)


# --- Export ------------------------------------------------------------------------------


def test_export_runs_in_a_task_and_is_downloadable(
    alpha: Tenant,
    console: Client,
    operator_user: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    stored_exports: None,
) -> None:
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
    body = download.getvalue()
    assert body.startswith(b"PGDMP")
    assert alpha.organization.schema_name.encode() in body
    downloaded = OperatorAuditEvent.objects.filter(action="export_download").get()
    assert downloaded.detail["export_id"] == export.pk


def test_export_state_is_shown_while_queued(alpha: Tenant, console: Client) -> None:
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
    alpha: Tenant,
    console: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    def broken(*, organization: Organization) -> NoReturn:
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
    alpha: Tenant,
    operator_user: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def export_counted(*, organization: Organization) -> str:
        calls.append(1)
        return "x"

    monkeypatch.setattr(provisioning.services, "tenant_export", export_counted)
    with django_capture_on_commit_callbacks(execute=True):
        export = tenant_export_request(
            organization=alpha.organization, operator=operator_user, reason="r"
        )

    assert tenant_export_perform(export_id=export.pk) is None  # redelivered: no-op
    assert calls == [1]


def test_a_missing_export_file_is_410(alpha: Tenant, console: Client) -> None:
    export = TenantExport.objects.create(
        organization_id=alpha.organization.pk,
        organization_slug="alpha",
        state=ExportState.DONE,
        file_name="exports/alpha-gone.dump",
    )
    assert console.get(f"/console/exports/{export.pk}/download/").status_code == 410
    assert console.get("/console/exports/999999/download/").status_code == 404


def test_downloads_are_for_operators_only(alpha: Tenant) -> None:
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


# --- Delete (with a real schema dumped and dropped: test_end_to_end.py) ------------------


def _delete(
    console: Client, slug: str, reason: str = "closing", confirmation: str | None = None
) -> TestResponse:
    return console.post(
        f"/console/tenants/{slug}/delete/",
        {"reason": reason, "confirmation": slug if confirmation is None else confirmation},
    )


@pytest.mark.parametrize("confirmation", ["", "ALPHA", "alpha2", "beta"])
def test_delete_needs_the_slug_typed_exactly(
    alpha: Tenant, console: Client, confirmation: str
) -> None:
    response = _delete(console, "alpha", confirmation=confirmation)

    assert response.status_code == 400
    assert "Type the tenant's subdomain, alpha, to confirm" in " ".join(_messages(response))
    assert b"Type alpha exactly." in response.content
    assert b'aria-invalid="true"' in response.content
    assert b"closing</textarea>" in response.content  # the reason is kept for another try
    assert _state(alpha.organization) == OrganizationState.ACTIVE
    assert schema_exists(alpha.organization.schema_name)
    assert not OperatorAuditEvent.objects.exists()
    assert not TenantExport.objects.exists()
    assert not TenantDeletion.objects.exists()


def test_a_delete_request_suspends_the_tenant_and_queues_the_work(
    alpha: Tenant, console: Client, operator_user: User
) -> None:
    """Until the task runs (its on-commit callback is not executed here) the tenant is refused
    on its hosts, the console shows the deletion under way and offers no action."""
    staff = alpha.client(alpha.owner)
    assert staff.get("/").status_code == 200

    response = _delete(console, "alpha", reason="Owner closed the charity")

    assert response.status_code == 302
    assert response["Location"] == "/console/audit/?tenant=alpha"
    deletion = TenantDeletion.objects.get()
    assert (deletion.state, deletion.previous_state, deletion.requested_by) == (
        DeletionState.QUEUED,
        OrganizationState.ACTIVE,
        operator_user,
    )
    assert _state(alpha.organization) == OrganizationState.SUSPENDED
    assert alpha.organization.state_reason == "Being deleted: Owner closed the charity"
    assert staff.get("/").status_code == 403
    assert schema_exists(alpha.organization.schema_name)
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome, event.reason) == (
        "delete",
        Outcome.QUEUED,
        "Owner closed the charity",
    )
    assert event.detail["deletion_id"] == deletion.pk
    assert deletion.audit_event == event

    audit = console.get(response["Location"])
    assert "Deletion of alpha requested." in " ".join(_messages(audit))
    assert b"Deletion of alpha in progress" in audit.content
    page = console.get("/console/tenants/alpha/")
    assert b"<strong>Being deleted</strong>" in page.content
    assert b"No action while the deletion is under way." in page.content
    assert b'action="/console/tenants/alpha/' not in page.content
    listing = console.get("/console/")
    assert b"being deleted" in listing.content


def test_a_second_delete_request_while_one_is_pending_changes_nothing(
    alpha: Tenant, console: Client
) -> None:
    assert _delete(console, "alpha", reason="first").status_code == 302

    again = _delete(console, "alpha", reason="second")
    reactivate = console.post("/console/tenants/alpha/reactivate/", {"reason": "changed mind"})
    export = console.post("/console/tenants/alpha/export/", {"reason": "one more dump"})

    assert again.status_code == 409
    assert "alpha is being deleted (requested by ops@ifm.test at" in " ".join(_messages(again))
    assert reactivate.status_code == 409
    assert "is being deleted" in " ".join(_messages(reactivate))
    assert export.status_code == 409
    assert TenantDeletion.objects.count() == 1
    assert list(OperatorAuditEvent.objects.values_list("reason", flat=True)) == ["first"]
    assert not TenantExport.objects.exists()
    assert _state(alpha.organization) == OrganizationState.SUSPENDED


def test_a_row_recording_information_schema_is_neither_deleted_nor_retried(console: Client) -> None:
    """An organization row from before such names were refused, recording PostgreSQL's own
    schema: the console refuses with the reason, and nothing is suspended, queued or dropped."""
    organization = Organization.objects.create(
        schema_name="information_schema",
        slug="information-schema",
        name="Old Row",
        state=OrganizationState.FAILED,
    )

    deletion = _delete(console, "information-schema")
    retry = console.post("/console/tenants/information-schema/retry/", {"reason": "again"})

    for response in (deletion, retry):
        assert response.status_code == 400
        assert (
            "The schema information_schema recorded for “information-schema” is PostgreSQL's "
            "own schema, not a tenant's: nothing was created or dropped."
        ) in " ".join(_messages(response))
    assert _state(organization) == OrganizationState.FAILED
    assert schema_exists("information_schema")
    assert not TenantDeletion.objects.exists()
    assert not OperatorAuditEvent.objects.exists()


def test_a_delete_whose_pg_dump_fails_leaves_the_tenant_whole(
    alpha: Tenant,
    console: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """A real pg_dump failure: the server refuses its connection (a setting it does not know,
    passed through PGOPTIONS to that process only; the test's own connection is already open)."""
    before = Organization.objects.get(pk=alpha.organization.pk)
    monkeypatch.setenv("PGOPTIONS", "-c no_such_setting=on")

    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(console, "alpha")
    monkeypatch.delenv("PGOPTIONS")

    assert response.status_code == 302
    deletion = TenantDeletion.objects.get()
    assert deletion.state == DeletionState.FAILED
    assert "pg_dump failed" in deletion.error
    assert 'unrecognized configuration parameter "no_such_setting"' in deletion.error
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome) == ("delete", Outcome.FAILED)
    assert "no_such_setting" in event.detail["error"]
    # whole: the schema with its data, the domain, the row, and its state as it was
    assert schema_exists(alpha.organization.schema_name)
    with schema_context(alpha.organization.schema_name):
        assert User.objects.filter(email="owner@alpha.org").exists()
    connection.set_schema_to_public()
    after = Organization.objects.get(pk=alpha.organization.pk)
    assert (after.state, after.state_reason, after.state_changed_at) == (
        before.state,
        before.state_reason,
        before.state_changed_at,
    )
    assert after.domains.filter(domain="alpha.localhost").exists()
    assert not TenantExport.objects.exists()
    assert alpha.client(alpha.owner).get("/").status_code == 200
    audit = console.get("/console/audit/", {"tenant": "alpha"})
    assert b"The last deletion of alpha failed" in audit.content
    assert b"no_such_setting" in audit.content

    # and it can be requested again
    assert (
        b'action="/console/tenants/alpha/delete/"' in console.get("/console/tenants/alpha/").content
    )
    assert _delete(console, "alpha", reason="again").status_code == 302
    assert TenantDeletion.objects.filter(state=DeletionState.QUEUED).count() == 1


def test_deleting_a_tenant_that_never_had_a_schema(
    console: Client,
    operator_user: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Provisioning failed at the schema step: nothing to export; the domains, the row and its
    subscription go, its signup keeps its history, and the audit says no schema existed."""
    from shared_apps.onboarding.models import Signup, SignupState

    organization = OrganizationFactory.create(slug="gamma", state=OrganizationState.FAILED)
    subscription = Subscription.objects.create(
        organization=organization, plan=Plan.objects.get(code="starter"), status="trialing"
    )
    signup = Signup.objects.create(
        name="Gamma Aid",
        slug="gamma",
        owner_name="Owner",
        email="owner@gamma.org",
        plan_code="starter",
        state=SignupState.FAILED,
        expires_at=timezone.now() + timedelta(days=1),
        organization=organization,
    )
    assert not schema_exists(organization.schema_name)

    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(console, "gamma", reason="never worked")

    assert response.status_code == 302
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Domain.objects.filter(domain="gamma.localhost").exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    signup.refresh_from_db()
    assert (signup.organization_id, signup.state) == (None, SignupState.FAILED)
    assert not schema_exists(organization.schema_name)
    deletion = TenantDeletion.objects.get()
    assert (deletion.state, deletion.schema_existed, deletion.export) == (
        DeletionState.DONE,
        False,
        None,
    )
    assert not TenantExport.objects.exists()  # no export is pretended
    event = OperatorAuditEvent.objects.get()
    assert (event.action, event.outcome, event.reason) == ("delete", "succeeded", "never worked")
    assert event.organization_id == organization.pk
    assert event.detail["schema_existed"] is False
    assert "No schema tenant_gamma existed: there was nothing to export." in event.detail["note"]
    audit = console.get(response["Location"])
    assert b"gamma was deleted</strong>" in audit.content
    assert b"so there was nothing to export" in audit.content
    assert b"No schema tenant_gamma existed" in audit.content
    assert console.get("/console/tenants/gamma/").status_code == 404
    assert _check_ok()


def _check_ok() -> bool:
    from provisioning.lifecycle import tenants_check

    return tenants_check().ok


def test_a_deletion_refuses_when_the_tenant_changed_state_meanwhile(
    operator_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """If something put the tenant in another state after the request (say an operator through
    the admin), the task deletes nothing and leaves that state alone."""
    from shared_apps.tenants.services import organization_state_set

    organization = OrganizationFactory.create(slug="gamma", state=OrganizationState.FAILED)
    deletion = organization_delete_request(
        organization=organization, operator=operator_user, reason="r", confirmation="gamma"
    )
    organization.refresh_from_db()
    organization_state_set(organization=organization, state="active", reason="")

    organization_delete_perform(deletion_id=deletion.pk)

    deletion.refresh_from_db()
    assert deletion.state == DeletionState.FAILED
    assert "changed state since its deletion was requested" in deletion.error
    assert _state(organization) == OrganizationState.ACTIVE
    assert Domain.objects.filter(domain="gamma.localhost").exists()
    assert organization_delete_perform(deletion_id=deletion.pk) is None  # no-op again


def test_a_lost_deletion_is_given_up_by_a_new_request(console: Client, operator_user: User) -> None:
    organization = OrganizationFactory.create(slug="gamma", state=OrganizationState.FAILED)
    Organization.objects.filter(pk=organization.pk).update(state_reason="schema: boom")
    assert _delete(console, "gamma", reason="first").status_code == 302
    TenantDeletion.objects.update(
        state=DeletionState.RUNNING, created_at=timezone.now() - DELETION_STALE
    )
    page = console.get("/console/tenants/gamma/")
    assert b"never finished" in page.content
    assert b'action="/console/tenants/gamma/delete/"' in page.content

    response = _delete(console, "gamma", reason="second")

    assert response.status_code == 302
    lost, new = TenantDeletion.objects.order_by("pk")
    assert (lost.state, new.state) == (DeletionState.FAILED, DeletionState.QUEUED)
    assert lost.error.startswith("Lost: no worker finished it")
    # the new one restores what the tenant was before either, should it fail
    assert (new.previous_state, new.previous_state_reason) == ("failed", "schema: boom")
    assert list(OperatorAuditEvent.objects.values_list("reason", "outcome")) == [
        ("second", "queued"),
        ("first", "failed"),
    ]


# --- The audit page ----------------------------------------------------------------------


def test_audit_page_lists_events_and_filters_by_tenant(
    alpha: Tenant, beta: Tenant, console: Client, operator_user: User
) -> None:
    organization_suspend(organization=alpha.organization, operator=operator_user, reason="a1")
    organization_suspend(organization=beta.organization, operator=operator_user, reason="b1")

    everything = console.get("/console/audit/")
    only_beta = console.get("/console/audit/", {"tenant": "beta"})
    nobody = console.get("/console/audit/", {"tenant": "zzz"})

    assert [event.reason for event in everything.context["page"]] == ["b1", "a1"]
    assert [event.reason for event in only_beta.context["page"]] == ["b1"]
    assert b'<th scope="col">Operator</th>' in everything.content
    assert b"No operator event." in nobody.content


def test_a_lost_export_does_not_block_a_new_one(alpha: Tenant, console: Client) -> None:
    console.post("/console/tenants/alpha/export/", {"reason": "first"})
    TenantExport.objects.update(state=ExportState.RUNNING, created_at=timezone.now() - EXPORT_STALE)

    page = console.get("/console/tenants/alpha/")
    response = console.post("/console/tenants/alpha/export/", {"reason": "worker died"})

    assert b'action="/console/tenants/alpha/export/"' in page.content
    assert response.status_code == 302
    assert TenantExport.objects.count() == 2
