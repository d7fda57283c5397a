"""Writes of the personnel app, one module per domain object: people, staff records (staff),
volunteers, hour entries (hours) and their approval (approvals), the settings, and the payroll
allocation (payroll), with what staff and volunteer records share (work_records) and the checks
several modules use (checks).

Each top-level service owns its transaction and writes its audit row in it; refusals raise
ServiceError (400), NotAllowed (403) or StateConflict (409) with nothing written. Ledger postings
go through accounting.services.entry_record.

This package is the personnel app's interface to the rest of the project; nothing outside the
app writes personnel records today, so it names nothing. The app's own code imports from the
modules.
"""

__all__: list[str] = []
