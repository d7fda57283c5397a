"""Amounts in figures and in words, parsed to exactly the amount or to nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenant_apps.checks.reading.amounts import figures_parse, words_parse
from tenant_apps.checks.reading.fields import FieldReading
from tenant_apps.checks.reading.reader import amounts_reconcile


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("125.50", Decimal("125.50")),
        ("$ 1,250.00", Decimal("1250.00")),
        ("**42.07**", Decimal("42.07")),
        ("12550", None),  # no decimal point: a hundredfold error if guessed
        ("1,25.50", None),
        ("12.5", None),
        ("", None),
        ("S12.50", None),
    ],
)
def test_figures_parse_to_the_amount_or_nothing(text: str, amount: Decimal | None) -> None:
    assert figures_parse(text) == amount


@pytest.mark.parametrize(
    ("text", "amount", "corrected"),
    [
        ("One hundred twenty-five and 50/100", Decimal("125.50"), False),
        ("Seven and 05/100", Decimal("7.05"), False),
        ("Two thousand and 00/100 dollars", Decimal("2000.00"), False),
        ("Nine thousand nineteen and 99/100", Decimal("9019.99"), False),
        ("Eight thousand seven hundred and 35/100 ~~~~~", Decimal("8700.35"), False),
        ("Twelve hundred fifty and xx/100", Decimal("1250.00"), False),
        ("One hundred twentv-five and 50/100", Decimal("125.50"), True),
    ],
)
def test_words_parse_to_the_amount(text: str, amount: Decimal, corrected: bool) -> None:
    assert words_parse(text) == (amount, corrected)


@pytest.mark.parametrize(
    "text",
    ["One hundred twenty-five", "Pay to the order of and 50/100", "Gala tickets", "and 50/100"],
)
def test_words_that_are_not_an_amount_parse_to_nothing(text: str) -> None:
    assert words_parse(text)[0] is None


def test_amounts_that_agree_are_trusted() -> None:
    amount = amounts_reconcile(
        FieldReading.read(Decimal("125.50"), confidence=0.9),
        FieldReading.read(Decimal("125.50"), confidence=0.8),
    )
    assert (amount.value, amount.flagged) == (Decimal("125.50"), False)


def test_amounts_that_disagree_are_flagged_with_both_figures() -> None:
    amount = amounts_reconcile(
        FieldReading.read(Decimal("125.50"), confidence=0.95),
        FieldReading.read(Decimal("152.50"), confidence=0.95),
    )
    assert amount.flagged
    assert "$125.50" in amount.reason and "$152.50" in amount.reason


def test_an_amount_read_only_once_is_flagged_however_clear() -> None:
    amount = amounts_reconcile(
        FieldReading.read(Decimal("125.50"), confidence=0.99),
        FieldReading.missing("The amount in words could not be read."),
    )
    assert amount.value == Decimal("125.50")
    assert amount.flagged
    assert amount.reason == "Only the amount in figures could be read."
