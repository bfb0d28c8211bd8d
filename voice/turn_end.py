"""Does what the caller said sound finished? The words' half of the end of a turn (the silence is the other half).

A call waits for a fixed silence before it answers, because a pause alone cannot tell "where is my parcel" (done)
from "I want to ask about the" (thinking). `TurnEndModel.finished` reads the transcript of the decode at the pause
(`voice.asr.partial`) and says how likely it is a whole utterance, so the call can answer after a short silence
when it is, and wait longer when the caller stopped mid-sentence (`voice.call`).

The model is a logistic regression per language (zh, en) over hashed n-grams that look mostly at the end of the
text: the last characters (zh) or words (en), the last word's suffix (en), a few n-grams of the whole text and its
length, read without punctuation. Its score is then fused with the mark the recogniser wrote at the end (`end_mark`:
none, a full stop, a question mark, a comma, an ellipsis): Whisper hears the voice fall at a sentence's end and
writes a stop or a question mark there, and mostly nothing after words cut off mid-sentence, which the words alone
cannot tell ("where is my parcel" is also the start of longer questions). The fusion (a scale on the words' score
and a weight per mark) is fitted on spoken examples (`voice.turn_end_spoken`: messages said by the bundled voices,
cut mid-sentence in their audio, read by Whisper). Scoring is a sum of a few dozen weights (microseconds, no
scikit-learn at run time). `kefu train turn-end` rebuilds the weights (`voice/models/turn_end.npz`) and prints the
held-out evaluation beside `baseline_finished`, the obvious rule (zh: a sentence-final particle; en: not a function
word at the end). The marks' weights are the bundled Whisper's habits: a production recogniser that punctuates
otherwise may be run with them off (`KEFU_VOICE_TURN_END_MARKS=false`).
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DIM = 1 << 15  # hashed features per language
MODEL_FILE = Path(__file__).resolve().parent / "models" / "turn_end.npz"
LANGUAGES = ("zh", "en")

# What the recogniser wrote at the end of the text, fused with the words' score (index into `TurnEndModel.marks`).
MARKS = ("none", "stop", "question", "comma", "ellipsis")
_END_MARK = re.compile(r"(\.\.\.|…|[.!。！]|[?？]|[,，、;；:：])[\s\"'”’)）]*$")
_MARK_OF = {"...": "ellipsis", "…": "ellipsis", "?": "question", "？": "question"}
_CJK = re.compile(r"[\u3400-\u9fff]")
_PUNCT = re.compile(r"[^\w\s'\u3400-\u9fff]+")  # anything not a letter, digit, CJK character or apostrophe
_DIGITS = re.compile(r"\d+")
_ZH_TOKEN = re.compile(r"[\u3400-\u9fff]|[a-z0-9']+")
# What a sentence ends on when it is finished (zh), and words an English sentence does not end on: the baseline.
ZH_FINAL_PARTICLES = frozenset("吗呢吧啊呀了哦嘛啦么的哈噢喔")
EN_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "but",
        "so",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
        "for",
        "with",
        "about",
        "from",
        "by",
        "in",
        "on",
        "at",
        "into",
        "as",
        "if",
        "because",
        "that",
        "this",
        "these",
        "those",
        "is",
        "are",
        "was",
        "were",
        "be",
        "am",
        "i",
        "you",
        "we",
        "they",
        "he",
        "she",
        "it",
        "can",
        "could",
        "would",
        "should",
        "will",
        "want",
        "need",
        "like",
        "um",
        "uh",
        "er",
        "erm",
        "just",
        "than",
        "then",
        "when",
        "where",
        "what",
        "which",
        "who",
        "how",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "not",
        "some",
        "any",
        "me",
        "us",
        "them",
        "there",
    ]
)


# The store's ids are letters and eight digits (KF10000002, R10000001), said in groups with pauses between them: at
# a pause after the letters or a group ("KF", "KF 1000", "订单KF1000") the caller is not done, whatever the words
# before sound like (the model maps every digit run to one token, so it cannot count them).
ID_DIGITS = 8
_ID_SEP = r"[\s.\-,，、:：#]*"
_OPEN_ID = re.compile(  # an order id's letters alone ("KF"), or one or two letters and some digits ("KF 1000", "r1000")
    rf"(?<![A-Za-z])(?:(?i:k\s?f){_ID_SEP}|[A-Za-z]{{1,2}}{_ID_SEP}(?:\d[\s.\-,，、]*){{1,{ID_DIGITS - 1}}})$"
)


def open_id(text: str) -> bool:
    """`text` ends in an id cut short: its letters, or fewer than `ID_DIGITS` digits after them."""
    return bool(_OPEN_ID.search(text.strip().rstrip(".。?？!！")))


def end_mark(text: str) -> int:
    """Which of `MARKS` ends `text` (the recogniser's punctuation after the last word)."""
    m = _END_MARK.search(text)
    if m is None:
        return 0
    mark = m.group(1)
    name = _MARK_OF.get(mark) or ("stop" if mark in ".!。！" else "comma")
    return MARKS.index(name)


def language_of(text: str, hint: str | None = None) -> str:
    """zh when the text has Chinese characters, else en (the recogniser's language only breaks a tie: no text)."""
    if _CJK.search(text):
        return "zh"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return hint if hint in LANGUAGES else "zh"


def normalize(text: str) -> str:
    """Lower case, punctuation removed, digit runs as one 0 (an order id says nothing about finishing)."""
    text = _PUNCT.sub(" ", text.lower())
    text = _DIGITS.sub("0", text)
    return " ".join(text.split())


def tokens(text: str, language: str) -> list[str]:
    """Characters (zh, a Latin or digit run counts as one) or words (en) of the normalized text."""
    norm = normalize(text)
    return _ZH_TOKEN.findall(norm) if language == "zh" else norm.split()


def feature_names(text: str, language: str) -> list[str]:
    toks = tokens(text, language)
    n = len(toks)
    joiner = "" if language == "zh" else " "
    feats = [f"len:{min(n, 12) if n < 12 else 12 + min((n - 12) // 6, 4)}"]
    if not toks:
        return [*feats, "empty"]
    for k in range(1, min(4, n) + 1):  # the end: what finishedness hangs on
        feats.append(f"end{k}:{joiner.join(toks[-k:])}")
    if n == 1:
        feats.append(f"only:{toks[0]}")
    for k in range(1, min(2, n) + 1):
        feats.append(f"start{k}:{joiner.join(toks[:k])}")
    if language == "en":
        last = toks[-1]
        feats += [f"suf3:{last[-3:]}", f"suf2:{last[-2:]}"]
        if n >= 2:
            feats.append(f"prev:{toks[-2]}")  # the word before the last, alone
    else:
        if n >= 3:
            feats.append(f"gap:{toks[-3]}_{toks[-1]}")
    for a, b in itertools.pairwise(toks):  # the whole text, weakly
        feats.append(f"bi:{a}{joiner}{b}")
    feats += [f"uni:{t}" for t in toks]
    return feats


def feature_ids(text: str, language: str) -> np.ndarray:
    """Hashed feature indices (crc32: the same on every run and machine), repeats kept (they count)."""
    return np.fromiter((zlib.crc32(f.encode("utf-8")) % DIM for f in feature_names(text, language)), dtype=np.int64)


def baseline_finished(text: str, language: str) -> bool:
    """The obvious rule: zh ends on a sentence-final particle; en does not end on a function word."""
    toks = tokens(text, language)
    if not toks:
        return False
    if language == "zh":
        return toks[-1] in ZH_FINAL_PARTICLES
    return toks[-1] not in EN_FUNCTION_WORDS


@dataclass(frozen=True, slots=True)
class TurnEndModel:
    """Per language: weights over `DIM` hashed features and a bias (the words), and the fusion with the end mark:
    the words' score times `scale`, plus the weight of the mark (`marks`, one per `MARKS`). Without a fusion (scale
    1, marks 0) the score is the words' alone."""

    weights: dict[str, np.ndarray]
    bias: dict[str, float]
    scale: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LANGUAGES, 1.0))
    marks: dict[str, np.ndarray] = field(
        default_factory=lambda: {lang: np.zeros(len(MARKS), dtype=np.float32) for lang in LANGUAGES}
    )

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> TurnEndModel:
        with np.load(path) as data:
            fused = all(f"m_{lang}" in data for lang in LANGUAGES)
            model = cls(
                {lang: data[f"w_{lang}"].astype(np.float32) for lang in LANGUAGES},
                {lang: float(data[f"b_{lang}"]) for lang in LANGUAGES},
            )
            if fused:
                model = model.fused(
                    {lang: float(data[f"s_{lang}"]) for lang in LANGUAGES},
                    {lang: data[f"m_{lang}"].astype(np.float32) for lang in LANGUAGES},
                )
            return model

    def fused(self, scale: dict[str, float], marks: dict[str, np.ndarray]) -> TurnEndModel:
        return TurnEndModel(self.weights, self.bias, dict(scale), dict(marks))

    def words_only(self) -> TurnEndModel:
        """The same words' weights without the end mark (a recogniser whose punctuation is not Whisper's)."""
        return TurnEndModel(self.weights, self.bias)

    def save(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for lang in LANGUAGES:
            arrays[f"w_{lang}"] = self.weights[lang].astype(np.float16)
            arrays[f"b_{lang}"] = np.array(self.bias[lang], dtype=np.float32)
            arrays[f"s_{lang}"] = np.array(self.scale[lang], dtype=np.float32)
            arrays[f"m_{lang}"] = self.marks[lang].astype(np.float32)
        np.savez_compressed(path, **arrays)

    def words_score(self, text: str, lang: str) -> float:
        """The words' log-odds of a whole utterance (punctuation not read)."""
        return float(self.weights[lang][feature_ids(text, lang)].sum()) + self.bias[lang]

    def finished(self, text: str, language: str | None = None) -> float:
        """The probability that `text`, as the recogniser wrote it at a pause, is a whole utterance (0 for no
        words: nothing was said)."""
        if not normalize(text) or open_id(text):
            return 0.0
        lang = language_of(text, language)
        z = self.scale[lang] * self.words_score(text, lang) + float(self.marks[lang][end_mark(text)])
        return float(1.0 / (1.0 + np.exp(-z)))


_loaded: TurnEndModel | None = None


def bundled() -> TurnEndModel:
    """The shipped model, loaded once (a few hundred kB)."""
    global _loaded
    if _loaded is None:
        _loaded = TurnEndModel.load()
    return _loaded
