"""Subdomain (slug) rules: a DNS label of 3 to 40 characters that nobody else has, whose
schema name is not one PostgreSQL or the platform keeps for itself."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from provisioning.schemas import schema_name_reserved_as, slug_reserved_message

MIN_LENGTH = 3
MAX_LENGTH = 40
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")

RESERVED = frozenset(
    {
        "about",
        "account",
        "accounts",
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "blog",
        "cdn",
        "console",
        "dashboard",
        "dev",
        "docs",
        "email",
        "ftp",
        "help",
        "ifm",
        "imap",
        "internal",
        "login",
        "mail",
        "media",
        "mx",
        "news",
        "ns1",
        "ns2",
        "operator",
        "operators",
        "pop",
        "pop3",
        "postgres",
        "public",
        "root",
        "signup",
        "smtp",
        "staff",
        "static",
        "stage",
        "staging",
        "status",
        "support",
        "system",
        "template",
        "test",
        "webmail",
        "www",
    }
)


def slug_normalize(raw: str) -> str:
    return (raw or "").strip().lower()


def slug_validate_format(slug: str) -> None:
    """Raise ValidationError with a message a person can act on; nothing about availability."""
    if len(slug) < MIN_LENGTH:
        raise ValidationError(
            f"A subdomain needs at least {MIN_LENGTH} characters.", code="too_short"
        )
    if len(slug) > MAX_LENGTH:
        raise ValidationError(f"A subdomain has at most {MAX_LENGTH} characters.", code="too_long")
    if not _LABEL.match(slug):
        raise ValidationError(
            "Use lowercase letters, digits and hyphens only, starting and ending with a letter "
            "or digit.",
            code="invalid",
        )
    if "--" in slug:
        raise ValidationError("A subdomain cannot contain two hyphens in a row.", code="invalid")
    if slug in RESERVED or schema_name_reserved_as(schema_name_for(slug)) is not None:
        raise ValidationError(slug_reserved_message(slug), code="reserved")


def schema_name_for(slug: str) -> str:
    """PostgreSQL schema for a slug: hyphens become underscores (hosts keep the hyphens)."""
    return slug.replace("-", "_")
