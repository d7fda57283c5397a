"""Background work of onboarding: the verification email and the provisioning of a verified
signup. Tasks take ids and run in the public schema, where signups live."""

from __future__ import annotations

from celery import shared_task


# A mail server that cannot be reached (any OSError: refused, timed out, SMTP errors) is
# tried again later, further apart each time.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def signup_verification_email_send(signup_id: int) -> None:
    # Imported when the task runs: the services import this module to queue it.
    from shared_apps.onboarding.services import signup_verification_send

    signup_verification_send(signup_id=signup_id)


@shared_task(acks_late=True)
def signup_provision(signup_id: int) -> None:
    # Imported when the task runs: the services import this module to queue it.
    from shared_apps.onboarding.services import signup_provision as provision

    provision(signup_id=signup_id)


@shared_task
def signups_expire() -> int:
    # Imported when the task runs: the services import this module to queue it.
    from shared_apps.onboarding.services import signups_expire as expire

    return expire()
