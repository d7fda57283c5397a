"""Background work of onboarding: the verification email and the provisioning of a verified
signup. Tasks take ids and run in the public schema, where signups live."""

from __future__ import annotations

from saas_platform.celery import app


@app.task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def signup_verification_email_send(signup_id: int) -> None:
    from shared_apps.onboarding.services import signup_verification_send

    signup_verification_send(signup_id=signup_id)


@app.task(acks_late=True)
def signup_provision(signup_id: int) -> None:
    from shared_apps.onboarding.services import signup_provision as provision

    provision(signup_id=signup_id)


@app.task
def signups_expire() -> int:
    from shared_apps.onboarding.services import signups_expire as expire

    return expire()
