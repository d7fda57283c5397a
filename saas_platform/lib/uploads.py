"""Files people upload to be read (CSV imports) or shown (images), for every app: the content
within a size limit, its text as UTF-8, an image judged by its bytes. A refused file is a
ServiceError on the field that says why and what to do, so a page shows it next to the file and
the API as a 400."""

from __future__ import annotations

import io

from django.core.files import File
from PIL import Image

from saas_platform.lib.errors import ServiceError


def file_refusal(message: str) -> ServiceError:
    return ServiceError(message, fields={"file": [message]})


def _megabytes(size: int) -> str:
    return f"{size // 1024 // 1024} MB"


def upload_read(upload: File, *, max_bytes: int) -> bytes:
    """The upload's content, or a refusal when it is larger than `max_bytes`: by the size the
    upload declares, and by what is read (never more than one byte past the limit)."""
    if upload.size is not None and upload.size > max_bytes:
        raise file_refusal(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
            f"{_megabytes(max_bytes)}. Split it into smaller files."
        )
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise file_refusal(f"The file is over {_megabytes(max_bytes)}.")
    return content


def upload_text(content: bytes) -> str:
    """The content as UTF-8 text, without the byte order mark spreadsheets write first; or a
    refusal naming the first line with a byte that is not UTF-8."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise file_refusal(
            f"The file is not UTF-8 text (line {line} has a byte that is not). Save it as "
            "“CSV UTF-8” and upload it again."
        ) from None


# Images people upload to be shown on a page: PNG, JPEG or WebP, judged by their bytes.
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def image_check(content: bytes, *, field: str, what: str, max_bytes: int, max_side: int) -> str:
    """The file extension of `content` if it is a PNG, JPEG or WebP image within `max_bytes`
    and `max_side` pixels a side; otherwise a ServiceError on `field` that says what is wrong.
    Judged by what the bytes are, never by the file's name or the type the browser claims."""
    if len(content) > max_bytes:
        message = f"{what} is larger than {_megabytes(max_bytes)}; save it smaller."
        raise ServiceError(message, fields={field: [f"At most {_megabytes(max_bytes)}."]})
    not_an_image = ServiceError(
        f"{what} must be a PNG, JPEG or WebP image; this file is not one.",
        fields={field: ["Not a PNG, JPEG or WebP image."]},
    )
    if not content:
        raise not_an_image
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format, (width, height) = image.format, image.size
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if image_format not in IMAGE_FORMATS:
        raise not_an_image
    if max(width, height) > max_side:
        raise ServiceError(
            f"{what} is {width} by {height} pixels; at most {max_side} a side is accepted.",
            fields={field: [f"At most {max_side} pixels a side."]},
        )
    return IMAGE_FORMATS[image_format]
