"""Reading whole scanned checks, and what comes back for files that are not checks."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image

from tenant_apps.checks.reading.images import MAX_FILE_BYTES
from tenant_apps.checks.reading.reader import check_read
from tenant_apps.checks.tests.check_images import (
    CheckVariation,
    blank_page,
    check_generate,
    corrupted_file,
    photo_of_something_else,
)

SCANS = {
    "300dpi-png-level": CheckVariation(dpi=300, written_font="DejaVuSerif-Italic.ttf"),
    "200dpi-jpeg-tilted-noisy": CheckVariation(
        dpi=200,
        skew_degrees=-4.2,
        noise_sigma=8.0,
        blur_radius=0.6,
        jpeg_quality=60,
        printed_font="LiberationSerif-Regular.ttf",
        written_font="LiberationSans-Italic.ttf",
        paper_grey=236,
    ),
}


@pytest.mark.parametrize(
    ("seed", "scan"), [(2, "300dpi-png-level"), (6, "200dpi-jpeg-tilted-noisy")]
)
def test_a_scanned_check_is_read_field_by_field(seed: int, scan: str) -> None:
    generated = check_generate(seed, variation=SCANS[scan])
    truth = generated.truth

    reading = check_read(generated.image_bytes)

    assert reading.error is None
    assert reading.micr.routing_number.value == truth.routing_number
    assert reading.micr.account_number.value == truth.account_number
    assert reading.micr.check_number.value == truth.check_number
    assert reading.courtesy_amount.value == truth.amount
    assert reading.legal_amount.value == truth.amount
    assert reading.amount.value == truth.amount
    assert not reading.amount.flagged
    assert reading.amount.confidence >= 0.6
    assert reading.check_date.value == truth.check_date
    assert reading.payer_name.value == truth.payer_name
    assert reading.memo.value == (truth.memo or None)
    assert reading.skew_degrees == pytest.approx(-SCANS[scan].skew_degrees, abs=0.3)


def test_a_check_scanned_upside_down_is_read_the_right_way_up() -> None:
    generated = check_generate(9, variation=CheckVariation(dpi=200, skew_degrees=1.5))
    upside_down = io.BytesIO()
    Image.open(io.BytesIO(generated.image_bytes)).rotate(180).save(upside_down, format="PNG")

    reading = check_read(upside_down.getvalue())

    assert reading.micr.routing_number.value == generated.truth.routing_number
    assert reading.micr.check_number.value == generated.truth.check_number
    assert reading.amount.value == generated.truth.amount
    assert reading.payer_name.value == generated.truth.payer_name


def test_figures_and_words_that_disagree_are_flagged_never_settled_silently() -> None:
    generated = check_generate(
        4,
        variation=CheckVariation(dpi=300, written_font="DejaVuSans-Oblique.ttf"),
        amount_in_words_written=Decimal("42.98"),
    )
    assert generated.truth.amount == Decimal("24.98")

    reading = check_read(generated.image_bytes)

    assert reading.courtesy_amount.value == Decimal("24.98")
    assert reading.legal_amount.value == Decimal("42.98")
    assert reading.amount.flagged
    assert reading.amount.reason == ("The amount in figures ($24.98) and in words ($42.98) differ.")
    assert reading.needs_review


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (blank_page(), "The page is blank: nothing is printed or written on it."),
        (
            photo_of_something_else(),
            "No check found in the image: it has neither a MICR line nor an amount box.",
        ),
        (corrupted_file(), "The image file is damaged or cut short."),
        (b"", "The file is empty."),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            "The file is not an image (JPEG, PNG or TIFF).",
        ),
        (b"\x00" * (MAX_FILE_BYTES + 1), "The file is larger than 20 MB; scan at 200 or 300 dpi."),
        (_png(Image.new("L", (120, 80), 255)), "The image is too small to be a scan of a check."),
        (_png(Image.new("1", (8000, 6000), 1)), "The image is too large to be a scan of a check."),
    ],
    ids=["blank", "photo", "corrupted", "empty", "pdf", "oversized-file", "tiny", "huge-pixels"],
)
def test_what_is_not_a_check_gives_a_clear_error_and_no_fields(content: bytes, error: str) -> None:
    reading = check_read(content)

    assert reading.error == error
    assert reading.needs_review
    assert reading.micr.routing_number.value is None
    assert reading.amount.value is None
