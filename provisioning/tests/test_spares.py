"""Spare schemas: a tenant made from one has the catalog of a migrated schema and its own
pinned search paths; stale spares are never handed out; claims skip each other; refills keep
the number asked for and drop the rest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import psycopg2
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists
from pytest_django import DjangoDbBlocker, Settings

from provisioning import services, spares
from provisioning.health import spares_ready
from provisioning.lifecycle import tenants_check
from provisioning.models import SpareSchema
from provisioning.seed import seed_key
from provisioning.services import tenant_provision
from provisioning.spares import spare_claim, spares_refill, spares_wanted
from provisioning.template import migration_nodes, template_state
from provisioning.tests.test_template import _applied, _catalog
from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Organization, OrganizationState
from tenant_apps.accounting.models import Account, FiscalPeriod


def _spare_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE '\\_spare\\_%%'")
        return {row[0] for row in cursor.fetchall()}


def _no_clone(schema_name: str) -> bool:
    raise AssertionError(f"{schema_name} was cloned from the template, not made from a spare")


@pytest.mark.django_db
def test_a_tenant_made_from_a_spare_is_a_whole_tenant_of_its_own(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    assert spares_refill() == 1
    (spare,) = SpareSchema.objects.all()
    assert spare.template_key == template_state()[1]
    assert _spare_schemas() == {spare.schema_name}
    migrated = []
    monkeypatch.setattr(services, "tenant_schema_clone", _no_clone)
    monkeypatch.setattr(services, "call_command", lambda *a, **k: migrated.append(a))

    organization = tenant_provision(
        slug="delta", name="Delta", owner_email="o@delta.org", owner_password="Delta-Pass-99"
    )

    assert organization.state == OrganizationState.ACTIVE
    assert migrated == []
    assert not SpareSchema.objects.exists()
    assert _spare_schemas() == set()
    assert _applied("delta") == migration_nodes()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig::text FROM pg_proc"
            " WHERE pronamespace = 'delta'::regnamespace AND proconfig IS NOT NULL"
        )
        pinned = dict(cursor.fetchall())
        cursor.execute("CREATE SCHEMA migrated")
    assert {"accounting_entry_balanced", "donations_receipt_guard"} <= set(pinned)
    assert set(pinned.values()) == {'{"search_path=delta, public"}'}
    call_command("migrate_schemas", schema_name="migrated", interactive=False, verbosity=0)
    connection.set_schema_to_public()
    made, reference = _catalog("delta"), _catalog("migrated")
    for part in reference:
        assert made[part] == reference[part], part
    with schema_context("delta"):
        assert Account.objects.filter(code="1010").exists()  # seeded after the rename


@pytest.mark.django_db
def test_a_spare_that_missed_a_migration_is_dropped_and_the_template_cloned(
    settings: Settings,
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    spares_refill()
    (spare,) = SpareSchema.objects.all()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {spare.schema_name}.django_migrations"  # noqa: S608
            " WHERE app = 'donations' AND name = (SELECT max(name)"
            f" FROM {spare.schema_name}.django_migrations WHERE app = 'donations')"
        )

    with transaction.atomic():
        assert not spare_claim("delta")
        assert not schema_exists("delta")
        assert not SpareSchema.objects.exists()
        assert not schema_exists(spare.schema_name)

    organization = tenant_provision(
        slug="delta", name="Delta", owner_email="o@delta.org", owner_password="Delta-Pass-99"
    )
    assert organization.state == OrganizationState.ACTIVE
    assert _applied("delta") == migration_nodes()


@pytest.mark.django_db
def test_spares_of_another_template_state_are_not_handed_out_and_the_refill_drops_them(
    settings: Settings,
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    spares_refill()
    (old,) = SpareSchema.objects.all()
    SpareSchema.objects.filter(pk=old.pk).update(template_key="ifm:an-older-graph:stamps")

    with transaction.atomic():
        assert not spare_claim("delta")
    assert schema_exists(old.schema_name)

    assert spares_refill() == 1
    (new,) = SpareSchema.objects.all()
    assert new.schema_name != old.schema_name
    assert not schema_exists(old.schema_name)
    assert _spare_schemas() == {new.schema_name}


@pytest.mark.django_db
def test_a_refill_keeps_the_number_asked_for(settings: Settings) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 2
    assert spares_refill() == 2
    assert spares_refill() == 0
    assert len(_spare_schemas()) == 2
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    assert spares_refill() == 0
    assert len(_spare_schemas()) == SpareSchema.objects.count() == 1
    settings.PROVISIONING_SPARE_SCHEMAS = 0
    spares_refill()
    assert _spare_schemas() == set()
    assert not SpareSchema.objects.exists()


@pytest.mark.django_db
def test_a_spare_schema_without_its_row_is_an_orphan_and_one_with_it_is_not(
    settings: Settings,
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    spares_refill()
    (spare,) = SpareSchema.objects.all()
    report = tenants_check()
    assert spare.schema_name not in report.orphan_schemas
    assert report.spares_ready == 1
    out = StringIO()
    call_command("tenants_check", stdout=out)
    assert "spare schemas ready: 1 of 1 wanted" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA _spare_lost")
    assert "_spare_lost" in tenants_check().orphan_schemas


@pytest.fixture
def committed_spares(
    django_db_blocker: DjangoDbBlocker, settings: Settings
) -> Iterator[list[SpareSchema]]:
    """Two spares committed, so that another connection sees their rows; dropped afterwards."""
    settings.PROVISIONING_SPARE_SCHEMAS = 2
    with django_db_blocker.unblock():
        spares_refill()
        try:
            yield list(SpareSchema.objects.all())
        finally:
            settings.PROVISIONING_SPARE_SCHEMAS = 0
            spares_refill()


def _raw_connection() -> Any:
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )


class _Undo(Exception):
    pass


def test_a_claim_skips_a_spare_another_provisioning_holds(
    committed_spares: list[SpareSchema], django_db_blocker: DjangoDbBlocker
) -> None:
    first, second = committed_spares
    other = _raw_connection()
    try:
        with other.cursor() as cursor:  # another provisioning, in the middle of its claim
            cursor.execute(
                "SELECT 1 FROM provisioning_spareschema WHERE id = %s FOR UPDATE", [first.pk]
            )
        with django_db_blocker.unblock():
            with pytest.raises(_Undo), transaction.atomic():
                assert spare_claim("delta")
                assert schema_exists("delta")
                assert not schema_exists(second.schema_name)
                assert schema_exists(first.schema_name)
                raise _Undo  # roll the claim back: both spares stay
            assert schema_exists(second.schema_name)
            assert not schema_exists("delta")
    finally:
        other.rollback()
        other.close()


def test_a_refill_already_running_elsewhere_returns_at_once(
    committed_spares: list[SpareSchema], django_db_blocker: DjangoDbBlocker, settings: Settings
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 3
    other = _raw_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [spares._REFILL_LOCK])
        with django_db_blocker.unblock():
            assert spares_refill() == 0
            assert SpareSchema.objects.count() == 2
        other.rollback()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [spares._REFILL_LOCK])
        with django_db_blocker.unblock():
            assert spares_refill() == 1
    finally:
        other.close()


@pytest.mark.django_db
def test_a_spare_is_seeded_when_made_so_the_signup_does_not_load_the_chart(
    settings: Settings,
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    spares_refill()
    (spare,) = SpareSchema.objects.all()
    assert spare.seed_key == seed_key()
    with schema_context(spare.schema_name):
        assert Account.objects.filter(code="1010").exists()
        # the fiscal year is opened at the signup, by its day, not by the refill's
        assert not FiscalPeriod.objects.exists()
        # a mark the chart's loader would put back to the chart's name if it ran again
        Account.objects.filter(code="1010").update(name="Operating cash (seeded with the spare)")

    tenant_provision(
        slug="delta", name="Delta", owner_email="o@delta.org", owner_password="Delta-Pass-99"
    )

    with schema_context("delta"):
        assert Account.objects.get(code="1010").name == "Operating cash (seeded with the spare)"
        assert FiscalPeriod.objects.filter(start__lte=timezone.localdate()).exists()


@pytest.mark.django_db
def test_a_spare_seeded_with_another_chart_is_not_handed_out_and_the_refill_drops_it(
    settings: Settings,
) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    spares_refill()
    (old,) = SpareSchema.objects.all()
    SpareSchema.objects.filter(pk=old.pk).update(seed_key="a-chart-of-last-year")

    with transaction.atomic():
        assert not spare_claim("delta")
    # nor counted as ready, by the readiness probe and the metrics
    assert spares_ready(old.template_key) == 0

    assert spares_refill() == 1
    (new,) = SpareSchema.objects.all()
    assert new.seed_key == seed_key()
    assert not schema_exists(old.schema_name)


@pytest.mark.django_db
def test_the_pool_follows_the_last_hours_signups_between_its_bounds(settings: Settings) -> None:
    settings.PROVISIONING_SPARE_SCHEMAS = 1
    settings.PROVISIONING_SPARE_SCHEMAS_MAX = 4
    settings.PROVISIONING_SPARE_SIGNUP_PERCENT = 50
    Organization.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert spares_wanted() == 1  # a quiet hour: the minimum

    def signups(count: int) -> None:
        for _ in range(count):
            slug = f"s{Organization.objects.count()}"
            Organization.objects.create(schema_name=slug, slug=slug, name=slug)

    signups(5)
    assert spares_wanted() == 3  # half of 5, rounded up
    signups(10)
    assert spares_wanted() == 4  # a burst: the maximum
    settings.PROVISIONING_SPARE_SCHEMAS_MAX = 0
    assert spares_wanted() == 1  # no range: the minimum, without a query
