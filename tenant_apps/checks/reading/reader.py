"""Reading one scanned check, front side: `check_read(image_bytes) -> CheckReading`. Any file
gives a result, never an exception: a blank page, a photo of something else or a damaged file
gives a result whose `error` says so in words."""

from __future__ import annotations

import datetime
import logging
import re
from decimal import Decimal

import cv2
import numpy as np

from tenant_apps.checks.reading.amounts import figures_parse, words_parse
from tenant_apps.checks.reading.fields import CheckReading, FieldReading
from tenant_apps.checks.reading.images import (
    CheckImageError,
    GreyImage,
    LevelledCheck,
    check_level,
    image_decode,
    image_is_blank,
    rules_removed,
)
from tenant_apps.checks.reading.layout import mosaic, regions_find
from tenant_apps.checks.reading.micr import micr_read
from tenant_apps.checks.reading.ocr import (
    OcrUnavailableError,
    Word,
    line_text,
    lines_group,
    mean_confidence,
    words_read,
)

logger = logging.getLogger(__name__)

COURTESY_CONFIG = "--psm 7 -c tessedit_char_whitelist=0123456789.,$*"
COURTESY_HEIGHT_PIXELS = 64
TEXT_CONFIG = "--psm 11"
# Below this Tesseract's word is usually a speck or a scrap of a rule line, not text.
WORD_CONFIDENCE_FLOOR = 0.3
MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def check_read(image_bytes: bytes) -> CheckReading:
    try:
        return _check_read(image_bytes)
    except CheckImageError as error:
        return CheckReading.failed(str(error))
    except OcrUnavailableError:
        logger.exception("Tesseract failed while reading a check")
        return CheckReading.failed("Text recognition is not available; try again later.")
    except Exception:
        # A reading failure must reach the person as a message on that check, not as an
        # error that stops the rest of the deposit.
        logger.exception("Reading a check failed")
        return CheckReading.failed("The check could not be read.")


def _check_read(image_bytes: bytes) -> CheckReading:
    grey = image_decode(image_bytes)
    if image_is_blank(grey):
        return CheckReading.failed("The page is blank: nothing is printed or written on it.")
    level = check_level(grey)
    text_ink = rules_removed(level.ink)
    micr = micr_read(text_ink)
    if micr.routing_number.value is None:
        # A check fed into the scanner upside down has its MICR line along the top.
        turned = LevelledCheck(
            grey=np.ascontiguousarray(level.grey[::-1, ::-1]),
            ink=np.ascontiguousarray(level.ink[::-1, ::-1]),
            skew_degrees=level.skew_degrees,
        )
        turned_ink = rules_removed(turned.ink)
        turned_micr = micr_read(turned_ink)
        if turned_micr.routing_number.value is not None:
            level, text_ink, micr = turned, turned_ink, turned_micr
    regions = regions_find(level.grey, level.ink, text_ink)
    if micr.routing_number.value is None and regions.courtesy is None:
        return CheckReading.failed(
            "No check found in the image: it has neither a MICR line nor an amount box."
        )
    courtesy = courtesy_amount_read(regions.courtesy)
    image, offsets = mosaic([regions.legal, regions.upper, regions.lower])
    words = words_read(image, config=TEXT_CONFIG)
    legal_words, upper_words, lower_words = words_split(
        words, offsets, [regions.legal, regions.upper, regions.lower]
    )
    legal = legal_amount_read(legal_words)
    name, address = payer_read(upper_words, width=regions.width)
    return CheckReading(
        error=None,
        micr=micr,
        courtesy_amount=courtesy,
        legal_amount=legal,
        amount=amounts_reconcile(courtesy, legal),
        check_date=date_read(upper_words),
        payer_name=name,
        payer_address=address,
        memo=memo_read(lower_words),
        skew_degrees=level.skew_degrees,
    )


def words_split(
    words: list[Word], offsets: list[int], parts: list[GreyImage | None]
) -> list[list[Word]]:
    split: list[list[Word]] = [[] for _ in parts]
    for word in words:
        for index, (offset, part) in enumerate(zip(offsets, parts, strict=True)):
            if part is not None and offset >= 0 and offset <= word.middle_y < offset + len(part):
                split[index].append(word)
    return split


def courtesy_amount_read(courtesy: GreyImage | None) -> FieldReading[Decimal]:
    if courtesy is None or not courtesy.size:
        return FieldReading.missing("No amount box found.")
    # Figures read most reliably at a fixed height, binarised (measured on the bench corpus:
    # the grey crop as scanned misread one check in ten), with some white around them.
    scale = COURTESY_HEIGHT_PIXELS / courtesy.shape[0]
    resized = cv2.resize(courtesy, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(resized, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    padded = np.pad(np.asarray(binary, dtype=np.uint8), 12, constant_values=255)
    words = words_read(padded, config=COURTESY_CONFIG)
    text = "".join(word.text for word in words)
    amount = figures_parse(text)
    if amount is None:
        return FieldReading.missing(f"The amount in figures could not be read ({text or 'blank'}).")
    return FieldReading.read(amount, confidence=mean_confidence(words))


def legal_amount_read(words: list[Word]) -> FieldReading[Decimal]:
    kept = []
    for word in sorted(words, key=lambda word: word.left):
        if word.text.lower().startswith("doll"):
            break
        kept.append(word)
    if not kept:
        return FieldReading.missing("No amount in words found.")
    amount, corrected = words_parse(" ".join(word.text for word in kept))
    if amount is None:
        return FieldReading.missing("The amount in words could not be read.")
    confidence = mean_confidence(kept) * (0.7 if corrected else 1.0)
    return FieldReading.read(amount, confidence=confidence)


def amounts_reconcile(
    courtesy: FieldReading[Decimal], legal: FieldReading[Decimal]
) -> FieldReading[Decimal]:
    """The amount of the check: trusted only when the figures and the words agree. The legal
    amount is the one that binds, but the figures are what people check, so a disagreement is
    for a person to settle."""
    if courtesy.value is not None and legal.value is not None:
        if courtesy.value == legal.value:
            return FieldReading.read(
                courtesy.value, confidence=max(courtesy.confidence, legal.confidence)
            )
        return FieldReading.read(
            courtesy.value,
            confidence=min(courtesy.confidence, legal.confidence) / 2,
            doubt=f"The amount in figures (${courtesy.value:,.2f}) and in words "
            f"(${legal.value:,.2f}) differ.",
        )
    if courtesy.value is not None:
        return FieldReading.read(
            courtesy.value,
            confidence=courtesy.confidence,
            doubt="Only the amount in figures could be read.",
        )
    if legal.value is not None:
        return FieldReading.read(
            legal.value,
            confidence=legal.confidence,
            doubt="Only the amount in words could be read.",
        )
    return FieldReading.missing("Neither the amount in figures nor in words could be read.")


NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")
WORDED_DATE = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def date_read(words: list[Word]) -> FieldReading[datetime.date]:
    for line in lines_group(words):
        text = line_text(line)
        found = _date_parse(text)
        if found is not None:
            used = [word for word in line if any(char.isdigit() for char in word.text)]
            return FieldReading.read(found, confidence=mean_confidence(used))
    return FieldReading.missing("No date found.")


def _date_parse(text: str) -> datetime.date | None:
    numeric = NUMERIC_DATE.search(text)
    try:
        if numeric:
            month, day, year = (int(part) for part in numeric.groups())
            return datetime.date(year + 2000 if year < 100 else year, month, day)
        worded = WORDED_DATE.search(text)
        if worded:
            month_name = worded.group(1).lower()
            named_month = next(
                (number for name, number in MONTHS.items() if name.startswith(month_name[:3])),
                None,
            )
            if named_month is not None:
                return datetime.date(int(worded.group(3)), named_month, int(worded.group(2)))
    except ValueError:
        return None
    return None


def payer_read(words: list[Word], *, width: int) -> tuple[FieldReading[str], FieldReading[str]]:
    """The printed block at the top left: the first line the name, the next two the address."""
    left_words = [
        word
        for word in words
        if word.left < width * 0.5 and _is_text(word) and word.confidence >= WORD_CONFIDENCE_FLOOR
    ]
    lines = lines_group(left_words)[:3]
    if not lines:
        missing: FieldReading[str] = FieldReading.missing("No payer's name found.")
        return missing, FieldReading.missing("No payer's address found.")
    name = FieldReading.read(line_text(lines[0]), confidence=mean_confidence(lines[0]))
    if len(lines) < 2:
        return name, FieldReading.missing("No payer's address found.")
    address_words = [word for line in lines[1:] for word in line]
    address = FieldReading.read(
        ", ".join(line_text(line) for line in lines[1:]),
        confidence=mean_confidence(address_words),
    )
    return name, address


def memo_read(words: list[Word]) -> FieldReading[str]:
    for line in lines_group([word for word in words if _is_text(word)]):
        label = line[0].text.lower().strip(":")
        if label in {"memo", "meno", "mem0", "for"} and len(line) > 1:
            rest = line[1:]
            return FieldReading.read(line_text(rest), confidence=mean_confidence(rest))
    return FieldReading.missing("No memo found.")


def _is_text(word: Word) -> bool:
    return any(char.isalnum() for char in word.text)
