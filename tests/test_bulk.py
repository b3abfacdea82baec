"""The pure rules of bulk operations (pyqueue.bulk): the filter, the verdicts and the report, without a store."""

from __future__ import annotations

from pyqueue import bulk
from pyqueue.bulk import BulkAction, Outcome, SweepChunk, TaskFilter, Verdict
from pyqueue.task import TaskStatus

from .contract_cases import T0, make_task

FAILED = make_task("f", task_type="a").replace(status=TaskStatus.FAILED, created_at=T0 - 10, finished_at=T0 - 5)


def test_a_filter_matches_status_type_and_age_and_an_unfinished_task_is_never_finished_before() -> None:
    assert TaskFilter((TaskStatus.FAILED,)).matches(FAILED)
    assert not TaskFilter((TaskStatus.CANCELLED,)).matches(FAILED)
    assert TaskFilter((TaskStatus.FAILED,), types=frozenset({"a", "b"})).matches(FAILED)
    assert not TaskFilter((TaskStatus.FAILED,), types=frozenset({"b"})).matches(FAILED)
    assert TaskFilter((TaskStatus.FAILED,), created_before=T0 - 9).matches(FAILED)
    assert not TaskFilter((TaskStatus.FAILED,), created_before=T0 - 10).matches(FAILED)  # strictly before
    assert TaskFilter((TaskStatus.FAILED,), finished_before=T0).matches(FAILED)
    assert not TaskFilter((TaskStatus.PENDING,), finished_before=T0).matches(make_task("p"))


def test_a_delete_skips_a_running_task_unless_forced_and_a_cancel_skips_one_already_asked_to_stop() -> None:
    running = make_task("r").replace(status=TaskStatus.PROCESSING)
    everything = TaskFilter(tuple(TaskStatus))
    assert bulk.decider(BulkAction.DELETE, everything, now=T0)(running, {}) == Verdict(
        Outcome.SKIPPED, running, bulk.PROCESSING
    )
    assert bulk.decider(BulkAction.DELETE, everything, now=T0, force=True)(running, {}).outcome is Outcome.DELETED
    asked = bulk.decider(BulkAction.CANCEL, everything, now=T0)(running, {})
    assert (asked.outcome, asked.task.cancel_requested) == (Outcome.CHANGED, True)
    again = bulk.decider(BulkAction.CANCEL, everything, now=T0)(asked.task, {})
    assert (again.outcome, again.reason) == (Outcome.SKIPPED, bulk.STOPPING)


def test_a_task_whose_status_no_longer_allows_the_action_is_skipped_with_its_status() -> None:
    done = make_task("d").replace(status=TaskStatus.COMPLETED)
    verdict = bulk.decider(BulkAction.RETRY, TaskFilter((TaskStatus.COMPLETED,)), now=T0)(done, {})
    assert (verdict.outcome, verdict.reason) == (Outcome.SKIPPED, "completed")


def test_the_report_counts_every_chunk_and_tells_stopped_from_changed() -> None:
    tally = bulk.Tally(BulkAction.CANCEL)
    running = make_task("r").replace(status=TaskStatus.PROCESSING, cancel_requested=True)
    cancelled = make_task("c").replace(status=TaskStatus.CANCELLED)
    first = [Verdict(Outcome.CHANGED, cancelled), Verdict(Outcome.UNMATCHED, make_task("u"))]
    second = [Verdict(Outcome.CHANGED, running), Verdict(Outcome.SKIPPED, running, bulk.STOPPING)]
    assert tally.add(SweepChunk(first, (1.0, "u"), done=False)) == first[:1]
    assert tally.add(SweepChunk(second, (2.0, "r"), done=True)) == second[:1]
    report = tally.report()
    assert (report.changed, report.stop_requested, report.skipped) == (("c",), ("r",), {bulk.STOPPING: 1})
    assert (report.matched, report.scanned, report.chunks) == (3, 4, 2)
