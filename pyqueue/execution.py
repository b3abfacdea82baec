"""Running one claimed task's handler and turning what happened into the task's next version.

Shared by the runner and by inline mode, so both treat unknown types, broken
payloads, timeouts, retries and cancellation the same way.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import transitions
from .backoff import BackoffPolicy
from .constants import MAX_TRACEBACK_CHARS
from .context import TaskContext
from .deadlines import Deadlines
from .errors import UnknownTaskType
from .jsondata import JSONValue, NotJSONData, check_json_data
from .payload import PayloadMismatch, load_payload
from .registry import TaskRegistry
from .retry import Fail, Park, Retry
from .storage import Change
from .task import AttemptError, Task


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt ended: a result, or an error and whether (and when) to retry.

    ``interrupted`` marks an attempt that the runner's own shutdown cut short:
    the task goes back in line without spending the attempt.
    """

    result: JSONValue = None
    error: str | None = None
    traceback: str = ""
    retry_in_ms: float | None = None
    parked: str | None = None
    interrupted: bool = False

    def change(self, *, owner: str, now: float) -> Change:
        """The transition that records this outcome, applied by the store atomically."""
        if self.parked is not None:
            reason = self.parked
            return lambda t: transitions.park(t, owner=owner, now=now, reason=reason)
        if self.error is None:
            result = self.result
            return lambda t: transitions.complete(t, owner=owner, now=now, result=result)
        error_text, trace, retry_in, interrupted = self.error, self.traceback, self.retry_in_ms, self.interrupted

        def record_failure(t: Task) -> Task:
            err = AttemptError(attempt=t.attempts, at=now, error=error_text, traceback=trace)
            if interrupted:
                return transitions.interrupt(t, owner=owner, now=now, error=err)
            return transitions.fail(t, owner=owner, now=now, error=err, retry_in_ms=retry_in)

        return record_failure


def _checked_progress(report: Callable[[JSONValue], Awaitable[None]]) -> Callable[[JSONValue], Awaitable[None]]:
    """Wrap a progress reporter so a value that is not JSON data raises in the handler, before any store sees it.

    The check walks without recursion: a progress value nested thousands deep
    would otherwise reach ``json.dumps`` or ``to_js`` and crash Pyodide.
    """

    async def checked(value: JSONValue) -> None:
        check_json_data(value, "progress")
        await report(value)

    return checked


def _trace(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text if len(text) <= MAX_TRACEBACK_CHARS else "...\n" + text[-MAX_TRACEBACK_CHARS:]


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def run_task(
    task: Task,
    ctx: TaskContext,
    *,
    registry: TaskRegistry,
    backoff: BackoffPolicy,
    default_timeout_ms: float | None,
    deadlines: Deadlines,
) -> Outcome:
    """Validate the task against its type, run the handler, and classify what happened.

    An unknown type or a payload that no longer fits fails at once: retrying
    cannot fix it. Any other exception, including a timeout, is retried after
    the backoff delay until the attempts are used up. The timeout is kept by
    *deadlines*, the runner's, so tasks that finish early leave no timer behind.
    """
    try:
        task_type = registry.get(task.type)
    except UnknownTaskType as e:
        return Outcome(error=str(e))
    try:
        payload: object = load_payload(task_type.payload_type, task.payload)
    except PayloadMismatch as e:
        return Outcome(error=f"invalid payload for task type {task.type!r}: {e}")
    timeout_ms = task_type.timeout_ms or default_timeout_ms
    policy = task_type.backoff or backoff
    ctx.report = _checked_progress(ctx.report)
    try:
        async with deadlines.timeout(timeout_ms / 1000.0 if timeout_ms else None):
            result = await task_type.call(payload, ctx)
        check_json_data(result, "result")
    except Retry as e:
        return Outcome(error=f"Retry: {e.reason}", traceback=_trace(e), retry_in_ms=e.delay_ms)
    except Park as e:
        return Outcome(parked=e.reason)
    except Fail as e:
        return Outcome(error=_describe(e), traceback=_trace(e))
    except NotJSONData as e:  # a bad result, or a bad progress value the handler did not catch
        what = "reported progress" if str(e).startswith("progress") else "returned a result"
        return Outcome(error=f"handler {what} that is not JSON data: {e}", traceback=_trace(e))
    except TimeoutError as e:
        what = f"timed out after {timeout_ms:g} ms" if timeout_ms else _describe(e)
        return Outcome(error=what, traceback=_trace(e), retry_in_ms=policy(task.attempts))
    except Exception as e:
        return Outcome(error=_describe(e), traceback=_trace(e), retry_in_ms=policy(task.attempts))
    return Outcome(result=result)
