"""A stand-in `llama_cpp` module for the in-process backend's unit tests: the ChatML formatter the backend asks
`llama_chat_format` for, and the module installed with a test's own fake `Llama` class and a dummy model file."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest


class ChatmlFormatter:
    """What `llama_chat_format.Jinja2ChatFormatter` gives for a ChatML template."""

    def __init__(self, **_: Any) -> None:
        pass

    def __call__(self, *, messages: list[dict[str, Any]]) -> types.SimpleNamespace:
        body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return types.SimpleNamespace(prompt=body + "<|im_start|>assistant\n", stop=["<|im_end|>"])


def install_fake_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, llama: type) -> Path:
    """`llama_cpp` replaced by one whose `Llama` is `llama` (its `instances` emptied); the path of a model file."""
    chat_format = types.SimpleNamespace(Jinja2ChatFormatter=ChatmlFormatter)
    fake = types.SimpleNamespace(Llama=llama, llama_chat_format=chat_format)
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    monkeypatch.setattr(llama, "instances", [])
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    return path
