"""Personnel in the tenant's Django admin, to look at only: writes go through
personnel.services, which check the rules (splits, dates, a day's 24 hours) and keep the audit
trail and the books in step."""

from django.contrib import admin

from saas_platform.lib.admin import ReadOnlyAdmin
from saas_platform.lib.admin_sites import tenant_admin_site
from tenant_apps.personnel.models import (
    HourEntry,
    PayrollAllocation,
    Person,
    PersonnelSettings,
    StaffRecord,
    Volunteer,
)


@admin.register(Person, site=tenant_admin_site)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "email", "phone", "user", "donor"]
    search_fields = ["full_name", "email", "phone"]
    list_select_related = ["user", "donor"]


@admin.register(StaffRecord, site=tenant_admin_site)
class StaffRecordAdmin(ReadOnlyAdmin):
    list_display = ["person", "position", "department", "employment_type", "pay_type"]
    list_display += ["start_date", "end_date"]
    list_filter = ["employment_type", "pay_type", "department"]
    search_fields = ["person__full_name", "position", "department"]
    list_select_related = ["person", "default_program"]


@admin.register(Volunteer, site=tenant_admin_site)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ["person", "status", "start_date", "end_date", "background_check_on"]
    list_filter = ["status"]
    search_fields = ["person__full_name"]
    list_select_related = ["person"]


@admin.register(HourEntry, site=tenant_admin_site)
class HourEntryAdmin(ReadOnlyAdmin):
    list_display = ["date", "person", "kind", "hours", "function", "program", "state"]
    list_filter = ["state", "kind", "function", "specialized_skills"]
    search_fields = ["person__full_name", "activity"]
    list_select_related = ["person", "program"]
    date_hierarchy = "date"


@admin.register(PersonnelSettings, site=tenant_admin_site)
class PersonnelSettingsAdmin(ReadOnlyAdmin):
    list_display = ["volunteer_hourly_rate", "payroll_posting_enabled", "salary_account"]


@admin.register(PayrollAllocation, site=tenant_admin_site)
class PayrollAllocationAdmin(ReadOnlyAdmin):
    list_display = ["start", "end", "entry", "total_cost", "amount_moved", "created_at"]
    list_select_related = ["entry"]
