"""Receipts that follow IRS Publication 1771: the receipt settings, issuing a receipt for a gift
or a donor's year-end statement, correcting one (a new version), and emailing it.

What a receipt says (see `_gift_content` and `_year_end_content`):
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
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import EARLIEST_DATE
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.models import Organization
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations import services
from tenant_apps.donations.models import (
    EIN_PATTERN,
    Gift,
    GiftMethod,
    GiftState,
    Receipt,
    ReceiptKind,
    ReceiptSettings,
)
from tenant_apps.donations.receipt_pdf import ReceiptContent, receipt_pdf_render
from tenant_apps.donations.tasks import receipt_email as receipt_email_task
from tenant_apps.donors.models import Donor, DonorAddress, DonorEmail

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

# Publication 1771: a written acknowledgment is required for a contribution of $250 or more, and
# a disclosure for a quid-pro-quo payment of more than $75.
ACKNOWLEDGMENT_THRESHOLD = Decimal("250.00")
QUID_PRO_QUO_THRESHOLD = Decimal("75.00")

NO_GOODS_STATEMENT = "No goods or services were provided in exchange for this contribution."
NO_GOODS_STATEMENT_YEAR = (
    "No goods or services were provided in exchange for any of these contributions."
)
KEEP_STATEMENT = "Please keep this written acknowledgment with your tax records."
SETTINGS_FIELDS = {
    "legal_name": 200,
    "ein": 10,
    "address": 1000,
    "signatory_name": 200,
    "signatory_title": 200,
}
METHOD_NAMES = {
    GiftMethod.CASH: "Cash",
    GiftMethod.CHECK: "Check",
    GiftMethod.CARD: "Card",
    GiftMethod.ACH: "Bank transfer (ACH)",
    GiftMethod.STOCK: "Stock",
    GiftMethod.IN_KIND: "In-kind",
}


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


# --- Settings ---------------------------------------------------------------------------------


def _organization_name() -> str:
    """The organization's name, read by value from the public schema (no foreign key from a
    tenant table to a public one). A task or schema_context sets a tenant without a name."""
    name = getattr(connection.tenant, "name", None)
    if name:
        return str(name)
    return (
        Organization.objects.filter(schema_name=connection.schema_name)
        .values_list("name", flat=True)
        .first()
        or ""
    )


def receipt_settings() -> ReceiptSettings:
    """The receipt settings, made on first use with the organization's name as legal name."""
    settings_row = ReceiptSettings.objects.filter(pk=1).first()
    if settings_row is None:
        settings_row, _ = ReceiptSettings.objects.get_or_create(
            pk=1, defaults={"legal_name": _organization_name()[:200]}
        )
    return settings_row


def receipt_settings_update(*, acting_user: User | None, **changes: Any) -> ReceiptSettings:
    """Change what receipts say about the organization. The counter is not among them: it
    moves only by issuing."""
    services.changes_check(
        changes, {*SETTINGS_FIELDS, "receipt_every_gift"}, of="the receipt settings"
    )
    for field, limit in SETTINGS_FIELDS.items():
        if field in changes:
            value = (changes[field] or "").strip()
            if field == "address":
                value = "\n".join(line.strip() for line in value.splitlines() if line.strip())
            if len(value) > limit:
                raise ServiceError(
                    f"{field}: at most {limit} characters.", fields={field: ["Too long."]}
                )
            changes[field] = value
    if changes.get("ein") and not re.match(EIN_PATTERN, changes["ein"]):
        raise ServiceError(
            "An EIN is written NN-NNNNNNN (two digits, a dash, seven digits).",
            fields={"ein": ["Write it NN-NNNNNNN."]},
        )
    receipt_settings()
    with transaction.atomic():
        settings_row = ReceiptSettings.objects.select_for_update().get(pk=1)
        for field, value in changes.items():
            setattr(settings_row, field, bool(value) if field == "receipt_every_gift" else value)
        settings_row.save()
        audit_record(
            "receipt_settings.update",
            acting_user=acting_user,
            obj=settings_row,
            changed=sorted(changes),
        )
    return settings_row


def receipt_settings_missing(settings_row: ReceiptSettings) -> dict[str, list[str]]:
    """What a receipt cannot go out without (Publication 1771 asks for both)."""
    missing = {}
    if not settings_row.legal_name:
        missing["legal_name"] = ["Required on every receipt."]
    if not settings_row.ein:
        missing["ein"] = ["Required on every receipt."]
    return missing


def _settings_locked() -> ReceiptSettings:
    """The settings row, locked: issuing is serialized on it, which keeps the numbering gapless
    and makes the "already receipted" checks below race-free."""
    receipt_settings()
    settings_row = ReceiptSettings.objects.select_for_update().get(pk=1)
    missing = receipt_settings_missing(settings_row)
    if missing:
        raise ServiceError(
            "Receipts cannot be issued until the organization's "
            + " and ".join("legal name" if name == "legal_name" else "EIN" for name in missing)
            + (" are" if len(missing) > 1 else " is")
            + " set in the receipt settings.",
            fields=missing,
        )
    return settings_row


def gift_needs_receipt(*, gift: Gift, settings_row: ReceiptSettings) -> bool:
    """Whether a posted gift gets a receipt on its own: all do when the organization receipts
    every gift; otherwise those Publication 1771 requires (a contribution of $250 or more, or a
    payment over $75 with goods or services in return)."""
    if settings_row.receipt_every_gift:
        return True
    return gift.amount >= ACKNOWLEDGMENT_THRESHOLD or (
        gift.goods_services_value > 0 and gift.amount > QUID_PRO_QUO_THRESHOLD
    )


# --- What a receipt says ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Stated:
    content: ReceiptContent
    amount: Decimal | None
    is_void: bool = False


def _donor_address(donor: Donor) -> list[str]:
    address = DonorAddress.objects.filter(donor=donor, is_primary=True).first()
    if address is None:
        return []
    city_line = " ".join(part for part in (address.city, address.region, address.postcode) if part)
    lines = [address.line1, address.line2, city_line]
    if address.country != "US":
        lines.append(address.country)
    return [line for line in lines if line]


def _header(
    *, settings_row: ReceiptSettings, donor: Donor, title: str, number: int, version: int
) -> ReceiptContent:
    signature = [
        line for line in (settings_row.signatory_name, settings_row.signatory_title) if line
    ]
    return {
        "title": title,
        "organization": settings_row.legal_name,
        "organization_address": settings_row.address.splitlines(),
        "ein": settings_row.ein,
        "number": f"{number:06d}",
        "version": version,
        "issued_on": _day(timezone.localdate()),
        "donor": donor.display_name,
        "donor_address": _donor_address(donor),
        "correction": "",
        "facts": [],
        "table": None,
        "statements": [],
        "signature": signature,
    }


def _method_text(gift: Gift) -> str:
    text = METHOD_NAMES[GiftMethod(gift.method)]
    if gift.method == GiftMethod.CHECK and gift.check_number:
        text += f" no. {gift.check_number}"
    return text


def _goods_statements(gift: Gift, *, organization: str) -> list[str]:
    """The goods-or-services statement of one gift, with the quid-pro-quo disclosure when a
    payment over $75 was partly for goods or services."""
    value = gift.goods_services_value
    if not value:
        return [NO_GOODS_STATEMENT]
    statements = [
        f"In exchange for this contribution, {organization} provided the following goods or "
        f"services: {gift.goods_services_description}. Their good-faith estimated value is "
        f"{_money(value)}."
    ]
    if gift.method != GiftMethod.IN_KIND and gift.amount > QUID_PRO_QUO_THRESHOLD:
        statements.append(_quid_pro_quo(gift))
    return statements


def _quid_pro_quo(gift: Gift) -> str:
    excess = gift.amount - gift.goods_services_value
    return (
        "The amount of this contribution that is deductible for federal income tax purposes is "
        "limited to the excess of the amount contributed over the value of the goods or services "
        f"provided: {_money(gift.amount)} minus {_money(gift.goods_services_value)}, that is "
        f"{_money(excess)}."
    )


def _gift_content(
    gift: Gift, *, settings_row: ReceiptSettings, number: int, version: int
) -> _Stated:
    content = _header(
        settings_row=settings_row,
        donor=gift.donor,
        title="Contribution receipt" if version == 1 else "Corrected contribution receipt",
        number=number,
        version=version,
    )
    facts = [["Date of contribution", _day(gift.received_on)]]
    amount: Decimal | None
    if gift.method == GiftMethod.IN_KIND:
        amount = None
        facts.append(["Contributed property", gift.in_kind_description])
        content["statements"].append(
            f"{settings_row.legal_name} does not state a value for contributed property; "
            "determining its value is the donor's responsibility."
        )
    else:
        amount = gift.amount
        facts.append(["Amount of contribution", _money(gift.amount)])
        facts.append(["Form of contribution", _method_text(gift)])
        if gift.method == GiftMethod.STOCK and gift.in_kind_description:
            # Securities are property: say which, as the donor values them by their own rules.
            facts.append(["Securities", gift.in_kind_description])
    if gift.designation:
        facts.append(["Designation", gift.designation])
    if gift.tribute_type != "none":
        facts.append([gift.get_tribute_type_display(), gift.tribute_name])
    content["facts"] = facts
    content["statements"] = [
        *_goods_statements(gift, organization=settings_row.legal_name),
        *content["statements"],
    ]
    return _Stated(content=content, amount=amount)


def _void_gift_content(
    gift: Gift, *, replaced: Receipt, settings_row: ReceiptSettings, version: int
) -> _Stated:
    content = _header(
        settings_row=settings_row,
        donor=gift.donor,
        title="Notice of void receipt",
        number=replaced.number,
        version=version,
    )
    refunded = gift.refund_entry.date if gift.refund_entry is not None else None
    content["facts"] = [["Date of contribution", _day(gift.received_on)]]
    content["statements"] = [
        f"Receipt no. {replaced.number:06d} version {replaced.version} is void: the "
        f"contribution it acknowledged was refunded"
        + (f" on {_day(refunded)}" if refunded else "")
        + ". This notice acknowledges no contribution."
    ]
    return _Stated(content=content, amount=None, is_void=True)


def _year_end_gifts(*, donor: Donor, year: int) -> list[Gift]:
    return list(
        Gift.objects.filter(donor=donor, state=GiftState.POSTED, received_on__year=year).order_by(
            "received_on", "id"
        )
    )


def _year_end_content(
    *,
    donor: Donor,
    year: int,
    gifts: list[Gift],
    settings_row: ReceiptSettings,
    number: int,
    version: int,
) -> _Stated:
    content = _header(
        settings_row=settings_row,
        donor=donor,
        title=f"{year} giving statement" if version == 1 else f"Corrected {year} giving statement",
        number=number,
        version=version,
    )
    if not gifts:
        content["statements"] = [
            f"None of the contributions of {year} listed on the statement this one replaces "
            "remain: they were refunded. This statement acknowledges no contribution."
        ]
        return _Stated(content=content, amount=None, is_void=True)
    rows, total, goods_total, disclosures, in_kind = [], Decimal("0.00"), Decimal("0.00"), [], False
    for gift in gifts:
        if gift.method == GiftMethod.IN_KIND:
            in_kind = True
            contribution, amount_text = f"In-kind: {gift.in_kind_description}", "Not valued"
        else:
            contribution, amount_text = _method_text(gift), _money(gift.amount)
            total += gift.amount
        if gift.goods_services_value:
            goods_total += gift.goods_services_value
            goods = f"{gift.goods_services_description} ({_money(gift.goods_services_value)})"
            if gift.method != GiftMethod.IN_KIND and gift.amount > QUID_PRO_QUO_THRESHOLD:
                disclosures.append(
                    f"For the contribution of {_day(gift.received_on)}: " + (_quid_pro_quo(gift))
                )
        else:
            goods = "None"
        rows.append([_day(gift.received_on), contribution, amount_text, goods])
    content["table"] = {
        "columns": ["Date", "Contribution", "Amount", "Goods or services provided (value)"],
        "rows": rows,
        "total": ["Total", "", _money(total), _money(goods_total) if goods_total else "None"],
    }
    content["facts"] = [
        ["Calendar year", str(year)],
        ["Total of contributions", _money(total)],
    ]
    if not goods_total:
        content["statements"].append(NO_GOODS_STATEMENT_YEAR)
    else:
        content["statements"].append(
            "Where the table lists goods or services, they were provided in exchange for that "
            "contribution, at the good-faith estimated value shown; no goods or services were "
            "provided in exchange for the other contributions."
        )
        content["statements"].extend(disclosures)
    if in_kind:
        content["statements"].append(
            f"{settings_row.legal_name} does not state a value for contributed property; "
            "determining its value is the donor's responsibility."
        )
    return _Stated(content=content, amount=total)


# --- Issuing ----------------------------------------------------------------------------------


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
    stated: _Stated,
    acting_user: User | None,
    number: int,
    version: int,
    fields: dict[str, Any],
) -> Receipt:
    """Draw the PDF, store it and write the row (inside the caller's transaction). If the row
    is not written the file is removed; a file left by a rollback after this point is replaced
    when its number is taken again (see _pdf_store)."""
    path = _pdf_path(number=number, version=version)
    stored = _pdf_store(path, receipt_pdf_render(stated.content))
    try:
        receipt = Receipt.objects.create(
            number=number,
            version=version,
            amount=stated.amount,
            is_void=stated.is_void,
            content=stated.content,
            pdf=stored,
            issued_at=timezone.now(),
            issued_by=actor_of(acting_user),
            **fields,
        )
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


def _number_take(settings_row: ReceiptSettings) -> int:
    number = settings_row.next_number
    settings_row.next_number = number + 1
    settings_row.save(update_fields=["next_number", "updated_at"])
    return number


def receipt_issue(*, gift: Gift, acting_user: User | None) -> Receipt:
    """Issue the receipt of a posted gift (one per gift; correct it with receipt_reissue)."""
    with transaction.atomic():
        settings_row = _settings_locked()
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
        stated = _gift_content(gift, settings_row=settings_row, number=number, version=1)
        return _issue(
            stated=stated,
            acting_user=acting_user,
            number=number,
            version=1,
            fields={"kind": ReceiptKind.GIFT, "gift": gift, "donor": gift.donor},
        )


def receipt_year_end_issue(*, donor: Donor, year: int, acting_user: User | None) -> Receipt:
    """Issue a donor's giving statement for a calendar year: every posted gift of the year."""
    if not isinstance(year, int) or not EARLIEST_DATE.year <= year <= (timezone.localdate().year):
        raise ServiceError(
            "A statement is for a past or the current calendar year.",
            fields={"year": ["Not a year that can have gifts."]},
        )
    with transaction.atomic():
        settings_row = _settings_locked()
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
        stated = _year_end_content(
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
        settings_row = _settings_locked()
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
            gift = Gift.objects.select_related("donor", "refund_entry").get(pk=receipt.gift_id)  # type: ignore[misc]
            if gift.state == GiftState.REFUNDED:
                stated = _void_gift_content(
                    gift, replaced=receipt, settings_row=settings_row, version=version
                )
            else:
                stated = _gift_content(
                    gift, settings_row=settings_row, number=receipt.number, version=version
                )
            fields: dict[str, Any] = {"kind": receipt.kind, "gift": gift, "donor": receipt.donor}
        else:
            # receipt_kind_fields: a year-end receipt always has its year.
            stated = _year_end_content(
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
            f"on {_day(timezone.localdate(receipt.issued_at))}, which is void. Reason: {reason}"
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
    if newer is not None:
        return "", f"Not emailed: version {newer} replaces this one."
    donor = receipt.donor
    if donor.do_not_contact or not donor.email_ok:
        return "", "Not emailed: the donor does not accept email."
    email = (
        DonorEmail.objects.filter(donor=donor, is_primary=True)
        .values_list("email", flat=True)
        .first()
    )
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
    organization = receipt.content.get("organization", "")
    context = {"receipt": receipt, "organization": organization, "donor": receipt.donor}
    message = EmailMessage(
        subject=render_to_string("donations/receipt_email_subject.txt", context).strip(),
        body=render_to_string("donations/receipt_email.txt", context),
        to=[email],
    )
    with receipt.pdf.open("rb") as pdf:
        message.attach(
            f"receipt-{receipt.number:06d}-v{receipt.version}.pdf", pdf.read(), "application/pdf"
        )
    try:
        message.send()
    except OSError as error:
        _email_record(receipt, error=f"Not emailed: {error}")
        raise
    _email_record(receipt, emailed_to=email)
    return True


def receipt_issue_for_posted_gift(*, gift_id: int) -> Receipt | None:
    """What the task run after a gift is posted does: issue its receipt if it needs one and
    the organization can issue receipts; otherwise say why not in the log."""
    settings_row = receipt_settings()
    missing = receipt_settings_missing(settings_row)
    if missing:
        logger.info(
            "gift %s not receipted: the receipt settings lack %s",
            gift_id,
            " and ".join(sorted(missing)),
        )
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


def receipt_void_for_refunded_gift(*, gift_id: int) -> Receipt | None:
    """What the task run after a gift is refunded does: its current receipt, if it has one, is
    replaced by a version that voids it (the donor must not keep a receipt for money given
    back). A gift never receipted needs nothing."""
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None or gift.state != GiftState.REFUNDED:
        logger.info("gift %s: no receipt voided, it is not refunded", gift_id)
        return None
    current = (
        Receipt.objects.filter(gift=gift, superseded_by__isnull=True).order_by("-version").first()
    )
    if current is None or current.is_void:
        return None
    try:
        return receipt_reissue(receipt=current, reason="The gift was refunded.", acting_user=None)
    except StateConflict as refusal:  # corrected by hand since the check above
        logger.info("gift %s: receipt not voided: %s", gift_id, refusal.message)
        return None


# --- Reading ----------------------------------------------------------------------------------


def receipt_list() -> QuerySet[Receipt]:
    """Receipts with what their list shows, in a fixed number of queries."""
    return Receipt.objects.select_related("donor", "issued_by").annotate(
        replaced_by_id=Subquery(Receipt.objects.filter(supersedes=OuterRef("pk")).values("pk")[:1])
    )
