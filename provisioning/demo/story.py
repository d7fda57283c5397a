"""The demo organization's three years: a small community nonprofit with about 500 donors.

Everything is recorded through the services, as the staff would have done it (many rows at once
through their batch forms: donors_create, gifts_create, gifts_post, entries_record,
hour_entries_submit, hour_entries_approve), and is the same on every run for the same `today`
(one seeded random generator, no clock inside): donors in households; gifts across three
calendar years, with loyal, lapsed and recaptured donors so that LYBUNT, SYBUNT and retention
have rows; three campaigns (the one running now with its public giving page); a pledge paid in
installments and monthly recurring gifts; a foundation grant restricted to the tutoring program
and spent on it; rent and supplies every month; the four staff's weekdays logged and approved,
and each month's pay run posted from them to programs and functions, then paid; a dozen
volunteers' hours, approved; this month's pay run entered, waiting to be posted; last month's
checks deposited, this month's waiting in an open deposit and as drafts; every month before this
year closed; and this fiscal year's budget, approved.

The history is recorded before the receipt settings are filled in (no receipt for the past
years' gifts, as for an organization that receipted elsewhere); this month's gifts are receipted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from shared_apps.users.models import User
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import FiscalPeriod, PeriodState
from tenant_apps.accounting.selectors import fiscal_year_start
from tenant_apps.accounting.services import LineSpec
from tenant_apps.donations import services as donations
from tenant_apps.donations.models import Campaign, Gift
from tenant_apps.donors import services as donors
from tenant_apps.donors.models import Donor
from tenant_apps.personnel import services as personnel
from tenant_apps.personnel.models import Person, StaffRecord

SEED = 958  # FASB ASC 958: any fixed number would do
COMMUNITY_PAGE_SLUG = "community-appeal"
COMMUNITY_STORY = (
    "Every week our volunteers tutor a hundred children after school and deliver meals to the "
    "neighbours who cannot get out.\n\nThis appeal keeps the doors open through the winter: "
    "the heating, the books, and the van's fuel."
)

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Imani",
    "Jonas",
    "Kira",
    "Luis",
    "Maya",
    "Nils",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Alma",
    "Bruno",
    "Chloe",
    "Diego",
    "Esme",
    "Felix",
    "Gia",
    "Hugo",
    "Iris",
    "Jamal",
    "Lena",
    "Marco",
    "Nora",
    "Otto",
    "Pia",
    "Ravi",
    "Sofia",
    "Theo",
    "Una",
    "Victor",
    "Willa",
    "Yara",
]
LAST_NAMES = [
    "Abbott",
    "Baker",
    "Castillo",
    "Dawson",
    "Ellis",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Murphy",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quintero",
    "Russo",
    "Schmidt",
    "Tanaka",
    "Underwood",
    "Vargas",
    "Walsh",
    "Xu",
    "Young",
    "Zimmerman",
    "Acosta",
    "Bennett",
    "Chen",
    "Delgado",
    "Evans",
    "Foster",
    "Grant",
    "Hayes",
    "Iverson",
    "Jackson",
]
STREETS = ("Oak Street", "Maple Avenue", "Elm Court", "Lincoln Road", "Park Lane", "Mill Way")
ORGANIZATIONS = (
    "Riverside Community Foundation",
    "Springfield Rotary Club",
    "Main Street Hardware",
    "Lakeside Credit Union",
    "Hughes Family Fund",
    "Prairie Arts Council",
    "Valley Grocers",
    "First Street Church",
    "Northside Dental",
    "Greenway Builders",
    "Okafor & Patel LLP",
    "Maple Bakery",
)
AMOUNTS = (25, 35, 50, 50, 75, 100, 100, 100, 150, 250, 250, 500, 1000)
# Who gives when, by share of donors: (share, years given counted back from this one).
PATTERNS = (
    (30, (2, 1, 0)),  # loyal
    (15, (2, 1)),  # gave last year, not yet this year: LYBUNT
    (12, (2,)),  # gave two years ago only: SYBUNT
    (8, (2, 0)),  # lapsed a year, then recaptured
    (12, (1, 0)),  # new last year, retained
    (13, (0,)),  # new this year
    (10, ()),  # on the list, never gave
)

STAFF_PEOPLE = (
    # (login email, position, annual salary, officer, program %, M&G %, fundraising %)
    ("owner@demo.localhost", "Executive director", "78000.00", True, "40", "40", "20"),
    ("bookkeeper@demo.localhost", "Finance manager", "56000.00", False, "0", "100", "0"),
    ("fundraiser@demo.localhost", "Development director", "62000.00", False, "0", "20", "80"),
    ("volunteers@demo.localhost", "Volunteer coordinator", "48000.00", False, "80", "20", "0"),
)
VOLUNTEER_NAMES = (
    "Val Volunteer",
    "Noah Greene",
    "Lucia Ferreira",
    "Sam Whitaker",
    "Aiko Mori",
    "Derek Osei",
    "Hanna Lind",
    "Pablo Ruiz",
    "Grace Kim",
    "Tom Becker",
    "Leila Haddad",
    "Owen Price",
)


@dataclass
class Cast:
    """The demo's logins by role, who the story's people are, and its one random generator."""

    users: dict[str, User]
    rng: random.Random
    donors: list[Donor] = field(default_factory=list)

    def __getitem__(self, role: str) -> User:
        return self.users[role]


def month_starts(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def demo_history_record(*, users: dict[str, User], today: date) -> Cast:
    """Everything up to the end of last month (the books start on 1 January two years before),
    recorded before receipting is set up."""
    rng = random.Random(f"{SEED}:{today.isoformat()}")  # noqa: S311 - made-up data, not secrets
    cast = Cast(users=users, rng=rng)
    first_day = date(today.year - 2, 1, 1)
    accounting.program_create(code="TUT", name="Youth tutoring", acting_user=cast["owner"])
    people = _people_record(cast, start=first_day)
    _donors_record(cast, rng)
    _gifts_record(cast, rng, today=today)
    _books_record(cast, today=today, first_day=first_day)
    _hours_record(cast, rng, people, today=today)
    _staff_hours_record(cast, people, today=today, first_day=first_day)
    _pay_runs_record(cast, today=today, first_day=first_day)
    _last_month_deposit(cast, today=today)
    _close_past_years(cast, today=today)
    _budget_record(cast, today=today)
    return cast


def demo_this_month_record(cast: Cast, *, today: date) -> None:
    """Receipting turned on; this month's checks posted and receipted, in an open deposit that
    expects one more; three more checks waiting as drafts for the bookkeeper."""
    fundraiser, bookkeeper = cast["fundraiser"], cast["bookkeeper"]
    donations.receipt_settings_update(
        acting_user=bookkeeper,
        ein="12-3456789",  # the IRS's own example number: a demo, not a real organization
        address="1 Main Street\nSpringfield, IL 62701",
        signatory_name="Olivia Owner",
        signatory_title="Executive Director",
    )
    this_month = today.replace(day=1)
    givers = [donor for donor in cast.donors if donor.kind == "individual"][:12]
    posted = []
    for number, donor in enumerate(givers):
        gift = donations.gift_create(
            donor=donor,
            amount=f"{cast.rng.choice(AMOUNTS)}.00",
            received_on=this_month + timedelta(days=number % today.day),
            method="check",
            check_number=str(5000 + number),
            acting_user=fundraiser,
        )
        if number < 9:
            posted.append(donations.gift_post(gift=gift, acting_user=bookkeeper))
    deposit = donations.deposit_create(
        deposit_on=today,
        expected_count=len(posted) + 1,
        expected_total=sum((gift.amount for gift in posted), Decimal("100.00")),
        acting_user=bookkeeper,
    )
    donations.deposit_add_gifts(deposit=deposit, gifts=posted, acting_user=bookkeeper)
    _pay_run_this_month(cast, today=today)


def _pay_lines() -> list[personnel.PayLine]:
    """A month's pay as the payroll provider reports it: a twelfth of each salary, the
    employer's 7.65% of Social Security and Medicare, and 450.00 of health insurance each."""
    lines = []
    for record in StaffRecord.objects.select_related("person").order_by("person__full_name"):
        gross = (record.pay_rate / 12).quantize(Decimal("0.01"))
        lines.append(
            personnel.PayLine(
                staff_record=record,
                gross_pay=gross,
                employer_taxes=(gross * Decimal("0.0765")).quantize(Decimal("0.01")),
                benefits=Decimal("450.00"),
                where=record.person.full_name,
            )
        )
    return lines


def _pay_run_this_month(cast: Cast, *, today: date) -> None:
    """This month's pay run, entered and not posted (the months before are posted)."""
    personnel.pay_run_create(
        period_start=today.replace(day=1),
        period_end=month_end(today),
        pay_date=month_end(today),
        lines=_pay_lines(),
        acting_user=cast["bookkeeper"],
    )


def _people_record(cast: Cast, *, start: date) -> dict[str, Person]:
    """Four staff and twelve volunteers; every demo login is its person."""
    owner = cast["owner"]
    people: dict[str, Person] = {}
    for email, position, salary, officer, program, management, fundraising in STAFF_PEOPLE:
        user = next(user for user in cast.users.values() if user.email == email)
        person = personnel.person_create(
            full_name=user.full_name, email=email, user=user, acting_user=owner
        )
        personnel.staff_record_create(
            person=person,
            position=position,
            employment_type="full_time",
            pay_type="salaried",
            pay_rate=salary,
            start_date=start,
            is_officer=officer,
            split_program=program,
            split_management_general=management,
            split_fundraising=fundraising,
            default_program="TUT" if Decimal(program) else None,
            acting_user=owner,
        )
        people[email] = person
    viewer = cast["viewer"]
    people[viewer.email] = personnel.person_create(
        full_name=viewer.full_name, email=viewer.email, user=viewer, acting_user=owner
    )
    for number, name in enumerate(VOLUNTEER_NAMES):
        login: User | None = cast["volunteer"] if number == 0 else None
        email = login.email if login else f"{name.split()[0].lower()}@volunteers.example"
        person = personnel.person_create(full_name=name, email=email, user=login, acting_user=owner)
        personnel.volunteer_create(
            person=person,
            start_date=start + timedelta(days=30 * number),
            skills=["tutoring"] if number % 3 else ["accounting"],
            specialized_rate="45.00" if number % 3 == 0 else None,
            acting_user=owner,
        )
        people[email] = person
    return people


def _donors_record(cast: Cast, rng: random.Random) -> None:
    fundraiser = cast["fundraiser"]
    households: dict[str, list[Donor]] = {}
    people: list[donors.DonorImportSpec] = []
    for number in range(488):
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[(number * 7 + number // len(FIRST_NAMES)) % len(LAST_NAMES)]
        street = f"{10 + number * 3} {STREETS[number % len(STREETS)]}"
        spec = donors.DonorImportSpec(
            names=donors.DonorNames(kind="individual", first_name=first, last_name=last),
            emails=[donors.EmailSpec(email=f"{first}.{last}{number}@example.org".lower())]
            if number % 5
            else [],
            phones=[donors.PhoneSpec(number=f"(217) 555-{1000 + number:04d}")]
            if number % 4 == 0
            else [],
            addresses=[
                donors.AddressSpec(line1=street, city="Springfield", region="IL", postcode="62701")
            ],
            tags=["Board"] if number < 7 else (["Monthly"] if number % 17 == 0 else []),
            do_not_contact=number % 41 == 0,
        )
        people.append(spec)
    for number, donor in enumerate(donors.donors_create(donors=people, acting_user=fundraiser)):
        cast.donors.append(donor)
        if number % 7 == 0:
            households.setdefault(donor.last_name, []).append(donor)
    for last, members in households.items():
        if len(members) < 2:
            continue
        household = donors.household_create(name=f"The {last} household", acting_user=fundraiser)
        for member in members:
            donors.household_add(household=household, donor=member, acting_user=fundraiser)
    cast.donors += donors.donors_create(
        donors=[
            donors.DonorImportSpec(
                names=donors.DonorNames(kind="organization", organization_name=name),
                emails=[donors.EmailSpec(email=f"giving@{name.split()[0].lower()}.example")],
            )
            for name in ORGANIZATIONS
        ],
        acting_user=fundraiser,
    )
    rng.shuffle(cast.donors)


def _gifts_record(cast: Cast, rng: random.Random, *, today: date) -> None:
    """Gifts of the past years and of this year up to last month, posted."""
    fundraiser, bookkeeper = cast["fundraiser"], cast["bookkeeper"]
    this_month = today.replace(day=1)
    year_end = donations.campaign_create(
        code=f"YE{today.year - 1}",
        name=f"Year-end appeal {today.year - 1}",
        goal="40000.00",
        start=date(today.year - 1, 11, 1),
        end=date(today.year - 1, 12, 31),
        acting_user=fundraiser,
    )
    spring = donations.campaign_create(
        code=f"SPRING{today.year}",
        name=f"Spring appeal {today.year}",
        goal="25000.00",
        start=date(today.year, 3, 1),
        end=date(today.year, 5, 31),
        acting_user=fundraiser,
    )
    # The campaign running now, with its public giving page open (README "What to open").
    community = donations.campaign_create(
        code="COMMUNITY",
        name="Community appeal",
        goal="30000.00",
        start=this_month - timedelta(days=75),
        end=today + timedelta(days=60),
        acting_user=fundraiser,
    )
    donations.campaign_giving_page_update(
        campaign=community,
        slug=COMMUNITY_PAGE_SLUG,
        is_public=True,
        story=COMMUNITY_STORY,
        giving_fund="",
        acting_user=fundraiser,
    )
    patterns = [years for share, years in PATTERNS for _ in range(share)]
    specs: list[donations.GiftSpec] = []
    for number, donor in enumerate(cast.donors):
        years = patterns[number % len(patterns)]
        organization = donor.kind == "organization"
        for back in years:
            year = today.year - back
            last_day = min(date(year, 12, 31), this_month - timedelta(days=1))
            if last_day < date(year, 1, 1):
                continue
            for _ in range(2 if rng.random() < 0.3 else 1):
                received = date(year, 1, 1) + timedelta(
                    days=rng.randrange((last_day - date(year, 1, 1)).days + 1)
                )
                amount = rng.choice(AMOUNTS) * (10 if organization else 1)
                campaign = _campaign_of(received, (year_end, spring, community))
                specs.append(
                    donations.GiftSpec(
                        donor=donor,
                        amount=f"{amount}.00",
                        received_on=received,
                        method=rng.choice(("check", "check", "card", "ach", "cash")),
                        check_number=str(1000 + number) if rng.random() < 0.5 else "",
                        campaign=campaign,
                    )
                )
    foundation = next(donor for donor in cast.donors if donor.display_name.startswith("Riverside"))
    specs.append(
        donations.GiftSpec(
            donor=foundation,
            amount="24000.00",
            received_on=date(today.year - 1, 7, 15),
            method="ach",
            allocations=[donations.AllocationSpec(fund="PRP", amount="24000.00")],
            designation="Youth tutoring, two school years",
        )
    )
    gifts = donations.gifts_create(gifts=specs, acting_user=fundraiser)
    gifts.sort(key=lambda gift: gift.received_on)
    donations.gifts_post(gifts=gifts, acting_user=bookkeeper)
    # A pledge paid quarterly, and four monthly givers since the spring.
    pledger = cast.donors[3]
    pledge = donations.pledge_create(
        donor=pledger,
        amount="2400.00",
        pledged_on=date(today.year, 1, 10),
        schedule=donations.ScheduleSpec(
            count=4, frequency="quarterly", first_due_on=date(today.year, 2, 1)
        ),
        acting_user=fundraiser,
    )
    donations.pledge_post(pledge=pledge, acting_user=bookkeeper)
    for monthly in cast.donors[10:14]:
        donations.recurring_gift_create(
            donor=monthly,
            amount="40.00",
            frequency="monthly",
            next_on=date(today.year, 4, 1),
            method="ach",
            acting_user=fundraiser,
        )
    made = donations.recurring_gifts_run(today=this_month - timedelta(days=1))
    donations.gifts_post(
        gifts=list(Gift.objects.filter(pk__in=made.created).order_by("received_on", "pk")),
        acting_user=bookkeeper,
    )


def _campaign_of(received: date, campaigns: tuple[Campaign, ...]) -> Campaign | None:
    for campaign in campaigns:
        if campaign.start and campaign.end and campaign.start <= received <= campaign.end:
            return campaign
    return None


def _payroll_monthly() -> dict[bool, Decimal]:
    """A month's salaries of the officers (True) and of the other staff (False)."""
    return {
        officer: sum(
            (
                Decimal(salary) / 12
                for _e, _p, salary, is_officer, *_ in STAFF_PEOPLE
                if is_officer == officer
            ),
            Decimal("0"),
        ).quantize(Decimal("0.01"))
        for officer in (True, False)
    }


def _budget_record(cast: Cast, *, today: date) -> None:
    """This fiscal year's operating budget, approved: the rent and salaries as they are paid,
    supplies and gifts by the year spread evenly (so that the months differ from it)."""
    start_month = accounting.accounting_settings().fiscal_year_start_month
    year = accounting.fiscal_year_of(today, start_month=start_month)
    budget = accounting.budget_create(
        name="Operating budget", fiscal_year=year, acting_user=cast["bookkeeper"]
    )
    payroll = _payroll_monthly()

    def monthly(amount: Decimal | str) -> list[Decimal]:
        return [Decimal(amount)] * 12

    accounting.budget_amounts_save(
        budget=budget,
        rows=[
            accounting.BudgetRowSpec(
                account="4010", amounts=accounting.spread_evenly(Decimal("60000.00"))
            ),
            accounting.BudgetRowSpec(
                account="4030", amounts=accounting.spread_evenly(Decimal("12000.00"))
            ),
            accounting.BudgetRowSpec(account="7010", amounts=monthly(payroll[True])),
            accounting.BudgetRowSpec(account="7020", amounts=monthly(payroll[False])),
            accounting.BudgetRowSpec(
                account="8110", amounts=accounting.spread_evenly(Decimal("6000.00"))
            ),
            accounting.BudgetRowSpec(account="8210", amounts=monthly("1500.00")),
        ],
        acting_user=cast["bookkeeper"],
    )
    accounting.budget_approve(budget=budget, acting_user=cast["owner"])


def _books_record(cast: Cast, *, today: date, first_day: date) -> None:
    """Rent and supplies each month; the grant spent on tutoring from its fund."""
    grant_start = date(today.year - 1, 8, 1)
    entries = []
    for month in month_starts(first_day, today.replace(day=1) - timedelta(days=1)):
        restricted = month >= grant_start and month < grant_start.replace(year=today.year + 1)
        fund, supplies = ("PRP", "900.00") if restricted else ("GEN", "350.00")
        entries += [
            accounting.EntrySpec(
                date=month.replace(day=3),
                memo=f"Rent, {month:%B %Y}",
                lines=[
                    LineSpec(
                        account="8210", fund="GEN", debit="1500.00", function="management_general"
                    ),
                    LineSpec(account="1010", fund="GEN", credit="1500.00"),
                ],
            ),
            accounting.EntrySpec(
                date=month.replace(day=12),
                memo=f"Tutoring supplies, {month:%B %Y}",
                lines=[
                    LineSpec(
                        account="8110", fund=fund, debit=supplies, function="program", program="TUT"
                    ),
                    LineSpec(account="1010", fund=fund, credit=supplies),
                ],
            ),
        ]
    # The month's entries in date order, as the bookkeeper would have posted them.
    accounting.entries_record(entries=entries, acting_user=cast["bookkeeper"])


def _hours_record(
    cast: Cast, rng: random.Random, people: dict[str, Person], *, today: date
) -> None:
    """Each volunteer's Saturdays since the spring, and the staff's own week before this one;
    the coordinator approves the volunteers', the owner the coordinator's."""
    coordinator, owner = cast["volunteer_coordinator"], cast["owner"]
    start = max(date(today.year, 4, 1), today - timedelta(days=200))
    saturday = start + timedelta(days=(5 - start.weekday()) % 7)
    volunteers = [person for person in people.values() if hasattr(person, "volunteer")]
    saturdays = []
    while saturday < today.replace(day=1):
        for person in volunteers:
            if rng.random() < 0.35:
                continue
            saturdays.append(
                personnel.HourSpec(
                    person=person,
                    date=saturday,
                    hours=rng.choice(("2.00", "3.00", "3.50", "4.00")),
                    function="program",
                    program="TUT",
                    activity="Saturday tutoring",
                    specialized_skills=person.volunteer.specialized_rate is not None,
                )
            )
        saturday += timedelta(days=7)
    personnel.hour_entries_approve(
        entries=personnel.hour_entries_submit(
            entries=saturdays, acting_user=coordinator, today=today
        ),
        acting_user=coordinator,
    )
    last_week = today - timedelta(days=today.weekday() + 7)
    personnel.hour_entries_submit(
        entries=[
            personnel.HourSpec(
                person=people[email],
                date=last_week + timedelta(days=day),
                hours="8.00",
                function="program" if email.startswith("volunteers") else "management_general",
                program="TUT" if email.startswith("volunteers") else None,
            )
            for email, *_ in STAFF_PEOPLE
            for day in range(5)
        ],
        acting_user=owner,
        today=today,
    )


def _staff_days(program: str, management: str, fundraising: str) -> list[tuple[str, str | None]]:
    """A staff member's five weekdays by function (and program), in the shares of their
    default split: 40% program is two days of tutoring a week."""
    days: list[tuple[str, str | None]] = [("program", "TUT")] * round(Decimal(program) / 20)
    days += [("management_general", None)] * round(Decimal(management) / 20)
    return (days + [("fundraising", None)] * 5)[:5]


def _staff_hours_record(
    cast: Cast, people: dict[str, Person], *, today: date, first_day: date
) -> None:
    """The staff's eight-hour weekdays from the first day of the books to the week before last
    (last week's wait for approval), each weekday on the function of their split; approved by
    the owner, the owner's own by the bookkeeper."""
    owner = cast["owner"]
    last_week = today - timedelta(days=today.weekday() + 7)
    weeks = {
        email: _staff_days(program, management, fundraising)
        for email, _p, _s, _o, program, management, fundraising in STAFF_PEOPLE
    }
    entries, day = [], first_day
    while day < last_week:
        if day.weekday() < 5:
            for email, week in weeks.items():
                function, program = week[day.weekday()]
                entries.append(
                    personnel.HourSpec(
                        person=people[email],
                        date=day,
                        hours="8.00",
                        function=function,
                        program=program,
                    )
                )
        day += timedelta(days=1)
    logged = personnel.hour_entries_submit(entries=entries, acting_user=owner, today=today)
    own = people[owner.email].pk
    personnel.hour_entries_approve(
        entries=[entry for entry in logged if entry.person_id != own], acting_user=owner
    )
    personnel.hour_entries_approve(
        entries=[entry for entry in logged if entry.person_id == own],
        acting_user=cast["bookkeeper"],
    )


def _pay_runs_record(cast: Cast, *, today: date, first_day: date) -> None:
    """Each past month's pay run, entered and posted (its cost split by the month's approved
    hours), and paid from the bank on its pay date."""
    bookkeeper = cast["bookkeeper"]
    personnel.settings_update(payroll_posting_enabled=True, acting_user=cast["owner"])
    payments = []
    for month in month_starts(first_day, today.replace(day=1) - timedelta(days=1)):
        pay_run = personnel.pay_run_create(
            period_start=month,
            period_end=month_end(month),
            pay_date=month_end(month),
            lines=_pay_lines(),
            acting_user=bookkeeper,
        )
        posted = personnel.pay_run_post(pay_run=pay_run, acting_user=bookkeeper)
        payments.append(
            accounting.EntrySpec(
                date=month_end(month),
                memo=f"Payroll paid, {month:%B %Y}",
                lines=[
                    LineSpec(account="2020", fund="GEN", debit=posted.total_cost),
                    LineSpec(account="1010", fund="GEN", credit=posted.total_cost),
                ],
            )
        )
    accounting.entries_record(entries=payments, acting_user=bookkeeper)


def _close_past_years(cast: Cast, *, today: date) -> None:
    """Every month before this year, closed in order."""
    year_start = fiscal_year_start(today)
    for period in FiscalPeriod.objects.filter(end__lt=year_start, state=PeriodState.OPEN).order_by(
        "start"
    ):
        accounting.period_close(period=period, acting_user=cast["bookkeeper"])


def _last_month_deposit(cast: Cast, *, today: date) -> None:
    """Last month's checks, in one closed deposit."""
    bookkeeper = cast["bookkeeper"]
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    checks = list(
        Gift.objects.filter(
            method="check", received_on__gte=last_month, received_on__lt=this_month
        ).order_by("received_on", "pk")
    )
    if checks:
        deposit = donations.deposit_create(
            deposit_on=this_month - timedelta(days=1),
            expected_count=len(checks),
            expected_total=sum((gift.amount for gift in checks), Decimal("0")),
            acting_user=bookkeeper,
        )
        donations.deposit_add_gifts(deposit=deposit, gifts=checks, acting_user=bookkeeper)
        donations.deposit_close(deposit=deposit, acting_user=bookkeeper)
