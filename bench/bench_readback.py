"""How much of a spoken reply a caller gets, per kind of sentence: the demo store's real order-status replies (and a
few other real templates) said by the phone line's voices (as `build_voice` wires them: Piper for en, the neural
Mandarin voice with espeak-ng behind it for zh), through 8 kHz μ-law, read back by Whisper-base; scored as the e2e
voice test scores (`recovered`: the share of the recorded reply's words, en, or characters, zh, found in order).

Sentence kinds: `status` (order id, product, status), `tracking` (courier, tracking number, parcel status), `event`
(latest tracking update: time, place, what happened), `date` (delivered or estimated), `price` (an amount),
`product` (a catalogue name and price), `plain` (the hotline's own lines). `reply` is a whole order-status reply
said sentence after sentence and read back at once, as the e2e test reads it.

    .venv/bin/python bench/bench_readback.py [--orders 8] [--languages zh en] [--show]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.nlg.templates import TemplateNLG
from prompts import render
from server.db.engine import make_engine, make_session_factory
from server.db.orders import SqlOrderRepository
from server.demo.build import build_demo_store
from server.infra.voice import build_voice
from server.settings import VoiceSettings
from tests.voice.speech import phone, recovered
from tools.commerce.orders import order_facts, order_status_text
from tools.commerce.product_info import ProductInfoTool
from voice.asr import WhisperASR
from voice.resample import resample, to_int16
from voice.text import sentences, speakable

KINDS = ("plain", "status", "tracking", "event", "date", "price", "product", "reply")


def kind_of(sentence: str) -> str:
    for marks, kind in ((("您的订单", "Your order"), "status"), (("运单号", "tracking number"), "tracking"),
                        (("最新物流", "Latest update"), "event"),
                        (("送达", "签收。", "delivered on", "Estimated"), "date")):
        if any(m in sentence for m in marks):
            return kind
    return "plain"


def orders(count: int) -> list:  # type: ignore[type-arg]
    """`count` orders of the demo store's customers, shipped, in transit, delivered and cancelled alike."""
    url = f"sqlite:///{tempfile.mkdtemp(prefix='kefu-readback-')}/store.db"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=120, orders=1200)
    repo = SqlOrderRepository(make_session_factory(make_engine(url)))
    picked, seen = [], set()
    for n in range(5, 120):
        for order in repo.list_orders(f"C{n:05d}", limit=3):
            shape = (order.status, order.shipment.carrier if order.shipment else None, len(order.lines) > 1)
            if shape not in seen or len(seen) > 14:
                seen.add(shape)
                picked.append(order)
            if len(picked) >= count:
                return picked
    return picked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=8)
    ap.add_argument("--languages", nargs="+", default=["zh", "en"])
    ap.add_argument("--model-dir", default="var/models/whisper-base")
    ap.add_argument("--show", action="store_true", help="print each sentence and what Whisper heard")
    args = ap.parse_args()

    engines = build_voice(VoiceSettings())
    tts = engines.tts
    asr = WhisperASR(args.model_dir)
    nlg = TemplateNLG(tools=[ProductInfoTool])  # type: ignore[list-item]  (its templates are class data)
    picked = orders(args.orders)
    started_cpu, started = time.process_time(), time.perf_counter()

    def say(text: str, lang: str) -> np.ndarray:
        speech = tts.synthesize(speakable(text, lang), lang)
        return to_int16(resample(speech.pcm, speech.sample_rate, 8000))

    def score(text: str, audio: np.ndarray, lang: str) -> float:
        heard = asr.transcribe(phone(audio), lang).text
        got = recovered(text, heard, lang)
        if args.show:
            print(f"  [{lang} {got:5.0%}] {text}\n               heard: {heard}")
        return got

    table: dict[str, dict[str, list[float]]] = {lang: defaultdict(list) for lang in args.languages}
    for lang in args.languages:
        plain = [s for key in ("voice_greeting", "voice_still_there", "handoff_queued") for s in
                 sentences(render(key, lang))]
        for text in plain:
            table[lang]["plain"].append(score(text, say(text, lang), lang))
        for order in picked:
            facts = order_facts(order)
            reply = order_status_text(facts, lang, nlg)
            parts = []
            for sentence in sentences(reply):
                audio = say(sentence, lang)
                parts.append(audio)
                table[lang][kind_of(sentence)].append(score(sentence, audio, lang))
            table[lang]["reply"].append(score(reply, np.concatenate(parts), lang))
            total = f"{order.total:.2f}"
            price = nlg.render("change_order.refund_paid", lang, total=total)
            table[lang]["price"].append(score(price, say(price, lang), lang))
            line = order.lines[0]
            name = line.name_zh if lang == "zh" else line.name_en
            product = nlg.render("product_info.near_item", lang, name=name, price=f"{line.unit_price:.2f}") + \
                nlg.render("product_info.end", lang)
            table[lang]["product"].append(score(product, say(product, lang), lang))

    print(f"\nread-back (Whisper-base, 8 kHz mu-law), {len(picked)} demo orders; mean [min] over sentences")
    print("| kind | " + " | ".join(args.languages) + " |")
    print("|---|" + "---|" * len(args.languages))
    for kind in KINDS:
        cells = []
        for lang in args.languages:
            values = table[lang].get(kind, [])
            cells.append(f"{statistics.mean(values):.1%} [{min(values):.0%}] n={len(values)}" if values else "-")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print(f"wall {time.perf_counter() - started:.0f} s, CPU {time.process_time() - started_cpu:.0f} s "
          "(a busy shared machine)")


if __name__ == "__main__":
    main()
