"""File storage namespaced by tenant: keys live under `tenants/<schema>/`.

The prefix is taken from the connection at each call, so code stores `receipts/2026/1.pdf` and
the storage puts it in the current tenant's folder; names that climb out of it (`../beta/...`)
are refused by the storages' own safe joins.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.db import connection
from storages.backends.s3 import S3Storage


def tenant_prefix() -> str:
    # django-tenants' backend adds the schema to the connection; Django's types do not know it.
    schema: str = getattr(connection, "schema_name", "")
    if not schema:
        raise SuspiciousFileOperation("No schema is selected: refusing to store a file.")
    return f"tenants/{schema}"


class TenantS3Storage(S3Storage):
    @property
    def location(self) -> str:
        return tenant_prefix()

    @location.setter
    def location(self, value: str) -> None:
        # S3Storage sets a location from its settings; the tenant's prefix always wins.
        pass


class TenantFileSystemStorage(FileSystemStorage):
    @property
    def base_location(self) -> str:
        return os.path.join(str(settings.MEDIA_ROOT), tenant_prefix())

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return f"{settings.MEDIA_URL}{tenant_prefix()}/"
