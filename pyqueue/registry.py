"""Task types: a name, a payload dataclass, a handler and per-type options."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from .backoff import BackoffPolicy
from .context import TaskContext
from .errors import InvalidOption, UnknownTaskType
from .jsondata import JSONValue
from .limits import ClaimLimits, RateLimit
from .schedules import PeriodicTask, Slot, schedule_of

Handler = Callable[[Any, TaskContext], Awaitable[JSONValue] | JSONValue]
"""``handler(payload, ctx)``, sync or async, returning JSON data (or ``None``)."""


@dataclass(frozen=True, slots=True)
class TaskType:
    """A registered task type. ``None`` options fall back to the queue's or runner's defaults."""

    name: str
    payload_type: type
    handler: Handler
    max_attempts: int | None = None
    timeout_ms: float | None = None
    backoff: BackoffPolicy | None = None
    rate_limit: RateLimit | None = None
    """At most this many starts per window, across every tab of the origin."""
    concurrency: int | None = None
    """At most this many tasks of the type run at once in one runner."""

    async def call(self, payload: object, ctx: TaskContext) -> JSONValue:
        """Run the handler, awaiting it if it is a coroutine function."""
        outcome = self.handler(payload, ctx)
        if inspect.isawaitable(outcome):
            return await outcome
        return outcome


class TaskRegistry:
    """The task types a queue accepts. Enqueueing an unregistered type is an error."""

    def __init__(self) -> None:
        self._types: dict[str, TaskType] = {}
        self._periodic: dict[str, PeriodicTask] = {}

    def register(
        self,
        name: str,
        handler: Handler,
        *,
        payload: type | None = None,
        max_attempts: int | None = None,
        timeout_ms: float | None = None,
        backoff: BackoffPolicy | None = None,
        rate_limit: RateLimit | tuple[int, float] | None = None,
        concurrency: int | None = None,
    ) -> TaskType:
        """Register *handler* for task type *name*.

        The payload dataclass is *payload*, or else the annotation of the
        handler's first parameter. *rate_limit* (a :class:`~pyqueue.limits.RateLimit`
        or ``(starts, per_ms)``) caps how many tasks of the type start in any
        window, across all tabs; *concurrency* caps how many run at once in one
        runner. A task held back by either stays pending until the limit allows.
        """
        if not isinstance(name, str) or not name:
            raise InvalidOption("task type name", name, "must be a non-empty string")
        if name in self._types:
            raise InvalidOption("task type name", name, "is already registered")
        if not _takes_payload_and_ctx(handler):
            raise InvalidOption("handler", getattr(handler, "__name__", handler), "must accept (payload, ctx)")
        payload_type = payload or _first_param_annotation(handler)
        if not (dataclasses.is_dataclass(payload_type) and isinstance(payload_type, type)):
            raise InvalidOption("payload type", payload_type, f"task type {name!r} needs a dataclass payload")
        if max_attempts is not None and max_attempts < 1:
            raise InvalidOption("max_attempts", max_attempts, "must be at least 1")
        if timeout_ms is not None and timeout_ms <= 0:
            raise InvalidOption("timeout_ms", timeout_ms, "must be positive")
        if concurrency is not None and (type(concurrency) is not int or concurrency < 1):
            raise InvalidOption("concurrency", concurrency, "must be a positive integer")
        rate = None if rate_limit is None else RateLimit.of(rate_limit)
        task_type = TaskType(name, payload_type, handler, max_attempts, timeout_ms, backoff, rate, concurrency)
        self._types[name] = task_type
        return task_type

    def task(
        self,
        name: str,
        *,
        payload: type | None = None,
        max_attempts: int | None = None,
        timeout_ms: float | None = None,
        backoff: BackoffPolicy | None = None,
        rate_limit: RateLimit | tuple[int, float] | None = None,
        concurrency: int | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`; returns the handler unchanged."""

        def decorate(handler: Handler) -> Handler:
            self.register(
                name,
                handler,
                payload=payload,
                max_attempts=max_attempts,
                timeout_ms=timeout_ms,
                backoff=backoff,
                rate_limit=rate_limit,
                concurrency=concurrency,
            )
            return handler

        return decorate

    def periodic(
        self,
        name: str,
        *,
        every_ms: float | None = None,
        cron: str | None = None,
        tz: tzinfo | None = None,
        payload: object = None,
        max_attempts: int | None = None,
        timeout_ms: float | None = None,
        backoff: BackoffPolicy | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator: register a task type that runs once per slot of a schedule (see :mod:`pyqueue.periodic`).

        Give *every_ms* or a *cron* expression (read in *tz*, by default the
        local time zone). The handler gets a :class:`~pyqueue.schedules.Slot`,
        or *payload*: a dataclass instance, or a function of the slot's start.
        """
        schedule = schedule_of(every_ms=every_ms, cron=cron, tz=tz)
        payload_type = Slot if payload is None else None if callable(payload) else type(payload)

        def decorate(handler: Handler) -> Handler:
            self.register(
                name, handler, payload=payload_type, max_attempts=max_attempts, timeout_ms=timeout_ms, backoff=backoff
            )
            self._periodic[name] = PeriodicTask(name, schedule, payload)
            return handler

        return decorate

    @property
    def periodic_tasks(self) -> list[PeriodicTask]:
        """The periodic task types, in declaration order."""
        return list(self._periodic.values())

    def get(self, name: str) -> TaskType:
        """Return the task type called *name*, raising :class:`UnknownTaskType` if there is none."""
        try:
            return self._types[name]
        except (KeyError, TypeError):
            raise UnknownTaskType(str(name), list(self._types)) from None

    def claim_limits(self, running: Mapping[str, int]) -> ClaimLimits | None:
        """The limits of the next claim of a runner running *running* tasks per type; ``None`` if no type has any."""
        rates = {name: t.rate_limit for name, t in self._types.items() if t.rate_limit is not None}
        caps = {
            name: max(0, t.concurrency - running.get(name, 0))
            for name, t in self._types.items()
            if t.concurrency is not None
        }
        return ClaimLimits(rates, caps) if rates or caps else None

    @property
    def names(self) -> list[str]:
        """The registered type names, in registration order."""
        return list(self._types)


def _takes_payload_and_ctx(handler: Handler) -> bool:
    """Whether *handler* can be called as ``handler(payload, ctx)``, as the runner calls it.

    A handler of one parameter was accepted, and each of its tasks failed its
    attempts with a ``TypeError`` once run: better refused when registered.
    """
    try:
        inspect.signature(handler).bind(None, None)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some built-ins): let the call tell
        return True
    return True


def _first_param_annotation(handler: Handler) -> object:
    params = list(inspect.signature(handler).parameters.values())
    if not params:
        return None
    try:
        hints = typing.get_type_hints(handler)
    except (NameError, TypeError):
        return None
    return hints.get(params[0].name)
