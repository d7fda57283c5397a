"""Reading the MICR line: the E-13B glyphs found by normalised correlation with templates drawn
from their geometry (e13b.py), then the line parsed into its fields and the routing number
checked by the ABA check digit. Each field's confidence is that of its weakest character."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import cv2
import numpy as np
import numpy.typing as npt

from tenant_apps.checks.reading.e13b import (
    CHARACTER_HEIGHT_UNITS,
    CHARACTER_PITCH_INCH,
    CHARACTERS,
    GRID_INCH,
    Symbol,
    glyph_cell_mask,
)
from tenant_apps.checks.reading.fields import FieldReading, MicrReading, micr_unread
from tenant_apps.checks.reading.images import GreyImage, TextBand, text_bands

# A correlation below this is not a character at all (noise, a signature's tail).
MATCH_FLOOR = 0.45
ROUTING_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


@dataclass(frozen=True)
class CharacterMatch:
    character: str
    left: int  # pixels from the left of the strip
    score: float  # normalised correlation with the template, -1 to 1
    runner_up: float  # the best other character's correlation at the same place

    @property
    def confidence(self) -> float:
        # Strong correlation is not enough if another glyph correlates almost as well.
        strength = (self.score - MATCH_FLOOR) / (0.8 - MATCH_FLOOR)
        margin = (self.score - self.runner_up) / 0.08
        return max(0.0, min(1.0, strength, margin))


def routing_number_valid(routing: str) -> bool:
    """The ABA check digit: 3, 7, 1 weights over the nine digits sum to a multiple of 10."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(routing, ROUTING_WEIGHTS, strict=True))
    return total % 10 == 0 and routing != "000000000"


def characters_match(strip: GreyImage, *, unit_pixels: float) -> list[CharacterMatch]:
    """The glyphs on a strip of ink (255 = ink) one MICR line high, left to right."""
    template_height, template_width = glyph_cell_mask("0", unit_pixels=unit_pixels).shape
    if strip.shape[0] < template_height or strip.shape[1] < template_width:
        return []
    source = strip.astype(np.float32)
    scores: npt.NDArray[np.float32] = np.stack(
        [
            cv2.matchTemplate(
                source,
                glyph_cell_mask(character, unit_pixels=unit_pixels).astype(np.float32),
                cv2.TM_CCOEFF_NORMED,
            ).max(axis=0)
            for character in CHARACTERS
        ]
    )
    scores = np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    order = np.argsort(scores, axis=0)
    best_index, second_index = order[-1], order[-2]
    columns = np.arange(scores.shape[1])
    best, second = scores[best_index, columns], scores[second_index, columns]
    # A glyph is taken where its correlation peaks; no two glyphs closer than most of a cell.
    spacing = round(template_width * 0.75)
    taken = np.zeros(scores.shape[1], dtype=bool)
    matches: list[CharacterMatch] = []
    for left in np.argsort(-best):
        if best[left] < MATCH_FLOOR:
            break
        if taken[max(0, left - spacing) : left + spacing + 1].any():
            continue
        taken[left] = True
        neighbourhood = slice(max(0, left - 1), left + 2)
        runner_up = max(
            float(second[left]),
            float(_other_best(scores, neighbourhood, int(best_index[left]))),
        )
        matches.append(
            CharacterMatch(
                character=CHARACTERS[int(best_index[left])],
                left=int(left),
                score=float(best[left]),
                runner_up=runner_up,
            )
        )
    return sorted(matches, key=lambda match: match.left)


def _other_best(scores: npt.NDArray[np.floating], columns: slice, character_index: int) -> float:
    others = np.delete(scores[:, columns], character_index, axis=0)
    return float(others.max()) if others.size else 0.0


def line_text(matches: list[CharacterMatch], *, pitch_pixels: float) -> str:
    """The characters with a space wherever a whole character position is empty."""
    text = ""
    for previous, match in zip([None, *matches], matches, strict=False):
        if previous is not None:
            gap = round((match.left - previous.left) / pitch_pixels) - 1
            text += " " * max(0, min(gap, 3))
        text += match.character
    return text


@dataclass(frozen=True)
class _Field:
    text: str
    confidence: float


def micr_parse(matches: list[CharacterMatch]) -> MicrReading:
    """Routing number between the two transit symbols; the check number in the auxiliary on-us
    field (business checks, left of the routing number) or after the account's on-us symbol
    (personal checks); the account number before that on-us symbol."""
    characters = "".join(match.character for match in matches)
    line = characters
    transits = [index for index, character in enumerate(characters) if character == Symbol.TRANSIT]
    if len(transits) < 2:
        reading = micr_unread("The MICR line has no routing number between transit symbols.")
        return MicrReading(
            line=line,
            routing_number=reading.routing_number,
            account_number=reading.account_number,
            check_number=reading.check_number,
            encoded_amount=reading.encoded_amount,
        )

    def field_of(start: int, end: int) -> _Field:
        # The delimiting symbols count: a field whose end symbol is doubtful is doubtful.
        around = matches[max(0, start - 1) : min(len(matches), end + 1)]
        confidence = min((match.confidence for match in around), default=0.0)
        return _Field(text=characters[start:end], confidence=confidence)

    first, second = transits[0], transits[1]
    routing = field_of(first + 1, second)
    auxiliary = _auxiliary_on_us(characters[:first])
    rest_start = second + 1
    amount_at = characters.find(Symbol.AMOUNT, rest_start)
    rest_end = amount_at if amount_at >= 0 else len(characters)
    on_us = [index for index in range(rest_start, rest_end) if characters[index] == Symbol.ON_US]
    if auxiliary is not None:
        check = field_of(auxiliary[0], auxiliary[1])
        account_end = on_us[0] if on_us else rest_end
        account = field_of(rest_start, account_end)
    elif on_us:
        account = field_of(rest_start, on_us[0])
        next_on_us = on_us[1] if len(on_us) > 1 else rest_end
        check = field_of(on_us[0] + 1, next_on_us)
    else:
        account = field_of(rest_start, rest_end)
        check = _Field(text="", confidence=0.0)
    return MicrReading(
        line=line,
        routing_number=_routing_reading(routing),
        account_number=_account_reading(account),
        check_number=_digits_reading(check, name="check number"),
        encoded_amount=_encoded_amount(matches, characters, amount_at),
    )


def _auxiliary_on_us(before_routing: str) -> tuple[int, int] | None:
    symbols = [index for index, character in enumerate(before_routing) if character == "U"]
    if len(symbols) >= 2:
        return symbols[-2] + 1, symbols[-1]
    return None


def _routing_reading(routing: _Field) -> FieldReading[str]:
    if not routing.text.isdigit() or len(routing.text) != 9:
        return FieldReading.read(
            routing.text, confidence=0.0, doubt="The routing number is not nine digits."
        )
    if not routing_number_valid(routing.text):
        return FieldReading.read(
            routing.text,
            confidence=min(routing.confidence, 0.3),
            doubt="The routing number fails its check digit.",
        )
    return FieldReading.read(routing.text, confidence=routing.confidence)


def _account_reading(account: _Field) -> FieldReading[str]:
    text = account.text.replace(Symbol.DASH, "-")
    if not text.replace("-", "").isdigit():
        return FieldReading.read(
            text, confidence=0.0, doubt="The account number holds characters other than digits."
        )
    return FieldReading.read(text, confidence=account.confidence)


def _digits_reading(field: _Field, *, name: str) -> FieldReading[str]:
    if not field.text:
        return FieldReading.missing(f"No {name} on the MICR line.")
    if not field.text.isdigit():
        return FieldReading.read(
            field.text, confidence=0.0, doubt=f"The {name} holds characters other than digits."
        )
    return FieldReading.read(field.text, confidence=field.confidence)


def _encoded_amount(
    matches: list[CharacterMatch], characters: str, amount_at: int
) -> FieldReading[Decimal]:
    if amount_at < 0:
        return FieldReading.missing("No amount encoded on the MICR line.")
    end = characters.find(Symbol.AMOUNT, amount_at + 1)
    digits = characters[amount_at + 1 : end] if end > 0 else ""
    if len(digits) != 10 or not digits.isdigit():
        return FieldReading.missing("The encoded amount is not ten digits.")
    confidence = min(match.confidence for match in matches[amount_at : end + 1])
    return FieldReading.read(Decimal(digits) / 100, confidence=confidence)


def micr_read(ink: GreyImage) -> MicrReading:
    """The MICR line of a level, cropped check (255 = ink): the lowest text lines are tried,
    bottom up, at the scale their height gives and a little either side."""
    bands = [band for band in text_bands(ink) if band.height >= 12]
    best: MicrReading | None = None
    best_score = -1.0
    for band in reversed(bands[-3:]):
        for reading, score in _band_readings(ink, band):
            if score > best_score:
                best, best_score = reading, score
        if best is not None and not best.routing_number.flagged:
            break
    if best is None or best_score <= 0:
        return micr_unread("No MICR line found: this does not look like the front of a check.")
    return best


def _band_readings(ink: GreyImage, band: TextBand) -> list[tuple[MicrReading, float]]:
    readings = []
    # Blur and ink spread make a line look taller than its 9 grid squares, rarely shorter.
    base_unit = band.height / CHARACTER_HEIGHT_UNITS
    for factor in (0.9, 0.94, 0.98, 1.02):
        unit = base_unit * factor
        pad = round(unit * 1.5)
        strip = ink[max(0, band.top - pad) : band.bottom + pad]
        strip = np.pad(strip, ((0, 0), (round(unit * 2), round(unit * 2))))
        matches = characters_match(strip, unit_pixels=unit)
        if len(matches) < 11:
            continue
        reading = micr_parse(matches)
        pitch = CHARACTER_PITCH_INCH / GRID_INCH * unit
        reading = MicrReading(
            line=line_text(matches, pitch_pixels=pitch),
            routing_number=reading.routing_number,
            account_number=reading.account_number,
            check_number=reading.check_number,
            encoded_amount=reading.encoded_amount,
        )
        score = float(np.mean([match.score for match in matches]))
        if not reading.routing_number.flagged:
            score += 1.0
        readings.append((reading, score))
    return readings
