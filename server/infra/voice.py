"""The phone line's engines, chosen by settings: recogniser, synthesiser per language, VAD, and the lines a
call says by itself (from the reply templates). Cheap to build: models load on the first call or `warm_up`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.affect import AffectModelError
from prompts import render
from server.settings import VoiceSettings
from voice.asr import RemoteASR, WhisperASR
from voice.call import CallConfig, Phrases
from voice.emotion import TrainedSpeechEmotion
from voice.protocols import ASR, TTS, VAD, SpeechEmotion
from voice.text import written
from voice.tts import ByLanguage, EspeakTTS, FastSpeechZhTTS, PiperTTS, RemoteTTS, WithFallback
from voice.turn_end_spoken import SpokenExamples
from voice.vad import WebRtcVad

LANGUAGES = ("zh", "en")
log = logging.getLogger(__name__)


@dataclass
class VoiceEngines:
    asr: ASR
    tts: ByLanguage
    vad: VAD
    phrases: Phrases
    settings: VoiceSettings
    emotion: SpeechEmotion | None = None  # None: calls are understood from their words alone

    def call_config(self, language: str | None) -> CallConfig:
        s = self.settings
        return CallConfig(language=language, default_language=s.default_language, onset_ms=s.onset_ms,
                          end_silence_ms=s.end_silence_ms, silence_s=s.silence_s,
                          turn_end_model=s.turn_end == "words", turn_end_marks=s.turn_end_marks,
                          early_end_ms=s.early_end_ms, late_end_ms=s.late_end_ms,
                          early_ms=s.early_decode_ms, segment_s=s.segment_s,
                          lookahead_s=s.lookahead_s)

    def warm_up(self) -> None:
        warm = getattr(self.asr, "warm_up", None)
        if callable(warm):
            warm()
        self.tts.warm_up()
        warm = getattr(self.emotion, "warm_up", None)
        if callable(warm):
            warm()


def phrases() -> Phrases:
    return Phrases(greeting={lang: render("voice_greeting", lang) for lang in LANGUAGES},
                   handoff={lang: render("handoff_queued", lang) for lang in LANGUAGES},
                   still_there={lang: render("voice_still_there", lang) for lang in LANGUAGES},
                   goodbye={lang: render("voice_goodbye", lang) for lang in LANGUAGES})


def asr_prompts(s: VoiceSettings) -> dict[str, str]:
    """The configured initial prompts; a language not configured keeps the recogniser's built-in one."""
    return {lang: prompt for lang, prompt in (("zh", s.asr_prompt_zh), ("en", s.asr_prompt_en)) if prompt is not None}


def build_asr(s: VoiceSettings) -> ASR:
    """The configured recogniser (also what the benches and the e2e test read a reply's audio back with)."""
    if s.asr == "remote":
        return RemoteASR(s.asr_url, s.asr_model, api_key=s.api_key.get_secret_value(), timeout_s=s.remote_timeout_s,
                         prompts=asr_prompts(s))
    return WhisperASR(s.asr_model_dir, threads=s.asr_threads, window=s.asr_window, beam_size=s.asr_beam_size,
                      prompts=asr_prompts(s))


def build_voice(s: VoiceSettings) -> VoiceEngines:
    key = s.api_key.get_secret_value()
    asr = build_asr(s)
    remote = None
    if "remote" in (s.tts_en, s.tts_zh):
        remote = RemoteTTS(s.tts_url, s.tts_model, {"en": s.tts_voice_en, "zh": s.tts_voice_zh}, api_key=key,
                           timeout_s=s.remote_timeout_s)
    espeak = EspeakTTS()
    en: TTS = remote if s.tts_en == "remote" and remote else PiperTTS() if s.tts_en == "piper" else espeak
    zh: TTS = remote if s.tts_zh == "remote" and remote else espeak
    if s.tts_zh == "fastspeech":
        neural = FastSpeechZhTTS()
        if neural.available():
            zh = WithFallback(neural, espeak)
        else:
            log.warning("the neural Mandarin voice is not installed (make voice); the phone line speaks zh with "
                        "espeak-ng")
    return VoiceEngines(asr=asr, tts=ByLanguage({"zh": zh, "en": en}), vad=WebRtcVad(s.vad_aggressiveness),
                        phrases=phrases(), settings=s, emotion=speech_emotion(s))


def speech_emotion(s: VoiceSettings) -> SpeechEmotion | None:
    """The configured speech-emotion reader; without a usable model file, none (said once, not on every turn).
    Its weights are small and checked now; the feature front end (speechbrain, seconds to import) loads on first use."""
    if s.emotion == "off":
        return None
    reader = TrainedSpeechEmotion(s.emotion_model)
    try:
        reader.weights()
    except AffectModelError as exc:
        log.warning("speech emotion off: %s", exc)
        return None
    return reader


def turn_end_speaker(s: VoiceSettings, cache: Path | None) -> SpokenExamples:
    """What `kefu train|eval turn-end` says its spoken examples with: the product's voices (Piper en, the neural
    Mandarin voice or espeak-ng zh) and recogniser (as configured), with faster-whisper's word timings for the cuts."""
    from faster_whisper import WhisperModel

    asr = build_asr(s)
    aligner = WhisperModel(str(s.asr_model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    zh = FastSpeechZhTTS()

    def align(audio: np.ndarray, language: str) -> list[float]:
        segments, _ = aligner.transcribe(audio, language=language, word_timestamps=True, beam_size=1)
        return [w.end for seg in segments for w in (seg.words or [])]

    def transcribe(audio: np.ndarray, language: str) -> str:
        return written(asr.transcribe(audio, language).text)

    voices = {"en": PiperTTS(), "zh": zh if zh.available() else EspeakTTS()}
    return SpokenExamples(voices, align, transcribe, cache)
