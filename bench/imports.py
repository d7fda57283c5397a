"""How long CSV imports of 10,000 donors and 10,000 gifts take, and the export of the donors.

    make bench-imports    (or: DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
                               .venv/bin/python bench/imports.py [--rows 10000] [--runs 3])

Works in a database of its own, `ifm_bench_imports` (created and migrated when missing), with
Redis db 13. The tenant `benchimports` is provisioned afresh for each run (dropped if there),
then a seeded file of donors (names, email, phone, address, tags, preferences; a few repeat
each other) is imported through `import_job_create`, the way the upload endpoint does it,
with the task run eagerly; then a file of gifts for those donors (half matched by email, half
by id, to four methods, two funds and a campaign); then the donors are exported. Each import
is timed from the upload (the file's checks) to the job's end, and split into the upload
check and the job (validation and write), read from the job's timestamps.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import time
from collections import Counter

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

_setup.django_start("ifm_bench_imports", redis_db=13)

from django.core.files.base import ContentFile  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.tenants.models import Organization  # noqa: E402
from shared_apps.users.models import User  # noqa: E402
from shared_apps.users.roles import Role  # noqa: E402
from tenant_apps.donations import services as donations  # noqa: E402
from tenant_apps.donations.models import ImportJob, ImportState  # noqa: E402
from tenant_apps.donations.services import campaign_create  # noqa: E402
from tenant_apps.donors.api.views import _export_lines, _export_queryset  # noqa: E402
from tenant_apps.donors.models import Donor, DonorEmail  # noqa: E402

SLUG = "benchimports"
SEED = 2026
FIRST_NAMES = ["Ada", "Alan", "Grace", "Katherine", "Edsger", "Barbara", "Donald", "Frances"]
FIRST_NAMES += ["John", "Mary", "Dorothy", "Claude", "Radia", "Tim", "Shafi", "Leslie"]
LAST_NAMES = ["Lovelace", "Turing", "Hopper", "Johnson", "Dijkstra", "Liskov", "Knuth"]
LAST_NAMES += ["Allen", "Smith", "Jackson", "Vaughan", "Shannon", "Perlman", "Lee", "Lamport"]
CITIES = [("Boston", "MA", "021"), ("Austin", "TX", "787"), ("Denver", "CO", "802")]
TAGS = ["Board", "Volunteer", "Monthly", "Major donor", "Event 2026", "Newsletter"]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def donor_file(count: int, randomness: random.Random) -> bytes:
    header = list(donations.DONOR_COLUMNS)
    rows = []
    for number in range(count):
        city, region, prefix = randomness.choice(CITIES)
        organization = number % 20 == 0
        first, last = randomness.choice(FIRST_NAMES), randomness.choice(LAST_NAMES)
        values = {
            "type": "organization" if organization else "individual",
            "first_name": "" if organization else first,
            "last_name": "" if organization else last,
            "organization_name": f"{last} Foundation {number}" if organization else "",
            # One row in a hundred repeats an earlier row's email: reported as a duplicate.
            "email": f"donor{number - 1 if number % 100 == 99 else number}@example.org",
            "phone": f"(555) {number // 10000:03d}-{number % 10000:04d}",
            "address_line1": f"{randomness.randint(1, 999)} Main St",
            "address_line2": "",
            "city": city,
            "region": region,
            "postcode": f"{prefix}{randomness.randint(10, 99)}",
            "country": "US",
            "tags": ";".join(randomness.sample(TAGS, randomness.randint(0, 2))),
            "email_ok": randomness.choice(["yes", "yes", "no"]),
            "mail_ok": "yes",
            "phone_ok": "yes",
            "do_not_contact": "no",
            "notes": "Met at the spring gala." if number % 7 == 0 else "",
        }
        rows.append([values[column] for column in header])
    return _csv(header, rows)


def gift_file(count: int, randomness: random.Random) -> bytes:
    donors = list(Donor.objects.order_by("id").values_list("id", flat=True))
    emails = dict(
        DonorEmail.objects.filter(is_primary=True).values_list("donor_id", "email").order_by("id")
    )
    # An email two donors share (the repeated rows above) matches both: those go by id.
    shared = {email for email, times in Counter(emails.values()).items() if times > 1}
    header = list(donations.GIFT_COLUMNS)
    rows = []
    for number in range(count):
        donor = donors[number % len(donors)]
        email = emails.get(donor, "")
        by_email = number % 2 == 0 and email and email not in shared
        method = randomness.choice(["check", "cash", "card", "ach"])
        values = {
            "donor_id": "" if by_email else str(donor),
            "donor_email": email if by_email else "",
            "amount": f"{randomness.randint(5, 2500)}.{randomness.randint(0, 99):02d}",
            "received_on": f"2026-{randomness.randint(1, 11):02d}-{randomness.randint(1, 28):02d}",
            "method": method,
            "fund": randomness.choice(["GEN", "GEN", "PRP"]),
            "campaign": "SPRING" if number % 3 == 0 else "",
            "check_number": str(1000 + number) if method == "check" else "",
            "designation": "",
            "payment_reference": f"ch_{number:08d}" if method == "card" else "",
            "goods_services_value": "",
            "goods_services_description": "",
            "in_kind_description": "",
        }
        rows.append([values[column] for column in header])
    return _csv(header, rows)


def tenant_fresh() -> Organization:
    return _setup.tenant_ready(SLUG, "Bench Imports Trust")


def import_timed(kind: str, content: bytes, owner: User) -> tuple[float, ImportJob]:
    started = time.perf_counter()
    job = donations.import_job_create(
        kind=kind, upload=ContentFile(content, name=f"{kind}.csv"), acting_user=owner
    )
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    if job.state != ImportState.SUCCEEDED:
        print(f"  the {kind} import failed: {job.message}; first errors: {job.errors[:5]}")
        raise SystemExit(1)
    return seconds, job


def run_once(rows: int, randomness: random.Random) -> dict[str, float]:
    organization = tenant_fresh()
    figures: dict[str, float] = {}
    with schema_context(organization.schema_name):
        owner = User.objects.get(role=Role.OWNER)
        campaign_create(code="SPRING", name="Spring appeal", goal="50000", acting_user=owner)
        for kind, make_file in (("donors", donor_file), ("gifts", gift_file)):
            content = make_file(rows, randomness)
            seconds, job = import_timed(kind, content, owner)
            job_seconds = (job.finished_at - job.started_at).total_seconds()
            print(
                f"  {kind + ':':<7} {job.rows_created:,} rows ({len(content) / 1e6:.1f} MB) in "
                f"{seconds:.2f} s (upload check {seconds - job_seconds:.2f} s, job "
                f"{job_seconds:.2f} s); {job.duplicate_count} possible duplicates"
            )
            figures[kind] = seconds
        started = time.perf_counter()
        size = sum(len(line) for line in _export_lines(_export_queryset(Donor.objects.all())))
        figures["export"] = time.perf_counter() - started
        print(
            f"  export: {Donor.objects.count():,} donors ({size / 1e6:.1f} MB) in "
            f"{figures['export']:.2f} s"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    _setup.migrate()
    randomness = random.Random(SEED)
    runs = []
    for run in range(1, arguments.runs + 1):
        print(f"run {run}:")
        runs.append(run_once(arguments.rows, randomness))
    print(f"median of {len(runs)} runs, {arguments.rows:,} rows each (target: under 30 s):")
    for name in ("donors", "gifts", "export"):
        print(f"  {name:7} {statistics.median(run[name] for run in runs):6.2f} s")


if __name__ == "__main__":
    main()
