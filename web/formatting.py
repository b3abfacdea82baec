"""Numbers in words for the dashboard: durations, sizes, retention periods (the numbers: :mod:`pyqueue.metrics`)."""

from __future__ import annotations


def format_ms(ms: float | None) -> str:
    """``"—"``, ``"850 ms"``, ``"2.4 s"``, ``"3.1 min"``."""
    if ms is None:
        return "—"
    if ms < 1_000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"


def format_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def format_age(ms: float) -> str:
    """A retention period in words: ``"24 h"``, ``"7 days"``, ``"90 s"``."""
    if ms % 86_400_000 == 0 and ms >= 2 * 86_400_000:
        return f"{ms / 86_400_000:.0f} days"
    if ms % 3_600_000 == 0:
        return f"{ms / 3_600_000:.0f} h"
    if ms % 60_000 == 0:
        return f"{ms / 60_000:.0f} min"
    return f"{ms / 1000:g} s"
