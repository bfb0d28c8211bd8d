"""What slot extractors share: reading a number written in digits, Chinese numerals or English words, and a
found value with its span."""

from __future__ import annotations

from dataclasses import dataclass

from agent.numerals import ZH_NUMERAL_CHARS, zh_number

ZH_NUM = f"[{ZH_NUMERAL_CHARS}]"
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a pair of": 2,
               "a dozen": 12, "couple of": 2, "dozen": 12, "both": 2}
EN_NUM = (r"(?:a couple of|a pair of|a dozen|couple of|dozen|one|two|three|four|five|six|seven|eight|nine|ten|"
          r"eleven|twelve|both)")


def number(s: str) -> float | None:
    """Digits (with thousands separators), Chinese numerals or English number words."""
    s = s.strip().lower().replace(",", "")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if s in _EN_NUMBERS:
        return float(_EN_NUMBERS[s])
    n = zh_number(s)
    return float(n) if n is not None else None


@dataclass(frozen=True, slots=True)
class Found:
    """A slot value and where it stands in the text (the span is masked before the next extractor runs)."""

    value: object
    start: int
    end: int
