"""Telling the person a tribute names of the gift: a gift made in honor or in memory of someone,
with a person to tell (notify_name, notify_email), brings that person one email, as a tribute
card does: who gave (or that they asked to stay anonymous) and in whose honor or memory, never
the amount. Queued after the gift is posted (services.gifts), sent by a task on the email queue.
"""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import Gift, GiftSource, GiftState, RecurringGift, TributeType
from tenant_apps.donations.services.receipt_settings import organization_name

logger = logging.getLogger(__name__)

ANONYMOUS_GIVER = "someone who asked to stay anonymous"


def tribute_notice_wanted(gift: Gift) -> bool:
    """Whether posting `gift` tells someone of it: a tribute with an email to tell. Gifts
    brought in by an import are history, made long ago: no one is told of them now."""
    return (
        gift.tribute_type != TributeType.NONE
        and bool(gift.notify_email)
        and gift.source != GiftSource.IMPORT
    )


def person_to_tell_refusal(*, notify_name: str, notify_email: str) -> str:
    """Why staff cannot give this person to tell ("" when they can): they are told by email,
    so a name alone would be kept and no one told. An online gift is recorded with whatever
    its page sent (the page refuses a name alone before Checkout)."""
    if notify_name.strip() and not notify_email.strip():
        return "Give their email, or clear their name too to tell no one."
    return ""


def _one_line(text: str) -> str:
    # A name typed with a line break would break the email's headers.
    return " ".join(text.split())


def tribute_notice_message(gift: Gift, *, organization: str) -> EmailMultiAlternatives:
    """The email to the person the gift's tribute names, plain text and HTML, from the
    organization (its name, at the platform's sending address)."""
    context = {
        "gift": gift,
        "organization": organization,
        "tribute_words": gift.get_tribute_type_display().lower(),
        "giver": ANONYMOUS_GIVER if gift.anonymous else gift.donor.display_name,
    }
    _, sending_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=_one_line(render_to_string("donations/tribute_email_subject.txt", context)),
        body=render_to_string("donations/tribute_email.txt", context),
        from_email=formataddr((_one_line(organization), sending_address)),
        to=[formataddr((_one_line(gift.notify_name), gift.notify_email))],
    )
    html = render_to_string("donations/tribute_email.html", context)
    message.attach_alternative(html, "text/html")
    return message


def _why_not_sent(gift: Gift) -> str:
    """Why the gift's notice is not (or no longer) to be sent; "" when it is."""
    if gift.notify_sent_at is not None:
        return "already sent"
    if gift.state != GiftState.POSTED:
        return f"the gift is {gift.get_state_display().lower()}"
    if not tribute_notice_wanted(gift):
        return "the gift names no one to tell"
    if gift.recurring_gift_id is not None:
        # Each month's installment carries the tribute; the person is told once, of the first.
        RecurringGift.objects.select_for_update(no_key=True).filter(
            pk=gift.recurring_gift_id
        ).first()
        told = Gift.objects.filter(
            recurring_gift_id=gift.recurring_gift_id,
            notify_email=gift.notify_email,
            notify_sent_at__isnull=False,
        )
        if told.exists():
            return "told already of an earlier installment of the same recurring gift"
    return ""


def gift_tribute_notice_send(*, gift_id: int) -> bool:
    """Email the person the gift's tribute names, once; True when it was sent now. Not sent
    when it was sent before (a task run again), or the gift was refunded or voided since it
    was posted. The gift's row stays locked while the message goes, so a second run waits and
    then finds it sent, and a refund waits for the notice; a mail server that cannot be
    reached rolls the mark back and raises OSError, for the task to retry."""
    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(no_key=True, of=("self",))
            .select_related("donor")
            .filter(pk=gift_id)
            .first()
        )
        if gift is None:
            logger.warning("gift %s to tell of does not exist", gift_id)
            return False
        reason = _why_not_sent(gift)
        if reason:
            logger.info("gift %s's tribute notice not sent: %s", gift_id, reason)
            return False
        sent_at = timezone.now()
        Gift.objects.filter(pk=gift.pk).update(notify_sent_at=sent_at)
        audit_record("gift.tribute_notice", acting_user=None, obj=gift, to=gift.notify_email)
        tribute_notice_message(gift, organization=organization_name()).send()
    return True
