"""The error services raise for input or state they refuse. The API turns it into the one 4xx
shape (saas_platform.lib.api); pages show its message. Nothing has been written when it is
raised."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal a person can act on: `message` says what and why, `fields` points at the input."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class StateConflict(ServiceError):
    """The object is in a state that does not allow the action (posting a posted entry)."""

    status = 409
    code = "conflict"
