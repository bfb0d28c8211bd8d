"""Speech recognition with the bundled faster-whisper-base (zh and en), in process on the CPU.

The model loads once, lazily (or at `warm_up`), and is shared by every call; CTranslate2 runs one decode per
worker thread. Greedy decoding at temperature 0 without conditioning on earlier text: a call's utterances are
short and independent, and fallbacks to higher temperatures only add latency and hallucinations. Chinese gets
the initial prompt that keeps Whisper to simplified characters.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from voice.protocols import Transcript

log = logging.getLogger(__name__)

ZH_PROMPT = "以下是普通话的句子。"
LANGUAGES = ("zh", "en")
MAX_TOKENS = 220  # Whisper's limit per 30 s window is 224 with the prompt
TOKENS_PER_S = 12
NO_REPEAT = 6  # no 6-token sequence twice in one utterance: stops "请请请…" loops, keeps real repeats of ids


class WhisperASR:
    def __init__(self, model_dir: Path, *, threads: int = 2, beam_size: int = 1, workers: int = 1) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.beam_size = beam_size
        self.workers = workers
        self._model: Any = None
        self._lock = Lock()

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                if not (self.model_dir / "model.bin").is_file():
                    raise FileNotFoundError(f"no Whisper model at {self.model_dir}; run: kefu voice install")
                self._model = WhisperModel(
                    str(self.model_dir),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=self.threads,
                    num_workers=self.workers,
                )
                log.info("Whisper model loaded from %s", self.model_dir)
            return self._model

    def language_of(self, audio: np.ndarray) -> str:
        """zh or en, whichever Whisper finds likelier (other languages are not served)."""
        model = self._load()
        _, _, probs = model.detect_language(audio)
        scores = dict(probs)
        return max(LANGUAGES, key=lambda lang: scores.get(lang, 0.0))

    def transcribe(self, audio: np.ndarray, language: str | None) -> Transcript:
        model = self._load()
        started = time.perf_counter()
        lang = language if language in LANGUAGES else self.language_of(audio)
        seconds = len(audio) / 16000
        segments, _ = model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=lang,
            beam_size=self.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=ZH_PROMPT if lang == "zh" else None,
            without_timestamps=True,
            vad_filter=False,
            # speech carries at most ~8 tokens a second: more is a hallucination loop over noise
            max_new_tokens=min(MAX_TOKENS, int(seconds * TOKENS_PER_S) + 16),
            no_repeat_ngram_size=NO_REPEAT,
        )
        text = "".join(s.text for s in segments).strip()
        if text.strip("。. ") == ZH_PROMPT.strip("。"):  # the prompt echoed back over noise: nothing was said
            text = ""
        return Transcript(text, lang, seconds, time.perf_counter() - started)
