from __future__ import annotations

from dj_rest_auth.serializers import LoginSerializer as BaseLoginSerializer
from rest_framework import serializers

from shared_apps.users.models import User


class LoginSerializer(BaseLoginSerializer):
    """Email and password; there are no user names."""

    username = None
    email = serializers.EmailField()


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "date_joined"]
        read_only_fields = ["id", "email", "role", "date_joined"]


class LogoutSerializer(serializers.Serializer[None]):
    refresh = serializers.CharField(help_text="The refresh token to revoke.")
