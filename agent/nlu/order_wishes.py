"""What a customer wants done with an order before it ships, read from their words, zh and en.

"请给我发圆通", "我不想发邮政能换别的么", "ship it with UPS instead" (a courier, or one to avoid); "10号以后再发",
"please don't ship before the 10th" (a ship-later date, kept as the customer's words: the order tool resolves it
forward from the store's today); "不要发了", "cancel my order"; "两个订单能一起发吗", "ship the items separately".
The value is the `order_wish` slot: `{"kind", "courier"?, "when"?, "asks"?}`, where `kind` is one of `courier`,
`avoid_courier`, `ship_after`, `cancel`, `ship_together`, `ship_separately`, `courier` is a courier key (any
courier a shopper may name, used by the store or not: which ones the store uses is the store's rule, kept by the
tool), and `asks` marks a plain question ("能走中通吗") rather than a request ("请给我发中通"): with no order in view,
a question about couriers is a pre-sales question for the policy documents.

Only the reading lives here; what may be done, and when, is decided by the order-change tool.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from agent.nlu.spans import ZH_NUM
from agent.numerals import zh_number

# courier key -> the words shoppers use for it (zh names, English names and abbreviations)
COURIER_WORDS: dict[str, tuple[str, ...]] = {
    "sf": ("顺丰", r"\bSF(?: Express)?\b", r"\bS\.F\.?\b"),
    "jd": ("京东快递", "京东物流", "京东", r"\bJD(?: Logistics)?\b"),
    "zto": ("中通", r"\bZTO\b"),
    "yto": ("圆通", r"\bYTO\b"),
    "sto": ("申通", r"\bSTO\b"),
    "yunda": ("韵达", r"\bYunda\b"),
    "ems": ("邮政", "EMS", "邮局", r"\bChina Post\b", r"\bpostal service\b"),
    "best": ("百世", r"\bBest Express\b"),
    "deppon": ("德邦", r"\bDeppon\b"),
    "jt": ("极兔", r"\bJ&T\b"),
    "ups": (r"\bUPS\b",),
    "fedex": (r"\bFed ?Ex\b",),
    "dhl": (r"\bDHL\b",),
    "usps": (r"\bUSPS\b",),
}
_COURIER = [(key, re.compile("|".join(words), re.IGNORECASE)) for key, words in COURIER_WORDS.items()]

_AVOID = (r"(?:不想|不要|别|不用|不愿意|不希望|不能|不走|不发)\s*(?:发|走|用|寄|给我发)?\s*(?:{c})"
                    r"|\b(?:don'?t|do not|please don'?t|never|not)\b[^.?!]{0,30}\b(?:with|via|by|use|using)\s+(?:{c})"
                    r"|\b(?:anything|any courier|anyone) (?:but|except|other than)\s+(?:{c})"
                    r"|\bavoid\s+(?:{c})|\bnot\s+(?:{c})\b")  # {c}: the courier's words
_COURIER_VERB = (r"(?:发|走|用|寄|换|改|指定|选|要)(?:成|为|个|一下)?\s*(?:{c})"
                           r"|(?:{c})(?:快递|速运|物流)?(?:发|寄|送)"
                           r"|\b(?:ship|send|deliver|mail|post)\b[^.?!]{0,25}\b(?:with|via|by|through|using)\s+(?:{c})"
                           r"|\b(?:use|choose|switch to|change (?:it |the courier )?to|go with)\s+(?:{c})"
                           r"|(?:{c})[^.?!]{0,12}\binstead\b")
_OTHER_COURIER = re.compile(r"换(?:个|一个|一家|家)?别的|换(?:个|一个|家)快递|换成别|其他快递|别的快递"
                            r"|\b(?:another|a different|other) (?:courier|carrier|company|delivery company)\b")
# a plain question ("能走中通吗", "can it go by ZTO?"), not a request ("请给我发中通", "ship it with SF please")
_REQUEST = re.compile(r"请|麻烦|帮我|给我|我要|我想|换|改|一定|务必|不想|不要|别|指定|备注"
                      r"|\b(?:please|pls|plz|i want|i'?d like|i need|instead|switch|change|make sure|don'?t)\b",
                      re.IGNORECASE)
_ASKING = re.compile(r"[?？]|吗|么|嘛|能否|可否|是否|可不可以|能不能|行不行|为啥|为什么|为何|怎么"
                     r"|^(?:can|could|do|does|will|would|is|are|why)\b", re.IGNORECASE)
_POLITE = re.compile(r"\b(?:could|can|would|will) you\b", re.IGNORECASE)
# how a thing is done ("怎么取消订单", "how do I cancel an order?"): a question for the policy documents unless an order
# is in view
_HOW = re.compile(r"怎么|如何|怎样|\bhow (?:do|can|could|would|should) (?:i|we|you)\b|"
                  r"\bis it possible\b|\bwhat happens\b", re.IGNORECASE)

_CANCEL = re.compile(r"(?:不要|别|不用|不必|先别|暂时别|不)(?:再)?(?:给我)?发(?:货)?了|"
                     r"取消(?:这个|那个|这笔|该|我的)?订单|订单(?:帮我|给我)?取消|(?:帮我|给我|请|麻烦)取消(?:掉)?(?:吧|一下)?[。！!]?$|不买了|"
                     r"\bcancel+(?:l?ing)?\s+(?:my |the |this |that |an? |our )?(?:whole )?(?:order|purchase)\b|"
                     r"\b(?:please|pls|i want to|i'?d like to|i need to|can you|could you)\s+cancel\b|"
                     r"\bdon'?t (?:ship|send) (?:it|anything|the order|my order)(?: at all| anymore)?[.!]?$",
                     re.IGNORECASE)
_TOGETHER = re.compile(r"一起发|合并(?:发货|发|寄|打包|成一个)|合单|放一起(?:发|寄)|一起寄|"
                       r"一个包裹(?:发|寄)|合在一起发|"
                       r"\b(?:ship|send|pack|combine|merge|put)\b[^.?!]{0,30}\b(?:together|"
                       r"in one (?:parcel|package|box|shipment)|into one (?:parcel|package|box|shipment))\b|"
                       r"\b(?:combine|merge) (?:my |the |these |both |two )?(?:orders|shipments)\b", re.IGNORECASE)
_SEPARATELY = re.compile(r"分开(?:发|寄|打包)|拆开发|拆单|分批发|分两次发|分别发|先发有货的|有货的先发|"
                         r"\b(?:ship|send|deliver)\b[^.?!]{0,25}\b(?:separately|in separate (?:parcels|packages|boxes|"
                         r"shipments))\b|\bsplit (?:my |the |this )?(?:order|shipment|parcel)\b|\bseparate "
                         r"(?:parcels|packages|shipments)\b", re.IGNORECASE)

# ship-later: a date, then "再发" / "之后发"; or "don't ship before ...", "hold it until ..."
_DAY = rf"(?:\d{{1,2}}|{ZH_NUM}{{1,3}})"
_ZH_WHEN = (rf"(?:(?:下个?月|这个?月|本月)?{_DAY}(?:[、,，和或到至\-~]{_DAY})?[号日]|{_DAY}月{_DAY}[号日]|"
            r"(?:下|这|本)?(?:个)?(?:周|星期|礼拜)[一二三四五六日天1-7末]|下周|下个?星期|下个?礼拜|下个?月|月底|月初|"
            r"明天|后天|大后天|过几天|过两天|过段时间|年后|节后|过完年|\d{1,2}天后|[一两三四五六七八九十]天(?:以|之)?后)")
_SHIP_AFTER_ZH = re.compile(rf"({_ZH_WHEN})(?:[^，。！？,.!?]{{0,8}}?)(?:再|才|以后|之后|后)(?:给我|帮我)?(?:发|寄|出)"
                            rf"|(?:先别|先不要|暂时不要|暂时别|暂缓|推迟|延迟|延后|晚点|晚些|晚几天)再?(?:发货|发|寄)"
                            rf"(?:[^，。！？,.!?]{{0,6}}?({_ZH_WHEN}))?"
                            rf"|({_ZH_WHEN})(?:之前|以前|前)(?:先)?(?:别|不要|不用)(?:发|寄)")
_EN_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
             r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_EN_WHEN = (rf"(?:the \d{{1,2}}(?:st|nd|rd|th)?(?: of {_EN_MONTH})?|{_EN_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?|"
            rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_EN_MONTH}|next (?:week|month|monday|tuesday|wednesday|thursday|"
            r"friday|saturday|sunday)|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tomorrow|"
            r"\d{1,2} days|a few days|a couple of days|a week)")
_SHIP_AFTER_EN = re.compile(rf"\b(?:don'?t|do not|please don'?t|not)\s+(?:ship|send|dispatch)"
                            rf"(?: it| the order| my order)?\s+(?:before|until|till|for)\s+({_EN_WHEN})"
                            rf"|\b(?:ship|send|dispatch)(?: it| the order| my order)?\s+(?:after|on|from|in|no earlier "
                            rf"than)\s+({_EN_WHEN})"
                            rf"|\b(?:hold|delay|postpone|wait)(?: on)?"
                            rf"(?: it| the order| my order| the shipment| shipping)?"
                            rf"(?:\s+(?:until|till|to|for|by)\s+({_EN_WHEN}))?\b(?=[^.?!]{{0,30}}\b(?:ship|send|dispatch"
                            rf"|shipment|shipping|order)|)"
                            rf"|\b(?:ship|send) (?:it )?later\b", re.IGNORECASE)


def order_wish(text: str) -> dict[str, Any] | None:
    """The `order_wish` slot of a message (see the module docstring), or None."""
    how = bool(_HOW.search(text)) and not _REQUEST.search(text)
    if _CANCEL.search(text):  # "取消订单后券会退吗": a question about cancelling is no request to cancel
        request = _REQUEST.search(text) or _POLITE.search(text)  # "could you cancel my order?" is one
        return {"kind": "cancel", "asks": how or (bool(_ASKING.search(text)) and not request)}
    when = _ship_after(text)
    if when is not None:
        return {"kind": "ship_after", "when": when, "asks": how} if when else {"kind": "ship_after", "asks": how}
    if _TOGETHER.search(text):
        return {"kind": "ship_together", "asks": how}
    if _SEPARATELY.search(text):
        return {"kind": "ship_separately", "asks": how}
    named = courier(text)
    if named is not None:
        c = _COURIER_RX[named]
        asks = bool(_ASKING.search(text)) and not _REQUEST.search(text)
        if re.search(_AVOID.replace("{c}", c), text, re.IGNORECASE):
            return {"kind": "avoid_courier", "courier": named, "asks": asks}
        if re.search(_COURIER_VERB.replace("{c}", c), text, re.IGNORECASE):
            return {"kind": "courier", "courier": named, "asks": asks}
    return None


_COURIER_RX = {key: "|".join(words) for key, words in COURIER_WORDS.items()}


def courier(text: str) -> str | None:
    """The courier key a message names first, if any ("发顺丰" -> "sf")."""
    hits = [(m.start(), key) for key, rx in _COURIER if (m := rx.search(text))]
    return min(hits)[1] if hits else None


def _ship_after(text: str) -> str | None:
    """The date words of a ship-later wish ("" when it names none: "先别发"), or None when the message is none."""
    for rx in (_SHIP_AFTER_ZH, _SHIP_AFTER_EN):
        m = rx.search(text)
        if m is None:
            continue
        if rx is _SHIP_AFTER_EN and m.group(0).lower().startswith(("hold", "delay", "postpone", "wait")) \
                and not re.search(r"ship|send|dispatch|order|parcel|package", text, re.IGNORECASE):
            continue
        named = next((g for g in m.groups() if g), "")
        if not named and rx is _SHIP_AFTER_ZH:  # "先别发货，下周一再发": the date may stand apart from the wish
            other = re.search(_ZH_WHEN, text)
            named = other.group(0) if other else ""
        return named
    return None


# ---------------------------------------------------------------- resolving the date words, forward in time

_ZH_MD = re.compile(rf"({_DAY})月({_DAY})[号日]")
_ZH_DAYS = re.compile(rf"(下个?月|这个?月|本月)?({_DAY})(?:[、,，和或到至\-~]{_DAY})?[号日]")
_ZH_WEEKDAY = re.compile(r"(下|这|本)?个?(?:周|星期|礼拜)([一二三四五六日天1-7末])")
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_ZH_AFTER_DAYS = re.compile(r"(\d{1,2}|[一两三四五六七八九十])天(?:以|之)?后")
_EN_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                               "nov", "dec"))}
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RELATIVE = {"明天": 1, "后天": 2, "大后天": 3, "tomorrow": 1, "下周": 7, "下个星期": 7, "下星期": 7, "下礼拜": 7,
             "下个礼拜": 7, "next week": 7, "a week": 7}


def ship_date(words: str, today: date) -> date | None:
    """The date a ship-later wish names, read forward from `today` (the store's date): a day of the month that has
    passed this month is next month's ("7号" on the 20th), a weekday is the next one; "7、8号" is the 7th (the
    earliest the customer named). None when the words name no date ("过几天")."""
    text = words.strip().lower()
    for word, days in _RELATIVE.items():
        if text == word:
            return today + timedelta(days=days)
    m = _ZH_MD.search(text)
    if m:
        month, day = zh_number(m.group(1)), zh_number(m.group(2))
        return _forward(today, month, day) if month and day else None
    m = _ZH_DAYS.search(text)
    if m:
        day = zh_number(m.group(2))
        if not day:
            return None
        if m.group(1) and m.group(1).startswith("下"):
            return _safe(*_next_month(today.year, today.month), day)
        found = _safe(today.year, today.month, day)
        return found if found and found > today else _safe(*_next_month(today.year, today.month), day)
    m = _ZH_WEEKDAY.search(text)
    if m:
        return _next_weekday(today, _ZH_WEEKDAYS[m.group(2)], following_week=m.group(1) == "下")
    m = _ZH_AFTER_DAYS.search(text) or re.search(r"(\d{1,2}) days", text)
    if m:
        n = zh_number(m.group(1))
        return today + timedelta(days=n) if n else None
    m = re.search(rf"({_EN_MONTH})\.? (\d{{1,2}})|(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_EN_MONTH})", text)
    if m:
        month = _EN_MONTHS[(m.group(1) or m.group(4))[:3]]
        return _forward(today, month, int(m.group(2) or m.group(3)))
    m = re.search(r"the (\d{1,2})(?:st|nd|rd|th)?", text)
    if m:
        day = int(m.group(1))
        found = _safe(today.year, today.month, day)
        return found if found and found > today else _safe(*_next_month(today.year, today.month), day)
    for i, name in enumerate(_EN_WEEKDAYS):
        if name in text:
            return _next_weekday(today, i, following_week=text.startswith("next"))
    return None


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year, month + 1) if month < 12 else (year + 1, 1)


def _forward(today: date, month: int, day: int) -> date | None:
    this_year = _safe(today.year, month, day)
    if this_year is not None and this_year > today:
        return this_year
    return _safe(today.year + 1, month, day)


def _next_weekday(today: date, weekday: int, *, following_week: bool) -> date:
    ahead = (weekday - today.weekday()) % 7 or 7
    found = today + timedelta(days=ahead)
    if following_week and found - today < timedelta(days=7) and found.isocalendar()[1] == today.isocalendar()[1]:
        found += timedelta(days=7)
    return found
