"""The console's interface to the rest of the project: the operators' actions other apps use.

Operators' actions on tenants: each one checks the reason and the tenant's state under a row
lock, makes its change and writes its OperatorAuditEvent in the same transaction; a refusal
(ServiceError, StateConflict) writes nothing at all. The console's own code (its views, tasks
and tests) imports from the modules where each action lives: `actions` (what every action
shares), `states` (suspend, reactivate, retry a provisioning), `exports` and `deletion`.
"""

from shared_apps.console.services.states import organization_suspend

__all__ = ["organization_suspend"]
