"""Runs inside the harness page for the reliability tests: a queue whose handler logs every execution durably.

Each execution writes a row to a separate ``executions`` database *before* the
handler does its work, in a transaction that has committed when the handler
goes on, so the tests can count how often each task really ran, even across a
killed browser.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import js

from pyqueue import Fail, Queue, QueueRunner, TaskContext, TaskRegistry, TaskSpec, TaskStatus
from pyqueue.browser.idb import js_object, open_database, transaction
from pyqueue.browser.indexeddb_store import IndexedDBStore
from pyqueue.jsondata import JSONValue

LOG_DB = "executions"


@dataclass
class Work:
    n: int
    ms: int = 0
    fail: bool = False


def _create_log(db: Any, _tx: Any, old: int, _new: int) -> None:
    if old < 1:
        db.createObjectStore("runs", js_object({"autoIncrement": True}))


class Worker:
    """One tab's queue, runner and execution log."""

    def __init__(self, queue: Queue, runner: QueueRunner, log: Any) -> None:
        self.queue = queue
        self.runner = runner
        self.log = log
        self.enqueued = 0

    @classmethod
    async def open(
        cls,
        db_name: str,
        *,
        lease_ms: float,
        concurrency: int = 1,
        batch_size: int = 1,
        rate_limit: tuple[int, float] | None = None,
    ) -> Worker:
        store = await IndexedDBStore.open(db_name)
        log = await open_database(LOG_DB, 1, _create_log)
        registry = TaskRegistry()
        queue = Queue(store, registry)
        runner = QueueRunner(queue, lease_ms=lease_ms, concurrency=concurrency, batch_size=batch_size)
        worker = cls(queue, runner, log)
        registry.register("work", worker.work, max_attempts=10, rate_limit=rate_limit)
        return worker

    async def work(self, payload: Work, ctx: TaskContext) -> JSONValue:
        entry = {
            "task": ctx.task.id,
            "owner": self.runner.owner,
            "attempt": ctx.attempt,
            "at": js.Date.now(),
            "started": ctx.task.started_at,  # the claim's time, which a rate limit counts
        }
        await transaction(self.log.db(), ["runs"], "readwrite", lambda tx: tx.store("runs").add(js_object(entry)))
        if payload.ms:
            await asyncio.sleep(payload.ms / 1000.0)
        if payload.fail:
            raise Fail(f"work {payload.n} failed on purpose")
        return {"n": payload.n}

    async def enqueue(self, first: int, count: int, *, chunk: int = 50, ms: int = 0) -> None:
        """Enqueue tasks ``first .. first+count-1`` in chunks, yielding between chunks."""
        for start in range(first, first + count, chunk):
            specs = [TaskSpec("work", Work(n, ms)) for n in range(start, min(start + chunk, first + count))]
            await self.queue.enqueue_many(specs)
            self.enqueued += len(specs)
            await asyncio.sleep(0)

    async def enqueue_flows(self, count: int, *, ms: int, failing: int | None = None) -> str:
        """Enqueue *count* flows of three steps and a join depending on them; flow *failing* has a step that fails.

        Returns ``[[step ids...], join id]`` per flow, as JSON.
        """
        flows = []
        for i in range(count):
            steps = [TaskSpec("work", Work(10 * i + k, ms, fail=(i == failing and k == 1))) for k in range(3)]
            join = TaskSpec("work", Work(10 * i + 9), priority=10, depends_on=[0, 1, 2])
            *step_ids, join_id = await self.queue.enqueue_many([*steps, join])
            flows.append([step_ids, join_id])
        return json.dumps(flows)

    async def executions(self) -> str:
        """Every logged execution as JSON: ``[{"task", "owner", "attempt", "at"}, ...]``."""
        request = await transaction(self.log.db(), ["runs"], "readonly", lambda tx: tx.store("runs").getAll())
        return str(js.JSON.stringify(request.result))

    async def summary(self) -> str:
        """Counts per status and every task record, as JSON."""
        stats = await self.queue.stats()
        records = await self.queue.store.records()
        return json.dumps({"counts": stats.by_status, "tasks": records, "runner": vars(self.runner.counts)})

    async def live(self) -> int:
        stats = await self.queue.stats()
        return sum(stats.by_status[s] for s in (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.PROCESSING))
