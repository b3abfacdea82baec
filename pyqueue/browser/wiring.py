"""One call that runs a queue in a browser tab, with every browser piece wired in.

:func:`start` opens the IndexedDB store, starts a runner, and connects what a
page would otherwise write by hand: pause while the tab is hidden, wake the
other tabs' runners on enqueue and relay task events between tabs
(BroadcastChannel), count the live runners
(Web Locks), unpark network tasks on ``online``, check the runner's leases when
the page wakes from a freeze (:mod:`.lifecycle`), and on ``pagehide`` hand back
the tasks this tab claimed but never started, so another tab runs them at once
rather than after their leases expire. Each piece has a flag to turn it off.

Two housekeeping steps are on by flag too: ``schedule_periodic`` keeps the
registry's periodic tasks enqueued (a :class:`~pyqueue.PeriodicScheduler`,
stepped again when the tab is shown or the network returns, as a hidden tab's
timer may have been throttled), and ``retention`` applies a
:class:`~pyqueue.RetentionPolicy` now and every ``retention_every_ms``.

When another tab opens the database at a newer schema version, the store
closes itself (so the upgrade is not blocked) and the runner pauses with
:attr:`~pyqueue.runner.PauseReason.UPGRADE`; ``on_upgrade`` lets the page say so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..backoff import BackoffPolicy, exponential_backoff
from ..constants import DB_NAME, DEFAULT_LEASE_MS
from ..errors import QueueError, StorageError
from ..listeners import Listeners
from ..periodic import PeriodicScheduler, next_slot_at, schedule_due
from ..queue import Queue
from ..registry import TaskRegistry
from ..retention import RetentionPolicy, RetentionReport, apply_retention
from ..runner import PauseReason, QueueRunner
from ..visibility import DEFAULT_HIDDEN_GRACE_MS
from . import lifecycle, tabs, visibility
from .background import spawn
from .devtools import DevtoolsHook, publish_failure
from .events import listen
from .indexeddb_store import IndexedDBStore
from .network import unpark_when_online
from .undo import UndoStack

log = logging.getLogger("pyqueue.browser")

RetentionListener = Callable[[RetentionReport | QueueError], None]


class BrowserQueue:
    """A queue running in this tab: its :attr:`store`, :attr:`queue` and :attr:`runner`, and the wiring between.

    Made by :func:`start`; :meth:`close` undoes all of it.
    """

    def __init__(self, store: IndexedDBStore, queue: Queue, runner: QueueRunner) -> None:
        self.store = store
        self.queue = queue
        self.runner = runner
        self.signals: tabs.TabSignals | None = None
        """The channel to the other tabs of this database, or ``None`` without ``cross_tab``."""
        self.scheduler: PeriodicScheduler | None = None
        """The periodic tasks' scheduler, or ``None`` without ``schedule_periodic``."""
        self.retention: RetentionPolicy | None = None
        """The policy applied on the retention timer; the page may replace it, the next check applies it."""
        self._listeners = Listeners("change")
        self._retention_listeners: list[RetentionListener] = []
        self._undo = UndoStack()
        self._undo.push(runner.on_change(self._changed), queue.on_enqueue(lambda _tasks: self._changed()))

    @property
    def db_name(self) -> str:
        return self.store.name

    async def live_runners(self) -> int:
        """How many runners, in all tabs, hold their presence on this database (this tab's with ``count_runners``)."""
        return await tabs.live_runners(self.db_name)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* when this tab's runner changes or a task finishes, on enqueue, and when another tab
        says something changed (with ``cross_tab``); returns a function that unsubscribes."""
        return self._listeners.add(listener)

    def on_retention(self, listener: RetentionListener) -> Callable[[], None]:
        """Call *listener* after each retention check with what it removed, or the store's error; returns an
        unsubscribe function."""
        self._retention_listeners.append(listener)
        return lambda: self._retention_listeners.remove(listener)

    async def schedule_periodic(self) -> list[str]:
        """Enqueue the periodic slots in progress (if no tab has) and keep the scheduler stepping; return their
        ids. Call it after the scheduler was stopped (say around a clear and an import) to go on."""
        if self.scheduler is None:
            return []
        now = self.queue.clock()
        ids = await schedule_due(self.queue, now=now)
        following = next_slot_at(self.queue.registry.periodic_tasks, now)
        if following is not None:
            self.scheduler.start(first_at=following)
        return ids

    async def apply_retention(self) -> RetentionReport | None:
        """Apply :attr:`retention` now (``None`` without a policy); listeners hear the report or the error."""
        if self.retention is None:
            return None
        try:
            report: RetentionReport | QueueError = await apply_retention(self.queue, self.retention)
        except QueueError as e:
            report = e
        for listener in list(self._retention_listeners):
            try:
                listener(report)
            except Exception:
                log.exception("pyqueue: a retention listener failed")
        if isinstance(report, QueueError):
            return None
        if report.count:
            self._changed()
        return report

    def _changed(self) -> None:
        self._listeners.notify()

    async def close(self) -> None:
        """Stop the runner (running tasks get its stop grace), detach every listener, close the store."""
        await self.runner.stop()
        self._undo.undo()
        self.store.close()

    # -- the pieces, each attached by start() ------------------------------

    def _connect_tabs(self) -> None:
        signals = self.signals = tabs.TabSignals(self.db_name)
        signals.on(tabs.ENQUEUED, self.runner.wake)
        signals.on(tabs.ENQUEUED, self._changed)
        signals.on(tabs.CHANGED, self._changed)
        # Task events both ways, so awaited results and event listeners here hear of other tabs' runners.
        self._undo.push(*tabs.connect_queue(self.queue, signals))
        self._undo.push(self.runner.on_change(lambda: signals.post(tabs.CHANGED)))

    def _hold_presence(self) -> None:
        presence = tabs.Presence(self.db_name, self.runner.owner)
        presence.hold()
        self._undo.push(presence.release)

    def _hand_back_on_pagehide(self) -> None:
        import js

        def page_hidden(_event: Any) -> None:
            # The page may run no later task, so everything happens inside the event: the hand-back's
            # first step creates its IndexedDB transaction, then the other tabs are woken. Their claims
            # come after that transaction (IndexedDB runs overlapping read-write transactions in the
            # order they were created, across tabs), so they find the tasks back in line.
            self.runner.pause(PauseReason.HIDDEN)
            spawn(self.runner.hand_back(), eager=True)
            if self.signals is not None:
                self.signals.post(tabs.ENQUEUED)

        self._undo.push(listen(js.window, "pagehide", page_hidden))
        # Back from the back/forward cache: this tab runs again.
        self._undo.push(listen(js.window, "pageshow", lambda _event: self.runner.resume(PauseReason.HIDDEN)))

    def _keep_periodic(self) -> None:
        import js

        scheduler = self.scheduler = PeriodicScheduler(self.queue)
        self._undo.push(scheduler.stop)

        def again(_event: Any) -> None:
            if str(js.document.visibilityState) == "visible":
                spawn(self.schedule_periodic())

        self._undo.push(listen(js.document, "visibilitychange", again))
        self._undo.push(listen(js.window, "online", again))

    def _retain(self, policy: RetentionPolicy, every_ms: float) -> None:
        self.retention = policy

        async def forever() -> None:
            while True:
                await self.apply_retention()
                await asyncio.sleep(every_ms / 1000.0)

        checks = spawn(forever())

        def stop() -> None:
            checks.cancel()

        self._undo.push(stop)

    def _expose(self, js_name: str) -> None:
        hook = DevtoolsHook(js_name, self.queue, self.runner, self.live_runners)
        hook.publish()
        self._undo.push(hook.remove)

    def _step_aside(self, new_version: int | None, on_upgrade: Callable[[int | None], None] | None) -> None:
        self.runner.pause(PauseReason.UPGRADE)
        if on_upgrade is not None:
            on_upgrade(new_version)


async def start(
    registry: TaskRegistry,
    *,
    db_name: str = DB_NAME,
    concurrency: int = 1,
    batch_size: int = 1,
    lease_ms: float = DEFAULT_LEASE_MS,
    backoff: BackoffPolicy = exponential_backoff,
    max_size: int | None = None,
    hidden_grace_ms: float = DEFAULT_HIDDEN_GRACE_MS,
    pause_when_hidden: bool = True,
    cross_tab: bool = True,
    count_runners: bool = True,
    unpark_on_online: bool = True,
    hand_back_on_pagehide: bool = True,
    check_leases_on_wake: bool = True,
    schedule_periodic: bool = True,
    retention: RetentionPolicy | None = None,
    retention_every_ms: float = 60_000.0,
    autostart: bool = True,
    expose_js: bool = True,
    js_name: str = "pyqueue",
    on_upgrade: Callable[[int | None], None] | None = None,
) -> BrowserQueue:
    """Open database *db_name*, build the queue and its runner, wire them to the page; return them.

    The runner starts at once unless ``autostart=False`` (then call
    ``browser_queue.runner.start()``). ``expose_js`` publishes the read-only
    :mod:`~pyqueue.browser.devtools` view as ``globalThis[js_name]``.
    ``schedule_periodic`` runs the registry's periodic tasks (when it declares
    any); with a ``retention`` policy, finished tasks it has kept long enough
    are deleted now and every ``retention_every_ms``
    (:meth:`BrowserQueue.on_retention` hears what each check removed).

    Raises :class:`~pyqueue.errors.StorageError` (or its
    :class:`~pyqueue.errors.UpgradeBlocked`) when the database cannot be opened;
    with ``expose_js`` the view then carries the error, so a waiting test fails at once.
    """
    holder: list[BrowserQueue] = []
    try:
        store = await _open_store(db_name, lambda v: holder[0]._step_aside(v, on_upgrade))
    except QueueError as e:
        if expose_js:
            publish_failure(js_name, e)
        raise
    queue = Queue(store, registry, max_size=max_size)
    runner = QueueRunner(queue, concurrency=concurrency, batch_size=batch_size, lease_ms=lease_ms, backoff=backoff)
    bq = BrowserQueue(store, queue, runner)
    holder.append(bq)
    if cross_tab:
        bq._connect_tabs()
    if count_runners:
        bq._hold_presence()
    if unpark_on_online:
        bq._undo.push(await unpark_when_online(queue))
    if pause_when_hidden:
        bq._undo.push(visibility.pause_when_hidden(runner, grace_ms=hidden_grace_ms))
    if hand_back_on_pagehide:
        bq._hand_back_on_pagehide()
    if check_leases_on_wake:
        bq._undo.push(lifecycle.check_leases_on_wake(runner))
    if schedule_periodic and registry.periodic_tasks:
        bq._keep_periodic()
        await bq.schedule_periodic()
    if retention is not None:
        bq._retain(retention, retention_every_ms)
    if autostart:
        runner.start()
    if expose_js:
        bq._expose(js_name)
    return bq


async def _open_store(db_name: str, on_version_change: Callable[[int | None], None]) -> IndexedDBStore:
    """Open the store, turning a browser without usable IndexedDB into a :class:`StorageError` that says so."""
    from pyodide.ffi import JsException

    try:
        return await IndexedDBStore.open(db_name, on_version_change=on_version_change)
    except (JsException, AttributeError) as e:  # no indexedDB (file: page, sandboxed frame), or a SecurityError
        raise StorageError(
            f"cannot open the queue's database {db_name!r}: IndexedDB is not available to this page ({e}); "
            "serve the page over http(s) from its own origin"
        ) from e
