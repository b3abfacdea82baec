"""How the dashboard writes times, durations, sizes and JSON values as text. Pure: tested under CPython."""

from __future__ import annotations

import json
import time

ELLIPSIS = "…"


def clock_time(ms: float | None) -> str:
    """Local wall-clock time ``HH:MM:SS`` of an epoch-milliseconds time, or ``""`` for none."""
    return "" if ms is None else time.strftime("%H:%M:%S", time.localtime(ms / 1000.0))


def format_ms(ms: float | None) -> str:
    """A duration: ``"—"``, ``"850 ms"``, ``"2.4 s"``, ``"3.1 min"``."""
    if ms is None:
        return "—"
    if ms < 1_000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"


def format_age(ms: float) -> str:
    """A period in words, as a person would set it: ``"24 h"``, ``"7 days"``, ``"5 min"``, ``"90 s"``."""
    if ms >= 2 * 86_400_000 and ms % 86_400_000 == 0:
        return f"{ms / 86_400_000:.0f} days"
    if ms >= 3_600_000 and ms % 3_600_000 == 0:
        return f"{ms / 3_600_000:.0f} h"
    if ms >= 60_000 and ms % 60_000 == 0:
        return f"{ms / 60_000:.0f} min"
    return f"{ms / 1000:g} s"


def format_bytes(n: float | None) -> str:
    """A size in decimal units, as browsers report quotas: ``"12 B"``, ``"221.2 kB"``, ``"1.5 GB"``."""
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def plural(n: int, word: str) -> str:
    """``"1 task"``, ``"2 tasks"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def short_json(value: object, limit: int = 120) -> str:
    """*value* as one line of JSON, cut to *limit* characters with an ellipsis."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def pretty_json(value: object) -> str:
    """*value* as indented JSON, for a task's payload and result in its detail."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
