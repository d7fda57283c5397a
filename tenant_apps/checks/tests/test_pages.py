"""A file's kind from its content, its pages (TIFF frames, PDF pages) and the checks found on a
page: no database, no OCR."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tenant_apps.checks.reading.images import CheckImageError
from tenant_apps.checks.reading.pages import checks_find, file_kind, pages_count, pages_read
from tenant_apps.checks.tests.check_images import flatbed_page
from tenant_apps.checks.tests.conftest import Scans


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"%PDF-1.7", "pdf"),
    ],
)
def test_the_kind_of_a_file_is_read_from_its_first_bytes(start: bytes, kind: str) -> None:
    assert file_kind(start + b"\x00" * 16) == kind


def test_a_file_of_another_kind_is_refused_whatever_its_name() -> None:
    with pytest.raises(CheckImageError, match="not a JPEG, PNG, TIFF or PDF scan"):
        file_kind(b"GIF89a" + b"\x00" * 16)


def test_every_frame_of_a_tiff_is_a_page(scans: Scans) -> None:
    first = Image.open(io.BytesIO(scans.checks[0].image_bytes)).convert("L")
    second = Image.open(io.BytesIO(scans.checks[1].image_bytes)).convert("L")
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    data = buffer.getvalue()

    assert pages_count(data, "tiff") == 2
    assert [page.shape for page in pages_read(data, "tiff")] == [
        (first.height, first.width),
        (second.height, second.width),
    ]


def test_the_pages_of_a_pdf_are_drawn_at_200_dpi(scans: Scans) -> None:
    pages = list(pages_read(scans.pdf, "pdf"))

    assert pages_count(scans.pdf, "pdf") == 2
    assert [page.shape for page in pages] == [(2200, 1700), (2200, 1700)]


def test_a_pdf_cut_short_is_refused() -> None:
    with pytest.raises(CheckImageError, match="The PDF is damaged or cut short"):
        pages_count(b"%PDF-1.4\n1 0 obj\n<<", "pdf")


def test_checks_on_a_flatbed_page_are_found_top_to_bottom(scans: Scans) -> None:
    page = np.asarray(flatbed_page(scans.checks[:3]).convert("L"), dtype=np.uint8)

    crops = checks_find(page)

    assert len(crops) == 3
    assert [crop.top for crop in crops] == sorted(crop.top for crop in crops)
    for crop in crops:
        width, height = crop.right - crop.left, crop.bottom - crop.top
        assert 1.6 <= width / height <= 3.6
        assert 1100 <= width <= 1400  # a 6-inch check at 200 dpi, with its margin


def test_a_page_with_nothing_of_a_checks_shape_is_read_whole() -> None:
    blank = np.full((800, 600), 255, dtype=np.uint8)

    assert [(crop.left, crop.top, crop.right, crop.bottom) for crop in checks_find(blank)] == [
        (0, 0, 600, 800)
    ]
