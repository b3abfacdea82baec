"""Smoke tests of the e2e infrastructure: harness, pyqueue import, IndexedDB, page guard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from .conftest import PageGuard, is_allowed_url, load_file, py, wait_ready


def test_pyrun_returns_str_of_last_expression(harness_page: Page) -> None:
    assert py(harness_page, "1 + 2") == "3"
    assert py(harness_page, "3.0") == "3.0"
    assert py(harness_page, "import asyncio\nawait asyncio.sleep(0)\n'done'") == "done"
    assert py(harness_page, "x = 5") == "None"
    assert py(harness_page, "x * 2") == "10"  # globals persist between calls


def test_python_error_carries_traceback(harness_page: Page) -> None:
    with pytest.raises(AssertionError) as info:
        py(harness_page, "def boom():\n    raise KeyError('missing-key')\nboom()")
    message = str(info.value)
    assert "Traceback (most recent call last)" in message
    assert "KeyError: 'missing-key'" in message
    assert "in boom" in message


def test_import_pyqueue(harness_page: Page) -> None:
    # The package in static/pyqueue.zip, unpacked into the harness's sys.path.
    assert py(harness_page, "import pyqueue.errors\npyqueue.errors.__name__") == "pyqueue.errors"
    assert py(harness_page, "import pyqueue\npyqueue.__name__") == "pyqueue"
    location = py(harness_page, "import pyqueue.errors\npyqueue.errors.__file__")
    assert location == "/home/pyodide/app/pyqueue/errors.py"


BYTECODE_USED = """
import os, sys
import web.launch
ours = [m for name, m in sys.modules.items() if name.split(".")[0] in ("pyqueue", "web")]
compiled = [m for m in ours if m.__spec__.cached and os.path.exists(m.__spec__.cached)]
flags = {int.from_bytes(open(m.__spec__.cached, "rb").read()[4:8], "little") for m in compiled}
[len(ours) > 20, sorted(set(ours) - set(compiled), key=str), sorted(flags)]
"""


def test_modules_load_from_the_bytecode_shipped_in_the_zip(harness_page: Page) -> None:
    # Pyodide writes no bytecode: without the pycs of scripts/build_zip.py, every load compiles every module.
    # Flags 3: checked-hash pycs (PEP 552), so a source changed after the build is compiled again.
    assert py(harness_page, BYTECODE_USED) == "[True, [], [3]]"


STDLIB_BYTECODE = """
import sys, zipimport
stdlib = sys.modules["json"].__spec__.loader
[zipimport._get_module_code(stdlib, name)[2].rsplit(".", 1)[1] for name in ("json", "dataclasses", "typing")]
"""


def test_the_standard_library_loads_from_the_bytecode_setup_adds_to_it(harness_page: Page) -> None:
    # Pyodide ships its standard library as sources: without scripts/compile_stdlib.mjs, every page
    # and every worker compiles what its start imports (two thirds of loadPyodide).
    assert py(harness_page, STDLIB_BYTECODE) == "['pyc', 'pyc', 'pyc']"


def test_load_file_into_pyodide(harness_page: Page, page_guard: PageGuard) -> None:
    # scripts/serve.py only needs the stdlib, so it also imports inside Pyodide.
    load_file(harness_page, "scripts/serve.py", "/home/pyodide/app/serve_copy.py")
    assert py(harness_page, "import serve_copy\nserve_copy.MIME_TYPES['.wasm']") == "application/wasm"
    page_guard.allow_errors(r"status of 404")  # Chromium logs the failed fetch below
    with pytest.raises(AssertionError, match="404"):
        load_file(harness_page, "tests/no_such_file.py", "/tmp/x.py")


def test_wait_ready_fails_with_console_lines(page: Page, page_guard: PageGuard) -> None:
    page.goto("/tests/e2e/harness.html")
    page.evaluate("() => console.log('marker-from-the-page')")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)timed out after 300 ms.*marker-from-the-page"):
        wait_ready(page, "#never-there", 300)
    wait_ready(page, "() => window.harnessReady === true", 60_000)
    wait_ready(page, "#status", 1_000)


INDEXEDDB_ROUND_TRIP = """
import asyncio
import js
from pyodide.ffi import create_proxy, to_js

loop = asyncio.get_running_loop()
proxies = []

def proxy(fn):
    p = create_proxy(fn)
    proxies.append(p)
    return p

async def transaction_done(tx):
    # Await only the transaction's end: awaiting inside it would deactivate it.
    fut = loop.create_future()
    def done(event):
        if fut.done():
            return
        if event.type == "complete":
            fut.set_result(None)
        else:
            fut.set_exception(RuntimeError(f"transaction {event.type}: {tx.error}"))
    tx.oncomplete = proxy(done)
    tx.onabort = proxy(done)
    tx.onerror = proxy(done)
    await fut

try:
    opened = loop.create_future()
    req = js.indexedDB.open("harness-smoke", 1)
    req.onupgradeneeded = proxy(lambda e: e.target.result.createObjectStore("kv"))
    req.onsuccess = proxy(lambda e: opened.set_result(e.target.result))
    req.onerror = proxy(lambda e: opened.set_exception(RuntimeError(str(req.error))))
    db = await opened

    tx = db.transaction("kv", "readwrite")
    tx.objectStore("kv").put(to_js({"name": "café", "n": 41.5, "tags": ["a", "b"]}), "row-1")
    await transaction_done(tx)

    got = loop.create_future()
    tx = db.transaction("kv", "readonly")
    get_req = tx.objectStore("kv").get("row-1")
    get_req.onsuccess = proxy(lambda e: got.set_result(e.target.result.to_py()))
    await transaction_done(tx)
    row = await got
    db.close()
finally:
    for p in proxies:
        p.destroy()
repr(sorted(row.items()))
"""


def test_indexeddb_round_trip(harness_page: Page) -> None:
    result = py(harness_page, INDEXEDDB_ROUND_TRIP)
    assert result == repr(sorted({"name": "café", "n": 41.5, "tags": ["a", "b"]}.items()))


def test_shared_harness_keeps_state_across_tests(shared_harness: Page) -> None:
    py(shared_harness, "shared_counter = globals().get('shared_counter', 0) + 1")
    assert py(shared_harness, "shared_counter") == "1"


def test_shared_harness_second_test_sees_the_same_page(shared_harness: Page) -> None:
    assert py(shared_harness, "shared_counter") == "1"
    assert py(shared_harness, "import pyqueue.errors\n'ok'") == "ok"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8123/static/pyqueue.zip", True),
        ("http://127.0.0.1:8123/", True),
        ("data:text/plain,hi", True),
        ("blob:http://127.0.0.1:8123/0b6d8f8a-1111-2222-3333-444455556666", True),
        ("http://127.0.0.1:8124/static/pyqueue.zip", False),  # other port
        ("https://127.0.0.1:8123/", False),  # other scheme
        ("http://localhost:8123/", False),  # other host name, other origin
        ("http://10.255.255.1/x", False),
        ("https://cdn.example.com/pyodide/pyodide.mjs", False),
        ("ws://127.0.0.1:8123/socket", False),
    ],
)
def test_guard_url_predicate(url: str, allowed: bool) -> None:
    assert is_allowed_url(url, "http://127.0.0.1:8123/") is allowed


def test_guard_reports_problems_without_a_browser() -> None:
    guard = PageGuard(origin="http://127.0.0.1:8123/")
    assert guard.problems() == []
    guard.offsite_requests.append("http://10.255.255.1/x")
    guard.errors.append("console error: [error] boom")
    assert guard.problems() == ["console error: [error] boom", "off-origin request: http://10.255.255.1/x"]
    with pytest.raises(pytest.fail.Exception, match=re.escape("off-origin request: http://10.255.255.1/x")):
        guard.check()


def test_guard_catches_console_errors_and_page_errors(page: Page, server_url: str) -> None:
    # A guard of our own (not page_guard), so the provoked errors do not fail this test.
    guard = PageGuard(origin=server_url)
    guard.attach(page)
    page.goto("/tests/e2e/harness.html")
    page.evaluate("() => console.error('provoked console error')")
    page.evaluate("() => { setTimeout(() => { throw new Error('provoked page error'); }, 0); }")
    page.wait_for_timeout(200)
    problems = "\n".join(guard.problems())
    assert "provoked console error" in problems
    assert "provoked page error" in problems
    assert all(is_allowed_url(line, server_url) for line in guard.offsite_requests)


def test_pyscript_page_runs_offline_with_the_vendored_runtime(page: Page, page_guard: PageGuard) -> None:
    # The same config a PyScript page of this project needs: vendored Pyodide + pyqueue.zip.
    page.goto("/tests/e2e/pyscript_smoke.html")
    wait_ready(page, "() => document.getElementById('out').textContent.startsWith('ready')", 60_000)
    assert page.text_content("#out") == "ready pyqueue (3, 14)"
