"""Offers in words, zh and en: what a campaign gives ("满300减50", "9折", "¥20 off orders of ¥199+") and how far
a basket is from it ("再买¥37就能用满300减50"). Figures come from the rules and the arithmetic, never from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tools.marketing.campaigns.rules import Campaign, CampaignRules
from tools.marketing.campaigns.thresholds import Progress

Names = Mapping[str, tuple[str, str]]  # category key -> (zh, en) name

PHRASES: dict[str, dict[str, str]] = {
    "zh": {
        "tier": "满{min}减{off}",
        "tiers_join": "，",
        "percent": "{zhe}折",
        "coupon": "满{min}减{off}",
        "coupon_free": "无门槛减{off}",
        "only": "（限{what}）",
        "except": "（{what}除外）",
        "list": "、",
        "day": "（每月{day}日）",
        "for_new": "（新客户专享）",
        "for_tiers": "（{tiers}会员专享）",
        "valid_days": "，领取后{days}天内有效",
        "valid_until": "，{date}前有效",
        "next_tier": "再买¥{short}就能用满{min}减{off}",
        "reached_next": "已满{min}减{off}，再买¥{short}可享满{nmin}减{noff}",
        "top_tier": "已满{min}减{off}（最高一档）",
        "percent_saves": "可省¥{saving}",
        "coupon_usable": "现在就能用，可减¥{saving}",
        "coupon_short": "再买¥{short}就能用",
        "coupon_any": "买任意适用商品就能用",
        "none_in_scope": "还没有参加活动的商品",
        "after_campaign": "（按活动优惠后的金额算）",
        "regular": "普通", "silver": "银卡", "gold": "金卡", "platinum": "铂金",
    },
    "en": {
        "tier": "¥{off} off ¥{min}",
        "tiers_join": ", ",
        "percent": "{pct}% off",
        "coupon": "¥{off} off orders of ¥{min}+",
        "coupon_free": "¥{off} off, no minimum",
        "only": " (on {what} only)",
        "except": " (excluding {what})",
        "list": ", ",
        "day": " (on day {day} of each month)",
        "for_new": " (for new customers)",
        "for_tiers": " (for {tiers} members)",
        "valid_days": ", valid {days} days after claiming",
        "valid_until": ", valid until {date}",
        "next_tier": "add ¥{short} more to get ¥{off} off ¥{min}",
        "reached_next": "¥{off} off ¥{min} reached; add ¥{short} more for ¥{noff} off ¥{nmin}",
        "top_tier": "¥{off} off ¥{min} reached (the top tier)",
        "percent_saves": "saves you ¥{saving}",
        "coupon_usable": "usable now, ¥{saving} off",
        "coupon_short": "add ¥{short} more to use it",
        "coupon_any": "usable on any eligible item",
        "none_in_scope": "nothing in it takes part yet",
        "after_campaign": " (counted after the campaign discount)",
        "regular": "Regular", "silver": "Silver", "gold": "Gold", "platinum": "Platinum",
    },
}


def yuan(amount: Decimal | int | float | str) -> str:
    """37 → "37", 37.5 → "37.50": whole yuan without decimals, as prices are written."""
    value = Decimal(str(amount))
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def _p(language: str, key: str, **params: object) -> str:
    return PHRASES["zh" if language == "zh" else "en"][key].format(**params)


def _names(keys: Sequence[str], names: Names, language: str) -> str:
    """Category names in the language (English ones mid-sentence, so in lower case); an unknown key as it is."""
    if language == "zh":
        return _p(language, "list").join(names.get(k, (k, k))[0] for k in keys)
    return _p(language, "list").join(names[k][1].lower() if k in names else k for k in keys)


def zhe(percent_off: Decimal) -> str:
    """10% off is 9折, 5% off 9.5折, 12% off 8.8折."""
    return yuan((100 - percent_off) / 10).removesuffix(".00").rstrip("0").rstrip(".") or "0"


def offer_text(campaign: Campaign, names: Names, language: str, *, tz: str = "Asia/Shanghai") -> str:
    """What the campaign gives, on what, for whom: "满300减50，满600减120（礼品卡除外）"."""
    rules: CampaignRules = campaign.rules
    if rules.type == "threshold":
        text = _p(language, "tiers_join").join(
            _p(language, "tier", min=yuan(t.min_spend), off=yuan(t.discount)) for t in rules.tiers)
    elif rules.type == "percent_off":
        assert rules.percent_off is not None
        text = _p(language, "percent", zhe=zhe(rules.percent_off), pct=yuan(rules.percent_off))
    else:
        assert rules.discount is not None
        key = "coupon" if rules.min_spend else "coupon_free"
        text = _p(language, key, min=yuan(rules.min_spend), off=yuan(rules.discount))
    if rules.categories or rules.products:
        text += _p(language, "only", what=_names([*rules.categories, *rules.products], names, language))
    if rules.exclude_categories or rules.exclude_products:
        text += _p(language, "except", what=_names([*rules.exclude_categories, *rules.exclude_products], names,
                                                   language))
    if rules.day_of_month:
        text += _p(language, "day", day=rules.day_of_month)
    tiers = [s for s in campaign.segments if s not in ("new_customer", "returning")]
    if "new_customer" in campaign.segments:
        text += _p(language, "for_new")
    elif tiers:
        text += _p(language, "for_tiers", tiers=_p(language, "list").join(_p(language, t) for t in tiers))
    return text


def validity_text(campaign: Campaign, language: str, tz: str) -> str:
    """How long a claimed coupon lasts: ", 领取后30天内有效" or ", valid until Dec 11, 2026"."""
    if campaign.rules.valid_days:
        return _p(language, "valid_days", days=campaign.rules.valid_days)
    return _p(language, "valid_until", date=day(campaign.ends_at, language, tz))


def day(at: datetime, language: str, tz: str) -> str:
    local = at.astimezone(ZoneInfo(tz))
    if language == "zh":
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local:%b} {local.day}, {local.year}"


def progress_text(rules: CampaignRules, progress: Progress, language: str, *, net: bool = False) -> str:
    """How far the basket is from the campaign: "再买¥37就能用满300减50", "可省¥26.30", "再买¥12就能用"."""
    if progress.amount <= 0 and (rules.type != "coupon" or rules.min_spend or progress.next is None):
        return _p(language, "none_in_scope")
    note = _p(language, "after_campaign") if net else ""
    if rules.type == "threshold":
        got, nxt = progress.reached, progress.next
        if got is None and nxt is not None:
            return _p(language, "next_tier", short=yuan(progress.short or 0), min=yuan(nxt.min_spend),
                      off=yuan(nxt.discount))
        if got is not None and nxt is not None:
            return _p(language, "reached_next", min=yuan(got.min_spend), off=yuan(got.discount),
                      short=yuan(progress.short or 0), nmin=yuan(nxt.min_spend), noff=yuan(nxt.discount))
        assert got is not None
        return _p(language, "top_tier", min=yuan(got.min_spend), off=yuan(got.discount))
    if rules.type == "percent_off":
        return _p(language, "percent_saves", saving=yuan(progress.saving))
    if progress.usable:
        return _p(language, "coupon_usable", saving=yuan(progress.saving)) + note
    if progress.short is None:
        return _p(language, "coupon_any")
    return _p(language, "coupon_short", short=yuan(progress.short)) + note
