"""The request id, and the request itself, of the work in progress: for log lines and error
reports."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# Set by RequestContextMiddleware for the request's duration; None in tasks and commands.
request_var: ContextVar[HttpRequest | None] = ContextVar("request", default=None)
