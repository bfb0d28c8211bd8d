"""Training and evaluation of the end-of-utterance model (`voice.turn_end`): `kefu train|eval turn-end`.

Development only (scikit-learn, jieba); the call loop never imports this module.

Examples: every customer message of a source is a finished utterance; prefixes of it cut at a word boundary (jieba
words for zh) are unfinished, some with a hesitation appended ("那个", "um"), as a caller who stops to think says
them. A cut just before a sentence end (。？！.?!) is skipped: that prefix is a finished sentence. Each message is one
group: its prefixes go where it goes, so no test prefix has its whole message in training.

Trained on data we may redistribute weights of: the project's own messages (`agent/data`: intents, emotions, slots
dev), Bitext customer support (CDLA-Sharing-1.0) and Banking77 train (CC BY 4.0). Measured on a fixed held-out 20 %
of those, and on sets never trained on because their licences are unstated (evaluation only): real Taobao shoppers'
messages (zh), waimai reviews (zh) and MG-ShopDial shoppers' turns (en).
"""

from __future__ import annotations

import csv
import json
import random
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voice.turn_end import (
    DIM,
    LANGUAGES,
    MARKS,
    MODEL_FILE,
    TurnEndModel,
    baseline_finished,
    end_mark,
    feature_ids,
    language_of,
    normalize,
)
from voice.turn_end_spoken import Heard, SpokenExamples

AGENT_DATA = Path(__file__).resolve().parents[1] / "agent" / "data"
# The fusion with the recogniser's end mark (`voice.turn_end_spoken`): held-out messages said per language (each a
# whole and a cut example), and other-domain messages said for its evaluation only; what was heard is cached.
SPOKEN = 300
SPOKEN_OTHER = 100
SPOKEN_CACHE = Path(__file__).resolve().parents[1] / "var" / "turn_end_spoken.jsonl"
TEST_PERCENT = 20
SEED = 16
FILLERS = {"zh": ("那个", "就是", "嗯", "然后", "呃", "那个那个"), "en": ("um", "uh", "so", "and", "like", "uh the")}
_SENTENCE_END = re.compile(r"^[。？！?!.；;…~～]+")
_WORDY = re.compile(r"[\w\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    finished: bool
    language: str
    source: str


@dataclass(slots=True)
class Report:
    lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.lines)


# ------------------------------------------------------------------ data


def _jsonl(path: Path) -> Iterable[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _lang(text: str) -> str:
    return "zh" if re.search(r"[\u3400-\u9fff]", text) else "en"


def train_messages(data_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """(message, source) per language from the sources the weights may be trained on."""
    out: dict[str, list[tuple[str, str]]] = {lang: [] for lang in LANGUAGES}
    for name in ("intents_zh.jsonl", "intents_en.jsonl", "emotions.jsonl", "slots_dev.jsonl"):
        for rec in _jsonl(AGENT_DATA / name):
            text = str(rec.get("text", "")).strip()
            if text:
                out[_lang(text)].append((text, "kefu_" + name.split(".")[0]))
    with (data_dir / "bitext_customer_support" / "train.csv").open(encoding="utf-8", newline="") as fh:
        out["en"] += [(r["instruction"].strip(), "bitext") for r in csv.DictReader(fh) if r["instruction"].strip()]
    with (data_dir / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
        out["en"] += [(r["text"].strip(), "banking77") for r in csv.DictReader(fh) if r["text"].strip()]
    for lang in LANGUAGES:  # one copy of each message
        seen: set[str] = set()
        out[lang] = [m for m in out[lang] if not (m[0] in seen or seen.add(m[0]))]  # type: ignore[func-returns-value]
    return out


def taobao_messages(data_dir: Path) -> list[list[str]]:
    """Shoppers' messages (the odd turns of each context, the first is the customer's), as their words."""
    seen: set[str] = set()
    out: list[list[str]] = []
    path = data_dir / "taobao_dialogues_dev" / "ECD_sample_train.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        turns = line.split("\t")[1:-1]
        for turn in turns[0::2]:
            words = turn.split()
            key = "".join(words)
            if words and key not in seen:
                seen.add(key)
                out.append(words)
    return out


def waimai_messages(data_dir: Path, limit: int = 1500) -> list[str]:
    with (data_dir / "chinese_sentiment" / "waimai_10k.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = [r["review"].strip() for r in csv.DictReader(fh) if r.get("review", "").strip()]
    rows = [r for r in rows if len(r) <= 60]  # spoken-length messages
    random.Random(SEED).shuffle(rows)
    return rows[:limit]


def shopdial_messages(data_dir: Path) -> list[str]:
    dialogues = json.loads((data_dir / "mg_shopdial" / "MGShopDial.json").read_text(encoding="utf-8"))
    return list(
        dict.fromkeys(
            u["utterance"].strip()
            for d in dialogues
            for u in d["utterances"]
            if u["participant"] == "Client" and u["utterance"].strip()
        )
    )


def words_of(text: str, language: str) -> list[str]:
    if language == "zh":
        import jieba

        jieba.setLogLevel(60)
        return [w for w in jieba.lcut(text) if w.strip()]
    return text.split()


def examples(
    words: list[str], language: str, source: str, rng: random.Random, *, cuts: int = 2, filler_rate: float = 0.3
) -> list[Example]:
    """The message (finished) and up to `cuts` prefixes of it (unfinished)."""
    joiner = "" if language == "zh" else " "
    text = joiner.join(words)
    if not normalize(text):
        return []
    out = [Example(text, True, language, source)]
    points = [
        k
        for k in range(1, len(words))
        if _WORDY.search(words[k - 1]) and not _SENTENCE_END.match(words[k]) and not _ends_sentence(words[k - 1])
    ]
    for k in rng.sample(points, min(cuts, len(points))):
        prefix = joiner.join(words[:k])
        if not normalize(prefix):
            continue
        if rng.random() < filler_rate:
            prefix += joiner + rng.choice(FILLERS[language])
        out.append(Example(prefix, False, language, source))
    return out


def _ends_sentence(word: str) -> bool:
    return bool(re.search(r"[。？！?!.；;]$", word))


def _held_out(text: str) -> bool:
    """The fixed test split: by the message's own hash, the same on every run whatever the seed."""
    return zlib.crc32(("turn-end|" + text).encode("utf-8")) % 100 < TEST_PERCENT


def build(
    data_dir: Path, seed: int = SEED
) -> tuple[dict[str, list[Example]], dict[str, list[Example]], dict[str, list[Example]]]:
    """(train, held-out test, other-domain evaluation sets) per language / set name."""
    rng = random.Random(seed)
    train: dict[str, list[Example]] = {lang: [] for lang in LANGUAGES}
    test: dict[str, list[Example]] = {lang: [] for lang in LANGUAGES}
    for lang, messages in train_messages(data_dir).items():
        for text, source in messages:
            (test if _held_out(text) else train)[lang] += examples(words_of(text, lang), lang, source, rng)
    other: dict[str, list[Example]] = {}
    erng = random.Random(SEED + 1)  # the evaluation sets do not move with the training seed
    other["taobao shoppers (zh)"] = [
        e for words in taobao_messages(data_dir) for e in examples(words, "zh", "taobao", erng, cuts=1)
    ]
    other["waimai reviews (zh)"] = [
        e for text in waimai_messages(data_dir) for e in examples(words_of(text, "zh"), "zh", "waimai", erng, cuts=1)
    ]
    other["MG-ShopDial shoppers (en)"] = [
        e
        for text in shopdial_messages(data_dir)
        for e in examples(words_of(text, "en"), "en", "shopdial", erng, cuts=1)
    ]
    return train, test, other


# -------------------------------------------------------------- training


def _matrix(items: list[Example]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for i, e in enumerate(items):
        ids = feature_ids(e.text, e.language)
        rows.append(np.full(len(ids), i))
        cols.append(ids)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(items), DIM))


def fit(train: dict[str, list[Example]], *, c: float = 0.3, seed: int = SEED) -> TurnEndModel:
    from sklearn.linear_model import LogisticRegression

    weights, bias = {}, {}
    for lang in LANGUAGES:
        items = train[lang]
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=seed)
        clf.fit(_matrix(items), np.array([e.finished for e in items], dtype=int))
        weights[lang] = clf.coef_[0].astype(np.float32)
        bias[lang] = float(clf.intercept_[0])
    return TurnEndModel(weights, bias)


def score(
    model: TurnEndModel | None, items: list[Example], name: str, *, early: float, late: float,
    p: np.ndarray | None = None,
) -> str:
    """Accuracy at 0.5 beside the baseline rule, and what the call would do at its thresholds (`p`: the model's
    probabilities when given, else `model`'s)."""
    if not items:
        return f"  {name}: no examples"
    if p is None:
        assert model is not None
        p = np.array([model.finished(e.text, e.language) for e in items])
    y = np.array([e.finished for e in items])
    base = np.array([baseline_finished(e.text, e.language) for e in items])
    fin, unf = p[y], p[~y]
    return (
        f"  {name:<28} n={len(items):5d} ({int(y.sum())} finished) | accuracy {np.mean((p >= 0.5) == y):.3f}"
        f" vs baseline {np.mean(base == y):.3f} | finished answered early (p≥{early:g}) {np.mean(fin >= early):.2f}"
        ","
        f" unfinished answered early {np.mean(unf >= early):.3f}; unfinished waited longer (p≤{late:g}) "
        f"{np.mean(unf <= late):.2f}, finished waited longer {np.mean(fin <= late):.2f}"
    )


def evaluate(model: TurnEndModel, test: dict[str, list[Example]], other: dict[str, list[Example]]) -> Report:
    from voice.call import CallConfig

    config = CallConfig()
    model = model.words_only()  # typed text's own punctuation is not the recogniser's: the words alone
    report = Report(["end-of-utterance model, words alone, held-out messages and their prefixes (never trained on):"])
    for lang in LANGUAGES:
        report.lines.append(
            score(model, test[lang], f"held-out 20% ({lang})", early=config.finished_p, late=config.unfinished_p)
        )
    report.lines.append("other domains (never trained on; licences unstated, evaluation only):")
    for name, items in other.items():
        report.lines.append(score(model, items, name, early=config.finished_p, late=config.unfinished_p))
    report.lines.append("baseline: zh ends on a sentence-final particle (吗呢吧…); en does not end on a function word")
    return report


# ---------------------------------------------------------------- fusion


def _as_examples(heard: list[Heard]) -> list[Example]:
    return [Example(h.text, h.finished, language_of(h.text, h.language), "spoken") for h in heard]


def spoken_sets(
    data_dir: Path, speaker: SpokenExamples, *, count: int = SPOKEN, other_count: int = SPOKEN_OTHER
) -> tuple[dict[str, list[Heard]], dict[str, list[Heard]]]:
    """(held-out messages as heard, per language; other-domain messages as heard, per set name)."""
    rng = random.Random(SEED + 2)
    held: dict[str, list[Heard]] = {}
    for lang, messages in train_messages(data_dir).items():
        texts = sorted(m for m, _ in messages if _held_out(m))
        random.Random(SEED).shuffle(texts)
        held[lang] = speaker.heard(texts, lang, count, rng)
    taobao = ["".join(w) for w in taobao_messages(data_dir)]
    random.Random(SEED).shuffle(taobao)
    shopdial = shopdial_messages(data_dir)
    random.Random(SEED).shuffle(shopdial)
    other = {
        "taobao shoppers, spoken (zh)": speaker.heard(taobao, "zh", other_count, rng),
        "MG-ShopDial shoppers, spoken (en)": speaker.heard(shopdial, "en", other_count, rng),
    }
    return held, other


def fit_fusion(words: TurnEndModel, heard: dict[str, list[Heard]]) -> TurnEndModel:
    """The words' model with a scale on its score and a weight per end mark, fitted on `heard` (examples the words'
    model was not trained on, so its scores are what new speech gets)."""
    from sklearn.linear_model import LogisticRegression

    scale, marks = {}, {}
    for lang in LANGUAGES:
        items = _as_examples(heard[lang])
        x = np.zeros((len(items), 1 + len(MARKS)), dtype=np.float64)
        for i, e in enumerate(items):
            x[i, 0] = words.words_score(e.text, e.language)
            x[i, 1 + end_mark(e.text)] = 1.0
        clf = LogisticRegression(fit_intercept=False, C=1.0, max_iter=1000)
        clf.fit(x, np.array([e.finished for e in items], dtype=int))
        scale[lang], marks[lang] = float(clf.coef_[0][0]), clf.coef_[0][1:].astype(np.float32)
    return words.fused(scale, marks)


def evaluate_spoken(
    words: TurnEndModel, held: dict[str, list[Heard]], other: dict[str, list[Heard]], fused: TurnEndModel
) -> list[str]:
    """Words alone vs words and end mark: on the held-out messages as heard (two folds by message: the fusion
    fitted on one, scored on the other) and on other-domain messages as heard (the fusion fitted on all held-out)."""
    from voice.call import CallConfig

    config = CallConfig()
    lines = ["as heard at a pause (spoken by the bundled voices, cut mid-sentence in their audio, read by Whisper):"]
    for lang in LANGUAGES:
        folds = [[h for h in held[lang] if zlib.crc32(h.message.encode("utf-8")) % 2 == k] for k in (0, 1)]
        scored: list[Example] = []
        p_fused: list[float] = []
        for k in (0, 1):
            model = fit_fusion(words, {lg: folds[1 - k] if lg == lang else held[lg] for lg in LANGUAGES})
            scored += _as_examples(folds[k])
            p_fused += [model.finished(e.text, e.language) for e in _as_examples(folds[k])]
        name = f"held-out, spoken ({lang})"
        lines.append(score(words.words_only(), scored, name + " words", early=config.finished_p,
                           late=config.unfinished_p))
        lines.append(score(None, scored, name + " +mark", early=config.finished_p, late=config.unfinished_p,
                           p=np.array(p_fused)))
    for set_name, heard in other.items():
        items = _as_examples(heard)
        lines.append(score(words.words_only(), items, set_name + " words", early=config.finished_p,
                           late=config.unfinished_p))
        lines.append(score(fused, items, set_name + " +mark", early=config.finished_p, late=config.unfinished_p))
    marks = "; ".join(
        f"{lang}: scale {fused.scale[lang]:.2f}, "
        + ", ".join(f"{m} {w:+.2f}" for m, w in zip(MARKS, fused.marks[lang], strict=True))
        for lang in LANGUAGES
    )
    lines.append(f"fusion (fitted on all held-out spoken): {marks}")
    return lines


def train_turn_end(
    data_dir: Path,
    out: Path = MODEL_FILE,
    *,
    seed: int = SEED,
    c: float = 0.3,
    speaker: SpokenExamples | None = None,
    spoken: int = SPOKEN,
) -> Report:
    """Fit the words on the training split, evaluate, fit the fusion with the end mark on held-out messages as heard
    (`speaker`: `server.infra.voice.turn_end_speaker`; `spoken` 0: no fusion), refit the words on training +
    held-out, write the weights."""
    train, test, other = build(data_dir, seed)
    words = fit(train, c=c, seed=seed)
    report = evaluate(words, test, other)
    counts = ", ".join(f"{lang} {len(train[lang])}+{len(test[lang])}" for lang in LANGUAGES)
    final = fit({lang: train[lang] + test[lang] for lang in LANGUAGES}, c=c, seed=seed)
    if spoken:
        if speaker is None:
            raise ValueError("spoken examples need a speaker (server.infra.voice.turn_end_speaker)")
        held, spoken_other = spoken_sets(data_dir, speaker, count=spoken, other_count=max(1, spoken // 3))
        fusion = fit_fusion(words, held)
        report.lines += evaluate_spoken(words, held, spoken_other, fusion)
        final = final.fused(fusion.scale, fusion.marks)
    final.save(out)
    report.lines.append(
        f"examples (train+held-out): {counts}; wrote {out} ({out.stat().st_size // 1024} kB), fitted on both"
    )
    return report


def eval_turn_end(data_dir: Path, model_file: Path = MODEL_FILE, *, speaker: SpokenExamples | None = None) -> Report:
    """The shipped weights on the held-out and other-domain sets (the held-out part was in its final fit), and, with
    a `speaker` (the voices installed), on the other-domain messages as heard (never in any fit)."""
    _, test, other = build(data_dir)
    model = TurnEndModel.load(model_file)
    report = evaluate(model, test, other)
    if speaker is not None:
        from voice.call import CallConfig

        config = CallConfig()
        _, spoken_other = spoken_sets(data_dir, speaker, count=0)
        for set_name, heard in spoken_other.items():
            for tag, m in (("words", model.words_only()), ("+mark", model)):
                report.lines.append(score(m, _as_examples(heard), f"{set_name} {tag}", early=config.finished_p,
                                          late=config.unfinished_p))
    report.lines.insert(
        0,
        "note: the shipped weights were refitted on the held-out 20% too; `kefu train turn-end` "
        "prints the figures of the fit without it",
    )
    return report
