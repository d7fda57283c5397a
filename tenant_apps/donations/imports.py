"""CSV import of donors and of gifts: the upload's checks, the file's parsing, the row-by-row
validation with the donors' and gifts' own rules, and the bulk write in one transaction.

A file is imported whole or not at all: every row is checked first and every problem is
listed (row as a spreadsheet numbers it, the header being row 1; column; a message a person can
act on); one bad row and nothing is written. Progress goes through the cache, as the job row's
own updates inside the import's transaction are invisible to the page polling it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse
from saas_platform.lib.tasks import enqueue_on_commit
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Fund
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations import services as gifts
from tenant_apps.donations.models import (
    Campaign,
    Gift,
    GiftAllocation,
    GiftMethod,
    GiftSource,
    GiftState,
    ImportJob,
    ImportKind,
    ImportState,
    TributeType,
)
from tenant_apps.donors import services as donors
from tenant_apps.donors.models import Donor, DonorAddress, DonorEmail, DonorKind, DonorPhone
from tenant_apps.donors.selectors import (
    DUPLICATE_NAME_SIMILARITY,
    DUPLICATES_LIMIT,
    DuplicateReason,
)

if TYPE_CHECKING:
    from django.core.files import File

    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
# How often (in rows) a running job publishes its progress, and how long the cache keeps it.
PROGRESS_EVERY = 500
PROGRESS_SECONDS = 24 * 60 * 60
GIFT_BATCH_SIZE = 2000
# Found in a spreadsheet's export of a CSV: a cell the export (ours too) prefixed with a quote
# so that the spreadsheet would not read it as a formula.
ESCAPED_FORMULA = re.compile(r"^'[=+\-@\t\r]")
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})

DONOR_COLUMNS = donors.DONOR_CSV_COLUMNS
GIFT_COLUMNS = (
    "donor_id",
    "donor_email",
    "amount",
    "received_on",
    "method",
    "fund",
    "campaign",
    "check_number",
    "designation",
    "payment_reference",
    "goods_services_value",
    "goods_services_description",
    "in_kind_description",
)
# What each column holds, for the upload page (and a person writing a file by hand).
COLUMN_HELP: dict[str, dict[str, str]] = {
    ImportKind.DONORS: {
        "type": "individual or organization; empty: organization when only organization_name "
        "is given, else individual",
        "first_name": "an individual needs a first or a last name",
        "last_name": "",
        "organization_name": "required for an organization",
        "email": "one address, the donor's primary",
        "phone": "7 to 15 digits, in any format",
        "address_line1": "required when any other part of the address is given",
        "address_line2": "",
        "city": "",
        "region": "state or province",
        "postcode": "",
        "country": "two-letter code (US, CA, GB...); empty: US",
        "tags": "tag names separated by ; (new names create tags)",
        "email_ok": "yes or no (empty: yes)",
        "mail_ok": "yes or no (empty: yes)",
        "phone_ok": "yes or no (empty: yes)",
        "do_not_contact": "yes or no (empty: no)",
        "notes": "",
    },
    ImportKind.GIFTS: {
        "donor_id": "the donor's number; donor_id or donor_email is required",
        "donor_email": "an email of exactly one donor (merged donors are not matched)",
        "amount": "more than zero, at most two decimals (1234.50 or 1,234.50)",
        "received_on": "the date received, as YYYY-MM-DD",
        "method": "cash, check, card, ach, stock or in_kind",
        "fund": "a fund code; empty: GEN",
        "campaign": "a campaign code",
        "check_number": "",
        "designation": "",
        "payment_reference": "the processor's reference; unique",
        "goods_services_value": "good-faith value of goods or services given in return",
        "goods_services_description": "required with a value given in return",
        "in_kind_description": "required for an in-kind gift",
    },
}
COLUMNS: dict[str, tuple[str, ...]] = {
    ImportKind.DONORS: DONOR_COLUMNS,
    ImportKind.GIFTS: GIFT_COLUMNS,
}
# At least one column of each group is in the header.
REQUIRED_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    ImportKind.DONORS: (("first_name", "last_name", "organization_name"),),
    ImportKind.GIFTS: (("donor_id", "donor_email"), ("amount",), ("received_on",), ("method",)),
}
# The longest a cell may be, for the columns whose service names the whole group ("addresses")
# rather than the column: the file's author is told which column.
COLUMN_MAX_LENGTH = {
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postcode": 20,
    "phone": 40,
    "email": 254,
}


class RowError(TypedDict):
    row: int
    column: str
    message: str


def _error(row: int, column: str, message: str) -> RowError:
    return {"row": row, "column": column, "message": message}


# --- Reading the file -----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    stray: str = ""  # what is wrong with the row's shape, if anything
    # Cells that no text column can hold, as (column, message); their values are left empty.
    unreadable: tuple[tuple[str, str], ...] = ()

    def shape_errors(self) -> list[RowError]:
        """What is wrong with the row as read, before any rule of the kind is checked."""
        errors = [_error(self.number, "", self.stray)] if self.stray else []
        errors += [_error(self.number, column, message) for column, message in self.unreadable]
        return errors


@dataclass(frozen=True)
class CsvFile:
    columns: list[str]
    rows: list[CsvRow]


def _refuse(message: str) -> ServiceError:
    return ServiceError(message, fields={"file": [message]})


def _decoded(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise _refuse(
            f"The file is not UTF-8 text (line {line} has a byte that is not). Save it as "
            "“CSV UTF-8” and upload it again."
        ) from None


def _cell(value: str) -> str:
    value = value.strip()
    if ESCAPED_FORMULA.match(value):
        return value[1:]
    return value


# PostgreSQL's text cannot hold a NUL character (a zero byte), and spreadsheets never write one:
# a file that has one was damaged or made by a program, so the cell is named, not guessed at.
_NUL = "\x00"
_NUL_MESSAGE = "The cell holds a NUL character (a zero byte), which text cannot hold; remove it."


def _header_check(header: list[str], kind: str) -> list[str]:
    for position, name in enumerate(header, start=1):
        if _NUL in name:
            raise _refuse(
                f"Column {position} of the header holds a NUL character (a zero byte); "
                "remove it and upload the file again."
            )
    names = [name.strip().lower() for name in header]
    known = COLUMNS[kind]
    named = [name for name in names if name]
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise _refuse(f"The header names a column twice: {', '.join(repeated)}.")
    unknown = [name for name in named if name not in known]
    if unknown:
        raise _refuse(
            f"Unknown column{'s' if len(unknown) > 1 else ''} in the header: "
            f"{', '.join(unknown)}. The columns of a {kind} file are: {', '.join(known)}."
        )
    for group in REQUIRED_COLUMNS[kind]:
        if not set(group) & set(named):
            wanted = " or ".join(group)
            raise _refuse(f"The header has no {wanted} column: a {kind} file needs it.")
    return names


def csv_read(content: bytes, *, kind: str) -> CsvFile:
    """The file's rows as {column: value}, or a ServiceError (on `file`) about the file as a
    whole: empty, not UTF-8, not CSV, a header with unknown or missing columns, no rows."""
    text = _decoded(content)
    if not text.strip():
        raise _refuse("The file is empty.")
    # Strict: a quote left open would otherwise swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns = _header_check(next(reader), kind)
        rows = []
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # a blank line, as spreadsheets leave at the end
            values = {
                name: _cell(cell) for name, cell in zip(columns, record, strict=False) if name
            }
            unreadable = tuple(
                (name, _NUL_MESSAGE) for name, value in values.items() if _NUL in value
            )
            for name, _message in unreadable:
                values[name] = ""
            stray = ""
            if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns) :]):
                stray = (
                    f"The row has {len(record)} cells and the header {len(columns)} columns: "
                    "a value is outside every column (a comma not in quotes?)."
                )
            elif any(cell.strip() for name, cell in zip(columns, record, strict=False) if not name):
                stray = "A value is in a column whose header is empty."
            rows.append(CsvRow(number=number, values=values, stray=stray, unreadable=unreadable))
    except csv.Error as error:
        raise _refuse(f"The file is not valid CSV near line {reader.line_num}: {error}.") from None
    if not rows:
        raise _refuse("The file has a header but no rows.")
    return CsvFile(columns=[name for name in columns if name], rows=rows)


# --- Progress ----------------------------------------------------------------------------------


class Progress(TypedDict):
    state: str
    processed: int
    total: int


def _progress_key(job_id: int) -> str:
    # The cache's key function adds the schema: alpha's job 1 and beta's job 1 do not meet.
    return f"donations:import:{job_id}:progress"


def import_progress_publish(*, job_id: int, state: str, processed: int, total: int) -> None:
    """Tell whoever polls the job where it is: readable at once from any connection."""
    progress: Progress = {"state": state, "processed": processed, "total": total}
    cache.set(_progress_key(job_id), progress, timeout=PROGRESS_SECONDS)


def import_progress(job: ImportJob) -> Progress:
    """Where the job is: from the cache while it runs, from its row once it is finished."""
    if not job.is_finished:
        published = cache.get(_progress_key(job.pk))
        if published is not None:
            return published
    return {"state": job.state, "processed": job.rows_processed, "total": job.total_rows}


@dataclass
class _Reporter:
    job: ImportJob
    state: str = ImportState.VALIDATING

    def publish(self, processed: int, *, force: bool = False) -> None:
        if force or processed % PROGRESS_EVERY == 0 or processed == self.job.total_rows:
            import_progress_publish(
                job_id=self.job.pk, state=self.state, processed=processed, total=self.job.total_rows
            )


# --- Cells -----------------------------------------------------------------------------------


def _yes_no(row: CsvRow, column: str, default: bool, errors: list[RowError]) -> bool:
    value = row.values.get(column, "").lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    errors.append(_error(row.number, column, f"{row.values[column]!r} is not yes or no."))
    return default


def _lengths_check(row: CsvRow, errors: list[RowError]) -> set[str]:
    """The columns whose cell is too long, each with its error (the part they belong to is not
    checked further: the service would name the whole address, not the column)."""
    too_long = set()
    for column, limit in COLUMN_MAX_LENGTH.items():
        if len(row.values.get(column, "")) > limit:
            errors.append(_error(row.number, column, f"At most {limit} characters."))
            too_long.add(column)
    return too_long


def _refusal_errors(
    row: int, refusals: Iterable[ServiceError], column_of: Callable[[str, str], str]
) -> list[RowError]:
    """The services' refusals as row errors: each field they name becomes its column."""
    errors = []
    for refusal in refusals:
        for service_field, messages in (refusal.fields or {"": [refusal.message]}).items():
            detail = " ".join(str(message) for message in messages)
            errors.append(_error(row, column_of(service_field, detail), refusal.message))
    return errors


# --- Donors ------------------------------------------------------------------------------------


def _donor_column(service_field: str, detail: str) -> str:
    if service_field == "addresses":
        return "country" if "country" in detail else "address_line1"
    return {
        "kind": "type",
        "emails": "email",
        "phones": "phone",
        "name": "tags",  # a tag's name
    }.get(service_field, service_field)


def _donor_kind(row: CsvRow, errors: list[RowError]) -> str:
    value = row.values.get("type", "").lower()
    if not value:
        named = row.values.get("first_name") or row.values.get("last_name")
        if row.values.get("organization_name") and not named:
            return DonorKind.ORGANIZATION
        return DonorKind.INDIVIDUAL
    if value == "organisation":
        return DonorKind.ORGANIZATION
    if value not in DonorKind.values:
        errors.append(
            _error(row.number, "type", f"{row.values['type']!r} is not individual or organization.")
        )
    return value


def _donor_spec(
    row: CsvRow, errors: list[RowError], *, too_long: set[str]
) -> donors.DonorImportSpec:
    values = row.values
    kind = _donor_kind(row, errors)
    address_parts = ("address_line1", "address_line2", "city", "region", "postcode", "country")
    addresses = []
    if any(values.get(part) for part in address_parts[:-1]) and not too_long & set(address_parts):
        addresses.append(
            donors.AddressSpec(
                line1=values.get("address_line1", ""),
                line2=values.get("address_line2", ""),
                city=values.get("city", ""),
                region=values.get("region", ""),
                postcode=values.get("postcode", ""),
                country=values.get("country", "") or "US",
            )
        )
    tags = [
        name.strip() for name in values.get("tags", "").split(donors.TAG_SEPARATOR) if name.strip()
    ]
    return donors.DonorImportSpec(
        names=donors.DonorNames(
            kind=kind if kind in DonorKind.values else DonorKind.INDIVIDUAL,
            first_name=values.get("first_name", ""),
            last_name=values.get("last_name", ""),
            organization_name=values.get("organization_name", ""),
        ),
        emails=[donors.EmailSpec(values["email"])]
        if values.get("email") and "email" not in too_long
        else [],
        phones=[donors.PhoneSpec(values["phone"])]
        if values.get("phone") and "phone" not in too_long
        else [],
        addresses=addresses,
        tags=tags,
        email_ok=_yes_no(row, "email_ok", True, errors),
        mail_ok=_yes_no(row, "mail_ok", True, errors),
        phone_ok=_yes_no(row, "phone_ok", True, errors),
        do_not_contact=_yes_no(row, "do_not_contact", False, errors),
        notes=values.get("notes", ""),
    )


@dataclass
class DonorPlan:
    prepared: list[tuple[int, donors.DonorPrepared]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def donors_validate(parsed: CsvFile, *, progress: Callable[[int], None]) -> DonorPlan:
    """Every row checked by donor_create's rules; every problem of every row listed."""
    plan = DonorPlan()
    for done, row in enumerate(parsed.rows, start=1):
        errors = row.shape_errors()
        spec = _donor_spec(row, errors, too_long=_lengths_check(row, errors))
        prepared, refusals = donors.donor_import_check(spec)
        errors += _refusal_errors(row.number, refusals, _donor_column)
        # Each problem once, even when two checks see it (a type that is not a kind).
        errors = list({(error["column"], error["message"]): error for error in errors}.values())
        if errors:
            plan.errors += errors
        elif prepared is not None:
            plan.prepared.append((row.number, prepared))
        progress(done)
    return plan


class DuplicateSuggestion(TypedDict, total=False):
    row: int
    reasons: list[str]
    donor: int
    donor_name: str
    same_as_row: int
    gift: int


def _existing_duplicates(
    prepared: Sequence[tuple[int, donors.DonorPrepared]],
) -> list[DuplicateSuggestion]:
    """donor_duplicates_suggest's tests (same email, same phone digits, a similar name at the
    same postcode) for every row at once: three queries, not one a row."""
    by_email: dict[str, list[int]] = defaultdict(list)
    by_digits: dict[str, list[int]] = defaultdict(list)
    rows, names, postcodes = [], [], []
    for number, row in prepared:
        for donor_email in row.emails:
            by_email[donor_email.email].append(number)
        for phone in row.phones:
            by_digits[phone.phone_digits].append(number)
        for address in row.addresses:
            if address.postcode:
                rows.append(number)
                names.append(row.donor.display_name)
                postcodes.append(address.postcode)
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    donor_names: dict[int, str] = {}
    active = {"donor__merged_into__isnull": True}
    for email, donor_id, name in DonorEmail.objects.filter(
        email__in=by_email, **active
    ).values_list("email", "donor_id", "donor__display_name"):
        donor_names[donor_id] = name
        for number in by_email[email]:
            found[number, donor_id].append(DuplicateReason.EMAIL)
    for digits, donor_id, name in DonorPhone.objects.filter(
        phone_digits__in=by_digits, **active
    ).values_list("phone_digits", "donor_id", "donor__display_name"):
        donor_names[donor_id] = name
        for number in by_digits[digits]:
            if DuplicateReason.PHONE not in found[number, donor_id]:
                found[number, donor_id].append(DuplicateReason.PHONE)
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT DISTINCT candidate.row, donor.id, donor.display_name
                FROM unnest(%s::int[], %s::text[], %s::text[])
                     AS candidate(row, name, postcode)
                JOIN {DonorAddress._meta.db_table} address
                     ON address.postcode = candidate.postcode
                JOIN {Donor._meta.db_table} donor
                     ON donor.id = address.donor_id AND donor.merged_into_id IS NULL
                WHERE similarity(donor.display_name, candidate.name) >= %s
                """,  # noqa: S608 (table names from the models; values are parameters)
                [rows, names, postcodes, DUPLICATE_NAME_SIMILARITY],
            )
            for number, donor_id, name in cursor.fetchall():
                donor_names[donor_id] = name
                found[number, donor_id].append(DuplicateReason.NAME_AND_POSTCODE)
    suggestions: dict[int, list[DuplicateSuggestion]] = defaultdict(list)
    for (number, donor_id), reasons in sorted(found.items()):
        suggestions[number].append(
            {
                "row": number,
                "reasons": reasons,
                "donor": donor_id,
                "donor_name": donor_names[donor_id],
            }
        )
    return [
        suggestion
        for number in sorted(suggestions)
        for suggestion in sorted(suggestions[number], key=lambda s: -len(s["reasons"]))[
            :DUPLICATES_LIMIT
        ]
    ]


def _file_duplicates(
    prepared: Sequence[tuple[int, donors.DonorPrepared]],
) -> list[DuplicateSuggestion]:
    """Rows that repeat an earlier row of the file: same email, same phone digits, or the same
    name (ignoring case) at the same postcode."""
    first_row: dict[tuple[str, str], int] = {}
    suggestions = []
    for number, row in prepared:
        keys = [(DuplicateReason.EMAIL, email.email) for email in row.emails]
        keys += [(DuplicateReason.PHONE, phone.phone_digits) for phone in row.phones]
        keys += [
            (DuplicateReason.NAME_AND_POSTCODE, f"{row.donor.display_name.lower()}|{a.postcode}")
            for a in row.addresses
            if a.postcode
        ]
        earlier: dict[int, list[str]] = defaultdict(list)
        for key in keys:
            if key in first_row:
                earlier[first_row[key]].append(key[0])
            else:
                first_row[key] = number
        suggestions += [
            DuplicateSuggestion(row=number, reasons=reasons, same_as_row=other)
            for other, reasons in sorted(earlier.items())
        ]
    return suggestions


def donors_duplicates(
    prepared: Sequence[tuple[int, donors.DonorPrepared]],
) -> list[DuplicateSuggestion]:
    both = [*_existing_duplicates(prepared), *_file_duplicates(prepared)]
    return sorted(both, key=lambda suggestion: suggestion["row"])


def _donors_write(plan: DonorPlan, *, job: ImportJob, progress: Callable[[int], None]) -> int:
    saved = donors.donors_bulk_create(
        prepared=[prepared for _, prepared in plan.prepared],
        acting_user=job.created_by,
        progress=progress,
    )
    return len(saved)


# --- Gifts -------------------------------------------------------------------------------------


def _gift_column(service_field: str, detail: str) -> str:
    return {"allocations": "fund", "donor": "donor_id"}.get(service_field, service_field)


@dataclass(frozen=True)
class _GiftLookups:
    """What the file's rows refer to, read in a few queries for all of them."""

    donors: dict[int, Donor]
    donors_of_email: dict[str, list[int]]
    funds: dict[str, Fund]
    campaigns: dict[str, Campaign]
    references_taken: set[str]
    currency: str

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
        errors.append(_error(row.number, "donor_id", "Give the donor's donor_id or donor_email."))
        return None
    by_email = lookups.donors_of_email.get(email, []) if email else []
    if given_id:
        donor = lookups.donors.get(int(given_id)) if given_id.isdigit() else None
        if donor is None:
            errors.append(_error(row.number, "donor_id", f"There is no donor {given_id}."))
            return None
        try:
            gifts.donor_check(donor)
        except ServiceError as refusal:
            errors.append(_error(row.number, "donor_id", refusal.message))
            return None
        if email and donor.pk not in by_email:
            errors.append(
                _error(
                    row.number,
                    "donor_email",
                    f"{email} is not an email of donor {donor.pk} ({donor.display_name}).",
                )
            )
            return None
        return donor
    if not by_email:
        errors.append(_error(row.number, "donor_email", f"No donor has the email {email}."))
        return None
    if len(by_email) > 1:
        listed = ", ".join(str(donor_id) for donor_id in sorted(by_email))
        errors.append(
            _error(
                row.number,
                "donor_email",
                f"Several donors have the email {email} ({listed}): give the donor_id.",
            )
        )
        return None
    return Donor(pk=by_email[0])


def _gift_amount(value: str) -> str:
    # Spreadsheets write 1,234.50 (and sometimes $1,234.50): the thousands separators go.
    if re.fullmatch(r"\$?\d{1,3}(,\d{3})+(\.\d*)?", value) or re.fullmatch(r"\$\d+(\.\d*)?", value):
        return value.lstrip("$").replace(",", "")
    return value


def _gift_method(value: str) -> str:
    value = value.strip().lower()
    labels = {label.lower(): method for method, label in GiftMethod.choices}
    return labels.get(value, value.replace("-", "_").replace(" ", "_"))


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
            errors.extend(_refusal_errors(row.number, [refusal], _gift_column))
            return None

    donor = _gift_donor(row, lookups, errors)
    amount = checked(lambda: amount_parse(_gift_amount(values.get("amount", "")), field="amount"))
    received_on = None
    try:
        received_on = date.fromisoformat(values.get("received_on", ""))
    except ValueError:
        errors.append(
            _error(
                row.number,
                "received_on",
                f"{values.get('received_on', '')!r} is not a date as YYYY-MM-DD (2026-03-31).",
            )
        )
    if received_on is not None:
        received_on = checked(lambda: gifts.date_required(received_on, field="received_on"))
    method = checked(lambda: gifts.method_check(_gift_method(values.get("method", ""))))
    fund_code = values.get("fund", "") or gifts.DEFAULT_FUND
    fund = lookups.funds.get(fund_code)
    if fund is None or not fund.is_active:
        errors.append(_error(row.number, "fund", f"There is no active fund {fund_code!r}."))
    campaign = None
    if values.get("campaign"):
        campaign = lookups.campaigns.get(values["campaign"])
        if campaign is None:
            errors.append(
                _error(row.number, "campaign", f"There is no campaign {values['campaign']!r}.")
            )
    details = None
    if amount is not None and method is not None:
        details = checked(
            lambda: gifts.gift_details_check(
                {
                    "designation": values.get("designation", ""),
                    "tribute_type": TributeType.NONE,
                    "tribute_name": "",
                    "notify_name": "",
                    "notify_email": "",
                    "goods_services_value": _gift_amount(values.get("goods_services_value", "")),
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
            _error(
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
                    _error(
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


def _gifts_write(plan: GiftPlan, *, job: ImportJob, progress: Callable[[int], None]) -> int:
    actor = actor_of(job.created_by)
    written = 0
    for start in range(0, len(plan.gifts), GIFT_BATCH_SIZE):
        batch = plan.gifts[start : start + GIFT_BATCH_SIZE]
        for _, gift, _allocation in batch:
            gift.created_by = actor
        Gift.objects.bulk_create([gift for _, gift, _ in batch])
        for _, gift, allocation in batch:
            allocation.gift = gift
        GiftAllocation.objects.bulk_create([allocation for _, _, allocation in batch])
        written += len(batch)
        progress(written)
    return written


# --- Services --------------------------------------------------------------------------------


def import_job_create(*, kind: str, upload: File, acting_user: User | None) -> ImportJob:
    """Check an uploaded file as a whole (size, encoding, header, at least one row), keep it in
    the tenant's storage and queue its import. A refused file is not kept and nothing is
    queued; the rows themselves are checked by the task."""
    # Imported when queueing: the tasks module calls back into these services.
    from tenant_apps.donations.tasks import import_run as import_run_task

    if kind not in ImportKind.values:
        raise ServiceError(
            f"An import is of {' or '.join(ImportKind.values)}.", fields={"kind": ["Unknown kind."]}
        )
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise _refuse(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(f"The file is over {MAX_FILE_BYTES // 1024 // 1024} MB.")
    parsed = csv_read(content, kind=kind)
    name = (getattr(upload, "name", "") or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1]
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            original_filename=name[:255],
            total_rows=len(parsed.rows),
            created_by=actor_of(acting_user),
        )
        job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(content), save=False)
        job.save()
        enqueue_on_commit(import_run_task, job.pk)
    return job


def _job_fail(job: ImportJob, *, errors: list[RowError], message: str) -> None:
    job.state = ImportState.FAILED
    job.rows_created = 0
    job.duplicates, job.duplicate_count = [], 0
    job.errors = sorted(errors, key=lambda error: error["row"])
    job.error_count = len(errors)
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save()


def import_run(*, job_id: int) -> ImportJob | None:
    """Import a queued job's file: all of it, or, if any row is bad, none of it with the list
    of what is wrong. Runs once: a job that is no longer queued (a task delivered twice) is
    left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.VALIDATING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("import %s is not queued: not run again", job_id)
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    reporter = _Reporter(job)
    reporter.publish(0, force=True)
    try:
        with job.file.open("rb") as stored:
            parsed = csv_read(stored.read(), kind=job.kind)
        job.total_rows = len(parsed.rows)
        if job.kind == ImportKind.DONORS:
            donor_plan = donors_validate(parsed, progress=reporter.publish)
            errors, rows = donor_plan.errors, len(donor_plan.prepared)
        else:
            gift_plan = gifts_validate(parsed, progress=reporter.publish)
            errors, rows = gift_plan.errors, len(gift_plan.gifts)
        job.rows_processed = job.total_rows
        if errors:
            rows_with_errors = len({error["row"] for error in errors})
            _job_fail(
                job,
                errors=errors,
                message=f"{rows_with_errors} of {job.total_rows} rows have errors: nothing was "
                "imported. Correct them and upload the file again.",
            )
            return job
        job.state = ImportState.IMPORTING
        job.save(update_fields=["state", "total_rows", "rows_processed"])
        reporter.state = ImportState.IMPORTING
        reporter.publish(0, force=True)
        with transaction.atomic():
            if job.kind == ImportKind.DONORS:
                duplicates = donors_duplicates(donor_plan.prepared)
                created = _donors_write(donor_plan, job=job, progress=reporter.publish)
            else:
                duplicates = gifts_duplicates(gift_plan)
                created = _gifts_write(gift_plan, job=job, progress=reporter.publish)
            job.state = ImportState.SUCCEEDED
            job.rows_created = created
            job.duplicates = duplicates
            job.duplicate_count = len(duplicates)
            job.finished_at = timezone.now()
            job.save()
            audit_record(
                f"{'donor' if job.kind == ImportKind.DONORS else 'gift'}.import",
                acting_user=job.created_by,
                obj=job,
                file=job.original_filename,
                rows=rows,
            )
    except ServiceError as refusal:  # the stored file no longer reads (it was checked at upload)
        _job_fail(job, errors=[], message=refusal.message)
    except Exception:
        logger.exception("import %s failed", job_id)
        _job_fail(
            job,
            errors=[],
            message="The import stopped on an unexpected error: nothing was imported. Try again, "
            "and tell support if it happens again.",
        )
    return job
