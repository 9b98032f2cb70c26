"""spark_site.money: decimals read exactly and written plainly, for every app."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal

import pytest

from spark_site.money import JsonNumber, decimal_text, json_loads, read_decimal


def test_a_json_number_keeps_the_text_it_was_written_as():
    body = json_loads('{"q": 0.1, "big": 1e400, "n": 7}')

    assert read_decimal(body["q"]) == Decimal("0.1")  # not 0.1000000000000000055511151231257827
    assert read_decimal(body["big"]) == Decimal("1e400")  # not inf: the bounds refuse it later
    assert body["n"] == 7 and type(body["n"]) is int


def test_it_still_behaves_as_json_and_survives_pickle_and_copy():
    number = json_loads("[2.5]")[0]

    assert json.dumps({"x": number}) == '{"x": 2.5}'
    for clone in (pickle.loads(pickle.dumps(number)), copy.deepcopy(number)):
        assert isinstance(clone, JsonNumber) and clone == 2.5 and clone.text == "2.5"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"q": NaN}'])
def test_nan_and_infinity_are_not_json(text):
    with pytest.raises(ValueError):
        json_loads(text)


def test_a_python_float_passes_only_when_it_is_exactly_its_decimal():
    assert read_decimal(1.5) == Decimal("1.5")
    with pytest.raises(ValueError):
        read_decimal(0.1)
    with pytest.raises(ValueError):
        read_decimal(float("inf"))


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("100.000"), "100"), (Decimal("1E+2"), "100"), (Decimal("-0"), "0"),
     (Decimal("0E-10"), "0"), (Decimal("0.00200"), "0.002"), (None, None), ("-1.50", "-1.5")],
)  # fmt: skip
def test_decimal_text_is_plain(value, text):
    assert decimal_text(value) == text


def test_minus_zero_reads_as_zero():
    assert str(read_decimal("-0")) == "0" and str(read_decimal("-0.00")) == "0.00"
