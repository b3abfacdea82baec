"""What the page shows of the queue and the memory: a fast part re-rendered on every change, a slow part on a timer.

The fast part is the runner state, the counts, the task table and the memory;
the slow part is the chart, the per-type table, the live runners and storage.
When to render is :mod:`web.refresh`'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyqueue import Queue, QueueError, QueueRunner, RunnerState, TaskStatus, metrics
from pyqueue.browser.tabs import live_runners

from . import parking
from .chart import ThroughputChart, TypeTable
from .formatting import format_ms
from .memory.store import MemoryBackend
from .memory.tasks import EXTRACT
from .memory_view import MemoryView
from .network import online
from .panel import Panel
from .settings import Settings
from .storage_status import StorageStatus
from .task_table import Action, TaskTable

TABLE_ROWS = 50
METRIC_SAMPLE = 500
CHART_LIMIT = 20_000
STORAGE_EVERY_TICKS = 5


class Dashboard:
    chart: ThroughputChart
    types: TypeTable
    table: TaskTable
    memory_view: MemoryView

    def __init__(
        self,
        queue: Queue,
        runner: QueueRunner,
        memory: MemoryBackend,
        settings: Settings,
        panel: Panel,
        storage: StorageStatus,
    ) -> None:
        self.queue = queue
        self.runner = runner
        self.memory = memory
        self.settings = settings
        self.panel = panel
        self.storage = storage
        self._ticks = 0

    def mount(self, on_action: Action, on_filter: Callable[[], None]) -> None:
        """Build the views on the page; the task table starts listening to its buttons and filters."""
        self.chart = ThroughputChart(self.settings.chart_window_ms, self.settings.chart_bucket_ms)
        self.types = TypeTable()
        self.table = TaskTable(on_action, on_filter)
        self.table.set_types(self.queue.registry.names)
        self.memory_view = MemoryView()

    def _store_failed(self, error: QueueError) -> None:
        """Show why the store refused, unless the page already says the database was handed to a newer tab."""
        if self.runner.state is not RunnerState.UPGRADE_PENDING:
            self.panel.show_message(str(error), error=True, target="app-message")

    async def render(self) -> None:
        """The fast part: runner state, counts, the task table and the memory."""
        self.panel.show_state(self.runner.state)  # from memory: right even when the store is closed
        if self.runner.state is RunnerState.UPGRADE_PENDING:
            return  # the database is closed for another tab's upgrade: the page already says so
        try:
            stats = await self.queue.stats()
            parked = await self.queue.store.parked()
            tasks, shown_of = await self._table_tasks(stats)
            running = await self.queue.tasks(TaskStatus.PROCESSING, limit=50)
            memory = await self.memory.read()
        except QueueError as e:
            self._store_failed(e)
            return
        self.panel.show_counts(stats, parked=len(parked))
        self.table.show(tasks, shown_of)
        extracting = {str(t.payload.get("unit_id")) for t in running if t.type == EXTRACT}
        self.memory_view.show(memory, extracting)

    async def _table_tasks(self, stats: Any) -> tuple[list[Any], str]:
        status = self.table.status_filter or None
        task_type = self.table.type_filter
        if task_type:
            pool = await self.queue.tasks(status, limit=METRIC_SAMPLE * 2)
            tasks = [t for t in pool if t.type == task_type][:TABLE_ROWS]
            by_type = stats.by_type.get(task_type, {})
            total = by_type.get(status, 0) if status else sum(by_type.values())
        else:
            tasks = await self.queue.tasks(status, limit=TABLE_ROWS)
            total = stats.by_status.get(status, 0) if status else stats.total
        return tasks, f"showing {len(tasks)} newest of {total}"

    async def render_slow(self) -> None:
        """The slower part: chart, per-type table, live runners, storage."""
        if self.runner.state is RunnerState.UPGRADE_PENDING:
            return
        now = self.queue.clock()
        window = self.settings.chart_window_ms
        try:
            stats = await self.queue.stats()
            in_window = await self.queue.finished_since(now - window, limit=CHART_LIMIT)
            recent = await self.queue.finished_since(0, limit=METRIC_SAMPLE)
            if online() and stats.by_status.get("scheduled", 0):
                await parking.unpark_offline(self.queue)  # one that parked as the connection came back
        except QueueError as e:
            self._store_failed(e)
            return
        buckets = metrics.throughput(in_window, now=now, window_ms=window, bucket_ms=self.settings.chart_bucket_ms)
        self.chart.draw(buckets)
        self.types.draw(metrics.type_stats(stats, recent, types=self.queue.registry.names))
        self.panel.show_runners(await live_runners(self.settings.db_name))
        self.panel.show_runner_counts(self.runner.counts, self._runner_config())
        if self._ticks % STORAGE_EVERY_TICKS == 0:
            await self.storage.show()
        self._ticks += 1

    def _runner_config(self) -> str:
        r = self.runner
        return (
            f"{r.owner} · {r.concurrency} at a time · lease {format_ms(r.lease_ms)} · "
            f"running now: {len(r.running_tasks)}"
        )
