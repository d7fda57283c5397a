"""What reading a check returns: each field's value, its confidence, and whether a person must
look at it (and why, in words). A field is flagged rather than guessed: the review page shows
flagged fields first, and nothing is posted until a person has accepted the check."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

# Below this a field is flagged for review however plausible its value looks.
CONFIDENCE_TO_TRUST = 0.6


@dataclass(frozen=True)
class FieldReading[T]:
    value: T | None
    confidence: float  # 0 to 1
    flagged: bool
    reason: str = ""  # why it is flagged, for the person reviewing

    @classmethod
    def missing(cls, reason: str) -> FieldReading[T]:
        return cls(value=None, confidence=0.0, flagged=True, reason=reason)

    @classmethod
    def read(cls, value: T, *, confidence: float, doubt: str = "") -> FieldReading[T]:
        """A value read with this confidence; flagged when the confidence is low or `doubt`
        names something else wrong with it."""
        confidence = max(0.0, min(1.0, confidence))
        if doubt:
            return cls(value=value, confidence=confidence, flagged=True, reason=doubt)
        if confidence < CONFIDENCE_TO_TRUST:
            return cls(value=value, confidence=confidence, flagged=True, reason="hard to read")
        return cls(value=value, confidence=confidence, flagged=False)


@dataclass(frozen=True)
class MicrReading:
    line: str  # as read: digits, T transit, U on-us, A amount, D dash, space; ? unreadable
    routing_number: FieldReading[str]
    account_number: FieldReading[str]
    check_number: FieldReading[str]
    encoded_amount: FieldReading[Decimal]  # printed by a bank that already handled the check


@dataclass(frozen=True)
class CheckReading:
    """One check, read. `error` says in words why nothing could be read; the fields are then all
    missing and flagged."""

    error: str | None
    micr: MicrReading
    courtesy_amount: FieldReading[Decimal] = field(
        default_factory=lambda: FieldReading.missing("not read")
    )
    legal_amount: FieldReading[Decimal] = field(
        default_factory=lambda: FieldReading.missing("not read")
    )
    amount: FieldReading[Decimal] = field(default_factory=lambda: FieldReading.missing("not read"))
    check_date: FieldReading[datetime.date] = field(
        default_factory=lambda: FieldReading.missing("not read")
    )
    payer_name: FieldReading[str] = field(default_factory=lambda: FieldReading.missing("not read"))
    payer_address: FieldReading[str] = field(
        default_factory=lambda: FieldReading.missing("not read")
    )
    memo: FieldReading[str] = field(default_factory=lambda: FieldReading.missing("not read"))
    skew_degrees: float = 0.0

    @classmethod
    def failed(cls, error: str) -> CheckReading:
        return cls(error=error, micr=micr_unread(error))

    @property
    def needs_review(self) -> bool:
        return self.error is not None or any(
            reading.flagged
            for reading in (
                self.micr.routing_number,
                self.micr.account_number,
                self.micr.check_number,
                self.amount,
            )
        )


def micr_unread(reason: str) -> MicrReading:
    return MicrReading(
        line="",
        routing_number=FieldReading.missing(reason),
        account_number=FieldReading.missing(reason),
        check_number=FieldReading.missing(reason),
        encoded_amount=FieldReading.missing(reason),
    )
