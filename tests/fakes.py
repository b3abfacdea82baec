"""Test doubles for time: a clock that moves only when a test says so."""

from __future__ import annotations

from .contract_cases import T0


class FakeClock:
    """Epoch-milliseconds clock for tests; ``advance`` moves it, nothing else does."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms
