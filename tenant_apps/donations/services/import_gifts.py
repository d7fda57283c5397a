"""The rows of a gifts import, checked by gift_create's rules (every problem of every row
listed), and the rows that look like a gift already recorded or an earlier row."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Fund
from tenant_apps.donations.models import (
    Campaign,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
    TributeType,
)
from tenant_apps.donations.services.checks import (
    date_required,
    donor_check,
    gift_details_check,
    method_check,
)
from tenant_apps.donations.services.import_csv import (
    CsvFile,
    CsvRow,
    DuplicateSuggestion,
    RowError,
    refusal_errors,
    row_error,
)
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donors.models import Donor, DonorEmail


def _gift_column(service_field: str, detail: str) -> str:
    return {"allocations": "fund", "donor": "donor_id"}.get(service_field, service_field)


def _one_named[Named: Fund | Campaign](rows: Iterable[Named], name: str) -> Named | None:
    named = [row for row in rows if row.name.casefold() == name.strip().casefold()]
    return named[0] if len(named) == 1 else None


@dataclass(frozen=True)
class _GiftLookups:
    """What the file's rows refer to, read in a few queries for all of them."""

    donors: dict[int, Donor]
    donors_of_email: dict[str, list[int]]
    funds: dict[str, Fund]
    campaigns: dict[str, Campaign]
    references_taken: set[str]
    currency: str

    def fund_named(self, text: str) -> Fund | None:
        """The fund whose code is `text`, else the one fund of that name (ignoring case), as
        other donor databases export a fund by its name."""
        return self.funds.get(text) or _one_named(self.funds.values(), text)

    def campaign_named(self, text: str) -> Campaign | None:
        return self.campaigns.get(text) or _one_named(self.campaigns.values(), text)

    @classmethod
    def of(cls, rows: Sequence[CsvRow]) -> _GiftLookups:
        ids = {int(v) for row in rows if (v := row.values.get("donor_id", "")).isdigit()}
        emails = {row.values.get("donor_email", "").lower() for row in rows} - {""}
        donors_of_email: dict[str, list[int]] = defaultdict(list)
        for email, donor_id in DonorEmail.objects.filter(
            email__in=emails, donor__merged_into__isnull=True
        ).values_list("email", "donor_id"):
            donors_of_email[email].append(donor_id)
        references = {row.values.get("payment_reference", "") for row in rows} - {""}
        return cls(
            donors=Donor.objects.only("id", "merged_into_id", "display_name").in_bulk(
                [i for i in ids if i < 2**63]
            ),
            donors_of_email=donors_of_email,
            funds={fund.code: fund for fund in Fund.objects.all()},
            campaigns={campaign.code: campaign for campaign in Campaign.objects.all()},
            references_taken=set(
                Gift.objects.filter(payment_reference__in=references).values_list(
                    "payment_reference", flat=True
                )
            ),
            currency=accounting.accounting_settings().currency,
        )


def _gift_donor(row: CsvRow, lookups: _GiftLookups, errors: list[RowError]) -> Donor | None:
    given_id = row.values.get("donor_id", "")
    email = row.values.get("donor_email", "").lower()
    if not given_id and not email:
        errors.append(
            row_error(row.number, "donor_id", "Give the donor's donor_id or donor_email.")
        )
        return None
    by_email = lookups.donors_of_email.get(email, []) if email else []
    if given_id:
        donor = lookups.donors.get(int(given_id)) if given_id.isdigit() else None
        if donor is None:
            errors.append(row_error(row.number, "donor_id", f"There is no donor {given_id}."))
            return None
        try:
            donor_check(donor)
        except ServiceError as refusal:
            errors.append(row_error(row.number, "donor_id", refusal.message))
            return None
        if email and donor.pk not in by_email:
            errors.append(
                row_error(
                    row.number,
                    "donor_email",
                    f"{email} is not an email of donor {donor.pk} ({donor.display_name}).",
                )
            )
            return None
        return donor
    if not by_email:
        errors.append(row_error(row.number, "donor_email", f"No donor has the email {email}."))
        return None
    if len(by_email) > 1:
        listed = ", ".join(str(donor_id) for donor_id in sorted(by_email))
        errors.append(
            row_error(
                row.number,
                "donor_email",
                f"Several donors have the email {email} ({listed}): give the donor_id.",
            )
        )
        return None
    return Donor(pk=by_email[0])


def amount_text(value: str) -> str:
    """An amount as a spreadsheet writes it, as amount_parse reads it: 1,234.50 and $1,234.50
    lose their dollar sign and thousands separators."""
    if re.fullmatch(r"\$?\d{1,3}(,\d{3})+(\.\d*)?", value) or re.fullmatch(r"\$\d+(\.\d*)?", value):
        return value.lstrip("$").replace(",", "")
    return value


# What the exports of other donor databases call a method (Bloomerang and Little Green Light
# write "Credit Card"), besides the methods' own values and labels.
METHOD_WORDS = {
    "credit card": GiftMethod.CARD,
    "debit card": GiftMethod.CARD,
    "credit/debit card": GiftMethod.CARD,
    "eft": GiftMethod.ACH,
    "electronic funds transfer": GiftMethod.ACH,
    "bank transfer": GiftMethod.ACH,
    "in kind": GiftMethod.IN_KIND,
    "inkind": GiftMethod.IN_KIND,
    "securities": GiftMethod.STOCK,
}


def method_read(value: str) -> str:
    """The method a cell names, by its value, its label or a word other exports use; else the
    cell, lowercased, for method_check to refuse."""
    value = value.strip().lower()
    labels = {label.lower(): method for method, label in GiftMethod.choices}
    found = labels.get(value) or METHOD_WORDS.get(value)
    return found or value.replace("-", "_").replace(" ", "_")


US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_FORMATS = "YYYY-MM-DD (2026-03-31) or MM/DD/YYYY (03/31/2026)"


def date_read(value: str) -> date | None:
    """A date as YYYY-MM-DD, or as MM/DD/YYYY (as US spreadsheets and the exports of US donor
    databases write it); None if it is neither."""
    value = value.strip()
    written_in_us_order = US_DATE.fullmatch(value)
    try:
        if written_in_us_order:
            month, day, year = (int(part) for part in written_in_us_order.groups())
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class GiftPlan:
    gifts: list[tuple[int, Gift, GiftAllocation]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _gift_row(row: CsvRow, lookups: _GiftLookups, errors: list[RowError]) -> Gift | None:
    """The row as an unsaved gift, checked by gift_create's rules; None if it has errors."""
    values = row.values
    before = len(errors)

    def checked[T](check: Callable[[], T]) -> T | None:
        # gift_create's helpers name the field they refuse: it is the file's column.
        try:
            return check()
        except ServiceError as refusal:
            errors.extend(refusal_errors(row.number, [refusal], _gift_column))
            return None

    donor = _gift_donor(row, lookups, errors)
    amount = checked(lambda: amount_parse(amount_text(values.get("amount", "")), field="amount"))
    received_on = date_read(values.get("received_on", ""))
    if received_on is None:
        errors.append(
            row_error(
                row.number,
                "received_on",
                f"{values.get('received_on', '')!r} is not a date as {DATE_FORMATS}.",
            )
        )
    else:
        received_on = checked(lambda: date_required(received_on, field="received_on"))
    method = checked(lambda: method_check(method_read(values.get("method", ""))))
    fund_code = values.get("fund", "") or DEFAULT_FUND
    fund = lookups.fund_named(fund_code)
    if fund is None or not fund.is_active:
        errors.append(row_error(row.number, "fund", f"There is no active fund {fund_code!r}."))
    campaign = None
    if values.get("campaign"):
        campaign = lookups.campaign_named(values["campaign"])
        if campaign is None:
            errors.append(
                row_error(row.number, "campaign", f"There is no campaign {values['campaign']!r}.")
            )
    details = None
    if amount is not None and method is not None:
        details = checked(
            lambda: gift_details_check(
                {
                    "designation": values.get("designation", ""),
                    "tribute_type": TributeType.NONE,
                    "tribute_name": "",
                    "notify_name": "",
                    "notify_email": "",
                    "goods_services_value": amount_text(values.get("goods_services_value", "")),
                    "goods_services_description": values.get("goods_services_description", ""),
                    "in_kind_description": values.get("in_kind_description", ""),
                    "check_number": values.get("check_number", ""),
                    "payment_reference": values.get("payment_reference", ""),
                },
                amount=amount,
                method=method,
            ),
        )
    reference = values.get("payment_reference", "")
    if reference in lookups.references_taken:
        errors.append(
            row_error(
                row.number,
                "payment_reference",
                f"A gift with payment reference {reference} is already recorded.",
            )
        )
    if (
        len(errors) > before
        or donor is None
        or amount is None
        or received_on is None
        or method is None
        or fund is None
        or details is None
    ):
        return None
    gift = Gift(
        donor=donor,
        amount=amount,
        currency=lookups.currency,
        received_on=received_on,
        method=method,
        campaign=campaign,
        source=GiftSource.IMPORT,
        state=GiftState.DRAFT,
        **details,
    )
    # The unsaved gift carries its row's fund until the import makes its allocation.
    gift.import_fund = fund  # type: ignore[attr-defined]
    return gift


def gifts_validate(parsed: CsvFile, *, progress: Callable[[int], None]) -> GiftPlan:
    """Every row checked by gift_create's rules; every problem of every row listed."""
    lookups = _GiftLookups.of(parsed.rows)
    plan = GiftPlan()
    reference_rows: dict[str, int] = {}
    for done, row in enumerate(parsed.rows, start=1):
        errors = row.shape_errors()
        gift = _gift_row(row, lookups, errors)
        reference = row.values.get("payment_reference", "")
        if reference:
            if reference in reference_rows:
                errors.append(
                    row_error(
                        row.number,
                        "payment_reference",
                        f"Payment reference {reference} is also on row "
                        f"{reference_rows[reference]}.",
                    )
                )
            reference_rows.setdefault(reference, row.number)
        if errors:
            plan.errors += errors
        elif gift is not None:
            # Set by _gift_row on every gift it returns.
            fund = gift.import_fund  # type: ignore[attr-defined]
            plan.gifts.append((row.number, gift, GiftAllocation(fund=fund, amount=gift.amount)))
        progress(done)
    return plan


def gifts_duplicates(plan: GiftPlan) -> list[DuplicateSuggestion]:
    """Rows that look like a gift already recorded, or like an earlier row: same donor, amount
    and date. A file imported twice shows up here (not blocking: two equal gifts happen)."""
    donor_ids = {gift.donor_id for _, gift, _ in plan.gifts}
    dates = {gift.received_on for _, gift, _ in plan.gifts}
    existing: dict[tuple[int, Decimal, date], int] = {}
    for gift_id, donor_id, amount, received_on in Gift.objects.filter(
        donor_id__in=donor_ids, received_on__in=dates
    ).values_list("id", "donor_id", "amount", "received_on"):
        existing.setdefault((donor_id, amount, received_on), gift_id)
    first_row: dict[tuple[int, Decimal, date], int] = {}
    suggestions = []
    for number, gift, _ in plan.gifts:
        key = (gift.donor_id, gift.amount, gift.received_on)
        if key in existing:
            suggestions.append(
                DuplicateSuggestion(
                    row=number, reasons=["same_donor_amount_date"], gift=existing[key]
                )
            )
        if key in first_row:
            suggestions.append(
                DuplicateSuggestion(
                    row=number, reasons=["same_donor_amount_date"], same_as_row=first_row[key]
                )
            )
        first_row.setdefault(key, number)
    return suggestions
