"""The app page's second step: the queue's dashboard component, the memory's views, and the app's cards.

:mod:`web.launch` opened the queue with :func:`pyqueue.browser.start` (other
tabs, unpark on ``online``, periodic tasks, retention; with ``runner=page``
also the runner, pause when hidden and live runners) and started the runner,
in a Web Worker unless the link says ``runner=page`` (:mod:`web.runner_choice`).
This module shows it with :func:`~pyqueue.browser.dashboard.mount_dashboard`,
adds the memory's forms and view and the app's own cards, and puts the parts
together; each part has its own module under :mod:`web.ui`. Every call to
the queue goes through its public API.
"""

from __future__ import annotations

import js  # type: ignore[import-not-found]

from pyqueue.browser.background import spawn
from pyqueue.browser.dashboard import Dashboard, DashboardOptions, mount_dashboard
from pyqueue.browser.network import online
from pyqueue.browser.tabs import CHANGED

from .launch import Started
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

    def __init__(self, started: Started) -> None:
        self.bq = bq = started.bq
        self.queue = bq.queue
        self.runner = runner = started.runner
        self.worker = worker = started.worker
        self.memory = worker.memory
        self.settings = settings = started.settings
        self.panel = panel = Panel()
        if settings.notes:  # what the link asked for that the page did not take as given
            note = by_id("settings-note")
            note.textContent = "Settings from the link: " + " ".join(settings.notes)
            note.hidden = False
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
        self.memory_panel = MemoryPanel(
            bq.queue, self.memory, panel, settings.dashboard_every_ms, lambda: bq.store.closed_because
        )
        self.control = RunnerControl(runner, panel)
        self.enqueue_form = EnqueueForm(bq.queue, panel)
        self.memory_forms = MemoryForms(worker, panel, self.changed)
        self.backup = BackupCard(bq, runner, self.memory, panel, self.changed)
        self.retention = RetentionOffer(
            bq, settings.retention_every_ms, settings.retention_offer, self.dashboard.set_retention
        )

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
            self.control.start()  # started already (web.launch): this watches it
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
