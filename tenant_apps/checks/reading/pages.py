"""From an uploaded file to the checks on its pages: the file's kind recognised by its content
(never its name), its pages (the frames of a TIFF, a PDF's pages rendered with PDFium), and on
each page the checks found and cropped (OpenCV contours of the inked areas), for a flatbed
page that holds several checks side by side or one above the other."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from tenant_apps.checks.reading.images import MAX_PIXELS, CheckImageError, GreyImage

# PDF pages are rendered at this resolution: what the reader is measured at (bench/ocr.py),
# and a letter page stays under 4 million pixels.
PDF_RENDER_DPI = 200
MAX_PAGES = 50
# The width of a check over its height: personal 6 x 2.75 in (2.2), business 8.5 x 3.5 (2.4),
# a cheque cut short by the scanner's crop (1.6) to a voucher check's stub cut away (3.4).
CHECK_ASPECT_RANGE = (1.6, 3.6)
# Work on a copy of the page this wide: the contours only need the layout, not the detail.
FINDING_WIDTH = 1000


def file_kind(data: bytes) -> str:
    """The kind of a file from its first bytes (magic numbers), or a refusal in words."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    raise CheckImageError("The file is not a JPEG, PNG, TIFF or PDF scan.")


def pages_count(data: bytes, kind: str) -> int:
    """How many pages the file has, opening it fully enough to refuse a damaged one now."""
    if kind == "pdf":
        document = _pdf_open(data)
        try:
            count = len(document)
            if count == 0:
                raise CheckImageError("The PDF has no pages.")
            # Rendering the first page proves the content can be drawn, not only the header.
            _pdf_page_render(document, 0)
        finally:
            document.close()
    else:
        count = sum(1 for _ in _image_frames(data))
    if count > MAX_PAGES:
        raise CheckImageError(f"The file has {count} pages; upload at most {MAX_PAGES} at a time.")
    return count


def pages_read(data: bytes, kind: str) -> Iterator[GreyImage]:
    """The pages of the file, one grey image each, in order."""
    if kind == "pdf":
        document = _pdf_open(data)
        try:
            for index in range(min(len(document), MAX_PAGES)):
                yield _pdf_page_render(document, index)
        finally:
            document.close()
    else:
        yield from _image_frames(data)


def _pdf_open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise CheckImageError("The PDF is damaged or cut short: it cannot be opened.") from None


def _pdf_page_render(document: pdfium.PdfDocument, index: int) -> GreyImage:
    try:
        page = document[index]
        width, height = page.get_size()  # points
        if width * height * (PDF_RENDER_DPI / 72) ** 2 > MAX_PIXELS:
            raise CheckImageError(f"Page {index + 1} of the PDF is too large to be a scan.")
        bitmap = page.render(scale=PDF_RENDER_DPI / 72, grayscale=True)
        image = bitmap.to_pil().convert("L")
    except pdfium.PdfiumError:
        raise CheckImageError(
            f"Page {index + 1} of the PDF is damaged: it cannot be drawn."
        ) from None
    return np.asarray(image, dtype=np.uint8)


def _image_frames(data: bytes) -> Iterator[GreyImage]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise CheckImageError("The image is too large to be a scan of a check.")
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= MAX_PAGES:
                    break
                frame.load()
                grey = ImageOps.exif_transpose(frame).convert("L")
                yield np.asarray(grey, dtype=np.uint8)
    except CheckImageError:
        raise
    except Image.DecompressionBombError:
        raise CheckImageError("The image is too large to be a scan of a check.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        # Its first bytes said it is an image: what follows them is broken.
        raise CheckImageError("The image file is damaged or cut short.") from None


@dataclass(frozen=True)
class CheckCrop:
    left: int
    top: int
    right: int
    bottom: int


def checks_find(page: GreyImage) -> list[CheckCrop]:
    """Where the checks are on a page, top to bottom then left to right. Each check's ink is
    joined into one blob by closing the gaps between its words; blobs of a check's proportions
    and size are the checks. A page with none of that shape is taken whole (a scan of one
    check cropped by the scanner, or something the reader will refuse in words)."""
    height, width = page.shape
    scale = min(1.0, FINDING_WIDTH / width)
    small = np.asarray(
        cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    smooth = cv2.medianBlur(small, 3)
    _, ink = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Reckoned on a letter-wide page: 0.3 inch across and 0.55 inch down join the words of a
    # check and its lines (the widest space in a check, above the MICR line, is about 0.4
    # inch) and stay narrower than the space left between checks on the glass.
    pixels_per_inch = small.shape[1] / 8.5
    gap = max(5, round(0.3 * pixels_per_inch))
    kernel = np.ones((max(5, round(0.55 * pixels_per_inch)), gap), np.uint8)
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    page_area = small.shape[0] * small.shape[1]
    crops: list[CheckCrop] = []
    for contour in contours:
        left, top, box_width, box_height = cv2.boundingRect(contour)
        aspect = box_width / max(1, box_height)
        if box_width * box_height < page_area * 0.04 or box_width < small.shape[1] * 0.3:
            continue
        if not CHECK_ASPECT_RANGE[0] <= aspect <= CHECK_ASPECT_RANGE[1]:
            continue
        margin = gap
        crops.append(
            CheckCrop(
                left=max(0, round((left - margin) / scale)),
                top=max(0, round((top - margin) / scale)),
                right=min(width, round((left + box_width + margin) / scale)),
                bottom=min(height, round((top + box_height + margin) / scale)),
            )
        )
    if not crops:
        return [CheckCrop(left=0, top=0, right=width, bottom=height)]
    # Rows of checks top to bottom (a row: tops within a third of a check's height).
    crops.sort(key=lambda crop: (crop.top, crop.left))
    rows: list[list[CheckCrop]] = []
    for crop in crops:
        if rows and crop.top - rows[-1][0].top < (rows[-1][0].bottom - rows[-1][0].top) / 3:
            rows[-1].append(crop)
        else:
            rows.append([crop])
    return [crop for row in rows for crop in sorted(row, key=lambda crop: crop.left)]


def crop_png(page: GreyImage, crop: CheckCrop) -> bytes:
    """The cropped check as PNG bytes: what is stored and what the reader reads."""
    part = page[crop.top : crop.bottom, crop.left : crop.right]
    buffer = io.BytesIO()
    Image.fromarray(part).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
