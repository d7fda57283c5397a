"""OpenAPI description of the tenant-bound bearer tokens."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "shared_apps.users.tokens.TenantJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        definition = super().get_security_definition(auto_schema)
        definition["description"] = (
            "Access token from POST /api/v1/auth/login/. Valid only on the host of the "
            "organization that issued it."
        )
        return definition
