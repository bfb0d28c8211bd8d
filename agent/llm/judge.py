"""The bundled chat model as a sentiment judge for text the fast models are unsure of.

The judge reads the model's next-token preference after a fixed instruction: log P("positive") minus
log P("negative") (both casings). It is zero-shot (no training data in the prompt) and stronger than the
n-gram + e5 stack on English (~94% on a sample of the train split vs ~90%), but costs ~0.4-0.6 s a
sentence on two cores, so `TextAffect` only asks it inside a trained uncertainty band.

It has its own small llama.cpp context (the weights file is memory-mapped, so a second instance shares
the chat model's pages): its instruction stays evaluated between calls, and it never evicts the chat
model's cached prompts. Calls are serialised; a caller that cannot get the model within `wait_s` (a
long judgement in progress) gets None and keeps its own estimate.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.llm.local import quiet_openmp
from prompts.llm_tasks import sentiment_judge_prompt

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

MAX_TEXT_TOKENS = 128  # longer text is judged on its first 128 tokens (bounds the cost; training alike)
_ANSWERS = {"positive": ("positive", "Positive"), "negative": ("negative", "Negative")}
_PREFIX = "<|im_start|>system\n{instruction}<|im_end|>\n<|im_start|>user\nSentence: "
_TAIL = "<|im_end|>\n<|im_start|>assistant\n"
_NORMALISE = "whitespace-collapsed-v1"
# Everything besides the model and the instruction that decides a judge's answers: part of its identity,
# so a change here switches the trained stage off and starts a new training cache.
JUDGE_FORMAT = repr((_PREFIX, _TAIL, MAX_TEXT_TOKENS, sorted(_ANSWERS.items()), _NORMALISE))
MAX_CALL_FAILURES = 3  # consecutive failed judgements before the judge is switched off for the process
_EDGE_BYTES = 4 << 20


def model_fingerprint(path: Path) -> str:
    """A cheap identity for a GGUF file: its size and the hash of its first and last 4 MiB (the header
    with the metadata and vocabulary, and the last tensors). Hashing all 1.1 GB would cost seconds."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        h.update(fh.read(_EDGE_BYTES))
        fh.seek(max(0, size - _EDGE_BYTES))
        h.update(fh.read(_EDGE_BYTES))
    return h.hexdigest()[:16]


def judge_id_for(path: Path) -> str:
    prompt = hashlib.sha256(f"{sentiment_judge_prompt()}\0{JUDGE_FORMAT}".encode()).hexdigest()[:8]
    return f"llama:{model_fingerprint(path)}:prompt:{prompt}"


class LocalSentimentJudge:
    """`agent.protocols.SentimentJudge` on a local GGUF chat model (ChatML template, e.g. Qwen2.5)."""

    def __init__(self, model_path: str | Path, *, n_threads: int = 2, wait_s: float = 1.0) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise FileNotFoundError(f"model file not found: {self.model_path} (run `kefu llm install`)")
        self.judge_id = judge_id_for(self.model_path)
        self.n_threads = n_threads
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._llama: Llama | None = None
        self._prefix_len = 0
        self._answer_ids: dict[str, list[int]] = {}
        self._tail_ids: list[int] = []
        self._disabled = False
        self._failures = 0

    def _load(self) -> Llama:
        if self._llama is None:
            quiet_openmp()
            import llama_cpp

            llama = llama_cpp.Llama(model_path=str(self.model_path), n_ctx=512, n_batch=256,
                                    n_threads=self.n_threads, n_threads_batch=self.n_threads, verbose=False)
            prefix = _PREFIX.replace("{instruction}", sentiment_judge_prompt())
            llama.eval(llama.tokenize(prefix.encode(), add_bos=False, special=True))
            self._prefix_len = llama.n_tokens
            self._tail_ids = llama.tokenize(_TAIL.encode(), add_bos=False, special=True)
            self._answer_ids = {k: [llama.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words]
                                for k, words in _ANSWERS.items()}
            self._llama = llama
        return self._llama

    def _tokens(self, llama: Llama, text: str) -> list[int]:
        # The customer's text is tokenised with special tokens off: typed "<|im_end|>" stays plain text.
        body = llama.tokenize(" ".join(text.split()).encode(), add_bos=False, special=False)[:MAX_TEXT_TOKENS]
        return body + self._tail_ids

    def _next_logits(self, llama: Llama) -> Any:
        import llama_cpp
        import numpy as np

        ptr = llama_cpp.llama_get_logits(llama.ctx)
        return np.ctypeslib.as_array(ptr, shape=(llama.n_vocab(),)).astype(np.float64)

    def judge_locked(self, text: str) -> float:
        """The judge's logit; the caller holds the lock (training calls it in a loop)."""
        llama = self._load()
        llama.n_tokens = self._prefix_len  # keep the evaluated instruction, drop the previous text
        llama.eval(self._tokens(llama, text))
        z = self._next_logits(llama)
        top = float(z.max())

        def logsumexp(ids: list[int]) -> float:
            return top + math.log(sum(math.exp(float(z[i]) - top) for i in ids))

        return logsumexp(self._answer_ids["positive"]) - logsumexp(self._answer_ids["negative"])

    def logit(self, text: str) -> float | None:
        """None when busy past `wait_s`, switched off, or failing. The wait bounds only the queue: a judgement
        itself is ~0.5 s alone and up to ~2 s while the chat model generates on the same cores."""
        if self._disabled or not text.strip():
            return None
        if not self._lock.acquire(timeout=self.wait_s):
            return None
        try:
            if self._llama is None and not self._load_or_disable():
                return None
            z = self.judge_locked(text)
            self._failures = 0
            return z
        except Exception:  # keep answering with the fast models
            self._failures += 1
            log.exception("sentiment judge failed (%d in a row)", self._failures)
            if self._failures >= MAX_CALL_FAILURES:
                log.error("sentiment judge switched off after %d failures in a row", self._failures)
                self._disabled = True
            return None
        finally:
            self._lock.release()

    def _load_or_disable(self) -> bool:
        """Load the model; a model that cannot load (memory, a broken build) switches the judge off."""
        try:
            self._load()
            return True
        except Exception:
            log.exception("sentiment judge could not load %s; continuing without it", self.model_path)
            self._disabled = True
            return False

    def judge_many(self, texts: list[str]) -> list[float]:
        """Logits for many texts in one hold of the lock (training)."""
        with self._lock:
            return [self.judge_locked(t) for t in texts]

    def warm_up(self) -> None:
        """Load now (start-up) rather than on a customer's turn; never raises."""
        with self._lock:
            if self._llama is None and not self._disabled:
                self._load_or_disable()
