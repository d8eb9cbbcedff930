"""Figures read as their values, so one written in words meets one written in Chinese.

"380 billion" in an English call and "3800亿" in a Chinese question are the same
figure, as are "10 million" and "一千万", "34%" and "百分之三十四": each is read
as its value ("#380000000000"), a term keyword search and confidence then match
on both sides. Numbers without a magnitude keep their digits only.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_ENGLISH = re.compile(r"(\d+(?:[.,]\d+)*)\s+(thousand|million|billion|trillion)\b")
_MAGNITUDES = {
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
    "千": 10**3,
    "万": 10**4,
    "亿": 10**8,
    "万亿": 10**12,
}
_DIGITS_WITH_UNIT = re.compile(r"(\d+(?:\.\d+)?)(万亿|亿|万|千)")
_CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_NUMBER = re.compile(
    r"[零〇一二两三四五六七八九十百千万亿]{2,}(?:点[零〇一二三四五六七八九]+)?"
)
_CHINESE_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]")
_CHINESE_PERCENT = re.compile(r"百分之([零〇一二两三四五六七八九十百点]+)")


def chinese_number(numeral: str) -> Decimal | None:
    """The value of a Chinese numeral ("八亿六千万" is 860000000, "三点五" is 3.5)."""
    whole, _, fraction = numeral.partition("点")
    total = section = number = 0
    for char in whole:
        if char in _CHINESE_DIGITS:
            number = _CHINESE_DIGITS[char]
        elif char in _SMALL_UNITS:
            section += (number or 1) * _SMALL_UNITS[char]
            number = 0
        elif char == "万":
            total += (section + number) * 10**4
            section = number = 0
        elif char == "亿":
            total = (total + section + number) * 10**8
            section = number = 0
        else:
            return None
    value = Decimal(total + section + number)
    if fraction:
        if any(c not in _CHINESE_DIGITS for c in fraction):
            return None
        value += Decimal("0." + "".join(str(_CHINESE_DIGITS[c]) for c in fraction))
    return value


VALUE = "#"
"""Marks a value term ("#860000000"), apart from the digits as written."""


def _digits(value: Decimal) -> str:
    whole = value.to_integral_value()
    return str(whole) if value == whole else str(value.normalize())


def _term(value: Decimal) -> str:
    return VALUE + _digits(value)


def figures(text: str) -> list[tuple[int, int, str]]:
    """Where ``text``'s figures with a magnitude or in Chinese numerals are, with their
    values as terms: (start, end, "380000000000").

    ``text`` is lower-cased, with units already in words ("$247.8B" as "247.8 billion").
    """
    found: list[tuple[int, int, Decimal]] = []
    english = "illion" in text or "thousand" in text
    for match in _ENGLISH.finditer(text) if english else ():
        try:
            value = Decimal(match.group(1).replace(",", "")) * _MAGNITUDES[match.group(2)]
        except InvalidOperation:
            continue
        found.append((match.start(), match.end(), value))
    if _CHINESE_NUMERAL.search(text):
        for match in _DIGITS_WITH_UNIT.finditer(text):
            value = Decimal(match.group(1)) * _MAGNITUDES[match.group(2)]
            found.append((match.start(), match.end(), value))
        for match in _CHINESE_NUMBER.finditer(text):
            if (value := chinese_number(match.group(0))) is not None:
                found.append((match.start(), match.end(), value))
    return [(start, end, _term(value)) for start, end, value in found]


def values(text: str) -> list[str]:
    """The value terms of ``figures(text)``."""
    return [term for _, _, term in figures(text)]


def spell_percents(text: str) -> str:
    """``text`` with each Chinese percentage ("百分之三十四") followed by "34 percent"."""

    def spell(match: re.Match[str]) -> str:
        value = chinese_number(match.group(1))
        return match.group(0) if value is None else f"{match.group(0)} {_digits(value)} percent "

    return _CHINESE_PERCENT.sub(spell, text) if "百分之" in text else text
