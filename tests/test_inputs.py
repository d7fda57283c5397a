"""What people type, parsed once for every app: text within its length, numbers within their
places, each problem a ServiceError naming its field."""

from decimal import Decimal

import pytest

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import number_parse, text_check


@pytest.mark.parametrize(("value", "text"), [("  Ada  ", "Ada"), (None, ""), (42, "42"), ("", "")])
def test_text_is_trimmed_and_anything_else_taken_as_written(value: object, text: str) -> None:
    assert text_check(value, field="name", max_length=10) == text


def test_text_past_its_length_names_the_field() -> None:
    with pytest.raises(ServiceError) as refused:
        text_check("x" * 11, field="name", max_length=10)
    assert refused.value.fields == {"name": ["Too long."]}


@pytest.mark.parametrize("value", [None, "   "])
def test_required_text_left_empty_is_refused(value: object) -> None:
    with pytest.raises(ServiceError) as refused:
        text_check(value, field="name", max_length=10, required=True)
    assert refused.value.fields == {"name": ["Required."]}


@pytest.mark.parametrize(
    ("value", "number"),
    [("1.5", Decimal("1.50")), (0, Decimal("0.00")), ("-2", Decimal("-2.00")), (Decimal("3"), 3)],
)
def test_a_number_is_quantized_to_its_places(value: object, number: Decimal) -> None:
    assert number_parse(value, field="rate") == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Not a number."),
        ("NaN", "Not a number."),
        ("1.234", "At most 2 decimal places."),
        ("1e400", "Too large."),
        ("-1e400", "Too large."),
    ],
)
def test_a_number_that_is_not_one_names_the_field(value: object, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        number_parse(value, field="rate")
    assert refused.value.fields == {"rate": [message]}
