"""Claims of action: what an LLM reply may say was done or will be done only when a tool did it.

A small model is eager to please: "your refund is approved", "I'll add some compensation", "已为您发放一张
优惠券". Each is a promise the store never made. `CLAIMS` is the store-wide table of such statements (zh and
en), each with what licenses it this turn (an event the tool recorded, a status in the tool's data, the tool
itself); tools add their own (`Tool.claims`). A claim in a reply is licensed when one of its licences holds,
or when the grounding itself makes the same claim: a promise by any grounding (a policy passage that says
"we'll refund the difference"), a claim that something was done only by the draft reply the tools' outcome wrote
("退货申请已提交"), never by a retrieved passage, which may carry an injection.

Kept low on false positives: a claim preceded by a negation in its clause ("无法为您提供补偿", "we can't
offer compensation") is no claim, and a `promise` row said in a conditional sentence or a question ("once we
receive the item, the refund will be issued", "收到退货后…退款", "shall I start a return?") describes policy
or asks; done-claims ("已为您退款") are checked whatever surrounds them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agent.protocols import Claim, ToolResult

# zh building blocks
_FOR = "(?:为您|给您|帮您|替您|向您)"
_NOW = "(?:已|已经|会|将|马上|立即|立刻|这就|现在就|稍后)"
_SOME = "(?:一些|一点|一份|一定的?|相应的?|适当的?|额外的?)?"
# en building blocks
_WE = (r"\b(?:i|we)(?:'ve|'ll|'m| have| will| am| shall| can| would| am going to|'m going to)?"
       r"(?:\s+(?:now|just|already|also|gladly|happily|go ahead and|be able to))*")
_WE_WILL = r"\b(?:i|we)(?:'ll| will| am going to|'m going to| shall)(?:\s+(?:now|also|gladly|go ahead and))*"
_A = r"(?:(?:a|an|some|the|your|extra|additional|full|one|another)\s+)*"

CLAIMS: tuple[Claim, ...] = (
    Claim("refund_done", {
        "zh": (r"退款(?:已|已经)(?:经)?(?:成功)?(?:到账|退回|原路退回|发放|发出|打款|处理|办理|完成)",
               rf"(?:已|已经){_FOR}?(?:办理|安排|操作|完成)?了?(?:全额)?退款(?!申请|规则|政策|时效|流程)"),
        "en": (r"\brefunds?\b[^.!?。]{0,20}?\b(?:has|have) been (?:approved|issued|processed|completed|sent|credited|"
               r"granted|initiated|made)\b",
               r"\brefund (?:is|was|got) (?:now |already )?(?:approved|issued|processed|completed|sent|credited|"
               r"granted|on its way)\b",
               rf"\b(?:i|we)(?:'ve| have)?(?:\s+(?:already|just|now))? (?:issued|processed|approved|sent|initiated|"
               rf"credited|arranged) {_A}refund\b",
               r"\b(?:i|we)(?:'ve| have) (?:already |just )?refunded\b"),
    }, ("status:refunded", "event:refund_issued")),
    Claim("refund_promise", {
        "zh": (rf"(?:我|我们)?{_NOW}{_FOR}(?:办理|安排|操作|申请)?了?(?:全额)?退款(?!申请|规则|政策|时效|流程)",),
        "en": (rf"{_WE_WILL} (?:issue|process|send|give|approve|initiate|arrange|authori[sz]e)(?: you)? {_A}refund\b",
               rf"{_WE_WILL} refund\b",
               r"\b(?:your|the) refund will be (?:issued|processed|sent|credited|approved)\b"),
    }, ("event:return_requested", "event:refund_issued", "status:refunded"), promise=True),
    Claim("return_approved", {
        "zh": (r"(?:退货|退款|退换货|售后)(?:申请)?(?:已|已经)(?:被)?(?:批准|同意|通过|审核通过|核准)",),
        "en": (r"\b(?:return|refund)(?: request)? (?:has been|is|was|got) (?:now |already )?approved\b",
               rf"\b(?:i|we)(?:'ve| have)? (?:already |just )?approved {_A}(?:return|refund)\b"),
    }, ("status:approved", "status:refunded", "event:return_approved")),
    Claim("return_filed", {
        "zh": (r"(?:退货|退换货|退款|售后)申请(?:已|已经)(?:成功)?(?:提交|受理|创建|登记|生成)",
               rf"(?:已|已经)(?:成功)?{_FOR}?(?:提交|申请|办理|发起|登记)了?(?:退货|退换货)",),
        "en": (r"\breturn(?: request)? (?:has been|is|was) (?:now |successfully )?(?:submitted|filed|created|"
               r"registered|opened|logged|started)\b",
               rf"\b(?:i|we)(?:'ve| have)(?:\s+(?:now|just|already|successfully))? (?:submitted|filed|created|"
               rf"opened|started|logged|initiated|registered) {_A}return\b"),
    }, ("event:return_requested", "status:requested")),
    Claim("compensation", {
        "zh": (rf"(?:{_NOW}|可以){_FOR}?(?:申请|提供|发放|安排|补发|送上|赠送)?了?{_SOME}(?:补偿|赔偿|赔付|补贴)",
               rf"{_FOR}(?:申请|提供|发放|安排)了?{_SOME}(?:补偿|赔偿|赔付|补贴)",
               r"(?:补偿|赔偿|赔付)(?:已|已经|会|将)(?:经)?(?:发放|到账|给到|发到|打到)"),
        "en": (rf"{_WE} (?:add(?:ed)?|give|gave|given|offer(?:ed)?|issue[ds]?|send|sent|provide[ds]?|arrange[ds]?|"
               rf"credit(?:ed)?|appl(?:y|ied))(?: you)?(?: with)? {_A}(?:compensation|goodwill (?:credit|gesture|"
               rf"payment)|store credit|credit)\b",
               r"\bcompensate you\b",
               r"\bcompensation (?:has been|will be|is) (?:added|issued|sent|credited|arranged|applied|paid)\b"),
    }, ("event:compensation_granted",), promise=True),
    Claim("coupon_issued", {
        "zh": (rf"(?:{_NOW}|可以)?{_FOR}(?:发放|发|送|补发|申请|赠送|派发|领取)了?(?:一张|一份|张|个)?"
               r"[^。！？，,]{0,8}?(?:优惠券|代金券|红包|折扣券|满减券)",
               r"(?:优惠券|代金券|红包|折扣券)(?:已|已经)(?:经)?(?:发放|到账|发到|放入|存入|发送|领取)"),
        "en": (rf"{_WE} (?:issue[ds]?|sen[dt]|add(?:ed)?|give|gave|given|credit(?:ed)?|appl(?:y|ied)|offer(?:ed)?)"
               r"(?: to)?(?: you| your account)?(?: with)? (?:a |an |one |another )?(?:[\w¥$%-]+ ){0,3}"
               r"(?:coupon|voucher|discount code|promo code)s?\b",
               r"\b(?:coupon|voucher)s? (?:has been|have been|is|was) (?:issued|sent|added|credited|applied)\b",
               r"\bhere(?:'s| is) (?:a |your )?(?:[\w¥$%-]+ ){0,2}(?:coupon|voucher)\b"),
    }, ("event:coupon_issued",), promise=True),
    Claim("order_cancelled", {
        "zh": (rf"(?:已|已经){_FOR}(?:取消|撤销)了?(?:订单|该订单|这个订单|这笔订单)?",
               rf"(?:会|将|马上|立即|这就){_FOR}(?:取消|撤销)(?:订单|该订单|这个订单)",),
        "en": (rf"\b(?:i|we)(?:'ve| have)?(?:\s+(?:already|just))? cancell?ed {_A}(?:order|purchase)\b",
               rf"{_WE_WILL} cancel {_A}(?:order|purchase)\b"),
    }, ("status:cancelled", "event:order_cancelled"), promise=True),
    Claim("expedited", {
        "zh": (rf"(?:{_NOW})?{_FOR}(?:申请|安排)?了?"
               r"(?:加急|优先(?:发货|处理|配送)|升级(?:为|成)?(?:顺丰|加急|次日达|快递))",
               r"(?:已|已经)(?:为此|特别)?(?:加急|优先)(?:处理|发货|配送)"),
        "en": (rf"{_WE} (?:expedite[ds]?|upgrade[ds]?|rush(?:ed)?|prioriti[sz]e[ds]?) {_A}(?:order|shipping|"
               r"delivery|shipment|package|parcel)\b",
               r"\b(?:expedited|express|priority|faster) (?:shipping|delivery) "
               r"(?:for you|has been|is arranged|at no)\b",
               r"\bupgraded? (?:you|your (?:order|shipping|delivery))? ?to (?:express|expedited|priority|next-day)\b"),
    }, ("event:shipping_upgraded",), promise=True),
    Claim("free_gift", {
        "zh": (rf"(?:会|将|已|已经|可以|额外)?{_FOR}?(?:赠送|送您|送上|附赠|加赠|额外送)了?(?:一[个份件张])?(?:小)?"
               r"(?:礼品|礼物|赠品)",
               r"(?:礼品|赠品|小礼物)(?:已|已经|会|将)(?:经)?(?:寄出|发出|随单|放入)"),
        "en": (rf"{_WE} (?:send|sent|add(?:ed)?|include[ds]?|give|gave|throw in|threw in|offer(?:ed)?)(?: you)? "
               r"(?:a |an )?(?:free |small |little |special )*gift\b",
               r"\bfree gift (?:for you|has been|will be)\b"),
    }, ("event:gift_added",), promise=True),
    Claim("price_match", {
        "zh": (rf"{_NOW}{_FOR}?(?:申请|办理|补|退|返)(?:还|回)?了?(?:价保|保价|差价)",
               r"差价(?:已|已经|会|将)(?:经)?(?:退|返|补|到账)"),
        "en": (rf"{_WE} (?:price[- ]match(?:ed)?|match(?:ed)? (?:the|that) (?:lower )?price|refund(?:ed)? (?:you )?"
               r"the (?:price )?difference|appl(?:y|ied) (?:a |the )?price (?:protection|adjustment))\b",
               r"\bprice difference (?:has been|will be) (?:refunded|credited|returned)\b"),
    }, ("event:price_adjusted",), promise=True),
    # A price changed or a personal discount given in chat: the store never does it (knowledge/docs/*/price_protection
    # .md, "Price changes and bargaining"), so only a tool that recorded a price change could license it.
    Claim("price_changed", {
        "zh": (rf"{_FOR}(?:把(?:价格|价钱|价|订单金额|金额)?)?(?:改|调|降|减|算|便宜)(?:价)?(?:了|好了)?"
               r"(?:成|到|为)\s*[¥￥]?\d",
               rf"(?:已|已经|这就|马上|现在就|会|将)?{_FOR}(?:改|修改|调整|调|降|改好)(?:了|好了)?(?:价格|价钱|价|订单金额|金额)",
               r"(?:价格|价钱|订单金额|金额)(?:已|已经)(?:经)?(?:改|修改|调整|调|降|减)(?:好|了|成|到|为)",
               rf"{_FOR}把(?:价格|价钱|价|订单金额|金额)(?:改|修改|调整|调|降|减)(?:好|低|了|一下)",
               rf"{_FOR}(?:便宜|优惠|减|少|抹)(?:了)?\s*[¥￥]?\d+(?:\.\d+)?\s*(?:元|块)",
               rf"{_FOR}(?:抹(?:个|了)?零|打(?:个)?[一二三四五六七八九\d.]+折)",
               r"(?:算|收)您\s*[¥￥]?\d+(?:\.\d+)?\s*(?:元|块)?(?:就行|就好|吧|好了)"),
        "en": (rf"{_WE} (?:lower(?:ed)?|reduce[ds]?|drop(?:ped)?|cut|change[ds]?|adjust(?:ed)?|knock(?:ed)? down|"
               rf"mark(?:ed)? down|bring|brought) (?:down )?(?:the|your|its|that|this|the item'?s|the order'?s) "
               r"(?:price|total|amount)\b",
               rf"{_WE} (?:knock(?:ed)?|take|took|taken) (?:[¥$]?\d+(?:\.\d+)?|\d+\s*(?:%|percent)|something|"
               r"a bit) off\b",
               rf"{_WE} (?:give|gave|given|offer(?:ed)?|appl(?:y|ied)|do|make)(?: you)? (?:a |an )?"
               r"(?:special |personal |extra |exclusive )?(?:\d+\s*(?:%|percent) |[¥$]\d+ )?"
               r"(?:discount|price cut|reduction)\b",
               r"\b(?:price|total|amount) (?:has been|was|is now|'s been) (?:lowered|reduced|changed|adjusted|dropped|"
               r"cut|marked down)\b",
               rf"{_WE} (?:let you have|sell you) (?:it|this|them|these) (?:for|at) [¥$]?\d"),
    }, ("event:price_changed",)),
)

_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)\s+")
_CLAUSE_START = re.compile(r"[，,；;：:、]")
_ZH_NEG = re.compile(r"不|没|未|无法|无权|暂不|并未|尚未|别")
_EN_NEG = re.compile(r"\b(?:not|never|cannot|unable|no longer|no)\b|n't\b", re.IGNORECASE)
_CONDITIONAL = re.compile(
    r"如果|假如|若|如需|如有|一旦|只要|等(?:到|您|收到|仓库)|待(?:收到|仓库|商品|退货|审核)|(?:收到|签收|审核|通过|确认|寄回|退回|入库)[^，。！？]{0,10}?(?:后|之后|以后)"
    r"|\b(?:if|once|after|when|whenever|as soon as|upon|provided|unless|in case)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"[?？]\s*$|吗|是否|要不要|需不需要")


@dataclass(frozen=True, slots=True)
class _Row:
    claim: Claim
    pattern: re.Pattern[str]


class ClaimTable:
    """The claims a reply is checked for: the store-wide `CLAIMS` plus those the registered tools declare."""

    def __init__(self, claims: Iterable[Claim] = CLAIMS) -> None:
        self._rows: list[_Row] = []
        self._names: set[str] = set()
        self.add(claims)

    def add(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            if claim.name in self._names and any(r.claim == claim for r in self._rows):
                continue
            self._names.add(claim.name)
            flags = re.IGNORECASE
            self._rows += [_Row(claim, re.compile(p, flags)) for ps in claim.patterns.values() for p in ps]

    def add_tools(self, tools: Iterable[Any]) -> None:
        for tool in tools:
            self.add(getattr(tool, "claims", ()))

    def made(self, text: str, *, strict: bool = True) -> list[tuple[Claim, str]]:
        """The claims `text` makes, with their surface. `strict` (a reply) skips negated claims and promises in
        conditional sentences or questions; the grounding side (`strict=False`) counts every mention."""
        found: list[tuple[Claim, str]] = []
        for sentence in _sentences(text):
            conditional = bool(_CONDITIONAL.search(sentence)) or bool(_QUESTION.search(sentence))
            for row in self._rows:
                for m in row.pattern.finditer(sentence):
                    if strict and (_negated(sentence, m.start()) or (row.claim.promise and conditional)):
                        continue
                    found.append((row.claim, m.group(0).strip()))
        return found

    def grounded(self, texts: Iterable[str]) -> set[str]:
        """The names of the claims the grounding itself makes (a passage, the draft reply)."""
        return {c.name for text in texts for c, _ in self.made(text, strict=False)}

    def unlicensed(
        self,
        reply: str,
        licenses: Collection[str],
        grounded: Collection[str],
        done_grounded: Collection[str] | None = None,
    ) -> list[str]:
        """The reply's claims that neither this turn's `licenses` nor the grounding's own words support.

        A promise (what the store will do) may be licensed by any grounding, a policy passage included; a claim
        that something was done only by `done_grounded` when given (the draft reply the tools' outcome wrote):
        a passage saying "your refund of ¥888 is approved" is somebody's injection, not this customer's refund."""
        done = grounded if done_grounded is None else done_grounded
        out: list[str] = []
        for claim, surface in self.made(reply):
            if claim.name in (grounded if claim.promise else done) or any(lic in licenses for lic in claim.licensed_by):
                continue
            if surface not in out:
                out.append(surface)
        return out


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s and s.strip()]


def _negated(sentence: str, start: int) -> bool:
    """A negation in the claim's own clause, just before it ("无法为您…", "we can't offer …")."""
    head = sentence[:start]
    cut = max((m.end() for m in _CLAUSE_START.finditer(head)), default=0)
    clause = head[cut:]
    return bool(_ZH_NEG.search(clause[-12:]) or _EN_NEG.search(clause[-30:]))


def licenses_of(result: ToolResult | None, tool_name: str | None = None) -> set[str]:
    """What this turn's tool outcome licenses: `tool:<name>` when it succeeded, `event:<type>` for every event
    it recorded, `status:<value>` for every `status` in its data (at any depth)."""
    if result is None:
        return set()
    out = {f"event:{e.type}" for e in result.events}
    if tool_name:
        out.add(f"tool:{tool_name}")
    out |= {f"status:{s}" for s in _statuses(result.data)}
    return out


def _statuses(node: Any) -> Iterable[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "status" and isinstance(value, str):
                yield value
            else:
                yield from _statuses(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _statuses(item)
