"""What runs inside the worker: the app's registry, the queue wired by :func:`pyqueue.browser.start`, and the page link.

``worker.mjs`` loads Pyodide and the code, then calls :func:`boot` with the
boot message's config and a function that posts text to the page; it hands
every later message to the function :func:`boot` returns. A worker has no
``document`` and no ``window``: the page forwards its visibility changes (the
grace-period rule runs here, in :class:`~pyqueue.visibility.VisibilityPauser`),
and unparking on ``online`` and the hand-back on ``pagehide`` stay with the
page. Cross-tab wake and the runner count work as in a tab: BroadcastChannel
and Web Locks exist in workers. Periodic scheduling and retention stay with
the page too (they are queue operations: the page's :func:`~pyqueue.browser.start`
does them while its own runner stays idle).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...backoff import exponential_backoff
from ...context import TaskContext
from ...jsondata import JSONValue
from ...queue import Queue
from ...registry import TaskRegistry, TaskType
from ...runner import PauseReason, QueueRunner
from ...task import Task
from ...visibility import VisibilityPauser
from ..background import spawn
from ..wiring import BrowserQueue, start
from . import protocol
from .placement import runs_on_page

log = logging.getLogger("pyqueue.browser.worker")

Post = Callable[[str], object]


class PageHandlerError(Exception):
    """Raised in the worker when a handler that runs on the page failed there; the text is the page's error."""


class PageCalls:
    """Handlers of task types marked :func:`~.placement.on_page`: asked of the page, answered by ``reply``."""

    def __init__(self, post: Post) -> None:
        self._post = post
        self._count = 0
        self._waiting: dict[int, asyncio.Future[JSONValue]] = {}

    async def call(self, task: Task) -> JSONValue:
        """Ask the page to run *task*'s handler; its result, or :class:`PageHandlerError`."""
        self._count += 1
        call = self._count
        answer: asyncio.Future[JSONValue] = asyncio.get_running_loop().create_future()
        self._waiting[call] = answer
        self._post(protocol.encode(protocol.CALL, call=call, task=task.id, type=task.type))
        try:
            return await answer
        finally:
            del self._waiting[call]

    def reply(self, message: protocol.Message) -> None:
        answer = self._waiting.get(message["call"])
        if answer is None or answer.done():
            return  # the call timed out meanwhile
        if message["error"] is None:
            answer.set_result(message["result"])
        else:
            answer.set_exception(PageHandlerError(message["error"]))


class ReportingRegistry(TaskRegistry):
    """The app's registry, with each handler first telling the page that its task starts.

    The message leaves before the handler's first line runs, so the page knows
    the task even if the handler then never yields. The handler of a type
    marked :func:`~.placement.on_page` is a call to the page.
    """

    def __init__(self, inner: TaskRegistry, post: Post) -> None:
        super().__init__()
        self._inner = inner
        self._post = post
        self._wrapped: dict[str, TaskType] = {}
        self.page_calls = PageCalls(post)

    def get(self, name: str) -> TaskType:
        task_type = self._inner.get(name)
        if name not in self._wrapped:
            self._wrapped[name] = dataclasses.replace(task_type, handler=self._reporting(task_type))
        return self._wrapped[name]

    @property
    def names(self) -> list[str]:
        return self._inner.names

    @property
    def periodic_tasks(self) -> list[Any]:
        return self._inner.periodic_tasks

    def _reporting(self, task_type: TaskType) -> Any:
        handler, post = task_type.handler, self._post
        if runs_on_page(self._inner, task_type.name):
            calls = self.page_calls

            def handler(_payload: object, ctx: TaskContext) -> Any:
                return calls.call(ctx.task)

        def run(payload: object, ctx: Any) -> Any:
            post(
                protocol.encode(protocol.STARTED, task=ctx.task.id, type=ctx.task.type, timeout_ms=task_type.timeout_ms)
            )
            return handler(payload, ctx)

        return run


@dataclass
class WorkerSetup:
    """What an entry function gets in the worker: the page's :attr:`options`, and :meth:`on_queue`."""

    options: dict[str, Any]
    """``WorkerConfig.options``: the app's own JSON settings, as the page passed them."""
    _on_queue: list[Callable[[Queue], None]] = field(default_factory=list)

    def on_queue(self, callback: Callable[[Queue], None]) -> None:
        """Call *callback* with the worker's queue once it is open, before the runner claims a task.

        For handlers that enqueue follow-up tasks: they need the queue the
        registry is about to be opened with.
        """
        self._on_queue.append(callback)

    def queue_opened(self, queue: Queue) -> None:
        """Tell the :meth:`on_queue` callbacks (called by :func:`boot`)."""
        for callback in self._on_queue:
            callback(queue)


async def load_registry(entry: str, setup: WorkerSetup) -> TaskRegistry:
    """The registry named by ``"module:attribute"``: the attribute itself, or what calling it returns.

    A function is called with no arguments, or with *setup* if it takes one;
    it may be a coroutine function (say, to open the app's own database first).
    """
    module_name, _, attr = entry.partition(":")
    found = getattr(importlib.import_module(module_name), attr)
    registry = found
    if callable(found) and not isinstance(found, TaskRegistry):
        registry = found(setup) if inspect.signature(found).parameters else found()
        if inspect.isawaitable(registry):
            registry = await registry
    if not isinstance(registry, TaskRegistry):
        raise TypeError(f"{entry} is not a TaskRegistry, nor a function returning one")
    return registry


class WorkerSide:
    """The worker's end of the link: runs commands from the page and reports the runner's state."""

    def __init__(self, bq: BrowserQueue, config: protocol.WorkerConfig, post: Post, calls: PageCalls) -> None:
        self.bq = bq
        self.post = post
        self.calls = calls
        self.pauser = VisibilityPauser(bq.runner, grace_ms=config.hidden_grace_ms)
        self._undo = bq.runner.on_change(self.report)
        self._ticker = spawn(self._tick(config.status_every_ms / 1000.0))

    @property
    def runner(self) -> QueueRunner:
        return self.bq.runner

    def report(self) -> None:
        runner = self.runner
        self.post(
            protocol.encode(
                protocol.STATUS,
                state=runner.state.value,
                counts=vars(runner.counts),
                running=runner.running_tasks,
                last_error=runner.last_error,
            )
        )

    async def _tick(self, period_s: float) -> None:
        while True:
            self.report()
            await asyncio.sleep(period_s)

    def receive(self, text: str) -> None:
        """One message from the page; a malformed one is logged and dropped."""
        try:
            message = protocol.decode(text)
        except protocol.BadMessage as e:
            log.warning("pyqueue worker: dropped a message from the page: %s", e)
            return
        if message.kind == protocol.PAUSE:
            self.runner.pause(PauseReason.USER)
        elif message.kind == protocol.RESUME:
            self.runner.resume(PauseReason.USER)
        elif message.kind == protocol.WAKE:
            self.runner.wake()
        elif message.kind == protocol.VISIBILITY:
            self.pauser.hidden() if message["hidden"] else self.pauser.visible()
        elif message.kind == protocol.REPLY:
            self.calls.reply(message)
        elif message.kind == protocol.STOP:
            spawn(self._stop(message["grace_ms"]))

    async def _stop(self, grace_ms: float | None) -> None:
        await self.runner.stop(grace_ms)
        self._ticker.cancel()
        self._undo()
        await self.bq.close()
        self.report()
        self.post(protocol.encode(protocol.STOPPED))


async def boot(config_text: str, post: Post) -> Callable[[str], None]:
    """Start the queue from the boot message *config_text*; return the receiver of the page's later messages.

    Any failure is posted as ``failed`` with its reason (and raised), so the
    page reports it instead of waiting.
    """
    try:
        message = protocol.decode(config_text)
        if message.kind != protocol.BOOT:
            raise protocol.BadMessage(f"the first message must be {protocol.BOOT!r}, not {message.kind!r}")
        config = protocol.WorkerConfig.from_json(message["config"])
        setup = WorkerSetup(dict(config.options))
        registry = ReportingRegistry(await load_registry(config.entry, setup), post)
        bq = await start(
            registry,
            db_name=config.db_name,
            concurrency=config.concurrency,
            batch_size=config.batch_size,
            lease_ms=config.lease_ms,
            backoff=functools.partial(exponential_backoff, base_ms=config.backoff_base_ms),
            pause_when_hidden=False,
            unpark_on_online=False,
            hand_back_on_pagehide=False,
            check_leases_on_wake=False,  # the runner resumes when the page forwards that it is visible
            schedule_periodic=False,  # the page's (it listens to the document; a worker has none)
            autostart=False,  # after on_queue's callbacks
            expose_js=False,
            on_upgrade=lambda _version: None,  # the runner pauses as upgrade-pending; its status says so
        )
        setup.queue_opened(bq.queue)
        bq.runner.start()
    except Exception as e:
        post(protocol.encode(protocol.FAILED, reason=f"{type(e).__name__}: {e}"))
        raise
    import js

    side = WorkerSide(bq, config, post, registry.page_calls)
    post(protocol.encode(protocol.READY, owner=bq.runner.owner, scope=str(js.globalThis.constructor.name)))
    side.report()
    return side.receive
