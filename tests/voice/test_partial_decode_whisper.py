"""Decoding while the caller speaks with the bundled Whisper: a Piper-made question through the phone line's μ-law,
the WebRTC detector and the turn detector gives the same words as a full decode of the finished utterance, and
that transcript was the one started at the pause."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from voice.asr import WhisperASR, is_installed
from voice.asr.partial import PartialDecoder
from voice.codecs import ulaw_decode, ulaw_encode
from voice.resample import resample
from voice.vad import TurnDetector, Utterance, WebRtcVad

MODEL_DIR = "var/models/whisper-base"
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not is_installed(MODEL_DIR), reason="needs the Whisper model (make install)")]


async def turn(asr: WhisperASR, said: np.ndarray, *, pace_s: float, **options: object
               ) -> tuple[PartialDecoder, Utterance, list[asyncio.Task[None]]]:
    """`said` (8 kHz) through the μ-law line, the WebRTC detector and the turn detector, fed to a `PartialDecoder`
    with `options` a frame every `pace_s`: the decoder and the utterance the turn detector hands over."""
    line = ulaw_decode(ulaw_encode(said))
    detector, vad = TurnDetector(8000), WebRtcVad()
    spawned: list[asyncio.Task[None]] = []
    decoder: PartialDecoder | None = None
    utterance: Utterance | None = None
    for i in range(0, len(line) - 159, 160):
        frame = line[i:i + 160]
        voiced = vad.is_speech(frame, 8000)
        event = detector.push(frame, voiced)
        if decoder is None and detector.speaking:
            decoder = PartialDecoder(asr, 8000, language="en", tail_frames=detector.tail_frames,  # type: ignore[arg-type]
                                     spawn=lambda c: spawned.append(asyncio.ensure_future(c)) or spawned[-1],
                                     **options)
            decoder.begin(detector.heard())
        elif isinstance(event, Utterance):
            utterance = event
            break
        elif decoder is not None:
            decoder.push(frame, voiced)
        await asyncio.sleep(pace_s)
    assert decoder is not None and utterance is not None
    return decoder, utterance, spawned


@pytest.mark.parametrize("early_frames", [0, 5], ids=["at the pause", "early"])
async def test_the_pause_decode_says_what_a_full_decode_says(early_frames: int) -> None:
    """Also when it started 100 ms into the pause with the rest as zeros (the line quiet after the question)."""
    from tests.voice.speech import caller_audio

    asr = WhisperASR(MODEL_DIR)
    question = caller_audio("Hi, where is my order KF10001190?", "en")
    said = np.concatenate([np.zeros(2400, np.int16), question, np.zeros(8000, np.int16)])
    # (faster than real time: partials overlap, as on a busy line)
    decoder, utterance, spawned = await turn(asr, said, pace_s=0.005, interval_s=1.0, early_frames=early_frames,
                                             quiet_rms=40.0)
    streamed = await decoder.final(utterance.pcm)
    await asyncio.gather(*spawned)
    full = asr.transcribe(resample(utterance.pcm, 8000, 16000), "en")
    assert decoder.reused and streamed.text == full.text
    assert "order" in full.text.lower() and decoder.decodes >= 2


async def test_a_sentence_said_in_two_breaths_is_decoded_in_two_stretches_and_reads_whole() -> None:
    """The second breath alone is decoded at the end, after the first one's words (`segment_s`); the transcript has
    the words of both, as a decode of the whole says them."""
    from tests.voice.speech import caller_audio, recovered

    asr = WhisperASR(MODEL_DIR)
    first = caller_audio("I would like a refund for the blue jacket", "en")
    second = caller_audio("because it does not fit me at all.", "en")
    said = np.concatenate([np.zeros(2400, np.int16), first, np.zeros(3200, np.int16), second, np.zeros(8000, np.int16)])
    # real time: the first breath's decode is done while the second is said
    decoder, utterance, spawned = await turn(asr, said, pace_s=0.02, interval_s=0, segment_s=1.2)
    heard = await decoder.final(utterance.pcm)
    await asyncio.gather(*spawned)
    assert decoder.stretches == 1 and decoder.reused
    sentence = "I would like a refund for the blue jacket because it does not fit me at all."
    assert recovered(sentence, heard.text, "en") >= 0.8, heard.text
    assert heard.audio_s == pytest.approx(len(utterance.pcm) / 8000)
