"""Driving a page that runs pyqueue from a Playwright test, through its read-only view.

The page calls :func:`pyqueue.browser.start`, which publishes
``globalThis.pyqueue`` (see :mod:`pyqueue.browser.devtools`);
:class:`PyqueuePage` waits on it and reads from it. Every wait fails the test
at once when the page throws or logs an error, and every failure shows the
page's console lines, so a page that cannot start says why.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urljoin

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page
    from playwright.sync_api import Error as PlaywrightError

READY_TIMEOUT_MS = 60_000.0
WAIT_TIMEOUT_MS = 30_000.0
POLL_MS = 50.0
SHOWN_CONSOLE_LINES = 60

_HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
_SHOW = """() => {
  delete document.visibilityState; delete document.hidden;
  document.dispatchEvent(new Event('visibilitychange'));
}"""


class _Console:
    """What one page logged and threw, recorded from the moment a :class:`PyqueuePage` first wraps it."""

    def __init__(self, page: Page) -> None:
        self.lines: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)

    def _on_console(self, message: ConsoleMessage) -> None:
        line = f"[{message.type}] {message.text}"
        self.lines.append(line)
        if message.type == "error":
            self.errors.append(line)

    def _on_pageerror(self, error: PlaywrightError) -> None:
        line = f"[pageerror] {error.stack or error.message}"
        self.lines.append(line)
        self.errors.append(line)

    def shown(self) -> str:
        if not self.lines:
            return "browser console: (nothing logged)"
        shown = self.lines[-SHOWN_CONSOLE_LINES:]
        return "browser console:\n    " + "\n    ".join(shown)


_CONSOLES: weakref.WeakKeyDictionary[Page, _Console] = weakref.WeakKeyDictionary()


class PyqueuePage:
    """A Playwright page whose queue was started with ``pyqueue.browser.start(..., js_name=js_name)``.

    *base_url* (the ``pyqueue_server`` fixture's) resolves the paths given to
    :meth:`goto`. Make one per tab: ``PyqueuePage(context.new_page(), base_url)``.
    """

    def __init__(self, page: Page, base_url: str = "", *, js_name: str = "pyqueue") -> None:
        self.page = page
        self.base_url = base_url
        self.js_name = js_name
        console = _CONSOLES.get(page)
        if console is None:
            console = _CONSOLES[page] = _Console(page)
        self._console = console

    @property
    def console(self) -> list[str]:
        """The page's console lines and uncaught errors so far, ``"[type] text"``."""
        return list(self._console.lines)

    def fail(self, message: str) -> NoReturn:
        """Fail the test with *message* and the page's console lines."""
        pytest.fail(f"{message}\n{self._console.shown()}", pytrace=False)

    def goto(self, path: str, *, wait: bool = True) -> None:
        """Open *path* (relative to *base_url*) and, with *wait*, :meth:`wait_ready`.

        Errors of the page left behind no longer fail the waits (they stay in :attr:`console`).
        """
        self._console.errors.clear()
        self.page.goto(urljoin(self.base_url, path) if self.base_url else path)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout_ms: float = READY_TIMEOUT_MS) -> None:
        """Wait until the page's queue runs; fail at once if the page throws, logs an error, or could not start."""
        settled = "n => { const h = globalThis[n]; return !!h && (h.ready === true || h.error !== undefined); }"
        ready = f"globalThis.{self.js_name}.ready"
        self.wait_until(lambda: bool(self.page.evaluate(settled, self.js_name)), ready, timeout_ms)
        error = self.page.evaluate("n => globalThis[n].error", self.js_name)
        if error is not None:
            self.fail(f"pyqueue did not start on {self.page.url}: {error}")

    def stats(self) -> dict[str, Any]:
        """Counts per status (``by_status``) and type (``by_type``), this tab's ``runner``, ``live_runners``."""
        return dict(self._call("stats"))

    def tasks(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Up to *limit* task records, newest first, of one *status* or of all."""
        return list(self._call("tasks", status, limit))

    def task(self, task_id: str) -> dict[str, Any] | None:
        """One task's record, or ``None`` if there is no such task."""
        record = self._call("task", task_id)
        return None if record is None else dict(record)

    def wait_idle(self, timeout_ms: float = WAIT_TIMEOUT_MS) -> None:
        """Wait until no task is due, running or waiting to be recorded, in any tab of the database."""
        if not self._call("idle", timeout_ms):
            self.fail(f"the queue was not idle within {timeout_ms:.0f} ms; stats: {self.stats()}")

    def wait_task(
        self, task_id: str, statuses: Iterable[str] = ("completed",), timeout_ms: float = WAIT_TIMEOUT_MS
    ) -> dict[str, Any]:
        """Wait until task *task_id* has one of *statuses*; return its record."""
        wanted = set(statuses)
        last: list[dict[str, Any] | None] = [None]

        def reached() -> bool:
            last[0] = self.task(task_id)
            return last[0] is not None and last[0]["status"] in wanted

        either = " or ".join(sorted(wanted))
        self.wait_until(reached, lambda: f"task {task_id} to be {either} (last: {last[0]})", timeout_ms)
        assert last[0] is not None
        return last[0]

    def set_hidden(self, hidden: bool) -> None:
        """Simulate the Page Visibility API (Playwright's pages are always visible) and fire ``visibilitychange``."""
        self.page.evaluate(_HIDE if hidden else _SHOW)

    def _call(self, method: str, *args: Any) -> Any:
        raw = self.page.evaluate("([n, m, a]) => globalThis[n][m](...a)", [self.js_name, method, list(args)])
        return json.loads(raw)

    def wait_until(
        self, check: Callable[[], bool], what: str | Callable[[], str], timeout_ms: float = WAIT_TIMEOUT_MS
    ) -> None:
        """Poll ``check()`` until true; fail (saying *what* was awaited) on timeout or as soon as the page errs."""
        describe = what if callable(what) else lambda: what
        deadline = time.monotonic() + timeout_ms / 1000.0
        while not check():
            if self._console.errors:
                self.fail(f"the page failed while waiting for {describe()}:\n  " + "\n  ".join(self._console.errors))
            if time.monotonic() >= deadline:
                self.fail(f"timed out after {timeout_ms:.0f} ms waiting for {describe()} on {self.page.url}")
            self.page.wait_for_timeout(POLL_MS)
