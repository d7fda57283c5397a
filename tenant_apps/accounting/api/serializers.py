"""Input and output shapes of the accounting API. Inputs check types and formats only; the rules
of the books are the services' (they answer with the same error shape)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.db.models import Model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from saas_platform.lib.api import BooksDateField, Input
from tenant_apps.accounting.models import (
    MONTHS_IN_YEAR,
    Account,
    AccountingSettings,
    AccountType,
    Budget,
    BudgetState,
    EntrySource,
    EntryState,
    Function,
    Fund,
    JournalEntry,
    JournalLine,
    NetAssetClass,
    NormalBalance,
    PeriodState,
    Program,
    Restriction,
)
from tenant_apps.accounting.reports import COMPARISONS
from tenant_apps.accounting.selectors import AccountRow, budget_months

CODE_MAX_LENGTH = 20

# A field fixed once the object exists: how to read its current value, and the refusal.
FixedFields = dict[str, tuple[Callable[[Any], Any], str]]


class FixedFieldsInput(Input):
    """A partial update that refuses a change to a field that is fixed once the object exists.

    Sending the current value is fine (clients often send back what they read); sending another
    one is a 400 rather than a silent no-op. Bound to the object: `Input(obj, data=...)`.
    """

    fixed_fields: ClassVar[FixedFields] = {}

    def accepted_fields(self) -> set[str]:
        return super().accepted_fields() | set(self.fixed_fields)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        for field, (current_of, message) in self.fixed_fields.items():
            if field not in self.initial_data:
                continue
            sent, current = self.initial_data[field], current_of(self.instance)
            if _text(sent) != _text(current):
                errors[field] = [message]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _code_of(related: Model | None) -> str:
    return getattr(related, "code", "") if related is not None else ""


# --- Accounts ----------------------------------------------------------------------------------


class AccountOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=AccountType.choices)
    normal_balance = serializers.ChoiceField(choices=NormalBalance.choices)
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent.code", allow_null=True, help_text="The parent account's code."
    )
    ucoa_code = serializers.CharField()
    is_active = serializers.BooleanField()

    def to_representation(self, instance: Account | AccountRow) -> dict[str, Any]:
        if isinstance(instance, Account):
            return dict(super().to_representation(instance))
        # A row of the list (selectors.account_rows), the whole chart in one page: written out
        # directly, the JSON the fields above give an Account (they still describe it in the
        # OpenAPI schema) for a fraction of the cost of going field by field.
        return {
            "code": instance["code"],
            "name": instance["name"],
            "type": instance["type"],
            "normal_balance": instance["normal_balance"],
            "parent": instance["parent_code"],
            "ucoa_code": instance["ucoa_code"],
            "is_active": instance["is_active"],
        }


class AccountCreateInput(Input):
    class Meta:
        model = Account

    code = serializers.CharField(max_length=CODE_MAX_LENGTH)
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=AccountType.choices)
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    parent = serializers.CharField(  # type: ignore[assignment]
        max_length=CODE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The code of a summary account of the same type.",
    )
    ucoa_code = serializers.CharField(
        max_length=CODE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


_ACCOUNT_FIXED = "An account's code, type, normal balance and parent are fixed once it exists."


class AccountUpdateInput(FixedFieldsInput):
    class Meta:
        model = Account

    name = serializers.CharField(max_length=200, required=False)
    is_active = serializers.BooleanField(required=False)

    fixed_fields: ClassVar[FixedFields] = {
        "code": (lambda account: account.code, _ACCOUNT_FIXED),
        "type": (lambda account: account.type, _ACCOUNT_FIXED),
        "normal_balance": (lambda account: account.normal_balance, _ACCOUNT_FIXED),
        "parent": (lambda account: _code_of(account.parent), _ACCOUNT_FIXED),
    }


# --- Funds and programs ------------------------------------------------------------------------


class FundOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    restriction = serializers.ChoiceField(choices=Restriction.choices)
    description = serializers.CharField()
    release_on = serializers.DateField(
        allow_null=True,
        help_text="A time-restricted fund's release date: what it still holds with donor "
        "restrictions is released in an entry dated that day. Null for other funds.",
    )
    is_active = serializers.BooleanField()


class FundCreateInput(Input):
    class Meta:
        model = Fund

    code = serializers.CharField(max_length=CODE_MAX_LENGTH)
    name = serializers.CharField(max_length=200)
    restriction = serializers.ChoiceField(choices=Restriction.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    release_on = BooksDateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only for a time-restricted fund: the day its restriction ends.",
    )


class FundUpdateInput(FixedFieldsInput):
    class Meta:
        model = Fund

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    release_on = BooksDateField(
        required=False,
        allow_null=True,
        help_text="Only for a time-restricted fund not yet released; null clears it.",
    )
    is_active = serializers.BooleanField(required=False)

    fixed_fields: ClassVar[FixedFields] = {
        "code": (lambda fund: fund.code, "A fund's code is fixed once it exists."),
        "restriction": (
            lambda fund: fund.restriction,
            "A fund's restriction cannot be changed: it classifies the fund's history. "
            "Create a new fund instead.",
        ),
    }


class ProgramOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()


class ProgramCreateInput(Input):
    class Meta:
        model = Program

    code = serializers.CharField(max_length=CODE_MAX_LENGTH)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ProgramUpdateInput(FixedFieldsInput):
    class Meta:
        model = Program

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)

    fixed_fields: ClassVar[FixedFields] = {
        "code": (lambda program: program.code, "A program's code is fixed once it exists."),
    }


# --- Periods -----------------------------------------------------------------------------------


class PeriodOutput(serializers.Serializer):
    id = serializers.IntegerField()
    fiscal_year = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    state = serializers.ChoiceField(choices=PeriodState.choices)
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.EmailField(source="closed_by.email", allow_null=True)


class PeriodReopenInput(Input):
    class Meta:
        model = None

    reason = serializers.CharField(
        max_length=500,
        help_text="Why the period is reopened (required); kept in the audit log.",
    )


class ClosingItemOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The check's name, as the app that adds it names it.")
    # A field's own `label` attribute is shadowed on purpose: the item's label is its wording.
    label = serializers.CharField()  # type: ignore[assignment]  # a field named `label`
    count = serializers.IntegerField(help_text="How many are open; 0 when the item is done.")
    url = serializers.CharField(
        help_text="The page that settles the items (empty where there is none)."
    )
    action = serializers.CharField(help_text="What to do about the items.")
    blocks = serializers.BooleanField(
        help_text="Whether the period cannot be closed while any of these is open."
    )
    done = serializers.BooleanField()


class PeriodChecklistOutput(serializers.Serializer):
    period = PeriodOutput()
    items = ClosingItemOutput(many=True)


# --- Journal entries ---------------------------------------------------------------------------


def _amount_field(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=help_text,
        error_messages={
            "min_value": "An amount cannot be negative: put it on the other side.",
            "max_decimal_places": "At most two decimal places.",
        },
    )


class LineListInput(serializers.ListSerializer):
    """Errors in the shape the services give them (`fields.lines`): a list with one dict per
    line, {} for a good one, or a list of messages about the lines as a whole."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            detail = error.detail
            if not isinstance(detail, dict):
                raise
            if set(detail) == {api_settings.NON_FIELD_ERRORS_KEY}:
                raise serializers.ValidationError(
                    detail[api_settings.NON_FIELD_ERRORS_KEY]
                ) from None
            # DRF keys a list serializer's item errors by the item's index, not by a name.
            by_line: Mapping[Any, Any] = detail
            raise serializers.ValidationError(
                [by_line.get(index, {}) for index in range(len(data))]
            ) from None


class LineInput(Input):
    class Meta:
        model = JournalLine
        list_serializer_class = LineListInput

    account = serializers.CharField(max_length=CODE_MAX_LENGTH, help_text="An account code.")
    fund = serializers.CharField(max_length=CODE_MAX_LENGTH, help_text="A fund code.")
    debit = _amount_field("Give a debit or a credit, not both; zero or empty means the other.")
    credit = _amount_field("Give a debit or a credit, not both; zero or empty means the other.")
    function = serializers.ChoiceField(
        choices=Function.choices,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Required on expense lines, refused on others.",
    )
    program = serializers.CharField(
        max_length=CODE_MAX_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="A program code: required on program expenses, refused on others.",
    )
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EntryCreateInput(Input):
    class Meta:
        model = JournalEntry

    date = BooksDateField()
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on.
    lines = LineInput(many=True, min_length=2, max_length=1000)  # type: ignore[call-arg]

    # One operation a call: a create that also posts could half-succeed in a client's eyes.
    refused_fields: ClassVar[dict[str, str]] = {
        "post": "Creating an entry makes a draft; post it with "
        "POST /api/v1/accounting/journal-entries/{id}/post/."
    }


class EntryReverseInput(Input):
    class Meta:
        model = JournalEntry

    date = BooksDateField(
        required=False, help_text="The reversal's date; the original's date by default."
    )
    memo = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text='"Reversal of entry N" by default.',
    )


class LineOutput(serializers.Serializer):
    account = serializers.CharField(source="account.code")
    fund = serializers.CharField(source="fund.code")
    net_asset_class = serializers.ChoiceField(choices=NetAssetClass.choices)
    debit = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    function = serializers.ChoiceField(choices=Function.choices, allow_null=True)
    program = serializers.CharField(source="program.code", allow_null=True)
    memo = serializers.CharField()


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True, help_text="Given when the entry is posted.")
    date = serializers.DateField()
    memo = serializers.CharField()
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    source = serializers.ChoiceField(choices=EntrySource.choices)  # type: ignore[assignment]
    source_reference = serializers.CharField()
    state = serializers.ChoiceField(choices=EntryState.choices)
    reverses = serializers.IntegerField(
        source="reverses_id", allow_null=True, help_text="The id of the entry this one reverses."
    )
    reversed_by = serializers.IntegerField(
        source="reversed_by.id", allow_null=True, help_text="The id of the entry reversing this."
    )
    origin = serializers.IntegerField(
        source="origin_id",
        allow_null=True,
        help_text="The id of the entry whose posting generated this one (a release).",
    )
    created_by = serializers.EmailField(source="created_by.email", allow_null=True)
    created_at = serializers.DateTimeField()
    posted_by = serializers.EmailField(source="posted_by.email", allow_null=True)
    posted_at = serializers.DateTimeField(allow_null=True)
    lines = LineOutput(many=True)


# --- Settings ----------------------------------------------------------------------------------


class FiscalYearOutput(serializers.Serializer):
    year = serializers.IntegerField(help_text="Named after the calendar year it ends in.")
    start = serializers.DateField()
    end = serializers.DateField()


class SettingsOutput(serializers.Serializer):
    fiscal_year_start_month = serializers.IntegerField(min_value=1, max_value=12)
    currency = serializers.CharField(read_only=True)
    current_fiscal_year = FiscalYearOutput(read_only=True)


class SettingsUpdateInput(FixedFieldsInput):
    class Meta:
        model = AccountingSettings

    fiscal_year_start_month = serializers.IntegerField(
        min_value=1,
        max_value=12,
        required=False,
        help_text="The month (1-12) the fiscal year starts in; can change only before the "
        "first posting.",
    )

    fixed_fields: ClassVar[FixedFields] = {
        "currency": (
            lambda settings_row: settings_row.currency,
            "The currency is fixed: the books hold amounts in one currency.",
        ),
    }


# --- Budgets -----------------------------------------------------------------------------------


class BudgetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    fiscal_year = serializers.IntegerField(help_text="Named after the calendar year it ends in.")
    starts_on = serializers.DateField(help_text="The first day of its first month.")
    state = serializers.ChoiceField(choices=BudgetState.choices)
    line_count = serializers.IntegerField(help_text="How many lines it budgets.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.EmailField(source="approved_by.email", allow_null=True)


class BudgetLineOutput(serializers.Serializer):
    account = serializers.CharField(source="account.code")
    fund = serializers.CharField(
        source="fund.code", allow_null=True, help_text="A fund code; null for every fund."
    )
    program = serializers.CharField(
        source="program.code", allow_null=True, help_text="A program code; null for every one."
    )
    amounts = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        help_text="The twelve months' amounts, in the order of `months`.",
    )


class BudgetDetailOutput(BudgetOutput):
    months = serializers.SerializerMethodField(
        help_text="The first day of each of its twelve months."
    )
    lines = BudgetLineOutput(many=True, source="lines.all")

    @extend_schema_field(serializers.ListField(child=serializers.DateField()))
    def get_months(self, budget: Budget) -> list[str]:
        return [month.isoformat() for month in budget_months(budget)]


class BudgetCreateInput(Input):
    class Meta:
        model = Budget

    name = serializers.CharField(max_length=200)
    fiscal_year = serializers.IntegerField(
        min_value=1901, max_value=2999, help_text="Named after the calendar year it ends in."
    )


class BudgetLineInput(Input):
    class Meta:
        model = None

    account = serializers.CharField(
        max_length=CODE_MAX_LENGTH, help_text="A revenue or expense account's code."
    )
    fund = serializers.CharField(
        max_length=CODE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    program = serializers.CharField(
        max_length=CODE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="A program code, on an expense account only.",
    )
    amounts = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        min_length=MONTHS_IN_YEAR,
        max_length=MONTHS_IN_YEAR,
        help_text="Twelve amounts, from the fiscal year's first month; negatives are allowed.",
    )


class BudgetLinesInput(Input):
    class Meta:
        model = None

    # drf-stubs lack ListSerializer's length kwargs, which many=True passes on.
    lines = BudgetLineInput(many=True, max_length=2000)  # type: ignore[call-arg]


# --- Reports -----------------------------------------------------------------------------------


class ReportQueryInput(serializers.Serializer):
    as_of = BooksDateField(required=False)
    start = BooksDateField(required=False)
    end = BooksDateField(required=False)
    account = serializers.CharField(max_length=CODE_MAX_LENGTH, required=False)
    fund = serializers.CharField(max_length=CODE_MAX_LENGTH, required=False)
    compare = serializers.ChoiceField(choices=list(COMPARISONS), required=False)
    after = serializers.CharField(max_length=60, required=False)
    size = serializers.IntegerField(min_value=1, max_value=1000, required=False)
