"""Tribute notices: a gift made in honor or in memory of someone, with a person to tell, brings
that person one email after the gift is posted (online through the Connect webhook, or entered
by staff), in the organization's name: who gave, or that they asked to stay anonymous, and in
whose honor or memory, never the amount. Once only, whatever is replayed; never for a gift
refunded or voided before it goes; not for imported history; once for a monthly gift."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from typing import Any, cast

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, GiftSource, GiftState, TributeType
from tenant_apps.donations.services.gifts import gift_post, gift_refund, gift_update, gift_void
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.tributes import gift_tribute_notice_send
from tenant_apps.donations.tasks import tribute_notice_email_send
from tenant_apps.donations.tests.factories import GiftFactory, RecurringGiftFactory, today
from tenant_apps.donations.tests.test_campaign_giving_pages import (  # noqa: F401 - fixtures
    PAGE,
    campaign,
)
from tenant_apps.donations.tests.test_gifts_pages import NEW, _gift_form
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    Deliver,
    completed,
    connected,
    deliver,
    paid_on_checkout,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

TO = "charles@example.org"
IN_MEMORY: dict[str, Any] = {
    "tribute_type": "memory",
    "tribute_name": "Mary Somerville",
    "tribute_notify_name": "Charles Babbage",
    "tribute_notify_email": TO,
}


def notices() -> list[EmailMultiAlternatives]:
    """The emails sent to the person to tell (receipts go to donors): each with its HTML."""
    sent = [
        message
        for message in mail.outbox
        if any(parseaddr(address)[1] == TO for address in message.to)
    ]
    assert all(isinstance(message, EmailMultiAlternatives) for message in sent)
    return cast(list[EmailMultiAlternatives], sent)


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return str(html)


# --- Online gifts --------------------------------------------------------------------------------


def test_an_online_gift_in_memory_tells_the_person_named_once_without_the_amount(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811
    deliver: Deliver,  # noqa: F811
) -> None:
    session = paid_on_checkout(alpha, connected, amount="50", **IN_MEMORY)

    assert deliver(completed(session)).status_code == 200

    [notice] = notices()
    assert notice.subject == "A gift to Alpha Relief Fund in memory of Mary Somerville"
    assert parseaddr(notice.from_email)[0] == "Alpha Relief Fund"
    assert notice.to == ["Charles Babbage <charles@example.org>"]
    assert notice.body.startswith("Dear Charles Babbage,")
    for text in (notice.body, html_of(notice)):
        assert "in memory of Mary Somerville" in text.replace("<strong>", "").replace(
            "</strong>", ""
        )
        assert "Ada Lovelace has made a gift to Alpha Relief Fund" in text
        # Never the amount (the gift of $50 was $51.80 with the fee).
        assert "$" not in text and "50" not in text and "51.80" not in text
    with schema_context("alpha"):
        gift = Gift.objects.get()
        assert gift.notify_sent_at is not None
        audit = AuditEvent.objects.get(action="gift.tribute_notice")
        assert (audit.object_id, audit.detail["to"]) == (str(gift.pk), TO)
        staff_page = alpha.client(alpha.owner).get(f"/gifts/{gift.pk}/").content.decode()
        assert "told by email on" in staff_page

    # The event delivered again, and the task run again: nothing more is sent.
    assert deliver(completed(session)).status_code == 200
    with schema_context("alpha"):
        assert gift_tribute_notice_send(gift_id=gift.pk) is False
    assert len(notices()) == 1


def test_an_anonymous_gift_is_told_without_the_donors_name_and_the_receipt_still_names_them(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811
    deliver: Deliver,  # noqa: F811
) -> None:
    with schema_context("alpha"):
        receipt_settings_update(legal_name="Alpha Relief Fund", ein="12-3456789", acting_user=None)
    session = paid_on_checkout(alpha, connected, anonymous="on", **IN_MEMORY)

    deliver(completed(session))

    [notice] = notices()
    for text in (notice.body, html_of(notice)):
        assert "Someone who asked to stay anonymous has made a gift to Alpha Relief Fund" in text
        assert "Ada" not in text and "Lovelace" not in text
    [receipt] = [message for message in mail.outbox if message.to == ["ada@example.org"]]
    assert receipt.body.startswith("Dear Ada Lovelace,")


def test_a_gift_without_a_person_to_tell_sends_no_notice(
    alpha: Tenant,
    connected: FakeStripe,  # noqa: F811
    deliver: Deliver,  # noqa: F811
) -> None:
    session = paid_on_checkout(
        alpha, connected, tribute_type="honor", tribute_name="Mary Somerville"
    )

    deliver(completed(session))

    with schema_context("alpha"):
        gift = Gift.objects.get()
        assert (gift.tribute_type, gift.notify_email) == (TributeType.HONOR, "")
        assert gift.notify_sent_at is None
    assert all("Mary Somerville" not in message.subject for message in mail.outbox)


# --- Gifts entered by staff ---------------------------------------------------------------------


def _tribute_gift(donor: Donor, **fields: Any) -> Gift:
    tribute = {
        "tribute_type": TributeType.HONOR,
        "tribute_name": "Mary Somerville",
        "notify_name": "Charles Babbage",
        "notify_email": TO,
    }
    return GiftFactory.create(donor=donor, amount="300.00", **{**tribute, **fields})


def _tribute_gift_form(donor: Donor, *, notify_email: str) -> dict[str, Any]:
    """The gift form filled in for a gift in honor of Mary Somerville, telling Charles Babbage
    at `notify_email`."""
    return _gift_form(
        donor,
        tribute_type="honor",
        tribute_name="Mary Somerville",
        notify_name="Charles Babbage",
        notify_email=notify_email,
    )


def test_a_gift_entered_by_staff_tells_the_person_when_it_is_posted(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    ada = donor_made("Ada", "Lovelace")
    with django_capture_on_commit_callbacks(execute=True):
        response = fundraiser.post(NEW, _tribute_gift_form(ada, notify_email="Charles@Example.org"))
    assert response.status_code == 302, response.content.decode()[:2000]
    gift = Gift.objects.get()
    assert (gift.notify_name, gift.notify_email) == ("Charles Babbage", TO)
    assert notices() == []  # a draft tells no one
    draft_page = fundraiser.get(f"/gifts/{gift.pk}/").content.decode()
    assert "to be told by email when the gift is posted" in draft_page

    with django_capture_on_commit_callbacks(execute=True):
        bookkeeper = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
        assert bookkeeper.post(f"/gifts/{gift.pk}/post/").status_code == 302

    [notice] = notices()
    assert notice.subject == "A gift to Alpha Relief Fund in honor of Mary Somerville"
    assert "Ada Lovelace has made a gift" in notice.body and "300" not in notice.body


def test_gifts_posted_together_each_tell_their_person(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ada = donor_made("Ada", "Lovelace")
    first, second = _tribute_gift(ada), _tribute_gift(ada, tribute_type=TributeType.MEMORY)
    plain = GiftFactory.create(donor=ada)
    bookkeeper = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    with django_capture_on_commit_callbacks(execute=True):
        response = bookkeeper.post(
            "/gifts/post/", {"gift": [first.pk, second.pk, plain.pk], "next": "/gifts/"}
        )

    assert response.status_code == 302
    assert sorted(message.subject for message in notices()) == [
        "A gift to Alpha Relief Fund in honor of Mary Somerville",
        "A gift to Alpha Relief Fund in memory of Mary Somerville",
    ]


def test_imported_history_tells_no_one(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    gift = _tribute_gift(donor_made("Ada", "Lovelace"), source=GiftSource.IMPORT)

    with django_capture_on_commit_callbacks(execute=True):
        gift_post(gift=gift, acting_user=None)

    assert notices() == []
    assert gift_tribute_notice_send(gift_id=gift.pk) is False


@pytest.mark.parametrize("undo", ["void", "refund"])
def test_a_gift_refunded_or_voided_before_the_notice_goes_tells_no_one(
    in_alpha: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    undo: str,
) -> None:
    gift = _tribute_gift(donor_made("Ada", "Lovelace"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        gift_post(gift=gift, acting_user=None)
    assert len(queued) == 1  # the notice (no receipt: alpha has no EIN here)

    if undo == "void":
        gift_void(gift=gift, reason="Entered twice", acting_user=None)
    else:
        gift_refund(gift=gift, acting_user=None)
    for callback in queued:
        callback()

    assert notices() == []
    gift.refresh_from_db()
    assert gift.state in (GiftState.VOIDED, GiftState.REFUNDED)
    assert gift.notify_sent_at is None


def test_a_mail_server_that_cannot_be_reached_leaves_the_notice_to_send_again(
    in_alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    gift = _tribute_gift(donor_made("Ada", "Lovelace"), posted=True)
    real_send = EmailMultiAlternatives.send

    def unreachable(self: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", unreachable)
    with pytest.raises(OSError, match="mail server down"):
        gift_tribute_notice_send(gift_id=gift.pk)
    gift.refresh_from_db()
    assert gift.notify_sent_at is None
    assert not AuditEvent.objects.filter(action="gift.tribute_notice").exists()

    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    assert gift_tribute_notice_send(gift_id=gift.pk) is True
    assert len(notices()) == 1


def test_a_monthly_gift_tells_the_person_of_its_first_installment_only(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create(donor=donor_made("Ada", "Lovelace"))
    first = _tribute_gift(recurring.donor, recurring_gift=recurring, posted=True)
    second = _tribute_gift(
        recurring.donor,
        recurring_gift=recurring,
        received_on=today() - timedelta(days=31),
        posted=True,
    )

    assert gift_tribute_notice_send(gift_id=first.pk) is True
    assert gift_tribute_notice_send(gift_id=second.pk) is False

    assert len(notices()) == 1


def test_an_email_added_or_corrected_after_posting_is_told_once(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    gift = _tribute_gift(donor_made("Ada", "Lovelace"), notify_email="", posted=True)
    with django_capture_on_commit_callbacks(execute=True):
        gift_post_sent = gift_tribute_notice_send(gift_id=gift.pk)
    assert gift_post_sent is False  # no one to tell yet

    # The bookkeeper adds the address the donor forgot: the person is told now.
    with django_capture_on_commit_callbacks(execute=True):
        gift_update(gift=gift, acting_user=None, notify_email=TO)
    [notice] = notices()
    gift.refresh_from_db()
    assert gift.notify_sent_at is not None

    # Editing something else tells no one again.
    with django_capture_on_commit_callbacks(execute=True):
        gift_update(gift=gift, acting_user=None, designation="Library fund")
    assert len(notices()) == 1

    # A mistyped address corrected: told at the new one, once.
    corrected = "c.babbage@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        gift_update(gift=gift, acting_user=None, notify_email=corrected)
        gift_update(gift=gift, acting_user=None, notify_name="Charles Babbage")
    told = [m for m in mail.outbox if any(corrected in address for address in m.to)]
    assert len(told) == 1 and len(notices()) == 1


def test_a_gift_entered_with_a_person_to_tell_but_no_email_is_refused_and_not_recorded(
    in_alpha: Tenant,
) -> None:
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    ada = donor_made("Ada", "Lovelace")

    response = fundraiser.post(NEW, _tribute_gift_form(ada, notify_email=""))

    assert response.status_code == 400
    assert "Give their email, or clear their name too to tell no one." in response.content.decode()
    assert not Gift.objects.exists()


def test_an_email_changed_on_a_draft_or_a_refunded_gift_tells_no_one_yet(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    draft = _tribute_gift(donor_made("Ada", "Lovelace"), notify_email="")
    refunded = _tribute_gift(donor_made("Mary", "Somerville"), notify_email="", posted=True)
    gift_refund(gift=refunded, acting_user=None, memo="Given by mistake")
    with django_capture_on_commit_callbacks(execute=True):
        gift_update(gift=draft, acting_user=None, notify_email=TO)
        gift_update(gift=Gift.objects.get(pk=refunded.pk), acting_user=None, notify_email=TO)
    assert notices() == []  # the draft's person is told when it is posted


def test_staff_give_a_posted_gift_its_person_to_tell_from_the_gift_page(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    gift = _tribute_gift(donor_made("Ada", "Lovelace"), notify_email="", posted=True)
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    url = f"/gifts/{gift.pk}/notify/"
    assert 'action="' + url + '"' in fundraiser.get(f"/gifts/{gift.pk}/").content.decode()

    refused = fundraiser.post(url, {"notify_name": "Charles", "notify_email": "not an email"})
    assert refused.status_code == 400
    assert "Enter a valid email address." in refused.content.decode()
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER))
    assert viewer.post(url, {"notify_email": TO}).status_code == 403
    gift.refresh_from_db()
    assert gift.notify_email == "" and notices() == []

    with django_capture_on_commit_callbacks(execute=True):
        saved = fundraiser.post(url, {"notify_name": "Charles Babbage", "notify_email": TO})
    assert saved.status_code == 302
    page = fundraiser.get(f"/gifts/{gift.pk}/").content.decode()
    assert f"Saved: {TO} will be told of the gift by email." in page
    assert f"{TO} was told on" in page
    [notice] = notices()
    assert "Ada Lovelace has made a gift" in notice.body
    assert AuditEvent.objects.filter(action="gift.update", object_id=str(gift.pk)).exists()


def test_staff_take_the_person_to_tell_off_a_posted_gift_from_the_gift_page(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """Given a posted gift whose person to tell is not told yet, a name without an email is
    refused with nothing changed; "Tell no one" (both blank) takes the person off, and no
    notice goes, even from a task queued before; a person told already keeps when."""
    gift = _tribute_gift(donor_made("Ada", "Lovelace"), notify_email="", posted=True)
    Gift.objects.filter(pk=gift.pk).update(notify_name="Charles Babbage", notify_email=TO)
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    url = f"/gifts/{gift.pk}/notify/"
    assert "Tell no one" in fundraiser.get(f"/gifts/{gift.pk}/").content.decode()

    refused = fundraiser.post(url, {"notify_name": "Charles Babbage", "notify_email": ""})
    assert refused.status_code == 400
    assert "Give their email, or clear their name too to tell no one." in refused.content.decode()
    gift.refresh_from_db()
    assert (gift.notify_name, gift.notify_email) == ("Charles Babbage", TO)

    removed = fundraiser.post(url, {"notify_name": "", "notify_email": ""}, follow=True)
    page = removed.content.decode()
    assert "Saved: no one will be told of the gift." in page
    assert "Tell no one" not in page
    gift.refresh_from_db()
    assert (gift.notify_name, gift.notify_email, gift.notify_sent_at) == ("", "", None)
    assert AuditEvent.objects.filter(action="gift.update", object_id=str(gift.pk)).exists()
    tribute_notice_email_send(gift.pk)  # a notice queued before the person was taken off
    assert notices() == []

    told = _tribute_gift(donor_made("Mary", "Somerville"), notify_email=TO, posted=True)
    Gift.objects.filter(pk=told.pk).update(notify_sent_at=timezone.now())
    fundraiser.post(f"/gifts/{told.pk}/notify/", {"notify_name": "", "notify_email": ""})
    told.refresh_from_db()
    assert told.notify_email == "" and told.notify_sent_at is not None


def test_a_draft_or_a_gift_without_a_tribute_is_not_told_from_the_page(
    in_alpha: Tenant,
) -> None:
    draft = _tribute_gift(donor_made("Ada", "Lovelace"), notify_email="")
    plain = GiftFactory.create(donor=donor_made("Mary", "Somerville"), posted=True)
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    for gift in (draft, plain):
        assert 'id="notify-heading"' not in fundraiser.get(f"/gifts/{gift.pk}/").content.decode()
        answer = fundraiser.post(f"/gifts/{gift.pk}/notify/", {"notify_email": TO}, follow=True)
        assert (
            "Only a posted gift in honor or memory of someone tells anyone."
            in answer.content.decode()
        )
        gift.refresh_from_db()
        assert gift.notify_email == ""
    assert notices() == []


def test_the_task_goes_to_the_email_queue_and_sends_once(
    in_alpha: Tenant,
) -> None:
    gift = _tribute_gift(donor_made("Ada", "Lovelace"), posted=True)

    assert tribute_notice_email_send.apply(args=(gift.pk,)).get() is True
    assert tribute_notice_email_send.apply(args=(gift.pk,)).get() is False
    assert len(notices()) == 1


def test_names_are_escaped_in_the_html_and_kept_as_typed_in_the_text(in_alpha: Tenant) -> None:
    gift = _tribute_gift(
        donor_made("Ada", "O'Brien <b>"), tribute_name="Mary & <i>Co</i>", posted=True
    )

    assert gift_tribute_notice_send(gift_id=gift.pk) is True

    [notice] = notices()
    assert "Ada O'Brien <b> has made a gift" in notice.body
    assert "in honor of Mary & <i>Co</i>," in notice.body
    html = html_of(notice)
    assert "<i>" not in html and "O'Brien <b>" not in html
    assert "Mary &amp; &lt;i&gt;Co&lt;/i&gt;" in html
