"""The page's handle on a runner that lives in a dedicated Web Worker.

:class:`WorkerRunner` starts the worker, sends it the boot message, forwards
the page's visibility changes, and mirrors what the worker reports: the
runner's state, counts and running tasks. It is also the worker's guard:
a worker that fails to load (an ``error`` event, a ``failed`` message, or no
``ready`` within the load timeout) or crashes (an ``error`` event, or silence
while no timed task runs) is reported as ``failed`` with the reason, and
the tasks it held are put back at once; :meth:`WorkerRunner.restart` starts a
new one. A task that runs past its timeout without yielding (see
:mod:`.watchdog`) gets its worker terminated, counts a failed attempt, and a
new worker takes over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ...backoff import BackoffPolicy, exponential_backoff
from ...listeners import Listeners
from ...queue import Queue
from ...runner import RunnerCounts
from ..background import spawn
from ..events import listen
from ..runner_view import FAILED, LOADING, WORKER
from ..undo import UndoStack
from . import protocol
from .placement import run_on_page
from .takeover import take_over
from .watchdog import DEFAULT_HARD_GRACE_MS, Overdue, Watchdog

log = logging.getLogger("pyqueue.browser.worker")

STOPPED = "stopped"
"""The handle's state before its first start and after a stop, as the runner's own (``running``, ``paused-user``...).

Its own two, ``loading`` and ``failed``, are :data:`~pyqueue.browser.runner_view.LOADING` and ``FAILED``.
"""

DEFAULT_WORKER_URL = "/static/pyqueue-worker.mjs"
DEFAULT_LOAD_TIMEOUT_MS = 60_000.0
DEFAULT_SILENT_MS = 15_000.0
"""A ready worker that says nothing for this long, with no timed task running, is taken for dead."""
CHECK_EVERY_MS = 100.0


class WorkerRunner:
    """A runner in a Web Worker, seen from the page: same states and counts as a :class:`~pyqueue.runner.QueueRunner`.

    :attr:`state` is one of the runner's states, or ``loading``, ``failed``
    (:attr:`error` says why) or ``stopped``. :attr:`owner` is the worker
    runner's owner id (the lease holder of its tasks), known once it is ready.
    """

    location = WORKER
    """Where the handlers run, for the dashboard (a :class:`~pyqueue.runner.QueueRunner` says ``"page"``)."""

    def __init__(
        self,
        queue: Queue,
        config: protocol.WorkerConfig,
        *,
        worker_url: str = DEFAULT_WORKER_URL,
        load_timeout_ms: float = DEFAULT_LOAD_TIMEOUT_MS,
        hard_grace_ms: float = DEFAULT_HARD_GRACE_MS,
        silent_ms: float = DEFAULT_SILENT_MS,
        backoff: BackoffPolicy = exponential_backoff,
        early_worker: Any = None,
    ) -> None:
        """*early_worker*, if given, is a ``Worker`` the page already made from *worker_url* (with
        ``?pyodide=<pyodide_url>``, so it loads Pyodide while the page's own loads): the first :meth:`start`
        adopts it instead of making one."""
        self.queue = queue
        self.config = config
        self.worker_url = worker_url
        self.load_timeout_ms = load_timeout_ms
        self.silent_ms = silent_ms
        self.backoff = backoff
        self.state: str = STOPPED
        self.error: str | None = None
        self.owner: str | None = None
        self.scope: str | None = None
        self.counts = RunnerCounts()
        self.running: list[str] = []
        self.last_error: str | None = None
        self.terminations = 0
        """How many workers the page terminated for a task past its timeout."""
        self.watchdog = Watchdog(grace_ms=hard_grace_ms)
        self._hidden = False
        self._worker: Any = None
        self._undo = UndoStack()
        self._listeners = Listeners("worker runner")
        self._stopped: asyncio.Future[None] | None = None
        self._guard: asyncio.Task[None] | None = None
        self._settling: asyncio.Task[Any] | None = None
        self._heard_at = 0.0
        self._early = early_worker

    # -- observing -------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* on every report from the worker and every change of state; returns an unsubscribe."""
        return self._listeners.add(listener)

    def _notify(self) -> None:
        self._listeners.notify()

    @property
    def running_tasks(self) -> list[str]:
        """Ids of the tasks the worker's runner is executing now (as a runner's ``running_tasks``)."""
        return list(self.running)

    @property
    def concurrency(self) -> int:
        return self.config.concurrency

    @property
    def lease_ms(self) -> float:
        return self.config.lease_ms

    # -- control ---------------------------------------------------------

    def start(self) -> None:
        """Start a worker (a no-op while one is loading or running)."""
        if self._worker is not None:
            return
        import js

        worker, self._early = self._early, None
        if worker is None:
            options = js.Object.new()
            options.type = "module"
            options.name = f"pyqueue:{self.config.db_name}"
            worker = js.Worker.new(self.worker_url, options)
        self._worker = worker
        self._undo.push(
            listen(worker, "message", lambda event: self._receive(event.data)),
            listen(worker, "error", self._on_error),
            listen(worker, "messageerror", lambda _e: log.warning("pyqueue: a worker message could not be read")),
        )
        self.state, self.error, self.owner = LOADING, None, None
        self._post(protocol.encode(protocol.BOOT, config=self.config.to_json()))
        self._post(protocol.encode(protocol.VISIBILITY, hidden=self._hidden))
        self._guard = spawn(self._watch(self.queue.clock() + self.load_timeout_ms))
        self._notify()

    def wake(self) -> None:
        """Have the worker's runner look for work now (say, after the page retried a task)."""
        self._post(protocol.encode(protocol.WAKE))

    def pause(self) -> None:
        """Pause the worker's runner (paused by the user): it claims nothing new, running tasks finish."""
        self._post(protocol.encode(protocol.PAUSE))

    def resume(self) -> None:
        """Undo :meth:`pause`."""
        self._post(protocol.encode(protocol.RESUME))

    def set_hidden(self, hidden: bool) -> None:
        """Forward the page's visibility: the worker pauses after the grace, and resumes at once when visible."""
        self._hidden = hidden
        self._post(protocol.encode(protocol.VISIBILITY, hidden=hidden))

    async def stop(self, grace_ms: float | None = None) -> None:
        """Stop the worker's runner (running tasks get the grace), then end the worker."""
        if self._worker is not None and self.state not in (LOADING, FAILED):
            self._stopped = asyncio.get_running_loop().create_future()
            self._post(protocol.encode(protocol.STOP, grace_ms=grace_ms))
            wait_s = (grace_ms if grace_ms is not None else 10_000.0) / 1000.0 + 5.0
            try:
                await asyncio.wait_for(self._stopped, wait_s)
            except TimeoutError:
                log.warning("pyqueue: the worker did not stop within %g s; terminating it", wait_s)
        self._end_worker()
        await self._settle(reason="stopped")
        self.state = STOPPED
        self._notify()

    async def restart(self) -> None:
        """End the worker if it runs (its tasks go back in line), then start a new one."""
        self._end_worker()
        await self._settle(reason="restarted by the page")
        self.start()

    # -- the worker's messages ------------------------------------------------

    def _post(self, text: str) -> None:
        if self._worker is not None:
            self._worker.postMessage(text)

    def _receive(self, data: object) -> None:
        self._heard_at = self.queue.clock()
        try:
            message = protocol.decode(data)
        except protocol.BadMessage as e:
            log.warning("pyqueue: dropped a message from the worker: %s", e)
            return
        if message.kind == protocol.STARTED:
            self.watchdog.started(message["task"], message["timeout_ms"], self.queue.clock())
            self.running = [*self.running, message["task"]]
        elif message.kind == protocol.STATUS:
            self.watchdog.still_running(message["running"])
            self.state, self.counts = message["state"], _counts(message["counts"])
            self.running, self.last_error = message["running"], message["last_error"]
        elif message.kind == protocol.CALL:
            spawn(self._answer(message["call"], message["task"], message["type"]))
        elif message.kind == protocol.READY:
            self.owner, self.scope = message["owner"], message["scope"]
        elif message.kind == protocol.FAILED:
            self._fail(message["reason"])
        elif message.kind == protocol.STOPPED and self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)
        self._notify()

    async def _answer(self, call: int, task_id: str, type_name: str) -> None:
        """Run a handler the worker asked the page to run (see :mod:`.placement`), and send its answer."""
        worker = self._worker
        result, error = await run_on_page(self.queue, self.owner, task_id, type_name)
        if self._worker is worker:
            self._post(protocol.encode(protocol.REPLY, call=call, result=result, error=error))

    def _on_error(self, event: Any) -> None:
        message = getattr(event, "message", None)
        detail = str(message) if message else f"the worker script {self.worker_url} could not be loaded or run"
        self._fail(f"worker error: {detail}")

    def _fail(self, reason: str) -> None:
        """The worker failed to load or crashed: say why, end it, and put its tasks back."""
        if self.state == FAILED:
            return
        log.error("pyqueue: the worker runner failed: %s", reason)
        self.state, self.error = FAILED, reason
        self._end_worker()
        owner, self.owner = self.owner, None
        if owner is not None:
            self._settling = spawn(take_over(self.queue, owner, reason=reason, backoff=self.backoff))
        self._notify()

    # -- guarding ---------------------------------------------------------

    async def _watch(self, load_deadline: float) -> None:
        """Until the worker ends: fail it if it is not ready in time, terminate it when a task is overdue."""
        worker = self._worker
        while self._worker is worker:
            await asyncio.sleep(CHECK_EVERY_MS / 1000.0)
            now = self.queue.clock()
            if self.owner is None and self.state == LOADING and now >= load_deadline:
                self._fail(f"the worker did not start within {self.load_timeout_ms:g} ms")
                return
            if self.owner is not None and not self.watchdog.watching and now - self._heard_at >= self.silent_ms:
                self._fail(
                    f"the worker stopped answering for {self.silent_ms:g} ms: it crashed or closed itself, "
                    "or a handler without a timeout never yields"
                )
                return
            overdue = self.watchdog.overdue(now)
            if overdue and self._worker is worker:
                await self._terminate_for(overdue)
                return

    async def _terminate_for(self, overdue: list[Overdue]) -> None:
        ids = ", ".join(o.task_id for o in overdue)
        log.warning("pyqueue: task(s) %s ran past their timeout without yielding; terminating the worker", ids)
        self.terminations += 1
        self._end_worker()
        await self._settle(reason="terminated by the page", overdue=overdue)
        self.start()

    def _end_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.terminate()
        self._undo.undo()
        self.watchdog.clear()
        self.running = []

    async def _settle(self, *, reason: str, overdue: list[Overdue] | None = None) -> None:
        """Record the end of what the ended worker held (see :mod:`.takeover`), after a failure's own record."""
        if self._settling is not None:
            await asyncio.wait([self._settling])  # its failure was logged; this record goes on
            self._settling = None
        owner, self.owner = self.owner, None
        if owner is not None:
            await take_over(self.queue, owner, overdue=overdue or (), reason=reason, backoff=self.backoff)


def _counts(reported: dict[str, int]) -> RunnerCounts:
    """The worker runner's counts as a :class:`~pyqueue.runner.RunnerCounts` (names it does not know are left out)."""
    known = vars(RunnerCounts())
    return RunnerCounts(**{name: value for name, value in reported.items() if name in known})
