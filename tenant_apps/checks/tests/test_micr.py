"""The MICR line: glyphs matched from their E-13B geometry, the line parsed into routing, account
and check number, the routing number held to its check digit."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tenant_apps.checks.reading.e13b import CHARACTERS, GLYPH_ROWS, glyph, glyph_mask
from tenant_apps.checks.reading.images import check_level, image_decode, rules_removed
from tenant_apps.checks.reading.micr import (
    CharacterMatch,
    characters_match,
    micr_parse,
    micr_read,
    routing_number_valid,
)
from tenant_apps.checks.tests.check_images import CheckVariation, check_generate


def matches_of(text: str, *, weak_at: int | None = None) -> list[CharacterMatch]:
    return [
        CharacterMatch(
            character=character,
            left=index * 30,
            score=0.5 if index == weak_at else 0.9,
            runner_up=0.45 if index == weak_at else 0.6,
        )
        for index, character in enumerate(text)
    ]


def test_the_fourteen_glyphs_are_distinct_shapes_on_the_grid() -> None:
    assert len(CHARACTERS) == 14
    shapes = {
        glyph(character).cells.tobytes() + bytes([len(GLYPH_ROWS[character][0])])
        for character in CHARACTERS
    }
    assert len(shapes) == 14
    assert all(glyph(character).cells.shape[0] == 9 for character in CHARACTERS)
    # At 300 dpi a grid square is 3.9 pixels: a 0 is six squares wide and nine high.
    assert glyph_mask("0", unit_pixels=3.9).shape == (35, 23)


@pytest.mark.parametrize(
    ("routing", "valid"),
    [
        ("011000015", True),
        ("021000021", True),
        ("011000016", False),  # one digit wrong
        ("101000015", False),  # two digits swapped
        ("01100001", False),
        ("00000000a", False),
        ("000000000", False),
    ],
)
def test_routing_numbers_are_held_to_the_aba_check_digit(routing: str, valid: bool) -> None:
    assert routing_number_valid(routing) is valid


def test_a_personal_check_line_gives_account_then_check_number() -> None:
    reading = micr_parse(matches_of("T021000021T123D4567U1042"))
    assert reading.routing_number.value == "021000021"
    assert not reading.routing_number.flagged
    assert reading.account_number.value == "123-4567"
    assert reading.check_number.value == "1042"
    assert not reading.check_number.flagged
    assert reading.encoded_amount.value is None


def test_a_business_check_line_gives_the_check_number_from_the_auxiliary_field() -> None:
    reading = micr_parse(matches_of("U004512UT021000021T987654321UA0000012550A"))
    assert reading.check_number.value == "004512"
    assert reading.routing_number.value == "021000021"
    assert reading.account_number.value == "987654321"
    assert reading.encoded_amount.value == Decimal("125.50")


def test_a_routing_number_that_fails_its_check_digit_is_flagged_not_trusted() -> None:
    reading = micr_parse(matches_of("T021000012T123456U1042"))
    assert reading.routing_number.value == "021000012"
    assert reading.routing_number.flagged
    assert "check digit" in reading.routing_number.reason


def test_a_doubtful_character_flags_its_field_and_only_its_field() -> None:
    reading = micr_parse(matches_of("T021000021T123456U1042", weak_at=19))
    assert reading.check_number.flagged
    assert reading.check_number.confidence < 0.6
    assert not reading.routing_number.flagged
    assert not reading.account_number.flagged


def test_a_line_without_two_transit_symbols_reads_nothing() -> None:
    reading = micr_parse(matches_of("021000021123456U1042"))
    assert reading.routing_number.value is None
    assert reading.routing_number.flagged
    assert "transit" in reading.routing_number.reason


def test_each_glyph_drawn_is_read_back_as_itself() -> None:
    unit = 2.6
    line = np.zeros((60, 40 * len(CHARACTERS)), dtype=np.uint8)
    for index, character in enumerate(CHARACTERS):
        mask = glyph_mask(character, unit_pixels=unit)
        line[15 : 15 + mask.shape[0], index * 40 + 8 : index * 40 + 8 + mask.shape[1]] = mask
    read = characters_match(line, unit_pixels=unit)
    assert "".join(match.character for match in read) == "".join(CHARACTERS)


@pytest.mark.parametrize(
    "variation",
    [
        CheckVariation(
            dpi=200, skew_degrees=4.8, noise_sigma=8.0, blur_radius=1.0, jpeg_quality=50
        ),
        CheckVariation(dpi=300, skew_degrees=-3.5, noise_sigma=12.0, jpeg_quality=70),
    ],
    ids=["200dpi-tilted-blurred-jpeg", "300dpi-tilted-noisy"],
)
@pytest.mark.parametrize("seed", [5, 8])
def test_scanned_checks_micr_lines_are_read(variation: CheckVariation, seed: int) -> None:
    generated = check_generate(seed, variation=variation)
    level = check_level(image_decode(generated.image_bytes))
    reading = micr_read(rules_removed(level.ink))
    assert reading.routing_number.value == generated.truth.routing_number
    assert reading.account_number.value == generated.truth.account_number
    assert reading.check_number.value == generated.truth.check_number
    assert not reading.routing_number.flagged
    assert level.skew_degrees == pytest.approx(-variation.skew_degrees, abs=0.3)


def test_a_page_without_a_micr_line_reads_no_routing_number() -> None:
    page = np.zeros((500, 1200), dtype=np.uint8)
    page[100:130, 100:1100] = 255  # a thick bar, nothing like a glyph
    reading = micr_read(page)
    assert reading.routing_number.value is None
    assert reading.routing_number.flagged
