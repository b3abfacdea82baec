"""The dashboard component: builds itself inside an element the host page gives, renders live, unmounts clean.

It reads the queue only through its public API and writes only when a person
presses a button (retry, cancel, retry all, cancel all, purge, import): a render never changes the
queue. The fast part (runner state, counts, the task table, the open task's
detail) re-renders soon after the runner or the queue reports a change; the
slow part (throughput, per-type numbers, live runners, storage) on a timer.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from pyqueue import Queue, QueueError, RunnerState, Task, TaskNotFound
from pyqueue.metrics import collect_metrics
from pyqueue.retention import RetentionPolicy

from ..indexeddb_store import IndexedDBStore
from ..runner_view import RunnerView
from ..tabs import live_runners
from . import actions, bulk_actions, housekeeping, transfer
from .background import Background
from .chart import ThroughputChart
from .detail import CLOSE, TaskDetail
from .dom import Events, el, present, say
from .filters import select_tasks, type_names
from .overview import Overview
from .refresh import RenderSchedule
from .task_table import FILTER, OPEN, TaskTable
from .type_table import TypeTable

ROOT_CLASS = "pqd"


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    """How a dashboard looks and how often it reads; every field has a default that suits a demo page."""

    title: str = "Queue"
    table_rows: int = 50
    """How many of the newest matching tasks the task table shows."""
    type_scan: int = 1_000
    """How many of the newest tasks a type filter looks through."""
    chart_window_ms: float = 5 * 60_000.0
    chart_bucket_ms: float = 10_000.0
    metrics_sample: int = 2_000
    """At most this many recently finished tasks feed the chart, durations and error kinds."""
    slow_every_ms: float = 2_000.0
    retention: RetentionPolicy | None = None
    """The policy the host applies, for the dry-run preview; ``None``: the card says there is none."""
    db_name: str | None = None
    """The database whose live runners are counted; by default the queue's IndexedDB store's."""
    css_url: str | None = None
    """If given, the dashboard adds ``<link rel=stylesheet>`` for it (unless the page links it already)."""


class Dashboard:
    """A live dashboard of *queue* and this tab's *runner* (on the page or in a worker), built inside *element*.

    The dashboard replaces *element*'s children.
    """

    def __init__(self, queue: Queue, runner: RunnerView, element: Any, options: DashboardOptions | None = None) -> None:
        self.queue = queue
        self.runner = runner
        self.options = opts = options or DashboardOptions()
        store = queue.store
        self.db_name = opts.db_name or (store.name if isinstance(store, IndexedDBStore) else None)
        self.overview = Overview()
        self.chart = ThroughputChart(opts.chart_window_ms, opts.chart_bucket_ms)
        self.types = TypeTable()
        self.table = TaskTable()
        self.detail = TaskDetail()
        self.housekeeping = housekeeping.Housekeeping(queue, opts.retention)
        self.transfer = transfer.Transfer(queue, self.db_name or "pyqueue")
        self.message = el("p", cls="pqd-message", role="status", data_part="message")
        self.root = el(
            "div",
            el("div", el("h2", text=opts.title), self.message, cls="pqd-head"),
            self.overview.root,
            el("div", self.chart.root, self.types.root, cls="pqd-pair"),
            self.table.root,
            self.detail.root,
            el(
                "section",
                el("h3", text="Housekeeping"),
                el("div", self.housekeeping.purge_card, self.housekeeping.retention_card, self.transfer.root),
                cls="pqd-housekeeping",
                data_part="housekeeping",
            ),
            cls=ROOT_CLASS,
            data_pyqueue_dashboard="",
        )
        self._background = Background()
        self._schedule = RenderSchedule(
            self._render_fast, self._render_slow, self._background, slow_every_s=opts.slow_every_ms / 1000.0
        )
        self._events = Events(self.root)
        self._wire()
        self._store_error = False
        self._link = self._add_style_sheet(opts.css_url)
        self._unsubscribe = [
            runner.on_change(self.request_render),
            queue.events.subscribe(lambda _event: self.request_render()),  # this tab's, and relayed ones
        ]
        element.replaceChildren(self.root)
        self._schedule.start()

    # -- public -----------------------------------------------------------

    def request_render(self) -> None:
        """Re-render soon (debounced); a host calls it when it knows of a change, e.g. from another tab."""
        self._schedule.request()

    async def refresh(self) -> None:
        """Render everything now (a host or a test that wants the page current before it goes on)."""
        await self._schedule.render_all()

    def set_retention(self, policy: RetentionPolicy | None) -> None:
        """The host changed the retention policy it applies: the retention card shows and previews this one."""
        self.housekeeping.set_policy(policy)

    def unmount(self) -> None:
        """Stop rendering, drop every listener and subscription, and remove what the dashboard added."""
        self._background.close()
        self._events.close()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.root.remove()
        if self._link is not None:
            self._link.remove()

    # -- wiring -----------------------------------------------------------

    def _wire(self) -> None:
        on = self._events.on
        on("click", OPEN, lambda _e, b: self._open(str(b.dataset.taskId)))
        on("click", CLOSE, lambda _e, _b: self._close_detail())
        for name in (actions.RETRY, actions.CANCEL):
            on("click", name, lambda _e, b: self._user_step(self._act(str(b.dataset.action), str(b.dataset.taskId))))
        for name in (bulk_actions.RETRY_ALL, bulk_actions.CANCEL_ALL):
            on("click", name, lambda _e, b: self._user_step(self._bulk(str(b.dataset.action))))
        on("change", FILTER, lambda _e, _b: self.request_render())
        on("submit", housekeeping.PURGE_FORM, self._on_preview)
        on("input", housekeeping.PURGE_FORM, lambda _e, _b: self.housekeeping.forget())
        keeping = self.housekeeping
        on("click", housekeeping.PURGE_RUN, lambda _e, _b: self._user_step(self._changed(keeping.purge())))
        on("click", housekeeping.RETENTION_PREVIEW, lambda _e, _b: self._user_step(keeping.preview_retention()))
        on("click", transfer.EXPORT, lambda _e, _b: self._user_step(self.transfer.download()))
        on("change", transfer.IMPORT, lambda _e, _b: self._user_step(self._import()))

    def _user_step(self, step: Coroutine[Any, Any, Any]) -> None:
        """Run what a button asked for; a queue error (a task that changed meanwhile, a full disk) is shown."""

        async def guarded() -> None:
            try:
                await step
            except QueueError as e:
                say(self.message, str(e), error=True)

        self._background.spawn(guarded())

    async def _changed(self, step: Coroutine[Any, Any, Any]) -> None:
        await step
        self.request_render()

    def _open(self, task_id: str) -> None:
        self.detail.open(task_id)
        self.request_render()

    def _close_detail(self) -> None:
        self.detail.close()
        self.request_render()

    async def _act(self, action: str, task_id: str) -> None:
        task = await actions.apply(self.queue, action, task_id)
        say(self.message, actions.done_text(action, task))
        self.request_render()

    async def _bulk(self, action: str) -> None:
        report = await bulk_actions.apply_bulk(self.queue, action, self.table.wanted)
        say(self.message, bulk_actions.bulk_done_text(report))
        self.request_render()

    def _on_preview(self, event: Any, _form: Any) -> None:
        event.preventDefault()
        self._user_step(self.housekeeping.preview())

    async def _import(self) -> None:
        if await self.transfer.import_file() is not None:
            self.runner.wake()
            self.request_render()

    def _add_style_sheet(self, url: str | None) -> Any:
        """A ``<link>`` to *url* in the page's head, unless there is one already; ``None`` if none was added."""
        import js

        if url is None or present(js.document.head.querySelector(f'link[href="{js.CSS.escape(url)}"]')):
            return None
        link = el("link", rel="stylesheet", href=url)
        js.document.head.append(link)
        return link

    # -- rendering (reads only) ------------------------------------------

    def _readable(self) -> bool:
        """False while another tab upgrades the database: this tab's store is closed, the runner says why.

        The store is asked too: a runner in a worker learns of the upgrade through its own
        connection and reports it a message later, while the page's store is closed already.
        """
        store = self.queue.store
        closed = isinstance(store, IndexedDBStore) and store.closed_because is not None
        return not closed and self.runner.state != RunnerState.UPGRADE_PENDING

    def _failed(self, error: QueueError) -> None:
        if not self._readable():  # a read that raced the close: the page says why the store closed
            self._read_ok()
            return
        self._store_error = True
        say(self.message, f"The dashboard could not read the queue: {error}", error=True)

    def _read_ok(self) -> None:
        if self._store_error:
            self._store_error = False
            say(self.message, "")

    async def _render_fast(self) -> None:
        self.overview.show_runner(self.runner)
        if not self._readable():
            self._read_ok()  # an error from before the close is not why nothing is read now
            return
        opts = self.options
        opened = self.detail.task_id
        try:
            stats = await self.queue.stats()
            page = await select_tasks(self.queue, stats, self.table.wanted, rows=opts.table_rows, scan=opts.type_scan)
            task = await self._opened_task(opened)
        except QueueError as e:
            self._failed(e)
            return
        self._read_ok()
        self.overview.show_counts(stats)
        self.table.set_types(type_names(self.queue.registry.names, stats))
        self.table.show(page, opened)
        if opened is not None and opened == self.detail.task_id:  # not closed or switched while reading
            if task is None:
                self.detail.gone(opened)
            else:
                self.detail.show(task)
        self.root.dataset.ready = "true"

    async def _opened_task(self, task_id: str | None) -> Task | None:
        if task_id is None:
            return None
        try:
            return await self.queue.get(task_id)
        except TaskNotFound:
            return None

    async def _render_slow(self) -> None:
        import js

        if str(js.document.visibilityState) != "visible" or not self._readable():
            return
        opts = self.options
        try:
            metrics = await collect_metrics(
                self.queue, window_ms=opts.chart_window_ms, bucket_ms=opts.chart_bucket_ms, sample=opts.metrics_sample
            )
        except QueueError as e:
            self._failed(e)
            return
        self.chart.draw(metrics.throughput)
        self.types.draw(metrics.types, metrics.errors_by_kind, metrics.sampled)
        self.overview.show_runners(await live_runners(self.db_name) if self.db_name else None)
        await self.overview.show_storage()


def mount_dashboard(
    target: Any, queue: Queue, runner: RunnerView, options: DashboardOptions | None = None
) -> Dashboard:
    """Build a :class:`Dashboard` inside *target*: an element, or the id of one (``"queue-dashboard"``)."""
    import js

    element = js.document.getElementById(target) if isinstance(target, str) else target
    if not present(element):
        raise LookupError(f"the page has no element #{target} to mount the dashboard in")
    return Dashboard(queue, runner, element, options)
