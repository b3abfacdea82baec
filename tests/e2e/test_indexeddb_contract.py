"""The storage contract (``tests/contract_cases.py``) against IndexedDBStore in real Chromium, one test per case.

One harness page serves the whole module (Pyodide starts once); every case gets
a database of its own, deleted afterwards. A failing case fails with the
Python traceback from inside the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from ..contract_cases import CASES
from .conftest import load_file, py

RUN_CASE = """
from contract_cases import CASES, T0
from pyqueue.browser import IndexedDBStore
from pyqueue.browser.idb import delete_database

store = await IndexedDBStore.open({db!r}, clock=lambda: T0)
try:
    await CASES[{name!r}](store)
finally:
    store.close()
    await delete_database({db!r})
"""


@pytest.fixture(scope="module")
def contract_page(shared_harness: Page) -> Iterator[Page]:
    load_file(shared_harness, "tests/contract_cases.py", "/home/pyodide/app/contract_cases.py")
    yield shared_harness
    left = py(shared_harness, "import js\nsorted(d.name for d in await js.indexedDB.databases())")
    assert left == "[]", f"contract cases left databases behind: {left}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_indexeddb_store_contract(contract_page: Page, name: str) -> None:
    db = f"contract-{name}-{uuid.uuid4().hex[:8]}"
    try:
        py(contract_page, RUN_CASE.format(db=db, name=name), timeout_ms=60_000)
    except AssertionError as e:  # show the Python traceback alone, not the harness plumbing around it
        pytest.fail(str(e), pytrace=False)
