"""Development email: one log line a message, with its recipient, subject and first link, and
never the attachment's bytes."""

from __future__ import annotations

import logging

import pytest
from django.core.mail import EmailMessage

from saas_platform.lib.mail import OneLineEmailBackend


def test_a_receipt_is_one_line_with_its_link(caplog: pytest.LogCaptureFixture) -> None:
    message = EmailMessage(
        subject="Your receipt R-2026-00042",
        body="Thank you.\nView it at https://demo.localhost:8000/receipts/42/ any time.",
        to=["ada@example.org"],
    )
    message.attach("receipt.pdf", b"%PDF-1.4 " + b"x" * 5000, "application/pdf")
    connection = OneLineEmailBackend()

    with caplog.at_level(logging.INFO, logger="ifm.mail"):
        sent = connection.send_messages([message, message])

    assert sent == 2
    lines = [record.getMessage() for record in caplog.records if record.name == "ifm.mail"]
    assert (
        lines
        == [
            'email to ada@example.org: "Your receipt R-2026-00042" (1 attachment) '
            "https://demo.localhost:8000/receipts/42/"
        ]
        * 2
    )
    assert all("\n" not in line and "xxxx" not in line for line in lines)
