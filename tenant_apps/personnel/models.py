"""People who work for the organization: staff records, volunteers and the hours they log.
Hours feed the functional allocation of salaries and the value of volunteer time."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.db import models

from tenant_apps.accounting.models import Function

# Independent Sector's published value of a volunteer hour in the United States for 2024
# (announced April 2025). Each organization sets its own in the personnel settings.
INDEPENDENT_SECTOR_HOUR_2024 = Decimal("34.79")
MAX_HOURS_A_DAY = Decimal("24")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", "Full-time"
    PART_TIME = "part_time", "Part-time"
    CONTRACTOR = "contractor", "Contractor"


class PayType(models.TextChoices):
    SALARIED = "salaried", "Salaried"
    HOURLY = "hourly", "Hourly"


class VolunteerStatus(models.TextChoices):
    APPLICANT = "applicant", "Applicant"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class HourState(models.TextChoices):
    # Saved on a timesheet but not yet sent for approval: the person may still change it.
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# States in which an entry is still the person's to change: nobody has decided on it.
UNDECIDED = (HourState.DRAFT, HourState.SUBMITTED)


class WorkerKind(models.TextChoices):
    """Whether hours were worked as staff or given as a volunteer: reports keep them apart."""

    STAFF = "staff", "Staff"
    VOLUNTEER = "volunteer", "Volunteer"


class Person(models.Model):
    full_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    user = models.OneToOneField(
        "users.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
        help_text="The login of this person: with it they see and submit their own hours.",
    )
    donor = models.ForeignKey(
        "donors.Donor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="personnel",
        help_text="The donor record of this person, when they also give.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["full_name", "id"], name="person_name")]

    def __str__(self) -> str:
        return self.full_name


class StaffRecord(models.Model):
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="staff_record")
    position = models.CharField(max_length=200)
    department = models.CharField(max_length=200, blank=True)
    employment_type = models.CharField(max_length=20, choices=EmploymentType.choices)
    pay_type = models.CharField(max_length=10, choices=PayType.choices)
    pay_rate = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="A year's pay for salaried staff, an hour's pay for hourly staff.",
    )
    is_officer = models.BooleanField(
        default=False, help_text="An officer or director: paid from 7010, not 7020 (UCOA)."
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    split_program = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    split_management_general = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    split_fundraising = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    default_program = models.ForeignKey(
        "accounting.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the program share of the default split goes.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person__full_name", "id"]
        indexes = [models.Index(fields=["start_date", "end_date"], name="staffrecord_dates")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    split_program__gte=0, split_management_general__gte=0, split_fundraising__gte=0
                )
                & models.Q(
                    split_program=100
                    - models.F("split_management_general")
                    - models.F("split_fundraising")
                ),
                name="staffrecord_split_adds_up",
            ),
            models.CheckConstraint(
                condition=models.Q(split_program=0) | models.Q(default_program__isnull=False),
                name="staffrecord_program_share_has_program",
            ),
            models.CheckConstraint(condition=models.Q(pay_rate__gt=0), name="staffrecord_pay_rate"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="staffrecord_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(employment_type__in=EmploymentType.values),
                name="staffrecord_employment_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(pay_type__in=PayType.values), name="staffrecord_pay_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.position})"


class Volunteer(models.Model):
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="volunteer")
    skills = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    availability = models.CharField(max_length=500, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    background_check_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=VolunteerStatus.choices, default=VolunteerStatus.ACTIVE
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    specialized_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The fair value of an hour of this volunteer's specialized skills (what the "
        "organization would pay for them). Empty: the organization's volunteer hourly rate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person__full_name", "id"]
        indexes = [models.Index(fields=["status"], name="volunteer_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="volunteer_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=VolunteerStatus.values),
                name="volunteer_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(specialized_rate__isnull=True)
                | models.Q(specialized_rate__gt=0),
                name="volunteer_specialized_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} (volunteer)"


class HourEntry(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="hour_entries")
    kind = models.CharField(max_length=10, choices=WorkerKind.choices)
    date = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    function = models.CharField(max_length=20, choices=Function.choices)
    program = models.ForeignKey(
        "accounting.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activity = models.CharField(max_length=500, blank=True)
    specialized_skills = models.BooleanField(
        default=False,
        help_text="Skills the organization would otherwise buy (ASC 958-605-25-16): recognized "
        "as an in-kind contribution and expense when approved.",
    )
    state = models.CharField(max_length=10, choices=HourState.choices, default=HourState.SUBMITTED)
    submitted_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    in_kind_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Posted when approved."
    )
    in_kind_entry = models.OneToOneField(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "hour entries"
        indexes = [
            models.Index(fields=["person", "date"], name="hourentry_person_date"),
            models.Index(fields=["state", "date"], name="hourentry_state_date"),
            models.Index(fields=["date", "id"], name="hourentry_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=MAX_HOURS_A_DAY),
                name="hourentry_hours_in_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(function__in=Function.values), name="hourentry_function_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(function=Function.PROGRAM, program__isnull=False)
                | (~models.Q(function=Function.PROGRAM) & models.Q(program__isnull=True)),
                name="hourentry_program_iff_program_function",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=HourState.values), name="hourentry_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=WorkerKind.values), name="hourentry_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=HourState.REJECTED) | ~models.Q(rejection_reason=""),
                name="hourentry_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=UNDECIDED) | models.Q(decided_at__isnull=False),
                name="hourentry_decision_dated",
            ),
            models.CheckConstraint(
                condition=models.Q(specialized_skills=False) | models.Q(kind=WorkerKind.VOLUNTEER),
                name="hourentry_specialized_only_volunteers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.date} {self.hours}h"


class PersonnelSettings(models.Model):
    """The organization's personnel settings: one row per schema (id 1)."""

    volunteer_hourly_rate = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=INDEPENDENT_SECTOR_HOUR_2024,
        help_text="What an hour of volunteer time is worth in the volunteer-value report. The "
        "default, 34.79, is Independent Sector's published value of a volunteer hour in the "
        "United States for 2024 (released April 2025); state values are published too.",
    )
    payroll_posting_enabled = models.BooleanField(
        default=False,
        help_text="Post the payroll allocation to the ledger: one entry that moves salaries "
        "from management and general to the functions and programs the hours show.",
    )
    salary_account = models.CharField(
        max_length=20, default="7020", help_text="Salaries of other staff (UCOA 7020)."
    )
    officer_salary_account = models.CharField(
        max_length=20, default="7010", help_text="Salaries of officers and directors (UCOA 7010)."
    )
    in_kind_expense_account = models.CharField(
        max_length=20,
        default="8560",
        help_text="The expense charged with volunteers' specialized services (UCOA 8560).",
    )
    payroll_taxes_account = models.CharField(
        max_length=20,
        default="7250",
        help_text="The expense a pay run charges with the employer's payroll taxes (UCOA 7250).",
    )
    benefits_account = models.CharField(
        max_length=20,
        default="7220",
        help_text="The expense a pay run charges with employee benefits (UCOA 7220).",
    )
    accrued_payroll_account = models.CharField(
        max_length=20,
        default="2020",
        help_text="What a pay run credits with its whole cost: accrued payroll (UCOA 2020), "
        "cleared when the provider's payments leave the bank, or the bank account itself.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "personnel settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="personnelsettings_single"),
            models.CheckConstraint(
                condition=models.Q(volunteer_hourly_rate__gt=0),
                name="personnelsettings_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return "Personnel settings"


class PayrollAllocation(models.Model):
    """A payroll allocation posted to the ledger, so that no day's salaries move twice."""

    start = models.DateField()
    end = models.DateField()
    entry = models.OneToOneField(
        "accounting.JournalEntry", on_delete=models.PROTECT, related_name="+"
    )
    total_cost = models.DecimalField(max_digits=14, decimal_places=2)
    amount_moved = models.DecimalField(max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    pay_run = models.ForeignKey(
        "personnel.PayRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        help_text="The pay run whose cost this posting records; empty for the allocation of "
        "salaries by pay rate.",
    )
    # A reversed allocation no longer holds its days: the range can be posted again.
    reversal_entry = models.OneToOneField(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reversal_reason = models.CharField(max_length=500, blank=True)
    reversed_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="payrollallocation_range"
            ),
            ExclusionConstraint(
                name="payrollallocation_no_overlap",
                expressions=[
                    (
                        models.Func(
                            models.F("start"),
                            models.F("end"),
                            models.Value("[]"),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    )
                ],
                condition=models.Q(reversal_entry__isnull=True),
            ),
            models.CheckConstraint(
                condition=models.Q(reversal_entry__isnull=True) | ~models.Q(reversal_reason=""),
                name="payrollallocation_reversal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Payroll allocation {self.start} to {self.end}"


class PayRunSource(models.TextChoices):
    ENTERED = "entered", "Entered in the form"
    IMPORTED = "imported", "Imported from a payroll provider's file"


class PayRun(models.Model):
    """What the organization paid its staff for a period: per person, gross pay, the employer's
    taxes and benefits, as the payroll provider reports them. Posting it records that cost in
    the ledger, split by the hours approved in the period (a PayrollAllocation)."""

    period_start = models.DateField()
    period_end = models.DateField()
    pay_date = models.DateField()
    source = models.CharField(max_length=10, choices=PayRunSource.choices)
    source_name = models.CharField(
        max_length=255, blank=True, help_text="The name of the imported file."
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pay_date", "-id"]
        indexes = [
            models.Index(fields=["pay_date", "id"], name="payrun_pay_date"),
            models.Index(fields=["period_start", "period_end"], name="payrun_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="payrun_period_range",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=PayRunSource.values), name="payrun_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Pay run {self.period_start} to {self.period_end}, paid {self.pay_date}"


class PayRunLine(models.Model):
    pay_run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="lines")
    staff_record = models.ForeignKey(StaffRecord, on_delete=models.PROTECT, related_name="+")
    gross_pay = models.DecimalField(max_digits=12, decimal_places=2)
    employer_taxes = models.DecimalField(max_digits=12, decimal_places=2)
    benefits = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pay_run", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pay_run", "staff_record"], name="payrunline_once_a_person"
            ),
            models.CheckConstraint(
                condition=models.Q(gross_pay__gte=0, employer_taxes__gte=0, benefits__gte=0),
                name="payrunline_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(gross_pay__gt=0)
                | models.Q(employer_taxes__gt=0)
                | models.Q(benefits__gt=0),
                name="payrunline_pays_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_record} on {self.pay_run}"
