"""How long the staff pages a fundraising desk lives in take to serve on a tenant with 100,000
donors and about 300,000 gifts: the donor list, search as you type, a donor's page and each
role's dashboard.

    make bench-pages      (or: DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
                               .venv/bin/python bench/pages.py [--runs 20] [--reload] [--explain])

Works in a database of its own, `ifm_bench_pages` (created and migrated when missing), with
Redis db 7. The tenant is loaded as bench/donors.py loads its own (the same donors and gifts,
through PostgreSQL COPY) and reused by later runs while it holds that many donors; a
fundraiser and a bookkeeper are added beside its owner.

Each page is asked for through Django's test client on the tenant's host, so the whole stack
runs: the tenant middleware, the session of a logged-in user, the capability check, the
selectors and the template. Server time is the time from the request to the rendered response
in this process (no network, no browser). Each URL is asked for once to warm up, then `--runs`
times; the median and the 95th percentile are printed against the target (p95 under 150 ms; a
search-as-you-type fragment under 50 ms) with PASS or SLOW, then the plan of the slowest query
of each slow page (of every page with `--explain`).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

# Timed as production serves: no debug page machinery, no query log.
os.environ.setdefault("DJANGO_DEBUG", "false")

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

_setup.django_start("ifm_bench_pages", redis_db=7)

import donors as donors_bench  # noqa: E402  (its loader; it keeps the database started here)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.tenants.models import Organization  # noqa: E402
from shared_apps.users.models import User  # noqa: E402
from shared_apps.users.roles import Role  # noqa: E402
from shared_apps.users.services import user_create  # noqa: E402

SLUG = "benchpages"
PAGE_TARGET_MS = 150.0
TYPING_TARGET_MS = 50.0
ROLES = (Role.FUNDRAISER, Role.BOOKKEEPER, Role.OWNER)


@dataclass(frozen=True)
class PageCase:
    role: str
    label: str
    url: str
    # A search-as-you-type request: the list's HTMX fragment, held to the typing target.
    typing: bool = False

    @property
    def target_ms(self) -> float:
        return TYPING_TARGET_MS if self.typing else PAGE_TARGET_MS


def _staff_add(organization: Organization) -> None:
    with schema_context(organization.schema_name):
        owner = User.objects.get(role=Role.OWNER)
        for role in (Role.FUNDRAISER, Role.BOOKKEEPER):
            if not User.objects.filter(role=role).exists():
                user_create(
                    email=f"{role}@{SLUG}.org",
                    role=role,
                    acting_user=owner,
                    password=_setup.OWNER_PASSWORD,
                )


def tenant_ready(*, reload: bool) -> Organization:
    organization = _setup.tenant_ready(
        SLUG,
        "Bench Pages Foundation",
        reload=reload,
        loaded=lambda organization: donors_bench._donor_count(organization) == donors_bench.DONORS,
        load=donors_bench.tenant_load,
    )
    _staff_add(organization)
    return organization


def _clients(organization: Organization) -> dict[str, Client]:
    host = f"{organization.slug}.{settings.PLATFORM_DOMAIN}"
    clients = {}
    with schema_context(organization.schema_name):
        for role in ROLES:
            client = Client(HTTP_HOST=host)
            client.force_login(User.objects.filter(role=role).order_by("pk").first())
            clients[role] = client
    return clients


def _donor_with_most_gifts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT donor_id FROM donations_gift GROUP BY donor_id"
            " ORDER BY count(*) DESC, donor_id LIMIT 1"
        )
        return int(cursor.fetchone()[0])


def _email_prefix() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email FROM donors_donoremail WHERE is_primary ORDER BY id OFFSET 54321 LIMIT 1"
        )
        return str(cursor.fetchone()[0]).split("@")[0]


def cases() -> list[PageCase]:
    donor = _donor_with_most_gifts()
    fundraiser = Role.FUNDRAISER
    typed = [
        ("'smi' (typing)", "smi"),
        ("'smith'", "smith"),
        ("'Jonh Smith' (typo)", "Jonh+Smith"),
        ("'Lovelace'", "Lovelace"),
        ("email, its name part", _email_prefix()),
        ("no match 'zzqx'", "zzqx"),
    ]
    return [
        PageCase(fundraiser, "donor list (by name)", "/donors/"),
        PageCase(fundraiser, "donor list by lifetime", "/donors/?sort=-lifetime"),
        PageCase(fundraiser, "donor list by last gift", "/donors/?sort=-last_gift"),
        PageCase(fundraiser, "donor list, lapsed", "/donors/?lapsed=on"),
        PageCase(fundraiser, "donor list, page 1,000", "/donors/?page=1000"),
        *(
            PageCase(fundraiser, f"search {label}", f"/donors/?q={query}", typing=True)
            for label, query in typed
        ),
        PageCase(fundraiser, "donor page (most gifts)", f"/donors/{donor}/"),
        *(PageCase(role, f"dashboard ({role})", "/") for role in ROLES),
    ]


def _percentile(timings: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest timing at least `share` of the runs reach."""
    ordered = sorted(timings)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _get(client: Client, case: PageCase) -> Any:
    headers = {"HX-Request": "true"} if case.typing else {}
    return client.get(case.url, headers=headers)


def cases_time(
    organization: Organization, page_cases: list[PageCase], *, runs: int, explain: bool
) -> None:
    clients = _clients(organization)
    print(
        f"\n{'page':<34} {'role':<11} {'median':>8} {'p95':>8} {'target':>7} "
        f"{'queries':>8}  verdict"
    )
    slow: list[tuple[PageCase, float, str]] = []
    verdicts: list[bool] = []
    for case in page_cases:
        client = clients[case.role]
        with CaptureQueriesContext(connection) as captured:
            response = _get(client, case)  # warm-up
        if response.status_code != 200:
            raise SystemExit(f"{case.url} as {case.role} answered {response.status_code}")
        queries = [q for q in captured.captured_queries if not q["sql"].startswith("SET ")]
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            _get(client, case)
            timings.append((time.perf_counter() - started) * 1000)
        median, p95 = statistics.median(timings), _percentile(timings, 0.95)
        passed = p95 < case.target_ms
        verdicts.append(passed)
        print(
            f"{case.label:<34} {case.role:<11} {median:6.1f}ms {p95:6.1f}ms "
            f"{case.target_ms:5.0f}ms {len(queries):>8}  {'PASS' if passed else 'SLOW'}",
            flush=True,
        )
        if (explain or not passed) and queries:
            slowest = max(queries, key=lambda query: float(query["time"]))
            slow.append((case, p95, slowest["sql"]))
    print(f"\n{sum(verdicts)} of {len(verdicts)} pages within their targets")
    with schema_context(organization.schema_name):
        for case, p95, sql in slow:
            print(f"\n{case.label} as {case.role} (p95 {p95:.1f} ms): its slowest query:")
            print(f"    {sql[:2000]}")
            _setup.explain_print(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reload", action="store_true", help="drop the tenant and load again")
    parser.add_argument("--explain", action="store_true", help="print every page's slowest plan")
    parser.add_argument("--only", default="", help="time only pages whose label contains this")
    arguments = parser.parse_args()

    _setup.migrate()
    organization = tenant_ready(reload=arguments.reload)
    with schema_context(organization.schema_name):
        donors_bench.sizes_print()
        page_cases = [case for case in cases() if arguments.only in case.label]
    cases_time(organization, page_cases, runs=arguments.runs, explain=arguments.explain)


if __name__ == "__main__":
    main()
