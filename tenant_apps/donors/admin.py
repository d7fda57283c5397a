"""The donor database in the tenant's Django admin, to look at only: every write goes through
donors.services, which keep display names, primaries, merges and the audit log right."""

from django.contrib import admin

from saas_platform.lib.admin import ReadOnlyAdmin, ReadOnlyInline
from saas_platform.lib.admin_sites import tenant_admin_site
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorMergeRecord,
    DonorNote,
    DonorPhone,
    DonorTask,
    Household,
    Tag,
)


class EmailInline(ReadOnlyInline):
    model = DonorEmail
    fields = readonly_fields = ("email", "is_primary")


class PhoneInline(ReadOnlyInline):
    model = DonorPhone
    fields = readonly_fields = ("number", "phone_digits", "is_primary")


class AddressInline(ReadOnlyInline):
    model = DonorAddress
    fields = readonly_fields = ("line1", "line2", "city", "region", "postcode", "country")


@admin.register(Donor, site=tenant_admin_site)
class DonorAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "kind", "household", "is_active", "merged_into", "created_at"]
    list_filter = ["kind", "is_active", "do_not_contact"]
    search_fields = ["display_name", "emails__email", "phones__phone_digits"]
    list_select_related = ["household", "merged_into"]
    inlines = [EmailInline, PhoneInline, AddressInline]


@admin.register(Household, site=tenant_admin_site)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Tag, site=tenant_admin_site)
class TagAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(DonorNote, site=tenant_admin_site)
class DonorNoteAdmin(ReadOnlyAdmin):
    list_display = ["donor", "author", "created_at"]
    list_select_related = ["donor", "author"]


@admin.register(DonorMergeRecord, site=tenant_admin_site)
class DonorMergeRecordAdmin(ReadOnlyAdmin):
    list_display = ["merged_at", "survivor", "merged", "acting_user"]
    list_select_related = ["survivor", "merged", "acting_user"]


@admin.register(DonorTask, site=tenant_admin_site)
class DonorTaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "donor", "due_on", "assignee", "completed_at"]
    list_filter = ["due_on", "completed_at"]
    search_fields = ["title", "donor__display_name"]
    list_select_related = ["donor", "assignee"]
