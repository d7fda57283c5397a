"""Reads of the donor database: lists and search (PostgreSQL trigram matching on names and
emails, exact on phone digits and tag names), duplicate suggestions and the preview of a merge,
and follow-up tasks (a donor's, someone's, "my tasks")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from saas_platform.lib.errors import ServiceError
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorNote,
    DonorPhone,
    DonorTask,
    Household,
    Tag,
)
from tenant_apps.donors.services.checks import (
    PHONE_MIN_DIGITS,
    DonorNames,
    address_match_key,
    display_name_of,
    phone_digits_of,
    postcode_normalize,
)

if TYPE_CHECKING:
    from shared_apps.users.models import User

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


def donor_rows() -> QuerySet[Donor]:
    """Donors as the donor list shows them: the first email and phone (primary first) as
    columns `first_email` and `first_phone`, and the names of their tags in order as
    `tag_names`. One query a page, where `donor_list()` takes six and builds every contact and
    address as an object (the search fragment spent a third of its time there), and
    prefetching the tags built a related manager and a queryset for each donor shown."""

    def first(model: type[DonorEmail | DonorPhone], column: str) -> Subquery:
        contacts = model.objects.filter(donor=OuterRef("pk")).order_by("-is_primary", "id")
        return Subquery(contacts.values(column)[:1])

    tag_names = Tag.objects.filter(donors=OuterRef("pk")).order_by("name", "id").values("name")
    return Donor.objects.annotate(
        first_email=first(DonorEmail, "email"),
        first_phone=first(DonorPhone, "number"),
        tag_names=ArraySubquery(tag_names),
    ).order_by("display_name", "id")


@contextmanager
def searching() -> Iterator[None]:
    """A transaction in which `donor_search` is evaluated faster, with the same results.

    The name match is `%` (pg_trgm's similarity at its threshold, which the GIN index answers)
    rechecked at SEARCH_NAME_SIMILARITY. At pg_trgm's default threshold of 0.3 the index hands
    back every name 0.3 similar ("smith": 2,117 candidates to keep 467, 17 ms); at 0.4 it hands
    back about what is kept (539, 6 ms). The setting is local to the transaction, so a pooled
    connection never carries it to another request."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
            [str(SEARCH_NAME_SIMILARITY)],
        )
        yield


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
    # Evaluated inside `searching()`, the same query is faster.
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
    # `id = ANY(ARRAY(...))`, not `id IN (...)`: the ids are found once, then each donor is
    # read by its key. With IN, PostgreSQL guessed thousands of matches from the email index
    # and hashed all 100,000 donors to join a few hundred (58 of 146 ms for "smith").
    unordered = [part.order_by() for part in parts]
    found = ArraySubquery(unordered[0].union(*unordered[1:]).order_by())
    # pk = ANY(ARRAY(...)), written out: Django has no lookup for it.
    one_of_found = Func(
        F("pk"),
        found,
        template="(%(expressions)s))",
        arg_joiner=" = ANY(",
        output_field=BooleanField(),
    )
    return donors.filter(one_of_found)


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
    # Every match is among the donors with one of these emails, phones or postcodes: naming
    # those few first lets PostgreSQL find them by index instead of scoring every donor's name
    # (a seq scan of 100,000 donors on a donor's page, bench/pages.py).
    near = [
        *([DonorEmail.objects.filter(email__in=emails)] if emails else []),
        *([DonorPhone.objects.filter(phone_digits__in=digits)] if digits else []),
        *([DonorAddress.objects.filter(postcode__in=postcodes)] if name and postcodes else []),
    ]
    near_ids = near[0].values("donor_id").union(*(rows.values("donor_id") for rows in near[1:]))
    donors = (
        Donor.objects.filter(merged_into__isnull=True, pk__in=near_ids)
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


# --- The preview of a merge ------------------------------------------------------------------

# A preview lists this many things of each kind, and says how many more there are.
PREVIEW_SHOWN = 10
DAY_FORMAT = "M j, Y"


@dataclass(frozen=True)
class PreviewItem:
    """One thing in a merge preview, as a person reads it, with a link to it if it has a page."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class MergePreviewPart:
    """One kind of thing a merge moves (or changes on the survivor): the first few that move
    and how many in all, and those that stay with the merged donor, with why."""

    label: str
    moving: list[PreviewItem] = field(default_factory=list)
    moving_count: int = 0
    staying: list[PreviewItem] = field(default_factory=list)
    staying_count: int = 0
    staying_why: str = ""

    @property
    def moving_more(self) -> int:
        return self.moving_count - len(self.moving)

    @property
    def staying_more(self) -> int:
        return self.staying_count - len(self.staying)

    @property
    def is_empty(self) -> bool:
        return not (self.moving_count or self.staying_count)


MergePreview = Callable[[Donor, Donor], MergePreviewPart]


def day_shown(day: date) -> str:
    """A day as the staff pages show it (Mar 5, 2026)."""
    return date_format(day, DAY_FORMAT)


def preview_rows[Row: Model](
    rows: QuerySet[Row], describe: Callable[[Row], PreviewItem]
) -> tuple[list[PreviewItem], int]:
    """The first PREVIEW_SHOWN rows described, and how many rows there are in all: one query
    (the count is a window over the rows, taken before the limit)."""
    shown = list(rows.annotate(preview_total=Window(Count("pk")))[:PREVIEW_SHOWN])
    total = getattr(shown[0], "preview_total", 0) if shown else 0
    return [describe(row) for row in shown], total


def _part(
    label: str,
    moving: Iterable[PreviewItem] = (),
    staying: Iterable[PreviewItem] = (),
    *,
    staying_why: str = "",
) -> MergePreviewPart:
    moving, staying = list(moving), list(staying)
    return MergePreviewPart(
        label=label,
        moving=moving[:PREVIEW_SHOWN],
        moving_count=len(moving),
        staying=staying[:PREVIEW_SHOWN],
        staying_count=len(staying),
        staying_why=staying_why,
    )


def _contacts_preview[Contact: (DonorEmail, DonorPhone, DonorAddress)](
    label: str,
    survivor_rows: Iterable[Contact],
    merged_rows: Iterable[Contact],
    *,
    key: Callable[[Contact], Any],
    shown: Callable[[Contact], str],
    survivor: Donor,
) -> MergePreviewPart:
    """As the merge moves contacts: one the survivor has already stays with the merged donor."""
    kept = {key(row) for row in survivor_rows}
    moving: list[PreviewItem] = []
    staying: list[PreviewItem] = []
    for row in merged_rows:
        (staying if key(row) in kept else moving).append(PreviewItem(shown(row)))
    return _part(
        label,
        moving,
        staying,
        staying_why=f"{survivor.display_name} has {'it' if len(staying) == 1 else 'them'} already.",
    )


def _address_shown(address: DonorAddress) -> str:
    return ", ".join(
        part
        for part in (address.line1, address.line2, address.city, address.region, address.postcode)
        if part
    )


# Each takes the survivor and the merged donor, both as donor_list() loads them (contacts, tags
# and household with them), and reads what their merge step would move.


def _emails_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    return _contacts_preview(
        "Emails",
        survivor.emails.all(),
        merged.emails.all(),
        key=lambda row: row.email,
        shown=lambda row: row.email,
        survivor=survivor,
    )


def _phones_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    return _contacts_preview(
        "Phones",
        survivor.phones.all(),
        merged.phones.all(),
        key=lambda row: row.phone_digits,
        shown=lambda row: row.number,
        survivor=survivor,
    )


def _addresses_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    return _contacts_preview(
        "Addresses",
        survivor.addresses.all(),
        merged.addresses.all(),
        key=address_match_key,
        shown=_address_shown,
        survivor=survivor,
    )


def _notes_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    def described(note: DonorNote) -> PreviewItem:
        body = " ".join(note.body.split())
        return PreviewItem(f"{day_shown(timezone.localdate(note.created_at))}: {body[:80]}")

    items, count = preview_rows(donor_notes(donor=merged), described)
    if merged.notes:
        items.insert(0, PreviewItem("The notes on file, added below the survivor's"))
        count += 1
    return MergePreviewPart(label="Notes", moving=items, moving_count=count)


def _tags_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    own = {tag.pk for tag in survivor.tags.all()}
    return _part("Tags", (PreviewItem(tag.name) for tag in merged.tags.all() if tag.pk not in own))


def _household_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    if merged.household is None:
        return _part("Household")
    if survivor.household is None:
        return _part(
            "Household", [PreviewItem(f"{survivor.display_name} joins {merged.household}")]
        )
    return _part(
        "Household",
        staying=[PreviewItem(f"{merged.display_name} leaves {merged.household}")],
        staying_why=f"{survivor.display_name} stays in {survivor.household}.",
    )


PREFERENCE_LABELS = {
    "email_ok": "May be emailed",
    "mail_ok": "May be sent mail",
    "phone_ok": "May be phoned",
}


def _preferences_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    # As the merge decides: an opt-out on either record is an opt-out.
    changed = [
        PreviewItem(f"{label}: no, as on {merged.display_name}")
        for name, label in PREFERENCE_LABELS.items()
        if getattr(survivor, name) and not getattr(merged, name)
    ]
    if merged.do_not_contact and not survivor.do_not_contact:
        changed.append(PreviewItem(f"Do not contact at all, as on {merged.display_name}"))
    # News by email is an opt-in: asked for on either record, kept, unless either says do not
    # contact.
    do_not_contact = survivor.do_not_contact or merged.do_not_contact
    if survivor.email_news_ok and do_not_contact:
        changed.append(PreviewItem("Email news: no, as the donor is not to be contacted"))
    elif merged.email_news_ok and not survivor.email_news_ok and not do_not_contact:
        changed.append(PreviewItem(f"Email news: asked for, as on {merged.display_name}"))
    return _part("Preferences", changed)


def _earlier_merges_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    def described(donor: Donor) -> PreviewItem:
        return PreviewItem(
            f"{donor.display_name}, merged into {merged.display_name} before",
            reverse("donors:detail", args=[donor.pk]),
        )

    items, count = preview_rows(
        Donor.objects.filter(merged_into=merged).order_by("display_name", "id"), described
    )
    return MergePreviewPart(label="Earlier merges", moving=items, moving_count=count)


def _tasks_preview(survivor: Donor, merged: Donor) -> MergePreviewPart:
    def described(task: DonorTask) -> PreviewItem:
        state = "done" if task.is_done else f"due {day_shown(task.due_on)}"
        return PreviewItem(f"{task.title} ({state}, {task.assignee.get_full_name()})")

    items, count = preview_rows(donor_tasks_ordered(donor=merged), described)
    return MergePreviewPart(label="Tasks", moving=items, moving_count=count)


# The previews of a merge's steps, by the step's name (tenant_apps.donors.services.merges):
# other apps add theirs with merge_preview_register(), as they add their steps.
MERGE_PREVIEWS: list[tuple[str, MergePreview]] = [
    ("emails", _emails_preview),
    ("phones", _phones_preview),
    ("addresses", _addresses_preview),
    ("notes", _notes_preview),
    ("tags", _tags_preview),
    ("household", _household_preview),
    ("preferences", _preferences_preview),
    ("tasks", _tasks_preview),
    ("earlier_merges", _earlier_merges_preview),
]


def merge_preview_register(name: str, preview: MergePreview) -> None:
    """Add the preview of another app's merge step (named as the step). Idempotent by name."""
    if name not in {existing for existing, _ in MERGE_PREVIEWS}:
        MERGE_PREVIEWS.append((name, preview))


def donor_merge_preview(*, survivor: Donor, merged: Donor) -> list[MergePreviewPart]:
    """What merging `merged` into `survivor` would move, kind by kind, read without writing:
    each merge step has its preview. Pass both donors as donor_list() loads them. A fixed
    number of queries, whatever either donor holds."""
    return [preview(survivor, merged) for _, preview in MERGE_PREVIEWS]


# --- Tasks ------------------------------------------------------------------------------------

DONOR_TASKS_SHOWN = 20
MY_TASKS_SHOWN = 5


def task_list() -> QuerySet[DonorTask]:
    """Tasks with their donor and people: one query for a page of them."""
    return DonorTask.objects.select_related("donor", "assignee", "completed_by", "created_by")


def donor_tasks_ordered(*, donor: Donor) -> QuerySet[DonorTask]:
    """A donor's tasks: the open ones by due day, then the done ones, latest first."""
    return (
        DonorTask.objects.filter(donor=donor)
        .select_related("assignee", "completed_by")
        .order_by(F("completed_at").desc(nulls_first=True), "due_on", "id")
    )


@dataclass(frozen=True)
class DonorTasks:
    tasks: Sequence[DonorTask]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.tasks)


def donor_tasks(*, donor: Donor, limit: int = DONOR_TASKS_SHOWN) -> DonorTasks:
    """The first of a donor's tasks (donor_tasks_ordered) and how many there are: one query."""
    tasks = list(donor_tasks_ordered(donor=donor).annotate(total=Window(Count("pk")))[:limit])
    return DonorTasks(tasks=tasks, total=getattr(tasks[0], "total", 0) if tasks else 0)


@dataclass(frozen=True)
class MyTasks:
    """Someone's open tasks, overdue first then the next due, and how many they have."""

    today: date
    tasks: list[DonorTask]
    open_count: int
    overdue_count: int


def my_tasks(*, user: User, today: date, limit: int = MY_TASKS_SHOWN) -> MyTasks:
    """`user`'s first open tasks by due day (the overdue ones come first), with counts: two
    queries."""
    mine = DonorTask.objects.filter(assignee=user, completed_at__isnull=True)
    counts = mine.aggregate(
        open_count=Count("pk"), overdue_count=Count("pk", filter=Q(due_on__lt=today))
    )
    tasks = list(mine.select_related("donor").order_by("due_on", "id")[:limit])
    return MyTasks(today=today, tasks=tasks, **counts)
