# ruff: noqa: E501  (cue lexicons: one line per group of zh/en words reads better than wrapped fragments)
"""Customer-service cue features for the emotion classifier.

Small, hand-written evidence the classifier weighs (it learns how much each cue is worth). They carry
knowledge a few hundred labelled messages cannot: synonyms, swearing, urgency words, and the shape of
sarcasm (praise next to a failure: "太好了，又延迟了"). Shared by training and inference.
"""

from __future__ import annotations

import math
import re

import numpy as np


def _rx(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


CUES: dict[str, re.Pattern[str]] = {
    "anger": _rx([
        "气死", "生气", "愤怒", "火大", "恼火", "垃圾", "骗子", "骗人", "坑人", "坑爹", "什么破", "破服务", "太差", "差劲", "烂透",
        "无语", "欺骗", "忽悠", "投诉", "曝光", "举报", "滚", "他妈", "tmd", "搞什么", "什么玩意", "受够了", "忍无可忍", "离谱",
        "太过分", "恶劣", "黑店", "欺诈", "服了", "呵呵", "耍我", "凭什么", "听不懂人话", "烂到家", "倒闭", "恶心", "消协", "315",
        "法院", "吞我的钱", "摆设", "有什么用", "死了吗", "满意个鬼", "烦死", "踢皮球", "笑话", "良心", "烂", "坑", "做梦", "受气",
        "当我傻", "耐心.{0,4}(没了|用完|耗尽)", "好一个", "真是绝了", "厉害厉害", "😡", "🤬", "💢",
        r"\bangry\b", r"\bfurious\b", r"\bridiculous\b", r"\bunacceptable\b", r"\bworst\b", r"\bscam\b", r"\bterrible\b",
        r"\bawful\b", r"\bdisgust", r"\buseless\b", r"\bpathetic\b", r"\bfed up\b", r"\bsick of\b", r"\bwtf\b", r"\bdamn\b",
        r"\bcrap\b", r"\bjoke\b", r"\bfraud\b", r"\brip[- ]?off\b", r"\bhorrible\b", r"\boutrageous\b", r"\bnonsense\b",
        r"\bincompetent\b", r"\bsuck\b", r"\btrash\b", r"\bgarbage\b", r"\bbs\b", r"\blied\b", r"\bliars?\b", r"\bstealing\b",
        r"\blawyer\b", r"\bcomplaint\b", r"\bdisgrace\b", r"\bmanager\b", r"\benough is enough\b", r"\bdemand\b",
        r"\bshady\b", r"\bdone with\b", r"\bso done\b", r"\bpatience\b", r"\breport you\b", r"\bmess\b", r"\bruined\b",
        r"\bunbelievable\b", r"\bdo you even\b", r"\bsadist\b", r"\bugh\b", r"\bnever shop\b", r"\bthanks for nothing\b", r"\bare you (kidding|serious)\b",
    ]),
    "anxiety": _rx([
        "着急", "急用", "急死", "很急", "急！", "急!", "快点", "赶紧", "尽快", "马上", "怎么还没", "还没到", "还没收到", "还没发货",
        "担心", "焦虑", "慌", "等了好久", "到底什么时候", "丢了", "会不会", "来得及", "赶不上", "拜托", "求求", "加急", "怎么办",
        "没底", "催一下", "优先", "😰", "😱", "😭",
        r"\burgent(ly)?\b", r"\basap\b", r"\bworr(ied|y)\b", r"\bhurry\b", r"\banxious\b", r"\bnervous\b",
        r"\bdesperate(ly)?\b", r"\bneed (it|this) (by|before|now|today|tonight|tomorrow)\b", r"\bpanick", r"\bscared\b",
        r"\bis it lost\b", r"\bexpedite\b", r"\bas soon as\b", r"\btime sensitive\b", r"\bwhat do i do\b",
        r"\bwhat should i do\b", r"\bplease help\b", r"\bin time\b", r"\bbefore (tonight|tomorrow|friday|the)\b",
    ]),
    "disappointment": _rx([
        "失望", "遗憾", "可惜", "不太满意", "不满意", "不如预期", "没想到", "心寒", "不好用", "质量不行", "一般般", "后悔", "唉", "哎",
        "郁闷", "扫兴", "不值", "不推荐", "不会再", "失落", "无奈", "心疼", "鸡肋", "早知道", "不如", "差距",
        r"\bdisappoint", r"\blet ?down\b", r"\bexpected (better|more)\b", r"\bunhappy\b", r"\bsad(ly)?\b",
        r"\bnot (happy|satisfied|great)\b", r"\bregret\b", r"\bmeh\b", r"\bshame\b", r"\bpity\b", r"\bunfortunately\b",
        r"\bunderwhelm", r"\bbummer\b", r"\bsigh\b", r"\bmediocre\b", r"\bwish i\b", r"\bhoped\b", r"\btoo bad\b",
        r"\bnot worth\b", r"\bwon'?t (buy|reorder|order)\b",
    ]),
    "satisfaction": _rx([
        "谢谢", "感谢", "多谢", "太好了", "满意", "很棒", "不错", "给力", "好评", "点赞", "辛苦了", "辛苦啦", "解决了", "喜欢", "超值",
        "开心", "惊喜", "专业", "周到", "靠谱", "搞定", "好用", "好吃", "真好", "太棒",
        r"\bthanks?\b", r"\bthank (you|u)\b", r"\bthx\b", r"\bty\b", r"\bgreat\b", r"\bperfect(ly)?\b", r"\bawesome\b",
        r"\bexcellent\b", r"\blove[sd]? (it|this)\b", r"\bappreciate", r"\bhelpful\b", r"\bsatisfied\b", r"\bamazing\b",
        r"\bwonderful\b", r"\bcheers\b", r"\bbrilliant\b", r"\bfantastic\b", r"\blovely\b", r"\bhappy\b", r"\bpleased\b",
        r"\blifesaver\b", r"\bwell done\b", r"\bsorted\b",
    ]),
}
# Something went wrong: with a praise word in the same message this is the usual shape of sarcasm.
NEGATIVE_EVENT = _rx([
    "延迟", "延误", "又(延|坏|错|慢|丢|没|是|给我|出|发错|取消|降|要)", "还没", "还是没", "没到", "没收到", "坏了", "坏的", "丢了", "发错", "送错",
    "太慢", "取消了", "白等", "挂我", "就降了", "扣了", "没人", "第[二三四五]次",
    r"\bdelay(ed|s)?\b", r"(?<!buy )(?<!order )(?<!back )(?<!here )(?<!use )\bagain\b",
    r"\banother (delay|problem|issue|excuse|mistake|day|week|broken|wrong)", r"\bstill (not|no|hasn'?t|haven'?t|waiting|nothing|broken)\b",
    r"\blate\b", r"\bbroken?\b", r"\blost\b", r"\blosing\b", r"\bwrong\b", r"\bcancel+ed\b", r"\bmissing\b", r"\bcharged\b",
    r"\bignored\b", r"\bdoesn'?t even\b", r"\btook \d+ (days|weeks)\b",
])
# "没让我失望" / "never been disappointed": a negated complaint is praise.
NEGATED_NEGATIVE = _rx(["没让我失望", "没失望", "不失望", "没坏", "没有问题", "没话说", r"\bnot disappointed\b",
                        r"\bnever (been )?disappointed\b", r"\bno complaints\b", r"\bno problems?\b"])
NEGATED_SATISFACTION = _rx(["不满意", "不太满意", "满意个鬼", r"\bnot (happy|satisfied|great)\b", r"\bno thanks\b"])
INTENSIFIER = _rx(["太", "非常", "特别", "超级", "简直", "死了", "极其", "真的", r"\bso\b", r"\bvery\b", r"\breally\b",
                   r"\bextremely\b", r"\babsolutely\b", r"\bseriously\b", r"\btotally\b"])
INQUIRY = _rx(["请问", "怎么", "多久", "哪", "吗[?？]?$", "什么时候", "能不能", "可以", "是否", "有没有", r"^(how|what|when|where|which|who|can|could|do|does|is|are|will|would)\b",
               r"\bhow (do|long|much|many)\b", r"\?$"])
POSITIVE_EMOJI = re.compile("[👍😊🙂❤😄😀🥰👏🎉😁🤩💯✨]")
NEGATIVE_EMOJI = re.compile("[😡😠🤬😞😢😭😰😤🙄😒💢👎😕😩😫😱]")
_LATIN = re.compile(r"[A-Za-z]")

DENSE_FEATURES = ("sentiment", "vader", "cue_anger", "cue_anxiety", "cue_disappointment", "cue_satisfaction",
                  "negative_event", "irony", "exclaim", "question", "shouting", "emoji_pos", "emoji_neg", "length",
                  "zh", "inquiry")


def emphasis(text: str) -> float:
    """How loudly something is said, in [0, 1]: exclamation marks, capitals, intensifiers."""
    exclaim = min(text.count("!") + text.count("！"), 3) / 3
    latin = _LATIN.findall(text)
    shout = 1.0 if len(latin) >= 8 and sum(c.isupper() for c in latin) / len(latin) > 0.7 else 0.0
    intens = min(len(INTENSIFIER.findall(text)), 2) / 2
    return min(1.0, 0.45 * exclaim + 0.35 * shout + 0.3 * intens)


def dense_features(text: str, language: str, sentiment_logit: float, vader: float) -> np.ndarray:
    """The hand-made part of the emotion classifier's input, in the order of `DENSE_FEATURES`."""
    cues = {label: min(len(rx.findall(text)), 3) / 3 for label, rx in CUES.items()}
    if NEGATED_SATISFACTION.search(text):
        cues["satisfaction"] = 0.0
        cues["disappointment"] = max(cues["disappointment"], 1 / 3)
    if NEGATED_NEGATIVE.search(text):
        cues["disappointment"] = 0.0
        cues["satisfaction"] = max(cues["satisfaction"], 1 / 3)
    event = min(len(NEGATIVE_EVENT.findall(text)), 3) / 3
    irony = float(cues["satisfaction"] > 0 and (event > 0 or cues["anger"] > 0 or cues["disappointment"] > 0))
    if irony:  # praise beside a failure is sarcasm far more often than gratitude
        cues["anger"] = min(1.0, cues["anger"] + 1 / 3)
        cues["satisfaction"] = 0.0
    latin = _LATIN.findall(text)
    shout = float(len(latin) >= 8 and sum(c.isupper() for c in latin) / len(latin) > 0.7)
    stripped = text.strip()
    return np.array([
        max(-2.0, min(2.0, sentiment_logit / 4)),
        vader,
        cues["anger"], cues["anxiety"], cues["disappointment"], cues["satisfaction"],
        event,
        irony,
        min(text.count("!") + text.count("！"), 3) / 3,
        float(stripped.endswith(("?", "？")) or "吗" in stripped[-3:]),
        shout,
        min(len(POSITIVE_EMOJI.findall(text)), 2) / 2,
        min(len(NEGATIVE_EMOJI.findall(text)), 2) / 2,
        math.log1p(len(stripped)) / 5,
        float(language == "zh"),
        float(bool(INQUIRY.search(stripped.lower()))),
    ], dtype=np.float32)
