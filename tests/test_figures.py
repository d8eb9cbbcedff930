"""Figures read as values: words, digits with Chinese units, Chinese numerals, percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rag.figures import VALUE, chinese_number, spell_percents, values
from rag.lexical import Tokenizer


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("八亿六千万", 860_000_000),
        ("一千万", 10_000_000),
        ("二百一十", 210),
        ("一百零五", 105),
        ("十二", 12),
        ("两万三千", 23_000),
        ("三点五", Decimal("3.5")),
        ("一万亿", 10**12),
    ],
)
def test_chinese_numerals_read_as_their_value(numeral: str, value: int | Decimal) -> None:
    assert chinese_number(numeral) == value


def test_a_figure_has_one_value_however_it_is_written() -> None:
    assert values("380 billion") == values("3800亿") == [f"{VALUE}380000000000"]
    assert values("10 million") == values("一千万") == [f"{VALUE}10000000"]
    assert values("21.8 billion") == values("218亿元") == [f"{VALUE}21800000000"]
    assert values("grew 34 percent in 2025") == []


def test_chinese_percentages_gain_their_digits() -> None:
    assert spell_percents("增长了百分之三十四。") == "增长了百分之三十四 34 percent 。"
    assert set(Tokenizer()("百分之三十四")) >= set(Tokenizer()("34%"))
