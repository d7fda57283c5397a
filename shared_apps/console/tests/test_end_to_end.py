"""With a real, committed tenant: an operator exports it through the console (pg_dump sees only
committed rows), downloads the dump, then deletes it: the request commits, the (eager) Celery task
exports first, then drops the schema, and the audit trail and the export outlive the tenant."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import schema_context, schema_exists
from pytest_django import DjangoDbBlocker

from saas_platform.lib.connection import connection
from shared_apps.console.models import (
    DeletionState,
    ExportState,
    OperatorAuditEvent,
    TenantDeletion,
    TenantExport,
)
from shared_apps.console.tests.factories import OperatorFactory
from shared_apps.tenants.models import Domain, Organization


@pytest.fixture
def committed_console(django_db_blocker: DjangoDbBlocker) -> Iterator[Client]:
    """An operator committed in the public schema, and what the test leaves, removed after."""
    with django_db_blocker.unblock():
        operator_user = OperatorFactory.create(email="e2e-ops@ifm.test")
        client = Client(HTTP_HOST="localhost")
        client.force_login(operator_user)
    try:
        yield client
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            TenantDeletion.objects.filter(requested_by=operator_user).delete()
            exports = TenantExport.objects.filter(requested_by=operator_user)
            with schema_context("public"):
                for export in exports:
                    if export.file_name and default_storage.exists(export.file_name):
                        default_storage.delete(export.file_name)
            exports.delete()
            OperatorAuditEvent.objects.filter(actor_email=operator_user.email).delete()
            # Raw: the ORM's cascade would look for tenant-only tables in the public schema.
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM users WHERE id = %s", [operator_user.pk])


def test_operator_exports_downloads_then_deletes_a_committed_tenant(
    committed_tenant: Organization, committed_console: Client, django_db_blocker: DjangoDbBlocker
) -> None:
    client = committed_console
    slug, schema, pk = committed_tenant.slug, committed_tenant.schema_name, committed_tenant.pk
    with django_db_blocker.unblock():
        tenant_host = Client(HTTP_HOST=f"{slug}.localhost")
        assert tenant_host.get("/accounts/login/").status_code == 200

        # Export: queued on commit, run by the (eager) Celery task, shown done on the page.
        response = client.post(f"/console/tenants/{slug}/export/", {"reason": "Annual backup"})
        assert response.status_code == 302
        export = TenantExport.objects.get(organization_slug=slug)
        assert export.state == ExportState.DONE, export.error
        page = client.get(f"/console/tenants/{slug}/")
        assert f"/console/exports/{export.pk}/download/".encode() in page.content

        download = client.get(f"/console/exports/{export.pk}/download/")
        assert download.status_code == 200
        body = download.getvalue()
        assert body.startswith(b"PGDMP")
        assert schema.encode() in body
        restored = subprocess.run(  # noqa: S603 - fixed arguments: read the dump back as SQL
            ["pg_restore", "--data-only", "--file=-"],  # noqa: S607
            input=body,
            capture_output=True,
            check=True,
        ).stdout
        assert f"owner@{slug}.org".encode() in restored  # the committed owner row is in it

        # Delete: a wrong confirmation first, which changes nothing.
        refused = client.post(
            f"/console/tenants/{slug}/delete/", {"reason": "Closed", "confirmation": "nope"}
        )
        assert refused.status_code == 400
        assert schema_exists(schema)

        response = client.post(
            f"/console/tenants/{slug}/delete/",
            {"reason": "Organization closed", "confirmation": slug},
        )
        assert response.status_code == 302
        assert response["Location"] == f"/console/audit/?tenant={slug}"

        # The request committed, so the task ran: the deletion is done.
        deletion = TenantDeletion.objects.get(organization_slug=slug)
        assert (deletion.state, deletion.schema_existed) == (DeletionState.DONE, True), (
            deletion.error
        )
        assert not schema_exists(schema)
        assert not Organization.objects.filter(pk=pk).exists()
        assert not Domain.objects.filter(domain=f"{slug}.localhost").exists()
        assert tenant_host.get("/accounts/login/").status_code == 404

        deleted = OperatorAuditEvent.objects.get(organization_slug=slug, action="delete")
        assert deleted.organization_id == pk  # by id, kept after the tenant is gone
        assert (deleted.outcome, deleted.reason) == ("succeeded", "Organization closed")
        assert deleted.detail["schema_name"] == schema
        final_export = TenantExport.objects.get(pk=deleted.detail["export_id"])
        assert final_export.state == ExportState.DONE
        assert deletion.export == final_export
        assert deleted.detail["file_name"] == final_export.file_name
        with schema_context("public"):
            assert default_storage.exists(final_export.file_name)
        connection.set_schema_to_public()

        audit = client.get(f"/console/audit/?tenant={slug}")
        assert audit.status_code == 200
        assert f"{slug} was deleted</strong>".encode() in audit.content
        assert f"Its export is kept: {final_export.file_name}".encode() in audit.content
        assert [event.action for event in audit.context["page"]] == [
            "delete",
            "export_download",
            "export",
        ]
        assert f"/console/exports/{final_export.pk}/download/".encode() in audit.content
        kept = client.get(f"/console/exports/{final_export.pk}/download/")
        assert kept.status_code == 200
        assert kept.getvalue().startswith(b"PGDMP")
        assert client.get(f"/console/tenants/{slug}/").status_code == 404
