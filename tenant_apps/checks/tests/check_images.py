"""Scanned-check images made with Pillow, and the truth each was drawn from, for the tests and the
OCR bench: a personal or business check layout with the payer's block, date, payee, the courtesy
amount in its box, the legal amount line, memo, a signature and a MICR line drawn from the E-13B
geometry; varied fonts, noise, blur, skew up to 5 degrees, 200 or 300 dpi, JPEG artefacts.

Every image is a function of its seed, so a failing case can be drawn again by its number.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tenant_apps.checks.reading.e13b import CHARACTER_PITCH_INCH, GRID_INCH, glyph_mask

CHECK_WIDTH_INCH = 6.0
CHECK_HEIGHT_INCH = 2.75
# E-13B characters stand on a baseline 3/16 inch above the bottom edge of the check.
MICR_BASELINE_FROM_BOTTOM_INCH = 0.1875

FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)
PRINTED_FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSerif-Regular.ttf",
    "DejaVuSansCondensed.ttf",
)
# The machine has no handwriting fonts; slanted faces stand in for a hand, a person's writing on
# a real check being the harder case that the review step exists for.
WRITTEN_FONTS = (
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif-Italic.ttf",
    "LiberationSans-Italic.ttf",
    "LiberationSerif-Italic.ttf",
    "LiberationMono-Regular.ttf",
    "DejaVuSansMono.ttf",
)
BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "LiberationSerif-Bold.ttf")

FIRST_NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Robert",
    "Linda",
    "Wei",
    "Carlos",
    "Grace",
    "Tom",
    "Nora",
)
LAST_NAMES = ("Garcia", "Okafor", "Smith", "Nguyen", "Johnson", "Patel", "Kowalski", "Brown", "Lee")
STREETS = ("Maple Ave", "Oak Street", "Pine Road", "Elm Court", "Cedar Lane", "Main Street")
CITIES = (("Springfield", "IL", "62704"), ("Madison", "WI", "53703"), ("Austin", "TX", "78701"))
PAYEES = ("Riverside Food Bank", "Hope Shelter", "Friends of the Library", "Youth Arts Fund")
MEMOS = ("Annual gift", "In memory of Ann", "Gala tickets", "Building fund", "Monthly support", "")
BANKS = ("First Community Bank", "Lakeside Credit Union", "Prairie State Bank")

ONES = [
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
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def amount_in_words(amount: Decimal) -> str:
    """How a person writes the amount on the legal line: 'One hundred twenty-five and 50/100'."""
    dollars = int(amount)
    cents = int((amount - dollars) * 100)

    def below_thousand(number: int) -> list[str]:
        words: list[str] = []
        if number >= 100:
            words += [ONES[number // 100], "hundred"]
            number %= 100
        if number >= 20:
            words.append(TENS[number // 10] + (f"-{ONES[number % 10]}" if number % 10 else ""))
        elif number or not words:
            words.append(ONES[number])
        return words

    words: list[str] = []
    if dollars >= 1000:
        words += [*below_thousand(dollars // 1000), "thousand"]
        dollars %= 1000
        if dollars:
            words += below_thousand(dollars)
    else:
        words += below_thousand(dollars)
    text = " ".join(words)
    return f"{text[0].upper()}{text[1:]} and {cents:02d}/100"


def routing_number_with_check_digit(first_eight: str) -> str:
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    total = sum(int(digit) * weight for digit, weight in zip(first_eight, weights, strict=True))
    return first_eight + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class CheckTruth:
    layout: str  # "personal" (check number after the account) or "business" (auxiliary on-us)
    payer_name: str
    payer_address: tuple[str, str]
    bank_name: str
    check_date: datetime.date
    payee: str
    amount: Decimal
    memo: str
    routing_number: str
    account_number: str
    check_number: str
    micr_line: str  # E-13B text: digits, T transit, U on-us, A amount, D dash, space
    # What the legal line says when the writer got it wrong; None: the amount itself.
    amount_in_words_written: Decimal | None = None


@dataclass(frozen=True)
class CheckVariation:
    dpi: int = 300
    skew_degrees: float = 0.0
    noise_sigma: float = 0.0
    blur_radius: float = 0.0
    jpeg_quality: int | None = None  # None: PNG
    printed_font: str = PRINTED_FONTS[0]
    written_font: str = WRITTEN_FONTS[0]
    bold_font: str = BOLD_FONTS[0]
    paper_grey: int = 250


@dataclass(frozen=True)
class GeneratedCheck:
    seed: int
    truth: CheckTruth
    variation: CheckVariation
    image_bytes: bytes = field(repr=False)


def truth_random(rng: random.Random) -> CheckTruth:
    layout = rng.choice(("personal", "personal", "business"))
    routing = routing_number_with_check_digit(f"{rng.randrange(10**7, 10**8 - 1):08d}"[:8])
    account = str(rng.randrange(10**5, 10**11))
    if rng.random() < 0.15:
        account = f"{account[:3]}D{account[3:]}"
    amount = _amount_random(rng)
    if layout == "business":
        check_number = f"{rng.randrange(1, 999_999):06d}"
        micr = f"U{check_number}U T{routing}T {account}U"
        payer_name = f"{rng.choice(LAST_NAMES)} {rng.choice(('Dental', 'Hardware', 'Farms'))} LLC"
    else:
        check_number = str(rng.randrange(101, 9999))
        micr = f"T{routing}T {account}U {check_number}"
        payer_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    city, state, postcode = rng.choice(CITIES)
    return CheckTruth(
        layout=layout,
        payer_name=payer_name,
        payer_address=(
            f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}",
            f"{city}, {state} {postcode}",
        ),
        bank_name=rng.choice(BANKS),
        check_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(0, 360)),
        payee=rng.choice(PAYEES),
        amount=amount,
        memo=rng.choice(MEMOS),
        routing_number=routing,
        account_number=account.replace("D", "-"),
        check_number=check_number,
        micr_line=micr,
    )


def _amount_random(rng: random.Random) -> Decimal:
    dollars = rng.choice(
        (rng.randrange(5, 100), rng.randrange(100, 1000), rng.randrange(1000, 10_000))
    )
    if rng.random() < 0.4:
        dollars = round(dollars, -1) or 10
    cents = 0 if rng.random() < 0.5 else rng.randrange(1, 100)
    return (Decimal(dollars) + Decimal(cents) / 100).quantize(Decimal("0.01"))


def variation_random(rng: random.Random) -> CheckVariation:
    return CheckVariation(
        dpi=rng.choice((200, 300)),
        skew_degrees=rng.uniform(-5.0, 5.0),
        noise_sigma=rng.choice((0.0, 4.0, 8.0, 12.0)),
        blur_radius=rng.choice((0.0, 0.0, 0.6, 1.0)),
        jpeg_quality=rng.choice((None, 90, 70, 50)),
        printed_font=rng.choice(PRINTED_FONTS),
        written_font=rng.choice(WRITTEN_FONTS),
        bold_font=rng.choice(BOLD_FONTS),
        paper_grey=rng.randrange(232, 256),
    )


def check_generate(
    seed: int,
    *,
    variation: CheckVariation | None = None,
    amount_in_words_written: Decimal | None = None,
) -> GeneratedCheck:
    """The check numbered `seed`: its truth and a scan of it (a random variation unless given),
    the legal line saying `amount_in_words_written` where given instead of the amount."""
    rng = random.Random(seed)
    truth = dataclasses.replace(truth_random(rng), amount_in_words_written=amount_in_words_written)
    if variation is None:
        variation = variation_random(rng)
    image = check_draw(truth, variation, rng)
    image = scan_degrade(image, variation, rng)
    return GeneratedCheck(
        seed=seed, truth=truth, variation=variation, image_bytes=image_encode(image, variation)
    )


@cache
def font(name: str, size_pixels: int) -> ImageFont.FreeTypeFont:
    for folder in FONT_FOLDERS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size_pixels)
    raise FileNotFoundError(f"font {name} is not installed (fonts-dejavu, fonts-liberation)")


def check_draw(truth: CheckTruth, variation: CheckVariation, rng: random.Random) -> Image.Image:
    dpi = variation.dpi

    def px(inches: float) -> int:
        return round(inches * dpi)

    def points(size: float) -> int:
        return max(6, round(size / 72 * dpi))

    width, height = px(CHECK_WIDTH_INCH), px(CHECK_HEIGHT_INCH)
    image = Image.new("L", (width, height), variation.paper_grey)
    draw = ImageDraw.Draw(image)
    ink = 20
    label = font(variation.printed_font, points(7))
    printed = font(variation.printed_font, points(9))
    written = font(variation.written_font, points(12))
    line_width = max(1, px(0.007))

    draw.rectangle((px(0.06), px(0.06), width - px(0.06), height - px(0.06)), outline=90, width=1)
    draw.text(
        (px(0.3), px(0.18)), truth.payer_name, font=font(variation.bold_font, points(10)), fill=ink
    )
    draw.text((px(0.3), px(0.36)), truth.payer_address[0], font=printed, fill=ink)
    draw.text((px(0.3), px(0.52)), truth.payer_address[1], font=printed, fill=ink)
    number_font = font(variation.printed_font, points(10))
    draw.text((px(5.2), px(0.18)), truth.check_number.lstrip("0"), font=number_font, fill=ink)

    draw.text((px(3.75), px(0.66)), "DATE", font=label, fill=ink)
    draw.line((px(4.15), px(0.8), px(5.7), px(0.8)), fill=ink, width=line_width)
    date_text = _date_text(truth.check_date, rng)
    draw.text((px(4.25), px(0.6)), date_text, font=written, fill=ink)

    draw.text((px(0.3), px(0.98)), "PAY TO THE", font=label, fill=ink)
    draw.text((px(0.3), px(1.08)), "ORDER OF", font=label, fill=ink)
    draw.line((px(1.05), px(1.2), px(4.6), px(1.2)), fill=ink, width=line_width)
    draw.text((px(1.2), px(1.0)), truth.payee, font=written, fill=ink)

    draw.text((px(4.7), px(0.98)), "$", font=font(variation.printed_font, points(12)), fill=ink)
    box = (px(4.88), px(0.93), px(5.78), px(1.25))
    draw.rectangle(box, outline=ink, width=max(1, px(0.01)))
    amount_text = f"{truth.amount:,.2f}"
    amount_size = 13.0
    while font(variation.written_font, points(amount_size)).getlength(amount_text) > px(0.8):
        amount_size -= 0.5
    amount_font = font(variation.written_font, points(amount_size))
    text_width = amount_font.getlength(amount_text)
    draw.text(
        ((box[0] + box[2] - text_width) / 2, box[1] + px(0.06)),
        amount_text,
        font=amount_font,
        fill=ink,
    )

    legal_text = amount_in_words(truth.amount_in_words_written or truth.amount)
    legal_size = 12.0
    while font(variation.written_font, points(legal_size)).getlength(legal_text) > px(4.4):
        legal_size -= 0.5
    draw.line((px(0.3), px(1.6), px(4.95), px(1.6)), fill=ink, width=line_width)
    draw.text(
        (px(0.4), px(1.4)),
        legal_text,
        font=font(variation.written_font, points(legal_size)),
        fill=ink,
    )
    draw.text((px(5.05), px(1.48)), "DOLLARS", font=label, fill=ink)

    draw.text((px(0.3), px(1.68)), truth.bank_name, font=label, fill=ink)
    draw.text((px(0.3), px(1.94)), "MEMO", font=label, fill=ink)
    draw.line((px(0.75), px(2.06), px(2.9), px(2.06)), fill=ink, width=line_width)
    if truth.memo:
        draw.text((px(0.85), px(1.87)), truth.memo, font=written, fill=ink)

    draw.line((px(3.5), px(2.06), px(5.7), px(2.06)), fill=ink, width=line_width)
    _signature_draw(
        draw,
        rng,
        left=px(3.7),
        right=px(5.4),
        baseline=px(2.0),
        height=px(0.25),
        width=max(1, px(0.012)),
    )

    micr_draw(image, truth.micr_line, dpi=dpi, layout=truth.layout)
    return image


def _date_text(date: datetime.date, rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return f"{date.month}/{date.day}/{date.year}"
    if style == 1:
        return f"{date.month:02d}/{date.day:02d}/{date.year}"
    return f"{date:%B} {date.day}, {date.year}"


def _signature_draw(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    *,
    left: int,
    right: int,
    baseline: int,
    height: int,
    width: int,
) -> None:
    loops = rng.uniform(4, 9)
    phase = rng.uniform(0, math.tau)
    path = []
    for step in range(121):
        t = step / 120
        x = left + (right - left) * t + height * 0.3 * math.sin(t * loops * math.tau * 1.5 + phase)
        y = baseline - height * (0.5 + 0.45 * math.sin(t * loops * math.tau + phase)) * (
            1 - 0.5 * t
        )
        path.append((x, y))
    draw.line(path, fill=30, width=width, joint="curve")


def micr_draw(image: Image.Image, micr_line: str, *, dpi: int, layout: str) -> None:
    """Prints the E-13B line from the glyph geometry, each character centred in its 1/8 inch."""
    unit = GRID_INCH * dpi
    pitch = CHARACTER_PITCH_INCH * dpi
    top = image.height - round((MICR_BASELINE_FROM_BOTTOM_INCH + 9 * GRID_INCH) * dpi)
    # The on-us field ends near the right edge; business checks' longer lines start further left.
    start_inch = 0.45 if layout == "business" else 1.2
    black = Image.new("L", image.size, 12)
    for index, character in enumerate(micr_line):
        if character == " ":
            continue
        mask = Image.fromarray(glyph_mask(character, unit_pixels=unit))
        cell_left = start_inch * dpi + index * pitch
        left = round(cell_left + (pitch - mask.width) / 2)
        image.paste(black.crop((0, 0, mask.width, mask.height)), (left, top), mask)


def scan_degrade(image: Image.Image, variation: CheckVariation, rng: random.Random) -> Image.Image:
    """What a scanner does to the paper: a tilt on the glass, softness, sensor noise."""
    if variation.blur_radius:
        image = image.filter(ImageFilter.GaussianBlur(variation.blur_radius))
    if variation.skew_degrees:
        image = image.rotate(
            variation.skew_degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
        )
    margin = round(0.15 * variation.dpi)
    canvas = Image.new("L", (image.width + 2 * margin, image.height + 2 * margin), 255)
    canvas.paste(image, (margin, margin))
    if variation.noise_sigma:
        pixels = np.asarray(canvas, dtype=np.float32)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(
            0.0, variation.noise_sigma, pixels.shape
        )
        canvas = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    return canvas


def image_encode(image: Image.Image, variation: CheckVariation) -> bytes:
    buffer = io.BytesIO()
    if variation.jpeg_quality is None:
        image.save(buffer, format="PNG", dpi=(variation.dpi, variation.dpi))
    else:
        image.save(
            buffer,
            format="JPEG",
            quality=variation.jpeg_quality,
            dpi=(variation.dpi, variation.dpi),
        )
    return buffer.getvalue()


def blank_page(*, dpi: int = 200, noise_sigma: float = 6.0) -> bytes:
    """A scan of an empty sheet: paper and sensor noise, nothing written."""
    rng = np.random.default_rng(7)
    size = (round(8.5 * dpi), round(3.5 * dpi))
    pixels = np.clip(rng.normal(245.0, noise_sigma, (size[1], size[0])), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def photo_of_something_else() -> bytes:
    """A picture with plenty of ink but no check in it: shapes, a gradient, a paragraph of text."""
    rng = random.Random(11)
    image = Image.new("RGB", (1200, 800), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1200), rng.randrange(800)
        radius = rng.randrange(10, 120)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    text_font = font(PRINTED_FONTS[0], 28)
    for line in range(5):
        draw.text(
            (60, 500 + 50 * line),
            "The quick brown fox jumps over the lazy dog",
            font=text_font,
            fill=(0, 0, 0),
        )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def corrupted_file() -> bytes:
    """The first part of a JPEG whose upload broke off, and then garbage."""
    whole = check_generate(3, variation=CheckVariation(dpi=200, jpeg_quality=80)).image_bytes
    return whole[: len(whole) // 3] + b"\x00garbage" * 50


def flatbed_page(checks: list[GeneratedCheck], *, dpi: int = 200) -> Image.Image:
    """A letter page from a flatbed scanner with the checks laid on the glass one under the
    other, a little apart and not quite straight (each check's own skew)."""
    page = Image.new("L", (round(8.5 * dpi), round(11 * dpi)), 255)
    top = round(0.2 * dpi)
    for index, generated in enumerate(checks):
        scan = Image.open(io.BytesIO(generated.image_bytes)).convert("L")
        if generated.variation.dpi != dpi:  # the page's resolution, as the glass sees it
            ratio = dpi / generated.variation.dpi
            scan = scan.resize((round(scan.width * ratio), round(scan.height * ratio)))
        if scan.width > page.width:
            scan = scan.resize((page.width, round(scan.height * page.width / scan.width)))
        left = round((0.2 + 0.3 * (index % 2)) * dpi)
        page.paste(scan, (min(left, page.width - scan.width), top))
        top += scan.height + round(0.35 * dpi)
    return page


def checks_pdf(pages: list[Image.Image], *, dpi: int = 200) -> bytes:
    """The pages as one PDF, as a scanner's "scan to PDF" makes it (a JPEG per page)."""
    buffer = io.BytesIO()
    first, *rest = [page.convert("RGB") for page in pages]
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return buffer.getvalue()
