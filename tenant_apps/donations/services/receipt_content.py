"""What a receipt says, following IRS Publication 1771 (see services.receipts): the content of
a gift's receipt, of the notice that voids one, and of a donor's year-end statement. Nothing here
writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from tenant_apps.donations.models import Gift, GiftMethod, GiftState, Receipt, ReceiptSettings
from tenant_apps.donations.receipt_pdf import ReceiptContent
from tenant_apps.donors.models import Donor, DonorAddress

# Publication 1771: a written acknowledgment is required for a contribution of $250 or more, and
# a disclosure for a quid-pro-quo payment of more than $75.
ACKNOWLEDGMENT_THRESHOLD = Decimal("250.00")
QUID_PRO_QUO_THRESHOLD = Decimal("75.00")

NO_GOODS_STATEMENT = "No goods or services were provided in exchange for this contribution."
NO_GOODS_STATEMENT_YEAR = (
    "No goods or services were provided in exchange for any of these contributions."
)
KEEP_STATEMENT = "Please keep this written acknowledgment with your tax records."


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


def day_text(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


@dataclass(frozen=True)
class StatedReceipt:
    content: ReceiptContent
    amount: Decimal | None
    is_void: bool = False


def _donor_address(donor: Donor) -> list[str]:
    address = DonorAddress.objects.filter(donor=donor, is_primary=True).first()
    return _address_lines(address) if address is not None else []


def donor_addresses(donor_ids: Iterable[int]) -> dict[int, list[str]]:
    """The donors' primary addresses as a receipt prints them, in one query (a donor without
    one is left out)."""
    return {
        address.donor_id: _address_lines(address)
        for address in DonorAddress.objects.filter(donor_id__in=list(donor_ids), is_primary=True)
    }


def _address_lines(address: DonorAddress) -> list[str]:
    city_line = " ".join(part for part in (address.city, address.region, address.postcode) if part)
    lines = [address.line1, address.line2, city_line]
    if address.country != "US":
        lines.append(address.country)
    return [line for line in lines if line]


def _header(
    *,
    settings_row: ReceiptSettings,
    donor: Donor,
    title: str,
    number: int,
    version: int,
    donor_address: list[str] | None = None,
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
        "issued_on": day_text(timezone.localdate()),
        "donor": donor.display_name,
        "donor_address": _donor_address(donor) if donor_address is None else donor_address,
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


def _goods_statements(
    gift: Gift, *, organization: str, contributed: Decimal | None = None
) -> list[str]:
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
    contributed = gift.amount if contributed is None else contributed
    if gift.method != GiftMethod.IN_KIND and contributed > QUID_PRO_QUO_THRESHOLD:
        statements.append(_quid_pro_quo(gift, contributed=contributed))
    return statements


def _footer(settings_row: ReceiptSettings) -> list[str]:
    """The organization's own closing paragraph, after what Publication 1771 asks for."""
    return [settings_row.footer] if settings_row.footer else []


def _quid_pro_quo(gift: Gift, *, contributed: Decimal | None = None) -> str:
    contributed = gift.amount if contributed is None else contributed
    excess = contributed - gift.goods_services_value
    return (
        "The amount of this contribution that is deductible for federal income tax purposes is "
        "limited to the excess of the amount contributed over the value of the goods or services "
        f"provided: {_money(contributed)} minus {_money(gift.goods_services_value)}, that is "
        f"{_money(excess)}."
    )


def gift_content(
    gift: Gift,
    *,
    settings_row: ReceiptSettings,
    number: int,
    version: int,
    refunded: Decimal = Decimal(0),
    donor_address: list[str] | None = None,
) -> StatedReceipt:
    """The receipt of one gift. `refunded` is what was given back of it (in part: a gift
    refunded whole gets void_gift_content): the contribution stated is what remains. The
    donor's address is read unless given (`donor_address`, as donor_addresses gives it)."""
    content = _header(
        settings_row=settings_row,
        donor=gift.donor,
        title="Contribution receipt" if version == 1 else "Corrected contribution receipt",
        number=number,
        version=version,
        donor_address=donor_address,
    )
    facts = [["Date of contribution", day_text(gift.received_on)]]
    amount: Decimal | None
    if gift.method == GiftMethod.IN_KIND:
        amount = None
        facts.append(["Contributed property", gift.in_kind_description])
        content["statements"].append(
            f"{settings_row.legal_name} does not state a value for contributed property; "
            "determining its value is the donor's responsibility."
        )
    else:
        amount = gift.amount - refunded
        facts.append(["Amount of contribution", _money(amount)])
        facts.append(["Form of contribution", _method_text(gift)])
        if gift.method == GiftMethod.STOCK and gift.in_kind_description:
            # Securities are property: say which, as the donor values them by their own rules.
            facts.append(["Securities", gift.in_kind_description])
    if gift.designation:
        facts.append(["Designation", gift.designation])
    if gift.tribute_type != "none":
        facts.append([gift.get_tribute_type_display(), gift.tribute_name])
    content["facts"] = facts
    if refunded:
        content["statements"].append(
            f"Of {_money(gift.amount)} given, {_money(refunded)} was refunded to the donor; the "
            f"contribution is the {_money(gift.amount - refunded)} that remains."
        )
    content["statements"] = [
        *_goods_statements(
            gift,
            organization=settings_row.legal_name,
            contributed=gift.amount if amount is None else amount,
        ),
        *content["statements"],
        *_footer(settings_row),
    ]
    return StatedReceipt(content=content, amount=amount)


def void_gift_content(
    gift: Gift, *, replaced: Receipt, settings_row: ReceiptSettings, version: int
) -> StatedReceipt:
    content = _header(
        settings_row=settings_row,
        donor=gift.donor,
        title="Notice of void receipt",
        number=replaced.number,
        version=version,
    )
    if gift.state == GiftState.VOIDED:
        what, reversal = "was voided", gift.void_entry
    else:
        what, reversal = "was refunded", gift.refund_entry
    on = reversal.date if reversal is not None else None
    content["facts"] = [["Date of contribution", day_text(gift.received_on)]]
    content["statements"] = [
        f"Receipt no. {replaced.number:06d} version {replaced.version} is void: the "
        f"contribution it acknowledged {what}"
        + (f" on {day_text(on)}" if on else "")
        + ". This notice acknowledges no contribution."
    ]
    return StatedReceipt(content=content, amount=None, is_void=True)


def year_end_content(
    *,
    donor: Donor,
    year: int,
    gifts: list[Gift],
    settings_row: ReceiptSettings,
    number: int,
    version: int,
) -> StatedReceipt:
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
        return StatedReceipt(content=content, amount=None, is_void=True)
    rows, total, goods_total, disclosures, in_kind = [], Decimal("0.00"), Decimal("0.00"), [], False
    for gift in gifts:
        if gift.method == GiftMethod.IN_KIND:
            in_kind = True
            contribution, amount_text = f"In-kind: {gift.in_kind_description}", "Not valued"
        else:
            # A gift refunded in part counts for what remains of it (`refunded`: what
            # _year_end_gifts read of its refunds).
            refunded: Decimal = getattr(gift, "refunded", Decimal(0))
            remains = gift.amount - refunded
            contribution, amount_text = _method_text(gift), _money(remains)
            if refunded:
                contribution += (
                    f" (of {_money(gift.amount)} given, {_money(refunded)} was refunded)"
                )
            total += remains
        if gift.goods_services_value:
            goods_total += gift.goods_services_value
            goods = f"{gift.goods_services_description} ({_money(gift.goods_services_value)})"
            if gift.method != GiftMethod.IN_KIND and gift.amount > QUID_PRO_QUO_THRESHOLD:
                disclosures.append(
                    f"For the contribution of {day_text(gift.received_on)}: "
                    + (_quid_pro_quo(gift))
                )
        else:
            goods = "None"
        rows.append([day_text(gift.received_on), contribution, amount_text, goods])
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
    content["statements"].extend(_footer(settings_row))
    return StatedReceipt(content=content, amount=total)
