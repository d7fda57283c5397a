"""From the bytes of a scan to a level, cropped, binarised check: decoding with limits, ink
found by Otsu's threshold, the skew found by the sharpness of the row profile (text lines are
sharpest when level), and the text lines found in that profile."""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = 20 * 1024 * 1024
# A check scanned at 600 dpi is about 5,100 by 2,100 pixels; a full letter page at 600 dpi is
# 34 million. Anything larger is not a scan of a check.
MAX_PIXELS = 40_000_000
MIN_SIDE_PIXELS = 200
GreyImage = npt.NDArray[np.uint8]


class CheckImageError(ValueError):
    """The file cannot be read as a check; the message says why, for the person uploading."""


@dataclass(frozen=True)
class LevelledCheck:
    grey: GreyImage  # the check, level and cropped: 0 is ink, 255 paper
    ink: GreyImage  # the same, binarised: 255 where there is ink
    skew_degrees: float


def image_decode(data: bytes) -> GreyImage:
    if not data:
        raise CheckImageError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise CheckImageError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; scan at 200 or 300 dpi."
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise CheckImageError("The image is too large to be a scan of a check.")
            image.load()
            grey = ImageOps.exif_transpose(image).convert("L")
    except CheckImageError:
        raise
    except Image.DecompressionBombError:
        raise CheckImageError("The image is too large to be a scan of a check.") from None
    except UnidentifiedImageError:
        raise CheckImageError("The file is not an image (JPEG, PNG or TIFF).") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise CheckImageError("The image file is damaged or cut short.") from None
    if min(grey.size) < MIN_SIDE_PIXELS:
        raise CheckImageError("The image is too small to be a scan of a check.")
    return np.asarray(grey, dtype=np.uint8)


def ink_mask(grey: GreyImage) -> GreyImage:
    """255 where there is ink. The median filter takes sensor noise and JPEG speckle away before
    Otsu's threshold; tiny specks left are opened away."""
    smooth = cv2.medianBlur(grey, 3)
    _, ink = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.asarray(ink, dtype=np.uint8)


def image_is_blank(grey: GreyImage) -> bool:
    # Otsu always splits an image in two, even blank paper; a page with ink has dark pixels
    # well apart from the paper's tone.
    smooth = cv2.medianBlur(grey, 5)
    paper = float(np.percentile(smooth, 60))
    dark = smooth < paper - 60
    return float(dark.mean()) < 0.002


def rotate(image: GreyImage, degrees: float, *, fill: int) -> GreyImage:
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return np.asarray(
        cv2.warpAffine(
            image,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=fill,
        ),
        dtype=np.uint8,
    )


def skew_find(ink: GreyImage, *, max_degrees: float = 6.0) -> float:
    """The angle that makes the text level: the one whose row profile is sharpest, searched
    coarsely then finely on a reduced copy (the angle does not depend on the resolution)."""
    scale = min(1.0, 700 / ink.shape[1])
    small = np.asarray(
        cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )

    def sharpness(degrees: float) -> float:
        profile = rotate(small, degrees, fill=0).sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    coarse = np.arange(-max_degrees, max_degrees + 0.01, 0.5)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    return float(max(fine, key=sharpness))


def check_level(grey: GreyImage) -> LevelledCheck:
    """The check level and cropped to its ink (with a small margin)."""
    ink = ink_mask(grey)
    skew = skew_find(ink)
    # Rotating by the found angle undoes the skew (the profile was sharpest at it).
    level = rotate(grey, skew, fill=255) if abs(skew) > 0.05 else grey
    level_ink = ink_mask(level)
    opened = cv2.morphologyEx(level_ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    rows = np.flatnonzero(opened.sum(axis=1) > 2 * 255)
    columns = np.flatnonzero(opened.sum(axis=0) > 2 * 255)
    if rows.size == 0 or columns.size == 0:
        return LevelledCheck(grey=level, ink=level_ink, skew_degrees=skew)
    margin = 4
    top, bottom = max(0, rows[0] - margin), rows[-1] + margin + 1
    left, right = max(0, columns[0] - margin), columns[-1] + margin + 1
    return LevelledCheck(
        grey=level[top:bottom, left:right],
        ink=level_ink[top:bottom, left:right],
        skew_degrees=skew,
    )


def rules_find(ink: GreyImage) -> GreyImage:
    """Long straight rules (the border, the lines people write on): 255 on and just around
    them."""
    length = max(25, ink.shape[1] // 30)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    return np.asarray(
        cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8)),
        dtype=np.uint8,
    )


def rules_removed(ink: GreyImage) -> GreyImage:
    """The ink without its rules, which would otherwise join every text line into one band."""
    return np.asarray(cv2.bitwise_and(ink, cv2.bitwise_not(rules_find(ink))), dtype=np.uint8)


def rules_whitened(grey: GreyImage, ink: GreyImage) -> GreyImage:
    """The scan with its rules painted over in white: Tesseract reads a rule touching a line of
    text as letters ('_In memory of')."""
    clean = grey.copy()
    clean[rules_find(ink) > 0] = 255
    return clean


@dataclass(frozen=True)
class TextBand:
    top: int
    bottom: int  # exclusive

    @property
    def height(self) -> int:
        return self.bottom - self.top


def text_bands(ink: GreyImage, *, min_height: int = 8) -> list[TextBand]:
    """Runs of rows with ink across the image, top to bottom; rule lines (a row or two of
    solid ink) and noise rows are left out by the height and the share of inked columns."""
    inked_columns = (ink > 0).sum(axis=1)
    threshold = max(3, ink.shape[1] // 300)
    has_ink = inked_columns > threshold
    bands: list[TextBand] = []
    start: int | None = None
    for row, inked in enumerate([*has_ink.tolist(), False]):
        if inked and start is None:
            start = row
        elif not inked and start is not None:
            if row - start >= min_height:
                bands.append(TextBand(top=start, bottom=row))
            start = None
    return bands
