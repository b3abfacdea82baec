"""The dashboard's numbers (throughput, durations), retention and export/import checks, under CPython."""

from __future__ import annotations

import json

import pytest

from pyqueue import ImportReport, ImportSkip, MemoryStore, Queue, Stats, Task, TaskRegistry, TaskStatus
from pyqueue.importing import DUPLICATE_ID, ID_IN_QUEUE
from web import metrics, retention, transfer
from web.memory.model import Memory

from .async_support import run
from .contract_cases import make_task
from .fakes import FakeClock

T0 = 1_750_000_000_000.0


def finished(status: TaskStatus, at: float, took: float = 100.0, task_type: str = "t", errors: int = 0) -> Task:
    from pyqueue import AttemptError

    return make_task(f"{task_type}-{status}-{at}-{took}", task_type=task_type).replace(
        status=status,
        started_at=at - took,
        finished_at=at,
        errors=tuple(AttemptError(i + 1, at, "boom") for i in range(errors)),
    )


def test_throughput_counts_completed_and_failed_per_aligned_bucket() -> None:
    now = T0 + 25_000  # buckets of 10 s: [T0, T0+10s) [T0+10s, +20s) [T0+20s, +30s)
    tasks = [
        finished(TaskStatus.COMPLETED, T0 + 1_000),
        finished(TaskStatus.COMPLETED, T0 + 21_000),
        finished(TaskStatus.FAILED, T0 + 22_000),
        finished(TaskStatus.COMPLETED, T0 - 1),  # before the window
        make_task("waiting"),
    ]
    buckets = metrics.throughput(tasks, now=now, window_ms=30_000, bucket_ms=10_000)
    assert [(b.start - T0, b.completed, b.failed) for b in buckets] == [(0, 1, 0), (10_000, 0, 0), (20_000, 1, 1)]


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert metrics.percentile(values, 50) == 50 and metrics.percentile(values, 95) == 95
    assert metrics.percentile([7.0], 95) == 7.0 and metrics.percentile([], 50) is None


def test_type_stats_has_a_row_per_known_type_with_durations_and_errors() -> None:
    stats = Stats(
        {"completed": 2, "failed": 1}, {"a": {"completed": 2, "pending": 3}, "b": {"failed": 1, "processing": 1}}
    )
    recent = [
        finished(TaskStatus.COMPLETED, T0, took=100, task_type="a"),
        finished(TaskStatus.COMPLETED, T0, took=300, task_type="a", errors=1),
        finished(TaskStatus.FAILED, T0, task_type="b", errors=3),
    ]
    rows = {r.type: r for r in metrics.type_stats(stats, recent, types=["a", "b", "c"])}
    assert list(rows) == ["a", "b", "c"]
    assert (rows["a"].waiting, rows["a"].completed, rows["a"].median_ms, rows["a"].p95_ms) == (3, 2, 100, 300)
    assert (rows["a"].attempt_errors, rows["b"].attempt_errors, rows["b"].failed, rows["b"].running) == (1, 3, 1, 1)
    assert rows["c"].median_ms is None and rows["c"].completed == 0


@pytest.mark.parametrize(("ms", "text"), [(None, "—"), (850, "850 ms"), (2_400, "2.4 s"), (186_000, "3.1 min")])
def test_format_ms(ms: float | None, text: str) -> None:
    assert metrics.format_ms(ms) == text


def test_format_age_and_bytes() -> None:
    assert metrics.format_age(retention.DAY_MS) == "24 h"
    assert metrics.format_age(7 * retention.DAY_MS) == "7 days"
    assert metrics.format_age(90_000) == "90 s"
    assert metrics.format_bytes(221_184) == "221.2 kB" and metrics.format_bytes(12) == "12 B"


def test_retention_keeps_completed_a_day_and_failed_a_week_and_the_dry_run_deletes_nothing() -> None:
    async def scenario() -> None:
        clock = FakeClock(T0)
        store = MemoryStore(clock=clock)
        queue = Queue(store, TaskRegistry(), clock=clock)
        hours = {"old-done": 25, "new-done": 23, "old-failed": 24 * 8, "new-failed": 24 * 6, "old-cancelled": 30}
        rows = []
        for i, (name, age_h) in enumerate(hours.items()):
            status = name.split("-")[1]
            status = {"done": "completed"}.get(status, status)
            rows.append(
                make_task(name).replace(seq=i + 1, status=TaskStatus(status), finished_at=T0 - age_h * 3_600_000)
            )
        await store.import_records([t.to_record() for t in rows])
        policy = retention.RetentionPolicy()
        preview = await retention.apply_retention(queue, policy, dry_run=True)
        assert {k: [t.id for t in v] for k, v in preview.items()} == {
            "completed": ["old-done"],
            "failed": ["old-failed"],
            "cancelled": ["old-cancelled"],
        }
        assert len(await queue.tasks(limit=100)) == 5
        await retention.apply_retention(queue, policy, dry_run=False)
        assert sorted(t.id for t in await queue.tasks(limit=100)) == ["new-done", "new-failed"]

    run(scenario())


def test_an_export_parses_back_to_the_same_records() -> None:
    task = make_task("t1").to_record()
    memory = Memory()
    memory.meta["revision"] = 3
    doc = transfer.build_export([task], memory.to_records(), now=T0, source="pyqueue")
    back = transfer.parse(transfer.dumps(doc))
    assert back.tasks == [task] and back.memory == memory.to_records()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "is not a pyqueue-memory-export document"),
        ('{"format": "pyqueue-memory-export", "version": 9}', "version 9 is not supported"),
        ('{"format": "pyqueue-memory-export", "version": 1, "queue": {"tasks": {}}}', "must be a list of task records"),
        ('{"format": "pyqueue-memory-export", "queue": {"tasks": [' + "[" * 4_500 + "]" * 4_500 + "]}}", "levels deep"),
        (
            '{"format": "pyqueue-memory-export", "version": 1, "queue": {"tasks": []}, "memory": {"x": []}}',
            "unknown part(s): x",
        ),
        (
            '{"format": "pyqueue-memory-export", "version": 1, "queue": {"tasks": []},'
            ' "memory": {"units": [{"id": "u"}]}}',
            "malformed record",
        ),
    ],
)
def test_a_bad_import_file_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(transfer.TransferError) as caught:
        transfer.parse(text)
    assert message in str(caught.value)


def test_export_documents_are_plain_json() -> None:
    doc = transfer.build_export([], {}, now=T0, source="x")
    assert json.loads(transfer.dumps(doc))["format"] == transfer.FORMAT


def test_the_page_says_exactly_what_an_import_did() -> None:
    report = ImportReport(
        added=["a", "b", "c"],
        replaced=[],
        skipped=[ImportSkip("d", DUPLICATE_ID), ImportSkip("e", ID_IN_QUEUE), ImportSkip("f", DUPLICATE_ID)],
        quarantined=[ImportSkip("g", "field 'priority' should be from -1000 to 1000, got 5000")],
    )
    assert transfer.describe_import(report, 4) == (
        "Imported 3 tasks and 4 memory records; skipped 3 (2 duplicate id in the file, 1 id already in the queue); "
        "set aside 1 broken row as a failed task: g: field 'priority' should be from -1000 to 1000, got 5000."
    )
    assert transfer.describe_import(ImportReport(["a"], [], [], []), 0) == "Imported 1 tasks and 0 memory records."
