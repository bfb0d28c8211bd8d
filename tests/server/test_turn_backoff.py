"""The back-off a `busy` refusal asks for: the configured one while refusals are few, doubling each second in which
refusals outnumber admitted turns (a storm of resends), back to the configured one once it is over."""

from __future__ import annotations

import asyncio

import pytest

from server.infra import admission
from server.infra.admission import MAX_RETRY_AFTER_MS, TurnGate, TurnsBusy

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _refusals(gate: TurnGate, n: int) -> list[int]:
    asked = []
    for _ in range(n):
        with pytest.raises(TurnsBusy) as info:
            async with gate.admit():
                pass
        asked.append(info.value.retry_after_ms)
    return asked


async def test_backoff_grows_in_a_storm_of_resends_and_falls_back_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(admission.time, "monotonic", clock)
    gate = TurnGate(in_flight=1, queued=0, wait_s=0.0, retry_after_ms=1000)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with gate.admit():
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    assert await _refusals(gate, 3) == [1000, 1000, 1000]  # one admitted, three refused in this second
    clock.now += 1.1
    assert await _refusals(gate, 3) == [2000, 2000, 2000]
    clock.now += 1.1
    assert (await _refusals(gate, 1))[0] == 4000
    for _ in range(10):
        clock.now += 1.1
        await _refusals(gate, 2)
    assert gate.backoff_ms == MAX_RETRY_AFTER_MS  # bounded
    release.set()
    await holder
    clock.now += 5.0  # the storm is over: a quiet while, then a refusal asks for the configured back-off again
    await held.wait()
    held.clear()
    release.clear()
    holder = asyncio.create_task(hold())
    await held.wait()
    assert await _refusals(gate, 1) == [1000]
    release.set()
    await holder


async def test_a_few_refusals_among_many_admitted_turns_keep_the_configured_backoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(admission.time, "monotonic", clock)
    gate = TurnGate(in_flight=1, queued=0, wait_s=0.0, retry_after_ms=700)
    for _ in range(5):
        for _ in range(4):
            async with gate.admit():
                pass
        async with gate.admit():
            assert await _refusals(gate, 1) == [700]
        clock.now += 1.1
