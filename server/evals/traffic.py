"""Real traffic: what real shoppers write first, and whether Kefu's reply does what a good human agent's would.

The messages are read from the shared data sets (`../shared/data`), never copied into this repository: their
sources state no licence, so they are used for evaluation only (see each folder's SOURCE.md). What the repository
holds is ours: `data/traffic.jsonl`, one label a line, pointing at a message by reference (a Taobao context's
number, an MG-ShopDial conversation and utterance) with a hash of its text, the kind of request, a note in our
words, and what the reply must and must not do.

Which messages: every first customer message of `taobao_dialogues_dev` (zh), and from each MG-ShopDial
conversation (en) the shopper's opening request (their first turn of three words or more that is not only a
greeting) and their first question turn (goal `qa`). Each runs as the first message of a fresh conversation of a
signed-in demo customer on the demo store, with template replies.

Checks (`must`: every entry holds, an entry `a|b` holds when either does; `must_not`: none holds):

- `asks` — the reply asks something back (a question mark outside the offer of a person);
- `short` — a short reply (an acknowledgement): at most 40 characters in zh, 120 in en;
- `tool:NAME` — the turn called that tool; `tool` (must_not) — it called any;
- `cites` / `cites:DOC` — the reply cites a policy document (that one); `cite` (must_not) — it cites any;
- `cards:TYPE` — the reply carries a card of that type;
- `human` — the turn handed over to a person or offered one;
- `says:unsold` — the reply says plainly that the store does not sell that;
- `fallback` (must_not) — the generic reply: the `fallback` template, or "no answer in the policies"
  (`kb_no_answer`).

A message is handled as labelled when every check holds; the table gives that share and the generic-fallback
share per language, beside the figures measured before the changes of issue 14 (`data/traffic_baseline.json`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.events import ToolCalled
from agent.pipeline import TurnResult
from prompts import template

DATA = Path(__file__).parent / "data"
LABELS_FILE = DATA / "traffic.jsonl"
BASELINE_FILE = DATA / "traffic_baseline.json"
TAOBAO = Path("taobao_dialogues_dev") / "ECD_sample_train.txt"
SHOPDIAL = Path("mg_shopdial") / "MGShopDial.json"
SHORT_CHARS = {"zh": 40, "en": 120}
_UNSOLD = {
    "zh": re.compile(r"(本店|我们|店里|这里|小店)[^。！？!?]{0,10}(没有|不|暂未|未)[^。！？!?]{0,4}"
                     r"(卖|销售|经营|售|上架|出售)|(没有|不)(卖|销售|出售|经营)(这|该|此)|(没有|找不到)(这款|这类|该|此|这种)(商品|产品)"),
    "en": re.compile(r"\b(?:don'?t|do not|doesn'?t|does not)\s+(?:sell|carry|stock)\b|\bnot (?:sold|carried|stocked)\b"
                     r"|\b(?:isn'?t|is not|aren'?t|are not) (?:something|anything|a product|products) we\b"
                     r"|\bnot in (?:our|this) (?:store|shop|catalogue|catalog)\b", re.IGNORECASE),
}
_SEGMENTED = re.compile(r"(?<=[^\x00-\x7f]) +| +(?=[^\x00-\x7f])")


class TrafficError(ValueError):
    """The labels and the data sets disagree (a message missing, or its text changed)."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    source: str  # taobao_ecd | mg_shopdial
    ref: dict[str, Any]
    language: str
    text: str


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    source: str
    ref: dict[str, Any]
    sha1: str = Field(min_length=8)
    language: str = Field(pattern="^(zh|en)$")
    kind: str
    note: str
    must: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)


@dataclass
class TrafficOutcome:
    label: Label
    text: str
    reply: str
    failures: list[str] = field(default_factory=list)
    generic: bool = False

    @property
    def handled(self) -> bool:
        return not self.failures


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _joined(segmented: str) -> str:
    """Taobao text is word-segmented with spaces: join the words back as a shopper typed them."""
    return _SEGMENTED.sub("", segmented).strip()


def select_messages(data_dir: Path) -> list[Message]:
    """The messages, by the rule in the module docstring, in a fixed order (zh, then en)."""
    out: list[Message] = []
    lines = (data_dir / TAOBAO).read_text(encoding="utf-8").splitlines()
    contexts = [line.split("\t") for line in lines if line.startswith("1\t")]
    for n, fields in enumerate(contexts, 1):
        out.append(Message(f"zh-{n:03d}", "taobao_ecd", {"context": n}, "zh", _joined(fields[1])))
    conversations = json.loads((data_dir / SHOPDIAL).read_text(encoding="utf-8"))
    for conv in conversations:
        client = [u for u in conv["utterances"] if u["participant"] == "Client"]
        opening = next((u for u in client if len(u["utterance"].split()) >= 3
                        and not {i[0] for i in u["intents"]} <= {"greeting"}), None)
        question = next((u for u in client if u["goal"] == "qa" and u is not opening), None)
        for u in (opening, question):
            if u is not None:
                ref = {"conversation": conv["id"], "utterance": u["utterance_id"]}
                out.append(Message(f"en-{len(out) - len(contexts) + 1:03d}", "mg_shopdial", ref, "en",
                                   " ".join(u["utterance"].split())))
    return out


def load_labels(path: Path = LABELS_FILE) -> list[Label]:
    return [Label.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def labelled_messages(data_dir: Path, labels: Sequence[Label] | None = None) -> list[tuple[Label, str]]:
    """Each label with its message's text from the data sets; `TrafficError` when one is missing or changed."""
    by_ref = {(m.source, json.dumps(m.ref, sort_keys=True)): m for m in select_messages(data_dir)}
    out: list[tuple[Label, str]] = []
    for label in labels if labels is not None else load_labels():
        message = by_ref.get((label.source, json.dumps(label.ref, sort_keys=True)))
        if message is None:
            raise TrafficError(f"{label.id}: no message {label.ref} in {label.source}")
        if text_hash(message.text) != label.sha1:
            raise TrafficError(f"{label.id}: the text of {label.ref} changed (hash {text_hash(message.text)})")
        out.append((label, message.text))
    return out


# ---------------------------------------------------------------- checks


def _without_offer_of_person(text: str, language: str) -> str:
    return text.replace(str(template("offer_human", language)), "")


def is_generic(text: str, language: str) -> bool:
    """The generic reply: the steer-back fallback, or "no answer in the store's policies"."""
    return any(str(template(key, language)) in text for key in ("fallback", "kb_no_answer"))


def _holds(check: str, result: TurnResult, language: str) -> bool:
    name, _, arg = check.partition(":")
    reply = result.reply
    calls = [e.tool for e in result.events if isinstance(e, ToolCalled)]
    tests: dict[str, Callable[[], bool]] = {
        "asks": lambda: bool(re.search(r"[?？]", _without_offer_of_person(reply.text, language))),
        "short": lambda: 0 < len(reply.text) <= SHORT_CHARS[language],
        "tool": lambda: (arg in calls) if arg else bool(calls),
        "cites": lambda: any(c.get("doc") == arg for c in reply.citations) if arg else bool(reply.citations),
        "cite": lambda: bool(reply.citations),
        "cards": lambda: any(c.get("type") == arg for c in reply.cards) if arg else bool(reply.cards),
        "human": lambda: reply.offer_human or result.state.handoff != "bot",
        "says": lambda: arg == "unsold" and bool(_UNSOLD[language].search(reply.text)),
        "fallback": lambda: is_generic(reply.text, language),
    }
    if name not in tests:
        raise TrafficError(f"unknown check {check!r}")
    return tests[name]()


def check(label: Label, result: TurnResult) -> list[str]:
    """What the reply does not do that the label asks for, in words."""
    lang = label.language
    fails = [f"not {entry}" for entry in label.must
             if not any(_holds(alt, result, lang) for alt in entry.split("|"))]
    fails += [f"did {entry}" for entry in label.must_not if _holds(entry, result, lang)]
    return fails


# ---------------------------------------------------------------- run and report


async def run_traffic(runtime: Any, customers: dict[str, list[str]], messages: Sequence[tuple[Label, str]],
                      budget: int | None = None) -> list[TrafficOutcome]:
    """Each message as the first turn of a fresh conversation of a signed-in demo customer of its language
    (round robin). `budget` keeps the first N messages of each language."""
    outcomes: list[TrafficOutcome] = []
    taken = {"zh": 0, "en": 0}
    for label, text in messages:
        lang = label.language
        if budget is not None and taken[lang] >= budget:
            continue
        pool = customers[lang]
        customer = pool[taken[lang] % len(pool)]
        taken[lang] += 1
        cid, _ = await asyncio.to_thread(runtime.conversations.create, channel="api", customer_id=customer)
        await runtime.agent.start(cid, channel="api", customer_id=customer, language=None)
        result = await runtime.agent.handle(cid, text)
        outcomes.append(TrafficOutcome(label, text, result.reply.text, check(label, result),
                                       is_generic(result.reply.text, lang)))
    return outcomes


def summary(outcomes: Sequence[TrafficOutcome]) -> dict[str, dict[str, float | int]]:
    """Per language: n, share handled as labelled, share that got the generic fallback."""
    out: dict[str, dict[str, float | int]] = {}
    for lang in ("zh", "en"):
        mine = [o for o in outcomes if o.label.language == lang]
        if mine:
            out[lang] = {"n": len(mine), "handled": round(sum(o.handled for o in mine) / len(mine), 4),
                         "fallback": round(sum(o.generic for o in mine) / len(mine), 4)}
    return out


def by_kind(outcomes: Sequence[TrafficOutcome]) -> dict[tuple[str, str], tuple[int, int]]:
    """(language, kind) -> (handled, n)."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for o in outcomes:
        key = (o.label.language, o.label.kind)
        handled, n = out.get(key, (0, 0))
        out[key] = (handled + o.handled, n + 1)
    return out


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
