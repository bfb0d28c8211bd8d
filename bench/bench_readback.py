"""How much of a spoken reply a caller gets, per kind of sentence: the demo store's real order-status replies (and a
few other real templates) said by the phone line's voices (as `build_voice` wires them: Piper for en, the neural
Mandarin voice with espeak-ng behind it for zh), through 8 kHz μ-law, read back by the product's recogniser as
configured (`build_asr`: Whisper-base, its prompts, its beam); scored as the e2e voice test scores (`recovered`: the
share of the recorded reply's words, en, or characters, zh, found in order).

Sentence kinds: `status` (order id, product, status), `tracking` (courier, tracking number, parcel status), `event`
(latest tracking update: time, place, what happened), `date` (delivered or estimated), `price` (an amount),
`product` (a catalogue name and price), `plain` (the hotline's own lines). `reply` is a whole order-status reply
said sentence after sentence and read back at once, as the e2e test reads it.

    .venv/bin/python bench/bench_readback.py [--orders 8] [--languages zh en] [--show]
    .venv/bin/python bench/bench_readback.py --languages zh --legacy-prompts --beam 5   (compared on the same audio)
    .venv/bin/python bench/bench_readback.py --human-reference   (zh: real speakers beside the voice, no orders)

`--human-reference` asks what the recogniser can read back of real Mandarin at all: CASIA's 50 sentences as its four
professional speakers said them (neutral, studio-clean; `emotional_speech/casia` under the data folder), and the same
50 sentences said by the Mandarin voice, through the same line to the same recogniser; one sentence at a time, and in
runs of 12 sentences (~25 s, read at once as a reply is); through the 8 kHz line and clean at 16 kHz. The zh target
(90% of a reply's characters) is judged beside what real speakers get.
"""

from __future__ import annotations

import argparse
import csv
import os
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
from server.infra.voice import build_asr, build_voice
from server.settings import Settings
from tests.voice.speech import phone, recovered
from tools.commerce.orders import order_facts, order_status_text
from tools.commerce.product_info import ProductInfoTool
from voice.asr.whisper import PLAIN_PROMPTS
from voice.protocols import ASR, TTS
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


RUN = 12  # sentences read back at once in a run (~25 s: a reply's length, under Whisper's 30 s window)


def human_reference(asr: ASR, tts: TTS, data_dir: Path) -> None:
    """Real speakers beside the voice on the same sentences, same recogniser, same line (see the module's doc)."""
    import soundfile as sf

    corpus = data_dir / "emotional_speech" / "casia"
    with open(corpus / "labels.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["emotion"] == "neutral"]
    if not rows:
        sys.exit(f"no CASIA neutral clips under {corpus}")
    rows.sort(key=lambda r: r["path"])  # each speaker's sentences 201…250, in runs of the same sentences
    texts = list(dict.fromkeys(r["text"] for r in rows))
    speakers: dict[str, list[tuple[str, np.ndarray, int]]] = defaultdict(list)
    for r in rows:
        audio, rate = sf.read(corpus / r["path"], dtype="float32")
        speakers[f"{r['speaker']} ({r['gender']})"].append((r["text"], audio, rate))
    voice = []
    for text in texts:
        speech = tts.synthesize(speakable(text, "zh"), "zh")
        voice.append((text, speech.pcm.astype(np.float32) / 32768, speech.sample_rate))
    speakers["the Mandarin voice"] = voice

    def line(audio: np.ndarray, rate: int) -> np.ndarray:  # the 8 kHz mu-law line, as the e2e call's reply
        return phone(to_int16(resample(audio, rate, 8000)))

    def clean(audio: np.ndarray, rate: int) -> np.ndarray:
        return resample(audio, rate, 16000)

    print(f"\nread-back of real Mandarin: CASIA's {len(texts)} sentences by its speakers and by the voice, the "
          f"product's recogniser; characters recovered, one sentence at a time / in runs of {RUN} read at once")
    print("| speaker | sentences (8 kHz line) | runs (8 kHz line) | sentences (16 kHz clean) | runs (16 kHz clean) |")
    print("|---|---|---|---|---|")
    real: dict[str, list[float]] = defaultdict(list)
    for who, clips in speakers.items():
        cells = []
        for way in (line, clean):
            gap = np.zeros(int(0.3 * (8000 if way is line else 16000)), dtype=np.float32)
            heard = [way(audio, rate) for _, audio, rate in clips]
            one = [recovered(text, asr.transcribe(audio, "zh").text, "zh")
                   for (text, _, _), audio in zip(clips, heard, strict=True)]
            runs = []
            for at in range(0, len(clips) - RUN + 1, RUN):
                said = "".join(text for text, _, _ in clips[at : at + RUN])
                audio = np.concatenate([x for a in heard[at : at + RUN] for x in (a, gap)])
                runs.append(recovered(said, asr.transcribe(audio, "zh").text, "zh"))
            cells += [f"{statistics.mean(one):.1%}", f"{statistics.mean(runs):.1%} (n={len(runs)})"]
            if who != "the Mandarin voice":
                real[way.__name__ + " sentences"] += one
                real[way.__name__ + " runs"] += runs
        print(f"| {who} | " + " | ".join(cells) + " |")
    print("| all real speakers | " + " | ".join(
        f"{statistics.mean(real[f'{w} {k}']):.1%}" for w in ("line", "clean") for k in ("sentences", "runs")) + " |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=8)
    ap.add_argument("--languages", nargs="+", default=["zh", "en"])
    ap.add_argument("--legacy-prompts", action="store_true",
                    help="also read back with the prompts before the hotline ones (zh 以下是普通话的句子。, en none)")
    ap.add_argument("--prompt", action="append", default=[], metavar="LANG=TEXT", help="also with this prompt")
    ap.add_argument("--beam", type=int, action="append", default=[], help="also with this beam size")
    ap.add_argument("--show", action="store_true", help="print each sentence and what Whisper heard")
    ap.add_argument("--human-reference", action="store_true",
                    help="zh only: real speakers (CASIA) beside the voice on the same sentences, instead of orders")
    args = ap.parse_args()

    settings = Settings().voice  # KEFU_VOICE_* as the server reads them
    engines = build_voice(settings)
    tts = engines.tts
    # read back as a caller's words are read: the product's recogniser, as configured (KEFU_VOICE_ASR_*)
    readers: dict[str, ASR] = {"product": build_asr(settings)}
    if args.legacy_prompts:
        readers["legacy prompts"] = build_asr(settings.model_copy(
            update={"asr_prompt_zh": PLAIN_PROMPTS["zh"], "asr_prompt_en": PLAIN_PROMPTS["en"]}))
    for n, spec in enumerate(args.prompt, 1):
        lang, _, text = spec.partition("=")
        readers[f"prompt {lang} #{n}"] = build_asr(settings.model_copy(update={f"asr_prompt_{lang}": text}))
    for beam in args.beam:
        readers[f"beam {beam}"] = build_asr(settings.model_copy(update={"asr_beam_size": beam}))
    if args.human_reference:
        started = time.perf_counter()
        human_reference(readers["product"], tts, Settings().training.data_dir)
        print(f"wall {time.perf_counter() - started:.0f} s (load {os.getloadavg()[0]:.1f})")
        return
    nlg = TemplateNLG(tools=[ProductInfoTool])  # type: ignore[list-item]  (its templates are class data)
    picked = orders(args.orders)
    started_cpu, started = time.process_time(), time.perf_counter()

    def say(text: str, lang: str) -> np.ndarray:
        speech = tts.synthesize(speakable(text, lang), lang)
        return to_int16(resample(speech.pcm, speech.sample_rate, 8000))

    said: list[tuple[str, str, str, np.ndarray]] = []  # (language, kind, text, 8 kHz audio): synthesised once
    for lang in args.languages:
        plain = [s for key in ("voice_greeting", "voice_still_there", "handoff_queued") for s in
                 sentences(render(key, lang))]
        said += [(lang, "plain", text, say(text, lang)) for text in plain]
        for order in picked:
            facts = order_facts(order)
            reply = order_status_text(facts, lang, nlg)
            parts = []
            for sentence in sentences(reply):
                audio = say(sentence, lang)
                parts.append(audio)
                said.append((lang, kind_of(sentence), sentence, audio))
            said.append((lang, "reply", reply, np.concatenate(parts)))
            total = f"{order.total:.2f}"
            price = nlg.render("change_order.refund_paid", lang, total=total)
            said.append((lang, "price", price, say(price, lang)))
            line = order.lines[0]
            name = line.name_zh if lang == "zh" else line.name_en
            product = nlg.render("product_info.near_item", lang, name=name, price=f"{line.unit_price:.2f}") + \
                nlg.render("product_info.end", lang)
            said.append((lang, "product", product, say(product, lang)))
    synth_s = time.perf_counter() - started

    for name, asr in readers.items():
        table: dict[str, dict[str, list[float]]] = {lang: defaultdict(list) for lang in args.languages}
        times: list[float] = []
        for lang, kind, text, audio in said:
            t = time.process_time()
            heard = asr.transcribe(phone(audio), lang).text
            times.append(time.process_time() - t)
            got = recovered(text, heard, lang)
            table[lang][kind].append(got)
            if args.show:
                print(f"  {name} [{lang} {got:5.0%}] {text}\n               heard: {heard}")
        print(f"\nread-back by the recogniser '{name}' (Whisper-base, 8 kHz mu-law), {len(picked)} demo orders; "
              f"mean [min] over sentences; decode CPU p50 {statistics.median(times) * 1000:.0f} ms")
        print("| kind | " + " | ".join(args.languages) + " |")
        print("|---|" + "---|" * len(args.languages))
        for kind in KINDS:
            cells = []
            for lang in args.languages:
                values = table[lang].get(kind, [])
                cells.append(f"{statistics.mean(values):.1%} [{min(values):.0%}] n={len(values)}" if values else "-")
            print(f"| {kind} | " + " | ".join(cells) + " |")
        for lang in args.languages:
            values = [v for kind, v_list in table[lang].items() if kind != "reply" for v in v_list]
            print(f"{lang}: all sentences {statistics.mean(values):.1%} (n={len(values)})")
    print(f"synthesis wall {synth_s:.0f} s; all wall {time.perf_counter() - started:.0f} s, "
          f"CPU {time.process_time() - started_cpu:.0f} s (a busy shared machine; load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
