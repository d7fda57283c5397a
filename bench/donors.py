"""How long donor search, giving summaries and the fundraising reports take on a tenant with
100,000 donors and about 300,000 gifts.

    make bench-donors     (or: DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
                               .venv/bin/python bench/donors.py [--runs 9] [--reload] [--explain])

Works in a database of its own, `ifm_bench_donors` (created and migrated when missing), with
Redis db 14. The tenant `benchdonors` is provisioned with `tenant_provision` and loaded once
through PostgreSQL COPY: 100,000 donors (one in ten an organization) with 120,000 emails,
80,000 phones, an address each and about 55,000 tags on 40 tag names; about 300,000 gifts over
fiscal (calendar) years 2023 to 2026, a third of donors giving each year and most of them
again the next, to 20 campaigns and 4 funds (one gift in twenty split across two), 2% soft
credits, 1% refunded and 2% drafts. A later run reuses the tenant when it holds that many
donors (`--reload` drops and loads it again).

The gifts are not what is measured in the books: every posted gift refers to one journal entry
that posts their total per fund (and every refunded one to one entry for the refunds), recorded
through accounting.services; the reports here read gifts, not journal lines (bench/ledger.py
times the ledger).

Each case runs once to warm up and `--runs` times measured: search goes through
tenant_apps.donors.selectors.donor_search and takes the first page of 50 as the API does
(with its prefetches); the giving summary is a page of 50 donors (the list endpoint's path);
each report builds its JSON data. A case slower than its target (100 ms for a search or a
summary page, 1 s for a report) gets the plan of its slowest query printed (`--explain`
prints them all).
"""

from __future__ import annotations

import io
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

_setup.django_start("ifm_bench_donors", redis_db=14)

from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.tenants.models import Organization  # noqa: E402
from shared_apps.users.models import User  # noqa: E402
from shared_apps.users.roles import Role  # noqa: E402
from tenant_apps.accounting import services as accounting  # noqa: E402
from tenant_apps.accounting.models import EntrySource, Fund, Restriction  # noqa: E402
from tenant_apps.donations import reports  # noqa: E402
from tenant_apps.donations.selectors import donor_giving_summaries  # noqa: E402
from tenant_apps.donations.services.giving_totals import donor_giving_rebuild  # noqa: E402
from tenant_apps.donors.models import Donor  # noqa: E402
from tenant_apps.donors.selectors import donor_list, donor_search  # noqa: E402

SLUG = "benchdonors"
DONORS = 100_000
# Search and a summary page answer as a person types or pages; a report may take longer.
TARGET_MS = {"search": 100, "giving-summary": 100}
REPORT_TARGET_MS = 1000
SEED = 2026
PAGE = 50
FISCAL_YEARS = (2023, 2024, 2025, 2026)
LAST_DAY = date(2026, 11, 21)
FUNDS = {"GEN": 70, "PRP": 18, "CAP": 6, "TIME": 6}
EXTRA_FUNDS = [
    ("CAP", "Building campaign", Restriction.PURPOSE),
    ("TIME", "Gifts for later years", Restriction.TIME),
]


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily "
    "Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa "
    "Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia "
    "Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry "
    "Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory "
    "Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine "
    "Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce "
    "Henry Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan "
    "Walter Evelyn Noah Judith Jeremy Megan Christian Andrea Keith Cheryl Roger Hannah Terry "
    "Jacqueline Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl Sara Arthur Madison "
    "Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy Alice Joe "
    "Julia Bruce Judy Gabriel Sophia Logan Grace Albert Denise Willie Amber Alan Doris Juan "
    "Marilyn Wayne Danielle Elijah Beverly Randy Isabella Roy Theresa Vincent Diana Ralph "
    "Natalie Eugene Brittany Russell Charlotte Bobby Marie Mason Kayla Philip Alexis Louis Lori"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry "
    "Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Lovelace Hopper Babbage Turing Knuth Dijkstra Hamming Liskov Lamport Ritchie Thompson"
)
ORGANIZATION_WORDS = _words(
    "Acme Northwind Contoso Fabrikam Globex Initech Umbrella Stark Wayne Tyrell Cyberdyne "
    "Soylent Wonka Hooli Vandelay Aperture Gringotts Monarch Oceanic Massive Dynamic Blue "
    "Summit Harbor Pioneer Evergreen Granite Maple Cedar Lakeside Riverside Hillcrest"
)
ORGANIZATION_KINDS = ("Foundation", "Trust", "Inc.", "LLC", "Fund", "Partners", "Bank", "Group")
EMAIL_DOMAINS = ("example.org", "example.com", "mail.example.net", "post.example.edu")
TAGS = [
    *(f"{word}" for word in ("board", "volunteer", "major-donor", "monthly", "gala-2025")),
    *(f"{word}" for word in ("gala-2026", "alumni", "staff", "newsletter", "legacy-society")),
    *(f"segment-{number:02d}" for number in range(30)),
]


# --- The load -----------------------------------------------------------------------------------


def _copy(cursor: Any, table: str, columns: list[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    cursor.copy_from(buffer, table, columns=columns, null="\\N")


def _timed(name: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {name:<40} {(now - started) * 1000:9.0f} ms", flush=True)
    return now


def _next_id(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608
    return cursor.fetchone()[0]


def _sequences_reset(cursor: Any, tables: list[str]) -> None:
    for table in tables:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
        )


def _amount(rng: random.Random) -> int:
    """A gift in cents: lognormal around $60, in whole dollars mostly."""
    value = max(5.0, rng.lognormvariate(math.log(60), 1.1))
    return int(value) * 100 if rng.random() < 0.9 else int(value * 100)


def _day_in(rng: random.Random, fiscal_year: int) -> date:
    first = date(fiscal_year, 1, 1)
    last = min(date(fiscal_year, 12, 31), LAST_DAY)
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def donors_load(rng: random.Random) -> list[int]:
    """COPY the donors with their emails, phones, addresses and tags; their ids."""
    started = time.perf_counter()
    now = "2026-01-01 12:00:00+00"
    with connection.cursor() as cursor:
        first_donor = _next_id(cursor, "donors_donor")
        first_tag = _next_id(cursor, "donors_tag")
    tags = io.StringIO()
    for index, name in enumerate(TAGS):
        tags.write(f"{first_tag + index}\t{name}\t{now}\n")

    donors, emails, phones, addresses, donor_tags = (io.StringIO() for _ in range(5))
    email_id = phone_id = address_id = tag_link_id = 1
    ids = []
    for index in range(DONORS):
        donor_id = first_donor + index
        ids.append(donor_id)
        if rng.random() < 0.1:
            kind, first, last = "organization", "", ""
            organization = (
                f"{rng.choice(ORGANIZATION_WORDS)} {rng.choice(ORGANIZATION_WORDS)} "
                f"{rng.choice(ORGANIZATION_KINDS)}"
            )
            display, local = organization, organization.split()[0].lower()
        else:
            kind, organization = "individual", ""
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            display, local = f"{first} {last}", f"{first}.{last}".lower()
        do_not_contact = "t" if rng.random() < 0.02 else "f"
        news = "t" if rng.random() < 0.3 else "f"
        donors.write(
            f"{donor_id}\t{kind}\t{first}\t{last}\t{organization}\t{display}\tt\tt\tt\t"
            f"{do_not_contact}\t\tt\t{now}\t{now}\t{news}\n"
        )
        emails.write(
            f"{email_id}\t{donor_id}\t{local}{donor_id}@{rng.choice(EMAIL_DOMAINS)}\tt\t{now}\n"
        )
        email_id += 1
        if rng.random() < 0.2:
            emails.write(
                f"{email_id}\t{donor_id}\t{local[:1]}{donor_id}@work.example.com\tf\t{now}\n"
            )
            email_id += 1
        if rng.random() < 0.8:
            area, exchange, line = rng.randrange(201, 990), rng.randrange(200, 999), index % 10000
            phones.write(
                f"{phone_id}\t{donor_id}\t({area}) {exchange}-{line:04d}\t"
                f"{area}{exchange}{line:04d}\tt\t{now}\n"
            )
            phone_id += 1
        addresses.write(
            f"{address_id}\t{donor_id}\t{rng.randrange(1, 9999)} Main St\t\tSpringfield\tMA\t"
            f"{rng.randrange(1000, 2800):05d}\tUS\tt\t{now}\n"
        )
        address_id += 1
        if rng.random() < 0.3:
            for tag in rng.sample(range(len(TAGS)), rng.randrange(1, 4)):
                donor_tags.write(f"{tag_link_id}\t{donor_id}\t{first_tag + tag}\n")
                tag_link_id += 1
    started = _timed("donor COPY buffers (Python)", started)

    with transaction.atomic(), connection.cursor() as cursor:
        _copy(cursor, "donors_tag", ["id", "name", "created_at"], tags)
        _copy(
            cursor,
            "donors_donor",
            [
                "id",
                "kind",
                "first_name",
                "last_name",
                "organization_name",
                "display_name",
                "email_ok",
                "mail_ok",
                "phone_ok",
                "do_not_contact",
                "notes",
                "is_active",
                "created_at",
                "updated_at",
                "email_news_ok",
            ],
            donors,
        )
        _copy(
            cursor,
            "donors_donoremail",
            ["id", "donor_id", "email", "is_primary", "created_at"],
            emails,
        )
        _copy(
            cursor,
            "donors_donorphone",
            ["id", "donor_id", "number", "phone_digits", "is_primary", "created_at"],
            phones,
        )
        _copy(
            cursor,
            "donors_donoraddress",
            [
                "id",
                "donor_id",
                "line1",
                "line2",
                "city",
                "region",
                "postcode",
                "country",
                "is_primary",
                "created_at",
            ],
            addresses,
        )
        _copy(cursor, "donors_donor_tags", ["id", "donor_id", "tag_id"], donor_tags)
        _sequences_reset(
            cursor,
            [
                "donors_tag",
                "donors_donor",
                "donors_donoremail",
                "donors_donorphone",
                "donors_donoraddress",
                "donors_donor_tags",
            ],
        )
    print(
        f"  {DONORS:,} donors, {email_id - 1:,} emails, {phone_id - 1:,} phones, "
        f"{tag_link_id - 1:,} tags on donors"
    )
    _timed("donors COPY", started)
    return ids


def _funds_extend() -> None:
    existing = set(Fund.objects.values_list("code", flat=True))
    for code, name, restriction in EXTRA_FUNDS:
        if code not in existing:
            Fund.objects.create(code=code, name=name, restriction=restriction)


def gifts_load(rng: random.Random, donor_ids: list[int], owner: User) -> None:
    """COPY about 300,000 gifts with their allocations and soft credits."""
    started = time.perf_counter()
    _funds_extend()
    fund_ids = dict(Fund.objects.filter(code__in=FUNDS).values_list("code", "id"))
    fund_codes, fund_weights = list(FUNDS), list(FUNDS.values())
    campaigns = [
        _campaign_made(code=f"C{number:02d}", goal=Decimal(rng.randrange(5, 200) * 1000))
        for number in range(20)
    ]

    # Who gives when: a third of donors start in 2023, others join later; most give again.
    plan: list[tuple[int, date, int, str]] = []  # donor, day, cents, state
    for donor_id in donor_ids:
        start = rng.choices(FISCAL_YEARS, weights=(40, 20, 20, 20))[0]
        active = True
        for fiscal_year in FISCAL_YEARS:
            if fiscal_year < start:
                continue
            if not active and rng.random() > 0.15:  # lapsed donors seldom come back
                continue
            active = fiscal_year == start or rng.random() < 0.62
            if not active:
                continue
            for _ in range(1 + int(rng.expovariate(1.0))):
                roll = rng.random()
                state = "refunded" if roll < 0.01 else "draft" if roll < 0.03 else "posted"
                plan.append((donor_id, _day_in(rng, fiscal_year), _amount(rng), state))

    totals: dict[str, dict[str, int]] = {"posted": defaultdict(int), "refunded": defaultdict(int)}
    allocations_plan: list[tuple[int, str, int]] = []
    for index, (_, _, cents, state) in enumerate(plan):
        fund = rng.choices(fund_codes, weights=fund_weights)[0]
        if cents >= 2000 and rng.random() < 0.05:
            other = rng.choice([code for code in fund_codes if code != fund])
            part = cents // 2
            allocations_plan += [(index, fund, part), (index, other, cents - part)]
            parts = ((fund, part), (other, cents - part))
        else:
            allocations_plan.append((index, fund, cents))
            parts = ((fund, cents),)
        if state in totals:
            for code, amount in parts:
                totals["posted"][code] += amount  # a refunded gift was posted first
                if state == "refunded":
                    totals["refunded"][code] += amount

    def entry(kind: str, debit: str, credit: str) -> int:
        return accounting.entry_record(
            date=LAST_DAY,
            memo=f"Benchmark gifts: {kind}, in one entry",
            lines=[
                line
                for code, cents in sorted(totals[kind].items())
                for line in (
                    accounting.LineSpec(account=debit, fund=code, debit=Decimal(cents) / 100),
                    accounting.LineSpec(account=credit, fund=code, credit=Decimal(cents) / 100),
                )
            ],
            source=EntrySource.DONATION,
            acting_user=owner,
        ).pk

    posted_entry = entry("posted", "1050", "4010")
    refund_entry = entry("refunded", "4010", "1050")
    started = _timed("gift plan and its two entries", started)

    now = "2026-11-21 12:00:00+00"
    with connection.cursor() as cursor:
        first_gift = _next_id(cursor, "donations_gift")
    gifts, allocations, credits = io.StringIO(), io.StringIO(), io.StringIO()
    credit_id = 1
    for index, (donor_id, day, cents, state) in enumerate(plan):
        gift_id = first_gift + index
        campaign = str(rng.choice(campaigns)) if rng.random() < 0.6 else "\\N"
        method = rng.choices(["check", "card", "cash", "ach"], weights=(45, 40, 10, 5))[0]
        journal = str(posted_entry) if state != "draft" else "\\N"
        refund = str(refund_entry) if state == "refunded" else "\\N"
        posted_at = f"{day} 17:00:00+00" if state != "draft" else "\\N"
        gifts.write(
            f"{gift_id}\t{donor_id}\t{cents // 100}.{cents % 100:02d}\tUSD\t{day}\t{method}\t"
            f"{campaign}\t\tnone\t\t\t\t0\t\t\t\t\tmanual\t{state}\t{journal}\t{refund}\t"
            f"{posted_at}\t{now}\t{now}\t\t\t\tf\n"
        )
        if rng.random() < 0.02:
            other = rng.choice(donor_ids)
            if other != donor_id:
                credits.write(
                    f"{credit_id}\t{gift_id}\t{other}\t{cents // 100}.{cents % 100:02d}\n"
                )
                credit_id += 1
    for number, (index, fund, cents) in enumerate(allocations_plan, start=1):
        allocations.write(
            f"{number}\t{first_gift + index}\t{fund_ids[fund]}\t{cents // 100}.{cents % 100:02d}\n"
        )
    started = _timed("gift COPY buffers (Python)", started)
    with transaction.atomic(), connection.cursor() as cursor:
        # The donor's giving is kept by a trigger per gift: 300,000 of them, each summing its
        # donor's gifts before the table has statistics, take tens of minutes. Loaded with
        # triggers off, then recomputed once (tenant_load: donor_giving_rebuild).
        cursor.execute("SET LOCAL session_replication_role = replica")
        _copy(
            cursor,
            "donations_gift",
            [
                "id",
                "donor_id",
                "amount",
                "currency",
                "received_on",
                "method",
                "campaign_id",
                "designation",
                "tribute_type",
                "tribute_name",
                "notify_name",
                "notify_email",
                "goods_services_value",
                "goods_services_description",
                "in_kind_description",
                "check_number",
                "payment_reference",
                "source",
                "state",
                "journal_entry_id",
                "refund_entry_id",
                "posted_at",
                "created_at",
                "updated_at",
                "void_reason",
                "stripe_invoice_id",
                "dispute_status",
                "anonymous",
            ],
            gifts,
        )
        _copy(
            cursor, "donations_giftallocation", ["id", "gift_id", "fund_id", "amount"], allocations
        )
        _copy(cursor, "donations_softcredit", ["id", "gift_id", "donor_id", "amount"], credits)
        _sequences_reset(
            cursor, ["donations_gift", "donations_giftallocation", "donations_softcredit"]
        )
    print(
        f"  {len(plan):,} gifts, {len(allocations_plan):,} allocations, "
        f"{credit_id - 1:,} soft credits"
    )
    _timed("gifts COPY", started)


def _campaign_made(*, code: str, goal: Decimal) -> int:
    from tenant_apps.donations import services

    return services.campaign_create(
        code=code, name=f"Campaign {code}", goal=goal, acting_user=None
    ).pk


def _donor_count(organization: Organization) -> int:
    with schema_context(organization.schema_name):
        return Donor.objects.count()


def tenant_load(organization: Organization) -> None:
    print("loading donors and gifts:")
    rng = random.Random(SEED)
    with schema_context(organization.schema_name):
        owner = User.objects.get(role=Role.OWNER)
        donor_ids = donors_load(rng)
        gifts_load(rng, donor_ids, owner)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in (
                "donors_donor",
                "donors_donoremail",
                "donors_donorphone",
                "donors_donoraddress",
                "donors_donor_tags",
                "donors_tag",
                "donations_gift",
                "donations_giftallocation",
                "donations_softcredit",
                "donations_campaign",
            ):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        started = _timed("VACUUM (ANALYZE)", started)
        donor_giving_rebuild()
        with connection.cursor() as cursor:
            for table in ("donors_donor", "donations_donorgivingyear"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        _timed("giving recomputed from the gifts", started)


def tenant_ready(*, reload: bool) -> Organization:
    """The loaded tenant: reused when it holds the right number of donors, else made again."""
    return _setup.tenant_ready(
        SLUG,
        "Bench Donors Foundation",
        reload=reload,
        loaded=lambda organization: _donor_count(organization) == DONORS,
        load=tenant_load,
    )


# --- The cases ---------------------------------------------------------------------------------


def _search_page(query: str) -> Callable[[], int]:
    """The first page of the donor list's search, as the API reads it (with its prefetches)."""

    def run() -> int:
        return len(list(donor_search(query=query, donors=donor_list())[:PAGE]))

    return run


def _summary_page(rng: random.Random) -> Callable[[], int]:
    """A page of 50 donors of the list (from a random name) with their giving summaries."""
    starts = [rng.choice(LAST_NAMES) for _ in range(50)]

    def run() -> int:
        donors = list(
            Donor.objects.order_by("display_name", "id").filter(
                display_name__gte=rng.choice(starts)
            )[:PAGE]
        )
        summaries = donor_giving_summaries(donor_ids=[donor.pk for donor in donors])
        return len(summaries)

    return run


def _report(name: str, **parameters: Any) -> Callable[[], int]:
    def run() -> int:
        report = reports.REPORTS[name](**parameters)
        report.as_json()
        return len(report.rows)

    return run


def cases(rng: random.Random) -> list[tuple[str, str, Callable[[], int]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.email, p.number FROM donors_donoremail e"
            " JOIN donors_donorphone p ON p.donor_id = e.donor_id"
            " WHERE e.is_primary ORDER BY e.id OFFSET 54321 LIMIT 1"
        )
        email, phone = cursor.fetchone()
    fiscal_year = FISCAL_YEARS[-1]
    start, end = date(fiscal_year, 1, 1), LAST_DAY
    return [
        ("search", "name: 'smith'", _search_page("smith")),
        ("search", "name: 'Jonh Smith' (typo)", _search_page("Jonh Smith")),
        ("search", "name: 'Lovelace'", _search_page("Lovelace")),
        ("search", "name: 'Jo' (2 letters)", _search_page("Jo")),
        ("search", "organization: 'Globex'", _search_page("Globex")),
        ("search", "email: whole", _search_page(email)),
        ("search", "email: 'work.example'", _search_page("work.example")),
        ("search", "phone: as formatted", _search_page(phone)),
        ("search", "tag: 'legacy-society'", _search_page("legacy-society")),
        ("search", "no match: 'zzqx'", _search_page("zzqx")),
        ("giving-summary", "page of 50 donors", _summary_page(rng)),
        ("lybunt", f"FY{fiscal_year}", _report("lybunt", fiscal_year=fiscal_year)),
        ("sybunt", f"FY{fiscal_year}", _report("sybunt", fiscal_year=fiscal_year)),
        ("campaign-progress", "all 20", _report("campaign-progress")),
        ("giving-by-fund", f"FY{fiscal_year}", _report("giving-by-fund", start=start, end=end)),
        (
            "top-donors",
            "four years, 25",
            _report("top-donors", start=date(2023, 1, 1), end=end, limit=25),
        ),
        ("retention", f"FY{fiscal_year}", _report("retention", fiscal_year=fiscal_year)),
    ]


def sizes_print() -> None:
    with connection.cursor() as cursor:
        print()
        for table in (
            "donors_donor",
            "donors_donoremail",
            "donors_donorphone",
            "donors_donor_tags",
            "donations_gift",
            "donations_giftallocation",
            "donations_softcredit",
        ):
            cursor.execute(
                f"SELECT count(*), pg_size_pretty(pg_table_size(%s)),"  # noqa: S608
                f" pg_size_pretty(pg_indexes_size(%s)) FROM {table}",
                [table, table],
            )
            count, heap, indexes = cursor.fetchone()
            print(f"  {table:<26} {count:>9,} rows  table {heap:>8}  indexes {indexes:>8}")


def main() -> None:
    _setup.cases_main(
        runs=9,
        what="case",
        tenant_ready=tenant_ready,
        sizes_print=sizes_print,
        cases=lambda: cases(random.Random(SEED)),
        target_ms=lambda name: TARGET_MS.get(name, REPORT_TARGET_MS),
    )


if __name__ == "__main__":
    main()
