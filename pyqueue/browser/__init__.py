"""The browser edge: IndexedDB storage, tabs and page visibility for pyqueue. Needs Pyodide.

The modules import under CPython (the JavaScript bridge is imported where it
is used), so type checkers and the package itself work everywhere, but only
Pyodide in a browser can run them. :mod:`.idb` holds the small IndexedDB
helpers, :mod:`.schema` the row shape and migrations, :mod:`.indexeddb_store`
the :class:`~pyqueue.storage.Storage` backend; :mod:`.tabs` and
:mod:`.visibility` connect the runner to other tabs and to the page.
"""

from __future__ import annotations

from .indexeddb_store import IndexedDBStore

__all__ = ["IndexedDBStore"]
