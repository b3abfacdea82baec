"""Browser test infrastructure: static server, Debian Chromium, page guard, Pyodide harness.

Fixtures (see each docstring):
    server_url        session  "http://127.0.0.1:PORT/", scripts/serve.py in a thread
    base_url          session  same as server_url, so page.goto("/tests/e2e/harness.html") works
    browser_type_launch_args   session  /usr/bin/chromium, headless, offline-friendly flags
    page_guard        function records console/pageerror/requests of `page`; fails the test on
                               a console error, a page error or an off-origin request
                               (page_guard.allow_errors(regex) for errors a test provokes)
    harness_page      function `page` with tests/e2e/harness.html loaded and ready (guarded)
    shared_harness    module   one harness page in its own context for a whole module (guarded)
Helpers:
    guarded_harness(context, server_url, what)  context manager: another harness tab, guarded
    wait_ready(page, selector_or_js_predicate, timeout_ms)   fails with the console lines
    py(page, code, timeout_ms) -> str                        runs Python in the harness page
    load_file(page, path_in_repo, path_in_pyodide)           copies a repo file into Pyodide's FS
    console_lines(page) -> list[str]                         what a guarded page logged so far
    is_allowed_url(url, origin) -> bool                      the guard's request predicate
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO_ROOT = Path(__file__).resolve().parents[2]
HARNESS_PATH = "tests/e2e/harness.html"
HARNESS_TIMEOUT_MS = 60_000
REQUIRED_BUILD_FILES = ("static/vendor/pyodide/pyodide.mjs", "static/pyqueue.zip")


def _load_script(name: str) -> Any:
    # scripts/ is not a package: load scripts/<name>.py by path.
    spec = importlib.util.spec_from_file_location(f"pyqueue_{name}", REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_chromium = _load_script("chromium")
CHROMIUM: str = _chromium.PATH
CHROMIUM_ARGS: list[str] = _chromium.ARGS


# --------------------------------------------------------------------------- server + browser


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Serve the repository on a free loopback port for the whole session."""
    missing = [p for p in REQUIRED_BUILD_FILES if not (REPO_ROOT / p).is_file()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/setup.sh (scripts/test.sh runs it)")
    with _load_script("serve").serving(REPO_ROOT) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(server_url: str) -> str:
    """pytest-playwright passes this to every context: relative page.goto() URLs hit our server."""
    return server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium (Playwright's own download cannot work offline), headless unless --headed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/test.sh, which installs Debian's chromium")
    return {"headless": True, **browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# --------------------------------------------------------------------------- page guard


def is_allowed_url(url: str, origin: str) -> bool:
    """True if a page may request ``url``: same scheme/host/port as ``origin``, or data:/blob:."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return True
    want = urlsplit(origin)
    return (parts.scheme, parts.hostname, parts.port) == (want.scheme, want.hostname, want.port)


@dataclass
class PageGuard:
    """Records what a page logs and requests; ``problems()`` lists what should fail a test."""

    origin: str
    console: list[str] = field(default_factory=list)  # every console message, "[type] text"
    errors: list[str] = field(default_factory=list)  # console errors and uncaught page errors
    offsite_requests: list[str] = field(default_factory=list)
    allowed_errors: list[re.Pattern[str]] = field(default_factory=list)

    def allow_errors(self, pattern: str) -> None:
        """Do not count console/page errors matching regex ``pattern`` (an error the test provokes)."""
        self.allowed_errors.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed_errors)]

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)
        page.on("request", self._on_request)
        _GUARDS[page] = self

    def _on_console(self, msg: ConsoleMessage) -> None:
        line = f"[{msg.type}] {msg.text}"
        loc = msg.location
        if msg.type == "error" and loc.get("url"):
            line += f"  ({loc['url']}:{loc.get('lineNumber', 0)})"
        self.console.append(line)
        if msg.type == "error":
            self.errors.append(f"console error: {line}")

    def _on_pageerror(self, error: PlaywrightError) -> None:
        text = error.stack or error.message
        self.console.append(f"[pageerror] {text}")
        self.errors.append(f"page error: {text}")

    def _on_request(self, request: Request) -> None:
        if not is_allowed_url(request.url, self.origin):
            self.offsite_requests.append(request.url)

    def problems(self) -> list[str]:
        return self.unexpected_errors() + [f"off-origin request: {url}" for url in self.offsite_requests]

    def check(self, what: str = "page") -> None:
        problems = self.problems()
        if problems:
            pytest.fail(
                f"{what} had {len(problems)} problem(s):\n  "
                + "\n  ".join(problems)
                + "\n"
                + format_console(self.console),
                pytrace=False,
            )


_GUARDS: weakref.WeakKeyDictionary[Page, PageGuard] = weakref.WeakKeyDictionary()


def console_lines(page: Page) -> list[str]:
    """Console lines recorded so far for a guarded page (empty if the page has no guard)."""
    guard = _GUARDS.get(page)
    return list(guard.console) if guard else []


def format_console(lines: list[str], last: int = 60) -> str:
    if not lines:
        return "browser console: (nothing logged)"
    shown = lines[-last:]
    skipped = f" (last {last} of {len(lines)})" if len(lines) > last else ""
    return f"browser console{skipped}:\n    " + "\n    ".join(shown)


@pytest.fixture
def page_guard(page: Page, server_url: str) -> Iterator[PageGuard]:
    """Guard pytest-playwright's per-test ``page``; the test fails at teardown on any problem."""
    guard = PageGuard(origin=server_url)
    guard.attach(page)
    yield guard
    guard.check("the test's page")


# --------------------------------------------------------------------------- waiting + harness


def _looks_like_js(condition: str) -> bool:
    text = condition.lstrip()
    return "=>" in text or text.startswith(("function", "window.", "document.", "globalThis."))


def wait_ready(
    page: Page, selector_or_js_predicate: str, timeout_ms: float = 30_000, fail_on_error: bool = True
) -> None:
    """Wait until a CSS/Playwright selector is attached, or a JS predicate is truthy.

    A string containing ``=>`` or starting with ``function``/``window.``/``document.``/
    ``globalThis.`` is a JS predicate, anything else a selector. On timeout, and (with
    ``fail_on_error``) as soon as a guarded page logs a console error or throws, the test
    fails with the page's console lines, so a broken page fails fast and says why.
    """
    is_js = _looks_like_js(selector_or_js_predicate)
    deadline = time.monotonic() + timeout_ms / 1000
    guard = _GUARDS.get(page)
    while True:
        slice_ms = max(1.0, min(250.0, (deadline - time.monotonic()) * 1000))
        try:
            if is_js:
                page.wait_for_function(selector_or_js_predicate, timeout=slice_ms)
            else:
                page.locator(selector_or_js_predicate).first.wait_for(state="attached", timeout=slice_ms)
            return
        except PlaywrightTimeoutError:
            pass
        if fail_on_error and guard and guard.unexpected_errors():
            pytest.fail(
                f"page failed while waiting for {selector_or_js_predicate!r}:\n  "
                + "\n  ".join(guard.unexpected_errors())
                + "\n"
                + format_console(guard.console),
                pytrace=False,
            )
        if time.monotonic() >= deadline:
            pytest.fail(
                f"timed out after {timeout_ms:.0f} ms waiting for {selector_or_js_predicate!r} "
                f"on {page.url}\n" + format_console(console_lines(page)),
                pytrace=False,
            )


def open_harness(page: Page, timeout_ms: float = HARNESS_TIMEOUT_MS) -> None:
    """Load the harness in ``page`` and wait until Pyodide and pyqueue.zip are ready."""
    page.goto(f"/{HARNESS_PATH}")  # relative to the context's base_url (our server)
    wait_ready(page, "() => window.harnessReady === true || window.harnessError !== undefined", timeout_ms)
    error = page.evaluate("() => window.harnessError")
    if error is not None:
        pytest.fail(f"harness failed to start: {error}\n" + format_console(console_lines(page)), pytrace=False)


def py(page: Page, code: str, timeout_ms: float = 30_000) -> str:
    """Run ``code`` in the harness's Pyodide (top-level await ok) and return str(last expression).

    If Python raises, raises AssertionError carrying the Python traceback.
    """
    try:
        result = page.evaluate(
            """([code, ms]) => Promise.race([
                 window.pyRun(code),
                 new Promise((_, reject) => setTimeout(
                   () => reject(new Error(`pyRun: no result after ${ms} ms`)), ms)),
               ])""",
            [code, timeout_ms],
        )
    except PlaywrightError as err:
        # Keep the Python traceback, drop Playwright's prefix and the JS stack under it.
        message = err.message.removeprefix("Page.evaluate: ").removeprefix("Error: ")
        message = message.split("\n    at ", 1)[0].rstrip()
        raise AssertionError(f"Python code failed in the browser:\n{message}") from None
    assert isinstance(result, str)
    return result


def load_file(page: Page, path_in_repo: str, path_in_pyodide: str) -> None:
    """Copy a repo file (e.g. tests/contract_cases.py) into the harness's Pyodide FS.

    Put modules in /home/pyodide/app (on sys.path) to import them, e.g.
    ``load_file(page, "tests/contract_cases.py", "/home/pyodide/app/contract_cases.py")``.
    """
    try:
        page.evaluate("([url, path]) => window.pyLoadFile(url, path)", [f"/{path_in_repo}", path_in_pyodide])
    except PlaywrightError as err:
        raise AssertionError(f"could not load {path_in_repo} into Pyodide: {err.message}") from None


@pytest.fixture
def harness_page(page: Page, page_guard: PageGuard) -> Page:
    """pytest-playwright's per-test ``page`` with the harness ready (fresh IndexedDB per test)."""
    open_harness(page)
    return page


@pytest.fixture(scope="module")
def shared_harness(browser: Browser, server_url: str) -> Iterator[Page]:
    """One harness page in its own context, shared by a whole test module (one Pyodide start).

    Python globals and IndexedDB persist between the module's tests. Guarded: a console
    error, page error or off-origin request fails the module at teardown.
    """
    context = browser.new_context(base_url=server_url)
    try:
        with guarded_harness(context, server_url, "the module's shared harness page") as page:
            yield page
    finally:
        context.close()


@contextlib.contextmanager
def guarded_harness(context: BrowserContext, server_url: str, what: str) -> Iterator[Page]:
    """A new harness page in *context* (another tab: same origin, same IndexedDB), guarded.

    Its console errors, page errors and off-origin requests fail the test when the block ends.
    """
    page = context.new_page()
    guard = PageGuard(origin=server_url)
    guard.attach(page)
    open_harness(page)
    yield page
    guard.check(what)
