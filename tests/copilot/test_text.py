"""Turkish text handling: case folding with İ/ı, diacritics, numbers and typos."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copilot.parser import analyze
from copilot.text import edit_distance, fold, parse_number, tokenize


def test_it_folds_turkish_capitals_the_turkish_way():
    assert fold("İPTAL") == "iptal"
    assert fold("LIMIT") == "limit"  # I → ı → i after diacritics are dropped
    assert fold("PORTFÖY ÖZETİ") == "portfoy ozeti"
    assert fold("Çapraz Şimdi Güncelle") == "capraz simdi guncelle"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0,01", "0.01"),
        ("0.01", "0.01"),
        ("60.000", "60000"),
        ("1.250,75", "1250.75"),
        ("3,500.50", "3500.50"),
        ("1,000,000", "1000000"),
        ("0.001", "0.001"),
    ],
)
def test_it_reads_turkish_and_english_numbers(text, value):
    assert parse_number(text) == Decimal(value)


def test_suffixes_after_an_apostrophe_stay_apart_from_the_symbol_and_number():
    tokens = tokenize("BTC'den 0,01'lik ETH'yi")
    assert [t.stem for t in tokens] == ["btc", "0,01", "eth"]
    assert tokens[1].number == Decimal("0.01")
    s = analyze("BTC'den 0,01 al, ETH'yi sat")
    assert [sym for _, sym in s.symbols] == ["BTCUSDT", "ETHUSDT"]


def test_symbols_from_settings_are_recognized(settings):
    settings.SPARK_STREAM_SYMBOLS = ["BTCUSDT", "ORDIUSDT"]
    s = analyze("ordi 3 al")
    assert s.first_symbol() == "ORDIUSDT"


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("cancle", "cancel") == 1
    assert edit_distance("pozsiyon", "pozisyon") == 1
    assert edit_distance("abc", "xyz", limit=1) == 2
