"""Files people upload to be read (CSV imports), for every app: the content within a size
limit, and its text as UTF-8. A refused file is a ServiceError on the `file` field that says
why and what to do, so a page shows it next to the file and the API as a 400."""

from __future__ import annotations

from django.core.files import File

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
