"""The core library: helpers every app uses and no domain owns (as healthchecks' `hc/lib`).

Not an app (no models, not in INSTALLED_APPS), and it imports no app: only Django, DRF,
third-party libraries and the standard library. The direction of imports, enforced by
import-linter in `make test` (the contracts are in pyproject.toml, `[tool.importlinter]`):

1. `saas_platform` wiring on top: settings, URL maps, wsgi/asgi, Celery, middleware, views.
2. the apps: onboarding and console, then provisioning, then the tenant apps (donations and
   personnel over donors over accounting), then billing, tenants and users, then the core tenant
   app (the organization's audit log); an app imports only those below it. Shared apps never
   import tenant apps' models: what they need from a tenant's schema comes through a selector or
   a registered provider.
3. this library at the bottom.

What lives here: the API conventions (`api`: error shape and its output serializers, inputs,
pagination), `errors`, input parsing (`inputs`), the report kit (`reports`, `report_api`,
`report_pages`), CSV escaping (`csv_export`), read-only admin bases (`admin`) and the two admin
sites (`admin_sites`), the settings-singleton helper (`singletons`), the fixed-window counter and
login throttling (`throttling`), the plan-limit seam between billing and the apps it counts
(`plan_limits`), queueing tasks on commit (`tasks`), the client address rule
(`client_address`), error pages (`http_errors`), health checks (`health`), request context and
logging, and the tenant-aware storage.
"""
