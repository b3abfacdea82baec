"""The app page: the memory app and the queue's live dashboard, on IndexedDB, in this tab.

It opens the queue and the memory, runs the queue while the tab is visible,
keeps the periodic tasks scheduled, parks network tasks while offline, applies
retention, and shows everything live: it re-renders when the runner, the queue
or another tab says something changed (debounced), and on a slow timer for
what no event reports (a tab that closed, the clock moving the chart on).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from pyqueue import (
    InvalidStateChange,
    PauseReason,
    Queue,
    QueueError,
    QueueRunner,
    RunnerState,
    TaskNotFound,
    TaskStatus,
    exponential_backoff,
)
from pyqueue.browser.indexeddb_store import IndexedDBStore
from pyqueue.browser.tabs import CHANGED, ENQUEUED, Presence, TabSignals, live_runners
from pyqueue.browser.visibility import pause_when_hidden

from . import metrics, parking, transfer
from .chart import ThroughputChart, TypeTable
from .demo_tasks import demo_registry
from .dom import by_id, el, js_options, on, present
from .locks import with_lock
from .maintenance import PurgeCard, RetentionCard
from .memory.idb_store import IndexedDBMemory
from .memory.logic import NoteError
from .memory.tasks import EXTRACT, MemoryWorker
from .memory_view import MemoryView
from .panel import Panel
from .samples import SAMPLE_GOALS, SAMPLE_NOTES
from .settings import Settings
from .task_table import TaskTable

log = logging.getLogger("pyqueue.app")

TABLE_ROWS = 50
METRIC_SAMPLE = 500
CHART_LIMIT = 20_000
STORAGE_EVERY_TICKS = 5
DEBOUNCE_S = 0.05
REFRESH_GAP_S = 0.3
PERIODIC_CHECK_S = 30.0


def online() -> bool:
    return bool(js.navigator.onLine)


class App:
    """One page's queue, runner, memory and dashboard, wired to the page's controls."""

    def __init__(self, queue: Queue, runner: QueueRunner, worker: MemoryWorker, settings: Settings) -> None:
        self.queue = queue
        self.runner = runner
        self.worker = worker
        self.memory = worker.memory
        self.settings = settings
        self.panel = Panel()
        self.signals: TabSignals | None = None
        self._refresh_due: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._persistent: bool | None = None
        self._ticks = 0
        self._last_refresh = 0.0
        self._periodic_checked = 0.0

    @classmethod
    async def open(cls, settings: Settings) -> App:
        holder: list[App] = []
        store = await IndexedDBStore.open(settings.db_name, on_version_change=lambda v: holder[0].outdated(v))
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

    # -- start --------------------------------------------------------------

    async def start(self) -> None:
        signals = self.signals = TabSignals(self.settings.db_name)
        signals.on(ENQUEUED, self.runner.wake)
        signals.on(ENQUEUED, self.request_refresh)
        signals.on(CHANGED, self.request_refresh)
        self.runner.on_change(self.request_refresh)
        self.runner.on_change(lambda: signals.post(CHANGED))
        self.queue.on_enqueue(lambda _tasks: self.request_refresh())
        self.queue.on_enqueue(lambda _tasks: signals.post(ENQUEUED))
        Presence(self.settings.db_name, self.runner.owner).hold()

        self.chart = ThroughputChart(self.settings.chart_window_ms, self.settings.chart_bucket_ms)
        self.types = TypeTable()
        self.table = TaskTable(self._on_task_action, self.request_refresh)
        self.table.set_types(self.queue.registry.names)
        self.memory_view = MemoryView()
        self.purge = PurgeCard(self.queue, self._spawn, self._changed)
        self.retention = RetentionCard(
            self.queue, self.settings.retention, self.settings.retention_every_ms, self._spawn
        )
        self._wire_controls()

        self.panel.show_online(online())
        self._spawn(self._persist())
        if online():  # tasks parked while this browser was offline, perhaps in a tab since closed
            await parking.unpark_offline(self.queue)
        await self.ensure_periodic()
        if self.settings.autostart:
            self.start_runner()
        pause_when_hidden(self.runner, grace_ms=self.settings.hidden_grace_ms)
        await self.refresh()
        await self.refresh_dashboard()
        self._spawn(self._dashboard_forever())
        self._spawn(self._retention_forever())
        js.document.body.dataset.ready = "true"

    def _wire_controls(self) -> None:
        on("enqueue-form", "submit", self._on_submit)
        on("pause", "click", self._on_pause)
        on("add-demo", "click", lambda _e: self._spawn(self._add_demo()))
        on("add-failing", "click", lambda _e: self._spawn(self._add_failing()))
        on("note-form", "submit", self._on_note)
        on("goal-form", "submit", self._on_goal)
        on("add-samples", "click", lambda _e: self._spawn(self._add_samples()))
        on("export", "click", lambda _e: self._spawn(self._download_export()))
        on("import-file", "change", lambda e: self._spawn(self._import_file(e.target)))
        on("clear-all", "click", lambda _e: self._confirm_clear(True))
        on("clear-no", "click", lambda _e: self._confirm_clear(False))
        on("clear-yes", "click", lambda _e: self._spawn(self._clear_confirmed()))
        on(js.window, "online", lambda _e: self._spawn(self._went_online()))
        on(js.window, "offline", lambda _e: self._spawn(self._went_offline()))
        on(js.document, "visibilitychange", lambda _e: self._on_visibility())
        datalist = by_id("known-types")
        datalist.replaceChildren(*(el("option", value=name) for name in self.queue.registry.names))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_report_failure)

    def _changed(self) -> None:
        self.request_refresh()
        if self.signals is not None:
            self.signals.post(CHANGED)

    def outdated(self, new_version: int | None) -> None:
        """Another tab upgraded (or deleted) the queue's database: claim nothing more here and say so.

        The connection is already closed (so the upgrade is not blocked); tasks
        this tab was running cannot record their outcome, and come back to the
        newer tab when their leases expire.
        """
        self.runner.pause(PauseReason.UPGRADE)
        self.panel.show_message(
            "Another tab opened a newer version of the database, so this tab stepped aside. Reload it.",
            error=True,
            target="app-message",
        )

    async def ensure_periodic(self) -> list[str]:
        """Schedule the periodic tasks' next slots if no tab has; tabs take turns, under a Web Lock.

        The lock matters at a slot boundary: two tabs starting on either side of
        it would otherwise each see nothing scheduled and enqueue different slots.
        """
        self._periodic_checked = asyncio.get_running_loop().time()
        return await with_lock(f"pyqueue:{self.settings.db_name}:periodic", self.worker.ensure_periodic)

    # -- events ---------------------------------------------------------------

    def start_runner(self) -> None:
        """Start the runner loop (never a second one); say so on the page if it ever ends with an error."""
        self.runner.start().add_done_callback(self._runner_ended)

    def _runner_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("pyqueue app: the runner stopped: %s", task.exception())
            text = f"The runner stopped: {task.exception()}. Press Start to run it again."
            self.panel.show_message(text, error=True, target="app-message")
        self.request_refresh()

    def _on_pause(self, _event: Any) -> None:
        state = self.runner.state
        if state in (RunnerState.STOPPED, RunnerState.IDLE):
            self.start_runner()
        elif state is RunnerState.PAUSED_USER:
            self.runner.resume()
        else:
            self.runner.pause()

    def _on_visibility(self) -> None:
        if js.document.visibilityState == "visible":
            self._spawn(self.ensure_periodic())
            self.request_refresh()

    async def _went_offline(self) -> None:
        self.panel.show_online(False)  # network tasks park themselves when they run
        self.request_refresh()

    async def _went_online(self) -> None:
        self.panel.show_online(True)
        await parking.unpark_offline(self.queue)  # the queue tells the runners (and other tabs) there is work
        await self.ensure_periodic()
        self.request_refresh()

    def _on_task_action(self, action: str, task_id: str) -> None:
        self._spawn(self.task_action(action, task_id))

    async def task_action(self, action: str, task_id: str) -> str:
        try:
            if action == "retry":
                task = await self.queue.retry(task_id)
            elif action == "cancel":
                task = await self.queue.cancel(task_id)
            else:
                return _error("InvalidOption", f"unknown action {action!r}")
        except (InvalidStateChange, TaskNotFound) as e:
            self.panel.show_message(str(e), error=True, target="app-message")
            return _error(type(e).__name__, str(e))
        self.panel.show_message(
            f"{action}: {task.type} {task.id[:8]} is now {task.status.value}", error=False, target="app-message"
        )
        self._changed()
        return json.dumps(task.to_record())

    # -- rendering --------------------------------------------------------------

    def request_refresh(self) -> None:
        """Re-render soon; many events in a burst cost one render, and renders are at least a gap apart.

        Under load the runner reports a change every few milliseconds; rendering
        each would take the event loop away from the tasks themselves.
        """
        if self._refresh_due is None or self._refresh_due.done():
            self._refresh_due = asyncio.ensure_future(self._refresh_soon())

    async def _refresh_soon(self) -> None:
        loop = asyncio.get_running_loop()
        wait = max(DEBOUNCE_S, self._last_refresh + REFRESH_GAP_S - loop.time())
        await asyncio.sleep(wait)
        await self.refresh()

    async def refresh(self) -> None:
        self._last_refresh = asyncio.get_running_loop().time()
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
            self.panel.show_message(str(e), error=True, target="app-message")
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

    async def refresh_dashboard(self) -> None:
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
            self.panel.show_message(str(e), error=True, target="app-message")
            return
        buckets = metrics.throughput(in_window, now=now, window_ms=window, bucket_ms=self.settings.chart_bucket_ms)
        self.chart.draw(buckets)
        self.types.draw(metrics.type_stats(stats, recent, types=self.queue.registry.names))
        self.panel.show_runners(await live_runners(self.settings.db_name))
        self.panel.show_runner_counts(self.runner.counts, self._runner_config())
        if self._ticks % STORAGE_EVERY_TICKS == 0:
            await self._show_storage()
        self._ticks += 1

    def _runner_config(self) -> str:
        r = self.runner
        return (
            f"{r.owner} · {r.concurrency} at a time · lease {metrics.format_ms(r.lease_ms)} · "
            f"running now: {len(r.running_tasks)}"
        )

    async def _dashboard_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.dashboard_every_ms / 1000.0)
            if js.document.visibilityState == "visible":
                await self.refresh_dashboard()
                await self.refresh()
            now = asyncio.get_running_loop().time()
            if now - self._periodic_checked >= PERIODIC_CHECK_S:  # e.g. after a clear, or a cancelled slot
                self._periodic_checked = now
                await self.ensure_periodic()

    async def _retention_forever(self) -> None:
        while True:
            if await self.retention.apply():
                self._changed()
            await asyncio.sleep(self.settings.retention_every_ms / 1000.0)

    async def _persist(self) -> None:
        storage = getattr(js.navigator, "storage", None)
        if storage is None:
            return
        try:
            self._persistent = bool(await storage.persisted()) or bool(await storage.persist())
        except Exception:  # not offered in this context (e.g. an insecure origin)
            self._persistent = None
        await self._show_storage()

    async def _show_storage(self) -> None:
        storage = getattr(js.navigator, "storage", None)
        if storage is None:
            self.panel.show_storage(None, None, None)
            return
        estimate = await storage.estimate()
        self.panel.show_storage(float(estimate.usage), float(estimate.quota), self._persistent)

    # -- the memory app ---------------------------------------------------------------

    def _on_note(self, event: Any) -> None:
        event.preventDefault()
        text = str(by_id("note-text").value)
        self._spawn(self._submit_note(text))

    async def _submit_note(self, text: str) -> None:
        answer = json.loads(await self.add_note_json(text))
        if "error" in answer:
            self.panel.show_message(answer["error"]["message"], error=True, target="note-message")
            return
        by_id("note-text").value = ""
        if answer["created"]:
            message = "Note added: extracting its claims in the background."
        elif answer["changed"]:
            message = "Note updated: extracting the new version."
        else:
            message = "You already saved this note: it is extracted once."
        self.panel.show_message(message, error=False, target="note-message")

    async def add_note_json(self, text: str) -> str:
        """Save a note and enqueue its extraction; JSON ``{unit_id, created, changed, task_id}`` or an error."""
        try:
            saved, task_id = await self.worker.add_note(text)
        except (NoteError, QueueError) as e:
            return _error(type(e).__name__, str(e))
        self._changed()
        return json.dumps(
            {"unit_id": saved.unit.id, "created": saved.created, "changed": saved.changed, "task_id": task_id}
        )

    async def add_notes_json(self, texts_json: str) -> str:
        answers = [json.loads(await self.add_note_json(text)) for text in json.loads(texts_json)]
        return json.dumps(answers)

    def _on_goal(self, event: Any) -> None:
        event.preventDefault()
        self._spawn(self._submit_goal(str(by_id("goal-text").value)))

    async def _submit_goal(self, text: str) -> None:
        answer = json.loads(await self.add_goal_json(text))
        if "error" in answer:
            self.panel.show_message(answer["error"]["message"], error=True, target="note-message")
        else:
            by_id("goal-text").value = ""
            self.panel.show_message("Goal set: checking it against your notes.", error=False, target="note-message")

    async def add_goal_json(self, text: str) -> str:
        try:
            goal_id, task_id = await self.worker.add_goal(text)
        except (NoteError, QueueError) as e:
            return _error(type(e).__name__, str(e))
        self._changed()
        return json.dumps({"goal_id": goal_id, "task_id": task_id})

    async def _add_samples(self) -> None:
        for goal in SAMPLE_GOALS:
            await self.worker.add_goal(goal)
        for note in SAMPLE_NOTES:
            await self.worker.add_note(note)
        self.panel.show_message(
            f"Added {len(SAMPLE_NOTES)} sample notes and {len(SAMPLE_GOALS)} goals.", error=False, target="note-message"
        )
        self._changed()

    async def memory_json(self) -> str:
        return json.dumps((await self.memory.read()).to_records())

    # -- export, import, clear --------------------------------------------------

    async def export_json(self) -> str:
        """The whole queue and the memory as one JSON document."""
        tasks = await self.queue.store.records()
        memory = (await self.memory.read()).to_records()
        doc = transfer.build_export(tasks, memory, now=self.queue.clock(), source=self.settings.db_name)
        return transfer.dumps(doc)

    async def _download_export(self) -> None:
        text = await self.export_json()
        blob = js.Blob.new([text], js_options(type="application/json"))
        url = js.URL.createObjectURL(blob)
        stamp = js.Date.new().toISOString().replace(":", "-").split(".")[0]
        link = el("a", href=url, download=f"pyqueue-export-{stamp}.json", hidden="")
        js.document.body.appendChild(link)
        link.click()
        link.remove()
        await asyncio.sleep(1.0)  # the download has started from the URL by then
        js.URL.revokeObjectURL(url)
        count = len(json.loads(text)["queue"]["tasks"])
        self.panel.show_message(f"Exported {count} tasks and the memory.", error=False, target="transfer-result")

    async def _import_file(self, input_node: Any) -> None:
        files = input_node.files
        if not present(files) or files.length == 0:
            return
        text = str(await files.item(0).text())
        input_node.value = ""
        answer = json.loads(await self.import_json(text))
        if "error" in answer:
            self.panel.show_message(answer["error"]["message"], error=True, target="transfer-result")
        else:
            skipped = answer["skipped"]
            also = f" Skipped {len(skipped)} already in the queue under the same unique key." if skipped else ""
            self.panel.show_message(
                f"Imported {answer['tasks']} tasks and {answer['memory']} memory records.{also}",
                error=False,
                target="transfer-result",
            )

    async def import_json(self, text: str) -> str:
        """Import an export: every task (with its history) and every memory record, replacing same ids.

        A task whose unique key another stored task already holds is the same job
        twice (say, a periodic slot scheduled since the export): it is skipped and
        counted, not stored beside its twin.
        """
        try:
            doc = transfer.parse(text)
            held = {r["unique_key"]: r["id"] for r in await self.queue.store.records() if r.get("unique_key")}
            tasks, skipped = transfer.without_held_keys(doc.tasks, held)
            await self.queue.store.put_records(tasks)
            await self.memory.put_records(doc.memory)
        except (transfer.TransferError, QueueError) as e:
            return _error(type(e).__name__, str(e))
        if online():
            await parking.unpark_offline(self.queue)
        await self.ensure_periodic()
        self.runner.wake()
        if self.signals is not None:
            self.signals.post(ENQUEUED)
        self._changed()
        records = sum(len(rows) for rows in doc.memory.values())
        return json.dumps({"tasks": len(tasks), "memory": records, "skipped": skipped})

    def _confirm_clear(self, asking: bool) -> None:
        by_id("clear-confirm").hidden = not asking
        by_id("clear-all").hidden = asking
        (by_id("clear-no") if asking else by_id("clear-all")).focus()

    async def _clear_confirmed(self) -> None:
        self._confirm_clear(False)
        answer = json.loads(await self.clear_json())
        still = f" ({answer['still_running']} running here finish unrecorded)" if answer["still_running"] else ""
        self.panel.show_message(
            f"Cleared {answer['removed']} tasks and the memory{still}.", error=False, target="transfer-result"
        )

    async def clear_json(self) -> str:
        """Delete every task and the whole memory.

        The periodic tasks are scheduled again by the import that usually
        follows, or else by the dashboard's next periodic check.
        """
        running = self.runner.running_tasks
        removed = await self.queue.clear()
        await self.memory.clear()
        self._periodic_checked = asyncio.get_running_loop().time()
        self._changed()
        return json.dumps({"removed": removed, "still_running": len(running)})

    # -- the developer form -------------------------------------------------------

    def _on_submit(self, event: Any) -> None:
        event.preventDefault()
        self._spawn(self._submit_form())

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
        """Runner state, counts and what this runner did, as JSON text."""
        stats = await self.queue.stats()
        return json.dumps(
            {
                "state": self.runner.state.value,
                "owner": self.runner.owner,
                "counts": stats.by_status,
                "by_type": stats.by_type,
                "runner": vars(self.runner.counts),
                "running": self.runner.running_tasks,
                "live_runners": await live_runners(self.settings.db_name),
                "online": online(),
            }
        )

    async def tasks_json(self, status: str = "", limit: int = 1000) -> str:
        tasks = await self.queue.tasks(TaskStatus(status) if status else None, limit=int(limit))
        return json.dumps([t.to_record() for t in tasks])

    async def refresh_json(self) -> str:
        """Re-render everything now (tests call this instead of waiting for the timer)."""
        await self.refresh_dashboard()
        await self.refresh()
        return "true"

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
            ("addNote", self.add_note_json),
            ("addNotes", self.add_notes_json),
            ("addGoal", self.add_goal_json),
            ("memory", self.memory_json),
            ("exportJson", self.export_json),
            ("importJson", self.import_json),
            ("clearAll", self.clear_json),
            ("action", self.task_action),
            ("ensurePeriodic", lambda: self._json_list(self.ensure_periodic())),
            ("refresh", self.refresh_json),
        ):
            setattr(api, name, create_proxy(fn))
        js.window.pyqueueApp = api

    @staticmethod
    async def _json_list(coro: Any) -> str:
        return json.dumps(await coro)


def _error(kind: str, message: str) -> str:
    return json.dumps({"error": {"kind": kind, "message": message}})


def _report_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("pyqueue app: background step failed", exc_info=task.exception())


async def main() -> App | None:
    settings = Settings.from_query(str(js.location.search))
    try:
        app = await App.open(settings)
    except QueueError as e:  # e.g. UpgradeBlocked: an older tab keeps the database open
        status = by_id("boot-status")
        status.textContent = f"The queue could not open its database: {e}"
        status.classList.add("failed")
        js.document.body.dataset.bootFailed = "true"
        return None
    app.expose()
    await app.start()
    return app
