"""The browser edge: IndexedDB storage, tabs and page visibility for pyqueue. Needs Pyodide.

The modules import under CPython (the JavaScript bridge is imported where it
is used), so type checkers and the package itself work everywhere, but only
Pyodide in a browser can run them. :func:`start` (in :mod:`.wiring`) is the
one call a page makes. :mod:`.idb` holds the small IndexedDB helpers,
:mod:`.schema` the row shape and migrations, :mod:`.indexeddb_store` the
:class:`~pyqueue.storage.Storage` backend; :mod:`.tabs`, :mod:`.visibility`
and :mod:`.network` connect the runner to other tabs, to the page and to the
network; :mod:`.devtools` is the read-only view for tests; :mod:`.locks`,
:mod:`.events` and :mod:`.background` are small helpers for pages.
"""

from __future__ import annotations

from .indexeddb_store import IndexedDBStore
from .wiring import BrowserQueue, start

__all__ = ["BrowserQueue", "IndexedDBStore", "start"]
