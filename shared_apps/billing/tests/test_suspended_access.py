"""What a suspended organization's host still serves: suspended for billing, its login page and
its billing pages (for owners and administrators), so that it can pay; suspended by an
operator, nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone
from pytest_django import Settings

from shared_apps.billing.models import Subscription
from shared_apps.billing.services.suspension import billing_grace_enforce
from shared_apps.billing.tests.fake_stripe import FakeStripe
from shared_apps.console.services import organization_suspend
from shared_apps.console.tests.factories import OperatorFactory
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.services import organization_state_set
from shared_apps.users.roles import Role
from tests.plugin import OWNER_PASSWORD, Tenant

pytestmark = pytest.mark.django_db

REFUSED_PATHS = ["/", "/donations/", "/accounting/", "/admin/", "/api/v1/donors/donors/"]


@pytest.fixture
def billing_suspended(
    on_trial: Subscription, fake_stripe: FakeStripe, settings: Settings
) -> Subscription:
    """Alpha suspended by billing: its trial ended 10 days ago, the grace period is 7 days."""
    settings.BILLING_GRACE_DAYS = 7
    on_trial.trial_ends_at = timezone.now() - timedelta(days=10)
    on_trial.save(update_fields=["trial_ends_at"])
    assert [o.slug for o in billing_grace_enforce(now=timezone.now())] == ["alpha"]
    on_trial.refresh_from_db()
    return on_trial


def test_an_owner_reaches_the_billing_page_and_pays_through_checkout(
    alpha: Tenant, billing_suspended: Subscription, fake_stripe: FakeStripe
) -> None:
    client = alpha.client(alpha.owner)

    page = client.get("/billing/")
    checkout = client.post("/billing/checkout/", {"plan": "standard"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "This account is suspended" in text
    assert "the free trial ended on" in text
    assert "Subscribe to Standard" in text
    assert "Back to the home page" not in text  # it would only lead to the suspended page
    assert checkout.status_code == 302
    assert checkout["Location"].startswith("https://checkout.stripe.com/c/pay/")
    # Stripe's way back lands on the billing page, which is served.
    assert client.get("/billing/?checkout=done").status_code == 200


def test_an_administrator_opens_the_portal(
    alpha: Tenant, billing_suspended: Subscription, fake_stripe: FakeStripe
) -> None:
    Subscription.objects.filter(pk=billing_suspended.pk).update(stripe_customer_id="cus_sus")
    client = alpha.client(alpha.user(Role.ADMIN, email="admin@alpha.org"))

    response = client.post("/billing/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")


def test_the_owner_signs_in_and_lands_on_the_billing_page(
    alpha: Tenant, billing_suspended: Subscription
) -> None:
    client = alpha.client()
    login = client.get("/accounts/login/?next=/billing/")
    assert login.status_code == 200

    response = client.post(
        "/accounts/login/?next=/billing/",
        {"username": alpha.owner.email, "password": OWNER_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/billing/"
    assert client.get("/billing/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in(
    alpha: Tenant, billing_suspended: Subscription
) -> None:
    response = alpha.client().get("/billing/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/billing/"


@pytest.mark.parametrize("role", [Role.BOOKKEEPER, Role.VIEWER])
def test_staff_who_do_not_manage_billing_are_refused_it(
    alpha: Tenant, billing_suspended: Subscription, fake_stripe: FakeStripe, role: str
) -> None:
    client = alpha.client(alpha.user(role, email=f"{role}@alpha.org"))

    assert client.get("/billing/").status_code == 403
    assert client.post("/billing/checkout/", {"plan": "standard"}).status_code == 403
    assert fake_stripe.requests == []


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_every_other_page_is_the_suspended_page_with_the_way_to_pay(
    alpha: Tenant, billing_suspended: Subscription, path: str
) -> None:
    response = alpha.client(alpha.owner).get(path)

    assert response.status_code == 403
    text = response.content.decode()
    assert "This account is suspended" in text
    assert "the free trial ended on" in text
    assert 'href="/billing/"' in text


def test_an_owner_who_forgot_the_password_can_reset_it_to_pay(
    alpha: Tenant, billing_suspended: Subscription, mailoutbox: list[EmailMessage]
) -> None:
    client = alpha.client()
    assert client.get("/accounts/password_reset/").status_code == 200
    response = client.post("/accounts/password_reset/", {"email": alpha.owner.email})
    assert response.status_code == 302
    (message,) = mailoutbox
    found = re.search(r"/accounts/reset/[\w-]+/[\w-]+/", str(message.body))
    assert found is not None
    link = found.group(0)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert b"new_password1" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Harbor-New-2026!", "new_password2": "Harbor-New-2026!"},
    )
    assert done.status_code == 302
    assert alpha.client().login(email=alpha.owner.email, password="Harbor-New-2026!")


@pytest.mark.parametrize("suspension", ["billing", "operator"])
def test_static_files_are_served_whatever_the_suspension(
    alpha: Tenant,
    on_trial: Subscription,
    fake_stripe: FakeStripe,
    settings: Settings,
    suspension: str,
) -> None:
    """The suspended page's own stylesheet; static files hold nothing of a tenant's."""
    settings.WHITENOISE_USE_FINDERS = True
    if suspension == "billing":
        settings.BILLING_GRACE_DAYS = 0
        on_trial.trial_ends_at = timezone.now() - timedelta(days=1)
        on_trial.save(update_fields=["trial_ends_at"])
        assert billing_grace_enforce(now=timezone.now())
    else:
        organization_suspend(
            organization=alpha.organization,
            operator=OperatorFactory.create(),
            reason="Fraud review",
        )

    response = alpha.client().get("/static/css/ifm.css")

    assert response.status_code == 200
    assert response.getvalue().strip()
    assert alpha.client().get("/").status_code == 403


@pytest.mark.parametrize("path", ["/billing/", "/accounts/login/", *REFUSED_PATHS])
def test_an_operators_suspension_is_total(
    alpha: Tenant, on_trial: Subscription, fake_stripe: FakeStripe, path: str
) -> None:
    organization_suspend(
        organization=alpha.organization, operator=OperatorFactory.create(), reason="Fraud review"
    )

    response = alpha.client(alpha.owner).get(path)

    assert response.status_code == 403
    text = response.content.decode()
    assert "Reason: Fraud review." in text
    assert 'href="/billing/"' not in text
    assert "contact IFM support" in text


def test_an_operator_resuspending_after_billing_closes_the_billing_page_too(
    alpha: Tenant, billing_suspended: Subscription
) -> None:
    organization_state_set(
        organization=Organization.objects.get(slug="alpha"),
        state=OrganizationState.SUSPENDED,
        reason="Fraud review",
    )

    response = alpha.client(alpha.owner).get("/billing/")

    assert response.status_code == 403
    assert b"Fraud review" in response.content


def test_beta_is_served_as_usual(
    alpha: Tenant, beta: Tenant, billing_suspended: Subscription
) -> None:
    assert beta.client(beta.owner).get("/").status_code == 200
    assert alpha.client(alpha.owner).get("/").status_code == 403
