"""The signup form: the shape of the input. The rules (subdomain, password, plan) are checked
by services.signup_start, whose refusals come back onto the form's fields."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts

from provisioning.slugs import MAX_LENGTH, MIN_LENGTH
from shared_apps.billing.models import Plan


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Plan) -> str:
        return obj.name


class SignupForm(forms.Form):
    name = forms.CharField(
        label="Organization name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )
    slug = forms.CharField(
        label="Subdomain",
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        help_text=f"{MIN_LENGTH} to {MAX_LENGTH} lowercase letters, digits and hyphens.",
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "none",
                "autocomplete": "off",
                "spellcheck": "false",
                "inputmode": "url",
                "pattern": "[a-z0-9][a-z0-9-]*[a-z0-9]",
            }
        ),
    )
    owner_name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="We send a link here to confirm it. You log in with it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter a valid email address, like name@example.org."},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text=" ".join(password_validators_help_texts()),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    plan = PlanChoiceField(
        label="Plan",
        queryset=Plan.objects.none(),
        to_field_name="code",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the plans offered."},
    )
    terms = forms.BooleanField(
        label="I accept the terms of service",
        error_messages={"required": "Please accept the terms of service to continue."},
    )

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_field = cast(PlanChoiceField, self.fields["plan"])
        plan_field.queryset = plans
        self.plans = list(plans)

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip().lower()
