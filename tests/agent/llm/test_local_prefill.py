"""How the in-process backend reads a prompt, with a fake `llama_cpp` (one token a character, no model): the warmed
system prompt of each language is resumed from, whatever came between, only the turn's own text is read, and a caller
that gives up frees the model within one chunk. Load-independent counterpart of `test_local_warm.py`."""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.llm import GuardedLLM, LocalLlamaLLM
from agent.llm.local import PREFILL_CHUNK
from agent.llm.prefix_cache import PrefixCache, state_bytes
from agent.nlg import warm_up
from agent.nlg.llm_wording import prompt_passages
from agent.protocols import ChatMessage, LLMUnavailable, Passage
from prompts.chat import system_prompt
from tests.agent.llm.fake_llama import install_fake_llama

pytestmark = pytest.mark.unit


class CharLlama:
    """llama.cpp's context as far as the backend uses it: one sequence of tokens, read `eval` call by call."""

    instances: list[CharLlama] = []
    per_token_s = 0.0

    def __init__(self, **kwargs: Any) -> None:
        self.metadata = {"tokenizer.chat_template": "chatml"}
        self._model = types.SimpleNamespace(token_get_text=lambda t: "<|im_end|>")
        self.n_tokens = 0
        self.ids: list[int] = []
        self.evaluated = 0
        self.cache: Any = None
        CharLlama.instances.append(self)

    @property
    def _input_ids(self) -> np.ndarray:
        return np.array(self.ids[: self.n_tokens], dtype=np.intc)

    def token_eos(self) -> int:
        return 1

    def token_bos(self) -> int:
        return -1

    def tokenize(self, text: bytes, special: bool = False) -> list[int]:
        return [ord(c) for c in text.decode()]

    def eval(self, tokens: list[int]) -> None:
        time.sleep(self.per_token_s * len(tokens))
        self.ids = [*self.ids[: self.n_tokens], *tokens]
        self.n_tokens = len(self.ids)
        self.evaluated += len(tokens)

    def save_state(self) -> types.SimpleNamespace:
        n = self.n_tokens
        return types.SimpleNamespace(
            input_ids=np.array(self.ids, dtype=np.intc),
            n_tokens=n,
            scores=np.zeros((n, 8), dtype=np.single),
            llama_state=b"",
            llama_state_size=n * 10,
        )

    def load_state(self, state: types.SimpleNamespace) -> None:
        self.ids, self.n_tokens = state.input_ids.tolist(), state.n_tokens

    def create_completion(self, *, prompt: list[int], **_: Any) -> Iterator[dict[str, Any]]:
        assert self._input_ids.tolist() == prompt[:-1]  # all but the last token already read
        self.eval(prompt[self.n_tokens :])
        return iter([{"choices": [{"text": "好的。"}]}])

    def set_cache(self, cache: Any) -> None:
        self.cache = cache

    def close(self) -> None:
        pass


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_fake_llama(monkeypatch, tmp_path, CharLlama)


def turn(language: str, facts: str) -> list[ChatMessage]:
    return [
        ChatMessage("system", system_prompt(language)),
        ChatMessage("user", facts),
        ChatMessage("assistant", "根据政策：" if language == "zh" else "Per our policy:"),
    ]


async def test_each_language_resumes_from_its_warmed_prompt_after_the_other(model: Path) -> None:
    backend = LocalLlamaLLM(model, prefix_cache_mb=1)
    await warm_up(GuardedLLM(backend))
    llama = CharLlama.instances[0]
    cache = llama.cache
    assert isinstance(cache, PrefixCache) and len(cache.pinned) == 2
    # other prompts fill the cache past its size: the warmed states stay
    for i in range(40):
        cache.put(
            [9, i],
            types.SimpleNamespace(
                input_ids=np.zeros(2, dtype=np.intc),
                n_tokens=2,
                llama_state=b"",
                scores=np.zeros((2, 8), dtype=np.single),
                llama_state_size=100_000,
            ),
        )
    for language in ("zh", "en", "zh"):
        facts = "FACTS " * 20 + language
        said = "".join([t async for t in backend.stream(turn(language, facts), max_tokens=8)])
        stats = backend.last_prefill
        assert said == "好的。" and stats is not None
        system_tokens = len(f"<|im_start|>system\n{system_prompt(language)}<|im_end|>\n")
        assert stats.from_cache >= system_tokens  # restored, not read again
        assert stats.evaluated < stats.prompt_tokens - system_tokens  # only this turn's own text was read
    assert len(cache.pinned) == 2 and all(len(s.scores) == 1 for s in cache.states.values())
    unpinned = sum(state_bytes(s) for k, s in cache.states.items() if k not in cache.pinned)
    assert unpinned <= cache.capacity_bytes
    await backend.aclose()


async def test_a_caller_that_gives_up_frees_the_model_within_one_chunk(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CharLlama, "per_token_s", 0.001)  # ~0.06 s a chunk
    backend = LocalLlamaLLM(model)
    llm = GuardedLLM(backend, first_token_timeout_s=0.3, timeout_s=5)
    long_facts = "x" * (PREFILL_CHUNK * 60)  # ~4 s to read
    with pytest.raises(LLMUnavailable):
        _ = [t async for t in llm.stream(turn("en", long_facts))]
    gave_up = time.perf_counter()
    patient = GuardedLLM(backend)  # the next customer is not stuck behind the abandoned prompt
    said = "".join([t async for t in patient.stream(turn("zh", "短"))])
    assert said == "好的。" and time.perf_counter() - gave_up < 1.5
    assert CharLlama.instances[0].evaluated < len(long_facts) / 2
    await backend.aclose()


def test_the_model_reads_the_top_passage_only_and_not_twice() -> None:
    top = Passage("warranty", "Warranty", "en", "Faults are  repaired\nunder the warranty.", 0.97)
    other = Passage("privacy", "Privacy", "en", "Your data is never sold.", 0.95)
    draft = "From our Warranty: Faults are repaired under the warranty."
    assert prompt_passages([top, other], draft, 1) == []  # the draft quotes it (whitespace aside)
    assert prompt_passages([top, other], "Something else.", 1) == [top]
    assert prompt_passages([top, other], draft, 2) == [other]


def test_the_cache_evicts_the_oldest_unpinned_state_first() -> None:
    def state(n: int) -> types.SimpleNamespace:
        return types.SimpleNamespace(
            input_ids=np.zeros(0, dtype=np.intc),
            n_tokens=n,
            scores=np.zeros((n, 1000), dtype=np.single),
            llama_state=b"",
            llama_state_size=100,
        )

    cache = PrefixCache(capacity_bytes=4 * (100 + 4000))  # four states of one logits row each
    cache.put([1, 2], state(50), pin=True)
    for i in range(3, 10):
        cache.put([i], state(50))
    assert [1, 2] in [list(k) for k in cache.states] and cache.cache_size <= cache.capacity_bytes
    assert [list(k) for k in cache.states][1:] == [[7], [8], [9]]
    assert cache.longest([1, 2, 3]) == ((1, 2), 2) and cache.longest([42]) == (None, 0)
