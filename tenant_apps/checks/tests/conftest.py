"""Scans shared by the tests of scanned checks: drawn once per run (a few hundred ms each), as
PNG and PDF files, with the truth each check was drawn from."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image

from tenant_apps.checks.reading.fields import CheckReading
from tenant_apps.checks.reading.reader import check_read
from tenant_apps.checks.tests.check_images import (
    CheckVariation,
    GeneratedCheck,
    check_generate,
    checks_pdf,
    flatbed_page,
)


@dataclass(frozen=True)
class Scans:
    checks: list[GeneratedCheck]
    flatbed_png: bytes  # the first three checks on one page
    pdf: bytes  # the first three on a flatbed page, then the fourth alone on a page


def _variation(seed: int) -> CheckVariation:
    return CheckVariation(dpi=200, skew_degrees=(seed % 5) - 2.0, jpeg_quality=85)


def scans_make(seeds: list[int]) -> Scans:
    checks = [check_generate(seed, variation=_variation(seed)) for seed in seeds]
    page = flatbed_page(checks[:3])
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    pdf = checks_pdf([page, flatbed_page(checks[3:4])])
    return Scans(checks=checks, flatbed_png=buffer.getvalue(), pdf=pdf)


@pytest.fixture(scope="session")
def scans() -> Scans:
    return scans_make([20, 21, 22, 23])


def png_of(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class ReadCheck:
    """A check drawn, cropped as the upload would keep it, and read: what tests record as a
    scanned check without reading it again."""

    generated: GeneratedCheck
    image: bytes
    reading: CheckReading


@pytest.fixture(scope="session")
def read_checks(scans: Scans) -> list[ReadCheck]:
    return [
        ReadCheck(
            generated=generated,
            image=generated.image_bytes,
            reading=check_read(generated.image_bytes),
        )
        for generated in scans.checks
    ]
