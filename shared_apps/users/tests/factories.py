"""Users in whatever schema is current: call inside schema_context (see tests.plugin)."""

from __future__ import annotations

import factory

from shared_apps.users.models import User
from shared_apps.users.roles import Role

PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    # A value or a declaration: subclasses may fix it (OperatorFactory).
    email: str | factory.Sequence = factory.Sequence(lambda number: f"person{number}@example.org")
    full_name = factory.Faker("name")
    role = Role.VIEWER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(  # noqa: N805 - factory-boy's signature
        obj: User, create: bool, extracted: object, **kwargs: object
    ) -> None:
        if create:
            obj.save()
