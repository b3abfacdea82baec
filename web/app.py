"""The app page: the memory app, with the queue's dashboard component, on IndexedDB; tasks run in a worker.

The queue is the library's: :func:`pyqueue.browser.start` opens it and wires
it to the page (other tabs, unpark on ``online``, periodic tasks, retention;
runner, pause when hidden and live runners when the tasks run on the page),
:mod:`web.runner_choice` says where the tasks run (a Web Worker unless the
link says ``runner=page``), and
:func:`~pyqueue.browser.dashboard.mount_dashboard` shows it. This module
adds the memory (its database, its task types, its forms and view) and the
app's own cards, and puts the parts together; each part has its own module
under :mod:`web.ui`. Every call to the queue goes through its public API.
"""

from __future__ import annotations

import functools

import js  # type: ignore[import-not-found]

from pyqueue import QueueError, exponential_backoff
from pyqueue.browser import BrowserQueue, start
from pyqueue.browser.background import spawn
from pyqueue.browser.dashboard import Dashboard, DashboardOptions, mount_dashboard
from pyqueue.browser.network import online
from pyqueue.browser.runner_view import RunnerView
from pyqueue.browser.tabs import CHANGED

from .memory.tasks import MemoryWorker
from .page_api import PageApi
from .registry import app_registry, open_memory_worker
from .runner_choice import choose_runner, start_options
from .settings import Settings, query_values
from .ui.backup_card import BackupCard
from .ui.dom import by_id, on
from .ui.enqueue_form import EnqueueForm
from .ui.memory_forms import MemoryForms
from .ui.memory_panel import MemoryPanel
from .ui.panel import Panel
from .ui.retention_offer import RetentionOffer
from .ui.runner_control import RunnerControl

DASHBOARD_ELEMENT = "queue-dashboard"


class App:
    """One page's queue (with its wiring and dashboard), memory, and the app's controls."""

    def __init__(
        self, bq: BrowserQueue, runner: RunnerView, worker: MemoryWorker, settings: Settings, panel: Panel
    ) -> None:
        self.bq = bq
        self.queue = bq.queue
        self.runner = runner
        self.worker = worker
        self.memory = worker.memory
        self.settings = settings
        self.panel = panel
        self.dashboard: Dashboard = mount_dashboard(
            DASHBOARD_ELEMENT,
            bq.queue,
            runner,
            DashboardOptions(
                retention=bq.retention,
                chart_window_ms=settings.chart_window_ms,
                chart_bucket_ms=settings.chart_bucket_ms,
                slow_every_ms=settings.dashboard_every_ms,
            ),
        )
        self.memory_panel = MemoryPanel(bq.queue, self.memory, panel, settings.dashboard_every_ms)
        self.control = RunnerControl(runner, panel)
        self.enqueue_form = EnqueueForm(bq.queue, panel)
        self.memory_forms = MemoryForms(worker, panel, self.changed)
        self.backup = BackupCard(bq, runner, self.memory, panel, self.changed)
        self.retention = RetentionOffer(
            bq, settings.retention_every_ms, settings.retention_offer, self.dashboard.set_retention
        )

    @classmethod
    async def open(cls, settings: Settings, panel: Panel) -> App:
        worker = await open_memory_worker(settings)
        backoff = functools.partial(exponential_backoff, base_ms=settings.backoff_ms)
        bq = await start(
            app_registry(worker),
            db_name=settings.db_name,
            concurrency=settings.concurrency,
            lease_ms=settings.lease_ms,
            backoff=backoff,
            hidden_grace_ms=settings.hidden_grace_ms,
            retention=settings.retention,
            retention_every_ms=settings.retention_every_ms,
            autostart=False,  # the memory's task types need the queue first
            on_upgrade=lambda _version: panel.show_outdated(),
            **start_options(settings),
        )
        worker.bind(bq.queue)
        return cls(bq, choose_runner(bq, settings, backoff), worker, settings, panel)

    def changed(self) -> None:
        """This page changed the queue or the memory: re-render here, and tell the other tabs."""
        self.dashboard.request_render()
        self.memory_panel.request()
        if self.bq.signals is not None:
            self.bq.signals.post(CHANGED)

    def start(self) -> None:
        self.bq.on_change(self.dashboard.request_render)  # e.g. another tab's runner or import
        self.bq.on_change(self.memory_panel.request)
        self.runner.on_change(lambda: self.panel.show_state(self.runner.state))
        for part in (self.enqueue_form, self.control, self.memory_forms, self.backup, self.retention):
            part.wire()
        self.panel.show_online(online())
        on(js.window, "online", lambda _e: self.panel.show_online(True))
        on(js.window, "offline", lambda _e: self.panel.show_online(False))
        spawn(_ask_persistent_storage())
        if self.settings.autostart:
            self.control.start()
        self.panel.show_state(self.runner.state)
        self.memory_panel.start()
        js.document.body.dataset.ready = "true"


async def _ask_persistent_storage() -> None:
    """Ask the browser once to keep this origin's data (the dashboard shows the answer); it may refuse."""
    storage = getattr(js.navigator, "storage", None)
    try:
        if storage is not None and not bool(await storage.persisted()):
            await storage.persist()
    except Exception:  # not offered in this context (e.g. an insecure origin)
        return


async def main() -> App | None:
    settings = Settings.from_values(query_values(js.location.search))
    if settings.notes:  # what the link asked for that the page did not take as given
        note = by_id("settings-note")
        note.textContent = "Settings from the link: " + " ".join(settings.notes)
        note.hidden = False
    panel = Panel()
    try:
        app = await App.open(settings, panel)
    except QueueError as e:  # e.g. UpgradeBlocked: an older tab keeps the database open
        status = by_id("boot-status")
        status.textContent = f"The queue could not open its database: {e}"
        status.classList.add("failed")
        js.document.body.dataset.bootFailed = "true"
        return None
    PageApi(app).expose()
    app.start()
    return app
