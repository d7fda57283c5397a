"""What every tenant app shares and no domain owns: the organization's audit log.

Domain apps (donors, donations, personnel, accounting) and the shared apps that act inside a
tenant (users, billing) write to it through `tenant_apps.core.services.audit_record`; it imports
no domain app, only the library (`saas_platform.lib`) and the user model it points at.
"""
