"""The signup form: what it asks, what it refuses (creating nothing), and double submits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from shared_apps.onboarding.models import Signup, SignupState
from shared_apps.onboarding.tests.factories import PASSWORD, SignupFactory
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Harbor Food Bank",
    "slug": "harbor",
    "owner_name": "Hana Ortiz",
    "email": "hana@harbor.org",
    "password": PASSWORD,
    "plan": "standard",
    "terms": "on",
}


def _post(client: Client, **overrides: str | None) -> TestResponse:
    data = {**GOOD, **overrides}
    return client.post("/signup/", {key: value for key, value in data.items() if value is not None})


def test_the_form_asks_for_everything_with_labels(public_client: Client) -> None:
    response = public_client.get("/signup/")

    assert response.status_code == 200
    page = response.content.decode()
    for field, label in [
        ("name", "Organization name"),
        ("slug", "Subdomain"),
        ("owner_name", "Your name"),
        ("email", "Your email"),
        ("password", "Password"),
        ("terms", "I accept the"),
    ]:
        assert re.search(rf'<label for="id_{field}">\s*{label}', page), field
        assert f'id="id_{field}"' in page
    assert "http://</span>" in page  # the scheme of this platform
    assert "Up to 10,000 donors" in page
    for code in ("starter", "standard", "plus"):
        assert f'id="plan-{code}" value="{code}"' in page
    assert re.search(r'id="plan-standard" value="standard"\s+checked', page)
    assert 'href="/signup/terms/"' in page
    assert "/static/onboarding/signup.js" in page


def test_a_plan_can_be_chosen_from_the_link(public_client: Client) -> None:
    page = public_client.get("/signup/?plan=plus").content.decode()
    assert re.search(r'id="plan-plus" value="plus"\s+checked', page)


def test_a_good_signup_is_kept_pending_and_emails_a_link(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(public_client)

    signup = Signup.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/signup/{signup.public_id}/progress/"
    assert (signup.slug, signup.email, signup.plan_code, signup.owner_name) == (
        "harbor",
        "hana@harbor.org",
        "standard",
        "Hana Ortiz",
    )
    assert signup.state == SignupState.PENDING
    # the password is kept hashed, never as given
    assert PASSWORD not in signup.password_hash
    assert signup.password_hash.startswith("md5$")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hana@harbor.org"]
    link = re.search(r"http://localhost/signup/verify/([\w-]+)/", str(message.body))
    assert link, message.body
    # the token is kept as its hash only
    assert link.group(1) not in signup.token_hash
    signup.refresh_from_db()
    assert len(signup.token_hash) == 64
    assert signup.verification_sent_at is not None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "www"}, "slug", "is reserved"),
        ({"slug": "ab"}, "slug", "at least 3 characters"),
        ({"slug": "-harbor"}, "slug", "lowercase letters, digits and hyphens"),
        ({"slug": "har--bor"}, "slug", "two hyphens in a row"),
        ({"email": "hana-at-harbor"}, "email", "Enter a valid email address"),
        ({"email": "hana@"}, "email", "Enter a valid email address"),
        ({"password": "short"}, "password", "too short"),
        ({"password": "password123"}, "password", "too common"),
        ({"password": "hana@harbor.org1"}, "password", "too similar"),
        ({"plan": "gold"}, "plan", "Choose one of the plans offered"),
        ({"terms": None}, "terms", "accept the terms"),
        ({"name": ""}, "name", "required"),
        ({"owner_name": ""}, "owner_name", "required"),
    ],
)
def test_bad_input_is_refused_by_field_and_creates_nothing(
    public_client: Client,
    overrides: dict[str, str | None],
    field: str,
    message: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(public_client, **overrides)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'role="alert"' in response.content.decode()
    assert not Signup.objects.exists()
    assert mail.outbox == []


def test_a_taken_subdomain_is_refused(public_client: Client, alpha: Tenant) -> None:
    response = _post(public_client, slug="alpha")

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == ["This subdomain is taken."]
    assert not Signup.objects.exists()


@pytest.mark.parametrize("slug", ["information-schema", "public", "pg-catalog", "handmade-x"])
def test_a_subdomain_naming_a_schema_that_is_not_a_tenants_is_refused(
    public_client: Client, slug: str
) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "handmade_x"')  # made by hand, no organization owns it

    response = _post(public_client, slug=slug)

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == [
        f"“{slug}” is reserved; please choose another."
    ]
    assert not Signup.objects.exists()
    assert mail.outbox == []


def test_a_subdomain_waiting_for_someone_elses_verification_is_refused(
    public_client: Client,
) -> None:
    SignupFactory.create(slug="harbor", email="someone@else.org")

    response = _post(public_client)

    assert response.status_code == 400
    assert "confirming their email" in response.context["form"].errors["slug"][0]
    assert Signup.objects.count() == 1


def test_an_expired_signup_no_longer_holds_its_subdomain(public_client: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    old = SignupFactory.create(slug="harbor", email="someone@else.org")
    Signup.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = _post(public_client)

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == SignupState.EXPIRED
    assert old.password_hash == ""
    assert Signup.objects.filter(state=SignupState.PENDING).get().email == "hana@harbor.org"


def test_submitting_the_same_signup_twice_creates_one_and_sends_one_email(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(public_client)
        second = _post(public_client, email="HANA@harbor.org ")

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Signup.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_same_email_and_subdomain_with_another_password_is_refused_clearly(
    public_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _post(public_client)
        response = _post(public_client, password="Another-Secret-77")

    assert response.status_code == 400
    assert "already signed up for this subdomain" in response.context["form"].errors["slug"][0]
    assert Signup.objects.count() == 1
    assert len(mail.outbox) == 1


def test_signups_are_limited_per_client(public_client: Client, settings: Settings) -> None:
    settings.SIGNUPS_PER_HOUR = 2
    for number in range(2):
        assert _post(public_client, slug=f"harbor{number}").status_code == 302

    response = _post(public_client, slug="harbor9")

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert Signup.objects.count() == 2


def test_a_new_forwarded_for_on_each_signup_does_not_escape_the_limit(
    public_client: Client, settings: Settings
) -> None:
    settings.SIGNUPS_PER_HOUR = 2
    statuses = [
        public_client.post(
            "/signup/",
            {**GOOD, "slug": f"harbor{number}"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        ).status_code
        for number in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert Signup.objects.count() == 2


def test_the_terms_page_is_served(public_client: Client, settings: Settings) -> None:
    settings.BILLING_GRACE_DAYS = 10
    response = public_client.get("/signup/terms/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Terms of service" in text
    # the grace period it promises is the one billing applies
    assert "within 10 days of the end of the" in text
    for heading in ("Your data", "Exports", "suspension", "deletion", "Acceptable use", "warranty"):
        assert heading in text


def test_the_signup_is_not_on_tenant_hosts(alpha: Tenant) -> None:
    assert alpha.client().get("/signup/").status_code == 404


def test_a_race_for_one_subdomain_leaves_one_signup(
    public_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared_apps.onboarding import services
    from shared_apps.onboarding.selectors import SlugAvailability

    # Given another person's signup that lands between our checks and our insert
    SignupFactory.create(slug="harbor", email="someone@else.org")
    monkeypatch.setattr(
        services,
        "slug_availability",
        lambda **kwargs: SlugAvailability(slug="harbor", available=True, message=""),
    )

    response = _post(public_client)

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == ["This subdomain is taken."]
    assert Signup.objects.get().email == "someone@else.org"
