"""Receipts that follow IRS Publication 1771: issuing a receipt for a gift or a donor's
year-end statement, correcting one (a new version), and emailing it. The organization's part
is in services.receipt_settings.

What a receipt says (see services.receipt_content):
- the organization's legal name and EIN, and the donor's name;
- for money (cash, check, card, ACH, stock) the date and amount; for an in-kind gift the date
  and a description of the property, never a value (valuing it is the donor's part);
- either "No goods or services were provided in exchange for this contribution", or a
  description and good-faith estimate of the value of what was provided; for a payment over
  $75 with goods or services in return, the quid-pro-quo disclosure: the deductible amount is
  limited to the excess of the contribution over that value, and the excess is stated.

Every receipt is a numbered PDF in the tenant's storage. The number is taken from
ReceiptSettings.next_number under a row lock in the issuing transaction, so numbers have no
gaps. A receipt row never changes after issue (a database trigger refuses it) except for the
record of emailing it; a correction is a new version with the same number.
"""

from __future__ import annotations

import logging
import textwrap
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import tenant_context

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import EARLIEST_DATE
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_logo_content
from tenant_apps.core.services import actor_of, audit_event, audit_events_record, audit_record
from tenant_apps.donations.models import (
    Gift,
    GiftRefund,
    GiftState,
    Receipt,
    ReceiptKind,
    ReceiptSettings,
    RecurringGift,
)
from tenant_apps.donations.receipt_pdf import receipt_pdf_render
from tenant_apps.donations.services.online_portal import (
    manage_link,
    manageable_monthly_gift,
    manageable_monthly_gifts,
)
from tenant_apps.donations.services.receipt_content import (
    ACKNOWLEDGMENT_THRESHOLD,
    QUID_PRO_QUO_THRESHOLD,
    StatedReceipt,
    day_text,
    donor_addresses,
    gift_content,
    void_gift_content,
    year_end_content,
)
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings,
    receipt_settings_lacking,
    receipt_settings_locked,
    receipt_settings_missing,
)
from tenant_apps.donations.tasks import receipt_email as receipt_email_task
from tenant_apps.donations.tasks import receipt_emails as receipt_emails_task
from tenant_apps.donors.models import Donor, DonorEmail

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)


def gift_needs_receipt(*, gift: Gift, settings_row: ReceiptSettings) -> bool:
    """Whether a posted gift gets a receipt on its own: all do when the organization receipts
    every gift; otherwise those Publication 1771 requires (a contribution of $250 or more, or a
    payment over $75 with goods or services in return)."""
    if settings_row.receipt_every_gift:
        return True
    return gift.amount >= ACKNOWLEDGMENT_THRESHOLD or (
        gift.goods_services_value > 0 and gift.amount > QUID_PRO_QUO_THRESHOLD
    )


def _year_end_gifts(*, donor: Donor, year: int) -> list[Gift]:
    """The donor's gifts of `year` still in the books, each with `refunded`: what was given
    back of it in part (a gift refunded whole is no longer posted)."""
    refunded = (
        GiftRefund.objects.filter(gift=OuterRef("pk"))
        .values("gift")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return list(
        Gift.objects.filter(donor=donor, state=GiftState.POSTED, received_on__year=year)
        .annotate(refunded=Coalesce(Subquery(refunded), Value(Decimal("0.00"))))
        .order_by("received_on", "id")
    )


def _refunded_in_part(gift: Gift) -> Decimal:
    """What was refunded of a gift still posted (a gift refunded whole is out of the books)."""
    total: Decimal | None = gift.refunds.aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def _pdf_path(*, number: int, version: int) -> str:
    return f"receipts/{timezone.localdate().year}/{number:06d}-v{version}.pdf"


def _pdf_store(path: str, data: bytes) -> str:
    """Store the PDF under its final name. A file already there was left by an issue whose
    transaction rolled back after storing it (that number was never committed, so it is taken
    again): it is replaced. A committed receipt's file is never touched."""
    if default_storage.exists(path):
        if Receipt.objects.filter(pdf=path).exists():
            raise RuntimeError(f"{path} belongs to an issued receipt; refusing to replace it.")
        default_storage.delete(path)
    name = default_storage.save(path, ContentFile(data))
    if name != path:
        raise RuntimeError(f"The receipt was stored as {name}, not {path}.")
    return name


def _issue(
    *,
    stated: StatedReceipt,
    acting_user: User | None,
    number: int,
    version: int,
    fields: dict[str, Any],
) -> Receipt:
    """Draw the PDF, store it and write the row (inside the caller's transaction). If the row
    is not written the file is removed; a file left by a rollback after this point is replaced
    when its number is taken again (see _pdf_store)."""
    path = _pdf_path(number=number, version=version)
    stored = _pdf_store(path, receipt_pdf_render(stated.content, logo=organization_logo_content()))
    try:
        receipt = _receipt_row(
            stated, number=number, version=version, pdf=stored, acting_user=acting_user, **fields
        )
        receipt.save(force_insert=True)
        audit_record(
            "receipt.issue" if version == 1 else "receipt.reissue",
            acting_user=acting_user,
            obj=receipt,
            number=number,
            version=version,
        )
    except BaseException:
        default_storage.delete(stored)
        raise
    enqueue_on_commit(receipt_email_task, receipt.pk)
    return receipt


def _receipt_row(
    stated: StatedReceipt,
    *,
    number: int,
    version: int,
    pdf: str,
    acting_user: User | None,
    **fields: Any,
) -> Receipt:
    """The unsaved row of a receipt saying `stated`, its PDF stored as `pdf`."""
    return Receipt(
        number=number,
        version=version,
        amount=stated.amount,
        is_void=stated.is_void,
        content=stated.content,
        pdf=pdf,
        issued_at=timezone.now(),
        issued_by=actor_of(acting_user),
        **fields,
    )


def _number_take(settings_row: ReceiptSettings) -> int:
    number = settings_row.next_number
    settings_row.next_number = number + 1
    settings_row.save(update_fields=["next_number", "updated_at"])
    return number


def receipt_issue(*, gift: Gift, acting_user: User | None) -> Receipt:
    """Issue the receipt of a posted gift (one per gift; correct it with receipt_reissue)."""
    with transaction.atomic():
        settings_row = receipt_settings_locked()
        gift = Gift.objects.select_related("donor", "refund_entry").get(pk=gift.pk)
        if gift.state != GiftState.POSTED:
            raise StateConflict(f"Gift {gift.pk} is {gift.state}; only a posted gift is receipted.")
        existing = Receipt.objects.filter(gift=gift, version=1).first()
        if existing is not None:
            raise StateConflict(
                f"Gift {gift.pk} already has receipt {existing.number:06d}; reissue it to "
                "correct it."
            )
        number = _number_take(settings_row)
        stated = gift_content(
            gift,
            settings_row=settings_row,
            number=number,
            version=1,
            refunded=_refunded_in_part(gift),
        )
        receipt = _issue(
            stated=stated,
            acting_user=acting_user,
            number=number,
            version=1,
            fields={"kind": ReceiptKind.GIFT, "gift": gift, "donor": gift.donor},
        )
        _refunded_meanwhile_corrected([gift.pk])
        return receipt


def receipt_year_end_issue(*, donor: Donor, year: int, acting_user: User | None) -> Receipt:
    """Issue a donor's giving statement for a calendar year: every posted gift of the year."""
    if not isinstance(year, int) or not EARLIEST_DATE.year <= year <= (timezone.localdate().year):
        raise ServiceError(
            "A statement is for a past or the current calendar year.",
            fields={"year": ["Not a year that can have gifts."]},
        )
    with transaction.atomic():
        settings_row = receipt_settings_locked()
        existing = Receipt.objects.filter(
            kind=ReceiptKind.YEAR_END, donor=donor, year=year, version=1
        ).first()
        if existing is not None:
            raise StateConflict(
                f"Donor {donor.pk} already has the {year} statement {existing.number:06d}; "
                "reissue it to correct it."
            )
        gifts = _year_end_gifts(donor=donor, year=year)
        if not gifts:
            raise ServiceError(
                f"{donor.display_name} has no posted gifts in {year}.",
                fields={"year": ["No posted gifts that year."]},
            )
        number = _number_take(settings_row)
        stated = year_end_content(
            donor=donor,
            year=year,
            gifts=gifts,
            settings_row=settings_row,
            number=number,
            version=1,
        )
        return _issue(
            stated=stated,
            acting_user=acting_user,
            number=number,
            version=1,
            fields={"kind": ReceiptKind.YEAR_END, "donor": donor, "year": year},
        )


def receipt_reissue(*, receipt: Receipt, reason: str, acting_user: User | None) -> Receipt:
    """A corrected receipt: the next version of the same number, saying what the gift (or the
    year's gifts) is now and naming the version it replaces, which is void from then on. The
    correction of a refunded gift's receipt voids it and acknowledges nothing."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ServiceError(
            "Say why the receipt is corrected (at most 500 characters).",
            fields={"reason": ["Required, at most 500 characters."]},
        )
    with transaction.atomic():
        settings_row = receipt_settings_locked()
        receipt = Receipt.objects.select_related("donor").get(pk=receipt.pk)
        newer = Receipt.objects.filter(supersedes=receipt).first()
        if newer is not None:
            raise StateConflict(
                f"Receipt {receipt.number:06d} version {receipt.version} was already replaced "
                f"by version {newer.version}; correct that one."
            )
        version = receipt.version + 1
        if receipt.kind == ReceiptKind.GIFT:
            # receipt_kind_fields: a gift receipt always has its gift.
            gift = Gift.objects.select_related("donor", "refund_entry", "void_entry").get(
                pk=receipt.gift_id  # type: ignore[misc]
            )
            if gift.state in GIFT_STATES_OUT_OF_THE_BOOKS:
                stated = void_gift_content(
                    gift, replaced=receipt, settings_row=settings_row, version=version
                )
            else:
                stated = gift_content(
                    gift,
                    settings_row=settings_row,
                    number=receipt.number,
                    version=version,
                    refunded=_refunded_in_part(gift),
                )
            fields: dict[str, Any] = {"kind": receipt.kind, "gift": gift, "donor": receipt.donor}
        else:
            # receipt_kind_fields: a year-end receipt always has its year.
            stated = year_end_content(
                donor=receipt.donor,
                year=receipt.year,  # type: ignore[arg-type]
                gifts=_year_end_gifts(donor=receipt.donor, year=receipt.year),  # type: ignore[arg-type]
                settings_row=settings_row,
                number=receipt.number,
                version=version,
            )
            fields = {"kind": receipt.kind, "donor": receipt.donor, "year": receipt.year}
        stated.content["correction"] = (
            f"This replaces receipt no. {receipt.number:06d} version {receipt.version}, issued "
            f"on {day_text(timezone.localdate(receipt.issued_at))}, which is void. Reason: {reason}"
        )
        return _issue(
            stated=stated,
            acting_user=acting_user,
            number=receipt.number,
            version=version,
            fields={**fields, "supersedes": receipt, "reason": reason},
        )


# --- Emailing ---------------------------------------------------------------------------------


def _email_target(receipt: Receipt) -> tuple[str, str]:
    """The address a receipt goes to, and "" as the reason; or no address and why not."""
    newer = Receipt.objects.filter(supersedes=receipt).values_list("version", flat=True).first()
    email = (
        DonorEmail.objects.filter(donor=receipt.donor, is_primary=True)
        .values_list("email", flat=True)
        .first()
    )
    return _email_target_of(receipt, newer=newer, email=email)


def _email_target_of(receipt: Receipt, *, newer: int | None, email: str | None) -> tuple[str, str]:
    """_email_target from what was read: the version replacing the receipt, if any, and its
    donor's primary email address, if any."""
    if newer is not None:
        return "", f"Not emailed: version {newer} replaces this one."
    donor = receipt.donor
    if donor.do_not_contact or not donor.email_ok:
        return "", "Not emailed: the donor does not accept email."
    if not email:
        return "", "Not emailed: the donor has no primary email address."
    return email, ""


def receipt_email_request(*, receipt: Receipt, acting_user: User | None) -> Receipt:
    """Send a receipt's PDF to the donor again, after commit. Refused at once (nothing queued)
    when it could not go: a replaced version, or a donor who takes no email."""
    _, reason = _email_target(receipt)
    if reason:
        raise StateConflict(reason.replace("Not emailed", f"Receipt {receipt.number:06d}", 1))
    with transaction.atomic():
        audit_record("receipt.email", acting_user=acting_user, obj=receipt)
        enqueue_on_commit(receipt_email_task, receipt.pk)
    return receipt


def _email_record(receipt: Receipt, *, emailed_to: str = "", error: str = "") -> None:
    # The guard trigger lets exactly these columns change on an issued receipt.
    changes: dict[str, Any] = {"email_error": error[:500]}
    if emailed_to:
        changes.update(emailed_to=emailed_to, emailed_at=timezone.now())
    Receipt.objects.filter(pk=receipt.pk).update(**changes)


def _monthly_gift_manage_url(donor: Donor) -> str:
    """The signed link to manage the donor's monthly gift given online, or "" without one."""
    organization = connection.tenant
    if not isinstance(organization, Organization):  # a schema selected by name alone
        return ""
    monthly = manageable_monthly_gift(donor)
    if monthly is None:
        return ""
    return manage_link(organization=organization, recurring_gift=monthly)


def _receipt_message(receipt: Receipt, *, email: str, manage_url: str) -> EmailMessage:
    """The email of a receipt to `email`, its PDF attached."""
    context = {
        "receipt": receipt,
        "organization": receipt.content.get("organization", ""),
        "donor": receipt.donor,
        "manage_url": manage_url,
    }
    message = EmailMessage(
        subject=render_to_string("donations/receipt_email_subject.txt", context).strip(),
        body=render_to_string("donations/receipt_email.txt", context),
        to=[email],
    )
    with receipt.pdf.open("rb") as pdf:
        message.attach(
            f"receipt-{receipt.number:06d}-v{receipt.version}.pdf", pdf.read(), "application/pdf"
        )
    return message


def receipt_email_send(*, receipt: Receipt) -> bool:
    """Email the PDF to the donor's primary address if the donor accepts email; record where it
    went, or why it did not. A failure to reach the mail server is recorded and raised again,
    for the task to retry."""
    # Checked again here: the donor's wishes may have changed, or a correction been issued,
    # since the email was queued.
    email, reason = _email_target(receipt)
    if reason:
        _email_record(receipt, error=reason)
        return False
    message = _receipt_message(
        receipt, email=email, manage_url=_monthly_gift_manage_url(receipt.donor)
    )
    try:
        message.send()
    except OSError as error:
        _email_record(receipt, error=f"Not emailed: {error}")
        raise
    _email_record(receipt, emailed_to=email)
    return True


def receipts_email_send(*, receipt_ids: list[int]) -> int:
    """receipt_email_send for receipts issued together (receipts_issue_for_posted_gifts), in
    the order of their numbers: each emailed, or not and why, as receipt_email_send would; the
    receipts, any versions replacing them and their donors' addresses and monthly gifts read
    once. A receipt emailed already is not sent again (the task run again after a failure). A
    failure to reach the mail server is recorded on each receipt not sent and raised again,
    for the task to retry. Returns how many were sent."""
    receipts = list(
        Receipt.objects.select_related("donor")
        .filter(pk__in=receipt_ids, emailed_at__isnull=True)
        .order_by("number", "version")
    )
    if not receipts:
        return 0
    newer: dict[int, int] = {}
    for replaced, version in Receipt.objects.filter(supersedes__in=receipts).values_list(
        "supersedes_id", "version"
    ):
        newer.setdefault(replaced, version)
    donors = {receipt.donor_id for receipt in receipts}
    emails = dict(
        DonorEmail.objects.filter(donor_id__in=donors, is_primary=True).values_list(
            "donor_id", "email"
        )
    )
    organization = connection.tenant
    monthly: dict[int, RecurringGift] = {}
    if isinstance(organization, Organization):  # not a schema selected by name alone
        for recurring in manageable_monthly_gifts(donors):
            monthly.setdefault(recurring.donor_id, recurring)
    outgoing = []
    for receipt in receipts:
        email, reason = _email_target_of(
            receipt, newer=newer.get(receipt.pk), email=emails.get(receipt.donor_id)
        )
        if reason:
            _email_record(receipt, error=reason)
            continue
        going = monthly.get(receipt.donor_id)
        manage_url = (
            manage_link(organization=organization, recurring_gift=going)
            if going is not None and isinstance(organization, Organization)
            else ""
        )
        message = _receipt_message(receipt, email=email, manage_url=manage_url)
        outgoing.append((receipt, email, message))
    for index, (receipt, email, message) in enumerate(outgoing):
        try:
            message.send()
        except OSError as error:
            for unsent, _, _ in outgoing[index:]:
                _email_record(unsent, error=f"Not emailed: {error}")
            raise
        _email_record(receipt, emailed_to=email)
    return len(outgoing)


def _settings_lacking(settings_row: ReceiptSettings, *, gifts: int | list[int]) -> bool:
    """Whether the settings lack what a receipt cannot go out without; if so the log says
    which gifts were not receipted for it."""
    missing = receipt_settings_missing(settings_row)
    if missing:
        logger.info(
            "gift %s not receipted: the receipt settings lack %s",
            gifts,
            " and ".join(sorted(missing)),
        )
    return bool(missing)


def receipt_issue_for_posted_gift(*, gift_id: int) -> Receipt | None:
    """What the task run after a gift is posted does: issue its receipt if it needs one and
    the organization can issue receipts; otherwise say why not in the log."""
    settings_row = receipt_settings()
    if _settings_lacking(settings_row, gifts=gift_id):
        return None
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None or gift.state != GiftState.POSTED:
        logger.info("gift %s not receipted: it is no longer posted", gift_id)
        return None
    if not gift_needs_receipt(gift=gift, settings_row=settings_row):
        logger.info("gift %s not receipted: under the receipt threshold", gift_id)
        return None
    if Receipt.objects.filter(gift=gift, version=1).exists():
        logger.info("gift %s not receipted again: it already has a receipt", gift_id)
        return None
    try:
        return receipt_issue(gift=gift, acting_user=None)
    except StateConflict as refusal:  # refunded or receipted by hand since the checks above
        logger.info("gift %s not receipted: %s", gift_id, refusal.message)
        return None


def receipts_issue_for_posted_gifts(*, gift_ids: list[int]) -> list[Receipt]:
    """receipt_issue_for_posted_gift for gifts posted together (a drain's online gifts): the
    same receipts, numbered in the order given, with the settings locked once; the gifts,
    their refunds and their donors' addresses read once; the receipts and their audit rows
    written in one statement each. If they cannot be issued together, each gift is issued on
    its own, as receipt_issue_for_posted_gift issues it."""
    if _settings_lacking(receipt_settings(), gifts=gift_ids):
        return []
    try:
        return _receipts_issued(gift_ids)
    except Exception:
        logger.warning(
            "The receipts of %d gifts could not be issued together; one at a time now",
            len(gift_ids),
            exc_info=True,
        )
        issued = [receipt_issue_for_posted_gift(gift_id=gift_id) for gift_id in gift_ids]
        return [receipt for receipt in issued if receipt is not None]


def _receipts_issued(gift_ids: list[int]) -> list[Receipt]:
    """The receipts of those of the gifts that need one and have none, in one transaction;
    the PDFs stored for them are removed if it does not commit (as _issue removes one)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            settings_row = receipt_settings_locked()
            found = {
                gift.pk: gift
                for gift in Gift.objects.select_related("donor", "refund_entry").filter(
                    pk__in=gift_ids
                )
            }
            receipted = set(
                Receipt.objects.filter(gift_id__in=gift_ids, version=1).values_list(
                    "gift_id", flat=True
                )
            )
            gifts = []
            for gift_id in dict.fromkeys(gift_ids):
                gift = found.get(gift_id)
                if gift is None or gift.state != GiftState.POSTED:
                    logger.info("gift %s not receipted: it is no longer posted", gift_id)
                elif not gift_needs_receipt(gift=gift, settings_row=settings_row):
                    logger.info("gift %s not receipted: under the receipt threshold", gift_id)
                elif gift_id in receipted:
                    logger.info("gift %s not receipted again: it already has a receipt", gift_id)
                else:
                    gifts.append(gift)
            if not gifts:
                return []
            refunded: dict[int, Decimal] = dict(
                GiftRefund.objects.filter(gift__in=gifts)
                .values("gift_id")
                .annotate(total=Sum("amount"))
                .values_list("gift_id", "total")
            )
            addresses = donor_addresses(gift.donor_id for gift in gifts)
            first = settings_row.next_number
            settings_row.next_number = first + len(gifts)
            settings_row.save(update_fields=["next_number", "updated_at"])
            logo = organization_logo_content()
            receipts = []
            for number, gift in enumerate(gifts, start=first):
                stated = gift_content(
                    gift,
                    settings_row=settings_row,
                    number=number,
                    version=1,
                    refunded=refunded.get(gift.pk, Decimal(0)),
                    donor_address=addresses.get(gift.donor_id, []),
                )
                path = _pdf_path(number=number, version=1)
                stored.append(_pdf_store(path, receipt_pdf_render(stated.content, logo=logo)))
                receipts.append(
                    _receipt_row(
                        stated,
                        number=number,
                        version=1,
                        pdf=stored[-1],
                        acting_user=None,
                        kind=ReceiptKind.GIFT,
                        gift=gift,
                        donor=gift.donor,
                    )
                )
            created = Receipt.objects.bulk_create(receipts)
            audit_events_record(
                [
                    audit_event(
                        "receipt.issue",
                        acting_user=None,
                        obj=receipt,
                        number=receipt.number,
                        version=1,
                    )
                    for receipt in created
                ]
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    enqueue_on_commit(receipt_emails_task, [receipt.pk for receipt in created])
    _refunded_meanwhile_corrected([gift.pk for gift in gifts])
    return created


def _refunded_meanwhile_corrected(gift_ids: list[int]) -> None:
    """Once the receipts of these gifts commit, correct any that a refund or a void made since
    the gifts were read leaves stating too much: that refund's follow-up may have run before
    the receipts were there to correct (the gifts are read without a lock, so that issuing
    never waits on a drain). Three statements when nothing came; a failure is logged and left
    to the daily catch-up."""
    # Read now: by commit time the connection may be in another schema.
    tenant = connection.tenant

    def corrected() -> None:
        with tenant_context(tenant):
            receipts_catch_up(gift_ids=gift_ids)

    transaction.on_commit(corrected, robust=True)


def receipt_correct_for_part_refund(*, gift_id: int) -> Receipt | None:
    """What the task run after part of a gift is refunded does: if the gift has a receipt
    stating more than the contribution that remains, it is replaced by a corrected version
    stating what remains (Publication 1771: a receipt states the contribution actually made),
    emailed as every new version is. A gift never receipted needs nothing, and a receipt
    already stating what remains (the task run again, or a later refund's correction made
    first) is not corrected again."""
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None or gift.state != GiftState.POSTED:
        logger.info("gift %s: no receipt corrected for a part refund, it is not posted", gift_id)
        return None
    current = (
        Receipt.objects.filter(gift=gift, superseded_by__isnull=True).order_by("-version").first()
    )
    if current is None or current.is_void or current.amount is None:
        return None
    refunded = _refunded_in_part(gift)
    remains = gift.amount - refunded
    if current.amount <= remains:
        return None
    reason = (
        f"{_money_text(refunded)} of the {_money_text(gift.amount)} given was refunded; the "
        f"contribution is now {_money_text(remains)}."
    )
    try:
        return receipt_reissue(receipt=current, reason=reason, acting_user=None)
    except StateConflict as refusal:  # corrected by hand since the check above
        logger.info("gift %s: receipt not corrected: %s", gift_id, refusal.message)
        return None
    except ServiceError as refusal:
        _follow_up_postponed(gift_id, refusal)
        return None


def _money_text(amount: Decimal) -> str:
    return f"${amount:,.2f}"


# A gift in either state must not keep a receipt: its correction voids it.
GIFT_STATES_OUT_OF_THE_BOOKS = (GiftState.REFUNDED, GiftState.VOIDED)


def receipt_void_for_refunded_gift(*, gift_id: int) -> Receipt | None:
    """What the task run after a gift is refunded or voided does: its current receipt, if it
    has one, is replaced by a version that voids it (the donor must not keep a receipt for
    money given back or never received). A gift never receipted needs nothing."""
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None or gift.state not in GIFT_STATES_OUT_OF_THE_BOOKS:
        logger.info("gift %s: no receipt voided, it is neither refunded nor void", gift_id)
        return None
    current = (
        Receipt.objects.filter(gift=gift, superseded_by__isnull=True).order_by("-version").first()
    )
    if current is None or current.is_void:
        return None
    try:
        reason = (
            "The gift was refunded."
            if gift.state == GiftState.REFUNDED
            # A void's reason may take all of the 500 characters a correction's reason has.
            else textwrap.shorten(f"The gift was voided: {gift.void_reason}", 500)
        )
        return receipt_reissue(receipt=current, reason=reason, acting_user=None)
    except StateConflict as refusal:  # corrected by hand since the check above
        logger.info("gift %s: receipt not voided: %s", gift_id, refusal.message)
        return None
    except ServiceError as refusal:
        _follow_up_postponed(gift_id, refusal)
        return None


def _follow_up_postponed(gift_id: int, refusal: ServiceError) -> None:
    """A follow-up refused because the settings lack the EIN or the legal name waits for
    receipts_catch_up, run once they are complete again; any other refusal is raised."""
    if not receipt_settings_lacking():
        raise refusal
    logger.warning(
        "gift %s: its receipt is corrected when the receipt settings are complete: %s",
        gift_id,
        refusal.message,
    )


def receipts_overstated(*, gift_ids: list[int] | None = None) -> tuple[list[int], list[int]]:
    """The gifts (of `gift_ids`, or all) whose current receipt states more than the gift now
    is: those refunded whole or voided, whose receipt is to be voided, and those refunded in
    part, whose receipt is to state what remains. One statement each; those already corrected
    are not read one gift at a time."""
    current = Receipt.objects.filter(
        kind=ReceiptKind.GIFT, superseded_by__isnull=True, is_void=False
    )
    if gift_ids is not None:
        current = current.filter(gift_id__in=gift_ids)
    out_of_the_books = current.filter(gift__state__in=GIFT_STATES_OUT_OF_THE_BOOKS)
    refunded = (
        GiftRefund.objects.filter(gift=OuterRef("gift"))
        .values("gift")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    overstated = (
        current.filter(gift__state=GiftState.POSTED)
        .annotate(refunded=Subquery(refunded))
        .filter(amount__gt=F("gift__amount") - F("refunded"))
    )
    return (
        list(out_of_the_books.values_list("gift_id", flat=True).order_by("gift_id")),
        list(overstated.values_list("gift_id", flat=True).order_by("gift_id")),
    )


def receipts_catch_up(*, gift_ids: list[int] | None = None) -> int:
    """The receipts a refund or a void left stating more than the gift now is (because the
    settings lacked the EIN or the legal name when its follow-up ran, or it ran before the
    receipt was there): each voided or corrected now, as the follow-up does it. Run when the
    settings become complete again, daily for a follow-up that never ran, and for `gift_ids`
    only after their receipts are issued; while the settings lack what a receipt needs,
    nothing can be issued and nothing is read. Returns how many new versions were issued."""
    if receipt_settings_lacking():
        return 0
    voids, corrections = receipts_overstated(gift_ids=gift_ids)
    issued = 0
    for gift_id in voids:
        issued += receipt_void_for_refunded_gift(gift_id=gift_id) is not None
    for gift_id in corrections:
        issued += receipt_correct_for_part_refund(gift_id=gift_id) is not None
    return issued
