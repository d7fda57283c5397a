"""OpenAPI description of the tenant-bound bearer tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "shared_apps.users.tokens.TenantJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(
        self, auto_schema: AutoSchema
    ) -> dict[str, Any] | list[dict[str, Any]]:
        definition = super().get_security_definition(auto_schema)
        # The bearer scheme is one definition (a dict); a list would be several schemes.
        if isinstance(definition, dict):
            definition["description"] = (
                "Access token from POST /api/v1/auth/login/. Valid only on the host of the "
                "organization that issued it."
            )
        return definition
