"""What the dashboard writes: formats, the overview's lines, housekeeping and transfer texts, the export file."""

from __future__ import annotations

import json

import pytest

from pyqueue import ImportReport, ImportSkip, MemoryStore, Queue, RetentionPolicy, RunnerState, TaskRegistry, TaskStatus
from pyqueue.browser.dashboard import formatting, housekeeping, overview, transfer
from pyqueue.browser.dashboard.chart import chart_summary, nice_max
from pyqueue.browser.dashboard.type_table import type_cells
from pyqueue.metrics import Bucket, TypeStats
from pyqueue.retention import DAY_MS, RetentionReport

from .async_support import run
from .contract_cases import T0, make_task
from .fakes import FakeClock


@pytest.mark.parametrize(("ms", "text"), [(None, "—"), (850, "850 ms"), (2_400, "2.4 s"), (186_000, "3.1 min")])
def test_durations(ms: float | None, text: str) -> None:
    assert formatting.format_ms(ms) == text


@pytest.mark.parametrize(
    ("ms", "text"), [(DAY_MS, "24 h"), (7 * DAY_MS, "7 days"), (5 * 60_000, "5 min"), (90_000, "90 s"), (500, "0.5 s")]
)
def test_periods(ms: float, text: str) -> None:
    assert formatting.format_age(ms) == text


@pytest.mark.parametrize(("n", "text"), [(None, "?"), (12, "12 B"), (221_184, "221.2 kB"), (1.5e9, "1.5 GB")])
def test_sizes(n: float | None, text: str) -> None:
    assert formatting.format_bytes(n) == text


def test_json_is_cut_to_one_line_or_indented_in_full() -> None:
    assert formatting.short_json({"text": "x" * 50}, limit=20) == '{"text": "xxxxxxxxx…'
    assert formatting.pretty_json({"b": 1, "a": "<b>"}) == '{\n  "a": "<b>",\n  "b": 1\n}'


def test_the_overview_names_every_runner_state_and_counts_live_runners() -> None:
    assert set(overview.STATE_TEXT) == set(RunnerState)
    assert overview.runners_text(None) == "live runners: unknown"
    assert overview.runners_text(1) == "1 runner alive"
    assert overview.runners_text(3) == "3 runners alive (2 in other tabs)"
    assert overview.storage_text(None, None, None) == "storage: unknown"
    assert overview.storage_text(2_000, 5e9, False) == "storage: 2.0 kB of 5.0 GB · may be evicted"


def test_a_purge_choice_needs_a_status_and_an_age_of_zero_or_more_minutes() -> None:
    choice = housekeeping.read_choice(["failed", "completed", "pending"], "5")
    assert choice == housekeeping.PurgeChoice((TaskStatus.COMPLETED, TaskStatus.FAILED), 300_000)
    assert housekeeping.read_choice(["cancelled"], "") == housekeeping.PurgeChoice((TaskStatus.CANCELLED,), 0)
    for checked, minutes in ([], "0"), (["failed"], "-1"), (["failed"], "soon"), (["failed"], "nan"):
        with pytest.raises(ValueError):
            housekeeping.read_choice(checked, minutes)
    assert housekeeping.preview_text(choice, 1) == (
        "Would remove 1 task (completed / failed) that finished more than 5 min ago. "
        "Nothing is deleted until you press Purge."
    )


def test_the_retention_card_states_the_policy_and_what_a_dry_run_found() -> None:
    assert housekeeping.policy_text(None) == "No retention policy: finished tasks stay until purged."
    assert housekeeping.policy_text(RetentionPolicy()) == (
        "Completed tasks are kept 24 h, failed 7 days, cancelled 24 h after they finished."
    )
    found = RetentionReport(True, {TaskStatus.COMPLETED: [make_task("a"), make_task("b")], TaskStatus.FAILED: []})
    assert housekeeping.retention_text(found) == (
        "Dry run: the policy would remove 2 tasks now (2 completed, 0 failed). Nothing was deleted."
    )


def test_an_export_document_reads_back_as_its_records() -> None:
    records = [make_task("a").to_record(), {"id": "broken"}]
    text = json.dumps(transfer.export_document(records, now=T0, source="db"))
    assert transfer.parse_export(text) == records


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "the file is not (valid )?JSON"),
        ("[" * 10_000, "the file"),
        ('{"format": "other"}', "the file is not a pyqueue-tasks export"),
        ('{"format": "pyqueue-tasks", "version": 2, "tasks": []}', "export version 2 is not supported"),
        ('{"format": "pyqueue-tasks", "version": 1, "tasks": {}}', "must be a list of task records"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(transfer.TransferError, match=problem):
        transfer.parse_export(text)


def test_an_export_imported_into_an_empty_queue_round_trips_every_record() -> None:
    async def scenario() -> None:
        source = Queue(MemoryStore(clock=FakeClock(T0)), TaskRegistry(), clock=FakeClock(T0))
        await source.import_records([make_task(n).replace(seq=i + 1).to_record() for i, n in enumerate("abc")])
        records = await source.export_records()
        text = json.dumps(transfer.export_document(records, now=T0, source="db"))
        target = Queue(MemoryStore(clock=FakeClock(T0)), TaskRegistry(), clock=FakeClock(T0))
        report = await target.import_records(transfer.parse_export(text))
        assert transfer.import_text(report) == "Imported 3 tasks."
        assert await target.export_records() == records

    run(scenario())


def test_an_import_report_says_what_was_replaced_skipped_and_set_aside() -> None:
    report = ImportReport(
        added=["a"],
        replaced=["b", "c"],
        skipped=[ImportSkip("d", "id already in the queue"), ImportSkip("e", "duplicate id")],
        quarantined=[ImportSkip("f", "field 'priority' is out of range")],
    )
    assert transfer.import_text(report) == (
        "Imported 1 task, replaced 2, skipped 2 (id already in the queue, …), "
        "kept 1 broken record(s) as failed tasks (field 'priority' is out of range)."
    )
    assert transfer.export_name("2026-12-01T21:30:05.123Z") == "pyqueue-tasks-2026-12-01T21-30-05.json"


def test_the_chart_scale_steps_through_one_two_five_and_says_what_it_shows() -> None:
    assert [nice_max(n) for n in (0, 4, 5, 11, 21, 99, 101)] == [5, 5, 5, 20, 50, 100, 200]
    buckets = [Bucket(T0, 3, 1), Bucket(T0 + 10_000, 2, 0)]
    assert chart_summary(buckets, 300_000, 10_000) == "5 completed and 1 failed in the last 5 minutes, per 10 seconds"


def test_a_type_row_marks_failures_and_attempt_errors() -> None:
    row = TypeStats("demo.boom", 1, 0, 2, 3, 4, 850.0, None, 2, blocked=5)
    assert type_cells(row) == [
        ("demo.boom", "pqd-type"),
        ("1", "pqd-num"),
        ("5", "pqd-num"),
        ("0", "pqd-num"),
        ("2", "pqd-num"),
        ("3", "pqd-num pqd-bad"),
        ("4", "pqd-num pqd-warn"),
        ("850 ms", "pqd-num"),
        ("—", "pqd-num"),
    ]
