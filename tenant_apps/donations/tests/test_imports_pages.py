"""The import pages: the upload form with its sample files and the list of imports; an upload's
columns and preview, confirmed or discarded; a job's progress, result and errors, and the
drafts of a gift import waiting to be posted; roles, CSRF, escaping, query counts and other
tenants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, GiftState, ImportJob, ImportState
from tenant_apps.donations.services import import_csv, imports
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

INDEX = "/donations/imports/"
READERS = (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER)


def _upload(client: Any, kind: str, content: str | bytes, name: str = "list.csv") -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(INDEX, {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")})


def _columns_url(job: ImportJob) -> str:
    return f"{INDEX}{job.pk}/columns/"


def _confirm(
    client: Any,
    job: ImportJob,
    mapping: list[str],
    capture: Callable[..., Any],
    on_row_errors: str = "import_nothing",
) -> Any:
    data = {f"column_{position}": name for position, name in enumerate(mapping)}
    data["on_row_errors"] = on_row_errors
    with capture(execute=True):
        return client.post(_columns_url(job), data)


def _gift_file(count: int, email: str = "ada@example.org") -> str:
    rows = "".join(f"{email},{10 + n},{today():%m/%d/%Y},Check\n" for n in range(count))
    return "Email,Gift Amount,Gift Date,Payment Method\n" + rows


# --- Upload, columns, confirm --------------------------------------------------------------------


def test_a_fundraiser_uploads_checks_the_columns_confirms_and_reads_the_result(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    page = client.get(INDEX).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert f'href="{INDEX}sample/donors.csv"' in page
    assert "Address line 1 <code>address_line1</code>" in page

    # Given a spreadsheet with headers in words and a column we do not keep,
    response = _upload(client, "donors", "First Name,Last Name,Shoe size\nAda,Lovelace,7\n")

    # the upload waits on its columns page, the recognised fields chosen, nothing imported.
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _columns_url(job)
    assert job.state == ImportState.UPLOADED
    assert not Donor.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "list.csv is uploaded: check how its columns are read" in page
    assert '<option value="first_name" selected>First name</option>' in page
    assert '<option value="last_name" selected>Last name</option>' in page
    assert "One column was not recognised and will be ignored" in page
    assert "“Shoe size”" in page
    assert "First row: Ada" in page
    assert "Preview of the first 1 row" in page
    assert "These rows read without errors." in page
    assert "Import 1 row" in page

    # When the columns are confirmed, the import runs and its page says what became of it.
    response = _confirm(
        client, job, ["first_name", "last_name", ""], django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}{job.pk}/"
    assert Donor.objects.filter(display_name="Ada Lovelace").exists()
    detail = client.get(response["Location"]).content.decode()
    assert '<p class="import-result done" id="import-result">1 of 1 row imported</p>' in detail
    assert "<progress" not in detail
    assert "import_progress.js" not in detail
    listed = client.get(INDEX).content.decode()
    assert "list.csv" in listed
    assert '<span class="import-result">1 of 1 row imported</span>' in listed
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"import.upload", "import.confirm", "donor.import"} <= actions


def test_a_file_that_cannot_be_read_is_refused_on_the_form(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = _upload(client, "donors", b"first_name,last_name\nAda,Lovel\xe1ce\n")

    assert response.status_code == 400
    page = response.content.decode()
    assert "not UTF-8 text (line 2" in page
    assert 'class="field-error" id="id_file_error"' in page
    assert "One thing needs fixing" in page
    assert not ImportJob.objects.exists()


def test_the_columns_page_names_a_missing_field_and_the_confirmation_refuses_it(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "gifts", "Email,Gift Amount\nada@example.org,5\n")
    job = ImportJob.objects.get()

    page = client.get(_columns_url(job)).content.decode()
    assert "No column is read as Date received: a gifts file needs one." in page
    assert "No column is read as Method: a gifts file needs one." in page

    response = _confirm(client, job, ["donor_email", "amount"], django_capture_on_commit_callbacks)

    assert response.status_code == 400
    summary = response.content.decode().split('id="form-errors"')[1].split("</div>")[0]
    assert "<li>No column is read as Date received: a gifts file needs one.</li>" in summary
    assert "<li>No column is read as Method: a gifts file needs one.</li>" in summary
    job.refresh_from_db()
    assert job.state == ImportState.UPLOADED
    assert not Gift.objects.exists()
    assert not AuditEvent.objects.filter(action="import.confirm").exists()


def test_two_columns_read_as_one_field_are_named_next_to_each_choice(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "donors", "First Name,Nickname\nAda,Addie\n")
    job = ImportJob.objects.get()

    response = _confirm(
        client, job, ["first_name", "first_name"], django_capture_on_commit_callbacks
    )

    assert response.status_code == 400
    page = response.content.decode()
    message = "First name is chosen for “First Name” and “Nickname”: choose it for one column only."
    assert page.count(f'<p class="field-error" id="id_column_0_error">{message}</p>') == 1
    assert page.count(f'<p class="field-error" id="id_column_1_error">{message}</p>') == 1
    assert f'<a href="#id_column_1">Nickname</a>: {message}' in page
    assert not Donor.objects.exists()
    assert ImportJob.objects.get().state == ImportState.UPLOADED


def test_a_changed_choice_updates_the_preview_alone(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "donors", "First Name,Nickname\nAda,Addie\n")
    job = ImportJob.objects.get()

    fragment = client.get(
        _columns_url(job),
        {"column_0": "last_name", "column_1": "first_name", "on_row_errors": "import_nothing"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "<html" not in fragment
    assert 'id="import-preview"' in fragment
    assert 'First name<span class="from">from “Nickname”</span>' in fragment
    assert 'Last name<span class="from">from “First Name”</span>' in fragment
    # Without the script, the Update button asks for the same page with the choices.
    page = client.get(
        _columns_url(job), {"column_0": "", "column_1": "first_name", "update": "1"}
    ).content.decode()
    assert '<option value="first_name" selected>First name</option>' in page
    assert 'First name<span class="from">from “Nickname”</span>' in page


def test_rows_with_errors_may_be_left_out_and_the_result_says_so(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "donors", "First Name,Email\nAda,ada@example.org\nAlan,nope\nGrace,\n")
    job = ImportJob.objects.get()

    response = _confirm(
        client, job, ["first_name", "email"], django_capture_on_commit_callbacks, "skip_rows"
    )

    page = client.get(response["Location"]).content.decode()
    assert "2 of 3 rows imported: 1 row has errors" in page
    assert "Rows left out (1 error in 1 row)" in page
    assert '<th scope="row" class="num">3</th><td>Email</td>' in page
    assert Donor.objects.count() == 2


def test_a_failed_job_says_nothing_was_imported_and_lists_its_errors(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "donors", "first_name,email\nAda,ada@example.org\nAlan,not-an-email\nG,no\n")
    job = ImportJob.objects.get()

    response = _confirm(client, job, ["first_name", "email"], django_capture_on_commit_callbacks)
    page = client.get(response["Location"]).content.decode()

    assert "nothing imported: 2 rows have errors" in page
    assert "Nothing was written. Correct the rows listed below" in page
    assert '<th scope="row" class="num">3</th><td>email</td>' in page
    assert "not-an-email is not an email address" in page
    assert not Donor.objects.exists()


def test_a_discarded_upload_is_gone_with_a_message(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "donors", "First Name\nAda\n", name="mistake.csv")
    job = ImportJob.objects.get()

    response = client.post(f"{INDEX}{job.pk}/discard/")

    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert not ImportJob.objects.exists()
    assert AuditEvent.objects.filter(action="import.discard", object_id=str(job.pk)).exists()
    assert "The upload of mistake.csv is discarded." in client.get(INDEX).content.decode()


def test_a_confirmed_job_goes_to_its_page_and_cannot_be_discarded(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "donors", "First Name\nAda\n")
    job = ImportJob.objects.get()
    _confirm(client, job, ["first_name"], django_capture_on_commit_callbacks)

    assert client.get(_columns_url(job))["Location"] == f"{INDEX}{job.pk}/"
    again = _confirm(client, job, ["first_name"], django_capture_on_commit_callbacks)
    assert again["Location"] == f"{INDEX}{job.pk}/"
    response = client.post(f"{INDEX}{job.pk}/discard/")
    assert "nor the upload be discarded" in client.get(response["Location"]).content.decode()
    assert Donor.objects.count() == 1
    # An upload's own page leads to its columns while they wait.
    _upload(client, "donors", "First Name\nGrace\n")
    waiting = ImportJob.objects.get(state=ImportState.UPLOADED)
    assert client.get(f"{INDEX}{waiting.pk}/")["Location"] == _columns_url(waiting)


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
    assert "import_progress.js" in page


# --- Sample files -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["donors", "gifts"])
def test_a_sample_file_has_every_column_and_believable_rows(in_alpha: Tenant, kind: str) -> None:
    response: Any = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{INDEX}sample/{kind}.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-sample.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == ",".join(import_csv.COLUMNS[kind])
    assert len(lines) == 1 + len(import_csv.SAMPLE_ROWS[kind])


def test_the_sample_files_round_trip_through_the_pages(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    for kind in ("donors", "gifts"):
        sample: Any = client.get(f"{INDEX}sample/{kind}.csv")
        _upload(client, kind, b"".join(sample.streaming_content), name=f"{kind}-sample.csv")
        job = ImportJob.objects.get(state=ImportState.UPLOADED)
        response = _confirm(
            client, job, list(import_csv.COLUMNS[kind]), django_capture_on_commit_callbacks
        )
        page = client.get(response["Location"]).content.decode()
        assert "3 of 3 rows imported" in page, page

    assert Donor.objects.count() == 3
    assert Gift.objects.count() == 3
    assert sum(gift.amount for gift in Gift.objects.all()) == 5370


def test_a_sample_of_no_such_kind_is_not_found(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    assert client.get(f"{INDEX}sample/pledges.csv").status_code == 404


# --- The drafts of a gift import --------------------------------------------------------------


def test_a_bookkeeper_follows_a_gift_import_to_its_drafts_and_posts_them(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    earlier = Gift.objects.count()
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    _upload(client, "gifts", _gift_file(3), name="spring.csv")
    job = ImportJob.objects.get()
    response = _confirm(
        client,
        job,
        ["donor_email", "amount", "received_on", "method"],
        django_capture_on_commit_callbacks,
    )

    page = client.get(response["Location"]).content.decode()
    drafts_url = f"/gifts/?state=draft&amp;import={job.pk}"
    assert "3 of 3 rows imported" in page
    assert "3 gifts of this import are drafts that wait to be posted" in page
    assert f'href="{drafts_url}">Review and post the 3 drafts</a>' in page

    listed = client.get(f"/gifts/?state=draft&import={job.pk}").content.decode()
    assert "Only the gifts imported from" in listed
    assert "spring.csv" in listed
    assert listed.count('name="gift"') == 3
    assert listed.count(" checked>") == 3
    assert "Post selected" in listed
    ids = list(Gift.objects.filter(import_job=job).values_list("pk", flat=True))
    assert len(ids) == 3 and earlier == 0
    posted = client.post("/gifts/post/", {"gift": ids, "next": f"/gifts/?import={job.pk}"})
    assert posted["Location"] == f"/gifts/?import={job.pk}"
    assert set(Gift.objects.values_list("state", flat=True)) == {GiftState.POSTED}
    after = client.get(response["Location"]).content.decode()
    assert "Every gift of this import is posted." in after


def test_a_fundraiser_is_told_who_posts_the_drafts_of_an_import(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    _upload(client, "gifts", _gift_file(1))
    job = ImportJob.objects.get()
    response = _confirm(
        client,
        job,
        ["donor_email", "amount", "received_on", "method"],
        django_capture_on_commit_callbacks,
    )

    page = client.get(response["Location"]).content.decode()

    assert "1 gift of this import is a draft that waits to be posted" in page
    assert "Posting is for the Owner, Administrator and Bookkeeper roles" in page
    assert "Review and post" not in page
    listed = client.get(f"/gifts/?state=draft&import={job.pk}").content.decode()
    assert "Post selected" not in listed
    assert "Posting is for the Owner, Administrator and Bookkeeper roles" in listed


def test_the_gift_list_filters_by_import_and_an_unknown_import_selects_nothing(
    in_alpha: Tenant,
) -> None:
    job = ImportJob.objects.create(
        kind="gifts", original_filename="autumn.csv", state=ImportState.SUCCEEDED
    )
    imported = GiftFactory.create(amount="12.00")
    Gift.objects.filter(pk=imported.pk).update(import_job=job)
    GiftFactory.create(amount="999.00")
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    listed = client.get("/gifts/", {"import": job.pk}).content.decode()
    assert "$12.00" in listed
    assert "$999.00" not in listed
    assert f'<input type="hidden" name="import" value="{job.pk}"' in listed
    missing = client.get("/gifts/", {"import": "999999"}).content.decode()
    assert "There is no such gift import." in missing
    assert "$12.00" not in missing
    everything = client.get("/gifts/").content.decode()
    assert "$12.00" in everything
    assert "$999.00" in everything


# --- Escaping -------------------------------------------------------------------------------------


def test_a_script_in_a_cell_or_a_header_is_shown_as_text(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    content = "First Name,<script>alert(1)</script>\n<script>alert(2)</script>,x\n"
    _upload(client, "donors", content, name="<em>evil<em>.csv")
    job = ImportJob.objects.get()

    page = client.get(_columns_url(job)).content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;”" in page
    assert "&lt;em&gt;evil&lt;em&gt;.csv" in page
    assert "<em>evil" not in client.get(INDEX).content.decode()


# --- Roles, CSRF, other tenants ---------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_donor_reader_sees_the_imports_and_a_job(in_alpha: Tenant, role: str) -> None:
    job = ImportJob.objects.create(kind="donors", original_filename="readable.csv")
    client = in_alpha.client(in_alpha.user(role))

    assert b"readable.csv" in client.get(INDEX).content
    assert client.get(f"{INDEX}{job.pk}/").status_code == 200


@pytest.mark.parametrize("role", [Role.VOLUNTEER])
def test_the_imports_are_refused_to_roles_that_do_not_read_donors(
    in_alpha: Tenant, role: str
) -> None:
    job = ImportJob.objects.create(kind="donors", original_filename="x.csv")
    client = in_alpha.client(in_alpha.user(role))
    for path in (INDEX, f"{INDEX}{job.pk}/", f"{INDEX}sample/donors.csv"):
        response = client.get(path)
        assert response.status_code == 403
        assert b"This page is for the" in response.content


def test_a_viewer_sees_the_list_but_no_form_and_cannot_upload(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    page = client.get(INDEX)

    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' not in page.content
    response = _upload(client, "donors", "First Name\nAda\n")
    assert response.status_code == 403
    assert b"Importing is for the Owner, Administrator, Bookkeeper and Fundraiser" in (
        response.content
    )
    assert not ImportJob.objects.exists()


def test_a_bookkeeper_may_upload_gifts_only(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    page = client.get(INDEX).content.decode()

    upload_kinds = page.split('id="id_kind"')[1].split("</select>")[0]
    assert '<option value="gifts"' in upload_kinds
    assert '<option value="donors"' not in upload_kinds
    assert f'href="{INDEX}sample/donors.csv"' not in page
    assert _upload(client, "donors", "First Name\nAda\n").status_code == 400
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("role", "kind", "status"),
    [
        (Role.VIEWER, "donors", 403),
        (Role.VIEWER, "gifts", 403),
        (Role.VOLUNTEER_COORDINATOR, "donors", 403),
        (Role.BOOKKEEPER, "donors", 403),
        (Role.BOOKKEEPER, "gifts", 200),
        (Role.FUNDRAISER, "donors", 200),
        (Role.ADMIN, "gifts", 200),
    ],
)
def test_an_uploads_columns_are_for_those_who_may_import_its_kind(
    in_alpha: Tenant, role: str, kind: str, status: int
) -> None:
    header = "First Name\nAda\n" if kind == "donors" else _gift_file(1)
    job = imports.import_upload(
        kind=kind,
        upload=SimpleUploadedFile("f.csv", header.encode(), "text/csv"),
        acting_user=in_alpha.owner,
    )
    client = in_alpha.client(in_alpha.user(role))

    response = client.get(_columns_url(job))

    assert response.status_code == status
    if status == 403:
        # The page names who may import, or (to a role that reads no giving) who may read imports.
        assert b"Importing " in response.content or b"This page is for the" in response.content
        assert client.post(_columns_url(job), {"column_0": ""}).status_code == 403
        assert client.post(f"{INDEX}{job.pk}/discard/").status_code == 403
        assert ImportJob.objects.get(pk=job.pk).state == ImportState.UPLOADED


def test_every_post_needs_the_csrf_token(in_alpha: Tenant) -> None:
    from django.test import Client

    job = imports.import_upload(
        kind="donors",
        upload=SimpleUploadedFile("f.csv", b"First Name\nAda\n", "text/csv"),
        acting_user=in_alpha.owner,
    )
    client = Client(HTTP_HOST=in_alpha.host, enforce_csrf_checks=True)
    client.force_login(in_alpha.user(Role.FUNDRAISER))

    assert _upload(client, "donors", "First Name\nAda\n").status_code == 403
    assert client.post(_columns_url(job), {"column_0": "first_name"}).status_code == 403
    assert client.post(f"{INDEX}{job.pk}/discard/").status_code == 403
    assert ImportJob.objects.get().state == ImportState.UPLOADED


def test_pages_need_a_login_and_another_tenants_session_is_not_one(
    alpha: Tenant, beta: Tenant
) -> None:
    with schema_context("alpha"):
        job = imports.import_upload(
            kind="donors",
            upload=SimpleUploadedFile("a.csv", b"First Name\nAda\n", "text/csv"),
            acting_user=alpha.owner,
        )
    beta_session = beta.client(beta.owner).cookies["sessionid"].value

    paths = (INDEX, f"{INDEX}{job.pk}/", _columns_url(job), f"{INDEX}sample/donors.csv")
    for path in paths:
        anonymous = alpha.client().get(path)
        assert anonymous.status_code == 302
        assert "/accounts/login/" in anonymous["Location"]
        replay = alpha.client()
        replay.cookies["sessionid"] = beta_session
        response = replay.get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    beta_owner = beta.client(beta.owner)
    assert beta_owner.get(f"{INDEX}{job.pk}/").status_code == 404
    assert beta_owner.get(_columns_url(job)).status_code == 404
    assert beta_owner.post(f"{INDEX}{job.pk}/discard/").status_code == 404
    assert beta_owner.get("/gifts/", {"import": job.pk}).status_code == 200
    with schema_context("alpha"):
        assert ImportJob.objects.get(pk=job.pk).state == ImportState.UPLOADED


# --- Query counts ---------------------------------------------------------------------------------


def test_the_columns_page_runs_as_many_queries_for_a_long_file_as_for_a_short_one(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    client.get(INDEX)  # the session and the caches, once

    def columns_page(rows: int, **fragment: Any) -> int:
        _upload(client, "gifts", _gift_file(rows))
        job = ImportJob.objects.filter(state=ImportState.UPLOADED).latest("id")
        with count_queries() as queries:
            assert client.get(_columns_url(job), **fragment).status_code == 200
        return len(queries)

    assert columns_page(2) == columns_page(30)
    assert columns_page(2, HTTP_HX_REQUEST="true") == columns_page(30, HTTP_HX_REQUEST="true")


def test_a_gift_jobs_page_runs_as_many_queries_for_many_gifts_as_for_few(
    in_alpha: Tenant,
    count_queries: Callable[[], CaptureQueriesContext],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    client.get(INDEX)

    def job_page(rows: int) -> int:
        _upload(client, "gifts", _gift_file(rows))
        job = ImportJob.objects.get(state=ImportState.UPLOADED)
        mapping = ["donor_email", "amount", "received_on", "method"]
        location = _confirm(client, job, mapping, django_capture_on_commit_callbacks)["Location"]
        client.get(location)  # the message of the confirmation, once
        with count_queries() as queries:
            page = client.get(location)
        assert f"{rows} of {rows} rows imported" in page.content.decode()
        return len(queries)

    assert job_page(2) == job_page(20)


def test_the_list_of_imports_runs_as_many_queries_for_many_jobs_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    client.get(INDEX)

    def listed(count: int) -> int:
        for number in range(count):
            ImportJob.objects.create(
                kind="donors", original_filename=f"{number}.csv", created_by=in_alpha.owner
            )
        with count_queries() as queries:
            assert client.get(INDEX).status_code == 200
        return len(queries)

    assert listed(2) == listed(20)


def test_the_list_of_imports_filters_sorts_and_downloads_what_it_shows(in_alpha: Tenant) -> None:
    ImportJob.objects.create(kind="donors", original_filename="b-donors.csv")
    ImportJob.objects.create(kind="gifts", original_filename="a-gifts.csv")
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    gifts_only = client.get(INDEX, {"kind": "gifts"}).content.decode()
    assert "a-gifts.csv" in gifts_only
    assert "b-donors.csv" not in gifts_only
    by_name = client.get(INDEX, {"sort": "file"}).content.decode()
    assert by_name.index("a-gifts.csv") < by_name.index("b-donors.csv")
    download: Any = client.get(INDEX, {"kind": "donors", "format": "csv"})
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[0].startswith("Import,File,Of,Uploaded")
    assert len(lines) == 2
    assert "b-donors.csv,Donors" in lines[1]
    assert client.get(INDEX, {"state": "failed"}).content.decode().count("No import matches") == 1
