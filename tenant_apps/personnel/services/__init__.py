"""Writes of the personnel app, one module per domain object: people, staff records (staff),
volunteers, hour entries (hours) and their approval (approvals), the settings, and the payroll
allocation (payroll) and pay runs (pay_runs), with what staff and volunteer records share
(work_records) and the checks several modules use (checks).

Each top-level service owns its transaction and writes its audit row in it; refusals raise
ServiceError (400), NotAllowed (403) or StateConflict (409) with nothing written. Ledger postings
go through accounting.services.entry_record.

This package is the personnel app's interface to the rest of the project: it names what code
outside the app uses (the demo records its people, hours and payroll through it). The app's own
code imports from the modules.
"""

from tenant_apps.personnel.services.approvals import hour_entries_approve
from tenant_apps.personnel.services.hours import HourSpec, hour_entries_submit, hour_entry_submit
from tenant_apps.personnel.services.pay_runs import PayLine, pay_run_create, pay_run_post
from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.people import person_create
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.services.staff import staff_record_create
from tenant_apps.personnel.services.volunteers import volunteer_create

__all__ = [
    "HourSpec",
    "PayLine",
    "hour_entries_approve",
    "hour_entries_submit",
    "hour_entry_submit",
    "pay_run_create",
    "pay_run_post",
    "payroll_allocation_post",
    "person_create",
    "settings_update",
    "staff_record_create",
    "volunteer_create",
]
