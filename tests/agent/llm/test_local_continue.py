"""The in-process backend writes on from a reply already begun (a closing assistant message), with a fake
`llama_cpp` (no model needed): the model's own chat template opens the assistant turn, the begun text follows."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.llm import GuardedLLM, LocalLlamaLLM
from agent.llm.base import continues
from agent.protocols import ChatMessage
from tests.agent.llm.fake_llama import install_fake_llama

pytestmark = pytest.mark.unit


class ContinuingLlama:
    instances: list[ContinuingLlama] = []

    def __init__(self, **kwargs: Any) -> None:
        self.metadata = {"tokenizer.chat_template": "{{ chatml }}"}
        self._model = types.SimpleNamespace(token_get_text=lambda t: {1: "<|im_end|>", 2: "<s>"}[t])
        self.prompts: list[str] = []
        self.chat_calls = 0
        ContinuingLlama.instances.append(self)

    def token_eos(self) -> int:
        return 1

    def token_bos(self) -> int:
        return 2

    # one token a character; what was read stays in `_input_ids`, as llama.cpp's context does
    n_tokens = 0
    _input_ids: Any = np.zeros(0, dtype=np.intc)

    def tokenize(self, text: bytes, special: bool = False) -> list[int]:
        return [ord(c) for c in text.decode()]

    def eval(self, tokens: list[int]) -> None:
        self._input_ids = np.array([*self._input_ids.tolist()[: self.n_tokens], *tokens], dtype=np.intc)
        self.n_tokens = len(self._input_ids)

    def create_completion(self, *, prompt: list[int], stop: list[str], **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.prompts.append("".join(map(chr, prompt)))
        return iter([{"choices": [{"text": t}]} for t in ("最新一站", "是上海。")])

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.chat_calls += 1
        return iter([{"choices": [{"delta": {"content": "新的回复。"}}]}])

    def set_cache(self, cache: Any) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_fake_llama(monkeypatch, tmp_path, ContinuingLlama)


async def test_a_closing_assistant_message_is_written_on_from(model: Path) -> None:
    llm = GuardedLLM(LocalLlamaLLM(model))
    assert continues(llm)
    begun = "您的订单 KF10000002 运输中。"
    messages = [ChatMessage("system", "sys"), ChatMessage("user", "到哪了？"), ChatMessage("assistant", begun)]
    said = "".join([t async for t in llm.stream(messages, max_tokens=16)])
    assert said == "最新一站是上海。"
    prompt = ContinuingLlama.instances[0].prompts[0]
    assert prompt.startswith("<|im_start|>system\nsys<|im_end|>\n")  # the same prefix a chat completion has
    assert prompt.endswith("<|im_start|>user\n到哪了？<|im_end|>\n<|im_start|>assistant\n" + begun)
    # a conversation ending with the customer's words is answered anew, as before
    fresh = "".join([t async for t in llm.stream(messages[:2], max_tokens=16)])
    assert fresh == "新的回复。" and ContinuingLlama.instances[0].chat_calls == 1
    await llm.aclose()
