"""The throughput chart (inline SVG built element by element) and the per-type table."""

from __future__ import annotations

import math
from typing import Any

from pyqueue.metrics import Bucket, TypeStats

from .dom import by_id, clock, el, svg
from .formatting import format_ms

WIDTH = 640
HEIGHT = 180
LEFT = 34
RIGHT = 8
TOP = 10
BOTTOM = 22


def nice_max(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 ... at or above *value* (at least 4, so small counts read well)."""
    target = max(4, value)
    power = 10 ** math.floor(math.log10(target))
    for step in (1, 2, 5, 10):
        if step * power >= target:
            return step * power
    return 10 * power


class ThroughputChart:
    """Bars of completed (and, stacked on top, failed) tasks per interval; the axes never move."""

    def __init__(self, window_ms: float, bucket_ms: float) -> None:
        self.window_ms = window_ms
        self.bucket_ms = bucket_ms
        self.root = by_id("throughput")
        self.root.setAttribute("viewBox", f"0 0 {WIDTH} {HEIGHT}")
        self.grid = svg("g", cls="grid")
        self.bars = svg("g", cls="bars")
        self.axis = svg("g", cls="axis")
        self.desc = svg("desc", id="throughput-desc", text="No data yet.")
        title = svg("title", id="throughput-title", text="Tasks finished per interval")
        self.root.replaceChildren(title, self.desc, self.grid, self.bars, self.axis)
        self._draw_x_axis()
        by_id("throughput-bucket").textContent = f"per {bucket_ms / 1000:g} s over {window_ms / 60_000:g} min"

    def _draw_x_axis(self) -> None:
        base = HEIGHT - BOTTOM
        minutes = self.window_ms / 60_000
        minus = "\u2212"
        mid = (LEFT + WIDTH - RIGHT) / 2
        self.axis.replaceChildren(
            svg("line", x1=LEFT, y1=base, x2=WIDTH - RIGHT, y2=base, cls="baseline"),
            svg("text", x=LEFT, y=HEIGHT - 6, text=f"{minus}{minutes:g} min", cls="x-label"),
            svg("text", x=mid, y=HEIGHT - 6, text=f"{minus}{minutes / 2:g} min", cls="x-label mid"),
            svg("text", x=WIDTH - RIGHT, y=HEIGHT - 6, text="now", cls="x-label end"),
        )

    def draw(self, buckets: list[Bucket]) -> None:
        top = nice_max(max((b.completed + b.failed for b in buckets), default=0))
        inner_h = HEIGHT - TOP - BOTTOM
        y_of = lambda n: HEIGHT - BOTTOM - inner_h * n / top  # noqa: E731 - a tiny local scale
        self.grid.replaceChildren(
            *(
                svg(
                    "g",
                    svg("line", x1=LEFT, y1=y_of(v), x2=WIDTH - RIGHT, y2=y_of(v)),
                    svg("text", x=LEFT - 5, y=y_of(v) + 4, text=str(v), cls="y-label"),
                )
                for v in (top // 2, top)
            )
        )
        slot = (WIDTH - LEFT - RIGHT) / max(1, len(buckets))
        bar_w = max(1.0, slot * 0.72)
        groups = []
        for i, b in enumerate(buckets):
            x = LEFT + i * slot + (slot - bar_w) / 2
            parts: list[Any] = [
                svg("title", text=f"{clock(b.start)}: {b.completed} completed, {b.failed} failed"),
                # An invisible full-height target so the tooltip works over empty buckets too.
                svg("rect", x=f"{LEFT + i * slot:.2f}", y=TOP, width=f"{slot:.2f}", height=inner_h, cls="hit"),
            ]
            if b.completed:
                parts.append(self._bar(x, bar_w, y_of(b.completed), y_of(0), "completed"))
            if b.failed:
                parts.append(self._bar(x, bar_w, y_of(b.completed + b.failed), y_of(b.completed), "failed"))
            groups.append(svg("g", *parts, cls="bucket", data_completed=b.completed, data_failed=b.failed))
        self.bars.replaceChildren(*groups)
        done = sum(b.completed for b in buckets)
        failed = sum(b.failed for b in buckets)
        self.root.setAttribute("data-completed", str(done))
        self.root.setAttribute("data-failed", str(failed))
        self.desc.textContent = (
            f"{done} completed and {failed} failed in the last {self.window_ms / 60_000:g} minutes, "
            f"per {self.bucket_ms / 1000:g} seconds"
        )
        by_id("throughput-total").textContent = f"{done} completed · {failed} failed"

    @staticmethod
    def _bar(x: float, width: float, y_top: float, y_bottom: float, kind: str) -> Any:
        return svg(
            "rect", x=f"{x:.2f}", y=f"{y_top:.2f}", width=f"{width:.2f}", height=f"{y_bottom - y_top:.2f}", cls=kind
        )


class TypeTable:
    """One row per task type: waiting, running, completed, failed, attempt errors, median and p95 duration."""

    def __init__(self) -> None:
        self.body = by_id("type-rows")
        self._rows: dict[str, Any] = {}

    def draw(self, rows: list[TypeStats]) -> None:
        for row in rows:
            tr = self._rows.get(row.type)
            if tr is None:
                tr = el("tr", data_type=row.type)
                self._rows[row.type] = tr
                self.body.appendChild(tr)
            cells = [
                (row.type, "type"),
                (str(row.waiting), "num"),
                (str(row.running), "num"),
                (str(row.completed), "num"),
                (str(row.failed), "num bad" if row.failed else "num"),
                (str(row.attempt_errors), "num warn" if row.attempt_errors else "num"),
                (format_ms(row.median_ms), "num"),
                (format_ms(row.p95_ms), "num"),
            ]
            if tr.childElementCount != len(cells):
                tr.replaceChildren(*(el("td") for _ in cells))
            for td, (text, cls) in zip(tr.children.to_py(), cells, strict=True):
                if td.textContent != text:
                    td.textContent = text
                if td.className != cls:
                    td.className = cls
