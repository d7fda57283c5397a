"""The IFM Django project. Named saas_platform because a top-level `platform` package would
shadow Python's standard-library module of that name (imported by uuid, pytest and Celery)."""

from saas_platform.celery import app as celery_app

__all__ = ["celery_app"]
