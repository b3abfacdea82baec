"""The throughput chart: completed and failed tasks per interval, as SVG built element by element.

Sizes are SVG attributes in the chart's own coordinates (the CSP forbids
``style`` attributes, not these); colours come from ``dashboard.css``. The
axes never move: buckets are aligned to the interval (see
:func:`pyqueue.metrics.throughput`) and the scale only steps through 1, 2, 5.
"""

from __future__ import annotations

import math
from typing import Any

from pyqueue.metrics import Bucket

from .dom import el, set_text, svg
from .formatting import clock_time

WIDTH = 640
HEIGHT = 180
LEFT = 34
RIGHT = 8
TOP = 10
BOTTOM = 22
MINUS = "\u2212"


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above *value*, and at least 5 (small counts read well)."""
    target = max(4, value)
    power: int = 10 ** math.floor(math.log10(target))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= target)


def chart_summary(buckets: list[Bucket], window_ms: float, bucket_ms: float) -> str:
    """The chart in words, for its SVG description (what a screen reader says)."""
    done = sum(b.completed for b in buckets)
    failed = sum(b.failed for b in buckets)
    return (
        f"{done} completed and {failed} failed in the last {window_ms / 60_000:g} minutes, "
        f"per {bucket_ms / 1000:g} seconds"
    )


class ThroughputChart:
    """Bars of completed tasks with failed ones stacked on top, one per interval of the window."""

    def __init__(self, window_ms: float, bucket_ms: float) -> None:
        self.window_ms = window_ms
        self.bucket_ms = bucket_ms
        self.grid = svg("g", cls="pqd-grid")
        self.bars = svg("g", cls="pqd-bars")
        self.desc = svg("desc", text="No data yet.")
        self.svg = svg(
            "svg",
            svg("title", text="Tasks finished per interval"),
            self.desc,
            self.grid,
            self.bars,
            self._x_axis(),
            role="img",
            viewBox=f"0 0 {WIDTH} {HEIGHT}",
            preserveAspectRatio="xMidYMid meet",
            width=WIDTH,
            height=HEIGHT,
            cls="pqd-chart",
        )
        self.total = el("span", cls="pqd-meta", data_part="throughput-total")
        legend = el(
            "span",
            el("span", cls="pqd-swatch", data_status="completed"),
            "completed ",
            el("span", cls="pqd-swatch", data_status="failed"),
            f"failed, per {bucket_ms / 1000:g} s over {window_ms / 60_000:g} min",
            cls="pqd-meta",
        )
        self.root = el(
            "section",
            el("div", el("h3", text="Throughput"), legend, self.total, cls="pqd-head"),
            self.svg,
            cls="pqd-card pqd-throughput",
            data_part="throughput",
        )

    def _x_axis(self) -> Any:
        base = HEIGHT - BOTTOM
        minutes = self.window_ms / 60_000
        return svg(
            "g",
            svg("line", x1=LEFT, y1=base, x2=WIDTH - RIGHT, y2=base, cls="pqd-baseline"),
            svg("text", x=LEFT, y=HEIGHT - 6, text=f"{MINUS}{minutes:g} min"),
            svg("text", x=(LEFT + WIDTH - RIGHT) / 2, y=HEIGHT - 6, text=f"{MINUS}{minutes / 2:g} min", cls="pqd-mid"),
            svg("text", x=WIDTH - RIGHT, y=HEIGHT - 6, text="now", cls="pqd-end"),
            cls="pqd-axis",
        )

    def draw(self, buckets: list[Bucket]) -> None:
        top = nice_max(max((b.completed + b.failed for b in buckets), default=0))
        inner = HEIGHT - TOP - BOTTOM

        def y_of(n: float) -> float:
            return HEIGHT - BOTTOM - inner * n / top

        self.grid.replaceChildren(
            *(
                svg(
                    "g",
                    svg("line", x1=LEFT, y1=y_of(v), x2=WIDTH - RIGHT, y2=y_of(v)),
                    svg("text", x=LEFT - 5, y=y_of(v) + 4, text=str(v), cls="pqd-y"),
                )
                for v in (top // 2, top)
            )
        )
        slot = (WIDTH - LEFT - RIGHT) / max(1, len(buckets))
        width = max(1.0, slot * 0.72)
        groups = []
        for i, b in enumerate(buckets):
            x = LEFT + i * slot + (slot - width) / 2
            parts: list[Any] = [
                svg("title", text=f"{clock_time(b.start)}: {b.completed} completed, {b.failed} failed"),
                # An invisible full-height target, so the tooltip works over an empty interval too.
                svg("rect", x=f"{LEFT + i * slot:.2f}", y=TOP, width=f"{slot:.2f}", height=inner, cls="pqd-hit"),
            ]
            if b.completed:
                parts.append(self._bar(x, width, y_of(b.completed), y_of(0), "completed"))
            if b.failed:
                parts.append(self._bar(x, width, y_of(b.completed + b.failed), y_of(b.completed), "failed"))
            groups.append(svg("g", *parts, data_completed=b.completed, data_failed=b.failed))
        self.bars.replaceChildren(*groups)
        done = sum(b.completed for b in buckets)
        failed = sum(b.failed for b in buckets)
        self.svg.setAttribute("data-completed", str(done))
        self.svg.setAttribute("data-failed", str(failed))
        set_text(self.desc, chart_summary(buckets, self.window_ms, self.bucket_ms))
        set_text(self.total, f"{done} completed · {failed} failed")

    @staticmethod
    def _bar(x: float, width: float, y_top: float, y_bottom: float, status: str) -> Any:
        return svg(
            "rect",
            x=f"{x:.2f}",
            y=f"{y_top:.2f}",
            width=f"{width:.2f}",
            height=f"{y_bottom - y_top:.2f}",
            data_status=status,
        )
