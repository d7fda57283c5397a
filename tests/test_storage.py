"""Tenant-namespaced files on S3 (moto's server on 127.0.0.1) and on disk."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile
from django_tenants.utils import schema_context
from moto.server import ThreadedMotoServer
from pytest_django import Settings

from saas_platform.lib.storage import TenantFileSystemStorage, TenantS3Storage
from tests.plugin import Tenant

BUCKET = "ifm-test"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint: str) -> TenantS3Storage:
    return TenantS3Storage(bucket_name=BUCKET, endpoint_url=s3_endpoint, **CREDENTIALS)


def _keys(endpoint: str) -> set[str]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


@pytest.mark.django_db
def test_s3_keys_are_prefixed_with_the_tenants_schema(
    s3_storage: TenantS3Storage, s3_endpoint: str, alpha: Tenant, beta: Tenant
) -> None:
    with schema_context("alpha"):
        alpha_name = s3_storage.save("receipts/2026/r-1.pdf", ContentFile(b"alpha receipt"))
    with schema_context("beta"):
        beta_name = s3_storage.save("receipts/2026/r-1.pdf", ContentFile(b"beta receipt"))

    assert alpha_name == beta_name == "receipts/2026/r-1.pdf"
    keys = _keys(s3_endpoint)
    assert "tenants/alpha/receipts/2026/r-1.pdf" in keys
    assert "tenants/beta/receipts/2026/r-1.pdf" in keys
    with schema_context("alpha"), s3_storage.open(alpha_name) as handle:
        assert handle.read() == b"alpha receipt"
    with schema_context("beta"), s3_storage.open(beta_name) as handle:
        assert handle.read() == b"beta receipt"


@pytest.mark.django_db
def test_s3_one_tenant_cannot_reach_another_tenants_keys(
    s3_storage: TenantS3Storage, alpha: Tenant, beta: Tenant
) -> None:
    with schema_context("alpha"):
        s3_storage.save("private/only-alpha.txt", ContentFile(b"secret"))

    with schema_context("beta"):
        assert not s3_storage.exists("private/only-alpha.txt")
        for name in (
            "../alpha/private/only-alpha.txt",
            "/tenants/alpha/private/only-alpha.txt",
            "../../tenants/alpha/private/only-alpha.txt",
        ):
            with pytest.raises(SuspiciousOperation):
                s3_storage.open(name).read()
        directories, _files = s3_storage.listdir("")
        assert "private" not in directories


@pytest.mark.django_db
def test_s3_urls_point_inside_the_tenants_prefix(
    s3_storage: TenantS3Storage, in_alpha: Tenant
) -> None:
    url = s3_storage.url("receipts/r-9.pdf")
    assert "/tenants/alpha/receipts/r-9.pdf" in url
    assert "Signature" in url or "X-Amz-Signature" in url


@pytest.mark.django_db
def test_disk_storage_is_namespaced_too(
    tmp_path: Path, settings: Settings, alpha: Tenant, beta: Tenant
) -> None:
    settings.MEDIA_ROOT = tmp_path
    storage = TenantFileSystemStorage()
    with schema_context("alpha"):
        storage.save("notes/a.txt", ContentFile(b"alpha"))
        with pytest.raises(SuspiciousOperation):
            storage.open("../beta/notes/a.txt")
    with schema_context("beta"):
        assert not storage.exists("notes/a.txt")
    assert (tmp_path / "tenants" / "alpha" / "notes" / "a.txt").read_bytes() == b"alpha"
