"""Which campaign a customer's words name, and which amounts they ask for: "领取新人券", "满300减50怎么用",
"give me a 100-yuan coupon". Plain text in, campaigns and Decimals out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from agent.numerals import ZH_NUMERAL_CHARS, zh_number
from tools.marketing.campaigns.rules import Campaign

_NUM = rf"(\d+(?:\.\d{{1,2}})?|[{ZH_NUMERAL_CHARS}]+)"
# an amount of money: ¥20, 20元, 二十块, 20 yuan, 20-yuan, RMB 20, CNY20, 满300减50 (both figures)
_AMOUNTS = [
    re.compile(rf"[¥￥]\s*{_NUM}"),
    re.compile(rf"{_NUM}\s*(?:元|块|rmb\b|cny\b|-?yuan\b|-?kuai\b)", re.IGNORECASE),
    re.compile(rf"\b(?:rmb|cny)\s*{_NUM}", re.IGNORECASE),
    re.compile(rf"满\s*{_NUM}\s*减\s*{_NUM}"),
    re.compile(r"\b(\d+(?:\.\d{1,2})?)\s*off\b", re.IGNORECASE),
]


def _value(token: str) -> Decimal | None:
    if token[0].isdigit():
        return Decimal(token)
    n = zh_number(token)
    return None if n is None else Decimal(n)


def amounts(text: str) -> set[Decimal]:
    """Every amount of money the text names (a quantity such as 一张 or 2张 is not one)."""
    found: set[Decimal] = set()
    for pattern in _AMOUNTS:
        for match in pattern.finditer(text):
            for token in match.groups():
                if token and (value := _value(token)) is not None and value > 0:
                    found.add(value)
    return found


def _fold(text: str) -> str:
    return re.sub(r"[\s\"'“”‘’「」『』《》·,，。.!！?？:：()（）-]+", "", text).casefold()


def names_campaign(text: str, campaign: Campaign) -> bool:
    """The text names the campaign: its zh or en name, one of its keywords, or (for a campaign with spend tiers)
    one of its tiers as 满X减Y."""
    folded = _fold(text)
    if not folded:
        return False
    words = [campaign.name_zh, campaign.name_en, *campaign.rules.keywords]
    if any(len(w := _fold(word)) >= 2 and w in folded for word in words):
        return True
    asked = amounts(text)
    tiers = [(t.min_spend, t.discount) for t in campaign.rules.tiers]
    if campaign.rules.discount is not None:
        tiers.append((campaign.rules.min_spend, campaign.rules.discount))
    return len(asked) >= 2 and any(asked == {m, d} for m, d in tiers)


def named_campaigns(text: str, campaigns: Sequence[Campaign]) -> list[Campaign]:
    return [c for c in campaigns if names_campaign(text, c)]


_THRESHOLD = [
    re.compile(rf"满\s*{_NUM}"),
    re.compile(rf"\b(?:over|above|orders? of|spend(?:ing)?|min(?:imum)?(?: spend)? of)\s*[¥￥]?\s*{_NUM}",
               re.IGNORECASE),
]


def threshold_amounts(text: str) -> set[Decimal]:
    """The amounts the text names as a spend threshold (满199, orders of ¥199)."""
    return {v for p in _THRESHOLD for m in p.finditer(text) if (v := _value(m.group(1))) is not None}


def coupon_matches_amounts(campaign: Campaign, text: str) -> bool:
    """The amounts the customer named are this coupon's: a threshold (满199, over ¥199) its min_spend, any other
    amount its face value — "a 100-yuan coupon" is not "¥10 off ¥100"."""
    rules = campaign.rules
    if rules.type != "coupon" or rules.discount is None:
        return False
    thresholds = threshold_amounts(text)
    return thresholds <= {rules.min_spend} and amounts(text) - thresholds <= {rules.discount}
