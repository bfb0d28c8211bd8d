"""The per-socket frame budget: bursts pass, a flood is refused, a client that keeps flooding is cut off, and a
pause earns frames back."""

from __future__ import annotations

import pytest

from server.channels.budget import FrameBudget, Verdict, unlimited

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_frames_are_refused_then_the_socket_is_closed() -> None:
    clock = Clock()
    budget = FrameBudget(rate=5, burst=10, strikes=3, clock=clock)
    assert [budget.take() for _ in range(10)] == [Verdict.ALLOW] * 10
    assert budget.take() is Verdict.REFUSE and 0 < budget.retry_after() <= 0.2
    assert budget.take() is Verdict.REFUSE
    assert budget.take() is Verdict.CLOSE


def test_a_pause_refills_and_an_allowed_frame_forgives_the_strikes() -> None:
    clock = Clock()
    budget = FrameBudget(rate=5, burst=10, strikes=3, clock=clock)
    for _ in range(10):
        budget.take()
    assert budget.take() is Verdict.REFUSE and budget.take() is Verdict.REFUSE
    clock.now += 0.2  # one frame's worth
    assert budget.take() is Verdict.ALLOW
    assert budget.take() is Verdict.REFUSE  # the strikes started again from zero
    clock.now += 10
    assert [budget.take() for _ in range(10)] == [Verdict.ALLOW] * 10  # refilled to the burst, not beyond
    assert budget.take() is Verdict.REFUSE


def test_unlimited_never_refuses() -> None:
    budget = unlimited()
    assert all(budget.take() is Verdict.ALLOW for _ in range(10_000))
