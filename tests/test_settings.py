"""Settings read the environment strictly; production refuses to start without its secrets and
passes Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from saas_platform.settings.environment import env_bool, env_float, env_int, env_list
from tests.plugin import python_printed

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
    "DJANGO_SECRET_KEY": "t7#Qw2@Lm9$Zr4^Xp8&Ks3*Vn6(Bh1)Jd5_Gf0+Ya2-Ue7=Ci4Oo",
    "PLATFORM_DOMAIN": "ifm.example.org",
    "CHECK_FINGERPRINT_KEY": "k2#Vb8@Np4$Qs7^Wd1&Fh6*Lz3(Tg9)Rm5",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ifm",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DEFAULT_FROM_EMAIL": "IFM <no-reply@ifm.example.org>",
    "EMAIL_HOST": "smtp.example.org",
}


def test_booleans_must_be_booleans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG='ture' is not a boolean"):
        env_bool("FLAG", default=False)
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG") is True


def test_numbers_must_be_numbers_in_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("COUNT", default=1)
    monkeypatch.setenv("COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("COUNT", default=1, minimum=0)


def test_fractions_must_be_numbers_in_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE", "half")
    with pytest.raises(ImproperlyConfigured, match="not a number"):
        env_float("RATE", default=0.0)
    monkeypatch.setenv("RATE", "1.5")
    with pytest.raises(ImproperlyConfigured, match="between 0.0 and 1.0"):
        env_float("RATE", default=0.0, minimum=0.0, maximum=1.0)
    monkeypatch.setenv("RATE", "0.25")
    assert env_float("RATE", default=0.0, minimum=0.0, maximum=1.0) == 0.25


def test_required_values_say_which_variable_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set the NOT_SET_ANYWHERE"):
        env_int("NOT_SET_ANYWHERE")


def test_lists_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITEMS", " a, b ,,c ")
    assert env_list("ITEMS") == ["a", "b", "c"]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_passes_the_deployment_checks_without_a_warning() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_has_no_default_secret_key() -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_refuses_a_short_secret_key() -> None:
    result = _manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_keeps_the_platform_domain_lowercase_as_domain_rows_are() -> None:
    code = (
        "from django.conf import settings; print(settings.PLATFORM_DOMAIN, settings.ALLOWED_HOSTS)"
    )
    result = _manage(
        "shell", "-c", code, env={**PRODUCTION_ENV, "PLATFORM_DOMAIN": "IFM.Example.ORG"}
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()[-1]  # after the shell's own notice
    assert printed == "ifm.example.org ['ifm.example.org', '.ifm.example.org']"


def test_every_variable_read_is_documented_in_env_example() -> None:
    import re

    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    read = set()
    for path in (ROOT / "saas_platform" / "settings").glob("*.py"):
        read |= set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    assert read - documented == set()


POOLED_ENV = {
    **PRODUCTION_ENV,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:6432/ifm",
    "DATABASE_TRANSACTION_POOLING": "true",
    "DIRECT_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ifm",
}
_PRINT_DATABASES = (
    "from django.conf import settings; d = settings.DATABASES;"
    " print(d['default']['PORT'], d['default']['TRANSACTION_POOLING'],"
    " d.get('direct', {}).get('PORT'), d['default']['DISABLE_SERVER_SIDE_CURSORS'])"
)


def _databases_printed(env: dict[str, str]) -> str:
    script = f"import django; django.setup(); {_PRINT_DATABASES}"
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_servers_and_workers_connect_through_the_pooler() -> None:
    assert _databases_printed(POOLED_ENV) == "6432 True 5432 True"


def test_management_commands_connect_to_postgresql_itself() -> None:
    result = _manage("shell", "-c", _PRINT_DATABASES, env=POOLED_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "5432 False 5432 False"


def test_a_pooler_in_transaction_mode_needs_the_direct_url() -> None:
    env = {key: value for key, value in POOLED_ENV.items() if key != "DIRECT_DATABASE_URL"}
    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "DIRECT_DATABASE_URL" in result.stderr


def test_a_process_a_test_starts_uses_the_test_s_redis_database() -> None:
    # A test worker (gw1) moves REDIS_URL one database down; a server it starts inherits that
    # environment and must not move it again, or clearing the test's Redis would not reach it.
    script = (
        "import os, subprocess, sys; from django.conf import settings;"
        "print(settings.REDIS_URL);"
        "child = subprocess.run([sys.executable, '-c', 'from django.conf import settings;"
        " print(settings.REDIS_URL)'], env=os.environ, capture_output=True, text=True);"
        "print(child.stdout.strip() or child.stderr)"
    )

    urls = python_printed(
        script,
        DJANGO_SETTINGS_MODULE="saas_platform.settings.test",
        PYTEST_XDIST_WORKER="gw1",
        REDIS_URL="redis://127.0.0.1:6379/12",
        TEST_REDIS_MOVED_FOR="",
    )

    assert urls == ["redis://127.0.0.1:6379/11", "redis://127.0.0.1:6379/11"]
