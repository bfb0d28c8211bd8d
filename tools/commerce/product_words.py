"""Reading a shopper's question about products, zh and en: the thing they name, whether they point at what they
were shown ("这个", "it"), whether the question is about a store rule rather than a product, the two sides of a
comparison, and the words a product is matched by.

Patterns, not a model: what they find is checked against the catalogue (`tools.commerce.product_shelf`), so a
phrase read too widely costs a question back, never a wrong fact.
"""

from __future__ import annotations

import re

from agent.language import has_cjk
from tools.commerce.price_words import PRICE_TALK

# What points at the product(s) the conversation is about: the last cards shown, the product last touched.
DEICTIC = re.compile(r"这个|这款|这件|这种|这台|这只|这双|这套|这一款|那个|那款|它|刚才那|上面的?|"
                     r"\b(?:it|this|that|these|those|they|them|this one|that one)\b", re.IGNORECASE)
# Store rules, orders and deals (price talk too: "能便宜点吗" is no question about the price's figure): answered by the
# documents, the order and offer tools, never as a product detail.
RULE_TOPIC = re.compile(
    PRICE_TALK.pattern + "|"
    r"退货|退款|退换|换货|保修|质保|运费|邮费|包邮|发票|价保|差价|优惠|券|活动|满减|折扣|会员|积分|快递|物流|发货|到货|"
    r"签收|订单|售后|改地址|取消|隐私|降价|补差|\bprice (?:drop|dropped|went down|fell)|\bdifference back\b|"
    r"\bcheaper (?:elsewhere|somewhere)|\breturns?\b|\brefunds?\b|\bwarrant(?:y|ies)\b|\bguarantee\b|\bshipping\b|"
    r"\bdelivery\b|\bdeliver\b|\binvoices?\b|\bcoupons?\b|\bdiscounts?\b|\bpromo(?:tion)?s?\b|\bvouchers?\b|"
    r"\bdeals?\b|\bmembers?(?:hip)?\b|\bpoints\b|\b(?:my|the|an|this|that|your) order\b|"
    r"\border (?:number|status|id|no)\b|\borders\b|\bcancel|\bprivacy\b|\bprice protection\b",
    re.IGNORECASE,
)
QUESTION = re.compile(r"[?？]|吗|么|呢|吧|什么|怎么|哪|几|多少|是不是|有没有|能不能|可不可以|"
                      r"^(?:how|what|which|when|where|why|who|is|are|do|does|did|can|could|will|would|should|have|has)\b",
                      re.IGNORECASE)

# ---------------------------------------------------------------- the thing named

_ZH_NOUNISH = r"[\u4e00-\u9fff]{1,8}"
# zh: what is bought or sought: after a verb of buying (with a count), as the object of "有…吗", or right before a
# question about its price, stock, package or taste.
_ZH_THING = (
    re.compile(r"(?:想买|要买|买|想要|找|卖不卖|有没有卖|有卖|推荐)"
               r"(?:[一二两三四五六七八九十几\d]+\s*(?:个|件|台|只|双|套|盒|包|瓶|本|支|条|张|部|把|份|箱|袋|罐|斤|公斤|克|副|对))?"
               r"(?:点|些|一些|款|个|种|件|双|台|只|套|盒|瓶|支|条|本|部)?(" + _ZH_NOUNISH + r")"),
    re.compile(r"(?:有没有|有)(" + _ZH_NOUNISH + r")(?=吗|么|卖|呢|[?？]|$)"),
    re.compile(r"(" + _ZH_NOUNISH + r")(?=多少钱|怎么卖|有货|有没有货|还有吗|卖吗|买\d|是什么味|好吃吗|"
               r"的(?:价格|包装|颜色|尺寸|日期|口味|规格))"),
)
# Where a zh thing ends: particles, question words, verbs of the rest of the sentence.
_ZH_STOP = re.compile(r"吗|呢|吧|啊|呀|的|了|是|有|多少|怎么|什么|哪|能|可以|还|要|送|给|和|跟|与|或|还是|今天|现在|"
                      r"一点|大个|小个|单独|多|少|不|没|也|都|就|在|用|发|买|卖|适合|合适|好|新|便宜|贵|最|比较|"
                      r"一样|样|种|款|这|那")
_ZH_LEAD = re.compile(r"^(?:亲|请?问一?下?|一?下|你们?|你家|这个|那个|这款|那款|这种|这|那|个|款)+")
# en: what follows a verb of seeking, buying or having.
_EN_THING = re.compile(
    r"\b(?:looking for|look for|searching for|search for|shopping for|buy(?:ing)?|purchase|order(?:ing)?|"
    r"(?:give|show|get|find) me|"
    r"want|need|sell|carry|stock|do you have|have you got|recommend|suggest(?:ions? (?:for|on|of|an?))?|"
    r"help (?:me )?(?:with )?(?:buy(?:ing)?|choos(?:e|ing)|find(?:ing)?))\s+"
    r"((?:(?:a|an|some|any|the|new|good|nice|best|pair of|couple of|few|cheap|great)\s+)*"
    r"[a-z][a-z'\-]*(?:\s+[a-z][a-z'\-]*){0,3})",
    re.IGNORECASE,
)
_EN_END = re.compile(r"\s+(?:for|to|with|that|which|who|under|in|from|as|and|or|on|at|by|of|about|than|out|"
                     r"there|here|please|today|now|but|so|because|if|within|around|i|we|you|my|your|our|it|related|relating|"
    r"regarding|similar|like|suitable|that's|which's)\b.*$",
                     re.IGNORECASE)
_EN_LEAD = re.compile(r"^(?:(?:a|an|some|any|the|new|good|nice|best|pair of|couple of|few|cheap|great|all|every|"
                      r"other|more|different)\s+)+",
                      re.IGNORECASE)
_ZH_COUNTED = re.compile(r"^[一二两三四五六七八九十几\d]")  # "两种", "三盒": a count, not a thing
# Words that name no particular kind of thing: the question then cannot say whether the store sells it.
GENERIC_ZH = frozenset({"东西", "商品", "产品", "宝贝", "礼物", "货", "款", "链接", "东东", "这个", "那个", "什么",
                        "东西呢", "别的", "其他", "一下", "一款", "推荐", "人", "客服", "店", "亲", "优惠", "活动",
                        "问题", "情况", "意思", "事", "事情", "时间", "地址", "电话", "价格", "包装", "日期", "颜色",
                        "尺寸", "质量", "味道", "样子", "图片", "照片", "订单", "快递", "物流", "型号", "规格", "款式",
                        "版本", "尺码", "大小", "价钱", "钱", "库存", "现货", "办法", "服务", "售后", "老板", "小二"})
GENERIC_EN = frozenset({"thing", "things", "stuff", "product", "products", "item", "items", "something", "anything",
                        "one", "ones", "gift", "gifts", "present", "presents", "equipment", "gear", "gears",
                        "accessory", "accessories", "supply", "supplies", "options", "option", "help", "assistance",
                        "recommendation", "recommendations", "suggestion", "suggestions", "it", "them", "this",
                        "that", "these", "those", "everything", "purchase", "shopping", "deal", "deals", "kind",
                        "type", "types", "brand", "brands", "model", "models", "piece", "pieces", "set", "kit",
                        "size", "sizes", "colour", "colours", "color", "colors", "version", "versions", "variant",
                        "variants", "style", "styles"})
_EN_NOT_THINGS = frozenset({"to", "a", "an", "the", "you", "me", "my", "your", "know", "ask", "start", "try",
                            "get", "go", "see", "buy", "be", "do", "make", "take", "find", "more", "less",
                            "much", "many", "there", "here", "now", "just", "help", "it"})


def thing(text: str) -> str | None:
    """The kind of thing the text names as wanted or asked about ("粽子", "thriller book"), or None."""
    if has_cjk(text):
        found: list[tuple[int, str]] = []
        for pattern in _ZH_THING:
            for m in pattern.finditer(text):
                word = _ZH_STOP.split(_ZH_LEAD.sub("", m.group(1)))[0]
                if len(word) >= 2 and word not in GENERIC_ZH and not _ZH_COUNTED.match(word):
                    found.append((m.start(1), word))
        return min(found)[1] if found else None
    pos = 0
    while (m := _EN_THING.search(text, pos)) is not None:
        pos = m.start() + 1  # overlapping: "want to buy an iPhone" is read again from "buy"
        phrase = _EN_LEAD.sub("", _EN_END.sub("", m.group(1).strip())).strip(" .,!?'\"")
        words = [w.strip(".,!?") for w in phrase.lower().split() if w.strip(".,!?")]
        if words and words[0] not in _EN_NOT_THINGS:
            return " ".join(words)
    return None


def head_words(phrase: str) -> list[str]:
    """The words of an en thing that say what kind it is: its last word, or the word before a generic one
    ("badminton equipment" -> badminton); empty when it names no kind."""
    words = [w.strip("'\"-") for w in phrase.lower().split()]
    words = [w for w in words if w]
    while words and words[-1] in GENERIC_EN:
        words.pop()
    return words[-1:] if words else []


def singular(word: str) -> str:
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("xes", "x"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            return word[: -len(suffix)] + repl
    return word


# ---------------------------------------------------------------- comparisons and matching

_SIDES = re.compile(r"\s*(?:和|跟|与|还是|对比|比|\bvs\.?|\bversus\b|\bor\b|\band\b|\bcompared (?:to|with)\b)\s*",
                    re.IGNORECASE)


def sides(text: str) -> list[str]:
    """The two things a comparison puts side by side ("A和B有什么区别" -> [A, B]); fewer when it names fewer."""
    parts = [p.strip(" ,，。?？!！") for p in _SIDES.split(text, maxsplit=1)]
    return [p for p in parts if p] if len(parts) == 2 else []


_WORD = re.compile(r"[a-z0-9][a-z0-9+.\-]*", re.IGNORECASE)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


# Words that name nothing in a product's name ("Case with MagSafe for iPhone 16"): never matched on.
EN_STOP = frozenset({"a", "an", "the", "for", "with", "and", "or", "of", "in", "on", "to", "at", "by", "from", "my",
                     "your", "our", "me", "you", "we", "i", "it", "is", "are", "be", "can", "do", "does", "this",
                     "that", "these", "those", "what", "which", "how", "much", "many", "any", "some", "have", "has",
                     "there", "help", "buy", "want", "need", "looking", "please", "hi", "hello", "not", "no", "yes"})


def tokens(text: str) -> list[str]:
    """Match terms: lower-case latin words and numbers ("iphone", "16", "256gb"), and CJK character bigrams;
    function words (`EN_STOP`) left out."""
    out = [w.lower().strip(".-") for w in _WORD.findall(text)]
    out = [w for w in out if w not in EN_STOP]
    for run in _CJK_RUN.findall(text):
        out += [run[i: i + 2] for i in range(len(run) - 1)] or [run]
    return [t for t in out if t]


_ORDINALS = {"一": 0, "1": 0, "first": 0, "二": 1, "2": 1, "second": 1, "三": 2, "3": 2, "third": 2, "四": 3, "4": 3,
             "fourth": 3, "最后": -1, "last": -1}
_ORDINAL = re.compile(r"第\s*([一二三四1234])\s*(?:个|款|件|种|台|只)|(最后)一?(?:个|款|件|种)|"
                      r"\bthe (first|second|third|fourth|last)(?: one)?\b|\b(first|second|third|fourth|last) one\b",
                      re.IGNORECASE)


def ordinal(text: str) -> int | None:
    """Which product in view the text picks ("第一款", "the second one", "最后一个"): 0-based, -1 for the last."""
    m = _ORDINAL.search(text)
    if m is None:
        return None
    word = next(g for g in m.groups() if g)
    return _ORDINALS[word.lower()]


_COMPAT_TARGET = re.compile(r"(?:适用于|适配|兼容|能用在|可以用在|用在|能配|配得上|\bfits?\b|\bcompatible with\b|"
                            r"\bwork(?:s)? with\b|\bsuitable for\b)\s*(?:an?\s+|the\s+|my\s+)?(.+?)\s*"
                            r"(?:吗|么|呢|嘛|上|[?？。.!！,，]|$)", re.IGNORECASE)


def compat_target(text: str) -> str | None:
    """The model a compatibility question asks about ("适用于iPhone 16吗" -> "iPhone 16"), or None."""
    m = _COMPAT_TARGET.search(text)
    target = m.group(1).strip() if m else ""
    return target or None
