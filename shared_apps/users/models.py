"""The user model. Its table exists in the public schema (operators) and in every tenant schema
(that organization's staff), so ids repeat across schemas: sessions and tokens are tenant-bound."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from shared_apps.users.roles import ADMINISTRATOR_ROLES, Capability, Role, role_has_capability


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        """`createsuperuser` makes a platform operator (public schema)."""
        fields.update(is_superuser=True, is_operator=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254, unique=True)  # stored lowercased
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.VIEWER)
    is_operator = models.BooleanField(
        default=False, help_text="A platform operator (public schema only): may use the console."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        db_table = "users"
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="users_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_staff(self) -> bool:
        """Who may enter the Django admin of the schema they belong to."""
        return self.is_active and (self.is_operator or self.role in ADMINISTRATOR_ROLES)

    def has_capability(self, capability: Capability) -> bool:
        return self.is_active and role_has_capability(self.role, capability)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if self.is_active and self.role in ADMINISTRATOR_ROLES and not self.is_operator:
            return True  # owners and admins administer everything in their organization
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.role in ADMINISTRATOR_ROLES and not self.is_operator:
            return True
        return super().has_module_perms(app_label)
