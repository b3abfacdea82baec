"""The memory app's eight background task types: typed payloads and their handlers.

The chain a new note starts::

    extract_from_unit -> run_observer -> consolidate_memory -> generate_session_summary
                                                            -> check_goal_progress (per goal)
                                                            -> generate_synthesis (per grown topic; needs the network)

``decay_claims`` and ``check_chain_dormancy`` are periodic (:mod:`pyqueue.periodic`).
Every follow-up has a unique key derived from what it works on, so a retried
or repeated step never starts a second chain. Handlers report progress with
``ctx.progress({"done": i, "of": n, "step": ...})``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyqueue import Fail, Queue, TaskContext, TaskRegistry, TaskSpec
from pyqueue.browser.network import offline
from pyqueue.clock import Clock, wall_clock
from pyqueue.registry import Handler

from . import logic
from .model import Memory, Unit
from .store import MemoryBackend

EXTRACT = "extract_from_unit"
OBSERVE = "run_observer"
CONSOLIDATE = "consolidate_memory"
DORMANCY = "check_chain_dormancy"
SUMMARY = "generate_session_summary"
DECAY = "decay_claims"
GOAL = "check_goal_progress"
SYNTHESIS = "generate_synthesis"

SlotPayload = Callable[[int, float], object]
"""``make(slot, interval_ms)``: the payload of a periodic type's run for slot number *slot*."""

TASK_TYPES = (EXTRACT, OBSERVE, CONSOLIDATE, DORMANCY, SUMMARY, DECAY, GOAL, SYNTHESIS)
NETWORK_TYPES = frozenset({SYNTHESIS})
"""Types that need the network: their handlers park them while the browser is offline.

In the reference design a synthesis asks a language model; here it is computed
locally, but the type keeps its need for the network so parking is real.
"""


# ----------------------------------------------------------------------------- payloads


@dataclass
class ExtractFromUnit:
    """Extract claims from one version (content hash) of a note."""

    unit_id: str
    content_hash: str


@dataclass
class RunObserver:
    """Run observers over the claims of one extracted note version."""

    unit_id: str
    content_hash: str
    observers: list[str] = field(default_factory=lambda: list(logic.OBSERVERS))


@dataclass
class ConsolidateMemory:
    """Merge the note's claims into near-duplicates and relink the chains."""

    unit_id: str
    content_hash: str


@dataclass
class CheckChainDormancy:
    """Periodic: mark chains with no recent activity dormant."""

    slot: int
    interval_ms: float


@dataclass
class GenerateSessionSummary:
    """Summarise one session (a UTC day) as it stood at *fingerprint*."""

    session_id: str
    fingerprint: str = ""


@dataclass
class DecayClaims:
    """Periodic: lower the confidence of claims not seen for a while."""

    slot: int
    interval_ms: float


@dataclass
class CheckGoalProgress:
    """Check one goal against the claims at memory *revision*."""

    goal_id: str
    revision: int = 0


@dataclass
class GenerateSynthesis:
    """Combine the claims on *topic* (as they stood at *fingerprint*) into one statement."""

    topic: str
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class MemoryConfig:
    """Timings of the memory's background work; the page reads them from its query string."""

    pace_ms: float = 120.0
    """Pause between the steps of a handler, so a person can watch the progress (0 in tests)."""
    decay_every_ms: float = 60_000.0
    dormancy_every_ms: float = 120_000.0
    stale_after_ms: float = 10 * 60_000.0
    decay_factor: float = 0.85
    dormant_after_ms: float = 30 * 60_000.0
    chunk: int = 20
    periodic: bool = True


class MemoryWorker:
    """The handlers, with what they need: the memory, the queue for follow-ups, the clock and the network state."""

    def __init__(
        self,
        memory: MemoryBackend,
        *,
        config: MemoryConfig = MemoryConfig(),
        clock: Clock = wall_clock,
        online: Callable[[], bool] = lambda: True,
    ) -> None:
        self.memory = memory
        self.config = config
        self.clock = clock
        self.online = online
        self._queue: Queue | None = None

    # -- wiring ---------------------------------------------------------------

    def register(self, registry: TaskRegistry) -> None:
        registry.register(EXTRACT, self.extract_from_unit, max_attempts=3)
        registry.register(OBSERVE, self.run_observer, max_attempts=3)
        registry.register(CONSOLIDATE, self.consolidate_memory, max_attempts=3)
        self._periodic(registry, DORMANCY, self.check_chain_dormancy, self.config.dormancy_every_ms, CheckChainDormancy)
        registry.register(SUMMARY, self.generate_session_summary, max_attempts=3)
        self._periodic(registry, DECAY, self.decay_claims, self.config.decay_every_ms, DecayClaims)
        registry.register(GOAL, self.check_goal_progress, max_attempts=3)
        registry.register(SYNTHESIS, self.generate_synthesis, max_attempts=3)

    def _periodic(
        self, registry: TaskRegistry, name: str, handler: Handler, every_ms: float, make: SlotPayload
    ) -> None:
        """A periodic type, one run per slot; with ``config.periodic`` off, a plain type that nothing schedules."""
        if self.config.periodic:

            def payload(start: float) -> object:
                return make(int(start // every_ms), every_ms)

            registry.periodic(name, every_ms=every_ms, payload=payload, max_attempts=2)(handler)
        else:
            registry.register(name, handler, max_attempts=2)

    def bind(self, queue: Queue) -> None:
        self._queue = queue

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            raise RuntimeError("MemoryWorker.bind(queue) was not called")
        return self._queue

    @staticmethod
    def spec(task_type: str, payload: object, unique_key: str, priority: int = 0) -> TaskSpec:
        return TaskSpec(task_type, payload, priority=priority, unique_key=unique_key)

    async def _step(self, ctx: TaskContext, done: int, of: int, step: str) -> None:
        await ctx.progress({"done": done, "of": of, "step": step})
        if self.config.pace_ms > 0 and done < of:
            await asyncio.sleep(self.config.pace_ms / 1000.0)

    # -- what the page calls --------------------------------------------------

    async def add_note(self, text: str, unit_id: str | None = None) -> tuple[logic.Saved, str]:
        """Save a note and enqueue its extraction (once per version of its text); return both."""
        now = self.clock()
        saved = await self.memory.change(lambda m: logic.save_unit(m, text, now, unit_id))
        task_id = await self.queue.enqueue(
            EXTRACT,
            ExtractFromUnit(saved.unit.id, saved.unit.content_hash),
            priority=10,
            unique_key=extract_key(saved.unit),
        )
        return saved, task_id

    async def add_goal(self, text: str) -> tuple[str, str]:
        """Set a goal and enqueue its first check; return the goal's and the task's ids."""
        now = self.clock()
        goal, revision = await self.memory.change(lambda m: (logic.add_goal(m, text, now), m.revision))
        task_id = await self.queue.enqueue(
            GOAL, CheckGoalProgress(goal.id, revision), unique_key=f"goal:{goal.id}:r{revision}"
        )
        return goal.id, task_id

    # -- the chain ---------------------------------------------------------

    async def extract_from_unit(self, p: ExtractFromUnit, ctx: TaskContext) -> Any:
        memory = await self.memory.read()
        reason = logic.extraction_skip_reason(memory, p.unit_id, p.content_hash)
        if reason is None:
            unit = memory.units[p.unit_id]
            sentences = logic.tx.sentences(unit.text)
            total = len(sentences) + 1
            drafts: list[logic.Draft] = []
            for i, sentence in enumerate(sentences):
                drafts += logic.draft_claims(sentence)
                if i % max(1, total // 4) == 0:
                    await self._step(ctx, i + 1, total, "reading sentences")
            now = self.clock()
            ids = await self.memory.change(lambda m: logic.apply_extraction(m, p.unit_id, p.content_hash, drafts, now))
            await self._step(ctx, total, total, "claims stored")
            result: dict[str, Any] = {"claims": len(ids), "sentences": len(sentences)}
        else:
            result = {"skipped": reason}
        if reason is None or reason.startswith("this version"):
            # Also when already extracted: a retried attempt must still start the rest of the chain.
            key = f"observe:{p.unit_id}:{p.content_hash}"
            await self.queue.enqueue_many([self.spec(OBSERVE, RunObserver(p.unit_id, p.content_hash), key, 5)])
        return result

    async def run_observer(self, p: RunObserver, ctx: TaskContext) -> Any:
        unknown = [name for name in p.observers if name not in logic.OBSERVERS]
        if unknown:
            raise Fail(f"unknown observer(s) {', '.join(unknown)}; known: {', '.join(logic.OBSERVERS)}")
        found: dict[str, int] = {}
        for i, name in enumerate(p.observers):
            now = self.clock()
            observe = logic.OBSERVERS[name]
            flags = await self.memory.change(lambda m, observe=observe, now=now: observe(m, p.unit_id, now))
            found[name] = len(flags)
            await self._step(ctx, i + 1, len(p.observers), name)
        key = f"consolidate:{p.unit_id}:{p.content_hash}"
        await self.queue.enqueue_many([self.spec(CONSOLIDATE, ConsolidateMemory(p.unit_id, p.content_hash), key, 4)])
        return {"flags": found}

    async def consolidate_memory(self, p: ConsolidateMemory, ctx: TaskContext) -> Any:
        merged = await self.memory.change(lambda m: logic.merge_duplicates(m, p.unit_id))
        await self._step(ctx, 1, 2, "merging near-duplicates")
        follow = await self.memory.change(lambda m: (logic.rebuild_chains(m), self._follow_ups(m, p.unit_id)))
        changed_chains, specs = follow
        await self.queue.enqueue_many(specs)
        await self._step(ctx, 2, 2, "relinking chains")
        return {"merged": len(merged), "chains_changed": len(changed_chains), "follow_ups": len(specs)}

    def _follow_ups(self, memory: Memory, unit_id: str) -> list[TaskSpec]:
        specs = []
        unit = memory.units.get(unit_id)
        if unit is not None:
            sid = unit.session_id
            fp = logic.session_fingerprint(memory, sid)
            specs.append(self.spec(SUMMARY, GenerateSessionSummary(sid, fp), f"summary:{sid}:{fp}", 2))
        for goal_id in sorted(memory.goals):
            rev = memory.revision
            specs.append(self.spec(GOAL, CheckGoalProgress(goal_id, rev), f"goal:{goal_id}:r{rev}", 1))
        for topic, fp in logic.synthesis_topics(memory):
            specs.append(self.spec(SYNTHESIS, GenerateSynthesis(topic, fp), f"synthesis:{topic}:{fp}"))
        return specs

    # -- derived views -------------------------------------------------------

    async def generate_session_summary(self, p: GenerateSessionSummary, ctx: TaskContext) -> Any:
        await self._step(ctx, 0, 1, "reading the session")
        now = self.clock()
        summary = await self.memory.change(lambda m: logic.summarize_session(m, p.session_id, now))
        await self._step(ctx, 1, 1, "written")
        if summary is None:
            return {"skipped": "no notes in this session"}
        return {"session": p.session_id, "notes": summary.unit_count, "claims": summary.claim_count}

    async def check_goal_progress(self, p: CheckGoalProgress, ctx: TaskContext) -> Any:
        now = self.clock()
        goal = await self.memory.change(lambda m: logic.goal_progress(m, p.goal_id, now))
        await self._step(ctx, 1, 1, "checked")
        if goal is None:
            return {"skipped": "the goal is gone"}
        return {"goal": goal.id, "progress": goal.progress, "matched": list(goal.matched)}

    async def generate_synthesis(self, p: GenerateSynthesis, ctx: TaskContext) -> Any:
        if not self.online():
            raise offline()  # parked: no attempt used, no error; the page unparks it when back online
        await self._step(ctx, 0, 1, "combining claims")
        now = self.clock()
        synthesis = await self.memory.change(lambda m: logic.synthesize(m, p.topic, now))
        await self._step(ctx, 1, 1, "written")
        if synthesis is None:
            return {"skipped": f"fewer than two claims on {p.topic!r}"}
        return {"topic": p.topic, "claims": len(synthesis.claim_ids)}

    # -- periodic ------------------------------------------------------------

    async def decay_claims(self, p: DecayClaims, ctx: TaskContext) -> Any:
        memory = await self.memory.read()
        if int(memory.meta.get("decay_slot", -1)) >= p.slot:
            return {"slot": p.slot, "skipped": "this slot already decayed"}
        ids = logic.decay_candidates(memory, self.clock(), self.config.stale_after_ms, p.slot)
        chunks = [ids[i : i + self.config.chunk] for i in range(0, len(ids), self.config.chunk)] or [[]]
        lowered = 0
        for i, chunk in enumerate(chunks):
            lowered += await self.memory.change(
                lambda m, chunk=chunk: logic.decay(m, chunk, p.slot, self.config.decay_factor)
            )
            await self._step(ctx, i + 1, len(chunks), "lowering confidence")
        return {"slot": p.slot, "decayed": lowered, "claims": len(memory.claims)}

    async def check_chain_dormancy(self, p: CheckChainDormancy, ctx: TaskContext) -> Any:
        now = self.clock()
        dormant = await self.memory.change(lambda m: logic.check_dormancy(m, now, self.config.dormant_after_ms))
        await self._step(ctx, 1, 1, "checked")
        return {"slot": p.slot, "dormant": len(dormant)}


def extract_key(unit: Unit) -> str:
    return f"extract:{unit.id}:{unit.content_hash}"
