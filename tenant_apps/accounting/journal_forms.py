"""The forms of the journal pages: the list's filters, an entry's lines (any number of them, with
account and fund typed or picked from suggestions), the per-fund totals the form shows, and the
reversal's date. What a line may hold is decided by the entry services; these forms only read
what was typed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms

from saas_platform.lib.filters import code_filter
from saas_platform.lib.formatting import money
from tenant_apps.accounting import selectors
from tenant_apps.accounting.models import (
    Account,
    AccountType,
    EntrySource,
    EntryState,
    Function,
    Fund,
)
from tenant_apps.accounting.services.lines import LineSpec

MAX_LINES = 200


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class JournalFilterForm(forms.Form):
    start = forms.DateField(label="Dated from", required=False, widget=_date_input())
    end = forms.DateField(label="Dated to", required=False, widget=_date_input())
    account = code_filter("Account", Account.objects.order_by("code"))
    fund = code_filter("Fund", Fund.objects.order_by("code"))
    state = forms.ChoiceField(
        label="State", choices=[("", "Any"), *EntryState.choices], required=False
    )
    source = forms.ChoiceField(
        label="Source", choices=[("", "Any"), *EntrySource.choices], required=False
    )
    text = forms.CharField(label="Memo or number", required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        return cleaned

    def filters(self) -> selectors.JournalFilters:
        """The selector's criteria; a form with errors selects nothing it could not read."""
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.JournalFilters(
            start=data.get("start"),
            end=data.get("end"),
            account=data.get("account"),
            fund=data.get("fund"),
            state=data.get("state") or None,
            source=data.get("source") or None,
            text=data.get("text", ""),
        )


def _code_of(value: str) -> str:
    """An account or fund as typed or picked ("1010 Operating cash"): its code, the first word."""
    return value.strip().split(" ", 1)[0] if value.strip() else ""


class EntryForm(forms.Form):
    date = forms.DateField(label="Date", widget=_date_input())
    memo = forms.CharField(
        label="Memo",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class LineForm(forms.Form):
    account = forms.CharField(
        label="Account",
        max_length=220,
        required=False,
        widget=forms.TextInput(
            attrs={"list": "account-choices", "autocomplete": "off", "data-line": "account"}
        ),
    )
    fund = forms.CharField(
        label="Fund",
        max_length=220,
        required=False,
        widget=forms.TextInput(
            attrs={"list": "fund-choices", "autocomplete": "off", "data-line": "fund"}
        ),
    )
    function = forms.ChoiceField(
        label="Function",
        required=False,
        choices=[("", "None (not an expense)"), *Function.choices],
    )
    program = forms.ChoiceField(label="Program", required=False)
    debit = forms.DecimalField(
        label="Debit",
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-line": "debit"}),
    )
    credit = forms.DecimalField(
        label="Credit",
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-line": "credit"}),
    )
    memo = forms.CharField(label="Line memo", max_length=500, required=False)

    def __init__(self, *args: Any, programs: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["program"]).choices = [("", "None"), *programs]

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(
            data.get(name) for name in ("account", "fund", "function", "program", "debit", "credit")
        )

    def spec(self) -> LineSpec:
        data = self.cleaned_data
        return LineSpec(
            account=_code_of(data["account"]),
            fund=_code_of(data["fund"]),
            debit=data["debit"],
            credit=data["credit"],
            function=data["function"] or None,
            program=data["program"] or None,
            memo=data["memo"],
        )


# Django's BaseFormSet is generic only to the type checker (django-stubs), not at run time.
if TYPE_CHECKING:
    _LineFormSetBase = forms.BaseFormSet[LineForm]
else:
    _LineFormSetBase = forms.BaseFormSet


class BaseLineFormSet(_LineFormSetBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.programs = [
            (program.code, f"{program.code} {program.name}")
            for program in selectors.program_list().filter(is_active=True)
        ]
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "programs": self.programs}

    def specs(self) -> list[LineSpec]:
        return [form.spec() for form in self.forms if not form.is_blank()]


def line_formset(
    data: Any = None, *, initial: list[dict[str, Any]] | None = None, rows: int = 2
) -> BaseLineFormSet:
    """The lines of the form: those given, then blank rows up to `rows`."""
    initial = initial or []
    formset_class = forms.formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=max(rows - len(initial), 0),
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
        validate_max=True,
    )
    return cast(BaseLineFormSet, formset_class(data, initial=initial, prefix="lines"))


def line_initial(entry_lines: Any) -> list[dict[str, Any]]:
    """A saved entry's (or template's) lines as the form shows them."""
    return [
        {
            "account": f"{line.account.code} {line.account.name}",
            "fund": f"{line.fund.code} {line.fund.name}",
            "function": line.function or "",
            "program": line.program.code if line.program else "",
            "debit": line.debit or None,
            "credit": line.credit or None,
            "memo": line.memo,
        }
        for line in entry_lines
    ]


# --- The totals per fund ------------------------------------------------------------------


@dataclass(frozen=True)
class FundTotal:
    fund: str
    debits: Decimal
    credits: Decimal

    @property
    def difference(self) -> Decimal:
        return self.debits - self.credits


def fund_totals(specs: list[LineSpec]) -> list[FundTotal]:
    """Debits and credits of the typed lines, fund by fund, in the order the funds appear."""
    debits: dict[str, Decimal] = defaultdict(Decimal)
    credits: dict[str, Decimal] = defaultdict(Decimal)
    for spec in specs:
        debits[spec.fund] += Decimal(spec.debit or 0)
        credits[spec.fund] += Decimal(spec.credit or 0)
    return [FundTotal(fund, debits[fund], credits[fund]) for fund in debits]


def imbalance_message(totals: list[FundTotal]) -> str | None:
    """What keeps the entry from balancing, fund by fund, with the difference; None when each
    fund balances."""
    off = [total for total in totals if total.difference]
    if not off:
        return None
    described = "; ".join(
        f"fund {total.fund or '(none)'} is out of balance by {money(abs(total.difference))} "
        f"(debits {money(total.debits)}, credits {money(total.credits)})"
        for total in off
    )
    return (
        f"The entry does not balance: {described}. Each fund balances on its own; "
        "nothing was saved."
    )


# --- The pickers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    is_expense: bool = False


def account_choices() -> list[Choice]:
    """The accounts a line can post to: active ones without sub-accounts."""
    accounts = list(selectors.account_list())
    parents = {account.parent_id for account in accounts}
    return [
        Choice(f"{account.code} {account.name}", account.type == AccountType.EXPENSE)
        for account in accounts
        if account.is_active and account.pk not in parents
    ]


def fund_choices() -> list[Choice]:
    return [
        Choice(f"{fund.code} {fund.name}") for fund in selectors.fund_list().filter(is_active=True)
    ]


class ReverseForm(forms.Form):
    date = forms.DateField(
        label="Reversal date",
        widget=_date_input(),
        help_text="On or after the entry's own date.",
    )
    memo = forms.CharField(label="Reason", max_length=500, required=False)
