"""The storage contract: behaviour every backend must show, as plain async functions.

No pytest here on purpose: the same cases run under CPython against
:class:`~pyqueue.MemoryStore` (``test_storage_contract.py``) and inside Pyodide
in real Chromium against the IndexedDB store (``e2e/test_indexeddb_contract.py``),
each reported as its own test.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pyqueue import Fail, Finish, Queue, QueueRunner, TaskContext, TaskRegistry, bulk, transitions
from pyqueue.errors import InvalidOption, InvalidStateChange, LeaseLost, QueueError, QueueFull, TaskNotFound
from pyqueue.events import TaskEvent
from pyqueue.importing import DUPLICATE_ID, ID_IN_QUEUE, ImportReport, ImportSkip, key_held
from pyqueue.limits import ClaimLimits, RateLimit
from pyqueue.storage import Change, Storage
from pyqueue.task import AttemptError, Task, TaskStatus

Case = Callable[[Storage], Awaitable[None]]
CASES: dict[str, Case] = {}

T0 = 1_700_000_000_000.0
LEASE = 30_000.0


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def make_task(
    task_id: str,
    *,
    priority: int = 0,
    run_at: float = T0,
    max_attempts: int = 3,
    unique_key: str | None = None,
    task_type: str = "noop",
    payload: dict[str, object] | None = None,
    depends_on: tuple[str, ...] = (),
) -> Task:
    waiting = TaskStatus.WAITING if depends_on else None
    return Task(
        id=task_id,
        type=task_type,
        payload=payload if payload is not None else {"n": task_id},  # type: ignore[dict-item]
        status=waiting or (TaskStatus.SCHEDULED if run_at > T0 else TaskStatus.PENDING),
        priority=priority,
        seq=0,
        run_at=run_at,
        attempts=0,
        max_attempts=max_attempts,
        created_at=T0,
        unique_key=unique_key,
        depends_on=depends_on,
        waiting_on=depends_on,
    )


async def claim_ids(store: Storage, *, now: float = T0, limit: int = 100, owner: str = "r1") -> list[str]:
    claim = await store.claim(now=now, owner=owner, lease_ms=LEASE, limit=limit)
    return [t.id for t in claim.tasks]


def failure(now: float, text: str = "boom") -> Callable[[Task], AttemptError]:
    return lambda t: AttemptError(attempt=t.attempts, at=now, error=text, traceback="Traceback: boom")


async def fail_task(store: Storage, task_id: str, *, now: float, retry_in_ms: float | None, owner: str = "r1") -> Task:
    return await store.update(
        task_id,
        lambda t: transitions.fail(t, owner=owner, now=now, error=failure(now)(t), retry_in_ms=retry_in_ms),
    )


async def expect(exc: type[BaseException], awaitable: Awaitable[object]) -> BaseException:
    try:
        await awaitable
    except exc as e:
        return e
    raise AssertionError(f"expected {exc.__name__}")


@case
async def claims_by_priority_then_fifo(store: Storage) -> None:
    await store.add([make_task("low1", priority=-5), make_task("mid1"), make_task("high1", priority=7)])
    await store.add([make_task("mid2"), make_task("high2", priority=7), make_task("low2", priority=-5)])
    order = [await claim_ids(store, limit=1) for _ in range(7)]
    assert order == [["high1"], ["high2"], ["mid1"], ["mid2"], ["low1"], ["low2"], []], order


@case
async def add_assigns_increasing_sequence_numbers(store: Storage) -> None:
    first = await store.add([make_task("a"), make_task("b")])
    second = await store.add([make_task("c")])
    seqs = [t.seq for t in first + second]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3 and seqs[0] >= 1, seqs


@case
async def scheduled_task_is_not_claimed_before_it_is_due(store: Storage) -> None:
    await store.add([make_task("later", run_at=T0 + 5_000, priority=100), make_task("now")])
    claim = await store.claim(now=T0, owner="r1", lease_ms=LEASE, limit=10)
    assert [t.id for t in claim.tasks] == ["now"]
    assert claim.next_due == T0 + 5_000, claim.next_due
    assert (await store.get("later")).status is TaskStatus.SCHEDULED  # type: ignore[union-attr]
    assert await claim_ids(store, now=T0 + 4_999) == []
    assert await claim_ids(store, now=T0 + 5_000) == ["later"]
    claim = await store.claim(now=T0 + 5_000, owner="r1", lease_ms=LEASE, limit=10)
    assert claim.tasks == [] and claim.next_due is None


@case
async def claim_marks_processing_with_owner_lease_and_attempt(store: Storage) -> None:
    await store.add([make_task("a")])
    (task,) = (await store.claim(now=T0 + 1, owner="tab-1", lease_ms=LEASE, limit=1)).tasks
    stored = await store.get("a")
    assert stored == task
    assert task.status is TaskStatus.PROCESSING and task.lease_owner == "tab-1"
    assert task.lease_until == T0 + 1 + LEASE and task.attempts == 1 and task.started_at == T0 + 1


@case
async def concurrent_claims_never_hand_out_a_task_twice(store: Storage) -> None:
    await store.add([make_task(f"t{i:03}") for i in range(60)])
    claims = await asyncio.gather(*(claim_ids(store, limit=3, owner=f"r{i}") for i in range(30)))
    taken = [tid for ids in claims for tid in ids]
    assert len(taken) == 60 and len(set(taken)) == 60, (len(taken), len(set(taken)))


@case
async def failed_attempt_is_retried_after_its_delay_then_fails_for_good(store: Storage) -> None:
    await store.add([make_task("a", max_attempts=2)])
    await claim_ids(store)
    retried = await fail_task(store, "a", now=T0 + 10, retry_in_ms=1_000)
    assert retried.status is TaskStatus.SCHEDULED and retried.run_at == T0 + 1_010
    assert retried.lease_owner is None and len(retried.errors) == 1
    assert await claim_ids(store, now=T0 + 1_009) == []
    assert await claim_ids(store, now=T0 + 1_010) == ["a"]
    final = await fail_task(store, "a", now=T0 + 2_000, retry_in_ms=1_000)
    assert final.status is TaskStatus.FAILED and final.finished_at == T0 + 2_000
    assert [(e.attempt, e.error) for e in final.errors] == [(1, "boom"), (2, "boom")]
    assert final.errors[0].traceback == "Traceback: boom"
    assert await claim_ids(store, now=T0 + 99_999) == []


@case
async def completing_records_the_result(store: Storage) -> None:
    await store.add([make_task("a")])
    await claim_ids(store)
    done = await store.update("a", lambda t: transitions.complete(t, owner="r1", now=T0 + 5, result={"ok": [1, None]}))
    assert done.status is TaskStatus.COMPLETED and done.result == {"ok": [1, None]}
    assert (await store.get("a")) == done


@case
async def a_runner_that_lost_its_lease_cannot_finish_the_task(store: Storage) -> None:
    await store.add([make_task("a")])
    await claim_ids(store, owner="r1")
    await expect(LeaseLost, store.update("a", lambda t: transitions.complete(t, owner="r2", now=T0, result=None)))
    assert (await store.get("a")).status is TaskStatus.PROCESSING  # type: ignore[union-attr]


@case
async def cancel_waiting_running_and_finished_tasks(store: Storage) -> None:
    await store.add([make_task("wait"), make_task("run"), make_task("sched", run_at=T0 + 9_000)])
    await store.update("wait", lambda t: transitions.cancel(t, T0))
    assert await claim_ids(store, limit=1) == ["run"]
    running = await store.update("run", lambda t: transitions.cancel(t, T0))
    assert running.status is TaskStatus.PROCESSING and running.cancel_requested
    ended = await store.update("run", lambda t: transitions.complete(t, owner="r1", now=T0, result=1))
    assert ended.status is TaskStatus.CANCELLED and ended.result is None
    sched = await store.update("sched", lambda t: transitions.cancel(t, T0))
    assert sched.status is TaskStatus.CANCELLED
    await expect(InvalidStateChange, store.update("wait", lambda t: transitions.cancel(t, T0)))
    assert await claim_ids(store, now=T0 + 10_000) == []


@case
async def expired_lease_is_recovered_and_counts_the_lost_attempt(store: Storage) -> None:
    await store.add([make_task("a", max_attempts=2)])
    await claim_ids(store)
    assert await store.recover(now=T0 + LEASE - 1) == []
    (back,) = await store.recover(now=T0 + LEASE)
    assert back.status is TaskStatus.PENDING and back.attempts == 1 and back.lease_owner is None
    assert "lease lost" in back.errors[-1].error
    assert await claim_ids(store, now=T0 + LEASE, owner="r2") == ["a"]
    (gone,) = await store.recover(now=T0 + 3 * LEASE)
    assert gone.status is TaskStatus.FAILED and len(gone.errors) == 2
    assert await store.recover(now=T0 + 9 * LEASE) == []


@case
async def renew_extends_the_lease_and_reports_a_lost_task(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b")])
    await claim_ids(store, owner="r1")
    await store.recover(now=T0 + LEASE)  # both expire
    assert await claim_ids(store, now=T0 + LEASE, owner="r2", limit=1) == ["a"]
    renewed = await store.renew(["a", "b", "nope"], owner="r2", until=T0 + 5 * LEASE)
    by_id = {t.id: t for t in renewed}
    assert set(by_id) == {"a", "b"}
    assert by_id["a"].lease_until == T0 + 5 * LEASE
    assert by_id["b"].lease_owner is None  # r2 never held it: returned unchanged
    assert await store.recover(now=T0 + 4 * LEASE) == []


@case
async def unique_key_keeps_one_task(store: Storage) -> None:
    first = await store.add([make_task("a", unique_key="unit-1")])
    again = await store.add([make_task("b", unique_key="unit-1"), make_task("c", unique_key="unit-2")])
    assert [t.id for t in again] == ["a", "c"], [t.id for t in again]
    assert again[0] == first[0]
    assert await store.get("b") is None
    same_batch = await store.add([make_task("d", unique_key="k"), make_task("e", unique_key="k")])
    assert [t.id for t in same_batch] == ["d", "d"]


@case
async def add_is_all_or_nothing_when_the_queue_is_full(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b")], max_live=3)
    await expect(QueueFull, store.add([make_task("c"), make_task("d")], max_live=3))
    assert await store.get("c") is None and await store.get("d") is None
    await store.add([make_task("c")], max_live=3)
    assert (await store.stats()).total == 3


@case
async def purge_dry_run_reports_and_keeps_then_purge_deletes_only_old_finished(store: Storage) -> None:
    await store.add([make_task(i) for i in ("old", "new", "failed", "waiting")])
    await claim_ids(store, limit=3)
    await store.update("old", lambda t: transitions.complete(t, owner="r1", now=T0 + 10, result=None))
    await store.update("new", lambda t: transitions.complete(t, owner="r1", now=T0 + 500, result=None))
    await fail_task(store, "failed", now=T0 + 10, retry_in_ms=None)
    preview = await store.purge(statuses=[TaskStatus.COMPLETED], finished_before=T0 + 100, dry_run=True)
    assert [t.id for t in preview] == ["old"]
    assert await store.get("old") is not None
    gone = await store.purge(statuses=[TaskStatus.COMPLETED], finished_before=T0 + 100, dry_run=False)
    assert [t.id for t in gone] == ["old"]
    assert await store.get("old") is None
    assert {t.id for t in await store.tasks()} == {"new", "failed", "waiting"}


@case
async def stats_count_per_status_and_type(store: Storage) -> None:
    await store.add([make_task("a", task_type="x"), make_task("b", task_type="y"), make_task("c", task_type="y")])
    await claim_ids(store, limit=1)
    stats = await store.stats()
    assert stats.by_status["processing"] == 1 and stats.by_status["pending"] == 2
    assert stats.by_status["failed"] == 0 and stats.total == 3
    assert stats.by_type == {"x": {"processing": 1}, "y": {"pending": 2}}, stats.by_type


@case
async def tasks_lists_newest_first_with_status_filter(store: Storage) -> None:
    await store.add([make_task(i) for i in ("a", "b", "c", "d")])
    await claim_ids(store, limit=1)
    assert [t.id for t in await store.tasks()] == ["d", "c", "b", "a"]
    assert [t.id for t in await store.tasks(limit=2)] == ["d", "c"]
    assert [t.id for t in await store.tasks(status=TaskStatus.PENDING)] == ["d", "c", "b"]
    assert [t.id for t in await store.tasks(status=TaskStatus.PROCESSING)] == ["a"]


@case
async def update_of_a_missing_task_or_a_failing_change_writes_nothing(store: Storage) -> None:
    await store.add([make_task("a")])
    await expect(TaskNotFound, store.update("nope", lambda t: t))
    await expect(InvalidStateChange, store.update("a", lambda t: transitions.retry(t, T0, {})))
    assert (await store.get("a")).status is TaskStatus.PENDING  # type: ignore[union-attr]


@case
async def records_round_trip_through_export_and_import(store: Storage) -> None:
    await store.add([make_task("a", payload={"s": "<img src=x>", "n": None, "l": [1.5, True]}), make_task("b")])
    await claim_ids(store, limit=1)
    await fail_task(store, "a", now=T0 + 1, retry_in_ms=None)
    exported = await store.records()
    assert [r["id"] for r in exported] == ["a", "b"]
    await store.purge(statuses=[TaskStatus.FAILED], finished_before=T0 + 10, dry_run=False)
    report = await store.import_records(exported)
    assert report == ImportReport(added=["a"], replaced=[], skipped=[ImportSkip("b", ID_IN_QUEUE)], quarantined=[])
    assert await store.records() == exported
    restored = await store.get("a")
    assert restored is not None and restored.payload == {"s": "<img src=x>", "n": None, "l": [1.5, True]}
    assert restored.errors[0].traceback == "Traceback: boom"
    newer = await store.add([make_task("c")])
    assert newer[0].seq > max(int(r["seq"]) for r in exported)  # type: ignore[call-overload]


@case
async def broken_rows_are_failed_with_a_reason_and_never_stop_claims(store: Storage) -> None:
    good = make_task("good").to_record()
    report = await store.import_records(
        [
            {**good, "id": "bad-status", "status": "exploded", "seq": 50},
            {**good, "id": "bad-priority", "priority": "high", "seq": 51},
            {k: v for k, v in good.items() if k != "attempts"} | {"id": "no-attempts", "seq": 52},
            {**good, "seq": 53},
        ]
    )
    assert report.added == ["good"] and report.skipped == []
    assert [q.id for q in report.quarantined] == ["bad-status", "bad-priority", "no-attempts"]
    assert "unknown status 'exploded'" in report.quarantined[0].reason
    assert await claim_ids(store, limit=10) == ["good"]
    for task_id, words in (("bad-status", "exploded"), ("bad-priority", "priority"), ("no-attempts", "attempts")):
        task = await store.get(task_id)
        assert task is not None and task.status is TaskStatus.FAILED, (task_id, task)
        assert words in task.errors[-1].error, task.errors


@case
async def update_many_applies_each_change_and_reports_per_task_errors(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b"), make_task("c")])
    await claim_ids(store, limit=3, owner="r1")
    results = await store.update_many(
        [
            ("a", lambda t: transitions.complete(t, owner="r1", now=T0 + 1, result="A")),
            ("b", lambda t: transitions.complete(t, owner="someone-else", now=T0 + 1, result="B")),
            ("gone", lambda t: t),
            ("c", lambda t: transitions.release(t, owner="r1", now=T0 + 1)),
        ]
    )
    assert isinstance(results[0], Task) and results[0].status is TaskStatus.COMPLETED and results[0].result == "A"
    assert isinstance(results[1], LeaseLost) and isinstance(results[2], TaskNotFound)
    assert isinstance(results[3], Task) and results[3].status is TaskStatus.PENDING and results[3].attempts == 0
    assert (await store.get("a")) == results[0]
    assert (await store.get("b")).status is TaskStatus.PROCESSING  # type: ignore[union-attr]
    assert (await store.get("c")) == results[3]


@case
async def update_many_gives_a_later_change_of_the_same_task_the_earlier_ones_result(store: Storage) -> None:
    # Given a task claimed by r1
    await store.add([make_task("a")])
    await claim_ids(store, limit=1, owner="r1")
    # When one write first records its progress and then completes it
    results = await store.update_many(
        [
            ("a", lambda t: transitions.report_progress(t, owner="r1", progress="halfway")),
            ("a", lambda t: transitions.complete(t, owner="r1", now=T0 + 2, result="done")),
        ]
    )
    # Then the completion was applied on top of the progress, and each place reports the task as written
    stored = await store.get("a")
    assert stored is not None and stored.status is TaskStatus.COMPLETED
    assert stored.progress == "halfway" and stored.result == "done"
    assert results == [stored, stored]


@case
async def update_many_is_all_or_nothing_when_a_change_breaks(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b")])
    await claim_ids(store, limit=2, owner="r1")

    def broken(task: Task) -> Task:
        raise RuntimeError("bug in a change")

    await expect(
        RuntimeError,
        store.update_many([("a", lambda t: transitions.complete(t, owner="r1", now=T0, result=None)), ("b", broken)]),
    )
    assert (await store.get("a")).status is TaskStatus.PROCESSING  # type: ignore[union-attr]


@case
async def parked_tasks_wait_without_using_an_attempt_until_unparked(store: Storage) -> None:
    await store.add([make_task("net"), make_task("other")])
    await claim_ids(store, limit=2)
    parked = await store.update("net", lambda t: transitions.park(t, owner="r1", now=T0 + 1, reason="offline"))
    assert parked.status is TaskStatus.SCHEDULED and parked.attempts == 0 and parked.parked == "offline"
    assert parked.errors == () and parked.lease_owner is None
    assert await claim_ids(store, now=T0 + 10**12) == []  # never due on its own
    assert [t.id for t in await store.parked()] == ["net"]
    (back,) = await store.update_many([("net", lambda t: transitions.unpark(t, T0 + 5))])
    assert isinstance(back, Task) and back.status is TaskStatus.PENDING and back.parked is None
    assert await store.parked() == []
    assert await claim_ids(store, now=T0 + 5) == ["net"]


@case
async def finished_since_lists_recently_finished_tasks_newest_first(store: Storage) -> None:
    await store.add([make_task(i) for i in ("a", "b", "c", "d")])
    await claim_ids(store, limit=4)
    for offset, task_id in ((10, "b"), (20, "a"), (30, "d")):
        await store.update(task_id, lambda t, o=offset: transitions.complete(t, owner="r1", now=T0 + o, result=None))
    await fail_task(store, "c", now=T0 + 25, retry_in_ms=None)
    assert [t.id for t in await store.finished_since(T0 + 20)] == ["d", "c", "a"]
    assert [t.id for t in await store.finished_since(T0, limit=2)] == ["d", "c"]


@case
async def clear_deletes_every_task(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b", run_at=T0 + 99), make_task("c", unique_key="k")])
    await claim_ids(store, limit=1)
    assert await store.clear() == 3
    assert await store.records() == [] and (await store.stats()).total == 0
    again = await store.add([make_task("d", unique_key="k")])  # the unique key is free again
    assert again[0].id == "d"


@case
async def an_import_skips_a_record_whose_unique_key_another_task_holds(store: Storage) -> None:
    await store.add([make_task("holder", unique_key="k")])
    newcomer = make_task("newcomer", unique_key="k").replace(seq=7).to_record()
    also = make_task("also", unique_key="k2").replace(seq=8).to_record()
    twin = make_task("twin", unique_key="k2").replace(seq=9).to_record()
    report = await store.import_records([newcomer, also, twin])
    assert report.added == ["also"] and report.replaced == [] and report.quarantined == []
    assert report.skipped == [
        ImportSkip("newcomer", key_held("k", "holder")),
        ImportSkip("twin", key_held("k2", "also")),
    ]
    assert await store.get("newcomer") is None and await store.get("twin") is None
    assert (await store.get("holder")).unique_key == "k"  # type: ignore[union-attr]
    assert sorted(await claim_ids(store, limit=10)) == ["also", "holder"]


@case
async def an_import_keeps_the_first_of_two_records_with_the_same_id(store: Storage) -> None:
    first = make_task("dup", payload={"n": "first"}).replace(seq=3).to_record()
    second = make_task("dup", payload={"n": "second"}).replace(seq=4).to_record()
    report = await store.import_records([first, second, make_task("other").replace(seq=5).to_record()])
    assert report.added == ["dup", "other"] and report.skipped == [ImportSkip("dup", DUPLICATE_ID)]
    assert (await store.get("dup")).payload == {"n": "first"}  # type: ignore[union-attr]
    assert (await store.stats()).total == 2


@case
async def an_import_never_overwrites_a_stored_task_unless_asked_to_replace(store: Storage) -> None:
    # Given a task that ran and failed, with its history
    await store.add([make_task("a", max_attempts=1)])
    await claim_ids(store)
    history = await fail_task(store, "a", now=T0 + 1, retry_in_ms=None)
    fresh = make_task("a", payload={"n": "from the file"}).replace(seq=99).to_record()
    # When a file holds a record with the same id
    report = await store.import_records([fresh])
    # Then it is skipped, and the stored task keeps its history
    assert report == ImportReport(added=[], replaced=[], skipped=[ImportSkip("a", ID_IN_QUEUE)], quarantined=[])
    assert await store.get("a") == history
    # And with replace=True the record takes its place
    report = await store.import_records([fresh], replace=True)
    assert report == ImportReport(added=[], replaced=["a"], skipped=[], quarantined=[])
    replaced = await store.get("a")
    assert replaced is not None and replaced.payload == {"n": "from the file"} and replaced.errors == ()
    assert await claim_ids(store, now=T0 + 2) == ["a"]


def _nested(depth: int) -> object:
    value: object = []
    for _ in range(depth - 1):
        value = [value]
    return value


@case
async def an_import_quarantines_non_finite_out_of_range_and_deeply_nested_records(store: Storage) -> None:
    good = make_task("good").replace(seq=1).to_record()
    rows: list[object] = [
        {**good, "id": "nan-run-at", "run_at": math.nan, "seq": 2},
        {**good, "id": "nan-result", "result": {"x": [math.inf]}, "seq": 3},
        {**good, "id": "huge-priority", "priority": 10**30, "seq": 4},
        {**good, "id": "float-priority", "priority": 1e30, "seq": 5},
        {**good, "id": "deep-payload", "payload": {"x": _nested(5_000)}, "seq": 6},
        {**good, "id": "huge-seq", "seq": 2**60},
        good,
    ]
    report = await store.import_records(rows)
    assert report.added == ["good"] and report.skipped == []
    reasons = {q.id: q.reason for q in report.quarantined}
    assert list(reasons) == ["nan-run-at", "nan-result", "huge-priority", "float-priority", "deep-payload", "huge-seq"]
    for task_id, words in (
        ("nan-run-at", "'run_at'"),
        ("nan-result", "inf"),
        ("huge-priority", "'priority' should be from -1000 to 1000"),
        ("float-priority", "'priority' should be int"),
        ("deep-payload", "levels deep"),
        ("huge-seq", "'seq'"),
    ):
        assert words in reasons[task_id], (task_id, reasons[task_id])
        task = await store.get(task_id)
        assert task is not None and task.status is TaskStatus.FAILED and words in task.errors[-1].error
    # Then only the good task is claimed, and the export is valid JSON that imports again
    assert await claim_ids(store, limit=10) == ["good"]
    exported = await store.records()
    assert len(exported) == 7
    text = json.dumps(exported, allow_nan=False)
    await store.clear()
    again = await store.import_records(json.loads(text))
    assert sorted(again.added) == sorted(r["id"] for r in exported) and again.quarantined == []  # type: ignore[misc]


# -- dependencies ----------------------------------------------------------------------------


async def complete_task(store: Storage, task_id: str, *, now: float, owner: str = "r1") -> Task:
    return await store.update(task_id, lambda t: transitions.complete(t, owner=owner, now=now, result=None))


async def stored(store: Storage, task_id: str) -> Task:
    task = await store.get(task_id)
    assert task is not None, task_id
    return task


async def status_of(store: Storage, task_id: str) -> TaskStatus:
    return (await stored(store, task_id)).status


@case
async def a_dependant_waits_unclaimed_until_every_dependency_completed(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b"), make_task("c", depends_on=("a", "b"), priority=100)])
    assert await claim_ids(store, limit=10) == ["a", "b"]  # the waiting task is never handed out
    await complete_task(store, "a", now=T0 + 1)
    c = await store.get("c")
    assert c is not None and c.status is TaskStatus.WAITING and c.waiting_on == ("b",) and c.depends_on == ("a", "b")
    assert await claim_ids(store, now=T0 + 1) == []
    outcome = transitions.complete
    (b,) = await store.update_many([("b", lambda t: outcome(t, owner="r1", now=T0 + 2, result=None))])
    assert isinstance(b, Task) and b.status is TaskStatus.COMPLETED
    c = await store.get("c")
    assert c is not None and c.status is TaskStatus.PENDING and c.waiting_on == (), c
    assert await claim_ids(store, now=T0 + 2) == ["c"]


@case
async def dependencies_finishing_in_one_write_release_their_dependant_once_all_are_done(store: Storage) -> None:
    await store.add([make_task(n) for n in "abcd"])
    await store.add([make_task("join", depends_on=tuple("abcd")), make_task("next", depends_on=("join",))])
    await claim_ids(store)
    done = functools.partial(transitions.complete, owner="r1", now=T0 + 1, result=None)
    await store.update_many([(n, done) for n in "abc"])
    join = await store.get("join")
    assert join is not None and join.status is TaskStatus.WAITING and join.waiting_on == ("d",), join
    await store.update_many([("d", done)])
    assert await claim_ids(store, now=T0 + 1) == ["join"]


@case
async def a_failed_dependency_fails_its_dependants_in_turn_naming_it(store: Storage) -> None:
    await store.add([make_task("a", max_attempts=1), make_task("b", depends_on=("a",)), make_task("other")])
    await store.add([make_task("c", depends_on=("b",)), make_task("d", depends_on=("other",))])
    assert await claim_ids(store, limit=1) == ["a"]
    await fail_task(store, "a", now=T0 + 5, retry_in_ms=None)
    b, c = await store.get("b"), await store.get("c")
    assert b is not None and b.status is TaskStatus.FAILED and b.finished_at == T0 + 5
    assert b.errors[-1].error == "dependency a (noop) failed: this task will not run", b.errors
    assert c is not None and c.status is TaskStatus.FAILED and "dependency b (noop) failed" in c.errors[-1].error
    assert await status_of(store, "d") is TaskStatus.WAITING  # waits on another task: untouched
    assert await claim_ids(store, now=T0 + 5) == ["other"]


@case
async def a_cancelled_dependency_cancels_its_dependants(store: Storage) -> None:
    await store.add([make_task("a", run_at=T0 + 1_000), make_task("b", depends_on=("a",))])
    await store.add([make_task("c", depends_on=("b",))])
    await store.update("a", lambda t: transitions.cancel(t, T0 + 1))
    b = await store.get("b")
    assert b is not None and b.status is TaskStatus.CANCELLED
    assert b.errors[-1].error == "dependency a (noop) cancelled: this task will not run"
    assert await status_of(store, "c") is TaskStatus.CANCELLED


@case
async def an_expired_last_attempt_fails_the_dependants(store: Storage) -> None:
    await store.add([make_task("a", max_attempts=1), make_task("b", depends_on=("a",))])
    await claim_ids(store)
    await store.recover(now=T0 + LEASE + 1)
    assert await status_of(store, "a") is TaskStatus.FAILED
    assert await status_of(store, "b") is TaskStatus.FAILED


@case
async def a_dependant_of_finished_tasks_is_settled_when_it_is_enqueued(store: Storage) -> None:
    await store.add([make_task("done"), make_task("bad", max_attempts=1)])
    await claim_ids(store, limit=2)
    await complete_task(store, "done", now=T0 + 1)
    await fail_task(store, "bad", now=T0 + 1, retry_in_ms=None)
    added = await store.add(
        [
            make_task("x", depends_on=("done",)),
            make_task("y", depends_on=("done", "bad")),
            make_task("z", depends_on=("y",)),
            make_task("later", depends_on=("done",), run_at=T0 + 10**6),
        ]
    )
    assert [t.status for t in added] == [
        TaskStatus.PENDING,
        TaskStatus.FAILED,
        TaskStatus.FAILED,
        TaskStatus.SCHEDULED,
    ], added
    assert added[2].errors[-1].error == "dependency y (noop) failed: this task will not run"
    assert await claim_ids(store) == ["x"]


@case
async def a_missing_or_later_dependency_is_refused_and_nothing_is_written(store: Storage) -> None:
    error = await expect(InvalidOption, store.add([make_task("ok"), make_task("x", depends_on=("ghost",))]))
    assert "ghost" in str(error)
    await expect(InvalidOption, store.add([make_task("x", depends_on=("y",)), make_task("y")]))
    assert await store.tasks() == []


@case
async def a_task_kept_out_by_its_unique_key_stands_for_its_holder_as_a_dependency(store: Storage) -> None:
    await store.add([make_task("holder", unique_key="k")])
    added = await store.add([make_task("twin", unique_key="k"), make_task("d", depends_on=("twin",))])
    assert added[0].id == "holder" and added[1].waiting_on == ("holder",) == added[1].depends_on
    await claim_ids(store)
    await complete_task(store, "holder", now=T0 + 1)
    assert await status_of(store, "d") is TaskStatus.PENDING


# -- limits per type -------------------------------------------------------------------------


async def claim_limited(
    store: Storage, limits: ClaimLimits, *, now: float, limit: int = 10
) -> tuple[list[str], float | None]:
    claim = await store.claim(now=now, owner="r1", lease_ms=LEASE, limit=limit, limits=limits)
    return [t.id for t in claim.tasks], claim.next_due


@case
async def a_rate_limit_holds_back_its_type_until_the_window_slides(store: Storage) -> None:
    await store.add([make_task(f"api{i}", task_type="api", priority=5) for i in range(5)])
    await store.add([make_task("plain")])
    limits = ClaimLimits(rates={"api": RateLimit(2, 1_000)})
    assert await claim_limited(store, limits, now=T0) == (["api0", "api1", "plain"], T0 + 1_000)
    assert await claim_limited(store, limits, now=T0 + 999) == ([], T0 + 1_000)  # held tasks stay pending
    assert await status_of(store, "api2") is TaskStatus.PENDING
    assert await claim_limited(store, limits, now=T0 + 1_000, limit=1) == (["api2"], None)  # one start left
    assert await claim_limited(store, limits, now=T0 + 1_500) == (["api3"], T0 + 2_000)  # the window slides
    assert await claim_limited(store, limits, now=T0 + 1_999) == ([], T0 + 2_000)
    assert await claim_limited(store, limits, now=T0 + 2_000) == (["api4"], None)


@case
async def concurrent_claims_never_start_more_than_the_rate_limit_together(store: Storage) -> None:
    await store.add([make_task(f"t{i:02}", task_type="api") for i in range(20)])
    limits = ClaimLimits(rates={"api": RateLimit(3, 60_000)})
    claims = await asyncio.gather(*(claim_limited(store, limits, now=T0 + i) for i in range(8)))
    taken = [tid for ids, _ in claims for tid in ids]
    assert sorted(taken) == ["t00", "t01", "t02"], claims


@case
async def a_capped_type_is_skipped_and_the_next_tasks_in_claim_order_are_taken(store: Storage) -> None:
    await store.add([make_task(f"slow{i}", task_type="slow", priority=9) for i in range(50)])
    await store.add([make_task("fast1", task_type="fast"), make_task("fast2", task_type="fast")])
    limits = ClaimLimits(caps={"slow": 1})
    assert await claim_limited(store, limits, now=T0, limit=3) == (["slow0", "fast1", "fast2"], None)
    assert await claim_limited(store, ClaimLimits(caps={"slow": 0}), now=T0) == ([], None)
    assert await claim_limited(store, ClaimLimits(caps={"slow": 2}), now=T0, limit=5) == (["slow1", "slow2"], None)


@dataclass
class Echo:
    text: str


async def echo(payload: Echo, ctx: TaskContext) -> dict[str, str]:
    if payload.text == "bad":
        raise Fail("bad input")
    return {"echo": payload.text}


@case
async def process_next_runs_the_first_due_task_once_and_records_its_outcome(store: Storage) -> None:
    # Given a queue over this store with three due tasks, one of them urgent and one that fails
    registry = TaskRegistry()
    registry.register("echo", echo)
    queue = Queue(store, registry, clock=lambda: T0)
    runner = QueueRunner(queue)
    first = await queue.enqueue("echo", Echo("first"))
    urgent = await queue.enqueue("echo", Echo("urgent"), priority=5)
    bad = await queue.enqueue("echo", Echo("bad"))
    # When process_next is called four times, Then each call runs one task in claim order, recorded in the store
    reports = [await runner.process_next() for _ in range(4)]
    assert reports[3] is None
    done = [r for r in reports if r is not None]
    assert [r.task.id for r in done] == [urgent, first, bad]
    assert [r.outcome for r in done] == [Finish.COMPLETED, Finish.COMPLETED, Finish.FAILED]
    assert done[0].result == {"echo": "urgent"} and done[2].error == "Fail: bad input"
    for report in done:
        assert await store.get(report.task.id) == report.task
        assert report.task.attempts == 1 and report.duration_ms == 0.0


# -- recording outcomes and claiming in one atomic step -------------------------------------


async def finish_and_claim_ids(
    store: Storage,
    changes: list[tuple[str, Change]],
    *,
    now: float,
    limit: int = 10,
    limits: ClaimLimits | None = None,
) -> tuple[list[Task | QueueError], list[str], float | None]:
    results, claim = await store.finish_and_claim(
        changes, now=now, owner="r2", lease_ms=LEASE, limit=limit, limits=limits
    )
    return results, [t.id for t in claim.tasks], claim.next_due


@case
async def finish_and_claim_claims_what_the_outcomes_made_ready_in_the_same_step(store: Storage) -> None:
    # Given two claimed tasks, a high-priority dependant of the first, and a later task
    await store.add([make_task("a"), make_task("b"), make_task("later")])
    await store.add([make_task("dep", depends_on=("a",), priority=9)])
    assert await claim_ids(store, limit=2) == ["a", "b"]
    told: list[list[str]] = []
    stop = store.on_dependants(lambda tasks: told.append([f"{t.id} {t.status.value}" for t in tasks]))
    # When one call completes the first, retries the second at once, and claims
    done = functools.partial(transitions.complete, owner="r1", now=T0 + 1, result={"ok": 1})

    def retry(task: Task) -> Task:
        return transitions.fail(task, owner="r1", now=T0 + 1, error=failure(T0 + 1)(task), retry_in_ms=0)

    results, taken, next_due = await finish_and_claim_ids(store, [("a", done), ("b", retry)], now=T0 + 1, limit=2)
    # Then each outcome is reported as written, and the claim took the released dependant and the retry
    assert [(r.id, r.status) for r in results if isinstance(r, Task)] == [
        ("a", TaskStatus.COMPLETED),
        ("b", TaskStatus.PENDING),
    ], results
    assert taken == ["dep", "b"] and next_due is None
    assert told == [["dep pending"]]  # the dependant as the outcome left it, before the claim took it
    stop()
    a, b = await store.get("a"), await store.get("b")
    assert a == results[0] and a is not None and a.result == {"ok": 1}
    assert b is not None and (b.status, b.lease_owner, b.attempts, b.lease_until) == (
        TaskStatus.PROCESSING,
        "r2",
        2,
        T0 + 1 + LEASE,
    )
    assert await status_of(store, "later") is TaskStatus.PENDING


@case
async def finish_and_claim_still_claims_when_an_outcome_is_refused(store: Storage) -> None:
    # Given a task claimed by r1, a pending one, and two scheduled ones (one due when the call runs)
    await store.add([make_task("a"), make_task("b"), make_task("soon", run_at=T0 + 500)])
    await store.add([make_task("far", run_at=T0 + 5_000)])
    assert await claim_ids(store, limit=1) == ["a"]
    # When another runner's outcome for it, and one for a missing task, are recorded with a claim
    done = functools.partial(transitions.complete, owner="intruder", now=T0 + 1_000, result=None)
    results, taken, next_due = await finish_and_claim_ids(store, [("a", done), ("ghost", done)], now=T0 + 1_000)
    # Then both are refused in their place, and the claim went on: the due task promoted, the next due time told
    assert isinstance(results[0], LeaseLost) and isinstance(results[1], TaskNotFound), results
    assert taken == ["b", "soon"] and next_due == T0 + 5_000
    assert await status_of(store, "a") is TaskStatus.PROCESSING


@case
async def finish_and_claim_writes_nothing_when_a_change_breaks(store: Storage) -> None:
    await store.add([make_task("a"), make_task("b")])
    assert await claim_ids(store, limit=1) == ["a"]

    def broken(task: Task) -> Task:
        raise RuntimeError("bug in a change")

    await expect(RuntimeError, finish_and_claim_ids(store, [("a", broken)], now=T0 + 1))
    assert await status_of(store, "a") is TaskStatus.PROCESSING
    assert await status_of(store, "b") is TaskStatus.PENDING  # the claim was not made either


@case
async def finish_and_claim_counts_its_starts_in_the_rate_window(store: Storage) -> None:
    await store.add([make_task(f"api{i}", task_type="api") for i in range(4)])
    limits = ClaimLimits(rates={"api": RateLimit(2, 1_000)})
    assert await claim_limited(store, limits, now=T0, limit=1) == (["api0"], None)
    done = functools.partial(transitions.complete, owner="r1", now=T0 + 10, result=None)
    results, taken, next_due = await finish_and_claim_ids(store, [("api0", done)], now=T0 + 10, limits=limits)
    assert isinstance(results[0], Task) and results[0].status is TaskStatus.COMPLETED
    assert (taken, next_due) == (["api1"], T0 + 1_000)  # one start was left in the window
    assert await claim_limited(store, limits, now=T0 + 999) == ([], T0 + 1_000)  # that start counts for everyone
    assert await claim_limited(store, limits, now=T0 + 1_000) == (["api2"], T0 + 1_010)


# --------------------------------------------------------------------------- bulk operations and delete by id


def bulk_queue(store: Storage) -> tuple[Queue, list[TaskEvent]]:
    """A queue over *store* with the types ``echo`` and ``other``, and the list its events are appended to."""
    registry = TaskRegistry()
    registry.register("echo", echo)
    registry.register("other", echo)
    queue = Queue(store, registry, clock=lambda: T0)
    events: list[TaskEvent] = []
    queue.events.subscribe(events.append)
    return queue, events


def ended(
    task_id: str, status: TaskStatus, *, seq: int, finished: float = T0, created: float = T0, task_type: str = "echo"
) -> dict[str, object]:
    """The record of a finished task, to import: the quickest way to set up many finished tasks of any age."""
    task = make_task(task_id, task_type=task_type, payload={"text": task_id})
    return task.replace(status=status, seq=seq, finished_at=finished, created_at=created, attempts=1).to_record()


async def statuses_of(store: Storage, *task_ids: str) -> list[TaskStatus | None]:
    return [None if (t := await store.get(i)) is None else t.status for i in task_ids]


FAILED, CANCELLED, COMPLETED = TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.COMPLETED


@case
async def bulk_retry_by_status_type_and_age_reports_what_it_did(store: Storage) -> None:
    # Given failed tasks of two types and ages, a cancelled one and a completed one
    queue, events = bulk_queue(store)
    await store.import_records(
        [
            ended("old", FAILED, seq=1, finished=T0 - 5_000),
            ended("new", FAILED, seq=2, finished=T0 - 10),
            ended("other", FAILED, seq=3, finished=T0 - 5_000, task_type="other"),
            ended("stopped", CANCELLED, seq=4),
            ended("done", COMPLETED, seq=5),
        ]
    )
    # When the old failed echo tasks are retried, Then only "old" is, and the report says what was read
    report = await queue.retry_many(types=["echo"], finished_before=T0 - 1_000)
    assert (report.action, report.changed, report.stop_requested, report.skipped) == ("retry", ("old",), (), {})
    assert (report.matched, report.scanned, report.chunks) == (1, 3, 1)
    assert await statuses_of(store, "old", "new", "other") == [TaskStatus.PENDING, FAILED, FAILED]
    retried = await store.get("old")
    assert retried is not None and (retried.attempts, retried.finished_at, retried.run_at) == (0, None, T0)
    assert [(e.kind, e.task_id) for e in events] == [("enqueued", "old")]
    # When failed and cancelled tasks of any type are retried, Then all of those are, in walk order
    report = await queue.retry_many([FAILED, "cancelled"])
    assert report.changed == ("new", "other", "stopped") and report.chunks == 2
    assert await statuses_of(store, "new", "other", "stopped", "done") == [TaskStatus.PENDING] * 3 + [COMPLETED]
    # And a status that cannot be retried, a bad type list or time is refused before anything is read
    await expect(InvalidOption, queue.retry_many([COMPLETED]))
    await expect(InvalidOption, queue.retry_many(types="echo"))  # type: ignore[arg-type]
    await expect(InvalidOption, queue.retry_many(created_before=math.nan))
    await expect(InvalidOption, queue.retry_many(chunk_size=0))


@case
async def bulk_cancel_stops_live_tasks_asks_running_ones_and_cascades_to_dependants(store: Storage) -> None:
    # Given pending, scheduled, running and running-and-already-asked echo tasks, and two of another type,
    # one of them waiting on the pending echo task
    queue, events = bulk_queue(store)
    running = await queue.enqueue("echo", Echo("running"))
    asked = await queue.enqueue("echo", Echo("asked"))
    assert await claim_ids(store, limit=2) == [running, asked]
    await queue.cancel(asked)
    pending = await queue.enqueue("echo", Echo("pending"))
    later = await queue.enqueue("echo", Echo("later"), delay_ms=60_000)
    dependant = await queue.enqueue("other", Echo("dependant"), depends_on=[pending])
    other = await queue.enqueue("other", Echo("other"))
    events.clear()
    # When every live echo task is cancelled
    report = await queue.cancel_many(types=["echo"])
    # Then the waiting ones are cancelled, the running one is asked to stop, the asked one is skipped
    assert set(report.changed) == {pending, later} and report.stop_requested == (running,)
    assert report.skipped == {"processing and already asked to stop": 1} and report.matched == 4
    left = [CANCELLED, CANCELLED, TaskStatus.PROCESSING, TaskStatus.PENDING]
    assert await statuses_of(store, pending, later, running, other) == left
    # And the dependant of the cancelled task is cancelled in cascade, its error naming it (not in the report)
    settled = await store.get(dependant)
    assert settled is not None and settled.status is CANCELLED and pending in settled.errors[-1].error
    assert dependant not in report.changed
    # And every cancelled task gets its event, the dependant's after its dependency's
    cancelled = [e.task_id for e in events if e.kind == "cancelled"]
    assert sorted(cancelled) == sorted([pending, later, dependant])
    assert cancelled.index(pending) < cancelled.index(dependant)
    # And only live statuses can be cancelled
    await expect(InvalidOption, queue.cancel_many([FAILED]))


@case
async def bulk_delete_by_status_and_age_spares_running_tasks_unless_forced(store: Storage) -> None:
    # Given old and new finished tasks, a running one, and a waiting dependant of a pending task
    queue, events = bulk_queue(store)
    await store.import_records(
        [
            ended("old-done", COMPLETED, seq=1, finished=T0 - 5_000, created=T0 - 9_000),
            ended("old-failed", FAILED, seq=2, finished=T0 - 5_000, created=T0 - 9_000),
            ended("new-done", COMPLETED, seq=3, finished=T0),
        ]
    )
    running = await queue.enqueue("echo", Echo("running"))
    assert await claim_ids(store) == [running]
    pending = await queue.enqueue("echo", Echo("pending"))
    dependant = await queue.enqueue("echo", Echo("dependant"), depends_on=[pending])
    # When the old finished tasks are deleted (the statuses must be named)
    report = await queue.delete_many([COMPLETED, FAILED], finished_before=T0 - 1_000)
    # Then only those are gone, and the report lists them
    assert (report.action, report.changed, report.scanned) == ("delete", ("old-done", "old-failed"), 3)
    assert await statuses_of(store, "old-done", "old-failed", "new-done") == [None, None, COMPLETED]
    assert [(e.kind, e.task_id) for e in events if e.kind == "deleted"] == [
        ("deleted", "old-done"),
        ("deleted", "old-failed"),
    ]
    # When running and pending tasks are deleted without force, Then the running one is skipped, saying why
    report = await queue.delete_many(["processing", "pending"], created_before=T0 + 1)
    assert report.changed == (pending,) and report.skipped == {bulk.PROCESSING: 1}
    assert await store.get(running) is not None
    # And the dependant of the deleted pending task is cancelled, its error naming it, never left waiting
    settled = await store.get(dependant)
    assert settled is not None and settled.status is CANCELLED and pending in settled.errors[-1].error
    assert [e.kind for e in events if e.task_id == dependant][-1] == "cancelled"
    # When forced, Then the running task goes too
    report = await queue.delete_many(["processing"], force=True)
    assert report.changed == (running,) and await store.get(running) is None
    await expect(InvalidOption, queue.delete_many([]))


@case
async def bulk_operations_walk_in_chunks_each_task_once_even_with_repeated_sequence_numbers(store: Storage) -> None:
    # Given 23 failed tasks, 5 of which share one sequence number (imports keep theirs)
    queue, events = bulk_queue(store)
    records = [ended(f"t{i:02}", FAILED, seq=100 + i) for i in range(18)]
    records += [ended(f"same{i}", FAILED, seq=50) for i in range(5)]
    await store.import_records(records)
    # When they are retried 4 at a time
    report = await queue.retry_many(chunk_size=4)
    # Then each is retried exactly once, over ceil(23 / 4) chunks, each with its event
    assert sorted(report.changed) == sorted(r["id"] for r in records)  # type: ignore[type-var]
    assert len(set(report.changed)) == 23 and report.chunks == 6 and report.scanned == 23
    assert sorted(e.task_id for e in events) == sorted(report.changed)
    assert (await store.stats()).by_status["pending"] == 23
    # And a delete in chunks of 1 empties the status
    report = await queue.delete_many(["pending"], chunk_size=1)
    assert len(report.changed) == 23 and report.chunks == 23 and (await store.stats()).total == 0


@case
async def a_chunk_judges_each_task_as_stored_when_it_runs(store: Storage) -> None:
    # Given six pending tasks, and a bulk cancel walking them two at a time
    queue, _ = bulk_queue(store)
    ids = [await queue.enqueue("echo", Echo(f"p{i}")) for i in range(6)]
    decide = bulk.decider(bulk.BulkAction.CANCEL, bulk.TaskFilter((TaskStatus.PENDING,)), now=T0)
    first = await store.sweep(TaskStatus.PENDING, decide, after=None, limit=2)
    assert [v.task.id for v in first.verdicts] == ids[:2] and not first.done
    # When another tab claims the next task and enqueues one more between two chunks
    assert await claim_ids(store, limit=1) == [ids[2]]
    late = await queue.enqueue("echo", Echo("late"))
    # Then the walk resumes after the last task it read: the claimed task is left running, the new one is included
    second = await store.sweep(TaskStatus.PENDING, decide, after=first.last, limit=2)
    third = await store.sweep(TaskStatus.PENDING, decide, after=second.last, limit=2)
    assert [v.task.id for v in (*second.verdicts, *third.verdicts)] == [*ids[3:], late] and third.done
    assert await statuses_of(store, *ids, late) == [CANCELLED] * 2 + [TaskStatus.PROCESSING] + [CANCELLED] * 4


@case
async def delete_by_id_refuses_a_running_task_unless_forced(store: Storage) -> None:
    queue, events = bulk_queue(store)
    waiting = await queue.enqueue("echo", Echo("waiting"))
    running = await queue.enqueue("echo", Echo("running"))
    await store.import_records([ended("done", COMPLETED, seq=99)])
    # A pending task is deleted and returned as it was, with a "deleted" event
    gone = await queue.delete(waiting)
    assert (gone.id, gone.status) == (waiting, TaskStatus.PENDING) and await store.get(waiting) is None
    assert (events[-1].kind, events[-1].task_id) == ("deleted", waiting)
    assert (await queue.delete("done")).status is COMPLETED and await store.get("done") is None
    # A running one is refused, saying how to force it, and stays
    assert await claim_ids(store) == [running]
    error = await expect(InvalidStateChange, queue.delete(running))
    assert "force=True" in str(error) and await store.get(running) is not None
    assert (await queue.delete(running, force=True)).status is TaskStatus.PROCESSING
    assert await store.get(running) is None
    # A missing task is reported
    await expect(TaskNotFound, queue.delete(running))


@case
async def a_retried_dependant_waits_again_until_its_dependency_completes(store: Storage) -> None:
    # Given a dependency that failed for good, which failed its two dependants in cascade
    queue, _ = bulk_queue(store)
    runner = QueueRunner(queue)
    dependency = await queue.enqueue("echo", Echo("bad"), max_attempts=1)
    single, many = [await queue.enqueue("echo", Echo(n), depends_on=[dependency]) for n in ("single", "many")]
    assert (await runner.process_next()) is not None
    assert await statuses_of(store, dependency, single, many) == [FAILED] * 3
    # When a dependant is retried alone, and the other in bulk, Then both wait again (they would not run)
    assert (await queue.retry(single)).status is TaskStatus.WAITING
    report = await queue.retry_many(types=["echo"])
    assert set(report.changed) == {dependency, many}
    assert await statuses_of(store, single, many) == [TaskStatus.WAITING] * 2
    assert await claim_ids(store, limit=10) == [dependency]  # the dependants are never claimed
    # When the dependency, retried, completes, Then both dependants are due
    await complete_task(store, dependency, now=T0)
    assert await statuses_of(store, single, many) == [TaskStatus.PENDING] * 2


@case
async def deleting_a_dependency_and_its_dependant_in_one_chunk_leaves_both_deleted(store: Storage) -> None:
    # Given a chain a <- b <- c, where b and c wait
    queue, _ = bulk_queue(store)
    a = await queue.enqueue("echo", Echo("a"))
    b = await queue.enqueue("echo", Echo("b"), depends_on=[a])
    c = await queue.enqueue("echo", Echo("c"), depends_on=[b])
    # When the waiting tasks are deleted in one chunk (b's deletion cancels c in cascade within the same step)
    report = await queue.delete_many(["waiting"])
    # Then both are gone: the cascade never writes back a task deleted in the same step
    assert report.changed == (b, c) and report.chunks == 1
    assert await statuses_of(store, a, b, c) == [TaskStatus.PENDING, None, None]
    assert (await store.stats()).total == 1


# -- task meta -----------------------------------------------------------------

META = {"by": "alice", "correlation": {"id": "c-1", "hops": [1, 2.5, None, True]}, "note": "<img src=x onerror=x()>"}


@case
async def meta_is_kept_unchanged_through_claim_failure_retry_completion_and_cascade(store: Storage) -> None:
    await store.add(
        [
            make_task("a", max_attempts=2).replace(meta=META),
            make_task("b", depends_on=("a",)).replace(meta={"by": "bob"}),
        ]
    )
    assert (await stored(store, "a")).meta == META
    assert await claim_ids(store) == ["a"]
    await fail_task(store, "a", now=T0 + 1, retry_in_ms=0)
    assert await claim_ids(store, now=T0 + 2) == ["a"]
    assert (await stored(store, "a")).meta == META
    failed = await fail_task(store, "a", now=T0 + 3, retry_in_ms=0)
    assert failed.status is TaskStatus.FAILED and failed.meta == META
    assert await status_of(store, "b") is TaskStatus.FAILED
    assert (await stored(store, "b")).meta == {"by": "bob"}  # failed by cascade, meta kept
    await store.update("a", lambda t: transitions.retry(t, T0 + 4, {}))
    assert await claim_ids(store, now=T0 + 5) == ["a"]
    done = await complete_task(store, "a", now=T0 + 6)
    assert done.status is TaskStatus.COMPLETED and done.meta == META and (await stored(store, "a")).meta == META


@case
async def meta_round_trips_through_export_and_import_and_old_or_hostile_records_are_read_safely(
    store: Storage,
) -> None:
    await store.add([make_task("a").replace(meta=META), make_task("b")])
    exported = await store.records()
    assert [r["meta"] for r in exported] == [META, {}]
    await store.clear()
    assert (await store.import_records(exported)).added == ["a", "b"]
    assert await store.records() == exported
    old = {k: v for k, v in make_task("old").replace(seq=10).to_record().items() if k != "meta"}  # before meta
    hostile = {**make_task("bad").replace(seq=11).to_record(), "meta": ["not", "an", "object"]}
    report = await store.import_records([old, hostile])
    assert report.added == ["old"] and [q.id for q in report.quarantined] == ["bad"]
    assert "field 'meta' is not valid: meta is a list" in report.quarantined[0].reason
    assert (await stored(store, "old")).meta == {} and (await stored(store, "bad")).meta == {}
    assert await status_of(store, "bad") is TaskStatus.FAILED


@case
async def a_store_tells_its_dependants_listeners_what_each_write_settled(store: Storage) -> None:
    told: list[list[tuple[str, str]]] = []
    stop = store.on_dependants(lambda tasks: told.append(sorted((t.id, t.status.value) for t in tasks)))
    await store.add(
        [
            make_task("a"),
            make_task("b", max_attempts=1),
            make_task("c", depends_on=("a", "b")),
            make_task("d", depends_on=("c",)),
            make_task("e", depends_on=("a",)),
        ]
    )
    assert await claim_ids(store, limit=2) == ["a", "b"]
    assert told == []  # writes that settle no dependant tell nothing
    await complete_task(store, "a", now=T0 + 1)
    assert told == [[("c", "waiting"), ("e", "pending")]]  # c still waits on b
    (failed,) = await store.update_many(
        [("b", lambda t: transitions.fail(t, owner="r1", now=T0 + 2, error=failure(T0 + 2)(t), retry_in_ms=0))]
    )
    assert isinstance(failed, Task) and failed.status is TaskStatus.FAILED
    assert told[1:] == [[("c", "failed"), ("d", "failed")]]
    # An expired last attempt fails its dependants too, told by recover
    await store.add([make_task("f", max_attempts=1), make_task("g", depends_on=("f",))])
    assert await claim_ids(store, now=T0 + 3) == ["e", "f"]
    await store.recover(now=T0 + 3 + LEASE + 1)
    assert told[2:] == [[("g", "failed")]]
    stop()
    await store.add([make_task("h"), make_task("i", depends_on=("h",))])
    await store.update("h", lambda t: transitions.cancel(t, T0 + 5))
    assert len(told) == 3 and await status_of(store, "i") is TaskStatus.CANCELLED


@case
async def a_dependant_changed_in_the_same_write_as_its_dependency_keeps_that_change(store: Storage) -> None:
    # Given a claimed task and a task waiting on it
    await store.add([make_task("a"), make_task("d", depends_on=("a",))])
    assert await claim_ids(store) == ["a"]
    # When one write completes the dependency and cancels the dependant
    done = functools.partial(transitions.complete, owner="r1", now=T0 + 1, result=None)
    results = await store.update_many([("a", done), ("d", lambda t: transitions.cancel(t, T0 + 1))])
    # Then the dependant stays cancelled: the release saw it as this write left it
    assert [r.status for r in results if isinstance(r, Task)] == [TaskStatus.COMPLETED, TaskStatus.CANCELLED]
    assert await status_of(store, "d") is TaskStatus.CANCELLED
