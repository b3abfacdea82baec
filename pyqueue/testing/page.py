"""Driving a page that runs pyqueue from a Playwright test, through its read-only view.

The page calls :func:`pyqueue.browser.start`, which publishes
``globalThis.pyqueue`` (see :mod:`pyqueue.browser.devtools`);
:class:`PyqueuePage` waits on it and reads from it. It also guards the page:
every wait, and :meth:`PyqueuePage.check` (which the ``pyqueue_page`` fixture
runs at teardown), fails the test on any console error or uncaught error the
page has had so far, or any request it made off its server's origin, even when
what was awaited is already true. Every failure shows the page's console
lines, so a page that cannot start says why.
"""

from __future__ import annotations

import json
import re
import time
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urljoin, urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request
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


def is_same_origin(url: str, origin: str) -> bool:
    """True if a page served from *origin* may request *url*: the same scheme, host and port, or data:/blob:."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return True
    want = urlsplit(origin)
    return (parts.scheme, parts.hostname, parts.port) == (want.scheme, want.hostname, want.port)


class _Record:
    """What one page logged, threw and requested, from the moment a :class:`PyqueuePage` first wraps it.

    Several wrappers of one page share it, so an error allowed through one is allowed through all.
    """

    def __init__(self, page: Page, origin: str) -> None:
        self.origin = origin
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)
        page.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        line = f"[{message.type}] {message.text}"
        self.lines.append(line)
        if message.type == "error":
            self.errors.append(line)

    def _on_pageerror(self, error: PlaywrightError) -> None:
        line = f"[pageerror] {error.stack or error.message}"
        self.lines.append(line)
        self.errors.append(line)

    def _on_request(self, request: Request) -> None:
        if not is_same_origin(request.url, self.origin):
            self.offsite.append(request.url)

    def problems(self) -> list[str]:
        """The errors no :meth:`PyqueuePage.allow_errors` pattern matches, then the off-origin requests."""
        errors = [e for e in self.errors if not any(p.search(e) for p in self.allowed)]
        return errors + [f"[off-origin request, not {self.origin}] {url}" for url in self.offsite]

    def shown(self) -> str:
        if not self.lines:
            return "browser console: (nothing logged)"
        shown = self.lines[-SHOWN_CONSOLE_LINES:]
        return "browser console:\n    " + "\n    ".join(shown)


_RECORDS: weakref.WeakKeyDictionary[Page, _Record] = weakref.WeakKeyDictionary()


class PyqueuePage:
    """A Playwright page whose queue was started with ``pyqueue.browser.start(..., js_name=js_name)``.

    *base_url* (the ``pyqueue_server`` fixture's) resolves the paths given to
    :meth:`goto` and is the origin the page may request from (without it, the
    origin of the page's URL when first wrapped). Make one per tab:
    ``PyqueuePage(context.new_page(), base_url)``, and call :meth:`check` when
    the test is done with it.
    """

    def __init__(self, page: Page, base_url: str = "", *, js_name: str = "pyqueue") -> None:
        self.page = page
        self.base_url = base_url
        self.js_name = js_name
        record = _RECORDS.get(page)
        if record is None:
            record = _RECORDS[page] = _Record(page, base_url or page.url)
        self._record = record

    @property
    def console(self) -> list[str]:
        """The page's console lines and uncaught errors so far, ``"[type] text"``."""
        return list(self._record.lines)

    def allow_errors(self, pattern: str) -> None:
        """Let console and page errors matching regex *pattern* pass: an error the test provokes on purpose."""
        self._record.allowed.append(re.compile(pattern))

    def check(self) -> None:
        """Fail the test if the page has logged an error, thrown, or requested a URL off its origin so far."""
        self._check(lambda: "")

    def _check(self, waiting_for: Callable[[], str]) -> None:
        problems = self._record.problems()
        if problems:
            doing = waiting_for()
            during = f" while waiting for {doing}" if doing else ""
            self.fail(f"{self.page.url} had {len(problems)} problem(s){during}:\n  " + "\n  ".join(problems))

    def fail(self, message: str) -> NoReturn:
        """Fail the test with *message* and the page's console lines."""
        pytest.fail(f"{message}\n{self._record.shown()}", pytrace=False)

    def goto(self, path: str, *, wait: bool = True) -> None:
        """Open *path* (relative to *base_url*) and, with *wait*, :meth:`wait_ready`."""
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
        idle = self._call("idle", timeout_ms)
        self._check(lambda: "the queue to be idle")
        if not idle:
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
        """Poll ``check()`` until true; fail (saying *what* was awaited) on timeout or as soon as :meth:`check` does.

        The guard is also checked once ``check()`` holds, so an error the page had before the wait, or
        while the condition became true, fails it too.
        """
        describe = what if callable(what) else lambda: what
        deadline = time.monotonic() + timeout_ms / 1000.0
        while not check():
            self._check(describe)
            if time.monotonic() >= deadline:
                self.fail(f"timed out after {timeout_ms:.0f} ms waiting for {describe()} on {self.page.url}")
            self.page.wait_for_timeout(POLL_MS)
        self._check(describe)
