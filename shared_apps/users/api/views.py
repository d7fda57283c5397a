"""Authentication endpoints that must check the token's schema (see tokens.py)."""

from __future__ import annotations

from django.contrib.auth import logout as django_logout
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from shared_apps.users.api.serializers import LogoutSerializer
from shared_apps.users.tokens import TenantRefreshToken


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
