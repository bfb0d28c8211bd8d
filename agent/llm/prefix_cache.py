"""Saved llama.cpp states of recent prompt prefixes, so a prompt resumes from the longest one instead of re-reading it.

llama.cpp's context holds one sequence: a zh turn after an en one (or a tool-routing call between two replies) has lost
its system prompt from the context, and re-reading ~290 tokens costs ~4-5 s on two cores. A saved state brings it
back in milliseconds.

Why not `llama_cpp.LlamaRAMCache` as it is: its states carry a copy of the logits of every prompt token (vocabulary ×
4 bytes ≈ 0.6 MB a token, ~180 MB for a 290-token system prompt) that its size limit does not count, so 512 MB of
"cache" held several GB. Sampling runs in llama.cpp's sampler and a restored state always decodes one token again
before it samples, so those logits are never read: this cache keeps one row (what `Llama.load_state` needs to fill
its buffer) and counts every byte it keeps. States marked `pinned` (the warmed-up system prompts) are never evicted:
the first customer of each language finds theirs however many other prompts came between.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_cpp.llama import LlamaState


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def state_bytes(state: LlamaState) -> int:
    return int(state.llama_state_size) + int(state.scores.nbytes) + int(state.input_ids.nbytes)


class PrefixCache:
    """LRU over saved states, keyed by their tokens; lookups find the key sharing the longest prefix.

    It is also what `Llama.set_cache` takes (`llama_cpp.BaseLlamaCache`'s methods), so the calls llama.cpp formats
    itself (tool calls) resume from it and save to it too.
    """

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self.states: OrderedDict[tuple[int, ...], LlamaState] = OrderedDict()
        self.pinned: set[tuple[int, ...]] = set()

    @property
    def cache_size(self) -> int:
        return sum(state_bytes(s) for s in self.states.values())

    def longest(self, tokens: Sequence[int]) -> tuple[tuple[int, ...] | None, int]:
        """The saved key sharing the longest prefix with `tokens`, and how long that prefix is."""
        best, best_len = None, 0
        for key in self.states:
            n = common_prefix(key, tokens)
            if n > best_len:
                best, best_len = key, n
        return best, best_len

    def __getitem__(self, key: Sequence[int]) -> LlamaState:
        found, _ = self.longest(key)
        if found is None:
            raise KeyError("no saved prefix")
        self.states.move_to_end(found)
        return self.states[found]

    def __contains__(self, key: Sequence[int]) -> bool:
        return self.longest(key)[0] is not None

    def __setitem__(self, key: Sequence[int], value: LlamaState) -> None:
        self.put(key, value)

    def put(self, key: Sequence[int], state: LlamaState, *, pin: bool = False) -> None:
        """Keep `state` (its logits cut to the last row), then evict unpinned states, oldest first, to fit."""
        k = tuple(int(t) for t in key)
        if len(state.scores) > 1:
            state.scores = state.scores[-1:].copy()
        self.states.pop(k, None)
        self.states[k] = state
        if pin:
            self.pinned.add(k)
        size = self.cache_size
        for old in list(self.states):
            if size <= self.capacity_bytes:
                break
            if old in self.pinned or old == k:
                continue
            size -= state_bytes(self.states.pop(old))
