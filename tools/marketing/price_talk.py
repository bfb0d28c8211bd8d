"""Price talk in the offers tool: haggling, price changes, price matching, loyal customers, "is this in the sale".

The store's rules on prices (knowledge/docs/*/price_protection.md, section "Price changes and bargaining"): one
price for every customer, no price changed or discount given by hand in chat, before or after ordering; what lowers
a price is a running campaign or a coupon the customer may use (shown with the arithmetic by the offers tool) and,
after payment, price protection on our own store's price for `PRICE_PROTECTION_DAYS` days. No other shop's price is
matched. Shipping is charged by one rule too (knowledge/docs/*/shipping.md): free from `FREE_SHIPPING_FROM`, else
`SHIPPING_FEE`. The words here state those rules; `tests/tools/marketing/test_price_talk.py` checks them against the
documents, so the two say the same.

For a product named or just shown, `sale_scope` says which of the customer's running campaigns and coupons count
it, and how far that product alone is from each threshold ("满300减50——再买¥101就能用").
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from agent.protocols import Phrasebook
from tools.commerce.ports import ProductView
from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.thresholds import Line, in_scope, progress
from tools.marketing.campaigns.wording import Names, offer_text, progress_text, yuan

PRICE_PROTECTION_DAYS = 7  # knowledge/docs/*/price_protection.md: "付款后7天内" / "Within 7 days after payment"
FREE_SHIPPING_FROM, SHIPPING_FEE = 99, 10  # knowledge/docs/*/shipping.md: "订单满¥99包邮，不满¥99收取¥10运费"
# the document whose section states the rule for each kind of ask (cited with the answer), and what finds it
POLICY: dict[str, tuple[str, dict[str, str]]] = {
    "shipping_fee": ("shipping", {"zh": "运费标准 包邮 运费", "en": "shipping fees free shipping"}),
    "*": ("price_protection", {"zh": "改价 议价 便宜 老客户 比价 价格一样",
                               "en": "price change bargaining discount same price match"}),
}

TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {
        "offers.price.haggle": "理解您想买得更划算～不过本店的价格对每位顾客都一样，"
                               "客服不能在聊天里手动改价或单独打折。能帮您省钱的是下面这些您现在就能用的优惠：",
        "offers.price.price_change": "抱歉，下单前后客服都不能手动修改价格，订单金额以结算页为准。"
                                     "能让价格更低的是活动和优惠券，结算时会自动计算：",
        "offers.price.loyal": "感谢您一直支持我们！本店的价格对新老顾客都一样，客服不能单独给老客户改价；"
                              "老客户的优惠是会员权益和面向老客户的活动。按您的账户，现在能用的有：",
        "offers.price.price_match": "我们只按本店自己的价格销售，不跟其他网站、门店或直播间比价。本店有价格保护："
                                    "付款后{days}天内同一商品在本店降价，可以申请退差价。现在能用的优惠有：",
        "offers.price.shipping_fee": "运费对每位顾客都按同一个标准：订单满¥{free_from}包邮，"
                                     "不满¥{free_from}收¥{fee}运费，客服不能单独免运费。凑单满¥{free_from}就能包邮；现在能用的优惠有：",
        "offers.price.none": "现在没有您可以参加的活动，也没有可用的券；有新活动时，价格会在结算时自动按活动计算。",
        "offers.price.in_scope": "「{name}」（¥{price}）在这些活动范围内：",
        "offers.price.scope_line": "· {campaign}：{offer}——单买这件{progress}",
        "offers.price.not_in_scope": "「{name}」（¥{price}）现在不在进行中的活动范围内，按标价销售。",
        "offers.price.scope_rule": "满减和折扣在结算时自动计算，客服不能另外改价。",
        "offers.price.others": "您现在能用的优惠：",
    },
    "en": {
        "offers.price.haggle": "I understand you'd like a better price. Our prices are the same for every customer, "
                               "and I can't change a price or give a personal discount in chat. What will save you "
                               "money are the offers you can use now:",
        "offers.price.price_change": "Sorry, we can't change a price by hand, before or after you order: the total "
                                     "is what checkout shows. Campaigns and coupons are what lower it, and "
                                     "checkout applies them automatically:",
        "offers.price.loyal": "Thank you for shopping with us again! Our prices are the same for new and returning "
                              "customers, and I can't change a price for one customer; returning customers get "
                              "their member benefits and the campaigns meant for them. On your account, you can "
                              "use these now:",
        "offers.price.price_match": "We sell at our own store's prices and don't match other websites, shops or "
                                    "live streams. We do have price protection: if the same item gets cheaper on "
                                    "our store within {days} days after you pay, you can claim the difference. "
                                    "Offers you can use now:",
        "offers.price.shipping_fee": "Shipping is charged the same way for every customer: free on orders of "
                                     "¥{free_from} or more, ¥{fee} below that, and I can't waive it by hand. Reach "
                                     "¥{free_from} and shipping is free; offers you can use now:",
        "offers.price.none": "There are no deals or coupons for you right now; when a new campaign starts, checkout "
                             "applies it automatically.",
        "offers.price.in_scope": "“{name}” (¥{price}) is in these offers:",
        "offers.price.scope_line": "• {campaign}: {offer} — on this item alone, {progress}",
        "offers.price.not_in_scope": "“{name}” (¥{price}) isn't in any running campaign right now; it sells at "
                                     "its listed price.",
        "offers.price.scope_rule": "Spend-and-save and percentage discounts apply at checkout; we can't change the "
                                   "price otherwise.",
        "offers.price.others": "Offers you can use now:",
    },
}


def sale_scope(products: Sequence[ProductView], campaigns: Sequence[Campaign], names: Names,
               language: str) -> list[dict[str, Any]]:
    """Each product with the campaigns (of those given: the customer's running ones) that count it, and how far
    the product alone is from each one's threshold."""
    out: list[dict[str, Any]] = []
    for p in products:
        line = Line(p.product_id, p.category, Decimal(p.price))
        counted = []
        for c in campaigns:
            if in_scope(c.rules, line):
                counted.append({"id": c.id, "campaign": c.name(language), "offer": offer_text(c, names, language),
                                "progress": progress_text(c.rules, progress(c.rules, [line]), language)})
        out.append({"product_id": p.product_id, "name": p.name_zh if language == "zh" else p.name_en,
                    "price": yuan(p.price), "campaigns": counted})
    return out


def price_reply(ask: str, data: dict[str, Any], offers_text: str | None, language: str, say: Phrasebook) -> str:
    """The rule for this kind of ask (or, for "is it in the sale", each product's campaigns), then the customer's
    offers (`offers_text`, None when they have none)."""
    parts: list[str] = []
    scope = data.get("scope") or []
    if ask == "in_sale" and scope:
        for item in scope:
            if item["campaigns"]:
                parts.append(say.render("offers.price.in_scope", language, name=item["name"], price=item["price"]))
                parts += [say.render("offers.price.scope_line", language, **c) for c in item["campaigns"]]
            else:
                parts.append(say.render("offers.price.not_in_scope", language, name=item["name"],
                                        price=item["price"]))
        parts.append(say.render("offers.price.scope_rule", language))
        if offers_text and not any(item["campaigns"] for item in scope):
            parts += [say.render("offers.price.others", language), offers_text]
        return "\n".join(parts)
    key = ask if ask in ("price_change", "loyal", "price_match", "shipping_fee") else "haggle"
    parts.append(say.render(f"offers.price.{key}", language, days=PRICE_PROTECTION_DAYS, free_from=FREE_SHIPPING_FROM,
                            fee=SHIPPING_FEE))
    parts.append(offers_text if offers_text else say.render("offers.price.none", language))
    return "\n".join(parts)
