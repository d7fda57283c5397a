"""Reads of the donor database: lists and search (PostgreSQL trigram matching on names and
emails, exact on phone digits and tag names) and duplicate suggestions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.lookups import GreaterThanOrEqual

from saas_platform.lib.errors import ServiceError
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorNote,
    DonorPhone,
    Household,
    Tag,
)
from tenant_apps.donors.services.checks import (
    PHONE_MIN_DIGITS,
    DonorNames,
    display_name_of,
    phone_digits_of,
    postcode_normalize,
)

# A name this similar (pg_trgm similarity, 0 to 1) with the same postcode is a likely duplicate.
DUPLICATE_NAME_SIMILARITY = 0.6
DUPLICATES_LIMIT = 10
# A searched name at least this similar to a donor's name as a whole finds the donor.
SEARCH_NAME_SIMILARITY = 0.4
# Below three characters a query has no trigram to match: names are matched by prefix instead.
TRIGRAM_MIN_LENGTH = 3


def donor_list() -> QuerySet[Donor]:
    """Donors with their household, contacts and tags: a fixed number of queries per page."""
    return (
        Donor.objects.select_related("household")
        .prefetch_related(
            Prefetch("emails", queryset=DonorEmail.objects.order_by("-is_primary", "id")),
            Prefetch("phones", queryset=DonorPhone.objects.order_by("-is_primary", "id")),
            Prefetch("addresses", queryset=DonorAddress.objects.order_by("-is_primary", "id")),
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
        .order_by("display_name", "id")
    )


def donor_search(*, query: str, donors: QuerySet[Donor] | None = None) -> QuerySet[Donor]:
    """Donors matching `query` by name (trigram: "Jonh Smith" finds John Smith, "smith" finds
    every Smith), email (part of it), phone (the digits, whatever the format) or tag name.

    The matches are one `id IN (... UNION ...)`: each part is answered by its own GIN trigram
    or btree index and PostgreSQL joins the few ids found. Written as one OR of EXISTS tests,
    the same search read every donor (an email or phone search took 0.6 to 0.8 s on 100,000
    donors: bench/donors.py). One query plus the prefetches.
    """
    donors = donor_list() if donors is None else donors
    query = " ".join((query or "").split())
    if not query:
        return donors
    lowered = query.lower()
    if len(query) < TRIGRAM_MIN_LENGTH:
        names = (
            Q(first_name__istartswith=query)
            | Q(last_name__istartswith=query)
            | Q(organization_name__istartswith=query)
        )
    else:
        # `%` (similar as a whole, at pg_trgm's default 0.3, which the GIN index answers; then
        # rechecked at SEARCH_NAME_SIMILARITY, as 0.3 lets "Jonh Smith" find Jane Smithers) or
        # `%>` (the query is similar to a part of the name, at 0.6: "smith" finds John Smith).
        names = Q(display_name__trigram_similar=query) & Q(
            GreaterThanOrEqual(TrigramSimilarity("display_name", query), SEARCH_NAME_SIMILARITY)
        )
        names |= Q(display_name__trigram_word_similar=query)
    # Querysets of donor ids from different tables, joined with UNION.
    parts: list[QuerySet[Any, Any]] = [Donor.objects.filter(names).values("id")]
    if len(query) >= TRIGRAM_MIN_LENGTH:
        parts.append(DonorEmail.objects.filter(email__contains=lowered).values("donor_id"))
    digits = phone_digits_of(query)
    if len(digits) >= PHONE_MIN_DIGITS and re.fullmatch(r"[\d\s().+\-/]+", query):
        parts.append(DonorPhone.objects.filter(phone_digits=digits).values("donor_id"))
    parts.append(Donor.tags.through.objects.filter(tag__name__iexact=query).values("donor_id"))
    return donors.filter(pk__in=parts[0].union(*parts[1:]))


def donor_notes(*, donor: Donor) -> QuerySet[DonorNote]:
    return (
        DonorNote.objects.filter(donor=donor)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def household_list() -> QuerySet[Household]:
    return Household.objects.prefetch_related(
        Prefetch(
            "members",
            queryset=Donor.objects.only("id", "display_name", "household_id").order_by(
                "display_name", "id"
            ),
        )
    ).order_by("name", "id")


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name", "id")


# --- Duplicates ------------------------------------------------------------------------------


class DuplicateReason:
    EMAIL = "email"
    PHONE = "phone"
    NAME_AND_POSTCODE = "name_and_postcode"


@dataclass(frozen=True)
class DuplicateCandidate:
    """What is known of a donor being entered (or imported): enough to look for duplicates."""

    names: DonorNames
    emails: Sequence[str] = ()
    phones: Sequence[str] = ()
    postcodes: Sequence[str] = ()


@dataclass(frozen=True)
class DuplicateSuggestion:
    donor: Donor
    reasons: list[str] = field(default_factory=list)
    name_similarity: float = 0.0


def candidate_of(donor: Donor) -> DuplicateCandidate:
    """An existing donor as a candidate, to find its own duplicates (uses its prefetched
    contacts if there are any)."""
    return DuplicateCandidate(
        names=DonorNames(
            kind=donor.kind,
            first_name=donor.first_name,
            last_name=donor.last_name,
            organization_name=donor.organization_name,
        ),
        emails=[row.email for row in donor.emails.all()],
        phones=[row.number for row in donor.phones.all()],
        postcodes=[row.postcode for row in donor.addresses.all()],
    )


def donor_duplicates_suggest(
    *, candidate: DuplicateCandidate, exclude: Donor | None = None
) -> list[DuplicateSuggestion]:
    """Donors that are likely the same as the candidate, best first, with the reasons: the
    same email, the same phone digits, or a similar name (trigram similarity of at least
    DUPLICATE_NAME_SIMILARITY) with the same postcode. Merged donors are left out. One query."""
    emails = sorted({email.strip().lower() for email in candidate.emails if email.strip()})
    digits = sorted(
        {d for d in (phone_digits_of(phone) for phone in candidate.phones) if len(d) >= 7}
    )
    postcodes = sorted({postcode_normalize(code) for code in candidate.postcodes} - {""})
    name = display_name_of(candidate.names)
    if not (emails or digits or (name and postcodes)):
        return []
    email_match = Exists(DonorEmail.objects.filter(donor=OuterRef("pk"), email__in=emails))
    phone_match = Exists(DonorPhone.objects.filter(donor=OuterRef("pk"), phone_digits__in=digits))
    postcode_match = Exists(
        DonorAddress.objects.filter(donor=OuterRef("pk"), postcode__in=postcodes)
    )
    donors = (
        Donor.objects.filter(merged_into__isnull=True)
        .annotate(
            email_match=email_match if emails else Value(False),
            phone_match=phone_match if digits else Value(False),
            postcode_match=postcode_match if postcodes else Value(False),
            name_similarity=TrigramSimilarity("display_name", name or ""),
        )
        .filter(
            Q(email_match=True)
            | Q(phone_match=True)
            | Q(postcode_match=True, name_similarity__gte=DUPLICATE_NAME_SIMILARITY)
        )
        .order_by("-name_similarity", "id")
    )
    if exclude is not None:
        donors = donors.exclude(pk=exclude.pk)
    suggestions = []
    for donor in donors[: DUPLICATES_LIMIT * 3]:
        reasons = []
        if donor.email_match:
            reasons.append(DuplicateReason.EMAIL)
        if donor.phone_match:
            reasons.append(DuplicateReason.PHONE)
        if donor.postcode_match and donor.name_similarity >= DUPLICATE_NAME_SIMILARITY:
            reasons.append(DuplicateReason.NAME_AND_POSTCODE)
        suggestions.append(
            DuplicateSuggestion(
                donor=donor, reasons=reasons, name_similarity=round(donor.name_similarity, 3)
            )
        )
    suggestions.sort(key=lambda suggestion: -len(suggestion.reasons))  # stable: keeps similarity
    return suggestions[:DUPLICATES_LIMIT]


def donor_by_id(donor_id: int, *, field: str) -> Donor:
    """The donor an input names by id, or a ServiceError on that input field."""
    donor = Donor.objects.filter(pk=donor_id).first()
    if donor is None:
        raise ServiceError(f"There is no donor {donor_id}.", fields={field: ["Unknown donor."]})
    return donor


def donors_counted() -> int:
    """Donors that count against the plan: all but those merged into another."""
    return Donor.objects.filter(merged_into__isnull=True).count()
