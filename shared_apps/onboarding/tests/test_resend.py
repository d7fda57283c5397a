"""Sending the verification email again from the "check your email" page: a new link that
replaces the old one, clear refusals for confirmed and expired signups, a limit per client and
per signup, and nothing about any other signup."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from shared_apps.onboarding.models import Signup, SignupState
from shared_apps.onboarding.services import signup_verification_send
from shared_apps.onboarding.tests.factories import SignupFactory

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db


def _url(signup: Signup) -> str:
    return f"/signup/{signup.public_id}/resend/"


def _token_in(message: mail.EmailMessage) -> str:
    found = re.search(r"/signup/verify/([\w-]+)/", str(message.body))
    assert found is not None
    return found.group(1)


@pytest.fixture
def emailed(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> tuple[Signup, str]:
    """A pending signup whose first email went out five minutes ago, and that email's token."""
    signup = SignupFactory.create(slug="harbor", email="hana@harbor.org")
    with django_capture_on_commit_callbacks(execute=True):
        signup_verification_send(signup_id=signup.pk)
    Signup.objects.filter(pk=signup.pk).update(
        verification_sent_at=timezone.now() - timedelta(minutes=5)
    )
    signup.refresh_from_db()
    return signup, _token_in(mail.outbox[-1])


def _resend(
    client: Client,
    signup: Signup,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> TestResponse:
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(_url(signup), follow=True)


def test_the_check_your_email_page_offers_to_send_it_again(
    public_client: Client, emailed: tuple[Signup, str]
) -> None:
    signup, _token = emailed

    page = public_client.get(f"/signup/{signup.public_id}/progress/").content.decode()

    assert f'action="/signup/{signup.public_id}/resend/"' in page
    assert 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Send the email again" in page


def test_a_new_link_is_sent_and_the_old_one_stops_working(
    public_client: Client,
    emailed: tuple[Signup, str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    signup, old_token = emailed
    old_expiry = signup.expires_at

    response = _resend(public_client, signup, django_capture_on_commit_callbacks)

    assert response.redirect_chain == [(f"/signup/{signup.public_id}/progress/", 302)]
    assert "We have sent a new link to hana@harbor.org" in response.content.decode()
    assert len(mail.outbox) == 2
    assert mail.outbox[-1].to == ["hana@harbor.org"]
    new_token = _token_in(mail.outbox[-1])
    assert new_token != old_token
    assert public_client.get(f"/signup/verify/{old_token}/").status_code == 404
    assert public_client.get(f"/signup/verify/{new_token}/").status_code == 200
    signup.refresh_from_db()
    # The new link works for the full time from now.
    assert signup.expires_at > old_expiry
    assert signup.state == SignupState.PENDING


def test_a_confirmed_signup_is_told_so_and_nothing_is_sent(
    public_client: Client,
    emailed: tuple[Signup, str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    signup, token = emailed
    Signup.objects.filter(pk=signup.pk).update(state=SignupState.VERIFIED)

    response = _resend(public_client, signup, django_capture_on_commit_callbacks)

    assert "already confirmed" in response.content.decode()
    assert len(mail.outbox) == 1
    signup.refresh_from_db()
    assert signup.token_hash != ""  # the link used stays what it was


@pytest.mark.parametrize("state", [SignupState.PENDING, SignupState.EXPIRED])
def test_an_expired_signup_is_told_to_sign_up_again(
    public_client: Client,
    emailed: tuple[Signup, str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    state: str,
) -> None:
    signup, _token = emailed
    Signup.objects.filter(pk=signup.pk).update(
        state=state, expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = _resend(public_client, signup, django_capture_on_commit_callbacks)

    assert "This signup has expired, so no new link can be sent" in response.content.decode()
    assert len(mail.outbox) == 1
    # and the page offers no button for it any more
    assert "Send the email again" not in response.content.decode()


def test_a_second_request_within_a_minute_is_refused(
    public_client: Client,
    emailed: tuple[Signup, str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    signup, _token = emailed
    _resend(public_client, signup, django_capture_on_commit_callbacks)

    response = _resend(public_client, signup, django_capture_on_commit_callbacks)

    assert "less than a minute ago" in response.content.decode()
    assert len(mail.outbox) == 2


def test_requests_are_limited_per_client(
    public_client: Client,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.SIGNUP_RESENDS_PER_HOUR = 2
    signups = [SignupFactory.create() for _ in range(3)]
    for signup in signups[:2]:
        assert _resend(public_client, signup, django_capture_on_commit_callbacks).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = public_client.post(_url(signups[2]))

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert b"Too many emails" in response.content
    assert len(mail.outbox) == 2
    signups[2].refresh_from_db()
    assert signups[2].verification_sent_at is None


def test_an_unknown_address_is_a_404_and_other_signups_are_untouched(
    public_client: Client,
    emailed: tuple[Signup, str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    signup, token = emailed
    other = SignupFactory.create(slug="other", email="olga@other.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = public_client.post(f"/signup/{uuid.uuid4()}/resend/")
    mine = _resend(public_client, signup, django_capture_on_commit_callbacks)

    assert response.status_code == 404
    assert b"olga@other.org" not in mine.content
    assert b"hana@harbor.org" in mine.content
    assert [message.to for message in mail.outbox] == [["hana@harbor.org"]] * 2
    other.refresh_from_db()
    assert other.verification_sent_at is None


def test_only_a_post_sends(public_client: Client, emailed: tuple[Signup, str]) -> None:
    signup, _token = emailed

    assert public_client.get(_url(signup)).status_code == 405
    assert len(mail.outbox) == 1


def test_the_form_needs_its_csrf_token(emailed: tuple[Signup, str]) -> None:
    signup, _token = emailed
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)

    assert client.post(_url(signup)).status_code == 403
    assert len(mail.outbox) == 1


def test_expired_signups_are_expired_every_hour(settings: Settings) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["onboarding-signups-expire"]
    assert schedule["task"] == "shared_apps.onboarding.tasks.signups_expire"
    assert schedule["schedule"].hour == set(range(24))  # every hour, once
    assert len(schedule["schedule"].minute) == 1
    from shared_apps.onboarding.tasks import signups_expire

    old = SignupFactory.create(expires_at=timezone.now() - timedelta(minutes=1))
    assert signups_expire.delay().get() == 1
    old.refresh_from_db()
    assert (old.state, old.password_hash) == (SignupState.EXPIRED, "")
