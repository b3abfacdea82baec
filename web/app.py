"""The app page: opens the queue on IndexedDB, runs it while the tab is visible, and shows it live."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from pyqueue import Queue, QueueError, QueueRunner, TaskStatus, exponential_backoff
from pyqueue.browser.indexeddb_store import IndexedDBStore
from pyqueue.browser.tabs import CHANGED, ENQUEUED, Presence, TabSignals, live_runners
from pyqueue.browser.visibility import pause_when_hidden

from .demo_tasks import demo_registry
from .dom import by_id
from .panel import Panel
from .settings import Settings

log = logging.getLogger("pyqueue.app")

LATEST_TASKS = 25
REFRESH_EVERY_S = 2.0
"""The panel also refreshes on a slow timer: a tab that closes or crashes sends no message."""


class App:
    """One page's queue, runner and panel, wired to the page's controls."""

    def __init__(self, queue: Queue, runner: QueueRunner, settings: Settings) -> None:
        self.queue = queue
        self.runner = runner
        self.settings = settings
        self.panel = Panel()
        self._proxies: list[Any] = []
        self._refresh_due: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    @classmethod
    async def open(cls, settings: Settings) -> App:
        store = await IndexedDBStore.open(settings.db_name)
        queue = Queue(store, demo_registry())
        runner = QueueRunner(
            queue,
            concurrency=settings.concurrency,
            lease_ms=settings.lease_ms,
            backoff=functools.partial(exponential_backoff, base_ms=settings.backoff_ms),
        )
        return cls(queue, runner, settings)

    async def start(self) -> None:
        signals = TabSignals(self.settings.db_name)
        signals.on(ENQUEUED, self.runner.wake)
        signals.on(ENQUEUED, self.request_refresh)
        signals.on(CHANGED, self.request_refresh)
        self.runner.on_change(self.request_refresh)
        self.runner.on_change(lambda: signals.post(CHANGED))
        self.queue.on_enqueue(lambda _tasks: self.request_refresh())
        self.queue.on_enqueue(lambda _tasks: signals.post(ENQUEUED))
        Presence(self.settings.db_name, self.runner.owner).hold()
        self._listen("enqueue-form", "submit", self._on_submit)
        self._listen("pause", "click", self._on_pause)
        self._listen("add-demo", "click", lambda _e: self._spawn(self._add_demo()))
        self._listen("add-failing", "click", lambda _e: self._spawn(self._add_failing()))
        if self.settings.autostart:
            self.runner.start()
        pause_when_hidden(self.runner, grace_ms=self.settings.hidden_grace_ms)
        await self.refresh()
        self._spawn(self._refresh_forever())
        js.document.body.dataset.ready = "true"

    # -- events -------------------------------------------------------------

    def _listen(self, element_id: str, event: str, handler: Any) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)  # lives as long as the page
        by_id(element_id).addEventListener(event, proxy)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_submit(self, event: Any) -> None:
        event.preventDefault()
        self._spawn(self._submit_form())

    def _on_pause(self, _event: Any) -> None:
        if self.runner.state.value == "paused-user":
            self.runner.resume()
        else:
            self.runner.pause()

    def request_refresh(self) -> None:
        """Re-render soon; many events in a burst cost one render."""
        if self._refresh_due is None or self._refresh_due.done():
            self._refresh_due = asyncio.ensure_future(self._refresh_soon())

    async def _refresh_soon(self) -> None:
        await asyncio.sleep(0.05)
        await self.refresh()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY_S)
            if js.document.visibilityState == "visible":
                await self.refresh()

    async def refresh(self) -> None:
        try:
            stats = await self.queue.stats()
            tasks = await self.queue.tasks(limit=LATEST_TASKS)
        except QueueError as e:
            self.panel.show_message(str(e), error=True)
            return
        self.panel.show_state(self.runner.state)
        self.panel.show_runners(await live_runners(self.settings.db_name))
        self.panel.show_counts(stats)
        self.panel.show_tasks(tasks)

    # -- enqueueing ---------------------------------------------------------

    async def _submit_form(self) -> None:
        task_type = str(by_id("task-type").value).strip()
        options: dict[str, Any] = {}
        for field, key in (("priority", "priority"), ("delay-ms", "delay_ms")):
            raw = str(by_id(field).value).strip()
            if raw:
                options[key] = int(raw) if key == "priority" and raw.lstrip("-").isdigit() else float(raw)
        result = json.loads(await self.enqueue_json(task_type, str(by_id("payload").value), json.dumps(options)))
        if "error" in result:
            self.panel.show_message(result["error"]["message"], error=True)
        else:
            self.panel.show_message(f"enqueued {task_type} as {result['id']}", error=False)

    async def enqueue_json(self, task_type: str, payload_json: str, options_json: str = "{}") -> str:
        """Enqueue from JSON text; answer JSON ``{"id": ...}`` or ``{"error": {"kind", "message"}}``.

        The page's form and ``window.pyqueueApp.enqueue`` (for tests and the
        console) both go through here, so both show the same clear errors.
        """
        try:
            payload = json.loads(payload_json or "{}")
        except json.JSONDecodeError as e:
            return _error("InvalidPayload", f"payload is not valid JSON: {e}")
        try:
            options = json.loads(options_json or "{}")
            task_id = await self.queue.enqueue(task_type, payload, **options)
        except QueueError as e:
            return _error(type(e).__name__, str(e))
        except (TypeError, json.JSONDecodeError) as e:
            return _error("InvalidOption", f"bad options: {e}")
        return json.dumps({"id": task_id})

    async def _add_demo(self) -> None:
        for i in range(5):
            await self.queue.enqueue("demo.work", {"label": f"demo {i + 1}", "duration_ms": 400})

    async def _add_failing(self) -> None:
        await self.queue.enqueue("demo.flaky", {"label": "always fails", "fail_first": 99})

    # -- the page's JS API ----------------------------------------------------

    async def task_json(self, task_id: str) -> str:
        """One task's record as JSON text, or ``null``."""
        task = await self.queue.store.get(task_id)
        return json.dumps(None if task is None else task.to_record())

    async def snapshot_json(self) -> str:
        """Runner state, counts and the ids of tasks per status, as JSON text."""
        stats = await self.queue.stats()
        return json.dumps(
            {
                "state": self.runner.state.value,
                "owner": self.runner.owner,
                "counts": stats.by_status,
                "runner": vars(self.runner.counts),
                "running": self.runner.running_tasks,
                "live_runners": await live_runners(self.settings.db_name),
            }
        )

    async def tasks_json(self, status: str = "", limit: int = 1000) -> str:
        tasks = await self.queue.tasks(TaskStatus(status) if status else None, limit=int(limit))
        return json.dumps([t.to_record() for t in tasks])

    def expose(self) -> None:
        """Publish ``window.pyqueueApp`` for Playwright tests and the browser console."""
        api = js.Object.new()
        for name, fn in (
            ("enqueue", self.enqueue_json),
            ("task", self.task_json),
            ("tasks", self.tasks_json),
            ("snapshot", self.snapshot_json),
            ("pause", lambda: self.runner.pause()),
            ("resume", lambda: self.runner.resume()),
        ):
            proxy = create_proxy(fn)
            self._proxies.append(proxy)
            setattr(api, name, proxy)
        js.window.pyqueueApp = api


def _error(kind: str, message: str) -> str:
    return json.dumps({"error": {"kind": kind, "message": message}})


async def main() -> App:
    settings = Settings.from_query(str(js.location.search))
    app = await App.open(settings)
    app.expose()
    await app.start()
    return app
