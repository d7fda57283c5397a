"""Input and output shapes of the personnel API. Inputs check types and formats only; the rules
are the services' (they answer with the same error shape)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from saas_platform.lib.api import BooksDateField, ErrorOutput, Input
from tenant_apps.accounting.models import Function
from tenant_apps.personnel.models import (
    EmploymentType,
    HourEntry,
    HourState,
    PayrollAllocation,
    PayRun,
    PayRunLine,
    PayRunSource,
    PayType,
    Person,
    PersonnelSettings,
    StaffRecord,
    Volunteer,
    VolunteerStatus,
    WorkerKind,
)

__all__ = ["ErrorOutput"]


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _percent(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, **kwargs)


# --- People ------------------------------------------------------------------------------------


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    user = serializers.IntegerField(source="user_id", allow_null=True)
    user_email = serializers.CharField(source="user.email", allow_null=True, default=None)
    donor = serializers.IntegerField(source="donor_id", allow_null=True)
    is_staff = serializers.SerializerMethodField()
    is_volunteer = serializers.SerializerMethodField()

    def get_is_staff(self, person: object) -> bool:
        return hasattr(person, "staff_record")

    def get_is_volunteer(self, person: object) -> bool:
        return hasattr(person, "volunteer")


class PersonCreateInput(Input):
    class Meta:
        model = Person

    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, required=False, default="", allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    user = serializers.IntegerField(required=False, allow_null=True, default=None)
    donor = serializers.IntegerField(required=False, allow_null=True, default=None)


class PersonUpdateInput(Input):
    class Meta:
        model = Person

    full_name = serializers.CharField(max_length=200, required=False)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    user = serializers.IntegerField(required=False, allow_null=True)
    donor = serializers.IntegerField(required=False, allow_null=True)


# --- Staff -------------------------------------------------------------------------------------


class StaffOutput(serializers.Serializer):
    """A staff record as every reader of personnel sees it: no pay rate (StaffPayOutput)."""

    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.full_name")
    position = serializers.CharField()
    department = serializers.CharField()
    employment_type = serializers.ChoiceField(choices=EmploymentType.choices)
    pay_type = serializers.ChoiceField(choices=PayType.choices)
    is_officer = serializers.BooleanField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    split_program = _percent()
    split_management_general = _percent()
    split_fundraising = _percent()
    default_program = serializers.CharField(
        source="default_program.code", allow_null=True, default=None
    )


class StaffPayOutput(StaffOutput):
    """A staff record with its pay rate, for those allowed to read pay."""

    pay_rate = _money()


class StaffCreateInput(Input):
    class Meta:
        model = StaffRecord

    person = serializers.IntegerField()
    position = serializers.CharField(max_length=200)
    department = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    employment_type = serializers.ChoiceField(choices=EmploymentType.choices)
    pay_type = serializers.ChoiceField(choices=PayType.choices)
    pay_rate = _money()
    is_officer = serializers.BooleanField(required=False, default=False)
    start_date = BooksDateField()
    end_date = BooksDateField(required=False, allow_null=True, default=None)
    split_program = _percent(required=False, default="0")
    split_management_general = _percent(required=False, default="100")
    split_fundraising = _percent(required=False, default="0")
    default_program = serializers.CharField(
        max_length=20, required=False, allow_null=True, default=None
    )


class StaffUpdateInput(Input):
    class Meta:
        model = StaffRecord

    position = serializers.CharField(max_length=200, required=False)
    department = serializers.CharField(max_length=200, required=False, allow_blank=True)
    employment_type = serializers.ChoiceField(choices=EmploymentType.choices, required=False)
    pay_type = serializers.ChoiceField(choices=PayType.choices, required=False)
    pay_rate = _money(required=False)
    is_officer = serializers.BooleanField(required=False)
    start_date = BooksDateField(required=False)
    end_date = BooksDateField(required=False, allow_null=True)
    split_program = _percent(required=False)
    split_management_general = _percent(required=False)
    split_fundraising = _percent(required=False)
    default_program = serializers.CharField(max_length=20, required=False, allow_null=True)


# --- Volunteers --------------------------------------------------------------------------------


class VolunteerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.full_name")
    skills = serializers.ListField(child=serializers.CharField())
    availability = serializers.CharField()
    emergency_contact_name = serializers.CharField()
    emergency_contact_phone = serializers.CharField()
    background_check_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=VolunteerStatus.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    specialized_rate = _money(allow_null=True)


class VolunteerCreateInput(Input):
    class Meta:
        model = Volunteer

    person = serializers.IntegerField()
    skills = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=50
    )
    availability = serializers.CharField(
        max_length=500, required=False, default="", allow_blank=True
    )
    emergency_contact_name = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    emergency_contact_phone = serializers.CharField(
        max_length=40, required=False, default="", allow_blank=True
    )
    background_check_on = BooksDateField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(
        choices=VolunteerStatus.choices, required=False, default=VolunteerStatus.ACTIVE
    )
    start_date = BooksDateField()
    end_date = BooksDateField(required=False, allow_null=True, default=None)
    specialized_rate = _money(required=False, allow_null=True, default=None)


class VolunteerUpdateInput(Input):
    class Meta:
        model = Volunteer

    skills = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    availability = serializers.CharField(max_length=500, required=False, allow_blank=True)
    emergency_contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emergency_contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    background_check_on = BooksDateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=VolunteerStatus.choices, required=False)
    start_date = BooksDateField(required=False)
    end_date = BooksDateField(required=False, allow_null=True)
    specialized_rate = _money(required=False, allow_null=True)


# --- Hours -------------------------------------------------------------------------------------


class HourEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.full_name")
    kind = serializers.ChoiceField(choices=WorkerKind.choices)
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=2)
    function = serializers.ChoiceField(choices=Function.choices)
    program = serializers.CharField(source="program.code", allow_null=True, default=None)
    activity = serializers.CharField()
    specialized_skills = serializers.BooleanField()
    state = serializers.ChoiceField(choices=HourState.choices)
    submitted_by = serializers.CharField(source="submitted_by.email", allow_null=True, default=None)
    decided_by = serializers.CharField(source="decided_by.email", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    in_kind_value = _money(allow_null=True)
    in_kind_entry = serializers.IntegerField(
        source="in_kind_entry.number", allow_null=True, default=None
    )


class HourEntryCreateInput(Input):
    class Meta:
        model = HourEntry

    person = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whose hours: yours (the person linked to your login) when left out.",
    )
    date = BooksDateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0)
    function = serializers.ChoiceField(choices=Function.choices)
    program = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)
    activity = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    specialized_skills = serializers.BooleanField(required=False, default=False)


class HourEntryUpdateInput(Input):
    class Meta:
        model = HourEntry

    date = BooksDateField(required=False)
    hours = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, required=False)
    function = serializers.ChoiceField(choices=Function.choices, required=False)
    program = serializers.CharField(max_length=20, required=False, allow_null=True)
    activity = serializers.CharField(max_length=500, required=False, allow_blank=True)
    specialized_skills = serializers.BooleanField(required=False)


class HourRejectInput(Input):
    class Meta:
        model = HourEntry
        columns = {"reason": "rejection_reason"}

    reason = serializers.CharField(max_length=500)


class HourBulkInput(Input):
    class Meta:
        model = None

    entries = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)


class HourBulkRejectInput(HourBulkInput):
    reason = serializers.CharField(max_length=500)


class HourBulkOutput(serializers.Serializer):
    entries = HourEntryOutput(many=True)


# --- Settings and postings ---------------------------------------------------------------------


class PersonnelSettingsOutput(serializers.Serializer):
    volunteer_hourly_rate = _money()
    volunteer_hourly_rate_source = serializers.CharField()
    payroll_posting_enabled = serializers.BooleanField()
    salary_account = serializers.CharField()
    officer_salary_account = serializers.CharField()
    in_kind_expense_account = serializers.CharField()
    payroll_taxes_account = serializers.CharField()
    benefits_account = serializers.CharField()
    accrued_payroll_account = serializers.CharField()


class PersonnelSettingsUpdateInput(Input):
    class Meta:
        model = PersonnelSettings

    volunteer_hourly_rate = _money(required=False)
    payroll_posting_enabled = serializers.BooleanField(required=False)
    salary_account = serializers.CharField(max_length=20, required=False)
    officer_salary_account = serializers.CharField(max_length=20, required=False)
    in_kind_expense_account = serializers.CharField(max_length=20, required=False)
    payroll_taxes_account = serializers.CharField(max_length=20, required=False)
    benefits_account = serializers.CharField(max_length=20, required=False)
    accrued_payroll_account = serializers.CharField(max_length=20, required=False)


class PayrollAllocationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    entry = serializers.IntegerField(source="entry.number")
    total_cost = _money()
    amount_moved = _money()
    created_by = serializers.CharField(source="created_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class PayrollAllocationInput(Input):
    class Meta:
        model = PayrollAllocation

    start = BooksDateField()
    end = BooksDateField()


class ReportQueryInput(serializers.Serializer):
    start = BooksDateField(required=False)
    end = BooksDateField(required=False)


class ReportIndexItemOutput(serializers.Serializer):
    name = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.CharField()
    csv_url = serializers.CharField()


# --- Pay runs ----------------------------------------------------------------------------------


class PayRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    pay_date = serializers.DateField()
    # drf-stubs: a declared field leaves the class body, so it shadows no Field attribute.
    source = serializers.ChoiceField(choices=PayRunSource.choices)  # type: ignore[assignment]
    source_name = serializers.CharField(help_text="The name of the imported file.")
    people = serializers.IntegerField()
    gross_pay = _money(source="gross")
    total_cost = _money(source="cost", help_text="Gross pay, employer taxes and benefits.")
    posted = serializers.BooleanField(help_text="Whether a posting of the run is in force.")
    entry = serializers.IntegerField(
        source="entry_number",
        allow_null=True,
        help_text="The number of the journal entry that posts the run (null when not posted).",
    )
    created_by = serializers.CharField(source="created_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class PayRunLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    staff_record = serializers.IntegerField(source="staff_record_id")
    person_name = serializers.CharField(source="staff_record.person.full_name")
    gross_pay = _money()
    employer_taxes = _money()
    benefits = _money()
    total = serializers.SerializerMethodField()

    def get_total(self, line: PayRunLine) -> str:
        return f"{line.gross_pay + line.employer_taxes + line.benefits:.2f}"


class PayRunPostingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    entry = serializers.IntegerField(source="entry.number")
    date = serializers.DateField(source="entry.date")
    total_cost = _money()
    created_by = serializers.CharField(source="created_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    reversal_entry = serializers.IntegerField(
        source="reversal_entry.number", allow_null=True, default=None
    )
    reversal_date = serializers.DateField(
        source="reversal_entry.date", allow_null=True, default=None
    )
    reversal_reason = serializers.CharField()


class PayRunDetailOutput(PayRunOutput):
    lines = PayRunLineOutput(many=True, source="lines_shown")
    postings = PayRunPostingOutput(
        many=True, source="postings_shown", help_text="Every posting, the latest first."
    )


class PayRunLineInput(Input):
    class Meta:
        model = PayRunLine

    staff_record = serializers.IntegerField(help_text="The staff record of the person paid.")
    gross_pay = _money(min_value=0)
    employer_taxes = _money(min_value=0, required=False, default=Decimal("0.00"))
    benefits = _money(min_value=0, required=False, default=Decimal("0.00"))


class PayRunLinesInput(Input):
    class Meta:
        model = None

    lines = PayRunLineInput(many=True, help_text="One line a person paid.")


class PayRunCreateInput(PayRunLinesInput):
    class Meta:
        model = PayRun

    period_start = BooksDateField()
    period_end = BooksDateField()
    pay_date = BooksDateField()


class PayRunImportInput(Input):
    class Meta:
        model = PayRun

    period_start = BooksDateField()
    period_end = BooksDateField()
    pay_date = BooksDateField()
    # An empty file is the service's to refuse, with the message of every other bad file.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="The payroll provider's CSV file, at most 1 MB: one row a person.",
    )


class PayRunReverseInput(Input):
    class Meta:
        model = None

    date = BooksDateField(help_text="The reversal's date: on or after the posting's, open.")
    reason = serializers.CharField(max_length=500, help_text="Kept with the reversal.")


class PayRunPartOutput(serializers.Serializer):
    function = serializers.ChoiceField(choices=Function.choices)
    program = serializers.CharField(source="program_code", allow_null=True)
    program_name = serializers.CharField(allow_null=True)
    hours = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    percent = _percent(allow_null=True)
    gross_pay = _money()
    employer_taxes = _money()
    benefits = _money()
    total = _money()


class PayRunPersonPreviewOutput(serializers.Serializer):
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField()
    position = serializers.CharField()
    salary_account = serializers.CharField()
    basis = serializers.CharField(
        help_text="hours: split by the hours approved in the period; default_split: no hours "
        "approved, split by the staff record's default split."
    )
    hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    gross_pay = _money()
    employer_taxes = _money()
    benefits = _money()
    total = _money()
    parts = PayRunPartOutput(many=True)


class PayRunEntryLineOutput(serializers.Serializer):
    account = serializers.CharField()
    account_name = serializers.CharField()
    fund = serializers.CharField()
    function = serializers.CharField(allow_null=True)
    program = serializers.CharField(allow_null=True)
    debit = _money(allow_null=True)
    credit = _money(allow_null=True)


class PayRunPreviewOutput(serializers.Serializer):
    pay_run = serializers.IntegerField()
    posted = serializers.BooleanField()
    total_cost = _money()
    people = PayRunPersonPreviewOutput(many=True)
    entry = PayRunEntryLineOutput(
        many=True, help_text="The entry posting the run would record, to the cent."
    )


class PayRunAccountsOutput(serializers.Serializer):
    salary_account = serializers.CharField()
    officer_salary_account = serializers.CharField()
    payroll_taxes_account = serializers.CharField()
    benefits_account = serializers.CharField()
    accrued_payroll_account = serializers.CharField()


class PayRunAccountsInput(Input):
    class Meta:
        model = PersonnelSettings

    salary_account = serializers.CharField(
        max_length=20, required=False, help_text="An expense account: staff salaries."
    )
    officer_salary_account = serializers.CharField(
        max_length=20, required=False, help_text="An expense account: officers' salaries."
    )
    payroll_taxes_account = serializers.CharField(
        max_length=20, required=False, help_text="An expense account: employer payroll taxes."
    )
    benefits_account = serializers.CharField(
        max_length=20, required=False, help_text="An expense account: employee benefits."
    )
    accrued_payroll_account = serializers.CharField(
        max_length=20,
        required=False,
        help_text="A liability (accrued payroll) or asset (the bank) account: credited with "
        "the run's whole cost.",
    )
