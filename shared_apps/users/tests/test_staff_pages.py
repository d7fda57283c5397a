"""The staff page (/settings/staff/), an invitation's page (/invitations/<token>/) and each
user's account page (/account/): refused to roles without users.manage, changes through the
services with a message, refusals shown, people's text escaped, queries fixed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Organization
from shared_apps.users import services
from shared_apps.users.models import Invitation, InvitationStatus, User
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PASSWORD = "Very-Long-Pass-2026"
SITE = {"site_url": "http://alpha.localhost/", "organization_name": "Alpha Relief Fund"}


def _invited(tenant: Tenant, email: str = "new@alpha.org", role: str = Role.BOOKKEEPER) -> Any:
    with schema_context("alpha"):
        return services.invitation_create(email=email, role=role, acting_user=tenant.owner, **SITE)


@pytest.mark.parametrize(
    "role",
    [Role.BOOKKEEPER, Role.FUNDRAISER, Role.VOLUNTEER_COORDINATOR, Role.VIEWER, Role.VOLUNTEER],
)
def test_the_staff_page_and_its_actions_are_refused_without_users_manage(
    alpha: Tenant, role: str
) -> None:
    client = alpha.client(alpha.user(role))
    sent = _invited(alpha)
    pk = sent.invitation.pk
    owner = alpha.owner.pk

    assert client.get("/settings/staff/").status_code == 403
    for path, data in [
        ("/settings/staff/invite/", {"email": "x@alpha.org", "role": Role.ADMIN}),
        (f"/settings/staff/invitations/{pk}/resend/", {}),
        (f"/settings/staff/invitations/{pk}/revoke/", {}),
        (f"/settings/staff/{owner}/role/", {"role": Role.VIEWER}),
        (f"/settings/staff/{owner}/deactivate/", {}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 403, path
        assert "Owner and Administrator" in response.content.decode()
    with schema_context("alpha"):
        assert Invitation.objects.get().status == InvitationStatus.PENDING
        assert User.objects.get(pk=owner).role == Role.OWNER
    assert "/settings/staff/" not in client.get("/").content.decode()


def test_anonymous_people_are_sent_to_log_in(alpha: Tenant) -> None:
    for path in ("/settings/staff/", "/account/"):
        response = alpha.client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_invite_and_see_the_invitation(
    alpha: Tenant, role: str, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = alpha.client(alpha.owner if role == Role.OWNER else alpha.user(role))
    assert 'href="/settings/staff/"' in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/settings/staff/invite/", {"email": "nia@alpha.org", "role": Role.BOOKKEEPER}
        )

    assert response.status_code == 302
    page = client.get("/settings/staff/").content.decode()
    assert "Invitation sent to nia@alpha.org as Bookkeeper" in page
    assert "nia@alpha.org" in page and "Waiting; the link works until" in page
    (message,) = mail.outbox
    assert message.to == ["nia@alpha.org"]
    assert "http://alpha.localhost/invitations/" in message.body


def test_a_bad_invitation_is_shown_on_the_form_and_nothing_is_sent(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    response = client.post("/settings/staff/invite/", {"email": "owner@alpha.org", "role": "admin"})
    bad_role = client.post("/settings/staff/invite/", {"email": "a@alpha.org", "role": "god"})
    bad_email = client.post("/settings/staff/invite/", {"email": "nope", "role": "admin"})

    assert response.status_code == 400
    assert "already has a login here" in response.content.decode()
    assert bad_role.status_code == 400 and bad_email.status_code == 400
    assert "Select a valid choice" in bad_role.content.decode()
    with schema_context("alpha"):
        assert not Invitation.objects.exists()
    assert not mail.outbox


def test_the_plans_staff_limit_is_shown_and_enforced(alpha: Tenant) -> None:
    Plan.objects.filter(code="starter").update(max_staff_users=2)
    Organization.objects.filter(pk=alpha.organization.pk).update(plan_code="starter")
    alpha.user(Role.BOOKKEEPER)
    client = alpha.client(alpha.owner)

    page = client.get("/settings/staff/").content.decode()
    response = client.post("/settings/staff/invite/", {"email": "c@alpha.org", "role": "viewer"})

    assert "2 of 2 staff logins on your plan are used: the plan is full." in page
    assert response.status_code == 400
    assert "The Starter plan allows 2 staff users" in response.content.decode()
    with schema_context("alpha"):
        assert not Invitation.objects.exists()


def test_resend_and_revoke_from_the_page(
    alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    sent = _invited(alpha)
    client = alpha.client(alpha.owner)
    pk = sent.invitation.pk

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/staff/invitations/{pk}/resend/")
    client.post(f"/settings/staff/invitations/{pk}/revoke/")
    again = client.post(f"/settings/staff/invitations/{pk}/revoke/", follow=True)

    assert len(mail.outbox) == 1
    assert "The invitation of new@alpha.org was revoked." in again.content.decode()
    assert client.post("/settings/staff/invitations/999999/revoke/").status_code == 404
    with schema_context("alpha"):
        assert Invitation.objects.get().status == InvitationStatus.REVOKED


def test_roles_change_and_people_are_deactivated_and_reactivated(alpha: Tenant) -> None:
    person = alpha.user(Role.FUNDRAISER, full_name="Rosa Funds")
    client = alpha.client(alpha.owner)

    role = client.post(f"/settings/staff/{person.pk}/role/", {"role": Role.BOOKKEEPER}, follow=True)
    off = client.post(f"/settings/staff/{person.pk}/deactivate/", follow=True)
    with schema_context("alpha"):
        assert not User.objects.get(pk=person.pk).is_active
    on = client.post(f"/settings/staff/{person.pk}/reactivate/", follow=True)

    assert "Rosa Funds is now Bookkeeper." in role.content.decode()
    assert "Rosa Funds can no longer log in." in off.content.decode()
    assert "Rosa Funds can log in again." in on.content.decode()
    with schema_context("alpha"):
        stored = User.objects.get(pk=person.pk)
        assert (stored.role, stored.is_active) == (Role.BOOKKEEPER, True)
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["user.role_change", "user.deactivate", "user.reactivate"]


def test_the_last_owner_and_ones_own_login_are_kept(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)
    owner = alpha.owner.pk

    demote = client.post(f"/settings/staff/{owner}/role/", {"role": Role.ADMIN}, follow=True)
    deactivate = client.post(f"/settings/staff/{owner}/deactivate/", follow=True)
    bad_role = client.post(f"/settings/staff/{owner}/role/", {"role": "god"}, follow=True)

    assert "the organization&#x27;s last active owner" in demote.content.decode()
    assert "You cannot deactivate your own login" in deactivate.content.decode()
    assert "Choose one of the roles listed." in bad_role.content.decode()
    with schema_context("alpha"):
        stored = User.objects.get(pk=owner)
        assert (stored.role, stored.is_active) == (Role.OWNER, True)


def test_names_and_emails_people_typed_are_escaped(alpha: Tenant) -> None:
    alpha.user(Role.VIEWER, full_name="<script>alert(1)</script>")
    _invited(alpha, email="o'brien@alpha.org")

    html = alpha.client(alpha.owner).get("/settings/staff/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "o&#x27;brien@alpha.org" in html


def test_the_staff_page_runs_as_many_queries_for_many_people_as_for_few(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.owner)
    client.get("/settings/staff/")
    alpha.user(Role.VIEWER)
    _invited(alpha, email="one@alpha.org")
    with count_queries() as few:
        assert client.get("/settings/staff/").status_code == 200

    for number in range(8):
        alpha.user(Role.FUNDRAISER, last_login="2026-01-02T10:00:00Z")
        _invited(alpha, email=f"more{number}@alpha.org")
    with count_queries() as many:
        html = client.get("/settings/staff/").content.decode()

    assert len(many.captured_queries) == len(few.captured_queries)
    assert html.count("Resend<span") == 9


# --- The invitation's page -------------------------------------------------------------------


def test_following_the_link_sets_name_and_password_and_signs_in(alpha: Tenant) -> None:
    sent = _invited(alpha, role=Role.BOOKKEEPER)
    client = alpha.client()
    path = f"/invitations/{sent.token}/"

    form = client.get(path).content.decode()
    response = client.post(
        path, {"full_name": "Nia Books", "password": PASSWORD, "password_again": PASSWORD}
    )
    dashboard = client.get("/").content.decode()

    assert "You are invited as <strong>Bookkeeper</strong>" in form
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Your login is ready: you are signed in as Bookkeeper." in dashboard
    assert "Bookkeeper" in dashboard
    again = alpha.client().get(path)
    assert again.status_code == 410
    assert "This invitation has already been used" in again.content.decode()


def test_a_weak_or_mismatched_password_is_shown_and_nothing_is_made(alpha: Tenant) -> None:
    sent = _invited(alpha)
    client = alpha.client()
    path = f"/invitations/{sent.token}/"

    weak = client.post(
        path, {"full_name": "Nia", "password": "12345678", "password_again": "12345678"}
    )
    differ = client.post(path, {"full_name": "Nia", "password": PASSWORD, "password_again": "x"})

    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    assert "The two passwords differ." in differ.content.decode()
    with schema_context("alpha"):
        assert not User.objects.filter(email="new@alpha.org").exists()


def test_unknown_revoked_and_expired_links_say_so(alpha: Tenant) -> None:
    sent = _invited(alpha)
    client = alpha.client()
    unknown = client.get("/invitations/not-a-real-token/")
    with schema_context("alpha"):
        services.invitation_revoke(invitation=sent.invitation, acting_user=alpha.owner)
    revoked = client.get(f"/invitations/{sent.token}/")
    revoked_post = client.post(
        f"/invitations/{sent.token}/",
        {"full_name": "Nia", "password": PASSWORD, "password_again": PASSWORD},
    )

    assert unknown.status_code == 404
    assert "This link is not valid" in unknown.content.decode()
    assert revoked.status_code == 410 and revoked_post.status_code == 410
    assert "This invitation was withdrawn" in revoked.content.decode()
    with schema_context("alpha"):
        assert not User.objects.filter(email="new@alpha.org").exists()


def test_a_link_of_one_organization_opens_nothing_on_another(alpha: Tenant, beta: Tenant) -> None:
    sent = _invited(alpha)

    response = beta.client().get(f"/invitations/{sent.token}/")

    assert response.status_code == 404


# --- The account page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_an_account_page(alpha: Tenant, role: str) -> None:
    user = alpha.owner if role == Role.OWNER else alpha.user(role, full_name="<b>Ann</b>")

    html = alpha.client(user).get("/account/").content.decode()

    assert "<h1>Your account</h1>" in html
    assert "This browser" in html
    assert "<b>Ann</b>" not in html


def test_a_name_and_a_password_are_changed_from_the_account_page(alpha: Tenant) -> None:
    user = alpha.user(Role.FUNDRAISER, full_name="Old Name", password="Correct-Horse-42")
    client = alpha.client(user)

    named = client.post("/account/name/", {"full_name": "New Name"}, follow=True)
    wrong = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    changed = client.post(
        "/account/password/",
        {"old_password": "Correct-Horse-42", "new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    )

    assert "Your name is saved." in named.content.decode()
    assert wrong.status_code == 400
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    assert "Your password is changed." in changed.content.decode()
    assert changed.status_code == 200  # still signed in
    with schema_context("alpha"):
        stored = User.objects.get(pk=user.pk)
        assert stored.full_name == "New Name" and stored.check_password(PASSWORD)
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["user.update", "user.password_set"]


def test_signing_out_everywhere_keeps_this_browser_only(alpha: Tenant) -> None:
    user = alpha.user(Role.VIEWER)
    elsewhere = alpha.client(user)
    here = alpha.client(user)
    assert elsewhere.get("/account/").status_code == 200

    response = here.post("/account/sign-out-everywhere/", follow=True)

    assert "Signed out of 1 other session" in response.content.decode()
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/").status_code == 302


def test_the_account_page_runs_as_many_queries_for_many_sessions_as_for_few(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    user = alpha.user(Role.VIEWER)
    client = alpha.client(user)
    client.get("/account/")
    with count_queries() as few:
        client.get("/account/")
    for _ in range(5):
        alpha.client(user)
    with count_queries() as many:
        html = client.get("/account/").content.decode()

    assert len(many.captured_queries) == len(few.captured_queries)
    assert html.count("<li>\n      <strong>") == 6
