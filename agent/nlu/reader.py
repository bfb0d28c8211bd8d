"""Natural-language understanding: intents (with calibrated confidence, several per message) and slots.

`NLU` is what the pipeline uses: a trained linear classifier over hashed n-grams (`agent.nlu.intent_model`)
gives a fine intent and a calibrated probability; the fine intent maps to the agent-level intent the
policy acts on (`agent.nlu.taxonomy`); below a confidence threshold the answer is `other`, so the bot asks
instead of guessing. Messages are split into clauses at connectives ("顺便", "and also") so two requests
in one message keep both intents. Slots come from `agent.nlu.slots`.

`RuleNLU` is the previous hand-written reader, kept as the measured baseline: weighted cue patterns per
intent plus a few disambiguation rules (a question about returns is a policy question; a return with an
order id is a request).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

from agent.language import has_cjk
from agent.nlu.intent_model import IntentModel
from agent.nlu.product_slots import item_no as slot_item_no
from agent.nlu.slots import SlotExtractor
from agent.nlu.slots import amount as slot_amount
from agent.nlu.slots import email as slot_email
from agent.nlu.slots import order_id as slot_order_id
from agent.nlu.slots import phone as slot_phone
from agent.nlu.taxonomy import AGENT_INTENTS, SOCIAL, agent_intent
from agent.protocols import NLUResult

INTENTS = AGENT_INTENTS  # what the policy acts on (agent/nlu/taxonomy.py holds the taxonomy)

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])(KF\d{8})(?!\d)", re.IGNORECASE)


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


# (intent, pattern, weight)
_CUES: list[tuple[str, re.Pattern[str], float]] = [
    ("order_status", _rx("到哪", "哪里了", "物流", "快递", "发货了吗", "发货没", "什么时候到", "几时到", "啥时候到",
                         "什么时候发货", "还没到", "还没收到", "没收到", "查.{0,3}订单", "订单.{0,4}(状态|进度|情况)",
                         "送到", "派送", "运单", "单号", "配送", "到了吗", "在路上"), 1.0),
    ("order_status", _rx(r"\bwhere('?s| is)\b.*\b(order|package|parcel|delivery|item|stuff)",
                         r"\btrack(ing)?\b", r"\border status\b", r"\bstatus of\b", r"\bshipped\b", r"\bdeliver(y|ed)?\b",
                         r"\bhasn'?t (arrived|come)\b", r"\bnot (arrived|received)\b", r"\bwhen will (it|my)\b",
                         r"\bcheck (my )?order\b", r"\barrive\b", r"\bshipping status\b", r"\bwhere is it\b"), 1.0),
    ("return_request", _rx("退货", "退款", "退掉", "退了", "退回", "不想要了", "换货", "退钱", "退一下"), 1.0),
    ("return_request", _rx(r"\breturn(ing)?\b", r"\brefund\b", r"\bsend (it )?back\b", r"\bmoney back\b",
                           r"\bexchange\b"), 1.0),
    ("policy_question", _rx("政策", "规定", "规则", "运费", "包邮", "保修", "质保", "价保", "价格保护", "发票", "会员",
                            "积分", "隐私", "个人信息", "支付方式", "付款方式", "怎么付", "能用.{0,4}付", "几天",
                            "多久", "多长时间", "哪天开始", "怎么算", "保障", "条件", "流程", "取消订单", "改地址",
                            "修改地址", "等级"), 0.9),
    ("policy_question", _rx(r"\bpolicy\b", r"\bpolicies\b", r"\bwarranty\b", r"\bguarantee\b", r"\binvoice\b",
                            r"\bfree shipping\b", r"\bshipping (fee|cost)s?\b", r"\bhow long\b", r"\bhow many days\b",
                            r"\bmembership\b", r"\bmember\b", r"\bpoints\b", r"\bprivacy\b", r"\bpersonal data\b",
                            r"\bpayment methods?\b", r"\bpay (with|by)\b", r"\bprice protection\b", r"\bprice drop",
                            r"\btiers?\b", r"\bcancel (my |an |the )?order\b", r"\bchange (the |my )?address\b",
                            r"\brules?\b", r"\bdo you (accept|offer|ship)\b", r"\bdata\b"), 0.9),
    ("product_search", _rx("想买", "要买", "买个", "买一", "推荐", "有没有", "有什么", "看看", "找.{0,2}(个|款)",
                           "哪款", "多少钱", "价格", "在售", "有货"), 0.8),
    ("product_search", _rx(r"\b(want|like|looking) (to buy|for)\b", r"\bbuy\b", r"\brecommend", r"\bshow me\b",
                           r"\bdo you (have|sell)\b", r"\bany good\b", r"\bprice of\b", r"\bin stock\b",
                           r"\bi need an?\b", r"\bsuggest"), 0.8),
    ("coupon_question", _rx("优惠券", "优惠", "折扣", "打折", "满减", "券", "红包", "活动", "促销", "优惠码"), 1.0),
    ("coupon_question", _rx(r"\bcoupons?\b", r"\bdiscounts?\b", r"\bpromo(tion)?s?\b", r"\bvouchers?\b",
                            r"\bpromo code\b", r"\bsale\b", r"\bdeals?\b"), 1.0),
    ("human", _rx("人工", "真人", "转人工", "客服人员", "找人", "活人", "经理", "主管", "人工客服", "接人"), 1.6),
    ("human", _rx(r"\bhuman\b", r"\breal person\b", r"\b(an?|the) (agent|person|representative|manager|supervisor)\b",
                  r"\bspeak (to|with) (someone|somebody|a)\b", r"\btalk (to|with) (someone|somebody|a)\b",
                  r"\blive (agent|chat|person)\b", r"\boperator\b"), 1.6),
    ("complaint", _rx("投诉", "太差", "差劲", "垃圾", "气死", "骗子", "坑", "什么破", "态度", "不满", "无语", "离谱",
                      "过分"), 1.1),
    ("complaint", _rx(r"\bcomplain(t)?\b", r"\bworst\b", r"\bterrible\b", r"\bridiculous\b", r"\bunacceptable\b",
                      r"\bscam\b", r"\bawful\b", r"\bfurious\b", r"\bangry\b", r"\buseless\b", r"\bdisgusting\b",
                      r"\bhorrible\b", r"\bfed up\b", r"\bpathetic\b"), 1.1),
    ("greeting", _rx("^(你好|您好|嗨|哈喽|在吗|在不在|hello|hi|hey|早上好|下午好|晚上好)", r"^good (morning|afternoon|evening)"),
     1.0),
    ("thanks", _rx("谢谢", "感谢", "多谢", "辛苦了", r"\bthanks?\b", r"\bthank you\b", r"\bappreciate"), 1.0),
    ("goodbye", _rx("再见", "拜拜", "没事了", "没有了", "就这样", r"\bbye\b", r"\bgoodbye\b", r"\bthat'?s all\b",
                    r"\bsee you\b", r"\bno(thing)? (more|else)\b"), 1.0),
    ("affirm", _rx(r"^(好的?|是的?|对|嗯|行|可以|需要|要|确认|没问题|ok|okay|yes|yeah|yep|sure|please|confirm)"
                   r"[\s!！。.,，]*(的|吧|呀|啊|please)?[\s!！。.]*$"), 1.0),
    ("deny", _rx(r"^(不|不用|不要|不需要|算了|no|nope|no thanks|not now)[\s!！。.,，]*(了|谢谢|thanks)?[\s!！。.]*$"),
     1.0),
]

_QUESTION = _rx(r"[?？]", "吗", "么", "怎么", "如何", "多久", "几天", "哪天", "能不能", "可不可以", "可以.{0,6}吗",
                "是否", "什么时候开始", r"^(how|what|when|can|do|does|is|are|which|will)\b")
_GENERAL_QUESTION = _rx("多久", "几天", "多长时间", "哪天开始", "从哪天", "怎么算", "规定", "政策", r"\bhow long\b",
                        r"\bhow many days\b", r"\bpolicy\b", r"\bdo you\b", r"\bcan i\b", r"\bis there\b")
_MINE = _rx("我的", "我买的", "我那个", r"\bmy\b", r"\bi ordered\b", r"\bi bought\b")
_REQUEST = _rx("我要", "我想", "帮我", "申请", "请.{0,3}退", "给我退", "要退", "想退", r"\bi (want|would like|need) to\b",
               r"\bplease\b", r"\bi'?d like\b", r"\bhelp me\b", r"\bstart a return\b")
_QUALITY = _rx("质量", "坏了", "坏的", "破损", "损坏", "碎了", "不能用", "用不了", "故障", "瑕疵", "有问题", "不工作",
               "划痕", r"\bbroken\b", r"\bdamaged\b", r"\bdefective\b", r"\bfaulty\b", r"\bdoesn'?t work\b",
               r"\bnot working\b", r"\bstopped working\b", r"\bcracked\b", r"\bscratch", r"\bwrong item\b")
_NO_REASON = _rx("不想要", "不喜欢", "买错", "拍错", "不合适", "不需要了", r"\bchanged my mind\b",
                 r"\bdon'?t (want|need|like)\b", r"\bno longer need\b", r"\bordered (the )?wrong\b", r"\bdoesn'?t fit\b")


class RuleNLU:
    """Intent and slot reader. `categories` maps a category key to its zh and en keywords."""

    def __init__(self, categories: Mapping[str, Sequence[str]] | None = None) -> None:
        self._categories: list[tuple[str, re.Pattern[str]]] = []
        for key, words in (categories or {}).items():
            alts = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
            if not alts:
                continue
            parts = [re.escape(w) if has_cjk(w) else rf"\b{re.escape(w)}\b" for w in alts]
            self._categories.append((key, re.compile("|".join(parts), re.IGNORECASE)))

    def category(self, text: str) -> str | None:
        """The catalog category the text names; the longest keyword match wins (手机壳 over 手机)."""
        best: tuple[int, str] | None = None
        for key, pattern in self._categories:
            for m in pattern.finditer(text):
                length = m.end() - m.start()
                if best is None or length > best[0]:
                    best = (length, key)
        return best[1] if best else None

    def parse(self, text: str) -> NLUResult:
        stripped = text.strip()
        scores: dict[str, float] = {}
        for intent, pattern, weight in _CUES:
            if pattern.search(stripped):
                scores[intent] = scores.get(intent, 0.0) + weight

        slots: dict[str, object] = {}
        order = ORDER_ID.search(stripped)
        if order:
            slots["order_id"] = order.group(1).upper()
        category = self.category(stripped)
        if category:
            slots["category"] = category
        if _QUALITY.search(stripped):
            slots["return_kind"] = "quality"
        elif _NO_REASON.search(stripped):
            slots["return_kind"] = "no_reason"
        if "return_kind" in slots:
            slots["reason"] = stripped[:200]

        is_question = bool(_QUESTION.search(stripped))
        is_request = bool(_REQUEST.search(stripped))
        if "return_request" in scores:
            if order or is_request or ("return_kind" in slots and not is_question):
                scores["return_request"] += 0.8
            elif is_question:
                scores["policy_question"] = scores.get("policy_question", 0.0) + 1.2
        if not order and _GENERAL_QUESTION.search(stripped) and not _MINE.search(stripped):
            scores["policy_question"] = scores.get("policy_question", 0.0) + 1.0
        if "order_status" in scores and order:
            scores["order_status"] += 0.5
        if category and ("product_search" in scores or not scores):
            scores["product_search"] = scores.get("product_search", 0.0) + 1.0
        if "coupon_question" in scores and is_question and "policy_question" in scores:
            scores["coupon_question"] += 0.3  # coupon rules are answered by the coupon flow
        if "complaint" in scores and "human" in scores:
            scores["human"] += 0.5
        if "policy_question" in scores and "product_search" in scores and not category:
            scores["product_search"] -= 0.5
        if order and not scores:
            scores["order_status"] = 0.8

        if not scores:
            return NLUResult("other", 0.3, [], slots)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        top, top_score = ranked[0]
        total = sum(max(s, 0.0) for _, s in ranked)
        confidence = min(0.99, 0.5 + 0.5 * (top_score / total) * min(1.0, top_score / 1.5))
        others = [name for name, s in ranked[1:] if s >= 0.8 and name not in ("affirm", "deny")]
        return NLUResult(top, round(confidence, 3), others, slots)



# ===================================================================== trained NLU

CATALOG_BOOST = 4.0  # odds multiplier for product_search when the text names a catalog category or product
# Naming one of the customer's orders ("can you check KF10000001?", "look up KF10000001 for me") is evidence for a
# task on that order that the classifier's few words cannot give: the odds of the labels that act on an order the
# customer has (look it up, return from it) are multiplied by this. Without it such a question read as unsure (sent
# to the policy documents, which cannot answer it) or as a product search (whose odds are divided by it when the text
# names nothing the store sells).
ORDER_BOOST = 4.0
_ORDER_LABELS = ("track_order", "track_refund", "return_item", "get_refund")
# Asking about time limits, rules or conditions of returns is a policy question, not a return (the old rules'
# disambiguation): starting a return flow for a question costs more than answering a request from the policy.
_RETURN_LABELS = ("return_item", "get_refund")
# Closing acts: nobody closes a conversation with a question ("have you all sizes?" is no goodbye, whatever its
# words share with "have a nice day"), so a question read as one is read again without them.
_CLOSING_LABELS = ("goodbye", "thanks")
_A_QUESTION = re.compile(
    r"[?？]\s*$|[吗么呢嘛][\s?？!！。~～]*$|^(?:have|has|do|does|did|is|are|was|were|can|could|will|would|should|"
    r"shall|may)\s+(?:you|we|i|they|it|there|this|that|these|those|y'?all|u)\b|^(?:what|which|how|where|when|why|who)\b",
    re.IGNORECASE,
)
_POLICY_ASKING = re.compile(
    r"几天|多少天|多久|多长时间|哪天开始|从哪天|怎么算|期限|时限|政策|规定|规则|条件|运费谁|谁出|谁承担|能不能退|可以退吗|"
    r"\bhow (many days|long|much time)\b|\bwithin \d+ days\b|\bwindow\b|\bpolic(y|ies)\b|\brules?\b|"
    r"\bconditions?\b|\bdeadline\b|\btime limit\b|\bwho pays\b|\bcan (i|you) return\b.*\?",
    re.IGNORECASE,
)

# A question about a policy topic that names a product ("耳机保修多久", "warranty on headphones") is about the
# policy, not a wish to buy: no catalog boost then.
_POLICY_TOPIC = re.compile(
    r"保修|质保|保质期|退货|退款|退换|运费|包邮|发票|价保|差价|积分|会员|"
    r"\bwarrant(y|ies)\b|\bguarantee\b|\breturns?\b|\brefunds?\b|\bshipping (fee|cost)s?\b|\binvoices?\b|"
    r"\bprice protection\b|\bpoints\b|\bmembers?(hip)?\b",
    re.IGNORECASE,
)

# "how long will that take?", "那个大概要多久": a question that points back at something and names no topic of its own
# (`refers_back`); the documents cannot know what "that" is, so the bot asks (or reads it as the order or product
# the conversation is on).
_POINTS_BACK = re.compile(r"这个|那个|这样|那样|这些|那些|它|\b(?:it|that|this|these|those|they|them)\b", re.IGNORECASE)
_TOPIC = re.compile(
    _POLICY_TOPIC.pattern + r"|快递|物流|发货|配送|送达|到货|签收|优惠|券|活动|满减|折扣|订单|取消|地址|支付|付款|隐私|售后|维修|换货|"
    r"\bdeliver(y|ies)?\b|\bshipping\b|\bship\b|\bcoupons?\b|\bdiscounts?\b|\bdeals?\b|\border\b|\bcancel\w*|"
    r"\baddress\b|\bpay(ment)?\b|\bprivacy\b|\brepair\b|\bexchange\b|\bpolicy\b|\bpolicies\b",
    re.IGNORECASE,
)
_NAMED_SLOTS = frozenset({"order_id", "item_no", "category", "product", "attribute", "phone", "email", "return_kind"})


def refers_back(text: str, slots: Mapping[str, object]) -> bool:
    """Does the text point back at something ("that", "那个") while naming no topic, product or order itself?"""
    return bool(_POINTS_BACK.search(text)) and not (slots.keys() & _NAMED_SLOTS) and not _TOPIC.search(text)


# Clause boundaries: sentence punctuation, and connectives that start a second request.
_CLAUSE_SPLIT = re.compile(
    r"[。！？!?；;\n]+|[，,、]?\s*(?=(?:顺便|另外|还有就是|还有|对了|再问一下|再问下|还想问|还要问|以及|同时还?|然后还?想)\S)"
    r"|[，,]?\s*\b(?=(?:and also|(?<!and )also|by the way|btw|plus|additionally|another thing|oh and|and (?:can|could|"
    r"do|does|how|what|where|when|is|are|will|i (?:want|need|would like|'d like)))\b)",
    re.IGNORECASE,
)
_FILLER = re.compile(r"[\s\W_]+|订单号?|单号|order(?: number| id| no\.?)?|\bmy\b|\bthe\b|\bis\b|\bit'?s\b|是|我的|号码?|"
                     r"邮箱|手机号?|电话|\be-?mail\b|\bphone\b|\bnumber\b",
                     re.IGNORECASE)


def split_clauses(text: str) -> list[str]:
    """Clauses of a message, at sentence ends and at connectives such as 顺便 / 另外 / "and also"."""
    parts = [p.strip(" ，,、") for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if p and p.strip(" ，,、.。!！?？")]


class NLU:
    """Trained intents + rules + slots. Constructor arguments are optional so tests run without a catalog.

    `categories`: category key → zh/en keywords (`server.runtime.category_lexicon`); `products`: product id →
    names, or a list of names; `model`: an `IntentModel` or a weights path (default: the bundled weights,
    loaded on first use); `threshold`: calibrated confidence below which the intent is `other` (default:
    the one stored with the weights); `today`: reference date for relative dates.
    """

    def __init__(
        self,
        categories: Mapping[str, Sequence[str]] | None = None,
        *,
        products: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
        model: IntentModel | Path | str | None = None,
        threshold: float | None = None,
        today: date | Callable[[], date] | None = None,
    ) -> None:
        self.slots = SlotExtractor(categories, products, today)
        self.model = model if isinstance(model, IntentModel) else IntentModel(model)
        self._threshold = threshold

    @property
    def threshold(self) -> float:
        return self._threshold if self._threshold is not None else self.model.weights.threshold

    def warm_up(self) -> None:
        """Load the weights now (raises `IntentModelError` if they are missing or damaged)."""
        _ = self.model.weights

    def category(self, text: str) -> str | None:
        return self.slots.category(text)

    def classify(self, text: str, catalog_hit: bool | None = None, names_order: bool | None = None) -> tuple[str, float]:
        """The fine intent of one clause and its calibrated probability.

        Naming something the store sells is evidence for a product question the classifier cannot see
        (it never saw this catalog): `product_search` odds are multiplied by `CATALOG_BOOST`. Naming an order is
        evidence for a task on it: the order labels' odds are multiplied by `ORDER_BOOST`."""
        w = self.model.weights
        p = w.proba(text)
        if catalog_hit is None:
            catalog_hit = self.slots.category(text) is not None or self.slots.product(text) is not None
        if names_order is None:
            names_order = slot_order_id(text) is not None
        if catalog_hit and CATALOG_BOOST != 1.0 and not _POLICY_TOPIC.search(text):
            p = p.copy()
            p[w.labels.index("product_search")] *= CATALOG_BOOST
            p /= p.sum()
        if names_order and ORDER_BOOST != 1.0:
            p = p.copy()
            p[[w.labels.index(lab) for lab in _ORDER_LABELS]] *= ORDER_BOOST
            if not catalog_hit:  # an order named and nothing the store sells: no product search
                p[w.labels.index("product_search")] /= ORDER_BOOST
            p /= p.sum()
        best = int(p.argmax())
        if w.labels[best] in _CLOSING_LABELS and _A_QUESTION.search(text.strip()):
            p = p.copy()
            p[[w.labels.index(lab) for lab in _CLOSING_LABELS]] = 0.0
            p /= p.sum()  # the reading given that it is no closing act
            best = int(p.argmax())
        policy_label = w.labels.index("store_policy")
        if w.labels[best] == "product_search" and p[policy_label] >= 0.3 and _POLICY_TOPIC.search(text):
            # "what's the warranty on headphones?": a close call between buying and asking is the question.
            return "store_policy", float(p[policy_label] + p[best])
        if w.labels[best] in _RETURN_LABELS and _POLICY_ASKING.search(text) and slot_order_id(text) is None:
            policy = w.labels.index("check_refund_policy")
            return "check_refund_policy", float(p[policy] + sum(p[w.labels.index(lab)] for lab in _RETURN_LABELS))
        return w.labels[best], float(p[best])

    def parse(self, text: str) -> NLUResult:
        stripped = text.strip()
        slots = self.slots.extract(stripped)
        if refers_back(stripped, slots):
            slots["refers_back"] = True
        if slots.keys() & {"order_id", "phone", "email", "amount", "item_no"} and not _content(stripped):
            # Nothing but slot values ("KF10000002", "订单号：KF10000002"): an answer to a question, or a lookup.
            if "order_id" in slots:
                return NLUResult("order_status", 0.9, [], slots, "track_order")
            return NLUResult("other", 0.5, [], slots, "other")
        threshold = self.threshold
        fine, p = self.classify(stripped, "category" in slots or "product" in slots,
                                bool(slots.keys() & {"order_id", "bad_order_id"}))
        primary = (fine, p, self.agent_level(fine, slots))
        clauses = split_clauses(stripped)
        found: list[tuple[str, float, str]] = []
        if len(clauses) > 1:
            for clause in clauses:
                if _content(clause):
                    c_fine, c_p = self.classify(clause)
                    if c_p >= threshold:
                        found.append((c_fine, c_p, self.agent_level(c_fine, slots)))
        tasks = [f for f in found if f[2] not in SOCIAL]
        pool = tasks or found
        agents = list(dict.fromkeys(f[2] for f in pool))
        if agents and (p < threshold or primary[2] not in agents):
            primary = next(f for f in pool if f[2] == agents[0])
        others = [a for a in agents if a != primary[2] and a != "other"]
        fine, p, intent = primary
        if p < threshold:
            intent = "other"
        return NLUResult(intent, round(p, 3), others, slots, fine)

    @staticmethod
    def agent_level(fine: str, slots: Mapping[str, object]) -> str:
        """The agent-level intent of a fine label in context: "when will order KF… arrive?" is about that
        order (order_status), not about delivery times in general (policy_question)."""
        if fine == "delivery_period" and "order_id" in slots:
            return "order_status"
        return agent_intent(fine)


def _content(text: str) -> str:
    """What the text says besides order ids, phone numbers, amounts, filler words and punctuation."""
    for finder in (slot_order_id, slot_email, slot_phone, slot_item_no, slot_amount):
        found = finder(text)
        if found is not None:
            text = text[: found.start] + text[found.end:]
    return _FILLER.sub("", text)
