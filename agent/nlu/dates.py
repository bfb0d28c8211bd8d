"""Dates in customers' words, zh and en ("上周三", "3号", "the 5th", "two days ago", "Nov 20"), resolved against an
injectable `today` to ISO dates; a date without a year is the nearest one at most `FUTURE_DAYS` ahead."""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.nlu.spans import EN_NUM, ZH_NUM, Found, number
from agent.numerals import zh_number

FUTURE_DAYS = 60  # a date without a year is at most this far ahead

_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEKDAYS_EN = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3,
                "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
_MONTHS_EN = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"])}
_MONTHS_EN.update({m[:3]: i for m, i in list(_MONTHS_EN.items())})
_MONTHS_EN["sept"] = 9
_MONTH_RX = "|".join(sorted(_MONTHS_EN, key=len, reverse=True))
_WEEKDAY_RX = "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True))
_RELATIVE_ZH = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1,
                "后天": 2, "大后天": 3}
_RELATIVE_EN = {"the day before yesterday": -2, "day before yesterday": -2, "yesterday": -1, "today": 0,
                "tonight": 0, "this morning": 0, "this afternoon": 0, "tomorrow": 1, "the day after tomorrow": 2,
                "day after tomorrow": 2}

_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?(?!\d)")
_DATE_ZH_MD = re.compile(rf"(?<!\d)(\d{{1,2}}|{ZH_NUM}{{1,3}})月(\d{{1,2}}|{ZH_NUM}{{1,3}})[日号]")
_DATE_ZH_DAY = re.compile(rf"(?:(上个?月|这个?月|本月|下个?月)|(?<![\d月]))(\d{{1,2}}|{ZH_NUM}{{1,3}})号")
_DATE_ZH_REL = re.compile("|".join(sorted(_RELATIVE_ZH, key=len, reverse=True)))
_DATE_ZH_WEEK = re.compile(r"(上上|上|这|本|下下|下)?个?(?:周|星期|礼拜)([一二三四五六日天1-7末])")
_DATE_ZH_AGO = re.compile(rf"(\d+|{ZH_NUM}{{1,3}}|半)\s*(天|周|个?星期|个?礼拜|个?月)(?:以?前|之前)")
_DATE_EN_REL = re.compile(r"\b(" + "|".join(sorted(_RELATIVE_EN, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_DATE_EN_WEEK = re.compile(rf"\b(last|this|next|on|past)?\s*({_WEEKDAY_RX})\b\.?", re.IGNORECASE)
_DATE_EN_MD = re.compile(rf"\b({_MONTH_RX})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?", re.IGNORECASE)
_DATE_EN_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RX})\b\.?(?:,?\s*(\d{{4}}))?",
                         re.IGNORECASE)
_DATE_EN_NTH = re.compile(r"\b(?:on |by |before |since )?the (\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?(?:"
                          + _MONTH_RX + r"))", re.IGNORECASE)
_DATE_EN_AGO = re.compile(rf"\b(\d+|{EN_NUM}|a)\s+(days?|weeks?|months?)\s+ago\b", re.IGNORECASE)

def find_date(text: str, today: date) -> Found | None:
    """The first date the text names, as an ISO string, relative to `today`.

    zh 上周一 means Monday of the previous calendar week; en "last Monday" the most recent past Monday;
    a bare weekday (周三 / on Wednesday) the most recent one up to today; a month-day without a year the
    latest one at most `FUTURE_DAYS` ahead; a bare day of month (15号, the 15th) this month's."""
    candidates: list[tuple[int, int, date]] = []

    def add(m: re.Match[str], d: date | None) -> None:
        if d is not None:
            candidates.append((m.start(), m.end(), d))

    for m in _DATE_ISO.finditer(text):
        add(m, _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _DATE_ZH_MD.finditer(text):
        mo, dy = zh_number(m.group(1)), zh_number(m.group(2))
        add(m, _nearest_year(today, mo, dy) if mo and dy else None)
    for m in _DATE_ZH_REL.finditer(text):
        add(m, today + timedelta(days=_RELATIVE_ZH[m.group(0)]))
    for m in _DATE_ZH_WEEK.finditer(text):
        add(m, _zh_week(today, m.group(1), _WEEKDAYS_ZH[m.group(2)]))
    for m in _DATE_ZH_AGO.finditer(text):
        add(m, _ago(today, m.group(1), m.group(2)))
    for m in _DATE_ZH_DAY.finditer(text):
        dy = zh_number(m.group(2))
        add(m, _month_day(today, m.group(1), dy) if dy else None)
    for m in _DATE_EN_REL.finditer(text):
        add(m, today + timedelta(days=_RELATIVE_EN[m.group(1).lower()]))
    for m in _DATE_EN_MD.finditer(text):
        add(m, _en_month_day(today, m.group(1), int(m.group(2)), m.group(3)))
    for m in _DATE_EN_DM.finditer(text):
        add(m, _en_month_day(today, m.group(2), int(m.group(1)), m.group(3)))
    for m in _DATE_EN_WEEK.finditer(text):
        word = m.group(2).lower()
        if word in ("sat", "sun", "wed", "mon") and not m.group(1):
            continue  # too ambiguous alone ("I sat", "the sun")
        add(m, _en_week(today, (m.group(1) or "").lower(), _WEEKDAYS_EN[word]))
    for m in _DATE_EN_NTH.finditer(text):
        add(m, _month_day(today, None, int(m.group(1))))
    for m in _DATE_EN_AGO.finditer(text):
        n = number(m.group(1)) or 1.0
        unit = m.group(2).lower().rstrip("s")
        add(m, today - timedelta(days=int(n) * {"day": 1, "week": 7, "month": 30}[unit]))
    if not candidates:
        return None
    # The earliest mention wins; at the same start the longer match ("上周一" over "周一").
    start, end, d = min(candidates, key=lambda c: (c[0], -(c[1] - c[0])))
    return Found(d.isoformat(), start, end)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _nearest_year(today: date, month: int, day: int) -> date | None:
    """The latest such month-day at most 60 days ahead: customers mostly talk about past purchases and
    near deliveries (on 3 January, 12月28日 is last year's; on 20 November, 12月5日 is this year's)."""
    options = [d for y in (today.year - 1, today.year, today.year + 1)
               if (d := _safe_date(y, month, day)) and (d - today).days <= FUTURE_DAYS]
    return max(options) if options else None


def _month_day(today: date, which: str | None, day: int) -> date | None:
    y, m = today.year, today.month
    if which and which[0] == "上":
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    elif which and which[0] == "下":
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return _safe_date(y, m, day)


def _zh_week(today: date, which: str | None, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday())
    if which is None:
        d = monday + timedelta(days=weekday)
        return d if d <= today else d - timedelta(days=7)
    offset = {"上上": -14, "上": -7, "这": 0, "本": 0, "下": 7, "下下": 14}[which]
    return monday + timedelta(days=offset + weekday)


def _en_week(today: date, which: str, weekday: int) -> date:
    delta = (today.weekday() - weekday) % 7
    if which in ("last", "past"):
        return today - timedelta(days=delta or 7)
    if which == "next":
        return today + timedelta(days=((weekday - today.weekday()) % 7) or 7)
    if which == "this":
        return today - timedelta(days=today.weekday()) + timedelta(days=weekday)
    return today - timedelta(days=delta)  # "on Monday": the most recent one


def _ago(today: date, n: str, unit: str) -> date | None:
    count = 0.5 if n == "半" else number(n)
    if count is None:
        return None
    days = {"天": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30}[unit.lstrip("个")]
    return today - timedelta(days=round(count * days))


def _en_month_day(today: date, month: str, day: int, year: str | None) -> date | None:
    mo = _MONTHS_EN[month.lower().rstrip(".")]
    return _safe_date(int(year), mo, day) if year else _nearest_year(today, mo, day)
