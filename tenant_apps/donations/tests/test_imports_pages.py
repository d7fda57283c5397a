"""The import pages: upload form and recent jobs, a job's progress and errors; roles and other
tenants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.donations.models import ImportJob, ImportState
from tenant_apps.donations.services import imports
from tenant_apps.donors.models import Donor
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

INDEX = "/donations/imports/"


def _post(client: Any, kind: str, content: bytes, capture: Callable[..., Any]) -> Any:
    with capture(execute=True):
        return client.post(
            INDEX, {"kind": kind, "file": SimpleUploadedFile("list.csv", content, "text/csv")}
        )


def test_a_fundraiser_uploads_a_file_and_lands_on_its_page(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    page = client.get(INDEX)
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    assert b"address_line1" in page.content

    response = _post(
        client,
        "donors",
        b"first_name,last_name\nAda,Lovelace\n",
        django_capture_on_commit_callbacks,
    )

    job = ImportJob.objects.get()
    assert Donor.objects.filter(display_name="Ada Lovelace").exists()
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}{job.pk}/"
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert b"1 donor imported." in detail.content
    assert b"<progress" not in detail.content
    assert b"import_progress.js" not in detail.content
    assert b"list.csv" in client.get(INDEX).content


def test_a_refused_file_shows_why_on_the_form(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = _post(client, "donors", b"shoe_size\n7\n", django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert b"Unknown column in the header: shoe_size" in response.content
    assert not ImportJob.objects.exists()


def test_a_failed_job_lists_its_errors_by_row_and_column(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _post(
        client,
        "donors",
        b"first_name,email\nAda,ada@example.org\nAlan,not-an-email\n",
        django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()

    page = client.get(f"{INDEX}{job.pk}/").content.decode()

    assert "nothing was imported" in page
    assert '<th scope="row" class="num">3</th><td>email</td>' in page
    assert "not-an-email is not an email address" in page


def test_a_running_job_shows_its_progress_a_refresh_link_and_the_polling_script(
    in_alpha: Tenant,
) -> None:
    job = ImportJob.objects.create(
        kind="gifts", original_filename="gifts.csv", state=ImportState.IMPORTING, total_rows=80
    )
    imports.import_progress_publish(job_id=job.pk, state="importing", processed=30, total=80)

    page = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{INDEX}{job.pk}/").content.decode()

    assert '<progress id="import-progress" max="80" value="30">' in page
    assert "30 of 80" in page
    assert f'href="{INDEX}{job.pk}/">Refresh</a>' in page
    assert f'data-status-url="/api/v1/donations/imports/{job.pk}/"' in page


def test_a_viewer_sees_the_jobs_but_no_form_and_cannot_upload(
    alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = alpha.client(alpha.user(Role.VIEWER))

    page = client.get(INDEX)

    assert page.status_code == 200
    assert b'<form method="post" enctype' not in page.content
    response = _post(client, "donors", b"first_name\nAda\n", django_capture_on_commit_callbacks)
    assert response.status_code == 403


def test_a_bookkeeper_may_upload_gifts_only(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.BOOKKEEPER)).get(INDEX).content.decode()

    assert '<option value="gifts"' in page
    assert '<option value="donors"' not in page


def test_pages_need_a_login_and_another_tenants_session_is_not_one(
    alpha: Tenant, beta: Tenant
) -> None:
    with schema_context("alpha"):
        job = ImportJob.objects.create(kind="donors", original_filename="a.csv")
    beta_session = beta.client(beta.owner).cookies["sessionid"].value

    for path in (INDEX, f"{INDEX}{job.pk}/"):
        anonymous = alpha.client().get(path)
        assert anonymous.status_code == 302
        assert "/accounts/login/" in anonymous["Location"]
        replay = alpha.client()
        replay.cookies["sessionid"] = beta_session
        response = replay.get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert beta.client(beta.owner).get(f"{INDEX}{job.pk}/").status_code == 404
