"""Amounts as people write them on a check: the figures in the box ('1,250.00') and the words
on the legal line ('One thousand two hundred fifty and 00/100'), each parsed to a Decimal or to
nothing: a reading that does not parse is never guessed into a number."""

from __future__ import annotations

import difflib
import re
from decimal import Decimal

NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
} | {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
# Words people add that carry no value.
FILLER_WORDS = {"and", "dollars", "dollar", "only", "exactly", "no", "cents"}
VOCABULARY = (*NUMBER_WORDS, *SCALE_WORDS, *FILLER_WORDS)

FIGURES = re.compile(r"^(?P<dollars>\d{1,3}(?:,\d{3})+|\d{1,7})\.(?P<cents>\d{2})$")
FRACTION = re.compile(r"(?P<cents>\d{1,2}|xx|no)\s*/\s*100\b", re.IGNORECASE)


def figures_parse(text: str) -> Decimal | None:
    """'1,250.00', '$ 125.50', '**125.50**' -> Decimal; None when it is not exactly an amount
    with cents (a missing decimal point would be a hundredfold error)."""
    cleaned = re.sub(r"[\s$*]", "", text)
    match = FIGURES.match(cleaned)
    if match is None:
        return None
    dollars = int(match.group("dollars").replace(",", ""))
    return Decimal(dollars) + Decimal(int(match.group("cents"))) / 100


def words_parse(text: str) -> tuple[Decimal | None, bool]:
    """The amount a legal line says, and whether any word had to be taken as its nearest
    number word (a misread letter): the caller lowers its confidence then."""
    lowered = text.lower().replace("-", " ").replace("~", " ")
    fraction = FRACTION.search(lowered)
    if fraction is None:
        return None, False
    cents_text = fraction.group("cents")
    cents = int(cents_text) if cents_text.isdigit() else 0
    words = re.findall(r"[a-z]+", lowered[: fraction.start()])
    corrected = False
    total = 0
    group = 0
    seen_number = False
    for raw in words:
        word = raw
        if word not in VOCABULARY:
            nearest = difflib.get_close_matches(word, VOCABULARY, n=1, cutoff=0.75)
            if not nearest:
                return None, corrected
            word, corrected = nearest[0], True
        if word in FILLER_WORDS:
            continue
        if word in NUMBER_WORDS:
            group += NUMBER_WORDS[word]
            seen_number = True
        elif word == "hundred":
            group = (group or 1) * 100
            seen_number = True
        else:
            total += (group or 1) * SCALE_WORDS[word]
            group = 0
            seen_number = True
    if not seen_number:
        return None, corrected
    return Decimal(total + group) + Decimal(cents) / 100, corrected
