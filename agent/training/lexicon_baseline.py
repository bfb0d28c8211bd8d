"""The previous affect reader, kept as the baseline the trained models are measured against.

Valence from snownlp (zh) / VADER (en), customer-service emotions from cue lexicons; the model score is
damped unless a cue confirms it. It is not on the hot path any more: `agent.affect.TextAffect` replaced
it. `evaluate_emotions` and `bench/bench_affect.py` compare against it in the same process.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from agent.affect import Affect


def _rx(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


# Cue lexicons: (pattern, weight). Weights are evidence strength for the emotion.
_CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "anger": [
        (_rx(["气死", "生气", "愤怒", "火大", "恼火", "垃圾", "骗子", "坑人", "坑爹", "什么破", "破服务", "太差",
              "差劲", "烂透", "无语", "欺骗", "忽悠", "投诉你们", "我要投诉", "曝光", "举报", "滚", "他妈", "tmd",
              "搞什么", "什么玩意", "受够了", "忍无可忍", "离谱", "太过分", "态度恶劣"]), 1.0),
        (_rx([r"\bangry\b", r"\bfurious\b", r"\bridiculous\b", r"\bunacceptable\b", r"\bworst\b", r"\bscam\b",
              r"\bterrible\b", r"\bawful\b", r"\bdisgusting\b", r"\buseless\b", r"\bpathetic\b", r"\bfed up\b",
              r"\bsick of\b", r"\bwtf\b", r"\bdamn\b", r"\bcrap\b", r"\bjoke\b", r"\bfraud\b", r"\brip[- ]?off\b",
              r"\bhorrible\b", r"\boutrageous\b", r"\bnonsense\b", r"\bincompetent\b"]), 1.0),
        (re.compile(r"[!！]{2,}|[?？][!！]"), 0.4),
    ],
    "anxiety": [
        (_rx(["着急", "急用", "急死", "很急", "快点", "赶紧", "尽快", "马上", "怎么还没", "还没到", "还没收到",
              "还没发货", "担心", "焦虑", "等了好久", "等了.{1,3}天", "到底什么时候", "丢了", "不会丢"]), 1.0),
        (_rx([r"\burgent(ly)?\b", r"\basap\b", r"\bworried\b", r"\bstill (not|hasn'?t|haven'?t)\b", r"\bhurry\b",
              r"\bwhen will\b.*\bfinally\b", r"\banxious\b", r"\bnervous\b", r"\bdesperate(ly)?\b",
              r"\bneed it (by|before|now|today|tomorrow)\b", r"\bbeen waiting\b", r"\blost\b"]), 1.0),
    ],
    "disappointment": [
        (_rx(["失望", "遗憾", "可惜", "不太满意", "不满意", "不如预期", "没想到", "心寒", "不好用", "质量不行",
              "质量太差", "坏了", "破损", "有问题"]), 1.0),
        (_rx([r"\bdisappoint", r"\blet down\b", r"\bexpected (better|more)\b", r"\bunhappy\b", r"\bsad\b",
              r"\bnot (happy|satisfied)\b", r"\bbroken\b", r"\bdamaged\b", r"\bdefective\b", r"\bfaulty\b",
              r"\bdoesn'?t work\b", r"\bstopped working\b"]), 1.0),
    ],
    "satisfaction": [
        (_rx(["谢谢", "感谢", "多谢", "太好了", "满意", "很棒", "不错", "给力", "好评", "点赞", "辛苦了", "解决了",
              "很快", "喜欢"]), 1.0),
        (_rx([r"\bthanks?\b", r"\bthank you\b", r"\bgreat\b", r"\bperfect\b", r"\bawesome\b", r"\bexcellent\b",
              r"\blove (it|this)\b", r"\bappreciate", r"\bhelpful\b", r"\bsatisfied\b", r"\bamazing\b",
              r"\bwonderful\b"]), 1.0),
    ],
}
_NEGATED_SATISFACTION = _rx(["不满意", "不太满意", r"\bnot (happy|satisfied|great)\b", r"\bno thanks\b"])
_VALENCE_SIGN = {"anger": -1.0, "anxiety": -0.5, "disappointment": -0.7, "satisfaction": 1.0}


class LexiconAffect:
    """Reads one utterance's affect (the old way). Thread-safe; loads snownlp / VADER on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vader: Any = None
        self._snow: Any = None

    def warm_up(self) -> None:
        self._valence("好", "zh")
        self._valence("ok", "en")

    def _valence(self, text: str, language: str) -> float:
        if language == "zh":
            if self._snow is None:
                with self._lock:
                    if self._snow is None:
                        from snownlp import SnowNLP

                        self._snow = SnowNLP
            try:
                return 2.0 * float(self._snow(text).sentiments) - 1.0
            except (ValueError, ZeroDivisionError, KeyError):  # snownlp on symbol-only input
                return 0.0
        if self._vader is None:
            with self._lock:
                if self._vader is None:
                    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                    self._vader = SentimentIntensityAnalyzer()
        return float(self._vader.polarity_scores(text)["compound"])

    def analyze(self, text: str, language: str) -> Affect:
        evidence = {label: 0.0 for label in _VALENCE_SIGN}
        for label, cues in _CUES.items():
            for pattern, weight in cues:
                hits = len(pattern.findall(text))
                if hits:
                    evidence[label] += weight * min(hits, 3)
        if _NEGATED_SATISFACTION.search(text):
            evidence["satisfaction"] = 0.0
            evidence["disappointment"] += 1.0
        model = self._valence(text, language) if text.strip() else 0.0
        # Shouting in Latin script is a cue on its own.
        letters = [c for c in text if c.isalpha() and c.isascii()]
        if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
            evidence["anger"] += 0.6

        label, strength = max(evidence.items(), key=lambda kv: kv[1])
        if label == "anger" and strength < 0.9 and model > -0.3:
            strength = 0.0  # punctuation alone is not anger
        if strength <= 0.0:
            # No cue: trust the model only when it is emphatic, and damp it.
            score = model * (0.6 if language == "en" else 0.3)
            if score <= -0.45:
                return Affect("disappointment", round(score, 3), round(min(1.0, -score), 3))
            if score >= 0.5:
                return Affect("satisfaction", round(score, 3), round(min(1.0, score), 3))
            return Affect("neutral", round(score, 3), round(abs(score) * 0.5, 3))
        sign = _VALENCE_SIGN[label]
        cue_valence = sign * min(1.0, 0.45 + 0.25 * strength)
        score = max(-1.0, min(1.0, 0.7 * cue_valence + 0.3 * model))
        score = min(score, -0.2) if sign < 0 else max(score, 0.2)
        intensity = min(1.0, 0.35 + 0.2 * strength + 0.25 * max(0.0, -model if sign < 0 else model))
        return Affect(label, round(score, 3), round(intensity, 3))
