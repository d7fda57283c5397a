"""Email verification: the link shows what it does, creates the tenant once when confirmed,
and refuses when expired, replaced or made up."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import NoReturn

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from provisioning import services as provisioning_services
from shared_apps.billing.models import Subscription, SubscriptionStatus
from shared_apps.onboarding.models import Signup, SignupState
from shared_apps.onboarding.services import signup_provision, signup_verification_send
from shared_apps.onboarding.tests.factories import PASSWORD, SignupFactory
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.users.models import User
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _token_of(
    signup: Signup, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        signup_verification_send(signup_id=signup.pk)
    found = re.search(r"/signup/verify/([\w-]+)/", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


def test_opening_the_link_creates_nothing_until_confirmed(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    signup = SignupFactory.create(slug="harbor")
    token = _token_of(signup, django_capture_on_commit_callbacks)

    response = public_client.get(f"/signup/verify/{token}/")

    assert response.status_code == 200
    assert b"Confirm and create my organization" in response.content
    assert b"harbor.localhost" in response.content
    signup.refresh_from_db()
    assert signup.state == SignupState.PENDING
    assert not Organization.objects.filter(slug="harbor").exists()


def test_confirming_provisions_the_tenant_with_the_owner_and_its_plan(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    signup = SignupFactory.create(slug="harbor", email="hana@harbor.org", plan_code="starter")
    token = _token_of(signup, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = public_client.post(f"/signup/verify/{token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/signup/{signup.public_id}/progress/"
    signup.refresh_from_db()
    organization = Organization.objects.get(slug="harbor")
    assert signup.state == SignupState.COMPLETED
    assert signup.organization == organization
    assert signup.password_hash == ""  # the owner has it now
    assert organization.state == OrganizationState.ACTIVE
    assert (organization.name, organization.plan_code) == ("Harbor Food Bank", "starter")
    subscription = Subscription.objects.get(organization=organization)
    # Starter is free: it is active at once, with no trial to end.
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.plan.code == "starter"
    assert subscription.trial_ends_at is None
    with schema_context(organization.schema_name):
        owner = User.objects.get()
        assert (owner.email, owner.full_name, owner.role) == (
            "hana@harbor.org",
            "Hana Ortiz",
            "owner",
        )
        assert owner.check_password(PASSWORD)
    # the welcome email follows the verification email
    assert mail.outbox[-1].subject.startswith("Welcome to IFM")
    tenant = Client(HTTP_HOST="harbor.localhost")
    login = tenant.post("/accounts/login/", {"username": "hana@harbor.org", "password": PASSWORD})
    assert login.status_code == 302

    # Using the link again changes nothing and leads to the progress page.
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = public_client.post(f"/signup/verify/{token}/")
    assert again.status_code == 302
    assert again["Location"] == f"/signup/{signup.public_id}/progress/"
    assert callbacks == []
    assert len(mail.outbox) == sent
    assert Organization.objects.filter(slug="harbor").count() == 1
    page = public_client.get(f"/signup/verify/{token}/")
    assert page.status_code == 200
    assert b"already confirmed" in page.content


def test_an_expired_link_is_refused_and_creates_nothing(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    signup = SignupFactory.create(slug="harbor")
    token = _token_of(signup, django_capture_on_commit_callbacks)
    Signup.objects.filter(pk=signup.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    page = public_client.get(f"/signup/verify/{token}/")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        confirm = public_client.post(f"/signup/verify/{token}/")

    assert page.status_code == 410
    assert b"This link has expired" in page.content
    assert confirm.status_code == 409
    assert b"sign up again" in confirm.content
    assert callbacks == []
    signup.refresh_from_db()
    assert signup.state == SignupState.PENDING
    assert signup.verified_at is None
    assert not Organization.objects.filter(slug="harbor").exists()


@pytest.mark.parametrize("token", ["made-up-token", "x" * 200])
def test_an_unknown_link_is_a_404(public_client: Client, token: str) -> None:
    for method in ("get", "post"):
        response = getattr(public_client, method)(f"/signup/verify/{token}/")
        assert response.status_code == 404
        assert b"This link is not valid" in response.content


def test_a_newer_email_replaces_the_link(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    signup = SignupFactory.create(slug="harbor")
    first = _token_of(signup, django_capture_on_commit_callbacks)
    second = _token_of(signup, django_capture_on_commit_callbacks)

    assert first != second
    assert public_client.get(f"/signup/verify/{first}/").status_code == 404
    assert public_client.get(f"/signup/verify/{second}/").status_code == 200


def test_no_verification_email_for_a_verified_signup(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    signup = SignupFactory.create(slug="harbor", state=SignupState.VERIFIED)

    with django_capture_on_commit_callbacks(execute=True):
        signup_verification_send(signup_id=signup.pk)

    assert mail.outbox == []


def test_a_failed_provisioning_leaves_the_signup_and_tenant_failed(
    public_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    def broken_schema(organization: Organization, owner: User) -> NoReturn:
        raise RuntimeError("disk full")

    monkeypatch.setattr(
        provisioning_services,
        "STEPS",
        [("schema", broken_schema), *provisioning_services.STEPS[1:]],
    )
    signup = SignupFactory.create(slug="harbor", state=SignupState.VERIFIED)

    signup_provision(signup_id=signup.pk)

    signup.refresh_from_db()
    assert signup.state == SignupState.FAILED
    assert "disk full" in signup.failure_reason
    assert signup.organization is not None
    assert signup.organization.state == OrganizationState.FAILED
    assert not Subscription.objects.filter(organization=signup.organization).exists()
    status = public_client.get(f"/signup/{signup.public_id}/status/").json()
    assert status["state"] == "failed"
    assert "You do not need to sign up again" in status["message"]
    assert [step["status"] for step in status["steps"]][:2] == ["done", "failed"]


def test_a_subdomain_taken_before_verification_fails_clearly(
    public_client: Client, alpha: Tenant
) -> None:
    signup = SignupFactory.create(slug="alpha", state=SignupState.VERIFIED)

    signup_provision(signup_id=signup.pk)

    signup.refresh_from_db()
    assert signup.state == SignupState.FAILED
    assert signup.organization is None
    status = public_client.get(f"/signup/{signup.public_id}/status/").json()
    assert status["state"] == "failed"
    assert "This subdomain is taken." in status["message"]
    assert "sign up again" in status["message"]


def test_provisioning_a_finished_signup_again_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    signup = SignupFactory.create(slug="harbor", state=SignupState.COMPLETED)
    monkeypatch.setattr(
        "shared_apps.onboarding.services.tenant_provision",
        lambda **kwargs: pytest.fail("provisioned again"),
    )

    signup_provision(signup_id=signup.pk)

    signup.refresh_from_db()
    assert signup.state == SignupState.COMPLETED


def test_the_trial_starts_once_and_not_on_a_withdrawn_plan(alpha: Tenant) -> None:
    from shared_apps.onboarding.services import _trial_start

    _trial_start(organization=alpha.organization, plan_code="gone")
    assert not Subscription.objects.filter(organization=alpha.organization).exists()

    _trial_start(organization=alpha.organization, plan_code="standard")
    _trial_start(organization=alpha.organization, plan_code="standard")

    subscription = Subscription.objects.get(organization=alpha.organization)
    assert (subscription.plan.code, subscription.status) == ("standard", "trialing")
