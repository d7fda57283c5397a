"""Where things are on a level check: the courtesy amount's box (a printed rectangle right of
centre), the legal amount line below it, the payer's block and date above it, the memo between
the legal line and the MICR line."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tenant_apps.checks.reading.images import GreyImage, TextBand, rules_whitened, text_bands


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


def courtesy_box_find(ink: GreyImage) -> Box | None:
    """The inside of the amount box: a closed rectangle, wider than tall, in the right part of
    the check, between a tenth and a third of its width. Of a box's two outlines (the outer
    and inner edge of its stroke) the inner one is taken."""
    height, width = ink.shape
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    candidates = []
    for contour in contours:
        left, top, box_width, box_height = cv2.boundingRect(contour)
        if not (0.08 * width <= box_width <= 0.35 * width):
            continue
        if not (0.05 * height <= box_height <= 0.3 * height):
            continue
        if not (1.8 <= box_width / box_height <= 8) or left + box_width / 2 < 0.55 * width:
            continue
        if cv2.contourArea(contour) < 0.85 * box_width * box_height:
            continue  # not a rectangle: a letter's outline, a signature
        candidates.append(Box(left, top, left + box_width, top + box_height))
    if not candidates:
        return None
    return min(candidates, key=lambda box: (box.right - box.left) * box.height)


def band_below(bands: list[TextBand], *, row: int) -> TextBand | None:
    return next((band for band in bands if band.top >= row), None)


@dataclass(frozen=True)
class Regions:
    courtesy: GreyImage | None
    legal: GreyImage | None
    upper: GreyImage  # payer's block, check number, date
    lower: GreyImage | None  # bank name, memo (left of the signature)
    width: int


def regions_find(grey: GreyImage, ink: GreyImage, text_ink: GreyImage) -> Regions:
    height, width = grey.shape
    box = courtesy_box_find(ink)
    # The lines written on (payee, legal amount, memo) are whitened; the printed block at the
    # top is read as scanned, where whitening leaves broken scraps of a faint border that
    # Tesseract joins to the payer's name (measured on the bench corpus).
    clean = rules_whitened(grey, ink)
    bands = [band for band in text_bands(text_ink) if band.height >= 6]
    micr_top = bands[-1].top if bands else height
    if box is None:
        return Regions(
            courtesy=None, legal=None, upper=grey[: height * 2 // 5], lower=None, width=width
        )
    inset = max(3, box.height // 8)
    courtesy = grey[box.top + inset : box.bottom - inset, box.left + inset : box.right - inset]
    legal_band = band_below(bands, row=box.bottom - box.height // 4)
    legal = None
    lower = None
    if legal_band is not None and legal_band.top < micr_top:
        pad = max(4, legal_band.height // 4)
        legal = clean[max(0, legal_band.top - pad) : legal_band.bottom + pad]
        if micr_top - legal_band.bottom > 10:
            lower = clean[legal_band.bottom + pad : micr_top - 2, : width * 11 // 20]
    return Regions(
        courtesy=courtesy, legal=legal, upper=grey[: max(box.top, 1)], lower=lower, width=width
    )


def mosaic(parts: list[GreyImage | None], *, gap: int = 24) -> tuple[GreyImage, list[int]]:
    """The parts stacked top to bottom on white, one Tesseract run for all of them; returns the
    image and where each part starts (-1 for a part that is missing)."""
    present = [part for part in parts if part is not None and part.size]
    width = max((part.shape[1] for part in present), default=1)
    total = sum(part.shape[0] + gap for part in present) + gap
    image = np.full((total, width), 255, dtype=np.uint8)
    offsets = []
    row = gap
    for part in parts:
        if part is None or not part.size:
            offsets.append(-1)
            continue
        image[row : row + part.shape[0], : part.shape[1]] = part
        offsets.append(row)
        row += part.shape[0] + gap
    return image, offsets
