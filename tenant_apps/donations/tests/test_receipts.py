"""Receipts: what each kind says under IRS Publication 1771 (read back from the PDF), numbering,
versions, the database guard, storage, and emailing after commit."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from celery.signals import task_prerun
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context
from pypdf import PdfReader
from pytest_django import DjangoCaptureOnCommitCallbacks

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations import tasks
from tenant_apps.donations.models import Gift, Receipt, ReceiptSettings, RecurringGift
from tenant_apps.donations.services import receipts as receipts_service
from tenant_apps.donations.services.gifts import gift_refund, gift_update, gift_void
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings,
    receipt_settings_missing,
    receipt_settings_update,
)
from tenant_apps.donations.services.receipts import (
    receipt_issue,
    receipt_issue_for_posted_gift,
    receipt_reissue,
    receipt_year_end_issue,
    receipts_email_send,
    receipts_issue_for_posted_gifts,
)
from tenant_apps.donations.tests.factories import GiftFactory, RecurringGiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

ORG = "Alpha Relief Fund, Inc."
EIN = "12-3456789"


def pdf_text(receipt: Receipt) -> str:
    with receipt.pdf.open("rb") as pdf:
        data = pdf.read()
    assert data.startswith(b"%PDF")
    assert len(data) < 20_000, "a receipt should stay small"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # lines wrap where the page ends: compare words


def money(amount: str) -> str:
    return f"${Decimal(amount):,.2f}"


def day(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


@pytest.fixture
def receipting_alpha(in_alpha: Tenant) -> Tenant:
    """alpha, its schema current for the whole test, with the receipt settings every receipt
    prints (legal name, EIN, address and signatory)."""
    receipt_settings_update(
        acting_user=None,
        legal_name=ORG,
        ein=EIN,
        address="1 Relief Way\nSpringfield, IL 62701",
        signatory_name="Grace Hopper",
        signatory_title="Treasurer",
    )
    return in_alpha


@pytest.fixture
def ada(receipting_alpha: Tenant) -> Donor:
    return donor_made("Ada", "Lovelace", emails=("ada@example.org",), postcodes=("62701",))


def issued(gift: Gift) -> Receipt:
    return receipt_issue(gift=gift, acting_user=None)


# --- What each receipt says -----------------------------------------------------------------


def test_a_small_gift_without_goods_says_none_were_provided(ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="40.00", check_number="1001", posted=True)

    receipt = issued(gift)

    text = pdf_text(receipt)
    for words in (
        ORG,
        f"EIN: {EIN}",
        "Ada Lovelace",
        "1 Main St",
        f"Date of contribution: {day(gift.received_on)}",
        "Amount of contribution: $40.00",
        "Check no. 1001",
        "No goods or services were provided in exchange for this contribution.",
        "Receipt no. 000001, version 1",
        "Grace Hopper",
        "Treasurer",
    ):
        assert words in text, words
    assert receipt.number == 1
    assert receipt.amount == Decimal("40.00")
    assert receipt.pdf.name == f"receipts/{today().year}/000001-v1.pdf"
    assert receipt.content["statements"][0].startswith("No goods or services")


def test_a_gift_of_250_or_more_is_receipted_even_when_not_every_gift_is(
    ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    receipt_settings_update(acting_user=None, receipt_every_gift=False)
    with django_capture_on_commit_callbacks(execute=True):
        small = GiftFactory.create(donor=ada, amount="249.99", posted=True)
        large = GiftFactory.create(donor=ada, amount="250.00", method="ach", posted=True)

    assert not Receipt.objects.filter(gift=small).exists()
    receipt = Receipt.objects.get(gift=large)
    text = pdf_text(receipt)
    assert "Amount of contribution: $250.00" in text
    assert "Bank transfer (ACH)" in text
    assert "No goods or services were provided in exchange for this contribution." in text


def test_a_quid_pro_quo_payment_over_75_states_the_deductible_excess(ada: Donor) -> None:
    gift = GiftFactory.create(
        donor=ada,
        amount="150.00",
        method="card",
        goods_services_value="60.00",
        goods_services_description="Gala dinner for one",
        posted=True,
    )

    text = pdf_text(issued(gift))

    assert "No goods or services" not in text
    assert "provided the following goods or services: Gala dinner for one" in text
    assert "good-faith estimated value is $60.00" in text
    assert (
        "deductible for federal income tax purposes is limited to the excess of the amount "
        "contributed over the value of the goods or services provided: $150.00 minus $60.00, "
        "that is $90.00."
    ) in text


def test_a_quid_pro_quo_payment_of_75_or_less_describes_the_goods_without_the_disclosure(
    ada: Donor,
) -> None:
    gift = GiftFactory.create(
        donor=ada,
        amount="75.00",
        method="cash",
        goods_services_value="20.00",
        goods_services_description="Tote bag",
        posted=True,
    )

    text = pdf_text(issued(gift))

    assert "provided the following goods or services: Tote bag" in text
    assert "good-faith estimated value is $20.00" in text
    assert "limited to the excess" not in text
    assert "No goods or services" not in text


def test_an_in_kind_gift_is_described_without_a_value(ada: Donor) -> None:
    gift = GiftFactory.create(
        donor=ada,
        amount="880.00",
        method="in_kind",
        in_kind_description="Twelve boxes of canned food",
        posted=True,
    )

    receipt = issued(gift)

    text = pdf_text(receipt)
    assert "Contributed property: Twelve boxes of canned food" in text
    assert "880" not in text
    assert "Amount of contribution" not in text
    assert "does not state a value for contributed property" in text
    assert "No goods or services were provided in exchange for this contribution." in text
    assert receipt.amount is None


def test_a_year_end_statement_lists_every_posted_gift_of_the_year(ada: Donor) -> None:
    year = today().year
    first = GiftFactory.create(
        donor=ada, amount="100.00", received_on=today().replace(day=1), posted=True
    )
    dinner = GiftFactory.create(
        donor=ada,
        amount="200.00",
        method="card",
        goods_services_value="80.00",
        goods_services_description="Gala dinner",
        posted=True,
    )
    goods = GiftFactory.create(
        donor=ada, amount="50.00", method="in_kind", in_kind_description="Blankets", posted=True
    )
    refunded = GiftFactory.create(donor=ada, amount="333.33", method="ach", posted=True)
    gift_refund(gift=refunded, acting_user=None)
    GiftFactory.create(donor=ada, amount="444.44")  # a draft is not a contribution yet
    other = donor_made("Bob", "Other")
    GiftFactory.create(donor=other, amount="555.55", posted=True)

    statement = receipt_year_end_issue(donor=ada, year=year, acting_user=None)

    text = pdf_text(statement)
    assert f"{year} giving statement" in text
    assert ORG in text
    assert f"EIN: {EIN}" in text
    assert "Ada Lovelace" in text
    assert day(first.received_on) in text
    assert day(dinner.received_on) in text
    for words in ("$100.00", "$200.00", "Gala dinner ($80.00)", "In-kind: Blankets", "Not valued"):
        assert words in text, words
    for words in ("333.33", "444.44", "555.55"):
        assert words not in text, words
    assert "Total $300.00 $80.00" in text
    assert "Total of contributions: $300.00" in text
    assert "$200.00 minus $80.00, that is $120.00" in text
    assert "does not state a value for contributed property" in text
    assert statement.amount == Decimal("300.00")
    assert statement.year == year
    assert statement.gift is None
    assert goods.pk  # one PDF for the year, no gift of its own


def test_a_year_end_statement_counts_a_gift_refunded_in_part_for_what_remains(
    ada: Donor,
) -> None:
    kept = GiftFactory.create(donor=ada, amount="100.00", method="card", posted=True)
    part = GiftFactory.create(donor=ada, amount="250.00", method="card", posted=True)
    gift_refund(gift=part, acting_user=None, amount=Decimal("100.00"))
    gift_refund(gift=part, acting_user=None, amount=Decimal("30.50"))

    statement = receipt_year_end_issue(donor=ada, year=today().year, acting_user=None)

    text = pdf_text(statement)
    assert "(of $250.00 given, $130.50 was refunded)" in text
    assert "$119.50" in text and "$250.00 " not in text.replace("of $250.00 given", "")
    assert "Total of contributions: $219.50" in text
    assert statement.amount == Decimal("219.50")
    assert kept.pk


def test_a_year_end_statement_without_goods_says_so(ada: Donor) -> None:
    GiftFactory.create(donor=ada, amount="10.00", posted=True)
    statement = receipt_year_end_issue(donor=ada, year=today().year, acting_user=None)
    assert "No goods or services were provided in exchange for any of these contributions." in (
        pdf_text(statement)
    )


def test_a_correction_is_a_new_version_naming_the_one_it_replaces(ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="120.00", posted=True)
    first = issued(gift)
    gift_update(
        gift=gift,
        acting_user=None,
        goods_services_value="30.00",
        goods_services_description="Concert ticket",
    )

    corrected = receipt_reissue(
        receipt=first, reason="The concert ticket was left out.", acting_user=None
    )

    assert (corrected.number, corrected.version, corrected.supersedes_id) == (1, 2, first.pk)
    assert str(corrected.pdf.name).endswith("000001-v2.pdf")
    assert str(first.pdf.name).endswith("-v1.pdf")
    text = pdf_text(corrected)
    assert "Corrected contribution receipt" in text
    assert f"This replaces receipt no. 000001 version 1, issued on {day(today())}" in text
    assert "which is void. Reason: The concert ticket was left out." in text
    assert "Concert ticket" in text
    assert "$120.00 minus $30.00, that is $90.00" in text
    assert "No goods or services" in pdf_text(first)  # the first version is kept as it was
    with pytest.raises(StateConflict, match="already replaced by version 2"):
        receipt_reissue(receipt=first, reason="again", acting_user=None)


def test_the_correction_of_a_refunded_gifts_receipt_voids_it(ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="90.00", method="ach", posted=True)
    first = issued(gift)
    gift_refund(gift=gift, acting_user=None)

    void = receipt_reissue(receipt=first, reason="Refunded.", acting_user=None)

    text = pdf_text(void)
    assert "Notice of void receipt" in text
    assert (
        "Receipt no. 000001 version 1 is void: the contribution it acknowledged was refunded"
        in (text)
    )
    assert "This notice acknowledges no contribution." in text
    assert "Amount of contribution" not in text
    assert void.is_void
    assert void.amount is None
    assert void.version == 2


# --- Refusals, numbering and the database guard ----------------------------------------------


def test_the_legal_name_defaults_to_the_organizations_name(in_alpha: Tenant) -> None:
    settings_row = receipt_settings()
    assert settings_row.legal_name == "Alpha Relief Fund"
    assert receipt_settings_missing(settings_row) == {"ein": ["Required on every receipt."]}


def test_nothing_is_issued_without_an_ein(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    donor = donor_made("Ada", "Lovelace")
    with django_capture_on_commit_callbacks(execute=True):
        gift = GiftFactory.create(
            donor=donor, amount="500.00", posted=True
        )  # not queued for a receipt, with a log line
    assert not Receipt.objects.exists()

    with pytest.raises(ServiceError, match="EIN") as refusal:
        issued(gift)

    assert refusal.value.fields == {"ein": ["Required on every receipt."]}
    assert not Receipt.objects.exists()
    assert receipt_settings().next_number == 1  # no number taken


def test_a_gift_is_queued_for_its_receipt_only_once_receipts_can_be_issued(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # Without an EIN the task would issue nothing: it is not queued at all.
    donor = donor_made("Ada", "Lovelace")
    ran: list[str] = []

    def task_ran(sender: Any, **_: Any) -> None:
        ran.append(sender.name.rsplit(".", 1)[-1])

    task_prerun.connect(task_ran)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            GiftFactory.create(donor=donor, amount="500.00", posted=True)
        assert "receipt_issue_for_gift" not in ran

        receipt_settings_update(acting_user=None, ein=EIN)
        with django_capture_on_commit_callbacks(execute=True):
            later = GiftFactory.create(donor=donor, amount="300.00", posted=True)
    finally:
        task_prerun.disconnect(task_ran)

    assert ran.count("receipt_issue_for_gift") == 1
    assert list(Receipt.objects.values_list("gift_id", flat=True)) == [later.pk]


def test_a_bad_ein_is_refused(receipting_alpha: Tenant) -> None:
    with pytest.raises(ServiceError, match="NN-NNNNNNN"):
        receipt_settings_update(acting_user=None, ein="123456789")
    assert ReceiptSettings.objects.get().ein == EIN


def test_numbers_have_no_gaps_and_refusals_take_none(ada: Donor) -> None:
    draft = GiftFactory.create(donor=ada, amount="10.00")
    with pytest.raises(StateConflict, match="only a posted gift"):
        issued(draft)
    one = issued(GiftFactory.create(donor=ada, amount="10.00", posted=True))
    assert one.gift is not None
    with pytest.raises(StateConflict, match="already has receipt 000001"):
        issued(one.gift)
    with pytest.raises(ServiceError, match="no posted gifts"):
        receipt_year_end_issue(donor=ada, year=today().year - 1, acting_user=None)
    two = receipt_year_end_issue(donor=ada, year=today().year, acting_user=None)
    with pytest.raises(StateConflict, match="already has the"):
        receipt_year_end_issue(donor=ada, year=today().year, acting_user=None)

    assert [one.number, two.number] == [1, 2]
    assert ReceiptSettings.objects.get().next_number == 3


def test_an_issued_receipt_cannot_be_changed_or_deleted_in_the_database(ada: Donor) -> None:
    receipt = issued(GiftFactory.create(donor=ada, amount="10.00", posted=True))

    changes: list[dict[str, Any]] = [{"amount": Decimal("1.00")}, {"content": {}}, {"version": 5}]
    for change in changes:
        with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic():
            Receipt.objects.filter(pk=receipt.pk).update(**change)
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).delete()

    Receipt.objects.filter(pk=receipt.pk).update(emailed_to="x@example.org", email_error="")
    receipt.refresh_from_db()
    assert receipt.emailed_to == "x@example.org"
    assert receipt.amount == Decimal("10.00")


def test_a_file_left_by_a_rolled_back_issue_is_replaced_by_the_next(ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="10.00", posted=True)
    with pytest.raises(RuntimeError, match="later failure"), transaction.atomic():
        rolled_back = issued(gift)
        path = rolled_back.pdf.name
        raise RuntimeError("a later failure in the same transaction")
    assert not Receipt.objects.exists()
    assert default_storage.exists(str(path))
    gift_update(gift=gift, acting_user=None, designation="Roof repair")

    receipt = issued(gift)

    assert receipt.number == 1
    assert receipt.pdf.name == path
    assert "Designation: Roof repair" in pdf_text(receipt)


def test_no_row_is_written_when_the_pdf_cannot_be_stored(
    ada: Donor, monkeypatch: pytest.MonkeyPatch
) -> None:
    gift = GiftFactory.create(donor=ada, amount="10.00", posted=True)

    def broken_save(*args: Any, **kwargs: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        issued(gift)
    assert not Receipt.objects.exists()
    assert ReceiptSettings.objects.get().next_number == 1


# --- Gifts posted together -----------------------------------------------------------------


class _Undone(Exception):
    pass


def _receipts_of(gift_ids: list[int]) -> dict[str, Any]:
    """What the gifts' receipts say, their numbers, the words of their PDFs and the log."""
    found = Receipt.objects.filter(gift_id__in=gift_ids).order_by("number")
    return {
        "receipts": [
            (r.gift_id, r.number, r.version, r.amount, r.is_void, r.content, pdf_text(r))
            for r in found
        ],
        "audit": Counter(
            (action, json.dumps(detail, sort_keys=True))
            for action, detail in AuditEvent.objects.values_list("action", "detail")
        ),
        "next": ReceiptSettings.objects.get().next_number,
    }


def test_gifts_posted_together_get_the_receipts_each_would_get_on_its_own(
    ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """Given gifts posted together (a donor with an address and one without, one refunded in
    part) among one receipted already, one refunded and one that does not exist, when their
    receipts are issued together, then each gets what issuing it on its own gives it, in the
    order given, in fewer statements, each emailed after commit."""
    bob = donor_made("Bob", "Ross", emails=("bob@example.org",))
    by_hand = GiftFactory.create(donor=ada, amount="30.00", posted=True)
    issued(by_hand)
    refunded = GiftFactory.create(donor=bob, amount="20.00", method="ach", posted=True)
    gift_refund(gift=refunded, acting_user=None)
    in_part = GiftFactory.create(donor=ada, amount="80.00", method="card", posted=True)
    gift_refund(gift=in_part, acting_user=None, amount=Decimal("25.00"))
    gifts = [
        GiftFactory.create(donor=bob, amount="300.00", posted=True),
        in_part,
        by_hand,
        GiftFactory.create(donor=ada, amount="10.00", designation="Roof repair", posted=True),
        refunded,
    ]
    ids = [gift.pk for gift in gifts] + [999_999]

    with pytest.raises(_Undone), transaction.atomic():
        with CaptureQueriesContext(connection) as alone_queries:
            for gift_id in ids:
                receipt_issue_for_posted_gift(gift_id=gift_id)
        one_at_a_time = _receipts_of(ids)
        raise _Undone
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as together_queries,
    ):
        together = receipts_issue_for_posted_gifts(gift_ids=ids)

    assert [receipt.gift_id for receipt in together] == [gifts[0].pk, in_part.pk, gifts[3].pk]
    assert [receipt.number for receipt in together] == [2, 3, 4]
    assert _receipts_of(ids) == one_at_a_time
    assert "$55.00" in pdf_text(together[1])  # what remains of the gift refunded in part
    assert "1 Main St" in pdf_text(together[1]) and "1 Main St" not in pdf_text(together[0])
    assert len(together_queries) * 2 < len(alone_queries), (together_queries, alone_queries)
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.org",
        "ada@example.org",
        "bob@example.org",
    ]


def test_receipts_that_cannot_be_issued_together_are_issued_one_at_a_time_without_a_gap(
    ada: Donor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the second of three receipts cannot be drawn the first time, when they are issued
    together, then nothing of the batch stays and each is issued on its own: numbered 1 to 3,
    each PDF its own gift's."""
    gifts = [
        GiftFactory.create(donor=ada, amount=amount, posted=True)
        for amount in ("11.00", "22.00", "33.00")
    ]
    drawn = receipts_service.receipt_pdf_render
    calls = []

    def failing_once(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the drawing failed")
        return drawn(*args, **kwargs)

    monkeypatch.setattr(receipts_service, "receipt_pdf_render", failing_once)

    issued_together = receipts_issue_for_posted_gifts(gift_ids=[gift.pk for gift in gifts])

    assert len(calls) == 5  # two in the batch, then one for each gift
    assert [(r.gift_id, r.number) for r in issued_together] == [
        (gift.pk, number) for number, gift in enumerate(gifts, start=1)
    ]
    for receipt, amount in zip(issued_together, ("11.00", "22.00", "33.00"), strict=True):
        assert money(amount) in pdf_text(receipt)
    assert ReceiptSettings.objects.get().next_number == 4


def test_a_receipt_is_drawn_as_when_every_line_was_broken_by_multi_cell(
    ada: Donor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a receipt with short lines and a designation too long for one line, when it is
    drawn with the one-line shortcut and with every line left to multi_cell, then the pages
    are the same to the pixel, and the long designation wraps."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    from tenant_apps.donations import receipt_pdf

    long = "Roof repair for the shelter on Elm Street, " * 4
    gift = GiftFactory.create(donor=ada, amount="55.00", designation=long.strip(), posted=True)
    content = issued(gift).content

    def pixels(data: bytes) -> bytes:
        page = pdfium.PdfDocument(data)[0]
        return bytes(page.render(scale=1).to_pil().convert("L").tobytes())

    quick = receipt_pdf.receipt_pdf_render(content)
    monkeypatch.setattr(FPDF, "get_string_width", lambda self, text, **kw: receipt_pdf._WIDTH)
    broken_by_multi_cell = receipt_pdf.receipt_pdf_render(content)

    assert pixels(quick) == pixels(broken_by_multi_cell)
    text = " ".join(
        "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(quick)).pages).split()
    )
    assert f"Designation: {long.strip()}" in text


# --- Emailing -------------------------------------------------------------------------------


def test_a_posted_gift_is_receipted_and_emailed_after_commit(
    ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gift = GiftFactory.create(donor=ada, amount="75.00", posted=True)

    receipt = Receipt.objects.get(gift=gift)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert ORG in message.subject
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("receipt-000001-v1.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert (receipt.emailed_to, receipt.email_error) == ("ada@example.org", "")
    assert receipt.emailed_at is not None


def _emailed(receipt_ids: list[int]) -> dict[str, Any]:
    """What went out, and what each receipt says of its email."""
    return {
        "messages": sorted(
            (
                m.to[0],
                m.subject,
                # The link's signature carries the second it was made in.
                re.sub(r"/give/manage/[^/\s]+/", "/give/manage/(signed)/", str(m.body)),
                tuple(name for name, _, _ in m.attachments),
            )
            for m in mail.outbox
        ),
        "receipts": sorted(
            (r.pk, r.emailed_to, r.email_error, r.emailed_at is not None)
            for r in Receipt.objects.filter(pk__in=receipt_ids)
        ),
    }


def test_receipts_issued_together_are_emailed_as_each_would_be_on_its_own(
    ada: Donor, receipting_alpha: Tenant
) -> None:
    """Given receipts of a donor with a monthly gift given online, of a donor without an email
    address and of one who takes no email, and a receipt replaced by a correction, when they
    are emailed together, then each email and each receipt's record is what emailing it on
    its own gives, and emailing them again sends nothing twice."""
    from tenant_apps.donations.services.receipts import receipt_email_send

    monthly = RecurringGiftFactory.create(donor=ada)
    RecurringGift.objects.filter(pk=monthly.pk).update(stripe_subscription_id="sub_1Test")
    bob = donor_made("Bob", "Ross")
    carol = donor_made("Carol", "King", emails=("carol@example.org",), email_ok=False)
    receipts = [
        issued(GiftFactory.create(donor=donor, amount=amount, posted=True))
        for donor, amount in ((ada, "10.00"), (bob, "20.00"), (carol, "30.00"), (ada, "40.00"))
    ]
    receipt_reissue(receipt=receipts[3], reason="Wrong date", acting_user=None)
    ids = [receipt.pk for receipt in receipts]

    # As the task runs: the organization current (for the link to manage the monthly gift).
    with tenant_context(receipting_alpha.organization):
        with pytest.raises(_Undone), transaction.atomic():
            for receipt_id in ids:
                receipt_email_send(receipt=Receipt.objects.get(pk=receipt_id))
            one_at_a_time = _emailed(ids)
            raise _Undone
        mail.outbox.clear()

        assert receipts_email_send(receipt_ids=ids) == 1
        together = _emailed(ids)
        assert receipts_email_send(receipt_ids=ids) == 0

    assert together == one_at_a_time
    assert len(mail.outbox) == 1
    assert "/give/manage/" in mail.outbox[0].body
    errors = sorted(error for _, _, error, _ in together["receipts"] if error)
    assert errors == [
        "Not emailed: the donor does not accept email.",
        "Not emailed: the donor has no primary email address.",
        "Not emailed: version 2 replaces this one.",
    ]


def test_a_mail_server_lost_while_emailing_receipts_together_is_retried_for_those_not_sent(
    ada: Donor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given three receipts and a mail server lost after the first is sent, when they are
    emailed together, then the first is recorded as sent, the others as not, and the error
    is raised for the task's retry, which sends only those two."""
    from django.core.mail.backends.locmem import EmailBackend

    receipts = [
        issued(GiftFactory.create(donor=ada, amount=amount, posted=True))
        for amount in ("10.00", "20.00", "30.00")
    ]
    ids = [receipt.pk for receipt in receipts]
    sent = EmailBackend.send_messages

    def lost_after_one(self: EmailBackend, messages: Any) -> int:
        if mail.outbox:
            raise OSError("connection lost")
        return sent(self, messages)

    with monkeypatch.context() as patched:
        patched.setattr(EmailBackend, "send_messages", lost_after_one)
        with pytest.raises(OSError, match="connection lost"):
            receipts_email_send(receipt_ids=ids)

    assert [
        (r.emailed_at is not None, r.email_error)
        for r in sorted(Receipt.objects.filter(pk__in=ids), key=lambda r: r.number)
    ] == [
        (True, ""),
        (False, "Not emailed: connection lost"),
        (False, "Not emailed: connection lost"),
    ]
    assert receipts_email_send(receipt_ids=ids) == 2
    assert len(mail.outbox) == 3
    assert all(r.emailed_at is not None for r in Receipt.objects.filter(pk__in=ids))


def test_refunding_a_receipted_gift_voids_its_receipt_after_commit(
    ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gift = GiftFactory.create(donor=ada, amount="300.00", method="ach", posted=True)
    with django_capture_on_commit_callbacks(execute=True):
        gift_refund(gift=gift, acting_user=None)

    first, void = Receipt.objects.filter(gift=gift).order_by("version")
    assert (void.version, void.supersedes_id, void.is_void) == (2, first.pk, True)
    assert void.reason == "The gift was refunded."
    assert "Notice of void receipt" in pdf_text(void)
    assert [message.attachments[0][0] for message in mail.outbox] == [
        "receipt-000001-v1.pdf",
        "receipt-000001-v2.pdf",
    ]


def test_refunding_a_gift_never_receipted_issues_nothing(
    in_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # alpha has no EIN here: nothing is receipted
    donor = donor_made("Bob", "Noether")
    with django_capture_on_commit_callbacks(execute=True):
        gift = GiftFactory.create(donor=donor, amount="300.00", method="ach", posted=True)
    with django_capture_on_commit_callbacks(execute=True):
        gift_refund(gift=gift, acting_user=None)

    assert not Receipt.objects.exists()
    assert mail.outbox == []


def test_refunds_follow_up_the_receipts_of_only_the_gifts_that_may_have_one(
    ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """Given a gift receipted and one never receipted while the receipt settings could issue
    receipts, and the EIN cleared since, when the first is refunded in part and the second
    whole, the first's receipt is corrected (once the EIN is back) and no receipt task is
    queued for the second: no receipt of it can be issued meanwhile. With an EIN, a gift never
    receipted has its receipt's void queued when refunded (one may be on its way)."""
    ran: list[tuple[str, Any]] = []

    def task_ran(sender: Any, args: Any = (), **_: Any) -> None:
        ran.append((sender.name.rsplit(".", 1)[-1], args[0] if args else None))

    with django_capture_on_commit_callbacks(execute=True):
        receipted = GiftFactory.create(donor=ada, amount="300.00", method="ach", posted=True)
    never = GiftFactory.create(donor=ada, amount="200.00", method="ach", posted=True)
    receipt_settings_update(acting_user=None, ein="")
    task_prerun.connect(task_ran)
    try:
        with django_capture_on_commit_callbacks() as queued:
            gift_refund(gift=receipted, acting_user=None, amount=Decimal("50.00"))
            gift_refund(gift=never, acting_user=None)
        receipt_settings_update(acting_user=None, ein=EIN)
        for send in queued:  # the tasks run once the EIN is back
            send()
        assert ran == [("receipt_correct_for_part_refund", receipted.pk)]

        later = GiftFactory.create(donor=ada, amount="100.00", method="ach", posted=True)
        with django_capture_on_commit_callbacks(execute=True):
            gift_refund(gift=later, acting_user=None)
    finally:
        task_prerun.disconnect(task_ran)

    assert ran[1:] == [("receipt_void_for_refunded_gift", later.pk)]
    versions = Receipt.objects.filter(gift=receipted).order_by("version")
    assert [receipt.amount for receipt in versions] == [Decimal("300.00"), Decimal("250.00")]
    assert not Receipt.objects.filter(gift__in=[never, later]).exists()


def test_receipts_a_refund_or_a_void_could_not_correct_without_an_ein_are_corrected_once_it_is_back(
    ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        part = GiftFactory.create(donor=ada, amount="300.00", method="ach", posted=True)
        whole = GiftFactory.create(donor=ada, amount="200.00", method="ach", posted=True)
        voided = GiftFactory.create(donor=ada, amount="100.00", method="ach", posted=True)
    receipt_settings_update(acting_user=None, ein="")

    # The follow-ups run while the EIN is missing: nothing is issued, and nothing fails.
    with django_capture_on_commit_callbacks(execute=True):
        gift_refund(gift=part, acting_user=None, amount=Decimal("50.00"))
        gift_refund(gift=whole, acting_user=None)
        gift_void(gift=voided, reason="Entered twice. " * 33, acting_user=None)
    assert Receipt.objects.filter(version__gt=1).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        receipt_settings_update(acting_user=None, ein=EIN)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        receipt_settings_update(acting_user=None, signatory_title="Treasurer")

    def versions(gift: Gift) -> list[tuple[int, Decimal | None, bool]]:
        receipts = Receipt.objects.filter(gift=gift).order_by("version")
        return [(receipt.version, receipt.amount, receipt.is_void) for receipt in receipts]

    assert versions(part) == [(1, Decimal("300.00"), False), (2, Decimal("250.00"), False)]
    assert [(version, void) for version, _, void in versions(whole)] == [(1, False), (2, True)]
    assert [(version, void) for version, _, void in versions(voided)] == [(1, False), (2, True)]
    void_reason = Receipt.objects.get(gift=voided, version=2).reason
    assert void_reason.startswith("The gift was voided: Entered twice.")
    assert len(void_reason) <= 500
    # Settings complete before and after: nothing to catch up on.
    assert queued == []
    # Run again, it finds nothing left: the settings read, then one statement for each kind.
    with CaptureQueriesContext(connection) as queries:
        assert receipts_service.receipts_catch_up() == 0
    assert len(queries.captured_queries) == 3


def test_the_daily_catch_up_corrects_the_receipts_of_follow_ups_that_never_ran(
    alpha: Tenant,
    beta: Tenant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Given in alpha and in beta a receipted gift refunded in part and another voided, whose
    follow-ups never ran (their tasks lost with the worker), and beta's EIN cleared since, when
    the daily catch-up runs in every active tenant, then alpha's receipts are corrected and
    voided once, and beta's wait for its EIN: nothing issued, and not a warning a gift."""
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            receipt_settings_update(acting_user=None, legal_name=ORG, ein=EIN)
            donor = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
            with django_capture_on_commit_callbacks(execute=True):
                part = GiftFactory.create(donor=donor, amount="300.00", method="ach", posted=True)
                voided = GiftFactory.create(donor=donor, amount="80.00", method="ach", posted=True)
            with django_capture_on_commit_callbacks() as lost:
                gift_refund(gift=part, acting_user=None, amount=Decimal("100.00"))
                gift_void(gift=voided, reason="Entered twice.", acting_user=None)
            assert len(lost) == 2  # the follow-ups, never sent
    with schema_context("beta"):
        receipt_settings_update(acting_user=None, ein="")
    mail.outbox.clear()

    with (
        caplog.at_level("INFO", logger="tenant_apps.donations"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.receipts_catch_up_all.delay().get() >= 2
        tasks.receipts_catch_up_all.delay()  # run twice: nothing more

    def versions(slug: str) -> list[tuple[Decimal, int, Decimal | None, bool]]:
        with schema_context(slug):
            return list(
                Receipt.objects.order_by("gift__amount", "version").values_list(
                    "gift__amount", "version", "amount", "is_void"
                )
            )

    assert versions("alpha") == [
        (Decimal("80.00"), 1, Decimal("80.00"), False),
        (Decimal("80.00"), 2, None, True),
        (Decimal("300.00"), 1, Decimal("300.00"), False),
        (Decimal("300.00"), 2, Decimal("200.00"), False),
    ]
    assert [version for _, version, _, _ in versions("beta")] == [1, 1]
    assert len(mail.outbox) == 2  # alpha's two new versions, to the donor
    assert not [record for record in caplog.records if record.levelname == "WARNING"]
    schedule = django_settings.CELERY_BEAT_SCHEDULE["donations-receipts-catch-up"]
    assert (schedule["task"], schedule["kwargs"]) == (
        tasks.receipts_catch_up_all.name,
        {"at_local_hour": 6},
    )


def test_a_donor_who_wants_no_contact_is_not_emailed(
    receipting_alpha: Tenant, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    quiet = donor_made("Quiet", "Donor", emails=("quiet@example.org",), do_not_contact=True)
    no_email = donor_made("No", "Email")
    with django_capture_on_commit_callbacks(execute=True):
        GiftFactory.create(donor=quiet, amount="300.00", posted=True)
        GiftFactory.create(donor=no_email, amount="300.00", posted=True)

    assert mail.outbox == []
    quiet_receipt = Receipt.objects.get(donor=quiet)
    assert quiet_receipt.emailed_at is None
    assert quiet_receipt.email_error == "Not emailed: the donor does not accept email."
    assert Receipt.objects.get(donor=no_email).email_error == (
        "Not emailed: the donor has no primary email address."
    )


def test_the_task_skips_a_gift_already_receipted_or_refunded(ada: Donor) -> None:
    from tenant_apps.donations.tasks import receipt_issue_for_gift

    by_hand = GiftFactory.create(donor=ada, amount="300.00", posted=True)
    issued(by_hand)
    refunded = GiftFactory.create(donor=ada, amount="300.00", method="ach", posted=True)
    gift_refund(gift=refunded, acting_user=None)

    assert receipt_issue_for_gift.delay(by_hand.pk).get() is None
    assert receipt_issue_for_gift.delay(refunded.pk).get() is None
    fresh = GiftFactory.create(donor=ada, amount="300.00", posted=True)
    assert receipt_issue_for_gift.delay(fresh.pk).get() == Receipt.objects.get(gift=fresh).pk
    assert Receipt.objects.count() == 2


def test_names_outside_latin_1_are_spelled_without_their_accents(receipting_alpha: Tenant) -> None:
    donor = donor_made("Łukasz", "Żak")
    gift = GiftFactory.create(
        donor=donor,
        amount="10.00",
        method="stock",
        in_kind_description="10 shares of ACME",
        posted=True,
    )

    text = pdf_text(issued(gift))

    assert "Lukasz Zak" in text
    assert "Form of contribution: Stock" in text
    assert "Securities: 10 shares of ACME" in text


def test_a_replaced_version_queued_for_email_is_not_sent(ada: Donor) -> None:
    from tenant_apps.donations.tasks import receipt_email

    first = issued(GiftFactory.create(donor=ada, amount="10.00", posted=True))
    receipt_reissue(receipt=first, reason="Typo.", acting_user=None)

    assert receipt_email.delay(first.pk).get() is False

    first.refresh_from_db()
    assert mail.outbox == []
    assert first.emailed_at is None
    assert first.email_error == "Not emailed: version 2 replaces this one."
