"""Small IndexedDB helpers in the style of the ``idb`` library: open a database, run one transaction.

The rule they enforce: never ``await`` inside a transaction. Pyodide resumes a
coroutine in a new browser task, and IndexedDB deactivates a transaction at the
end of the task that created it, so a transaction here is driven by callbacks:
:func:`transaction` calls ``body(tx)`` synchronously, ``body`` issues requests
and chains dependent requests in their callbacks (:meth:`Transaction.then`),
and only the end of the transaction is awaited.

JavaScript failures become pyqueue errors here, at the edge:
``QuotaExceededError`` becomes :class:`~pyqueue.errors.QuotaExceeded`, any
other ``DOMException`` a :class:`~pyqueue.errors.StorageError` naming it. A
Python exception raised in a callback aborts the transaction (rolling back
every write) and is re-raised as itself from the ``await``.

The JavaScript bridge (``js``, ``pyodide.ffi``) is imported inside the
functions, so this module imports under CPython too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from ..errors import QuotaExceeded, StorageError, UpgradeBlocked

T = TypeVar("T")

Upgrade = Callable[[Any, Any, int, int], None]
"""``upgrade(db, tx, old_version, new_version)``, run in the version-change transaction."""

VersionChange = Callable[[int | None], None]
"""Called after another tab asked for a newer version (or deletion) and this connection closed.

It gets the version asked for, or ``None`` when the database is being deleted.
"""

BLOCKED_TIMEOUT_MS = 5_000.0
"""How long an open or delete waits for other tabs to close their connections before giving up."""

_CALLBACK_ID = "pyqueueCallback"  # expando on each IDBRequest: which Python callback handles it
_TRANSACTION_ID = "pyqueueTransaction"  # expando on each IDBTransaction: which Transaction it is

log = logging.getLogger(__name__)


def is_null(value: Any) -> bool:
    """True for JavaScript ``null`` or ``undefined`` as they reach Python (``jsnull`` or ``None``)."""
    return value is None or value is _jsnull()


@functools.cache
def _jsnull() -> Any:
    from pyodide.ffi import jsnull

    return jsnull


def js_object(value: dict[str, Any]) -> Any:
    """Convert a dict (nested lists and dicts too) to plain JavaScript objects and arrays."""
    from pyodide.ffi import to_js

    # Pyodide 314's to_js makes plain objects of dicts by itself, 2-3x faster than with a dict_converter.
    return to_js(value)


def js_array(value: Sequence[Any]) -> Any:
    """Convert a list to a JavaScript array, e.g. for a compound key."""
    from pyodide.ffi import to_js

    return to_js(list(value))


def put_all(store: Any, rows: Sequence[dict[str, Any]]) -> tuple[Any, Callable[[], list[Any]]]:
    """Put each of *rows* (one or more) into the object *store*; return the first request, and what reads
    the requests' results, in order.

    Read them once the transaction has committed (a request keeps its
    result). Many rows cross to JavaScript and are put in one call: a strict
    CSP leaves no way to make a JavaScript function at run time, so the loop
    is made of built-ins, ``Array.prototype.map`` over ``[row]`` arrays calling
    ``Reflect.apply(store.put, store, [row])`` for each (the index and array it
    passes besides are ignored), and the results are read likewise. A single
    row is put as it is: the set-up costs more calls through Pyodide than it
    saves (a single enqueue measured 0.1 ms slower through it).
    """
    if len(rows) == 1:
        request = store.put(js_object(rows[0]))
        return request, lambda: [request.result]
    from js import Reflect
    from pyodide.ffi import to_js

    requests = to_js([[row] for row in rows]).map(Reflect.apply.bind(None, store.put, store))
    return requests[0], lambda: list(requests.map(_result_reader()).to_py())


@functools.cache
def _result_reader() -> Any:
    """``request => request.result`` made of built-ins, once per page: ``map`` calls it as ``f(request, i, array)``."""
    from js import Function, IDBRequest, Object

    return Function.prototype.call.bind(Object.getOwnPropertyDescriptor(IDBRequest.prototype, "result").get)


def storage_error(error: Any, doing: str = "") -> StorageError:
    """Translate a ``DOMException`` (or a ``JsException`` wrapping one) into a pyqueue error."""
    if is_null(error):
        return StorageError(f"IndexedDB {doing or 'operation'} failed without an error")
    name = str(getattr(error, "name", "") or type(error).__name__)
    message = str(getattr(error, "message", "") or "")
    if name == "QuotaExceededError":
        return QuotaExceeded(message)
    where = f" while {doing}" if doing else ""
    return StorageError(f"IndexedDB {name}{where}: {message}" if message else f"IndexedDB {name}{where}")


class _Dispatch:
    """The two proxies through which every transaction's events reach Python, made once per page.

    Making and destroying a pair of proxies per transaction (and a turn of the
    event loop to destroy them after the last event) cost more than the rest
    of a short transaction's Python work; sharing one pair costs a dictionary
    lookup. An expando on each request, and one on each transaction, says which
    Python callback and which :class:`Transaction` an event is for. The proxies
    live as long as the page: nothing is left to destroy, nothing leaks.
    """

    def __init__(self) -> None:
        from pyodide.ffi import create_proxy

        self.requests: dict[int, Transaction[Any]] = {}
        self.transactions: dict[int, Transaction[Any]] = {}
        self._last_key = 0
        self.on_success = create_proxy(self._success)
        self.on_end = create_proxy(self._end)

    def key(self) -> int:
        self._last_key += 1
        return self._last_key

    def _success(self, event: Any) -> None:
        tx = self.requests.get(getattr(event.target, _CALLBACK_ID))
        if tx is not None:  # else its transaction already ended
            tx._success(event)

    def _end(self, event: Any) -> None:
        tx = self.transactions.pop(getattr(event.target, _TRANSACTION_ID), None)
        if tx is not None:
            tx._end(event)


_dispatch: _Dispatch | None = None


def _shared_dispatch() -> _Dispatch:
    global _dispatch
    if _dispatch is None:
        _dispatch = _Dispatch()
    return _dispatch


class Transaction(Generic[T]):
    """One IndexedDB transaction driven from Python callbacks; made by :func:`transaction`.

    Every request gets its success callback through :meth:`then` (or
    :meth:`gather`), which turns an exception in the callback into an abort
    that the awaiting caller sees as that same exception.
    """

    def __init__(self, raw: Any, future: asyncio.Future[T], stores: Sequence[str] = ()) -> None:
        self.raw = raw
        self._stores = tuple(stores)
        self.failure: BaseException | None = None
        self._future = future
        self._dispatch = _shared_dispatch()
        self._callbacks: dict[int, Callable[[Any], None]] = {}
        self._value: T | None = None
        key = self._dispatch.key()
        self._dispatch.transactions[key] = self
        setattr(raw, _TRANSACTION_ID, key)
        raw.oncomplete = self._dispatch.on_end
        raw.onabort = self._dispatch.on_end

    def store(self, name: str) -> Any:
        """Return the transaction's ``IDBObjectStore`` called *name*."""
        return self.raw.objectStore(name)

    def then(self, request: Any, callback: Callable[[Any], None]) -> Any:
        """Call ``callback(result)`` on each success of *request* and return the request.

        ``result`` is the request's result with JavaScript ``null`` and
        ``undefined`` both given as ``None`` (an exhausted cursor, a missing
        row). A cursor request succeeds once per step. The callback runs while
        the transaction is active: it may issue more requests, and must not
        await. If it raises, the transaction aborts.
        """
        key = self._dispatch.key()
        self._dispatch.requests[key] = self
        self._callbacks[key] = callback
        setattr(request, _CALLBACK_ID, key)
        request.onsuccess = self._dispatch.on_success
        return request

    def gather(self, requests: Sequence[Any], callback: Callable[[list[Any]], None]) -> None:
        """Call ``callback(results)`` once every one of *requests* has succeeded, results in their order.

        The requests of a transaction run, and report success, in the order
        they were made, so only the last one needs a callback: when it
        succeeds, every earlier one has (a failure aborts the transaction and
        the callback never runs). One call into Python instead of one per
        request. With no requests the callback runs at once.
        """
        if not requests:
            callback([])
            return

        def all_done(_last: Any) -> None:
            results = [request.result for request in requests]
            callback([None if is_null(result) else result for result in results])

        self.then(requests[-1], all_done)

    def fail(self, error: BaseException) -> None:
        """Abort the transaction; its awaiting caller gets *error* (the first one, if called twice)."""
        from pyodide.ffi import JsException

        if self.failure is None:
            self.failure = error
        with contextlib.suppress(JsException):  # already finished or aborted: the end event reports it
            self.raw.abort()

    def _success(self, event: Any) -> None:
        request = event.target
        callback = self._callbacks[getattr(request, _CALLBACK_ID)]
        result = request.result
        try:
            callback(None if is_null(result) else result)
        except BaseException as e:  # any failure aborts, and reaches the awaiting caller
            self.fail(e)

    def _run_body(self, body: Callable[[Transaction[T]], T]) -> None:
        try:
            self._value = body(self)
        except BaseException as e:
            self.fail(e)

    def _end(self, event: Any) -> None:
        # Last event of the transaction: no request callback can run after it.
        requests = self._dispatch.requests
        for key in self._callbacks:
            del requests[key]
        if self._future.done():  # the caller stopped waiting (cancelled)
            return
        if event.type == "complete":
            self._future.set_result(self._value)  # type: ignore[arg-type]
            return
        error = self._abort_error()
        if isinstance(error, QuotaExceeded) and self._stores and str(self.raw.mode) != "readonly":
            self._reclaim_then_raise(error)
        else:
            self._future.set_exception(error)

    def _reclaim_then_raise(self, error: QuotaExceeded) -> None:
        # Seen in Chromium: the bytes of a transaction that aborted on the quota may stay counted
        # against it (for minutes, across reopening) until the next write transaction commits, so
        # every later write, however small, fails too. An empty readwrite transaction commits
        # without needing quota and gives the space back; the caller hears of the error after it.
        future = self._future

        def report(reclaim: asyncio.Future[None]) -> None:
            if not reclaim.cancelled():
                reclaim.exception()  # a failed reclaim changes nothing: the quota error is the news
            if not future.done():
                future.set_exception(error)

        transaction(self.raw.db, self._stores, "readwrite", lambda tx: None).add_done_callback(report)

    def _abort_error(self) -> BaseException:
        from pyodide.ffi import JsException

        if isinstance(self.failure, JsException):
            return storage_error(self.failure, "running a transaction")
        if self.failure is not None:
            return self.failure
        return storage_error(self.raw.error, "committing a transaction")


def transaction(
    db: Any,
    stores: Sequence[str],
    mode: str,
    body: Callable[[Transaction[T]], T],
) -> asyncio.Future[T]:
    """Start a transaction over *stores* (``"readonly"`` or ``"readwrite"``) and run ``body(tx)`` in it now.

    Returns a future that resolves to what *body* returned once the transaction
    has committed, or raises if it aborted: the exception that *body* or one of
    its callbacks raised, else the translated ``DOMException``
    (:class:`~pyqueue.errors.QuotaExceeded`, :class:`~pyqueue.errors.StorageError`).
    Whatever *body* returns is typically a list or object that the callbacks
    fill in; read it only after the await.
    """
    from pyodide.ffi import JsException

    # A plain Future, not loop.create_future(): Pyodide's WebLoop adds a done callback to the futures
    # it makes (to count work in progress, for Node), and every callback costs a turn of the event loop.
    future: asyncio.Future[T] = asyncio.Future(loop=asyncio.get_running_loop())
    try:
        raw = db.transaction(stores[0] if len(stores) == 1 else js_array(stores), mode)
    except JsException as e:
        future.set_exception(storage_error(e, "starting a transaction"))
        return future
    Transaction(raw, future, stores)._run_body(body)
    return future


async def open_database(
    name: str,
    version: int,
    upgrade: Upgrade,
    *,
    on_version_change: VersionChange | None = None,
    blocked_timeout_ms: float = BLOCKED_TIMEOUT_MS,
) -> Connection:
    """Open database *name* at *version*, running *upgrade* if it is older.

    If another tab holds the database open at an older version and does not
    close it, the open is blocked: after *blocked_timeout_ms* it raises
    :class:`~pyqueue.errors.UpgradeBlocked` instead of hanging (the request is
    abandoned: should it go through later, its upgrade is aborted and the
    connection closed). A database already at a newer version raises
    :class:`~pyqueue.errors.StorageError`.

    The connection closes itself when another tab asks for a newer version or
    deletes the database, then calls *on_version_change* so the page can stop
    its runner and say why.
    """
    import js

    request = js.indexedDB.open(name, version)
    raw = await _await_request(
        request, f"opening database {name!r}", blocked_timeout_ms, lambda: UpgradeBlocked(name, version), upgrade
    )
    return Connection(raw, on_version_change)


async def delete_database(name: str, *, blocked_timeout_ms: float = BLOCKED_TIMEOUT_MS) -> None:
    """Delete database *name*, waiting for the tabs that hold it open to close their connections.

    Raise :class:`~pyqueue.errors.StorageError` if they keep it open for
    *blocked_timeout_ms*; the browser still deletes it once they close.
    """
    import js

    request = js.indexedDB.deleteDatabase(name)

    def still_open() -> StorageError:
        return StorageError(
            f"cannot delete database {name!r}: another tab holds it open; close or reload the other tabs of this site"
        )

    await _await_request(request, f"deleting database {name!r}", blocked_timeout_ms, still_open, None)


async def _await_request(
    request: Any,
    doing: str,
    blocked_timeout_ms: float,
    blocked_error: Callable[[], StorageError],
    upgrade: Upgrade | None,
) -> Any:
    from pyodide.ffi import create_proxy

    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()
    blocked: asyncio.Future[None] = loop.create_future()
    upgrade_failure: list[BaseException] = []
    proxies: list[Any] = []

    def settle() -> None:
        loop.call_soon(lambda: [p.destroy() for p in proxies])

    def on_upgrade(event: Any) -> None:
        if done.done():  # abandoned after UpgradeBlocked: leave the database as it is
            request.transaction.abort()
            return
        try:
            if upgrade is not None:
                upgrade(request.result, request.transaction, int(event.oldVersion), int(event.newVersion))
        except BaseException as e:  # re-raised from the await below
            upgrade_failure.append(e)
            request.transaction.abort()

    def on_success(event: Any) -> None:
        settle()
        result = request.result
        if done.done():  # abandoned: nobody will use this connection
            if not is_null(result):
                result.close()
            return
        done.set_result(result)

    def on_error(event: Any) -> None:
        event.preventDefault()  # handled here; an aborted upgrade must not surface as an uncaught error
        settle()
        if done.done():
            return
        if upgrade_failure:
            done.set_exception(upgrade_failure[0])
        else:
            done.set_exception(storage_error(request.error, doing))

    def on_blocked(event: Any) -> None:
        if not blocked.done():
            blocked.set_result(None)

    for attr, handler in (
        ("onupgradeneeded", on_upgrade),
        ("onsuccess", on_success),
        ("onerror", on_error),
        ("onblocked", on_blocked),
    ):
        proxy = create_proxy(handler)
        proxies.append(proxy)
        setattr(request, attr, proxy)

    await asyncio.wait([done, blocked], return_when=asyncio.FIRST_COMPLETED)
    if not done.done():
        try:
            return await asyncio.wait_for(asyncio.shield(done), blocked_timeout_ms / 1000)
        except TimeoutError:
            done.cancel()  # marks the request abandoned for the handlers above
            raise blocked_error() from None
        finally:
            blocked.cancel()
    blocked.cancel()
    return done.result()


class Connection:
    """An open ``IDBDatabase`` that steps aside when another tab upgrades or deletes the database."""

    def __init__(self, raw: Any, on_version_change: VersionChange | None) -> None:
        from pyodide.ffi import create_proxy

        self.raw = raw
        self.closed_because: str | None = None
        self._loop = asyncio.get_running_loop()
        self._on_version_change = on_version_change
        self._proxies = [create_proxy(self._version_change), create_proxy(self._closed_by_browser)]
        raw.onversionchange = self._proxies[0]
        raw.onclose = self._proxies[1]

    @property
    def name(self) -> str:
        return str(self.raw.name)

    @property
    def version(self) -> int:
        return int(self.raw.version)

    def db(self) -> Any:
        """Return the ``IDBDatabase``; raise :class:`~pyqueue.errors.StorageError` saying why if it closed."""
        if self.closed_because is not None:
            raise StorageError(f"database {self.name!r} is closed: {self.closed_because}")
        return self.raw

    def close(self, reason: str = "closed by this page") -> None:
        """Close the connection (pending transactions still finish); safe to call twice."""
        if self.closed_because is not None:
            return
        self.closed_because = reason
        self.raw.onversionchange = None
        self.raw.onclose = None
        self.raw.close()
        proxies, self._proxies = self._proxies, []
        self._loop.call_soon(lambda: [p.destroy() for p in proxies])

    def _version_change(self, event: Any) -> None:
        new_version = None if is_null(event.newVersion) else int(event.newVersion)
        if new_version is None:
            self.close("another tab is deleting the database")
        else:
            self.close(f"another tab opened it at the newer schema version {new_version}; reload this page")
        if self._on_version_change is not None:
            try:
                self._on_version_change(new_version)
            except Exception:
                log.exception("on_version_change callback failed")

    def _closed_by_browser(self, event: Any) -> None:
        self.close("the browser closed it (site data cleared, or the disk failed)")
