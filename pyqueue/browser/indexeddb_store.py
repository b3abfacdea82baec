"""The durable store: tasks in IndexedDB, each method one transaction, safe across tabs.

Every read-modify-write is a single readwrite transaction whose requests are
chained in callbacks (see :mod:`.idb`), so IndexedDB's transaction scheduling
makes it atomic against every other tab: two tabs can never claim the same
task. Queries go through the sparse indexes described in :mod:`.schema`; in
particular a claim walks the ``ready`` index from its start and stops after
*limit* tasks, so it costs the same at any queue depth.

A row that does not hold a valid task (written by hand, an extension, or some
other version: data too deep or not JSON, a key that is not its task's id, text
in an index field) never stops the queue: where a write can happen it is
rewritten once as a failed task naming the problem
(:func:`~pyqueue.transitions.quarantine`), which leaves every claim index;
plain reads show that failed version without writing it. Nothing is read from
a row with ``to_py``: its ``data`` is text, scanned before it is parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .. import dependencies, transitions
from ..bulk import Decide, Outcome, Position, SweepChunk, Verdict
from ..clock import Clock, wall_clock
from ..constants import DB_NAME, SCHEMA_VERSION
from ..errors import QueueError, TaskNotFound
from ..jsondata import JSONValue
from ..limits import Allowance, ClaimLimits, rate_key, read_starts, write_starts
from ..ordering import claim_key
from ..storage import Change, Claim, DependantListeners, DependantsListener, Stats, stage_changes
from ..task import LIVE_STATUSES, BrokenRecord, Task, TaskStatus
from . import schema, task_rows
from .idb import (
    BLOCKED_TIMEOUT_MS,
    Connection,
    Transaction,
    VersionChange,
    is_null,
    js_array,
    open_database,
)
from .idb import transaction as start_transaction

if TYPE_CHECKING:
    from ..importing import ImportReport

MAX_PROMOTIONS_PER_CLAIM = 1_000
"""At most this many due scheduled tasks become pending in one claim, to keep the transaction short.

The rest stay due; the claim then reports a ``next_due`` in the past, so the
runner claims again at once and promotes the next ones.
"""

MAX_SWEEP = 100
"""At most this many rows with a corrupted number index are quarantined per index in one recover (run often)."""

Record = dict[str, JSONValue]
T = TypeVar("T")
_Claimed = tuple[list[Task], list[float], list[float]]
"""What a claim's transaction fills in: the tasks taken, the next due time, and when held types free."""
_Written = tuple[dependencies.AddPlan, task_rows.NewRows]
"""What an add's transaction fills in: its plan, and the rows it writes (what reads their numbers, their data)."""


def _nothing() -> None:
    """What to do once a part of a transaction made its last request, when nothing follows it."""


def _claim_stores(limits: ClaimLimits | None) -> tuple[str, ...]:
    """The stores a claim's transaction covers: ``meta`` too when it keeps rate state."""
    return (schema.TASKS,) if limits is None else (schema.TASKS, schema.META)


def _claim_of(claimed: _Claimed) -> Claim:
    """The claim that a claim body's filled-in lists describe."""
    tasks, next_due, soon = claimed
    return Claim(tasks, min((*next_due[:1], *soon), default=None))


def _key_range() -> Any:
    import js

    return js.IDBKeyRange


def _numbers() -> Any:
    """Every number key: keys of other types (text, arrays) sort after all numbers and are left out."""
    return _key_range().bound(-math.inf, math.inf)


def _not_numbers() -> Any:
    """Every key that is not a number (dates, text, binary, arrays sort after numbers): a corrupted number index."""
    import js

    return _key_range().lowerBound(js.Date.new(-8.64e15))


def _status_type(key: Any) -> tuple[str, str] | None:
    """The ``(status, type)`` of a ``status_type`` key, read without ``to_py``; ``None`` if it is not such a pair."""
    if isinstance(key, (str, int, float, bool)) or getattr(key, "length", None) != 2:
        return None
    status, task_type = key[0], key[1]
    return (status, task_type) if isinstance(status, str) and isinstance(task_type, str) else None


def _type_of(key: Any) -> str | None:
    """The task type of a ``ready_type`` key, read without ``to_py``; ``None`` if it is not such a key."""
    if isinstance(key, (str, int, float, bool)) or getattr(key, "length", None) != 3:
        return None
    name = key[0]
    return name if isinstance(name, str) else None


def _type_range(task_type: str) -> Any:
    """Every ``ready_type`` key of *task_type*, in claim order."""
    return _key_range().bound(js_array([task_type, -math.inf]), js_array([task_type, math.inf]))


def _status_range(status: str, upper: float = math.inf, *, upper_open: bool = False) -> Any:
    """Every ``[status, x]`` key with ``x`` up to *upper* (excluded if *upper_open*)."""
    return _key_range().bound(js_array([status, -math.inf]), js_array([status, upper]), False, upper_open)


def _position(row: Any) -> Position | None:
    """Where *row* stands in a walk, ``(seq, id)``; ``None`` for a hand-written key pyqueue never writes."""
    key, seq = getattr(row, "id", None), getattr(row, "seq", None)
    if not isinstance(key, str) or isinstance(seq, bool) or not isinstance(seq, (int, float)):
        return None
    return (float(seq), key)


def _status_range_from(status: str, seq: float) -> Any:
    """Every ``[status, x]`` key with ``x`` from *seq* (included) on."""
    return _key_range().bound(js_array([status, seq]), js_array([status, math.inf]))


class IndexedDBStore:
    """IndexedDB implementation of :class:`~pyqueue.storage.Storage`; make one with :meth:`open`."""

    def __init__(self, connection: Connection, *, clock: Clock = wall_clock) -> None:
        self._connection = connection
        self._clock = clock
        self._dependants = DependantListeners()

    @classmethod
    async def open(
        cls,
        name: str = DB_NAME,
        *,
        clock: Clock = wall_clock,
        on_version_change: VersionChange | None = None,
        blocked_timeout_ms: float = BLOCKED_TIMEOUT_MS,
    ) -> IndexedDBStore:
        """Open (creating or upgrading) database *name* at :data:`~pyqueue.constants.SCHEMA_VERSION`.

        *on_version_change* is called after another tab opened the database at a
        newer version (or deleted it) and this store closed itself; every later
        call raises :class:`~pyqueue.errors.StorageError`. If an older tab keeps
        the database open while this one must upgrade it, raise
        :class:`~pyqueue.errors.UpgradeBlocked` after *blocked_timeout_ms*.
        """
        connection = await open_database(
            name,
            SCHEMA_VERSION,
            schema.upgrade,
            on_version_change=on_version_change,
            blocked_timeout_ms=blocked_timeout_ms,
        )
        return cls(connection, clock=clock)

    @property
    def name(self) -> str:
        """The database name."""
        return self._connection.name

    @property
    def closed_because(self) -> str | None:
        """Why the store is closed (by this page, another tab's upgrade, the browser), or ``None`` if open."""
        return self._connection.closed_because

    def close(self) -> None:
        self._connection.close()

    def on_dependants(self, listener: DependantsListener) -> Callable[[], None]:
        return self._dependants.add(listener)

    def _run(self, mode: str, body: Callable[[Transaction[T]], T], stores: Sequence[str] = (schema.TASKS,)) -> Any:
        return start_transaction(self._connection.db(), stores, mode, body)

    # ----------------------------------------------------------------- rows

    def _read(self, row: Any) -> Task:
        """The task in *row*; a broken row reads as its quarantined version (not written)."""
        data, task_id, seq = getattr(row, "data", None), getattr(row, "id", None), getattr(row, "seq", None)
        try:
            return task_rows.decode(data, task_id, seq)
        except BrokenRecord as e:
            return self._quarantined(task_id, data, str(e), seq)

    def _quarantined(self, task_id: Any, data: Any, reason: str, seq: Any) -> Task:
        """The failed version of a broken row, under the row's own number when it is one."""
        shown = task_id if isinstance(task_id, str) else schema.describe_key(task_id)
        task = schema.quarantined(shown, data, reason, self._clock())
        number = schema.sequence_number(seq)
        return task if number is None or number == task.seq else task.replace(seq=number)

    def _writable(self, store: Any, row: Any) -> Task | None:
        """The task in *row*, or ``None`` after rewriting a broken row (data or index fields) as quarantined."""
        data, task_id, seq = getattr(row, "data", None), getattr(row, "id", None), getattr(row, "seq", None)
        fields = {name: getattr(row, name, None) for name in schema.NUMBER_FIELDS}
        try:
            problem = schema.index_problem({name: None if is_null(v) else v for name, v in fields.items()})
            if problem is not None:
                raise BrokenRecord(problem)
            return task_rows.decode(data, task_id, seq)
        except BrokenRecord as e:
            if isinstance(task_id, str):  # pyqueue writes only string ids; leave anything else alone
                task = self._quarantined(task_id, data, str(e), seq)
                if schema.sequence_number(seq) is None:  # keyed by text or the like: move it to a number
                    store.delete(seq)
                    task_rows.put_new(store, task)
                else:
                    task_rows.put(store, task)
            return None

    def _release(
        self,
        tx: Transaction[Any],
        store: Any,
        changes: Sequence[tuple[Task, Task]],
        written: dict[str, Task],
        gone: Container[str] = frozenset(),
        then: Callable[[], None] = _nothing,
        read: Mapping[str, Any] | None = None,
    ) -> None:
        """Tell the waiting dependants (``waits`` index) of each task that just finished, and theirs in turn.

        *changes* are ``(before, after)`` pairs. The dependants of one
        generation are read together and answered in one callback. A read
        answers with the rows as they were when it was asked, so when two tasks
        finish together, the second read may return a dependant before the
        first one's rewrite: *written* (one dict per transaction) holds every
        dependant written so far, and wins over the row; once the transaction
        committed, the caller tells :meth:`on_dependants`' listeners about them.
        A task whose id is in *gone* was deleted in this transaction and stays
        deleted. *then* is called once the last dependant is written, so the
        requests it makes see them all. *read* maps the ids of *changes* to
        their ``waits`` rows when the caller read them already, before writing
        *changes*: the first generation then costs no request (and a row of
        *changes* itself reads as written).
        """
        finished = [after for before, after in changes if after.status.finished and not before.status.finished]
        if not finished:
            then()
            return
        mine = {} if read is None else {after.id: after for _, after in changes}

        def apply(results: list[Any]) -> None:
            released: list[tuple[Task, Task]] = []
            for after, rows in zip(finished, results, strict=True):
                now = self._clock() if after.finished_at is None else after.finished_at
                for row in rows:
                    key = getattr(row, "id", None)
                    if isinstance(key, str) and key in gone:
                        continue
                    known = written.get(key, mine.get(key)) if isinstance(key, str) else None
                    task = known if known is not None else self._writable(store, row)
                    if task is not None:
                        written[task.id] = task_rows.put(store, transitions.dependency_finished(task, after, now))
                        released.append((task, written[task.id]))
            self._release(tx, store, released, written, gone, then)

        if read is not None:
            apply([read[after.id] for after in finished])
        else:
            tx.gather([store.index(schema.WAITS).getAll(after.id) for after in finished], apply)

    # ----------------------------------------------------------------- Storage

    async def add(self, tasks: Sequence[Task], *, max_live: int | None = None) -> list[Task]:
        if not tasks:
            return []
        keys = list(dict.fromkeys(t.unique_key for t in tasks if t.unique_key is not None))
        needed = dependencies.outside(tasks)
        live_statuses = LIVE_STATUSES if max_live is not None else ()
        now = self._clock()

        # A plain enqueue (no unique key, no size limit, no dependency stored before) reads
        # nothing: the rows are written at once and the key generator numbers them as they are
        # written. The numbers are read from the requests once the transaction has committed
        # (a request keeps its result): no callback into Python while the transaction runs.
        def body(tx: Transaction[list[_Written]]) -> list[_Written]:
            store = tx.store(schema.TASKS)
            written: list[_Written] = []

            def write(results: list[Any]) -> None:
                read = [None if row is None else self._read(row) for row in results[: len(keys) + len(needed)]]
                holders, found = read[: len(keys)], read[len(keys) :]
                plan = dependencies.plan_add(
                    tasks,
                    seq=None,  # the key generator numbers the rows as they are written
                    held={key: task for key, task in zip(keys, holders, strict=True) if task is not None},
                    stored={task.id: task for task in found if task is not None},
                    now=now,
                    live=sum(int(n) for n in results[len(keys) + len(needed) :]),
                    max_live=max_live,
                )
                written.append((plan, task_rows.put_new_many(tx, store, plan.write)))

            tx.gather(
                [
                    *(store.index(schema.UKEY).get(key) for key in keys),
                    *(task_rows.by_id(store, task_id) for task_id in needed),
                    *(store.index(schema.STATUS_SEQ).count(_status_range(s)) for s in live_statuses),
                ],
                write,
            )
            return written

        [(plan, puts)] = await self._run("readwrite", body)
        numbered = {t.id: t for t in await task_rows.numbered(puts, plan.write)}
        return [numbered.get(t.id, t) for t in plan.out]

    async def get(self, task_id: str) -> Task | None:
        def body(tx: Transaction[list[Task | None]]) -> list[Task | None]:
            found: list[Task | None] = []

            def read(row: Any) -> None:
                found.append(None if row is None else self._read(row))

            tx.then(task_rows.by_id(tx.store(schema.TASKS), task_id), read)
            return found

        found: list[Task | None] = await self._run("readonly", body)
        return found[0]

    async def update(self, task_id: str, change: Change) -> Task:
        released: dict[str, Task] = {}

        def body(tx: Transaction[list[Task]]) -> list[Task]:
            store = tx.store(schema.TASKS)
            out: list[Task] = []

            def apply(row: Any) -> None:
                if row is None:
                    raise TaskNotFound(task_id)
                before = self._read(row)
                out.append(task_rows.put(store, change(before)))
                self._release(tx, store, [(before, out[0])], released)

            tx.then(task_rows.by_id(store, task_id), apply)
            return out

        out: list[Task] = await self._run("readwrite", body)
        self._dependants.notify(list(released.values()))
        return out[0]

    async def update_many(self, changes: Sequence[tuple[str, Change]]) -> list[Task | QueueError]:
        if not changes:
            return []
        released: dict[str, Task] = {}
        out: list[Task | QueueError] = await self._run("readwrite", lambda tx: self._record(tx, changes, released))
        self._dependants.notify(list(released.values()))
        return out

    def _record(
        self,
        tx: Transaction[Any],
        changes: Sequence[tuple[str, Change]],
        released: dict[str, Task],
        then: Callable[[], None] = _nothing,
    ) -> list[Task | QueueError]:
        """:meth:`update_many`'s part of *tx*: the list it returns is filled in once the rows are read.

        *released* gets the dependants settled in cascade (for :meth:`on_dependants`).
        *then* is called in the same callback chain once every write is made
        (the dependants' too), so the requests it makes see them.
        """
        ids = list(dict.fromkeys(task_id for task_id, _ in changes))
        store = tx.store(schema.TASKS)
        out: list[Task | QueueError] = []

        def apply(results: list[Any]) -> None:
            rows, dependants = results[: len(ids)], results[len(ids) :]
            found = {task_id: self._read(row) for task_id, row in zip(ids, rows, strict=True) if row is not None}
            reported, staged = stage_changes(changes, found)
            written = {task_id: task_rows.put(store, task) for task_id, task in staged.items()}
            out.extend(written[r.id] if isinstance(r, Task) else r for r in reported)
            changed = [(found[task_id], task) for task_id, task in written.items()]
            self._release(tx, store, changed, released, then=then, read=dict(zip(ids, dependants, strict=True)))

        # The dependants are read with the tasks, before the writes: one round trip fewer before *then*.
        waits = store.index(schema.WAITS)
        rows = [task_rows.by_id(store, task_id) for task_id in ids]
        tx.gather([*rows, *(waits.getAll(task_id) for task_id in ids)], apply)
        return out

    async def act(self, task_id: str, decide: Decide) -> Verdict:
        written: dict[str, Task] = {}

        def body(tx: Transaction[list[Verdict]]) -> list[Verdict]:
            store = tx.store(schema.TASKS)
            out: list[Verdict] = []

            def judge(row: Any) -> None:
                if row is None:
                    raise TaskNotFound(task_id)
                self._carry_out(tx, store, [self._read(row)], decide, out, written)

            tx.then(task_rows.by_id(store, task_id), judge)
            return out

        out: list[Verdict] = await self._run("readwrite", body)
        self._tell_settled(written, out)
        return out[0]

    async def sweep(self, status: TaskStatus, decide: Decide, *, after: Position | None, limit: int) -> SweepChunk:
        value = TaskStatus(status).value
        start = -math.inf if after is None else after[0]
        written: dict[str, Task] = {}

        def body(tx: Transaction[list[Any]]) -> list[Any]:
            # Rows are read with getAll from the position's seq on (rows of one key come in id
            # order), those at or behind the position dropped; one row more than *limit* tells
            # whether any is left. Only when more rows than that share the position's seq is the
            # read repeated, asking for twice as many (since schema version 3 a seq is a row's key,
            # so no two rows share one; rows written before it could).
            store = tx.store(schema.TASKS)
            index = store.index(schema.STATUS_SEQ)
            last: list[Position] = []
            verdicts: list[Verdict] = []
            more: list[bool] = []

            def read(count: int) -> None:
                tx.then(index.getAll(_status_range_from(value, start), count), lambda rows: take(rows, count))

            def take(rows: Any, count: int) -> None:
                ahead = [(position, row) for row in rows if (position := _position(row)) is not None]
                ahead = [(position, row) for position, row in ahead if after is None or position > after]
                if rows.length == count and len(ahead) <= limit:
                    read(count * 2)
                    return
                chunk = ahead[:limit]
                last.extend(position for position, _ in chunk[-1:])
                more.append(len(ahead) > limit)
                tasks = [t for t in (self._writable(store, row) for _, row in chunk) if t is not None]
                self._carry_out(tx, store, tasks, decide, verdicts, written)

            read(limit + 1 + (after is not None))  # the row at the position itself, if it is still there
            return [verdicts, last, more]

        verdicts, last, more = await self._run("readwrite", body)
        self._tell_settled(written, verdicts)
        return SweepChunk(verdicts, last[0] if last else after, done=not more[0])

    def _carry_out(
        self,
        tx: Transaction[Any],
        store: Any,
        tasks: list[Task],
        decide: Decide,
        out: list[Verdict],
        written: dict[str, Task],
    ) -> None:
        """Read the dependencies of *tasks*, judge every one, then write each verdict; fills *out* in order.

        *written* gets every task written, the verdicts' and the dependants' they settled in cascade.
        """
        needed = list(dict.fromkeys(d for t in tasks for d in t.depends_on))

        def judge(rows: list[Any]) -> None:
            found = {task_id: self._read(row) for task_id, row in zip(needed, rows, strict=True) if row is not None}
            verdicts = [decide(task, found) for task in tasks]
            gone: set[str] = set()
            for before, verdict in zip(tasks, verdicts, strict=True):
                if verdict.outcome is Outcome.CHANGED:
                    written[before.id] = task_rows.put(store, verdict.task)
                    self._release(tx, store, [(before, verdict.task)], written, gone)
                elif verdict.outcome is Outcome.DELETED:
                    task_rows.delete(tx, store, before.id)
                    gone.add(before.id)
                    self._release(tx, store, [(before, transitions.deleted(before, self._clock()))], written, gone)
            out.extend(verdicts)

        tx.gather([task_rows.by_id(store, task_id) for task_id in needed], judge)

    def _tell_settled(self, written: dict[str, Task], verdicts: list[Verdict]) -> None:
        """Tell :meth:`on_dependants`' listeners of the dependants settled in cascade (the verdicts' own are not)."""
        own = {v.task.id for v in verdicts if v.outcome is Outcome.CHANGED}
        self._dependants.notify([task for task_id, task in written.items() if task_id not in own])

    async def claim(
        self, *, now: float, owner: str, lease_ms: float, limit: int, limits: ClaimLimits | None = None
    ) -> Claim:
        body = self._claim_body(now=now, owner=owner, lease_ms=lease_ms, limit=limit, limits=limits)
        claimed: _Claimed = await self._run("readwrite", body, _claim_stores(limits))
        return _claim_of(claimed)

    async def finish_and_claim(
        self,
        changes: Sequence[tuple[str, Change]],
        *,
        now: float,
        owner: str,
        lease_ms: float,
        limit: int,
        limits: ClaimLimits | None = None,
    ) -> tuple[list[Task | QueueError], Claim]:
        # One transaction: update_many's part, then, in the callback where its last write is made, the claim's.
        claim_body = self._claim_body(now=now, owner=owner, lease_ms=lease_ms, limit=limit, limits=limits)
        released: dict[str, Task] = {}

        def body(tx: Transaction[Any]) -> tuple[list[Task | QueueError], list[_Claimed]]:
            claimed: list[_Claimed] = []
            return self._record(tx, changes, released, lambda: claimed.append(claim_body(tx))), claimed

        recorded, claimed = await self._run("readwrite", body, _claim_stores(limits))
        self._dependants.notify(list(released.values()))
        return recorded, _claim_of(claimed[0])

    def _claim_body(
        self, *, now: float, owner: str, lease_ms: float, limit: int, limits: ClaimLimits | None
    ) -> Callable[[Transaction[Any]], _Claimed]:
        """:meth:`claim`'s part of a transaction: ``body(tx)`` makes its requests and returns what they fill in."""
        # Rows are read in batches with getAll rather than stepped through with a cursor, and
        # written with put. The first reads go out together and come back in one callback
        # (requests answer in order): the first scheduled time, the first *limit* pending rows
        # (without limits) and the rate state (with). Only when that time has come are the due
        # rows read and promoted; then the ready index is read again after the writes (a promoted
        # row may come first in claim order) and the next due time looked up again, as it is when
        # a row did not go as planned (stale index entries). A claim with nothing due, the common
        # case, makes one request on the due index instead of two. With limits, pending rows are
        # read per type instead (see _take_limited), so held-back types cost nothing.
        rated = [] if limits is None else list(limits.rates)
        head = limit > 0 and limits is None  # getAll(_, 0) would read them all

        def body(tx: Transaction[Any]) -> _Claimed:
            store = tx.store(schema.TASKS)
            ready, due = store.index(schema.READY), store.index(schema.DUE)
            claimed: list[Task] = []
            next_due: list[float] = []
            soon: list[float] = []  # when a type held by its rate may start again
            exact = True  # whether next_due, read before any write, is still right

            def first(results: list[Any]) -> None:
                earliest, rest = results[0], results[1:]
                if earliest is None or float(earliest.key) > now:
                    if earliest is not None:
                        next_due.append(float(earliest.key))
                    go_on(None, rest)
                else:  # something is due: read it (what is due next is looked up again after the promotions)
                    rows = due.getAll(_key_range().upperBound(now), MAX_PROMOTIONS_PER_CLAIM)
                    tx.then(rows, lambda due_rows: go_on(due_rows, rest))

            def go_on(due_rows: Any, rest: list[Any]) -> None:
                nonlocal exact
                if due_rows is not None:
                    exact = False
                    for row in due_rows:
                        task = self._writable(store, row)
                        if task is not None:
                            task_rows.put(store, transitions.promote(task, now))  # also re-indexes a stale row
                if limits is not None:
                    stored = zip(rated, rest, strict=True)
                    starts = {name: read_starts(value, limits.rates[name], now) for name, value in stored}
                    self._take_limited(tx, Allowance(limits, starts, now=now, limit=limit), claim_one, done)
                elif due_rows is not None:
                    take_after(None)
                elif not head:
                    done()
                else:
                    take(rest[0], limit)

            def claim_one(task: Task) -> None:
                claimed.append(task_rows.put(store, transitions.claim(task, owner=owner, now=now, lease_ms=lease_ms)))

            def take_after(last: Any) -> None:
                if len(claimed) >= limit:
                    done()
                    return
                # Past the last row read, by its ready key [ready_pri, seq] (its fields as they were read).
                after = None if last is None else _key_range().lowerBound(js_array([last.ready_pri, last.seq]), True)
                want = limit - len(claimed)
                tx.then(ready.getAll(after, want), lambda rows: take(rows, want))

            def take(rows: Any, want: int) -> None:
                nonlocal exact
                last = None
                for row in rows:
                    last = row
                    task = self._writable(store, row)
                    if task is not None and task.status is not TaskStatus.PENDING:
                        task_rows.put(store, task)  # a stale index entry: re-index the row, take nothing
                        exact = False
                    elif task is not None:
                        claim_one(task)
                if rows.length < want:  # the index ran out
                    done()
                else:  # every row was taken, unless some were broken or stale: then look further
                    take_after(last)

            def done(held: float | None = None, stale: bool = False) -> None:
                nonlocal exact
                if held is not None:
                    soon.append(held)
                if stale:  # some rows were not as indexed: claim again at once, and look up what is due
                    soon.append(now)
                    exact = False
                if not exact:
                    next_due.clear()
                    tx.then(due.openKeyCursor(_numbers()), first_due)

            def first_due(cursor: Any) -> None:
                if cursor is not None:
                    next_due.append(float(cursor.key))

            meta = tx.store(schema.META) if limits is not None else None
            tx.gather(
                [
                    due.openKeyCursor(_numbers()),
                    *([ready.getAll(None, limit)] if head else []),
                    *(meta.get(rate_key(name)) for name in rated if meta is not None),
                ],
                first,
            )
            return claimed, next_due, soon

        return body

    def _take_limited(
        self,
        tx: Transaction[Any],
        allowance: Allowance,
        claim_one: Callable[[Task], None],
        done: Callable[[float | None, bool], None],
    ) -> None:
        """Claim what *allowance* lets through, reading only the first rows of each pending type that may start.

        The types with pending tasks are listed from the ``ready_type`` index
        with one cursor step per type (each step jumps past the whole type),
        then each type that may start gets its first few rows read, as many as
        it may take; the claim takes from those in claim order. So a type held
        back with 10,000 pending tasks costs one step, not 10,000 rows. The rate
        state is written back, and ``next_due`` gets when a held type frees.
        """
        store, meta = tx.store(schema.TASKS), tx.store(schema.META)
        by_type = store.index(schema.READY_TYPE)
        types: list[str] = []
        unread: list[str] = []  # types with pending tasks that may take none now

        def step(cursor: Any) -> None:
            if cursor is None:
                read_firsts()
                return
            name = _type_of(cursor.key)
            if name is None:
                cursor.continue_()  # a hand-written key: its row is quarantined by the plain claim path
            else:
                types.append(name)
                cursor.continue_(js_array([name, math.inf]))

        def read_firsts() -> None:
            wanted = [(name, n) for name in types if (n := allowance.left(name)) > 0]
            unread.extend(name for name in types if allowance.left(name) == 0)
            # One row more than a type may take tells whether any would be left pending.
            tx.gather([by_type.getAll(_type_range(name), n + 1) for name, n in wanted], pick)

        def pick(results: list[Any]) -> None:
            candidates: list[Task] = []
            stale = False
            for rows in results:
                for row in rows:
                    task = self._writable(store, row)
                    if task is not None and task.status is TaskStatus.PENDING:
                        candidates.append(task)
                        continue
                    if task is not None:
                        task_rows.put(store, task)  # a stale index entry: re-index the row, take nothing
                    stale = True  # fewer candidates than read: another claim finds the rows behind these
            chosen = allowance.choose(sorted(candidates, key=claim_key))
            for task in chosen:
                claim_one(task)
            for name, times in allowance.changed().items():
                meta.put(write_starts(times), rate_key(name))
            taken = {t.id for t in chosen}
            done(allowance.held_until([*unread, *(t.type for t in candidates if t.id not in taken)]), stale)

        tx.then(by_type.openKeyCursor(), step)

    async def renew(self, task_ids: Sequence[str], *, owner: str, until: float) -> list[Task]:
        def body(tx: Transaction[list[Task]]) -> list[Task]:
            store = tx.store(schema.TASKS)
            out: list[Task] = []

            def renew_one(row: Any) -> None:
                if row is None:
                    return
                task = self._read(row)
                if task.status is TaskStatus.PROCESSING and task.lease_owner == owner:
                    task = task_rows.put(store, transitions.renew(task, owner=owner, until=until))
                out.append(task)

            for task_id in task_ids:
                tx.then(task_rows.by_id(store, task_id), renew_one)
            return out

        out: list[Task] = await self._run("readwrite", body)
        return out

    async def recover(self, *, now: float) -> list[Task]:
        released: dict[str, Task] = {}

        def body(tx: Transaction[list[Task]]) -> list[Task]:
            store = tx.store(schema.TASKS)
            out: list[Task] = []

            def expire(rows: Any) -> None:
                changes: list[tuple[Task, Task]] = []
                for row in rows:
                    task = self._writable(store, row)
                    if task is not None:
                        recovered = task_rows.put(store, transitions.expire(task, now))  # also re-indexes a stale row
                        changes.append((task, recovered))
                        if transitions.lease_expired(task, now):
                            out.append(recovered)
                self._release(tx, store, changes, released)

            def quarantine(rows: Any) -> None:
                for row in rows:
                    self._writable(store, row)  # a text or array key: the row is rewritten as quarantined

            tx.then(store.index(schema.LEASE).getAll(_key_range().upperBound(now)), expire)
            for source in (store.index(schema.DUE), store.index(schema.LEASE), store):  # the store: its keys
                tx.then(source.getAll(_not_numbers(), MAX_SWEEP), quarantine)
            return out

        out: list[Task] = await self._run("readwrite", body)
        self._dependants.notify(list(released.values()))
        return out

    async def parked(self) -> list[Task]:
        def body(tx: Transaction[list[Task]]) -> list[Task]:
            out: list[Task] = []
            tx.then(
                tx.store(schema.TASKS).index(schema.PARKED).getAll(), lambda rows: out.extend(map(self._read, rows))
            )
            return out

        out: list[Task] = await self._run("readonly", body)
        return out

    async def finished_since(self, since: float, *, limit: int = 1000) -> list[Task]:
        if limit <= 0 or not since <= math.inf:  # NaN: nothing finished at or after it
            return []

        def body(tx: Transaction[list[Task]]) -> list[Task]:
            since_key = _key_range().lowerBound(js_array([since, -math.inf]))
            return self._first_rows(
                tx, tx.store(schema.TASKS).index(schema.FINISHED).openCursor(since_key, "prev"), limit
            )

        out: list[Task] = await self._run("readonly", body)
        return out

    def _first_rows(self, tx: Transaction[list[Task]], cursor_request: Any, limit: int) -> list[Task]:
        """The tasks of the first *limit* rows *cursor_request* steps through; filled in as the cursor moves."""
        out: list[Task] = []

        def step(cursor: Any) -> None:
            if cursor is None:
                return
            out.append(self._read(cursor.value))
            if len(out) < limit:
                cursor.continue_()

        tx.then(cursor_request, step)
        return out

    async def clear(self) -> int:
        def body(tx: Transaction[list[int]]) -> list[int]:
            store = tx.store(schema.TASKS)
            count: list[int] = []
            tx.then(store.count(), lambda n: count.append(int(n)))
            store.clear()  # the key generator keeps its number: sequence numbers are never reused
            return count

        count: list[int] = await self._run("readwrite", body)
        return count[0]

    async def tasks(self, *, status: TaskStatus | None = None, limit: int = 100) -> list[Task]:
        if limit <= 0:
            return []

        def body(tx: Transaction[list[Task]]) -> list[Task]:
            store = tx.store(schema.TASKS)
            if status is None:
                request = store.openCursor(None, "prev")
            else:
                request = store.index(schema.STATUS_SEQ).openCursor(_status_range(TaskStatus(status).value), "prev")
            return self._first_rows(tx, request, limit)

        out: list[Task] = await self._run("readonly", body)
        return out

    async def stats(self) -> Stats:
        def body(tx: Transaction[list[tuple[tuple[str, str], int]]]) -> list[tuple[tuple[str, str], int]]:
            index = tx.store(schema.TASKS).index(schema.STATUS_TYPE)
            counts: list[tuple[tuple[str, str], int]] = []

            def group(cursor: Any) -> None:
                if cursor is None:
                    return
                key = cursor.key
                status_type = _status_type(key)
                if status_type is not None:  # else a hand-written key: the row is counted once it is quarantined
                    tx.then(index.count(_key_range().only(key)), lambda n: counts.append((status_type, int(n))))
                cursor.continue_()

            tx.then(index.openKeyCursor(None, "nextunique"), group)
            return counts

        counts: list[tuple[tuple[str, str], int]] = await self._run("readonly", body)
        by_status = {s.value: 0 for s in TaskStatus}
        by_type: dict[str, dict[str, int]] = {}
        for (status, task_type), n in counts:
            by_status[status] = by_status.get(status, 0) + n
            by_type.setdefault(task_type, {})[status] = n
        return Stats(by_status, by_type)

    async def purge(self, *, statuses: Sequence[TaskStatus], finished_before: float, dry_run: bool) -> list[Task]:
        if not finished_before > -math.inf:  # also NaN: nothing finished before it
            return []

        def body(tx: Transaction[list[Task]]) -> list[Task]:
            store = tx.store(schema.TASKS)
            index = store.index(schema.STATUS_FINISHED)
            gone: list[Task] = []

            def collect(rows: Any) -> None:
                for row in rows:
                    gone.append(self._read(row))
                    if not dry_run:
                        store.delete(row.seq)

            for status in dict.fromkeys(TaskStatus(s).value for s in statuses):
                tx.then(index.getAll(_status_range(status, finished_before, upper_open=True)), collect)
            return gone

        gone: list[Task] = await self._run("readonly" if dry_run else "readwrite", body)
        return sorted(gone, key=lambda t: t.seq)

    async def import_records(self, records: Sequence[object], *, replace: bool = False) -> ImportReport:
        from ..importing import plan_import, read_records  # on first use: a page starts without it

        incoming = read_records(records, now=self._clock())
        ids = list(dict.fromkeys(item.task.id for item in incoming))
        keys = list(dict.fromkeys(item.task.unique_key for item in incoming if item.task.unique_key is not None))

        seqs = list(dict.fromkeys(item.task.seq for item in incoming))

        def body(tx: Transaction[list[ImportReport]]) -> list[ImportReport]:
            store = tx.store(schema.TASKS)
            out: list[ImportReport] = []

            def write(results: list[Any]) -> None:
                found = zip(ids, results[: len(ids)], strict=True)
                stored_at = {task_id: key for task_id, key in found if key is not None}
                holders = {
                    key: holder if isinstance(holder, str) else schema.describe_key(holder)
                    for key, row in zip(keys, results[len(ids) : len(ids) + len(keys)], strict=True)
                    if row is not None and (holder := getattr(row, "id", None)) is not None
                }
                at_seqs = results[len(ids) + len(keys) :]
                occupied = {seq for seq, key in zip(seqs, at_seqs, strict=True) if key is not None}
                plan = plan_import(incoming, exists=stored_at.__contains__, holders=holders, replace=replace)
                places = schema.place_imports(plan.write, stored_at, occupied)
                for key in places.delete:
                    store.delete(key)
                for task in places.keep:
                    task_rows.put(store, task)
                for task in places.fresh:
                    task_rows.put_new(store, task)
                out.append(plan.report)

            tx.gather(
                [
                    *(task_rows.key_of(store, task_id) for task_id in ids),
                    *(store.index(schema.UKEY).get(key) for key in keys),
                    *(store.getKey(seq) for seq in seqs),
                ],
                write,
            )
            return out

        out: list[ImportReport] = await self._run("readwrite", body)
        return out[0]

    async def records(self) -> list[Record]:
        def body(tx: Transaction[list[Any]]) -> list[Any]:
            rows: list[Any] = []
            tx.then(tx.store(schema.TASKS).getAll(), rows.append)
            return rows

        rows: list[Any] = await self._run("readonly", body)
        return [t.to_record() for t in sorted((self._read(row) for row in rows[0]), key=lambda t: t.seq)]
