"""The app page: the memory app and the queue's live dashboard, on IndexedDB, in this tab.

It opens the queue and the memory, runs the queue while the tab is visible,
keeps the periodic tasks scheduled, parks network tasks while offline, applies
retention, and shows everything live: it re-renders when the runner, the queue
or another tab says something changed (debounced), and on a slow timer for
what no event reports (a tab that closed, the clock moving the chart on).

This module only puts the parts together; each part has its own module.
"""

from __future__ import annotations

import functools

import js  # type: ignore[import-not-found]

from pyqueue import Queue, QueueError, QueueRunner, exponential_backoff
from pyqueue.browser.indexeddb_store import IndexedDBStore
from pyqueue.browser.tabs import CHANGED, ENQUEUED, Presence, TabSignals
from pyqueue.browser.visibility import pause_when_hidden

from . import parking
from .background import spawn
from .dashboard import Dashboard
from .demo_tasks import demo_registry
from .dom import by_id
from .enqueue_form import EnqueueForm
from .export_import import ExportImportCard
from .maintenance import PurgeCard, RetentionCard
from .memory.idb_store import IndexedDBMemory
from .memory.tasks import MemoryWorker
from .memory_forms import MemoryForms
from .network import Network, online
from .page_api import PageApi
from .panel import Panel
from .periodic_check import PeriodicCheck
from .refresh import Refresh
from .runner_control import RunnerControl
from .settings import Settings
from .storage_status import StorageStatus
from .task_actions import TaskActions


class App:
    """One page's queue, runner, memory and dashboard, wired to the page's controls."""

    def __init__(self, queue: Queue, runner: QueueRunner, worker: MemoryWorker, settings: Settings) -> None:
        self.queue = queue
        self.runner = runner
        self.worker = worker
        self.memory = worker.memory
        self.settings = settings
        self.panel = panel = Panel()
        self.periodic = PeriodicCheck(queue)
        self.storage = StorageStatus(panel)
        self.dashboard = Dashboard(queue, runner, self.memory, settings, panel, self.storage)
        self.refresh = refresh = Refresh(self.dashboard, self.periodic, settings.dashboard_every_ms)
        self.control = RunnerControl(runner, panel, refresh.request)
        self.network = Network(queue, panel, self.periodic, refresh.request)
        self.actions = TaskActions(queue, panel, refresh.changed)
        self.enqueue_form = EnqueueForm(queue, panel)
        self.memory_forms = MemoryForms(worker, panel, refresh.changed)
        self.transfer = ExportImportCard(queue, self.memory, runner, settings.db_name, self.periodic, panel, refresh)

    @classmethod
    async def open(cls, settings: Settings) -> App:
        holder: list[App] = []
        store = await IndexedDBStore.open(settings.db_name, on_version_change=lambda v: holder[0].control.outdated(v))
        memory = await IndexedDBMemory.open(settings.memory_db_name)
        worker = MemoryWorker(memory, config=settings.memory, online=online)
        registry = demo_registry()
        worker.register(registry)
        queue = Queue(store, registry)
        worker.bind(queue)
        runner = QueueRunner(
            queue,
            concurrency=settings.concurrency,
            lease_ms=settings.lease_ms,
            backoff=functools.partial(exponential_backoff, base_ms=settings.backoff_ms),
        )
        app = cls(queue, runner, worker, settings)
        holder.append(app)
        return app

    async def start(self) -> None:
        refresh = self.refresh
        signals = refresh.signals = TabSignals(self.settings.db_name)
        signals.on(ENQUEUED, self.runner.wake)
        signals.on(ENQUEUED, refresh.request)
        signals.on(CHANGED, refresh.request)
        self.runner.on_change(refresh.request)
        self.runner.on_change(lambda: signals.post(CHANGED))
        self.queue.on_enqueue(lambda _tasks: refresh.request())
        self.queue.on_enqueue(lambda _tasks: signals.post(ENQUEUED))
        Presence(self.settings.db_name, self.runner.owner).hold()

        self.dashboard.mount(self.actions.on_action, refresh.request)
        PurgeCard(self.queue, spawn, refresh.changed)
        settings = self.settings
        retention = RetentionCard(
            self.queue, settings.retention, settings.retention_every_ms, spawn, offer=settings.retention_offer
        )
        for part in (self.enqueue_form, self.control, self.memory_forms, self.transfer, self.network, refresh):
            part.wire()

        self.panel.show_online(online())
        spawn(self.storage.persist())
        if online():  # tasks parked while this browser was offline, perhaps in a tab since closed
            await parking.unpark_offline(self.queue)
        await self.periodic.ensure()
        if self.settings.autostart:
            self.control.start()
        pause_when_hidden(self.runner, grace_ms=self.settings.hidden_grace_ms)
        await refresh.now()
        await self.dashboard.render_slow()
        spawn(refresh.forever())
        spawn(retention.apply_forever(refresh.changed))
        js.document.body.dataset.ready = "true"


async def main() -> App | None:
    settings = Settings.from_query(str(js.location.search))
    if settings.notes:  # what the link asked for that the page did not take as given
        note = by_id("settings-note")
        note.textContent = "Settings from the link: " + " ".join(settings.notes)
        note.hidden = False
    try:
        app = await App.open(settings)
    except QueueError as e:  # e.g. UpgradeBlocked: an older tab keeps the database open
        status = by_id("boot-status")
        status.textContent = f"The queue could not open its database: {e}"
        status.classList.add("failed")
        js.document.body.dataset.bootFailed = "true"
        return None
    PageApi(app).expose()
    await app.start()
    return app
