"""Reading numbers the way customers and replies write them: digits, Chinese numerals, English words.

One reader for the slot parser (what the customer asked for) and the grounding guard (what an LLM's reply
claims), so both read 一千二 as 1200.
"""

from __future__ import annotations

ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "俩": 2, "贰": 2, "三": 3, "叁": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUMERAL_CHARS = "".join(ZH_DIGITS) + "".join(ZH_UNITS)
EN_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty-five": 45, "sixty": 60, "ninety": 90,
}


def zh_number(s: str) -> int | None:
    """Chinese numerals (or plain digits) to int: 两=2, 十二=12, 二十=20, 一百零五=105, 两千=2000, 三万五千=35000,
    and colloquial 一千二=1200, 两百五=250; None if `s` is not a number."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total, section, digit = 0, 0, None
    last_unit = 1
    for ch in s:
        if ch in ZH_DIGITS:
            digit = ZH_DIGITS[ch]
        elif ch in ZH_UNITS:
            unit = ZH_UNITS[ch]
            if unit == 10000:
                total = (total + section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
            last_unit = unit
        else:
            return None
    if digit is not None:
        # 一千二 = 1200: a trailing digit right after a unit is one order of magnitude below it
        section += digit * (last_unit // 10 if last_unit >= 100 and s[-2] in ZH_UNITS else 1)
    return total + section
