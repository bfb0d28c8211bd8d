"""Slot extraction, zh and en: order ids, catalog categories and products, quantities, dates, amounts,
phone numbers, the kind and reason of a return, a product question's item number and detail asked
(`agent.nlu.product_slots`), and a wish about an order before it ships (`agent.nlu.order_wishes`).

Regular expressions and small lexicons rather than a model: slots are exact values the tools consume
(an order id either parses or it doesn't), and each rule is easy to test. Values are JSON-ready:
dates are ISO strings relative to an injectable `today`, amounts are `{"value", "currency"}`, phone
numbers are digits (`+` and country code for international ones). Spans already taken by a slot are
masked before the next extractor runs, so the digits of an order id never become a quantity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from agent.language import has_cjk
from agent.nlu.dates import find_date
from agent.nlu.order_wishes import order_wish
from agent.nlu.product_slots import attribute, item_no
from agent.nlu.spans import EN_NUM, ZH_NUM, Found, number

# ---------------------------------------------------------------- patterns

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])KF[\s#:：\-]*((?:\d[\s\-]?){7}\d)(?!\d)", re.IGNORECASE)
# KF and a few digits too many or too few: an order named, mistyped or misheard ("KF100000001", "KF1000001").
_BAD_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])KF[\s#:：\-]*(\d{5,7}|\d{9,11})(?!\d)", re.IGNORECASE)
_ORDER_NO = re.compile(r"(?:订单号|订单编号|单号|order (?:number|no\.?|#)|order id)\s*[:：#]?\s*(\d{8})(?!\d)",
                       re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
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
        self._categories = _Lexicons([(key, words) for key, words in (categories or {}).items()])
        if products is None:
            items: list[tuple[str, Sequence[str]]] = []
        elif isinstance(products, Mapping):
            items = list(products.items())
        else:
            items = [(name, [name]) for name in products]
        self._products = _Lexicons(items)
        self._today = today

    def today(self) -> date:
        if self._today is None:
            return date.today()
        return self._today() if callable(self._today) else self._today

    # ------------------------------------------------------------ catalog

    def category(self, text: str) -> str | None:
        """The catalog category the text names; the longest keyword match wins (手机壳 over 手机)."""
        return self._categories.longest(_NOT_PRODUCT.sub(" ", text))

    def product(self, text: str) -> str | None:
        return self._products.longest(_NOT_PRODUCT.sub(" ", text)) if self._products.entries else None

    # ------------------------------------------------------------ all

    def extract(self, text: str) -> dict[str, object]:
        slots: dict[str, object] = {}
        masked = text
        for name, finder in (("order_id", order_id), ("email", email), ("phone", phone), ("item_no", item_no),
                             ("date", lambda t: find_date(t, self.today())),
                             ("amount", amount), ("quantity", lambda t: quantity(t, self._categories.entries))):
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
        asked = attribute(text)
        if asked:
            slots["attribute"] = asked
        kind = return_kind(text)
        if kind:
            slots["return_kind"] = kind
            slots["reason"] = text.strip()[:200]
        wish = order_wish(text)  # a courier, a ship-later date, a cancellation… (agent.nlu.order_wishes)
        if wish:
            slots["order_wish"] = wish
        if "order_id" not in slots and (bad := bad_order_id(text)):
            slots["bad_order_id"] = bad
        return slots


# ---------------------------------------------------------------- single slots


def order_id(text: str) -> Found | None:
    """`KF` + 8 digits, any case, spaces or `:#-` tolerated ("kf 1000 0001", "订单号：KF10000001");
    8 digits after 订单号/order number count as the same id."""
    m = ORDER_ID.search(text)
    if m:
        return Found("KF" + re.sub(r"\D", "", m.group(1)), m.start(), m.end())
    m = _ORDER_NO.search(text)
    if m:
        return Found("KF" + m.group(1), m.start(1), m.end(1))
    return None


def bad_order_id(text: str) -> str | None:
    """An order named with the wrong number of digits ("KF100000001": a digit doubled by the recogniser, or a typo),
    as given: the customer meant an order, and is asked for it again rather than as if they had named none."""
    m = _BAD_ORDER_ID.search(text)
    return "KF" + m.group(1) if m else None


def email(text: str) -> Found | None:
    """An email address, lower-cased (what an anonymous customer gives to prove an order is theirs)."""
    m = _EMAIL.search(text)
    return Found(m.group(0).lower(), m.start(), m.end()) if m else None


def phone(text: str) -> Found | None:
    """A mainland mobile (11 digits, +86 optional) or an international number with `+`/`00` country code."""
    m = _PHONE_CN.search(text)
    if m:
        return Found(re.sub(r"\D", "", m.group(1)), m.start(), m.end())
    m = _PHONE_INTL.search(text)
    if m:
        digits = re.sub(r"\D", "", m.group(2))
        if 6 <= len(digits) <= 14:
            return Found(f"+{m.group(1)}{digits}", m.start(), m.end())
    return None


def amount(text: str) -> Found | None:
    """A money amount with its currency: ¥199, 199元, 两百块, $20, 20 dollars, €15."""
    # (pattern, group of the number, group of the currency word, currency of each word)
    forms = ((_AMOUNT_BEFORE, 2, 1, _CURRENCY_BEFORE), (_AMOUNT_AFTER, 1, 2, _AFTER_CURRENCY))
    for pattern, num, cur, currencies in forms:
        m = pattern.search(text)
        value = number(m.group(num)) if m else None
        if m and value is not None:
            return Found({"value": round(value, 2), "currency": currencies[m.group(cur).lower()]}, m.start(), m.end())
    return None


def quantity(text: str, categories: Sequence[tuple[str, re.Pattern[str]]] = ()) -> Found | None:
    """How many: 两个, 3件, 数量改成2, 3 pcs, two of them, x2, qty 3, or a number right before a catalog word
    ("2 phone cases")."""
    for rx in (_QTY_ZH_FIELD, _QTY_ZH, _QTY_FIELD_EN, _QTY_EN, _QTY_VERB_EN):
        m = rx.search(text)
        if m and not (rx is _QTY_VERB_EN and _TIME_UNITS.match(text[m.end():])):
            n = number(m.group(1))
            if n is not None and 0 < n <= 9999:
                return Found(int(n), m.start(), m.end())
    m = _QTY_X.search(text)
    if m:
        return Found(int(m.group(1) or m.group(2)), m.start(), m.end())
    for m in re.finditer(rf"\b(\d{{1,3}}|{EN_NUM})\s+(?:(?:new|more|extra|of the|of your|black|white|red|blue|"
                         r"small|large|big|cheap)\s+)?", text, re.IGNORECASE):
        rest = text[m.end():]
        if _TIME_UNITS.match(rest):
            continue
        if any(p.match(rest) for _, p in categories):
            n = number(m.group(1))
            if n is not None and 0 < n <= 9999:
                return Found(int(n), m.start(), m.end())
    return None


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


def _folds_oddly(text: str) -> bool:
    """Has a cased letter beyond ASCII, where the regex's case-insensitive match and `str.lower` may part ways
    ("ſ" matches "s", "İ" lowers to two characters)."""
    return not text.isascii() and any(ord(c) > 127 and c.lower() != c.upper() for c in text)


class _Lexicons:
    """Keys with their word patterns (`_lexicon`), for `_longest`: a message is matched only against the keys with
    a word whose first two characters (lower-cased) occur in it, since a word matches only where those do. The
    same result as trying every key, in a fraction of the time (catalogues have dozens of categories)."""

    def __init__(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        self.entries: list[tuple[str, re.Pattern[str]]] = []
        self._by_head: dict[str, list[int]] = {}
        self._always: list[int] = []  # keys with a word that folds oddly: tried on every message
        for key, words in items:
            pattern = _lexicon(words)
            if pattern is None:
                continue
            i = len(self.entries)
            self.entries.append((key, pattern))
            cleaned = {w.strip() for w in words if w and w.strip()}
            if any(_folds_oddly(w) for w in cleaned):
                self._always.append(i)
                continue
            for head in {w.lower()[:2] for w in cleaned}:
                self._by_head.setdefault(head, []).append(i)

    def longest(self, text: str) -> str | None:
        if _folds_oddly(text):
            return _longest(self.entries, text)
        low = text.lower()
        found = set(self._always)
        for head in {low[i : i + 2] for i in range(len(low))} | set(low):
            found.update(self._by_head.get(head, ()))
        return _longest([self.entries[i] for i in sorted(found)], text)
