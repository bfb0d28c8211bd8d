"""Grounding guard: every checkable fact in an LLM reply must appear in what the model was given.

A small model writes fluent, confident and wrong order data. Before an LLM reply is shown, the
facts a customer would act on — order and return ids, tracking/phone numbers, money amounts,
dates, percentages and discounts, day/hour counts, order/shipment/return statuses — are pulled
out of the reply (zh and en) and looked up, normalised, in the grounding: tool results rendered as
text (or raw JSON) and retrieved passages. One unsupported fact fails the reply; the pipeline then
uses the template. Matching is by value ("¥199" == "199元" == "199.00", "七天" == "7 days",
"11月20日" == "Nov 20" == "2026-11-20"), so a correct reply in the other language still passes.
The grounding side is read leniently (any number there may back an amount), the reply side strictly.
Given a claims table (`agent.nlg.claims`), promises of action no tool made fail the reply the same way.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from agent.nlg.claims import ClaimTable
from agent.numerals import EN_NUMBER_WORDS, ZH_DIGITS, zh_number

# ---------------------------------------------------------------- numbers

# numerals a reply may state (not 俩 or 壹: "你们俩" is no figure to check)
ZH_NUM = "[零〇一二两三四五六七八九十百千万]+"
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_EN_WORDS = EN_NUMBER_WORDS
EN_NUM = "|".join(sorted(_EN_WORDS, key=len, reverse=True))
ANY_NUM = rf"(?:{NUM}|{ZH_NUM})"


def number(text: str) -> Decimal | None:
    """A numeral in any form we accept ("1,299.00", "七", "fifteen") as a normalised Decimal."""
    text = text.strip().lower()
    if text in _EN_WORDS:
        return Decimal(_EN_WORDS[text])
    zh = zh_number(text)
    if zh is not None:
        return Decimal(zh)
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value.normalize()


def _key(value: Decimal) -> str:
    """199 == 199.0 == 199.00; 1E+2 style exponents avoided."""
    return format(value.normalize(), "f")


# ---------------------------------------------------------------- patterns

_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}
MONTH = "|".join(sorted((m for m in _MONTHS if m != "may"), key=len, reverse=True)) + "|(?-i:May)"  # not "you may"
_B = r"(?<![A-Za-z0-9])"  # token start: Chinese text has no spaces, so \b is no use
_E = r"(?![A-Za-z0-9])"

ORDER_ID = re.compile(_B + r"KF\d{8}" + r"(?!\d)", re.IGNORECASE)
RETURN_ID = re.compile(_B + r"R\d{8}" + r"(?!\d)", re.IGNORECASE)
REFERENCE = re.compile(_B + r"(?:[A-Z]{1,4}\d{8,}|\d{9,}|\d{3,4}-\d{3,4}-\d{4})" + r"(?!\d)")  # tracking, phone
ISO_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
DATES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"), "ymd"),
    (re.compile(rf"(?<!\d)(\d{{1,2}}|{ZH_NUM})\s*月\s*(\d{{1,2}}|{ZH_NUM})\s*[日号]"), "md"),
    (re.compile(rf"{_B}({MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?{_E}", re.IGNORECASE), "Mdy"),
    (re.compile(rf"{_B}(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH})(?:,?\s+(\d{{4}}))?{_E}", re.IGNORECASE),
     "dMy"),
]
MONEY = [
    re.compile(rf"(?:[¥￥$]|(?:CNY|RMB|USD)\s*)\s*({NUM})", re.IGNORECASE),
    re.compile(rf"(?<![\d.])({NUM}|{ZH_NUM})\s*(?:元|块钱|块|(?:CNY|RMB|yuan){_E})", re.IGNORECASE),
    re.compile(r"(?<![\d.,])(\d+\.\d{2})(?![\d%％])"),  # 199.00: two decimals read as an amount
]
PERCENT = [
    re.compile(rf"(?<![\d.])({NUM})\s*(?:%|％|percent{_E})", re.IGNORECASE),
    re.compile(rf"百分之\s*({NUM}|{ZH_NUM})"),
]
DISCOUNT = re.compile(r"(?<![\d.])(\d(?:\.\d)?|[一二三四五六七八九]{1,2})\s*折")
_DAY_UNIT = r"(?:个)?(?:工作日|自然日|天|日)"
_EN_DAY_UNIT = r"(?:business|working|calendar)?\s*-?\s*days?"
DAYS = [
    re.compile(rf"(?<![\d.])({NUM}|{ZH_NUM})\s*[-–—~～至到]\s*({NUM}|{ZH_NUM})\s*{_DAY_UNIT}"),
    re.compile(rf"{_B}({NUM}|{EN_NUM})\s*(?:-|–|—|to)\s*({NUM}|{EN_NUM})[\s-]*{_EN_DAY_UNIT}{_E}", re.IGNORECASE),
    re.compile(rf"(?<![\d.])({NUM}|{ZH_NUM})\s*{_DAY_UNIT}"),
    re.compile(rf"{_B}({NUM}|{EN_NUM})[\s-]*{_EN_DAY_UNIT}{_E}", re.IGNORECASE),
]
HOURS = [
    re.compile(rf"(?<![\d.])({NUM}|{ZH_NUM})\s*(?:个)?小时"),
    re.compile(rf"{_B}({NUM}|{EN_NUM})[\s-]*(?:hours?|hrs?){_E}", re.IGNORECASE),
]
BARE_NUMBER = re.compile(rf"(?<![\d.])({NUM})(?![\d])")

# canonical status -> (zh surfaces, en surfaces safe anywhere, en surfaces that need "is/was/has been ...")
STATUSES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "pending_payment": (("待付款", "待支付", "未付款", "未支付"),
                        ("awaiting payment", "pending payment", "unpaid"), ()),
    "paid": (("已付款", "已支付", "待发货", "等待发货"), ("awaiting shipment", "waiting to ship"), ("paid",)),
    "shipped": (("已发货", "已发出", "已寄出"), ("shipped", "dispatched"), ()),
    "delivered": (("已签收", "已送达", "已妥投"), ("delivered",), ()),
    "cancelled": (("已取消",), ("cancelled", "canceled"), ()),
    "label_created": (("等待揽收", "待揽收"), ("label created", "awaiting pickup"), ()),
    "picked_up": (("已揽收", "已揽件"), (), ("picked up",)),
    "in_transit": (("运输中", "在途中", "运送中"), ("in transit",), ()),
    "out_for_delivery": (("派送中", "配送中", "派件中", "正在派送"), ("out for delivery",), ()),
    "exception": (("物流异常", "派送异常"), ("delivery exception",), ()),
    "returned": (("已退回",), ("returned to sender",), ("returned",)),
    # "requested" is not checked in replies: "已提交/submitted" is how any new request is confirmed
    "approved": (("已同意", "已批准", "已通过"), (), ("approved",)),
    "received": (("已收到退货", "仓库已收到"), (), ("received",)),
    "refunded": (("已退款", "退款已到账"), ("refunded",), ()),
    "rejected": (("已拒绝", "已驳回"), (), ("rejected", "declined")),
}
# a grounding status that implies another (an order in transit has shipped)
IMPLIES = {"in_transit": "shipped", "out_for_delivery": "shipped", "picked_up": "shipped", "exception": "shipped",
           "delivered": "shipped", "refunded": "received"}
_EN_CONTEXT = (r"(?:is|are|was|were|been|be|has|have|had|now|already|just|status(?:\s+is)?:?)\s+"
               r"(?:now\s+|already\s+|been\s+)*")
_ZH_NEG = r"(?:还没有|还没|尚未|没有|还未|未|没)"
_EN_NEG = r"(?:\bnot|n't|\bnever)\s+(?:yet\s+)?(?:been\s+)?"
# negated zh statuses drop the 已: 未发货, 还没签收
_ZH_NEG_STEMS = {"shipped": ("发货", "发出"), "delivered": ("签收", "送达"), "refunded": ("退款",),
                 "paid": ("付款", "支付"), "picked_up": ("揽收",)}


def _status_patterns() -> list[tuple[re.Pattern[str], str, bool]]:
    """(pattern, status, negated) — negations first so "not shipped" is not also read as "shipped"."""
    out: list[tuple[re.Pattern[str], str, bool]] = []
    for status, stems in _ZH_NEG_STEMS.items():
        out.append((re.compile(_ZH_NEG + "(?:" + "|".join(stems) + ")"), status, True))
    for status, (_, en_free, en_ctx) in STATUSES.items():
        words = "|".join(re.escape(w) for w in en_free + en_ctx)
        if words:
            out.append((re.compile(rf"{_EN_NEG}(?:{words})\b", re.IGNORECASE), status, True))
    for status, (zh, en_free, en_ctx) in STATUSES.items():
        out.append((re.compile("|".join(map(re.escape, zh))), status, False))
        if en_free:
            out.append((re.compile(rf"\b(?:{'|'.join(map(re.escape, en_free))})\b", re.IGNORECASE), status, False))
        if en_ctx:
            out.append((re.compile(rf"\b{_EN_CONTEXT}(?:{'|'.join(map(re.escape, en_ctx))})\b", re.IGNORECASE),
                        status, False))
    return out


_STATUS_PATTERNS = _status_patterns()
_GROUNDING_STATUS = re.compile(r"\b(" + "|".join(STATUSES) + r")\b")


# ---------------------------------------------------------------- extraction

@dataclass(frozen=True, slots=True)
class Fact:
    kind: str  # id | date | money | percent | discount | days | hours | status | not_status | number
    surface: str  # as written in the text
    key: tuple[str, ...]  # normalised value(s)
    start: int = 0


class _Text:
    """Text whose matched spans are blanked, so a date's digits are not read again as an amount."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = list(pattern.finditer(self.text))
        for m in found:
            self.text = self.text[: m.start()] + "\0" * (m.end() - m.start()) + self.text[m.end():]
        return found


def _date_key(m: re.Match[str], form: str) -> tuple[str, ...] | None:
    g = m.groups()
    if form == "ymd":
        year, month, day = g[0], number(g[1]), number(g[2])
    elif form == "md":
        year, month, day = "", number(g[0]), number(g[1])
    elif form == "Mdy":
        year, month, day = g[2] or "", Decimal(_MONTHS[g[0].lower()]), number(g[1])
    else:
        year, month, day = g[2] or "", Decimal(_MONTHS[g[1].lower()]), number(g[0])
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return (year, _key(month), _key(day))


def _discount_key(m: re.Match[str]) -> tuple[str, ...]:
    """8折 / 8.5折 / 八折 / 八五折 → tenths of the price (8, 8.5)."""
    raw = m.group(1)
    if raw[0] in ZH_DIGITS:
        digits = [ZH_DIGITS[ch] for ch in raw]
        value = Decimal(digits[0]) + (Decimal(digits[1]) / 10 if len(digits) > 1 else 0)
    else:
        value = Decimal(raw)
    return (_key(value),)


def _numbers(m: re.Match[str]) -> tuple[str, ...]:
    """The normalised number(s) of a match; a range ("3–5") is one value "3~5", matched as a whole."""
    values = [_key(v) for g in m.groups() if g and (v := number(g)) is not None]
    return ("~".join(values),) if len(values) == 2 else tuple(values)


def extract_facts(text: str, *, tz: ZoneInfo | None = None, grounding: bool = False) -> list[Fact]:
    """The checkable facts in `text`. With `grounding`, also local dates of ISO timestamps (in `tz`)
    and status codes written as identifiers (`in_transit`), which only make a source richer."""
    t = _Text(text)
    facts: list[Fact] = []
    for pattern in (ORDER_ID, RETURN_ID, REFERENCE):
        facts += [Fact("id", m.group(0), (re.sub(r"\W", "", m.group(0)).upper(),), m.start()) for m in t.take(pattern)]
    for m in t.take(ISO_DATETIME):
        y, mo, d = m.group(1), m.group(2), m.group(3)
        facts.append(Fact("date", m.group(0), (y, _key(Decimal(mo)), _key(Decimal(d))), m.start()))
        if grounding and tz is not None and m.group(6):
            try:
                local = datetime.fromisoformat(m.group(0).replace("Z", "+00:00")).astimezone(tz)
            except ValueError:
                continue
            facts.append(Fact("date", m.group(0), (str(local.year), str(local.month), str(local.day)), m.start()))
    for pattern, form in DATES:
        for m in t.take(pattern):
            key = _date_key(m, form)
            if key is not None:
                facts.append(Fact("date", m.group(0), key, m.start()))
    for kind, patterns in (("money", MONEY), ("percent", PERCENT), ("days", DAYS), ("hours", HOURS)):
        for pattern in patterns:
            facts += [Fact(kind, m.group(0).strip(), key, m.start()) for m in t.take(pattern) if (key := _numbers(m))]
    facts += [Fact("discount", m.group(0), _discount_key(m), m.start()) for m in t.take(DISCOUNT)]
    for pattern, status, negated in _STATUS_PATTERNS:
        kind = "not_status" if negated else "status"
        facts += [Fact(kind, m.group(0), (status,), m.start()) for m in t.take(pattern)]
    if grounding:
        facts += [Fact("status", m.group(0), (m.group(1),), m.start()) for m in t.take(_GROUNDING_STATUS)]
        facts += [Fact("number", m.group(0), _numbers(m), m.start()) for m in t.take(BARE_NUMBER)]
    return facts


# ---------------------------------------------------------------- checking

@dataclass(frozen=True, slots=True)
class GuardResult:
    ok: bool
    unsupported: list[str] = field(default_factory=list)  # the reply's facts not found, as written
    checked: int = 0  # how many facts the reply stated
    promised: list[str] = field(default_factory=list)  # claims of action nothing this turn licenses, as written


class _Grounding:
    def __init__(self, texts: Iterable[str], tz: ZoneInfo) -> None:
        joined = "\n".join(texts)
        self.raw = re.sub(r"\W", "", joined).upper()
        facts = extract_facts(joined, tz=tz, grounding=True)
        self.ids = {f.key[0] for f in facts if f.kind == "id"}
        self.dates = {f.key for f in facts if f.kind == "date"}
        self.values: dict[str, set[str]] = {}
        for f in facts:
            self.values.setdefault(f.kind, set()).update(f.key)
        statuses = self.values.get("status", set())
        self.statuses = statuses | {IMPLIES[s] for s in statuses if s in IMPLIES}

    def has_value(self, value: str, *kinds: str) -> bool:
        return any(value in self.values.get(kind, ()) for kind in (*kinds, "number"))

    def supports(self, fact: Fact) -> bool:
        if fact.kind == "id":
            return fact.key[0] in self.ids or fact.key[0] in self.raw
        if fact.kind == "date":
            year, month, day = fact.key
            return any(m == month and d == day and (not year or not y or y == year) for y, m, d in self.dates)
        if fact.kind == "money":
            return all(self.has_value(v, "money") for v in fact.key)
        if fact.kind == "percent":
            return all(self.has_value(v, "percent") or self._as_discount(Decimal(v)) for v in fact.key)
        if fact.kind == "discount":
            tenths = Decimal(fact.key[0])
            return self.has_value(_key(tenths), "discount") or any(
                self.has_value(_key(p), "percent") for p in (tenths * 10, 100 - tenths * 10))
        if fact.kind in ("days", "hours"):
            return all(self.has_value(v, fact.kind) for v in fact.key)
        if fact.kind == "status":
            return fact.key[0] in self.statuses
        if fact.kind == "not_status":
            return bool(self.statuses) and fact.key[0] not in self.statuses
        return True

    def _as_discount(self, percent: Decimal) -> bool:
        """20% off is written 8折 in Chinese."""
        return any(self.has_value(_key(v), "discount") for v in ((100 - percent) / 10, percent / 10))


class Guard:
    """One turn's check, built once and asked many times (a streamed reply is checked sentence by sentence):
    the grounding is parsed on first need. With a `claims` table, claims of action ("your refund is approved")
    must also be licensed, by `licenses` (see `agent.nlg.claims`) or by the grounding's own words."""

    def __init__(
        self,
        grounding_texts: Sequence[str],
        *,
        tz: str = "Asia/Shanghai",
        claims: ClaimTable | None = None,
        licenses: Collection[str] = (),
        draft_texts: Sequence[str] | None = None,
    ) -> None:
        """`draft_texts`: the texts whose claims that something was done license the same claim in the reply
        (the template draft); None lets the whole grounding license them."""
        self._texts = list(grounding_texts)
        self._draft_texts = None if draft_texts is None else list(draft_texts)
        self._done_claims: set[str] | None = None
        self._zone = ZoneInfo(tz)
        self._claims = claims
        self._licenses = set(licenses)
        self._grounding: _Grounding | None = None
        self._grounded_claims: set[str] | None = None

    def check(self, reply_text: str) -> GuardResult:
        facts = sorted(extract_facts(reply_text), key=lambda f: f.start)
        unsupported: list[str] = []
        if facts:
            if self._grounding is None:
                self._grounding = _Grounding(self._texts, self._zone)
            for fact in facts:
                if not self._grounding.supports(fact) and fact.surface not in unsupported:
                    unsupported.append(fact.surface)
        promised: list[str] = []
        if self._claims is not None:
            if self._grounded_claims is None:
                self._grounded_claims = self._claims.grounded(self._texts)
                if self._draft_texts is not None:
                    self._done_claims = self._claims.grounded(self._draft_texts)
            promised = self._claims.unlicensed(reply_text, self._licenses, self._grounded_claims, self._done_claims)
        return GuardResult(ok=not unsupported and not promised, unsupported=unsupported, checked=len(facts),
                           promised=promised)


def check_grounded(
    reply_text: str,
    grounding_texts: Sequence[str],
    *,
    tz: str = "Asia/Shanghai",
    claims: ClaimTable | None = None,
    licenses: Collection[str] = (),
) -> GuardResult:
    """Is every checkable fact in `reply_text` found in `grounding_texts`? `tz` localises ISO times. With a
    `claims` table, is every claim of action licensed too?"""
    return Guard(grounding_texts, tz=tz, claims=claims, licenses=licenses).check(reply_text)
