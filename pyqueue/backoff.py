"""How long to wait before retrying a failed task: a plain function, easy to swap and to test."""

from __future__ import annotations

import random
from collections.abc import Callable

Jitter = Callable[[float], float]
"""Turns a computed delay into the delay actually used."""

BackoffPolicy = Callable[[int], float]
"""Maps the number of the attempt that just failed (1-based) to a delay in milliseconds."""


def full_jitter(delay_ms: float) -> float:
    """Spread retries uniformly over ``[delay/2, delay]`` so that tabs do not retry in lockstep."""
    return random.uniform(delay_ms / 2.0, delay_ms)


def exponential_backoff(
    attempt: int,
    *,
    base_ms: float = 1_000.0,
    factor: float = 2.0,
    max_ms: float = 3_600_000.0,
    jitter: Jitter | None = full_jitter,
) -> float:
    """Return the delay before retrying after failed attempt number *attempt* (1-based).

    The delay grows as ``base * factor ** (attempt - 1)``, capped at *max_ms*,
    then passes through *jitter* (``None`` gives the exact schedule, for tests).
    """
    if attempt < 1:
        raise ValueError(f"attempt numbers start at 1, got {attempt}")
    delay = min(max_ms, base_ms * factor ** (attempt - 1))
    return jitter(delay) if jitter is not None else delay
