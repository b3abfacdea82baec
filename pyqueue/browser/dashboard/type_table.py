"""Per task type: in line, blocked, running, completed, failed, attempt errors, p50 and p95; errors by kind.

The numbers are :func:`pyqueue.metrics.collect_metrics`'; this module only
writes them. Rows are updated cell by cell, so the table does not flicker.
"""

from __future__ import annotations

from typing import Any

from pyqueue.metrics import TypeStats

from .dom import el, set_text
from .formatting import format_ms

HEADINGS = (
    ("type", "task type"),
    ("wait", "scheduled or pending"),
    ("blocked", "waiting for their dependencies to complete"),
    ("run", "processing"),
    ("done", "completed"),
    ("failed", "failed for good"),
    ("errors", "failed attempts, retried or not"),
    ("p50", "median duration"),
    ("p95", "95th percentile duration"),
)


def type_cells(row: TypeStats) -> list[tuple[str, str]]:
    """The row's cells as ``(text, class)``; failures and errors are marked so they stand out."""
    return [
        (row.type, "pqd-type"),
        (str(row.waiting), "pqd-num"),
        (str(row.blocked), "pqd-num"),
        (str(row.running), "pqd-num"),
        (str(row.completed), "pqd-num"),
        (str(row.failed), "pqd-num pqd-bad" if row.failed else "pqd-num"),
        (str(row.attempt_errors), "pqd-num pqd-warn" if row.attempt_errors else "pqd-num"),
        (format_ms(row.median_ms), "pqd-num"),
        (format_ms(row.p95_ms), "pqd-num"),
    ]


class TypeTable:
    def __init__(self) -> None:
        head = el("tr", *(el("th", text=text, scope="col", title=title) for text, title in HEADINGS))
        self.body = el("tbody")
        self.kinds = el("ul", cls="pqd-kinds", data_part="error-kinds")
        self.sampled = el("p", cls="pqd-meta")
        self.root = el(
            "section",
            el("h3", text="Task types"),
            el("div", el("table", el("thead", head), self.body, cls="pqd-types"), cls="pqd-scroll"),
            el("h4", text="Attempt errors by exception"),
            self.kinds,
            self.sampled,
            cls="pqd-card pqd-type-table",
            data_part="types",
        )
        self._rows: dict[str, Any] = {}

    def draw(self, rows: list[TypeStats], errors_by_kind: dict[str, int], sampled: int) -> None:
        for row in rows:
            self._write(row)
        self.kinds.replaceChildren(
            *(
                el("li", el("span", text=kind, cls="pqd-type"), el("span", text=str(n), cls="pqd-num"), data_kind=kind)
                for kind, n in errors_by_kind.items()
            )
        )
        if not errors_by_kind:
            self.kinds.append(el("li", text="none", cls="pqd-empty"))
        set_text(self.sampled, f"Durations and errors from the {sampled} tasks finished most recently in the window.")

    def _write(self, row: TypeStats) -> None:
        tr = self._rows.get(row.type)
        if tr is None:
            tr = self._rows[row.type] = el("tr", data_type=row.type)
            self.body.append(tr)
        cells = type_cells(row)
        if tr.childElementCount != len(cells):
            tr.replaceChildren(*(el("td") for _ in cells))
        for td, (text, cls) in zip(tr.children.to_py(), cells, strict=True):
            set_text(td, text)
            if td.className != cls:
                td.className = cls
