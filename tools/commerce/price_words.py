"""Reading price talk, zh and en: haggling, asking for a price change, a price match, a loyal customer's
discount, and whether something is in today's sale.

"能便宜点吗", "现在拍给我改价格吧", "别家卖得更便宜", "老客户没有优惠吗", "今天做活动的是这款吗", "包邮吧",
"can you do a better price", "price match?", "is this on sale today", "waive the shipping fee". The answer to each
is the store's rules and the customer's real offers (the offers tool), never a discount made up in chat; this
module only says which kind of ask a message is.
It lives beside the product words so that product questions leave these turns alone.

Patterns, not a model: a phrase read too widely costs the shopper their offers and the store's rule on prices,
which is a fair answer to any question about price.
"""

from __future__ import annotations

import re
from typing import Literal

PriceAsk = Literal["price_match", "price_change", "loyal", "in_sale", "shipping_fee", "haggle"]

# Checked in this order: the first kind whose words the message has is the ask.
_ASKS: tuple[tuple[PriceAsk, re.Pattern[str]], ...] = (
    ("price_match", re.compile(
        r"(?:别家|别的店|别人家|其他店|其它店|其他家|其它家|其他网站|别的网站|外面|实体店|官网|京东|拼多多|天猫|专卖店|"
        r"直播间)[^。！？?]{0,10}(?:便宜|更低|低价|价格低|卖得?\d|只要|才)|比价|跟价|按(?:别家|他们)的价|"
        r"\bprice[- ]?match|\bmatch(?:es|ing)? (?:\w+ )?prices?\b|按(?:别家|别的店|其他店|他们)的?价|"
        r"\bmatch (?:the|a|their|that|this|his|her|amazon'?s?|walmart'?s?) (?:lower )?price|"
        r"\bcheaper (?:elsewhere|somewhere else|on amazon|at walmart|online|in (?:a|the) (?:shop|store))|"
        r"\b(?:amazon|walmart|ebay|best buy|another (?:store|shop|site|website)|other (?:stores?|shops?|sites?|"
        r"websites?))\b[^.?!]{0,30}\b(?:cheaper|lower|less)\b", re.IGNORECASE)),
    ("price_change", re.compile(
        r"改价|改个?价格?|改一下价|改下价|修改价格|调价|调个?价|调低|抹零|抹个零|少收|少算|算我\s*\d|收我\s*\d|"
        r"拍(?:下|了)?[^。！？?]{0,6}(?:改|减|便宜)|(?:价格|价钱|金额)(?:给我|帮我)?(?:改|调|降)(?:一下|下|低|便宜|成|到)|"
        r"改(?:成|到|为)\s*[¥￥]?\d|改(?:成|到|为)[^。！？?]{0,6}(?:价|折)|"
        r"\b(?:change|adjust|lower|reduce|drop|cut|edit|amend|knock down|bring down|mark down)\s+(?:the |your |its |"
        r"that |this |my )(?:price|total|amount)\b|\bround (?:it |the price |the total )?down\b",
        re.IGNORECASE)),
    ("loyal", re.compile(
        r"老客户|老顾客|老用户|老买家|老会员|回头客|常客|买过(?:好|很)?(?:几|多)次|经常买|一直在你们?家买|"
        r"\b(?:loyal|returning|regular|repeat|long[- ]?time|existing|old|frequent) (?:customer|client|buyer|"
        r"shopper)s?\b|\bloyalty (?:discount|price|deal|reward)s?\b|"
        r"\b(?:bought|ordered|shopped) (?:here|from you|with you)\b[^.?!]{0,20}\b(?:before|times|often|years|"
        r"a lot)\b", re.IGNORECASE)),
    ("in_sale", re.compile(
        r"(?:做|搞|有|参加|参与|在|算)(?:活动|促销)|活动(?:价|款|商品|范围|里)|特价|促销(?:价|款|商品)|"
        r"(?:打折|满减|降价)(?:吗|么|嘛|呢|了吗|没有?)|参(?:加|与)(?:满减|打折)|能用(?:券|优惠|满减)|"
        r"\bon (?:sale|offer|promotion|special|discount)\b|\bdiscounted\b|\bin (?:the|today'?s|your|this|a|any) "
        r"(?:sale|promotion|promo|deal|campaign)\b|"
        r"\bpart of (?:the|a|any|your|today'?s|this|this week'?s) (?:sale|promotion|promo|deal|campaign)\b|"
        r"\b(?:any|a) (?:deal|discount|promotion|promo|offer)s? (?:on|for) (?:it|this|that|these|those|"
        r"them)\b", re.IGNORECASE)),
    ("shipping_fee", re.compile(
        r"包(?:个)?邮(?:吧|呗|嘛|啊|呀|行吗|可以吗|好不好)|(?:能|可以|能不能|可不可以)包邮|免(?:个|了)?运费|运费(?:能|可以|就)?(?:免|减|便宜|去掉|"
        r"不要|算了)|不(?:要|收)运费|"
        r"\b(?:waive|drop|skip|cover|remove|forget) (?:the |my )?(?:shipping|delivery|postage)"
        r"(?: fee| cost| charge)?\b|"
        r"\b(?:give|do|throw in|get) (?:me |us )?free (?:shipping|delivery|postage)\b|"
        r"\bfree (?:shipping|delivery|postage),? please\b", re.IGNORECASE)),
    ("haggle", re.compile(
        r"便宜(?:点|些|一点|一些|一下|下|呗|吧|嘛|啊|多少)(?![的款])|(?:再|能|可以|可不可以|能不能|就不能)(?:再)?(?:便宜|少|优惠|让)(?![的款])|"
        r"少(?:点|一点|些|一些)(?:吧|呗|嘛|钱|呀|啊|$|[?？!！。，,])|打个?折(?:吧|呗|嘛)?|打[一二三四五六七八九\d.]+折|"
        r"给(?:我|个|点)?(?:个|点)?(?:优惠|折扣|好价|低价|便宜)|优惠(?:点|一点|些|一些|一下)|砍价|讲价|议价|还价|"
        r"最低价|最低多少|底价|半价(?:卖|给|算)|让点利|让利|(?:算|收|卖)(?:我|给我)?\s*[¥￥]?\d+(?:\.\d+)?\s*(?:块|元)钱?(?:就行|就好|吧|呗|行吗|"
        r"可以吗|得了)|"
        r"\b(?:better|special|good|nicer|personal) (?:price|deal|rate)\b|"
        r"\b(?:best|lowest|final|bottom) price (?:you can|can you|for me|you'?ll)|"
        r"\b(?:give|get|offer|do|cut) (?:me |us )?(?:a |an |some )?(?:discount|deal|reduction|price cut)\b|"
        r"\b(?:bulk|volume|quantity|wholesale) (?:discount|price|pricing|deal)s?\b|"
        r"\bdiscounts? (?:for|if|when) (?:i |we )?(?:buy|order|get|purchase|take)|"
        r"\b(?:go|come) (?:any |a (?:bit|little) |much )?(?:down|lower)\b|\b\d+\s*(?:%|percent) off\b|"
        r"\b(?:half|fifty percent) off\b|\b\d+\s*(?:%|percent) discount\b|"
        r"\b(?:apply|add|put|give)\b[^.?!]{0,25}\bdiscount\b|"
        r"\bknock\s+(?:[¥$]?\d+|something|a (?:bit|little|few \w+))\s+off\b|"
        r"\bhaggle|\bnegotiat|\bcheaper for me\b|\bmake (?:it|me) (?:a )?(?:better|"
        r"cheaper)\b|\bany (?:wiggle|flexibility) (?:room )?on (?:the )?price\b", re.IGNORECASE)),
)


# Being a loyal customer is price talk only when something is wanted for it ("以后就一直在你家买" is a kind word).
_WANTS = re.compile(r"优惠|便宜|折|价|券|活动|福利|实惠|赠|送点|\b(?:discount|deal|price|offer|coupon|cheaper|anything|"
                    r"something|perk|reward|special)s?\b", re.IGNORECASE)


def price_ask(text: str) -> PriceAsk | None:
    """Which kind of price talk the message is, or None."""
    for kind, pattern in _ASKS:
        if pattern.search(text) and (kind != "loyal" or _WANTS.search(text)):
            return kind
    return None


# Every kind's words in one pattern: what product questions leave to the offers tool.
PRICE_TALK = re.compile("|".join(f"(?:{p.pattern})" for _, p in _ASKS), re.IGNORECASE)
