"""The generated checks are what the reading tests and the bench measure against, so they must
be what they say: the truth consistent, the drawing where a check has it, a seed always giving
the same image."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image

from tenant_apps.checks.reading.e13b import CHARACTER_HEIGHT_UNITS, GRID_INCH
from tenant_apps.checks.tests.check_images import (
    CHECK_HEIGHT_INCH,
    CheckVariation,
    amount_in_words,
    check_generate,
    routing_number_with_check_digit,
)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (Decimal("125.50"), "One hundred twenty-five and 50/100"),
        (Decimal("7.05"), "Seven and 05/100"),
        (Decimal("2000.00"), "Two thousand and 00/100"),
        (Decimal("9019.99"), "Nine thousand nineteen and 99/100"),
        (Decimal("310.00"), "Three hundred ten and 00/100"),
    ],
)
def test_amounts_are_written_the_way_people_write_them(amount: Decimal, words: str) -> None:
    assert amount_in_words(amount) == words


def test_routing_numbers_carry_the_aba_check_digit() -> None:
    # 011000015 is the Federal Reserve Bank of Boston's routing number.
    assert routing_number_with_check_digit("01100001") == "011000015"


def test_a_seed_always_draws_the_same_check() -> None:
    first, again, other = check_generate(5), check_generate(5), check_generate(6)
    assert first.image_bytes == again.image_bytes
    assert first.truth == again.truth
    assert first.truth != other.truth


def test_the_micr_line_is_printed_in_the_clear_band_at_its_height() -> None:
    generated = check_generate(
        21, variation=CheckVariation(dpi=200, paper_grey=255, printed_font="DejaVuSans.ttf")
    )
    image = Image.open(io.BytesIO(generated.image_bytes))
    assert image.info["dpi"] == pytest.approx((200, 200), abs=0.5)
    pixels = np.asarray(image.convert("L"))
    margin = round(0.15 * 200)
    check = pixels[margin:-margin, margin:-margin]
    assert check.shape[0] == round(CHECK_HEIGHT_INCH * 200)
    # The bottom 5/8 inch holds nothing but the MICR line (and the border).
    band = check[-round(0.625 * 200) : -16, 16:-16] < 128
    inked_rows = np.flatnonzero(band.any(axis=1))
    height_inch = (inked_rows[-1] - inked_rows[0] + 1) / 200
    assert height_inch == pytest.approx(CHARACTER_HEIGHT_UNITS * GRID_INCH, abs=0.011)
    # One block per character on the line (a symbol of several pieces counts once per piece).
    assert band.any(axis=0).sum() > 20 * 0.05 * 200


def test_variations_cover_both_resolutions_skews_and_formats() -> None:
    variations = [check_generate(seed).variation for seed in range(30)]
    assert {variation.dpi for variation in variations} == {200, 300}
    assert max(abs(variation.skew_degrees) for variation in variations) <= 5
    assert any(variation.skew_degrees > 2 for variation in variations)
    assert any(variation.skew_degrees < -2 for variation in variations)
    assert any(variation.jpeg_quality for variation in variations)
    assert any(variation.jpeg_quality is None for variation in variations)
    assert len({variation.written_font for variation in variations}) >= 4
