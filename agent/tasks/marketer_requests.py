"""What a marketer's chat request asks for: an act (copy, readout, pause, resume, end, experiments, list, …) and
the campaign it names, read by rules; the LLM only for words the rules cannot read, and only to *propose*.

The rules: the act by keywords in zh and en (`ACT_PATTERNS`, checked in order, so "A/B 测试结果" is experiments
and not a readout, and "停止" ends while "暂停" pauses); the campaign by its id, its zh or en name, its
keywords, words of its names, or a festival alias ("618", "双十一", "new-customer"), compared with spaces,
dashes and case folded away. The longest match wins; equally good matches of several campaigns leave the choice
to the marketer (`campaign_ids` then holds them all), except that one still running beats ended ones.

An act that changes a campaign is never run from here: the caller shows it and asks for confirmation first,
whoever read the request. The LLM's reading is checked against the known acts and campaign ids, and dropped
when it names anything else.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from agent.language import detect_language
from agent.llm.fallback import complete_within
from agent.protocols import LLM, ChatMessage
from prompts.llm_tasks import marketer_request_prompt

log = logging.getLogger(__name__)

Act = Literal["forecast", "experiments", "end", "pause", "resume", "copy", "readout", "list", "create", "help"]
ACTS: tuple[Act, ...] = ("forecast", "experiments", "end", "pause", "resume", "copy", "readout", "list", "create",
                         "help")
CHANGES: tuple[Act, ...] = ("pause", "resume", "end")  # acts that change a campaign: confirmed before they run
NEEDS_CAMPAIGN: tuple[Act, ...] = ("pause", "resume", "end", "copy", "readout")
READ_BUDGET_S = 8.0  # how long the LLM may take to read an unclear request

ACT_PATTERNS: tuple[tuple[Act, re.Pattern[str]], ...] = tuple((act, re.compile(p, re.IGNORECASE)) for act, p in (
    # a proposed campaign's forecast ("预测一下满300减50的效果"): before readout, which "效果" also names
    ("forecast", r"预测|预估|预计|预判|forecast|predict|projection|what\s+would|what\s+will\s+.*\bdo\b"),
    ("experiments", r"a\s*/\s*b|\bab\s*test|实验|分流测试|split[\s-]*test|experiment"),
    ("end", r"结束|终止|停止|下线|关掉|(?<![\w-])end\b(?!-)|\bstop\b|terminate|shut\s*down|\bclose\b|wind\s*down"),
    ("pause", r"暂停|停一下|先停|停掉|(?<!un)pause|on\s+hold|\bhold\b|suspend"),
    ("resume", r"恢复|重新开始|重启|重新上线|继续活动|resume|unpause|restart|turn\s+.*\bback\s+on|reactivate"),
    ("copy", r"文案|宣传语|广告语|标语|口号|推文|写[一个段篇条句]*|slogan|\bcopy\b|copywrit|write|draft|tagline|blurb|"
             r"wording|\bad\b|promo\s*text"),
    ("readout", r"效果|表现|数据|怎么样|如何|转化|核销|领取|领券|领了|用了|多少|几张|报告|战报|复盘|"
                r"\bresults?\b|perform|how\s+(is|are|did|does|was)|doing|readout|numbers|stats|statistics|conversion|redemption|"
                r"claim(s|ed)?\b|report"),
    ("list", r"哪些活动|活动列表|所有活动|列出|全部活动|\blist\b|all\s+campaigns|which\s+campaigns|what\s+campaigns"),
    ("create", r"新建|创建|新增|建一个|开一个|create|new\s+campaign|set\s+up|launch"),
    ("help", r"帮助|能做什么|怎么用|help|what\s+can\s+you"),
))

# Names people use for the same festival or audience; a campaign whose id, kind, names or keywords contain one
# of a group answers to all of the group.
ALIAS_GROUPS: tuple[tuple[str, ...], ...] = (
    ("618", "六一八", "年中大促", "midyear", "mid-year"),
    ("双十一", "双11", "11.11", "singlesday", "singles day", "double11", "double eleven"),
    ("双十二", "双12", "12.12", "double12", "double twelve"),
    ("新人", "新客", "新用户", "新会员", "newcustomer", "new customer", "new-customer", "newcomer", "welcome",
     "first order", "new member"),
    ("会员日", "memberday", "member day"),
    ("年终", "年底", "yearend", "year end", "year-end"),
    ("冬季", "winter"),
    ("春季", "spring"),
    ("数码", "tech"),
)
# Words too common in campaign names to tell one from another.
GENERIC = frozenset({
    "活动", "专享", "优惠", "促销", "大促", "狂欢", "特惠", "好券", "优惠券", "满减", "券", "季", "节", "sale", "sales",
    "deal", "deals", "campaign", "coupon", "coupons", "offer", "offers", "savings", "festival", "day", "the", "and",
    "for", "new", "customer", "customers", "member", "members", "year", "end", "mid", "promotion",
})
_FOLD = re.compile(r"[\s\-_'’`·.,，。!！?？:：;；\"“”「」()（）]+")
_EN_WORD = re.compile(r"[a-z0-9][a-z0-9'’-]*")
MIN_ALIAS = 2


def fold(text: str) -> str:
    """Compare form: NFKC, lower case, spaces, dashes, quotes and punctuation removed."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", text).lower())


@dataclass(frozen=True, slots=True)
class CampaignName:
    """What a request may call a campaign by."""

    id: str
    name_zh: str
    name_en: str
    kind: str = ""
    keywords: tuple[str, ...] = ()
    status: str = "active"

    def aliases(self) -> set[str]:
        own = {self.id, self.name_zh, self.name_en, *self.keywords}
        words = {w for w in _EN_WORD.findall(self.name_en.lower()) if len(w) >= 4}
        words |= {self.name_zh[i:i + n] for n in (2, 3, 4) for i in range(len(self.name_zh) - n + 1)}
        # parts of the id as words too, but not short English ones ("in" of trade_in is in "how is it doing")
        words |= {p for p in self.id.split("_") if len(p) >= 4 or not p.isascii() or p.isdigit()}
        words |= {self.kind} if self.kind else set()
        folded = {fold(a) for a in own | words}
        haystack = "|".join(fold(a) for a in (*own, self.kind))
        for group in ALIAS_GROUPS:
            if any(fold(member) in haystack for member in group):
                folded |= {fold(member) for member in group}
        return {a for a in folded if len(a) >= MIN_ALIAS and a not in GENERIC}


@dataclass(frozen=True, slots=True)
class MarketerRequest:
    text: str
    language: Literal["zh", "en"]
    act: Act | None  # None: not understood
    campaign_ids: tuple[str, ...] = ()  # the campaign named; several: the marketer must choose
    parsed_by: Literal["rules", "llm"] = "rules"
    matched: dict[str, str] = field(default_factory=dict)  # campaign id -> the words that named it

    @property
    def campaign_id(self) -> str | None:
        return self.campaign_ids[0] if len(self.campaign_ids) == 1 else None

    @property
    def changes_campaign(self) -> bool:
        return self.act in CHANGES


def read_act(text: str) -> Act | None:
    for act, pattern in ACT_PATTERNS:
        if pattern.search(text):
            return act
    return None


def named_campaigns(text: str, campaigns: Sequence[CampaignName]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The campaigns the text names best (several only when equally well), and the words that named each."""
    flat = fold(text)
    best: dict[str, str] = {}
    for c in campaigns:
        found = [a for a in c.aliases() if a in flat]
        if found:
            best[c.id] = max(found, key=len)
    if not best:
        return (), {}
    top = max(len(a) for a in best.values())
    ids = [c.id for c in campaigns if c.id in best and len(best[c.id]) == top]
    live = [i for i in ids if next(c for c in campaigns if c.id == i).status != "ended"]
    if len(ids) > 1 and len(live) == 1:
        ids = live
    return tuple(ids), {i: best[i] for i in ids}


def parse_request(text: str, campaigns: Sequence[CampaignName], *, language: str | None = None,
                  context: str | None = None) -> MarketerRequest:
    """The request read by rules; `context` is the campaign open in the console (used when none is named)."""
    lang: Literal["zh", "en"] = "zh" if detect_language(text, default=language or "zh", previous=language) == "zh" \
        else "en"
    ids, matched = named_campaigns(text, campaigns)
    if not ids and context and any(c.id == context for c in campaigns):
        ids = (context,)
    return MarketerRequest(text=text, language=lang, act=read_act(text), campaign_ids=ids, matched=matched)


async def read_with_llm(llm: LLM, request: MarketerRequest, campaigns: Sequence[CampaignName], *,
                        budget_s: float = READ_BUDGET_S) -> MarketerRequest:
    """The LLM's reading of a request the rules did not understand, checked: an unknown act or campaign id is
    dropped. Returns the request unchanged when the LLM is unavailable or says nothing usable."""
    listing = "\n".join(f"- {c.id}: {c.name_zh} / {c.name_en} ({c.status})" for c in campaigns[:60])
    messages = [ChatMessage("system", marketer_request_prompt(ACTS, listing)), ChatMessage("user", request.text)]
    response = await complete_within(llm, messages, max_tokens=60, budget_s=budget_s)
    if isinstance(response, str):
        log.info("marketer request not read by the LLM: %s", response)
        return request
    match = re.search(r"\{.*\}", response.text, re.DOTALL)
    try:
        said = json.loads(match.group(0)) if match else {}
    except json.JSONDecodeError:
        said = {}
    if not isinstance(said, dict):
        return request
    act = said.get("act")
    known = {c.id for c in campaigns}
    campaign = said.get("campaign")
    if act not in ACTS:
        return request
    ids = (campaign,) if isinstance(campaign, str) and campaign in known else request.campaign_ids
    return replace(request, act=act, campaign_ids=ids, parsed_by="llm")
