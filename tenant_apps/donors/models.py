"""The donor database of one organization: donors (people and organizations), their emails,
phones and addresses, households, tags, notes, follow-up tasks, and the record of each merge of
duplicates.

Donors are never deleted: a merged donor stays as an inactive tombstone pointing at the donor
it was merged into, so that anything that referred to it can still be followed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Coalesce, Lower, Upper


class DonorKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    ORGANIZATION = "organization", "Organization"


class Household(models.Model):
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_name_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name


class Donor(models.Model):
    kind = models.CharField(max_length=20, choices=DonorKind.choices)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    organization_name = models.CharField(max_length=200, blank=True)
    # Kept by donors.services from the names above: what lists show and search matches.
    display_name = models.CharField(max_length=200)
    email_ok = models.BooleanField(default=True)
    # Asked to be sent news and appeals by email (the giving page's opt-in, or staff): apart
    # from email_ok, which allows any email at all, receipts included.
    email_news_ok = models.BooleanField(default=False)
    mail_ok = models.BooleanField(default=True)
    phone_ok = models.BooleanField(default=True)
    do_not_contact = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="donors")
    is_active = models.BooleanField(default=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_donors"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Posted giving: the total and the day of the last gift. Written by the database only
    # (donations' triggers recompute them from the donor's gifts whenever a gift or the donor
    # changes, and add a gift written already posted to them), so that the donor list sorts and
    # filters on them without summing 300,000 gifts; a value saved from Python is replaced by
    # the recomputed one.
    giving_total = models.DecimalField(
        max_digits=14, decimal_places=2, db_default=Decimal("0.00"), editable=False
    )
    giving_last_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=DonorKind.values), name="donor_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=DonorKind.INDIVIDUAL)
                | ~models.Q(first_name="")
                | ~models.Q(last_name=""),
                name="donor_individual_has_a_name",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=DonorKind.ORGANIZATION) | ~models.Q(organization_name=""),
                name="donor_organization_has_a_name",
            ),
            models.CheckConstraint(
                condition=~models.Q(display_name=""), name="donor_display_name_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(is_active=False),
                name="donor_merged_is_inactive",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="donor_not_merged_into_itself",
            ),
        ]
        indexes = [
            GinIndex(
                fields=["display_name"],
                name="donor_display_name_trgm",
                opclasses=["gin_trgm_ops"],
            ),
            models.Index(fields=["display_name", "id"], name="donor_display_name_order"),
            # The donor list's keys by name (it never shows merged donors): a deep page skips
            # its rows in this index alone (listing_counted_up_to).
            models.Index(
                fields=["display_name", "id"],
                condition=models.Q(merged_into__isnull=True),
                name="donor_current_by_name",
            ),
            # The donor list sorted by lifetime giving and by last gift (those who never gave
            # last: the same expression as donations.selectors.donors_with_giving sorts on).
            models.Index(fields=["giving_total", "id"], name="donor_giving_total_order"),
            models.Index(
                Coalesce("giving_last_on", models.Value(date.min), output_field=models.DateField()),
                models.F("id"),
                name="donor_giving_last_order",
            ),
            # A search of one or two letters matches names by prefix (istartswith, which
            # PostgreSQL runs as UPPER(name) LIKE 'JO%'): these answer it without reading
            # every donor.
            models.Index(
                OpClass(Upper("first_name"), name="text_pattern_ops"),
                name="donor_first_name_prefix",
            ),
            models.Index(
                OpClass(Upper("last_name"), name="text_pattern_ops"),
                name="donor_last_name_prefix",
            ),
            models.Index(
                OpClass(Upper("organization_name"), name="text_pattern_ops"),
                name="donor_organization_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class DonorEmail(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="emails")
    # Stored lowercased by donors.services, so that equality and search ignore case.
    email = models.EmailField(max_length=254)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["donor"],
                condition=models.Q(is_primary=True),
                name="donoremail_one_primary_per_donor",
            ),
            models.UniqueConstraint(fields=["donor", "email"], name="donoremail_unique_per_donor"),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="donoremail_lowercase"
            ),
        ]
        indexes = [
            models.Index(fields=["email"], name="donoremail_email"),
            GinIndex(fields=["email"], name="donoremail_email_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.email


class DonorPhone(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="phones")
    number = models.CharField(max_length=40, help_text="As given, for display.")
    # The digits only (a leading US country code 1 dropped): what search and duplicates compare.
    phone_digits = models.CharField(max_length=20)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["donor"],
                condition=models.Q(is_primary=True),
                name="donorphone_one_primary_per_donor",
            ),
            models.CheckConstraint(
                condition=models.Q(phone_digits__regex=r"^[0-9]{7,15}$"),
                name="donorphone_digits_valid",
            ),
        ]
        indexes = [models.Index(fields=["phone_digits"], name="donorphone_digits")]

    def __str__(self) -> str:
        return self.number


class DonorAddress(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="addresses")
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    # Stored uppercased with single spaces by donors.services, so postcodes compare as equal.
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166-1 alpha-2.")
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name_plural = "donor addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["donor"],
                condition=models.Q(is_primary=True),
                name="donoraddress_one_primary_per_donor",
            ),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="donoraddress_country_code"
            ),
        ]
        indexes = [models.Index(fields=["postcode"], name="donoraddress_postcode")]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.line1, self.city, self.postcode) if part)


class DonorNote(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="donor_notes")
    body = models.TextField()
    author = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class DonorMergeRecord(models.Model):
    """What a merge moved from the merged donor to the survivor, kept for audit and undoing by
    hand; written in the merge's transaction."""

    survivor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="+")
    acting_user = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    moved = models.JSONField(default=dict)

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merged"], name="donormergerecord_merged_once"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} into {self.survivor_id}"


class DonorTask(models.Model):
    """A follow-up with a donor (call to thank, send the annual report...): due on a day, assigned
    to one of the organization's staff, done once someone marks it so."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_on = models.DateField()
    assignee = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="donortask_title_not_empty"),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=False)
                | models.Q(completed_by__isnull=True),
                name="donortask_completed_by_only_when_done",
            ),
        ]
        indexes = [
            # "My tasks" and the task list: someone's open tasks by due day, and everyone's.
            models.Index(
                fields=["assignee", "due_on", "id"],
                condition=models.Q(completed_at__isnull=True),
                name="donortask_open_assignee_due",
            ),
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(completed_at__isnull=True),
                name="donortask_open_due",
            ),
            models.Index(fields=["assignee", "completed_at"], name="donortask_assignee_done"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None
