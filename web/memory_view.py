"""The memory as the user sees it: notes, claims with their confidence, observations, chains, goals,
the session summary and the syntheses. Everything here is the user's own text: set as text only.
"""

from __future__ import annotations

from typing import Any

from .dom import by_id, clock, el, set_text
from .memory.model import CONTRADICTION, Memory
from .memory.reader import describe

MAX_SHOWN = 60


def _meter(value: float, label: str) -> Any:
    return el("meter", min="0", max="1", value=f"{value:.3f}", aria_label=label, title=f"{value:.0%}")


def _more(count: int) -> Any:
    return el("li", text=f"… and {count} more", cls="more") if count > 0 else None


class MemoryView:
    def show(self, memory: Memory, extracting: set[str]) -> None:
        counts = memory.counts()
        for store, n in counts.items():
            set_text(f"n-{store}", str(n))
        self._notes(memory, extracting)
        self._claims(memory)
        self._flags(memory)
        self._chains(memory)
        self._goals(memory)
        self._summary(memory)
        self._syntheses(memory)
        self._set_aside(memory)

    def _notes(self, memory: Memory, extracting: set[str]) -> None:
        units = sorted(memory.units.values(), key=lambda u: (-u.created_at, u.id))
        items = []
        for unit in units[:MAX_SHOWN]:
            if unit.extracted_hash == unit.content_hash:
                state = f"{unit.claim_count} claim{'s' if unit.claim_count != 1 else ''}"
            else:
                state = "extracting…" if unit.id in extracting else "waiting for extraction"
            saves = f" · saved {unit.saves} times" if unit.saves > 1 else ""
            items.append(
                el(
                    "li",
                    el("p", text=unit.text, cls="note-text"),
                    el("p", text=f"{clock(unit.created_at)} · {state}{saves}", cls="meta"),
                    data_unit_id=unit.id,
                    data_extracted="true" if unit.extracted_hash == unit.content_hash else "false",
                )
            )
        by_id("notes-list").replaceChildren(*items, *filter(None, [_more(len(units) - MAX_SHOWN)]))
        by_id("notes-empty").hidden = bool(units)

    def _claims(self, memory: Memory) -> None:
        claims = sorted(memory.claims.values(), key=lambda c: (-c.confidence, -c.last_seen, c.id))
        items = [
            el(
                "li",
                _meter(c.confidence, "confidence"),
                el("span", text=c.text, cls="claim-text"),
                el(
                    "span",
                    text=f"{c.confidence:.0%} · {c.support} note{'s' if c.support != 1 else ''} · {', '.join(c.terms)}",
                    cls="meta",
                ),
                data_claim_id=c.id,
                cls="negated" if c.negated else None,
            )
            for c in claims[:MAX_SHOWN]
        ]
        by_id("claims-list").replaceChildren(*items, *filter(None, [_more(len(claims) - MAX_SHOWN)]))

    def _flags(self, memory: Memory) -> None:
        flags = sorted(memory.flags.values(), key=lambda f: (-f.created_at, f.id))
        items = []
        for flag in flags[:MAX_SHOWN]:
            if flag.kind == CONTRADICTION:
                texts = [memory.claims[i].text for i in flag.claim_ids if i in memory.claims]
                body = el("span", text=" ↔ ".join(texts) or flag.note)
            else:
                body = el("span", text=flag.note)
            items.append(el("li", el("span", text=flag.kind, cls=f"tag {flag.kind}"), body, data_kind=flag.kind))
        by_id("flags-list").replaceChildren(*items)

    def _chains(self, memory: Memory) -> None:
        chains = sorted(memory.chains.values(), key=lambda c: (c.dormant, -len(c.claim_ids), c.term))
        items = [
            el(
                "li",
                el("span", text=c.term, cls="term"),
                el("span", text=f"{len(c.claim_ids)} claims", cls="meta"),
                el(
                    "span", text="dormant" if c.dormant else "active", cls=f"tag {'dormant' if c.dormant else 'active'}"
                ),
                data_chain=c.term,
            )
            for c in chains[:MAX_SHOWN]
        ]
        by_id("chains-list").replaceChildren(*items)

    def _goals(self, memory: Memory) -> None:
        goals = sorted(memory.goals.values(), key=lambda g: g.created_at)
        items = [
            el(
                "li",
                el("span", text=g.text, cls="goal-text"),
                _meter(g.progress, f"progress of {g.text}"),
                el(
                    "span",
                    text=f"{g.progress:.0%} · covers {', '.join(g.matched) or 'nothing yet'}"
                    + ("" if g.checked_at else " · not checked yet"),
                    cls="meta",
                ),
                data_goal_id=g.id,
            )
            for g in goals
        ]
        by_id("goals-list").replaceChildren(*items)
        by_id("goals-empty").hidden = bool(goals)

    def _summary(self, memory: Memory) -> None:
        latest = max(memory.summaries.values(), key=lambda s: s.id, default=None)
        set_text("summary", latest.text if latest else "No summary yet: add a note.")
        set_text("summary-when", f"session {latest.id}, at {clock(latest.generated_at)}" if latest else "")

    def _syntheses(self, memory: Memory) -> None:
        items = [
            el("li", el("span", text=s.topic, cls="term"), el("span", text=s.text), data_topic=s.topic)
            for s in sorted(memory.syntheses.values(), key=lambda s: (-s.generated_at, s.topic))[:MAX_SHOWN]
        ]
        by_id("syntheses-list").replaceChildren(*items)

    def _set_aside(self, memory: Memory) -> None:
        """Records of the wrong shape in storage: not shown above, so the page says which and why."""
        set_text("memory-set-aside", describe(memory.set_aside))
        by_id("memory-set-aside").hidden = not memory.set_aside
