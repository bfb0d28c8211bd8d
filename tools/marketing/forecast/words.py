"""The offer a marketer's words propose: "预测一下满300减50的效果", "forecast a spend 300 save 50 campaign",
"打8折跑10天", "20% off for a week". Plain text in, the terms out (None when the words name no offer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.numerals import ZH_NUMERAL_CHARS, zh_number

_N = rf"(\d+(?:\.\d+)?|[{ZH_NUMERAL_CHARS}]+)"
_FULL = (
    re.compile(rf"满\s*{_N}\s*(?:元|块)?\s*减\s*{_N}"),
    re.compile(rf"(?:spend|over|orders?\s+(?:of|over|above))\s*[¥￥]?\s*{_N}\s*(?:yuan\s*)?,?\s*(?:and\s+)?"
               rf"(?:save|get|take)?\s*[¥￥]?\s*{_N}\s*(?:yuan\s*)?off\b", re.IGNORECASE),
    re.compile(rf"(?:spend|over)\s*[¥￥]?\s*{_N}\s*(?:yuan\s*)?,?\s*(?:and\s+)?(?:save|get)\s*[¥￥]?\s*{_N}",
               re.IGNORECASE),
    re.compile(rf"[¥￥]?\s*{_N}\s*(?:yuan\s*)?off\s+(?:orders?\s+)?(?:over|above|of)\s*[¥￥]?\s*{_N}",
               re.IGNORECASE),
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent)\s*off", re.IGNORECASE)
_ZHE = re.compile(rf"打?\s*{_N}\s*折")
_DAYS = (re.compile(rf"{_N}\s*(?:天|日)"), re.compile(r"(\d+)\s*days?\b", re.IGNORECASE))
_WEEKS = (re.compile(rf"{_N}\s*(?:周|个星期|星期)"), re.compile(r"(\d+|a|one|two)\s*weeks?\b", re.IGNORECASE))
_WORD_NUMBERS = {"a": 1, "one": 1, "two": 2}


@dataclass(frozen=True, slots=True)
class ProposedOffer:
    kind: str  # full_reduction | percent_off
    discount: float
    threshold: float | None = None
    days: int | None = None  # None: the words give no window


def _num(token: str) -> float | None:
    if token[0].isdigit():
        return float(token)
    if token.lower() in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[token.lower()])
    n = zh_number(token)
    return None if n is None else float(n)


def _days(text: str) -> int | None:
    for pattern in _DAYS:
        if (m := pattern.search(text)) and (n := _num(m.group(1))):
            return int(n)
    for pattern in _WEEKS:
        if (m := pattern.search(text)) and (n := _num(m.group(1))):
            return int(n * 7)
    return None


def proposed_offer(text: str) -> ProposedOffer | None:
    """The offer named in `text`: 满X减Y (or spend X save Y, Y off over X), N% off, N折."""
    days = _days(text)
    for n, pattern in enumerate(_FULL):
        if m := pattern.search(text):
            a, b = _num(m.group(1)), _num(m.group(2))
            if a is None or b is None:
                continue
            threshold, discount = (b, a) if n == 3 else (a, b)
            return ProposedOffer("full_reduction", discount, threshold, days)
    if m := _PERCENT.search(text):
        return ProposedOffer("percent_off", float(m.group(1)), None, days)
    if (m := _ZHE.search(text)) and (rate := _num(m.group(1))) is not None:
        tenths = rate if rate < 10 else rate / 10  # 8折 = 20% off, 85折 = 15% off
        if 0 < tenths < 10:
            return ProposedOffer("percent_off", round(100 - tenths * 10, 1), None, days)
    return None
