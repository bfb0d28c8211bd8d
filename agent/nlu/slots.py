"""Slot extraction, zh and en: order ids, catalog categories and products, quantities, dates, amounts,
phone numbers, and the kind and reason of a return.

Regular expressions and small lexicons rather than a model: slots are exact values the tools consume
(an order id either parses or it doesn't), and each rule is easy to test. Values are JSON-ready:
dates are ISO strings relative to an injectable `today`, amounts are `{"value", "currency"}`, phone
numbers are digits (`+` and country code for international ones). Spans already taken by a slot are
masked before the next extractor runs, so the digits of an order id never become a quantity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from agent.language import has_cjk

# ---------------------------------------------------------------- numbers

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "俩": 2, "贰": 2, "三": 3, "叁": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUM = "[零〇一壹二两俩贰三叁四五六七八九十百千万]"
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a pair of": 2,
               "a dozen": 12, "couple of": 2, "dozen": 12, "both": 2}
EN_NUM = (r"(?:a couple of|a pair of|a dozen|couple of|dozen|one|two|three|four|five|six|seven|eight|nine|ten|"
          r"eleven|twelve|both)")


def zh_number(s: str) -> int | None:
    """Chinese numerals to int: 两=2, 十二=12, 二十=20, 一百零五=105, 两千=2000, 一千二=1200 (colloquial)."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total, section, digit = 0, 0, None
    last_unit = 1
    for ch in s:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
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
        # 一千二 = 1200: a trailing digit after a unit is one order of magnitude below it
        section += digit * (last_unit // 10 if last_unit >= 100 and s[-2] in _ZH_UNITS else 1)
    return total + section


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


# ---------------------------------------------------------------- patterns

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])KF[\s#:：\-]*((?:\d[\s\-]?){7}\d)(?!\d)", re.IGNORECASE)
_ORDER_NO = re.compile(r"(?:订单号|订单编号|单号|order (?:number|no\.?|#)|order id)\s*[:：#]?\s*(\d{8})(?!\d)",
                       re.IGNORECASE)
_PHONE_CN = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s\-]?)?(1[3-9]\d(?:[\s\-]?\d{4}){2})(?!\d)")
_PHONE_INTL = re.compile(r"(?<![\dA-Za-z])(?:\+|00)(\d{1,3})[\s\-]?(\(?\d[\d\s\-()]{5,16}\d)(?!\d)")
_NUM = r"\d[\d,]*(?:\.\d+)?"
_CURRENCY_BEFORE = {"¥": "CNY", "￥": "CNY", "rmb": "CNY", "cny": "CNY", "$": "USD", "us$": "USD", "usd": "USD",
                    "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "hk$": "HKD", "hkd": "HKD"}
_AMOUNT_BEFORE = re.compile(rf"(us\$|hk\$|[¥￥$€£]|\b(?:rmb|cny|usd|eur|gbp|hkd)\b)\s*({_NUM})", re.IGNORECASE)
# 块 is money unless a noun follows (一块手表 is a watch); `_BARE_KUAI` says which characters may follow money.
_BARE_KUAI = "(?![\u4e00-\u9fff])|(?=[以之左上下多的吗呢啊了钱内])"
_AMOUNT_AFTER = re.compile(
    rf"({_NUM}|{ZH_NUM}+)\s*(块钱|块(?:{_BARE_KUAI})|元|圆|人民币|rmb\b|yuan\b|cny\b|美元|美金|"
    r"dollars?\b|bucks\b|usd\b|欧元|euros?\b|eur\b|英镑|pounds?\b|gbp\b|港币|港元|hkd\b)", re.IGNORECASE)
_AFTER_CURRENCY = {"块钱": "CNY", "块": "CNY", "元": "CNY", "圆": "CNY", "人民币": "CNY", "rmb": "CNY", "yuan": "CNY",
                   "cny": "CNY", "美元": "USD", "美金": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
                   "usd": "USD", "欧元": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR", "英镑": "GBP",
                   "pound": "GBP", "pounds": "GBP", "gbp": "GBP", "港币": "HKD", "港元": "HKD", "hkd": "HKD"}
_ZH_CLASSIFIER = "个件台只双套盒包瓶本支条张部把份箱袋罐副顶对片颗根杯听提"
_QTY_ZH = re.compile(rf"(\d+|{ZH_NUM}{{1,4}})\s*(?:([{_ZH_CLASSIFIER}])(?!月|小时|钟头|星期|礼拜|工作日|钱|天|年|分钟)"
                     r"|块(?=[\u4e00-\u9fff])(?![以之左上下多的吗呢啊了钱内]))")
_QTY_ZH_FIELD = re.compile(rf"数量\s*(?:[:：是为改成到]|改为|改成)*\s*(\d+|{ZH_NUM}{{1,4}})")
_EN_UNITS = (r"(?:pcs|pc|pieces?|units?|items?|boxes|box|packs?|pairs?|bags?|bottles?|sets?|cans?|"
             r"of (?:them|these|those|it))")
_QTY_EN = re.compile(rf"\b(\d+|{EN_NUM})\s*{_EN_UNITS}\b", re.IGNORECASE)
_QTY_X = re.compile(r"(?:(?<![\w])[x×*]\s?(\d{1,3})\b|\b(\d{1,3})\s?[x×](?![\w]))", re.IGNORECASE)
_QTY_FIELD_EN = re.compile(r"\b(?:qty|quantity)\s*(?:[:=]|to|of|is)?\s*(\d+)", re.IGNORECASE)
_QTY_VERB_EN = re.compile(rf"\b(?:take|buy|order|get|want|need|add|send me)\s+(\d{{1,3}}|{EN_NUM})\b(?![%.:,/-]\d)",
                          re.IGNORECASE)
_TIME_UNITS = re.compile(r"^\s*(days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|seconds?|%|percent|"
                         r"dollars?|bucks|yuan|rmb|usd|gb|tb|mb|inch|inches|mah|w|v|mm|cm|m|kg|g|am|pm|st|nd|rd|th)\b",
                         re.IGNORECASE)

# Words that contain a catalog keyword but name no product (手机号 is a phone number, 信用卡 no memory card).
_NOT_PRODUCT = re.compile(r"手机号码?|银行卡|信用卡|储蓄卡|借记卡|会员卡|身份证|电话卡|手机验证|手机上"
                          r"|\bphone (?:number|no\.?|#)|\bcase (?:number|id)\b"
                          r"|(?:手机|电话|\b(?:phone|mobile|cell))(?=\s*(?:is|to|at|on|no\.?|[:：#]|号)?\s*[+(]?\d{6,})"
                          r"|\b(?:in|just in|in any|in that|in this|in which|case by) case\b", re.IGNORECASE)

# ---------------------------------------------------------------- dates

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

# ---------------------------------------------------------------- returns

_QUALITY = re.compile("|".join([
    "质量", "坏了", "坏的", "破损", "损坏", "碎了", "裂了", "不能用", "用不了", "故障", "瑕疵", "有问题", "不工作",
    "划痕", "发错", "错发", "少发", "漏发", "缺件", "假货", "不亮", "开不了机", "没反应", "漏水", "变形", "掉色",
    "起球", "过期", "杂音", "异响", "噪音", "气泡", "卡顿", "死机", "失灵", "发热严重", "没声音", "没有声音", "鼓包",
    "坏点", "充不进电", "充不上电", "读不出", "识别不了", "少了", "缺少", "缺了", "不出水", "不制冷", "不加热",
    "与描述不符", "和描述不符", "描述不符", "货不对板",
    r"\bbroken\b", r"\bdamaged\b", r"\bdefective\b", r"\bfaulty\b", r"\bdoesn'?t work\b", r"\bnot working\b",
    r"\bstopped working\b", r"\bcracked\b", r"\bscratch", r"\bwrong item\b", r"\bmissing parts?\b",
    r"\bnot as described\b", r"\bfake\b", r"\bexpired\b", r"\bleak", r"\bdead on arrival\b", r"\bwon'?t turn on\b",
    r"\bpoor quality\b", r"\bbad quality\b", r"\bquality (issue|problem)s?\b", r"\bbubbles?\b",
    r"\b(makes?|making) (a )?(weird |strange |loud )?noises?\b", r"\bbuzz(es|ing)?\b", r"\boverheat",
    r"\bwon'?t charge\b", r"\bfreez(es|ing)\b", r"\bno sound\b", r"\bswollen\b", r"\bdead pixels?\b",
    r"\bmissing\b", r"\bcan'?t be read\b", r"\bnot (recogni[sz]ed|detected)\b", r"\bpeeling\b"]), re.IGNORECASE)
_NO_REASON = re.compile("|".join([
    "不想要", "不喜欢", "买错", "拍错", "不合适", "不需要了", "不合身", "尺码不对", "太大了", "太小了", "买多了",
    "后悔", "不要了", "用不上", "无理由", "颜色不喜欢", "不合脚", "买重复", "多买了",
    r"\bchanged my mind\b", r"\bdon'?t (want|need|like)\b", r"\bno longer need\b", r"\bordered (the )?wrong\b",
    r"\bdoesn'?t fit\b", r"\b(too|very) (small|big|large|tight|loose)\b", r"\bdon'?t fit\b", r"\bno reason\b",
    r"\bnot what i (wanted|expected)\b", r"\bby mistake\b", r"\bdidn'?t like\b", r"\bno[- ]reason\b",
    r"\bbought the wrong\b", r"\bdon'?t want it\b"]), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Found:
    value: object
    start: int
    end: int


class SlotExtractor:
    """Reads slots from one message. `categories` maps a category key to its zh/en keywords (from the
    catalog at wiring time); `products` maps a product id to its names (or is a plain list of names);
    `today` fixes the reference date for relative dates (a date or a callable; default: the clock)."""

    def __init__(
        self,
        categories: Mapping[str, Sequence[str]] | None = None,
        products: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
        today: date | Callable[[], date] | None = None,
    ) -> None:
        self._categories = [(key, p) for key, words in (categories or {}).items() if (p := _lexicon(words))]
        if products is None:
            items: list[tuple[str, Sequence[str]]] = []
        elif isinstance(products, Mapping):
            items = list(products.items())
        else:
            items = [(name, [name]) for name in products]
        self._products = [(key, p) for key, names in items if (p := _lexicon(names))]
        self._today = today

    def today(self) -> date:
        if self._today is None:
            return date.today()
        return self._today() if callable(self._today) else self._today

    # ------------------------------------------------------------ catalog

    def category(self, text: str) -> str | None:
        """The catalog category the text names; the longest keyword match wins (手机壳 over 手机)."""
        return _longest(self._categories, _NOT_PRODUCT.sub(" ", text))

    def product(self, text: str) -> str | None:
        return _longest(self._products, _NOT_PRODUCT.sub(" ", text))

    # ------------------------------------------------------------ all

    def extract(self, text: str) -> dict[str, object]:
        slots: dict[str, object] = {}
        masked = text
        for name, finder in (("order_id", order_id), ("phone", phone), ("date", lambda t: find_date(t, self.today())),
                             ("amount", amount), ("quantity", lambda t: quantity(t, self._categories))):
            found = finder(masked)
            if found is not None:
                slots[name] = found.value
                masked = masked[: found.start] + " " * (found.end - found.start) + masked[found.end:]
        category = self.category(text)
        if category:
            slots["category"] = category
        product = self.product(text)
        if product:
            slots["product"] = product
        kind = return_kind(text)
        if kind:
            slots["return_kind"] = kind
            slots["reason"] = text.strip()[:200]
        return slots


# ---------------------------------------------------------------- single slots


def order_id(text: str) -> _Found | None:
    """`KF` + 8 digits, any case, spaces or `:#-` tolerated ("kf 1000 0001", "订单号：KF10000001");
    8 digits after 订单号/order number count as the same id."""
    m = ORDER_ID.search(text)
    if m:
        return _Found("KF" + re.sub(r"\D", "", m.group(1)), m.start(), m.end())
    m = _ORDER_NO.search(text)
    if m:
        return _Found("KF" + m.group(1), m.start(1), m.end(1))
    return None


def phone(text: str) -> _Found | None:
    """A mainland mobile (11 digits, +86 optional) or an international number with `+`/`00` country code."""
    m = _PHONE_CN.search(text)
    if m:
        return _Found(re.sub(r"\D", "", m.group(1)), m.start(), m.end())
    m = _PHONE_INTL.search(text)
    if m:
        digits = re.sub(r"\D", "", m.group(2))
        if 6 <= len(digits) <= 14:
            return _Found(f"+{m.group(1)}{digits}", m.start(), m.end())
    return None


def amount(text: str) -> _Found | None:
    """A money amount with its currency: ¥199, 199元, 两百块, $20, 20 dollars, €15."""
    m = _AMOUNT_BEFORE.search(text)
    if m:
        value = number(m.group(2))
        if value is not None:
            return _Found({"value": round(value, 2), "currency": _CURRENCY_BEFORE[m.group(1).lower()]},
                          m.start(), m.end())
    m = _AMOUNT_AFTER.search(text)
    if m:
        value = number(m.group(1))
        if value is not None:
            return _Found({"value": round(value, 2), "currency": _AFTER_CURRENCY[m.group(2).lower()]},
                          m.start(), m.end())
    return None


def quantity(text: str, categories: Sequence[tuple[str, re.Pattern[str]]] = ()) -> _Found | None:
    """How many: 两个, 3件, 数量改成2, 3 pcs, two of them, x2, qty 3, or a number right before a catalog word
    ("2 phone cases")."""
    for rx in (_QTY_ZH_FIELD, _QTY_ZH, _QTY_FIELD_EN, _QTY_EN, _QTY_VERB_EN):
        m = rx.search(text)
        if m and not (rx is _QTY_VERB_EN and _TIME_UNITS.match(text[m.end():])):
            n = number(m.group(1))
            if n is not None and 0 < n <= 9999:
                return _Found(int(n), m.start(), m.end())
    m = _QTY_X.search(text)
    if m:
        return _Found(int(m.group(1) or m.group(2)), m.start(), m.end())
    for m in re.finditer(rf"\b(\d{{1,3}}|{EN_NUM})\s+(?:(?:new|more|extra|of the|of your|black|white|red|blue|"
                         r"small|large|big|cheap)\s+)?", text, re.IGNORECASE):
        rest = text[m.end():]
        if _TIME_UNITS.match(rest):
            continue
        if any(p.match(rest) for _, p in categories):
            n = number(m.group(1))
            if n is not None and 0 < n <= 9999:
                return _Found(int(n), m.start(), m.end())
    return None


def find_date(text: str, today: date) -> _Found | None:
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
    return _Found(d.isoformat(), start, end)


def return_kind(text: str) -> str | None:
    """`quality` (broken, wrong item) or `no_reason` (changed my mind, doesn't fit); quality wins."""
    if _QUALITY.search(text):
        return "quality"
    if _NO_REASON.search(text):
        return "no_reason"
    return None


# ---------------------------------------------------------------- helpers


def _lexicon(words: Sequence[str]) -> re.Pattern[str] | None:
    alts = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not alts:
        return None
    parts = [re.escape(w) if has_cjk(w) else rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])" for w in alts]
    return re.compile("|".join(parts), re.IGNORECASE)


def _longest(lexicon: Sequence[tuple[str, re.Pattern[str]]], text: str) -> str | None:
    best: tuple[int, str] | None = None
    for key, pattern in lexicon:
        for m in pattern.finditer(text):
            if best is None or m.end() - m.start() > best[0]:
                best = (m.end() - m.start(), key)
    return best[1] if best else None


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
