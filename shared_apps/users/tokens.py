"""JSON Web Tokens bound to one schema.

User ids repeat across schemas, so a signature alone does not say whose token it is: every token
carries the schema it was issued in, and a token presented on any other host fails to verify,
which the API answers with 401.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token, UntypedToken

from saas_platform.lib.connection import connection

SCHEMA_CLAIM = "schema"


def _verify_schema(token: Token) -> None:
    if token.payload.get(SCHEMA_CLAIM) != connection.schema_name:
        raise TokenError("Token is not valid for this organization.")


class TenantAccessToken(AccessToken):
    def verify(self) -> None:
        super().verify()
        _verify_schema(self)


class TenantRefreshToken(RefreshToken):
    access_token_class = TenantAccessToken

    def verify(self, *args: Any, **kwargs: Any) -> None:
        super().verify(*args, **kwargs)
        _verify_schema(self)

    @classmethod
    def for_user(cls, user: Any) -> TenantRefreshToken:
        # RefreshToken.for_user builds cls(), though simplejwt's types say RefreshToken.
        token = cast(TenantRefreshToken, super().for_user(user))
        token[SCHEMA_CLAIM] = connection.schema_name
        return token


class TenantUntypedToken(UntypedToken):
    def verify(self) -> None:
        super().verify()
        _verify_schema(self)


class TenantJWTAuthentication(JWTAuthentication):
    """Bearer tokens, accepted only on the host of the schema that issued them."""

    www_authenticate_realm = "api"


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    token_class = TenantRefreshToken


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = TenantRefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except get_user_model().DoesNotExist:
            raise AuthenticationFailed(
                str(self.error_messages["no_active_account"]), "no_active_account"
            ) from None


class TenantTokenVerifySerializer(TokenVerifySerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[Any, Any]:
        TenantUntypedToken(attrs["token"])
        return super().validate(attrs)
