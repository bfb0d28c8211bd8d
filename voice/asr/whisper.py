"""Speech recognition with the bundled faster-whisper-base (zh and en), in process on the CPU.

The model loads once, lazily (or at `warm_up`), and is shared by every call; CTranslate2 runs one decode per
worker thread. Greedy decoding at temperature 0 without conditioning on earlier text: a call's utterances are
short and independent, and fallbacks to higher temperatures only add latency and hallucinations.

An initial prompt per language (`PROMPTS`, configurable): Whisper reads it as the text before the utterance, so it
sets the script (simplified characters), the punctuation and the vocabulary. zh's default says the audio is a call to
an online store's hotline and names the words such calls are about (订单, 快递, 签收, 退货 …): Whisper base otherwise
writes homophones of them (签收 → 牵收, 快递 → 快地). A general store-hotline prompt, not any one call's sentences;
every decode (partials, the pause, the final one, either window) uses it. en has none by default (`EN_PROMPT`).
A decode that reads the prompt back (short or unclear speech) is done again after the script-only one.
`bench/bench_asr_window.py` and `bench/bench_readback.py` measure it.

A short encoder window. Whisper was trained on 30 s windows, and faster-whisper pads every input to one: for a
3 s utterance nine tenths of the encoder's work (and of the decoder's cross-attention) is silence. The encoder
accepts fewer frames (CTranslate2 checks only the upper bound), so `window="short"` encodes the utterance padded
to the next of `WINDOWS_S` that leaves at least `MARGIN_S` of silence after it: the padding tells Whisper the
speech has ended (too little and it loops or drops the last word; measured on the bench's and the corpora's
utterances, `bench/bench_asr_window.py`); a transcript that went round again (`looped`) is decoded again in 30 s.
Language detection reads the same encoder output, not an extra pass.
We call CTranslate2 ourselves (faster-whisper's `transcribe` pads to 30 s whatever its `chunk_length`) with the
same prompt, token suppression and no-speech rule as `transcribe`; faster-whisper is pinned, as these internals
are. Audio longer than the longest short window is cut in its pauses (`voice.asr.pieces`) and read a piece at a
time; `window="full"` goes through faster-whisper's `transcribe` as before.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from threading import Lock
from typing import Any, Literal

import numpy as np

from voice.asr.pieces import pieces
from voice.protocols import Superseded, Transcript
from voice.text import run_on

log = logging.getLogger(__name__)

ZH_PROMPT = (
    "以下是普通话的句子，来自网店的客服热线：顾客询问订单、快递快件、物流派送、运单号、签收、送达、退货退款、换货、"
    "发票和优惠券，订单号以KF开头。"
)
# English without one: a hotline prompt ("A customer calls an online store's hotline about an order, …") ended the
# decode of the e2e call's 31 s order-status reply after its first sentence (38% of its words read back, 78% without).
EN_PROMPT = ""
PROMPTS = {"zh": ZH_PROMPT, "en": EN_PROMPT}
# Script only (the prompts before the hotline ones): a decode that read the hotline prompt back is done again with it
PLAIN_PROMPTS = {"zh": "以下是普通话的句子。", "en": ""}
LANGUAGES = ("zh", "en")
MAX_TOKENS = 220  # Whisper's limit per 30 s window is 224 with the prompt
TOKENS_PER_S = 12
NO_REPEAT = 6  # no 6-token sequence twice in one utterance: stops "请请请…" loops, keeps real repeats of ids
RATE = 16000
HOP = 160  # samples per mel frame (10 ms)
FULL_WINDOW_S = 30
WINDOWS_S = (5, 10, 15, 20, FULL_WINDOW_S)  # few sizes: the encoder's work is steady for a size
MARGIN_S = 2.0  # of silence after the speech, at least, in the window
PAD = "features"  # features: zeros after the speech's features (faster-whisper); audio: silence before the mel
NO_SPEECH_P = 0.6  # faster-whisper's rule: no speech when this likely and the words unlikely (avg log p < -1)
MIN_LOGPROB = -1.0
SHORT_CLIP_S = 1.5  # a looped decode of at most this much audio is retried with silence after it, not in 30 s
GATE_WAIT_S = 2.0  # the most a decoder pass waits for its `gate` (it is set or given up within the pause's 200 ms)

Window = Literal["short", "full"]


@cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Chinese in simplified characters. Whisper base writes some words in traditional ones despite its prompt
    (簽收, 轉運, 訂單): the agent's rules, ids' context and search are in simplified, and so is the store. OpenCC's
    table (character and phrase level), ~0.03 ms a sentence."""
    return _t2s().convert(text) if text else text


def window_s(seconds: float, window: Window = "short") -> int:
    """The encoder window for `seconds` of audio: the smallest of `WINDOWS_S` with `MARGIN_S` to spare."""
    if window == "full":
        return FULL_WINDOW_S
    return next((w for w in WINDOWS_S if seconds + MARGIN_S <= w), FULL_WINDOW_S)


class WhisperASR:
    def __init__(
        self,
        model_dir: Path | str,
        *,
        threads: int = 2,
        beam_size: int = 1,
        workers: int = 1,
        window: Window = "short",
        prompts: Mapping[str, str] | None = None,
    ) -> None:
        """`prompts`: the initial prompt per language (`PROMPTS` for a language not given; "" for none)."""
        self.model_dir = Path(model_dir)
        self.prompts = {**PROMPTS, **(prompts or {})}
        self.threads = threads
        self.beam_size = beam_size
        self.workers = workers
        self.window = window
        self._model: Any = None
        self._lock = Lock()
        self._suppress: tuple[int, ...] = ()
        self._tokenizers: dict[str, Any] = {}
        self._prompt_tokens: dict[tuple[str, str], list[int]] = {}

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel
                from faster_whisper.tokenizer import Tokenizer
                from faster_whisper.transcribe import get_suppressed_tokens

                if not (self.model_dir / "model.bin").is_file():
                    raise FileNotFoundError(f"no Whisper model at {self.model_dir}; run: kefu voice install")
                model = WhisperModel(
                    str(self.model_dir),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=self.threads,
                    num_workers=self.workers,
                )
                self._tokenizers = {
                    lang: Tokenizer(model.hf_tokenizer, True, task="transcribe", language=lang) for lang in LANGUAGES
                }
                self._suppress = get_suppressed_tokens(self._tokenizers["en"], [-1])
                self._prompt_tokens = {
                    (lang, text): self._tokenize(lang, text)
                    for lang in LANGUAGES
                    for text in (self.prompts[lang], PLAIN_PROMPTS[lang])
                }
                self._model = model
                log.info("Whisper model loaded from %s", self.model_dir)
            return self._model

    def encode(self, audio: np.ndarray, window: int) -> Any:
        """The encoder's output for `audio` (float32, 16 kHz) padded to `window` seconds."""
        model = self._load()
        frames = window * RATE // HOP
        audio = np.asarray(audio, dtype=np.float32)
        if PAD == "audio" and len(audio) < window * RATE:  # silence in the audio, as OpenAI's Whisper pads
            audio = np.concatenate([audio, np.zeros(window * RATE - len(audio), dtype=np.float32)])
        features = model.feature_extractor(audio)  # (mels, frames + 1): the last is padding
        content = features[:, : min(features.shape[-1] - 1, frames)]
        padded = np.zeros((features.shape[0], frames), dtype=np.float32)  # as faster-whisper pads: zeros
        padded[:, : content.shape[-1]] = content
        return model.encode(padded)

    def language_of(self, audio: np.ndarray, encoded: Any = None) -> str:
        """zh or en, whichever Whisper finds likelier (other languages are not served); from `encoded`, the
        encoder's output of this audio, when the caller has it."""
        model = self._load()
        if encoded is None:
            encoded = self.encode(audio, window_s(len(audio) / RATE, self.window))
        scores = {token[2:-2]: p for token, p in model.model.detect_language(encoded)[0]}
        return max(LANGUAGES, key=lambda lang: scores.get(lang, 0.0))

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None,
        *,
        stop: threading.Event | None = None,
        gate: threading.Event | None = None,
        context: str = "",
    ) -> Transcript:
        """`context`: what the caller said just before this audio, in the same utterance (`voice.asr.partial`
        decodes an utterance's last stretch alone once the rest is heard): Whisper reads it after the configured
        prompt as the text before the audio, as it reads the previous window's text, so the stretch is written on
        from it (the words it names, the language, the script); the transcript is the stretch's words only.
        `stop`: once set, the decode is given up (`Superseded`) before its next pass — before the encoder, between
        the encoder and the decoder (about half a decode's time), before a second decode or a next piece. `gate`: the
        decoder pass waits until it is set (at most `GATE_WAIT_S`): a decode started before its audio is known to be
        the turn's (`voice.asr.partial`'s early one) spends no decoder pass on audio the caller spoke on after."""
        started = time.perf_counter()
        _check(stop)
        seconds = len(audio) / RATE
        longest = WINDOWS_S[-2] - MARGIN_S  # the most one short window takes
        if self.window == "short" and seconds > longest:
            # longer than a short window (a reply read back, a long message): cut in its pauses, each piece read
            # with the short window; the 30 s path cut a 31 s reply inside a word and lost its last sentences
            heard = []
            for piece in pieces(audio, RATE, longest):
                part = self.transcribe(piece, language, stop=stop, gate=gate)
                language = language or part.language
                heard.append(part.text)
            lang = language if language in LANGUAGES else "en"
            text = run_on(heard, lang)
            return Transcript(text, lang, seconds, time.perf_counter() - started)
        window = window_s(seconds, self.window)
        if context.strip():
            text, lang = self._decode(audio, language, window, stop=stop, gate=gate, context=context)
            if not echoes(text, context):
                return Transcript(text, lang, seconds, time.perf_counter() - started)
            _check(stop)  # the words before read back (Whisper does over a stretch it cannot make out): without them
            language = lang
            gate = None
        text, lang = self._decode(audio, language, window, stop=stop, gate=gate)
        if echoes(text, self.prompts[lang]) and self.prompts[lang] != PLAIN_PROMPTS[lang]:
            # the prompt read back (short or unclear speech, "按0转人工"): decoded again after the script-only one
            _check(stop)
            text, lang = self._decode(audio, lang, window, PLAIN_PROMPTS[lang])
        if echoes(text, self.prompts[lang]) or echoes(text, PLAIN_PROMPTS[lang]):  # over noise: nothing was said
            text = ""
        return Transcript(text, lang, seconds, time.perf_counter() - started)

    def _decode(
        self,
        audio: np.ndarray,
        language: str | None,
        window: int,
        prompt: str | None = None,
        *,
        stop: threading.Event | None = None,
        gate: threading.Event | None = None,
        context: str = "",
    ) -> tuple[str, str]:
        """The transcript and its language, after `prompt` (None: the language's configured one) and `context`."""
        if window < FULL_WINDOW_S:
            text, lang = self._short(audio, language, window, prompt, stop=stop, gate=gate, context=context)
            if looped(text, lang) and len(audio) <= SHORT_CLIP_S * RATE:  # the short window's failure: no end heard
                # a second of silence after a word or two (the window's padding is zero features, not silence):
                # Whisper sees the end in it ("Hi Hi Hi Hi" → "Hi.", 70 ms), where the 30 s window costs ~0.5 s. Not
                # for longer speech: an id read back from 30 s was right where this retry's was not (e2e zh call)
                _check(stop)
                padded = np.concatenate([np.asarray(audio, dtype=np.float32), np.zeros(RATE, dtype=np.float32)])
                text, lang = self._short(padded, lang, window_s(len(padded) / RATE, self.window), prompt, stop=stop,
                                         context=context)
            if looped(text, lang):  # 30 s has the reference
                _check(stop)
                text, lang = self._full(audio, lang, prompt, context)
        else:
            text, lang = self._full(audio, language, prompt, context)
        return (simplified(text) if lang == "zh" else text), lang

    def _short(
        self,
        audio: np.ndarray,
        language: str | None,
        window: int,
        prompt: str | None = None,
        *,
        stop: threading.Event | None = None,
        gate: threading.Event | None = None,
        context: str = "",
    ) -> tuple[str, str]:
        """One encoder pass over `window` seconds, then `transcribe`'s greedy decode of it."""
        model = self._load()
        encoded = self.encode(audio, window)
        if gate is not None:
            gate.wait(GATE_WAIT_S)
        _check(stop)  # the caller spoke on while the encoder ran: the decoder's steps are not spent on a stale pause
        lang = language if language in LANGUAGES else self.language_of(audio, encoded)
        tokenizer = self._tokenizers[lang]
        prompt_text = with_context(self.prompts[lang] if prompt is None else prompt, context, lang)
        prompt_tokens = self._tokens_of(lang, prompt_text)
        sequence = ([tokenizer.sot_prev, *prompt_tokens] if prompt_tokens else []) + [
            *tokenizer.sot_sequence,
            tokenizer.no_timestamps,
        ]
        result = model.model.generate(
            encoded,
            [sequence],
            beam_size=self.beam_size,
            patience=1,
            length_penalty=1,
            repetition_penalty=1,
            no_repeat_ngram_size=NO_REPEAT,
            max_length=len(sequence) + _max_new_tokens(len(audio) / RATE),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=list(self._suppress),
            max_initial_timestamp_index=50,
        )[0]
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > NO_SPEECH_P and avg_logprob <= MIN_LOGPROB:
            return "", lang  # `transcribe`'s no-speech rule: the window held no speech
        return tokenizer.decode(tokens).strip(), lang

    def _tokens_of(self, lang: str, prompt: str) -> list[int]:
        """A prompt's tokens: the configured prompts' are kept from loading; any other (one with the utterance's
        words so far, `transcribe`'s `context`) is tokenized when asked for (microseconds)."""
        known = self._prompt_tokens.get((lang, prompt))
        return known if known is not None else self._tokenize(lang, prompt)

    def _tokenize(self, lang: str, prompt: str) -> list[int]:
        return self._tokenizers[lang].encode(" " + prompt.strip()) if prompt.strip() else []

    def _full(
        self, audio: np.ndarray, language: str | None, prompt: str | None = None, context: str = ""
    ) -> tuple[str, str]:
        """faster-whisper's own `transcribe`: 30 s windows (long audio, or `window="full"`)."""
        model = self._load()
        lang = language if language in LANGUAGES else self.language_of(audio, self.encode(audio, FULL_WINDOW_S))
        segments, _ = model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=lang,
            beam_size=self.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=with_context(self.prompts[lang] if prompt is None else prompt, context, lang) or None,
            without_timestamps=True,
            vad_filter=False,
            max_new_tokens=_max_new_tokens(len(audio) / RATE),
            no_repeat_ngram_size=NO_REPEAT,
        )
        return "".join(s.text for s in segments).strip(), lang


def with_context(prompt: str, context: str, language: str) -> str:
    """The prompt, then the words said before the audio."""
    return run_on([prompt, context], language) if context.strip() else prompt


_UNIT = re.compile(r"[\u3400-\u9fff]|[a-z0-9']+")
ECHO_UNITS = 6  # characters (zh) or words (en): fewer are a caller naming a word or two of the prompt
ECHO_SHARE = 0.8


def echoes(text: str, prompt: str) -> bool:
    """`text` is the prompt read back, whole or in pieces: at least `ECHO_UNITS` characters (zh) or words (en), nearly
    all of them the prompt's in its order. Whisper does so over noise, silence or a word it cannot make out. A caller
    naming a word or two of it ("退货", "I want a refund") is heard as said."""
    said = _UNIT.findall(text.lower())
    if len(said) < ECHO_UNITS or not prompt:
        return False
    blocks = SequenceMatcher(None, said, _UNIT.findall(prompt.lower()), autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) >= ECHO_SHARE * len(said)


_WORD = re.compile(r"[a-z0-9']+")
_CJK = re.compile(r"[\u3400-\u9fff]")
# nine of one digit, together or spaced: no id has that many (KF10000002 is heard 100000002)
_DIGIT_RUN = re.compile(r"(\d)(?:[\s,.\-]*\1){8}")


def looped(text: str, language: str) -> bool:
    """The decoder went round again: a run of three words (en, not all digits) or four characters (zh) said twice,
    or one digit nine times. Whisper does so when it does not see the speech end (a short window); a caller rarely
    does."""
    if _DIGIT_RUN.search(text):
        return True
    if language == "zh":
        units, n = _CJK.findall(text), 4
    else:
        units, n = _WORD.findall(text.lower()), 3
    # digits said one by one repeat ("0 0 0 0 1", an id's stretch): the nine-digit rule above is theirs
    grams = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    grams = [g for g in grams if not all(u.isdigit() for u in g)]
    return len(grams) != len(set(grams))


def _check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Superseded


def _max_new_tokens(seconds: float) -> int:
    """Speech carries at most ~8 tokens a second: more is a hallucination loop over noise."""
    return min(MAX_TOKENS, int(seconds * TOKENS_PER_S) + 16)
