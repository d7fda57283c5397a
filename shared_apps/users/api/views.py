"""Authentication endpoints that must check the token's schema (see tokens.py), and the login
that counts its failures with the login pages (see throttling.py)."""

from __future__ import annotations

from typing import Any

from dj_rest_auth import views as rest_auth_views
from django.contrib.auth import logout as django_logout
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as token_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from saas_platform.lib.throttling import LoginAttemptThrottle, login_failure_record
from shared_apps.users.api.serializers import LogoutSerializer
from shared_apps.users.tokens import TenantRefreshToken


class LoginView(rest_auth_views.LoginView):
    """dj-rest-auth's JWT login, throttled on failures rather than on every request, so that
    staff behind one office address are not locked out by their own successful logins."""

    throttle_classes = [LoginAttemptThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            login_failure_record(request=request)
            raise


class LogoutView(APIView):
    """Revoke a refresh token (it is blacklisted) and end the session, if any."""

    permission_classes = [AllowAny]
    throttle_scope = "dj_rest_auth"

    @extend_schema(request=LogoutSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = TenantRefreshToken(serializer.validated_data["refresh"])
            token.blacklist()
        except TokenError as error:
            raise InvalidToken(str(error)) from None
        django_logout(request._request)
        return Response({"detail": "Logged out."}, status=status.HTTP_200_OK)


class TokenRefreshView(token_views.TokenRefreshView):
    """simplejwt's refresh, limited per client like the other auth endpoints (it has no scope)."""

    throttle_scope = "dj_rest_auth"


class TokenVerifyView(token_views.TokenVerifyView):
    throttle_scope = "dj_rest_auth"
