"""Task events: what happened to a task, told to whoever listens, in this tab and (relayed) in the others.

The queue emits ``enqueued`` (and ``cancelled`` for a task cancelled while it
waited, ``deleted`` for a task deleted); the runner emits ``started``, ``progress`` and how each attempt
ended, always *after* the store accepted the write, so a listener that reads
the task finds the change. Dependants that a store settles inside its own
write, when a dependency finished, get events too (:func:`dependant_events`):
``released`` when their last dependency completed, ``failed`` or ``cancelled``
(the error naming the dependency) when one did not. An event is a small
summary, never the payload or the result: a listener that needs more reads
the task.

Events cross tabs as JSON text (:meth:`TaskEvent.to_json`); what arrives from
another tab is untrusted and read by :meth:`TaskEvent.from_json`, which
checks every field. Delivery is best effort (a tab may miss a message), so
code that must not miss an outcome, like :class:`~pyqueue.results.TaskHandle`,
also reads the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
import math
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .jsondata import JSONValue, NotJSONData, check_json_data, dumps
from .task import MAX_KEY_CHARS, MAX_SEQ, Task, TaskStatus
from .untrusted import loads

log = logging.getLogger("pyqueue")

MAX_EVENT_CHARS = 64 * 1024
"""The longest event text read from another tab; a longer message is dropped."""

MAX_EVENT_PROGRESS_BYTES = 16 * 1024
"""A progress value larger than this (as JSON) is not carried by its event: listeners read the task."""

MAX_EVENT_ERROR_CHARS = 500
"""An event carries its attempt's error text clipped to this length (the task keeps it whole, with the traceback)."""


class EventKind(enum.StrEnum):
    """What happened to a task."""

    ENQUEUED = "enqueued"
    """Added, or put back in line by :meth:`~pyqueue.Queue.retry` or :meth:`~pyqueue.Queue.unpark`."""
    RELEASED = "released"
    """A waiting dependant's last dependency completed: it is in line now (pending, or scheduled for its run_at)."""
    STARTED = "started"
    """A runner started an attempt."""
    PROGRESS = "progress"
    """The handler reported progress."""
    RETRIED = "retried"
    """An attempt ended without a result and the task is back in line (a failure with attempts left, a lost
    lease recovered, or a runner's shutdown)."""
    PARKED = "parked"
    """The handler raised :class:`~pyqueue.Park`: the task waits until unparked."""
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"
    """Removed by :meth:`~pyqueue.Queue.delete` or :meth:`~pyqueue.Queue.delete_many`; the event carries the
    task as it was."""

    @property
    def final(self) -> bool:
        """True for completed, failed, cancelled and deleted: the task will not change again unless retried by hand."""
        return self in FINAL_KINDS


FINAL_KINDS = frozenset({EventKind.COMPLETED, EventKind.FAILED, EventKind.CANCELLED, EventKind.DELETED})


def after_attempt(task: Task) -> EventKind:
    """The kind of event that says how an attempt ended, from the task as the store recorded it."""
    if task.status is TaskStatus.COMPLETED:
        return EventKind.COMPLETED
    if task.status is TaskStatus.FAILED:
        return EventKind.FAILED
    if task.status is TaskStatus.CANCELLED:
        return EventKind.CANCELLED
    return EventKind.PARKED if task.parked is not None else EventKind.RETRIED


def dependant_events(tasks: Iterable[Task], at: float) -> list[TaskEvent]:
    """The events of dependants a store changed because a dependency finished (see ``Storage.on_dependants``).

    ``released`` for one now in line; ``failed`` or ``cancelled`` for one ended
    by a dependency that did not complete, its ``error`` naming that dependency;
    none for one still waiting on others.
    """
    events = []
    for task in tasks:
        if task.status is TaskStatus.WAITING:
            continue
        if not task.status.finished:
            events.append(TaskEvent.of(EventKind.RELEASED, task, at))
            continue
        event = TaskEvent.of(after_attempt(task), task, at)
        reason = task.errors[-1].error[:MAX_EVENT_ERROR_CHARS] if task.errors else None
        events.append(dataclasses.replace(event, error=reason))
    return events


class BadEvent(ValueError):
    """Raised when a message from another tab is not a valid event; the message names the problem."""


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One thing that happened to one task, at ``at`` (epoch ms), as the store recorded it.

    ``attempt`` is the task's attempt count then; ``progress`` is set on
    ``progress`` events (``None`` if too large to carry); ``error`` is the
    last attempt's error, clipped, on ``retried`` and ``failed`` events.
    ``remote`` is true for an event that came from another tab.
    """

    kind: EventKind
    task_id: str
    type: str
    status: TaskStatus
    at: float
    attempt: int
    progress: JSONValue = None
    error: str | None = None
    remote: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, kind: EventKind, task: Task, at: float) -> TaskEvent:
        """The event of *kind* for *task* as it is now stored."""
        error = None
        if kind in (EventKind.RETRIED, EventKind.FAILED) and task.errors:
            error = task.errors[-1].error[:MAX_EVENT_ERROR_CHARS]
        progress = task.progress if kind is EventKind.PROGRESS else None
        return cls(kind, task.id, task.type, task.status, at, task.attempts, progress, error)

    def to_json(self) -> str:
        """The event as JSON text, to post to other tabs (a progress value too large to carry is left out)."""
        progress = self.progress
        if progress is not None and len(dumps(progress, path="progress").encode("utf-8")) > MAX_EVENT_PROGRESS_BYTES:
            progress = None
        record: dict[str, JSONValue] = {
            "kind": self.kind.value,
            "task_id": self.task_id,
            "type": self.type,
            "status": self.status.value,
            "at": self.at,
            "attempt": self.attempt,
            "progress": progress,
            "error": self.error,
        }
        return dumps(record, path="event")

    @classmethod
    def from_json(cls, text: object) -> TaskEvent:
        """Read an event posted by another tab (untrusted), raising :class:`BadEvent` naming what is wrong."""
        try:
            data = loads(text, what="event", max_chars=MAX_EVENT_CHARS)
        except NotJSONData as e:
            raise BadEvent(str(e)) from None
        if not isinstance(data, dict):
            raise BadEvent(f"event is a {type(data).__name__}, not an object")
        progress = data.get("progress")
        try:
            check_json_data(progress, "progress")
        except NotJSONData as e:
            raise BadEvent(f"event field {e}") from None
        return cls(
            kind=_enum(data, "kind", EventKind),
            task_id=_key(data, "task_id"),
            type=_key(data, "type"),
            status=_enum(data, "status", TaskStatus),
            at=_time(data),
            attempt=_attempt(data),
            progress=progress,
            error=_error(data),
            remote=True,
        )


E = TypeVar("E", bound=enum.StrEnum)


def _enum(data: dict[str, Any], name: str, kind: type[E]) -> E:
    text: str = _field(data, name, str)
    try:
        return kind(text)
    except ValueError:
        raise BadEvent(f"event field {name!r} has an unknown value {text[:40]!r}") from None


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadEvent(f"event field {name!r} should be {kind.__name__}, got {type(value).__name__}")
    return value


def _key(data: dict[str, Any], name: str) -> str:
    value: str = _field(data, name, str)
    if not 0 < len(value) <= MAX_KEY_CHARS:
        raise BadEvent(f"event field {name!r} should be 1 to {MAX_KEY_CHARS} characters")
    return value


def _time(data: dict[str, Any]) -> float:
    value = data.get("at")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadEvent("event field 'at' should be a finite time in milliseconds")
    return float(value)


def _attempt(data: dict[str, Any]) -> int:
    value: int = _field(data, "attempt", int)
    if not 0 <= value <= MAX_SEQ:
        raise BadEvent(f"event field 'attempt' should be from 0 to {MAX_SEQ}")
    return value


def _error(data: dict[str, Any]) -> str | None:
    if data.get("error") is None:
        return None
    return str(_field(data, "error", str))[:MAX_EVENT_ERROR_CHARS]


Listener = Callable[[TaskEvent], None]


@dataclass(frozen=True, slots=True)
class _Subscription:
    listener: Listener
    task_id: str | None
    task_type: str | None
    kinds: frozenset[EventKind] | None

    def wants(self, event: TaskEvent) -> bool:
        return (
            (self.task_id is None or event.task_id == self.task_id)
            and (self.task_type is None or event.type == self.task_type)
            and (self.kinds is None or event.kind in self.kinds)
        )


class EventBus:
    """Delivers task events to subscribers, optionally only those of one task, one type or some kinds.

    Listeners run synchronously, in the order they subscribed; one that
    raises is logged and the others still run (a listener never breaks the
    runner that emitted the event).
    """

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self._holds = 0  # how many holding() blocks are under way
        self._held: list[TaskEvent] = []  # what emit() got meanwhile, delivered when the last one ends

    def subscribe(
        self,
        listener: Listener,
        *,
        task_id: str | None = None,
        task_type: str | None = None,
        kinds: Collection[EventKind | str] | None = None,
    ) -> Callable[[], None]:
        """Call *listener* with each matching event; return a function that unsubscribes (safe to call twice)."""
        wanted = None if kinds is None else frozenset(EventKind(k) for k in kinds)
        sub = _Subscription(listener, task_id, task_type, wanted)
        self._subscriptions.append(sub)

        def unsubscribe() -> None:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)

        return unsubscribe

    @property
    def listened(self) -> bool:
        """True while anyone subscribes: an emitter may skip building an event that no one would get."""
        return bool(self._subscriptions)

    def emit(self, event: TaskEvent) -> None:
        """Deliver *event* to every subscriber that wants it, or once the last :meth:`holding` block ends."""
        if self._holds or self._held:
            self._held.append(event)
        else:
            self._deliver(event)

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Hold what :meth:`emit` gets during the block; deliver it, in order, when the last such block ends.

        An enqueue holds the bus from its write until it told its events
        (:meth:`emit_all`, which lets the page run between turns): a runner on
        this page starting one of its tasks meanwhile, or another tab's event,
        is heard after them, so no subscriber on this page hears of a task's
        start before its enqueue. While blocks overlap, nothing else is
        delivered: a page that keeps enqueuing batches that overlap hears the
        other events only when one ends before the next begins.
        """
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if not self._holds:
                held, self._held = self._held, []
                for event in held:
                    self._deliver(event)

    async def emit_all(self, events: Iterable[TaskEvent], *, per_turn: int, new: bool = False) -> None:
        """Deliver *events* in order, *per_turn* of them in one turn of the event loop, the bus held meanwhile.

        A bulk enqueue of 10,000 tasks told in one turn kept the page from
        answering for a third of a second. Between turns, what :meth:`emit`
        gets waits for the last of *events* (see :meth:`holding`). If events
        are held already, by a block this call runs inside, *events* are
        queued behind them at once (a task's failure, then its retry), unless
        they tell of *new* tasks, which no held event can be about (the
        enqueue's block held what a runner said of them while the store
        numbered them). If the caller is cancelled between two turns, the rest
        is told at once: the tasks they tell of are stored.
        """
        with self.holding():
            remaining = iter(events)
            if self._held and not new:
                self._held.extend(remaining)  # behind what is held, ahead of anything emitted later
                return
            try:
                for n, event in enumerate(remaining, 1):
                    self._deliver(event)
                    if n % per_turn == 0:
                        await asyncio.sleep(0)
            except BaseException:
                for event in remaining:
                    self._deliver(event)
                raise

    def _deliver(self, event: TaskEvent) -> None:
        for sub in list(self._subscriptions):
            if sub.wants(event):
                try:
                    sub.listener(event)
                except Exception:
                    log.exception("pyqueue: an event listener failed")

    def stream(
        self,
        *,
        task_id: str | None = None,
        task_type: str | None = None,
        kinds: Collection[EventKind | str] | None = None,
    ) -> EventStream:
        """The matching events as an async iterator: ``async with bus.stream(...) as events: async for e in events``.

        Events are kept from this call on, until the stream is closed (leaving
        the ``async with`` closes it).
        """
        return EventStream(self, task_id=task_id, task_type=task_type, kinds=kinds)


class EventStream:
    """Matching events, kept in order as they come, for ``async for``; :meth:`close` ends the iteration."""

    def __init__(
        self,
        bus: EventBus,
        *,
        task_id: str | None,
        task_type: str | None,
        kinds: Collection[EventKind | str] | None,
    ) -> None:
        self._events: asyncio.Queue[TaskEvent | None] = asyncio.Queue()
        self._closed = False
        self._unsubscribe = bus.subscribe(self._events.put_nowait, task_id=task_id, task_type=task_type, kinds=kinds)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> TaskEvent:
        event = await self._events.get()
        if event is None:
            self._events.put_nowait(None)  # every later call ends too
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        """Stop receiving; events already received are still iterated, then the iteration ends."""
        if not self._closed:
            self._closed = True
            self._unsubscribe()
            self._events.put_nowait(None)

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
