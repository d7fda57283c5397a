"""Email in development: one log line per message instead of its whole MIME text.

The console backend prints every receipt's PDF as base64 (a hundred lines a receipt); a developer
wants to know that a message went, to whom and about what, and to click its links.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("ifm.mail")

_LINK = re.compile(r"https?://\S+")


def message_line(message: EmailMessage) -> str:
    """`to a@b.org: "Subject" (1 attachment) https://first.link/in/the/body` on one line."""
    recipients = ", ".join([*message.to, *message.cc, *message.bcc]) or "nobody"
    attachments = len(message.attachments)
    parts = [f'to {recipients}: "{message.subject}"']
    if attachments:
        parts.append(f"({attachments} attachment{'s' if attachments != 1 else ''})")
    link = _LINK.search(str(message.body))
    if link:
        parts.append(link.group(0))
    return " ".join(parts)


class OneLineEmailBackend(BaseEmailBackend):
    """Logs each message as one line on the `ifm.mail` logger; sends nothing."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            logger.info("email %s", message_line(message))
        return len(email_messages)
