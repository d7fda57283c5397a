"""Signups in the public schema, pending unless told otherwise."""

from datetime import timedelta

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from shared_apps.onboarding.models import Signup

PASSWORD = "Harbor-Light-2026"


class SignupFactory(factory.django.DjangoModelFactory[Signup]):
    class Meta:
        model = Signup

    name = "Harbor Food Bank"
    slug = factory.Sequence(lambda number: f"harbor{number}")
    owner_name = "Hana Ortiz"
    email = factory.Sequence(lambda number: f"hana{number}@harbor.org")
    plan_code = "standard"
    password_hash = factory.LazyFunction(lambda: make_password(PASSWORD))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))
