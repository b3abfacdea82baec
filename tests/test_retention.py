"""Retention: the default policy, a custom one, validation, and a dry run that deletes nothing."""

from __future__ import annotations

import pytest

from pyqueue import InvalidOption, MemoryStore, Queue, RetentionPolicy, TaskRegistry, TaskStatus, apply_retention
from pyqueue.retention import DAY_MS, HOUR_MS

from .async_support import run
from .contract_cases import make_task
from .fakes import FakeClock

T0 = 1_750_000_000_000.0


async def queue_with_finished(ages_h: dict[str, float]) -> Queue:
    """A queue holding one finished task per name ("old-done", "new-failed", ...), finished *age* hours ago."""
    clock = FakeClock(T0)
    store = MemoryStore(clock=clock)
    rows = []
    for i, (name, age_h) in enumerate(ages_h.items()):
        status = {"done": "completed"}.get(name.split("-")[1], name.split("-")[1])
        rows.append(make_task(name).replace(seq=i + 1, status=TaskStatus(status), finished_at=T0 - age_h * HOUR_MS))
    await store.import_records([t.to_record() for t in rows])
    return Queue(store, TaskRegistry(), clock=clock)


def test_retention_keeps_completed_a_day_and_failed_a_week_and_the_dry_run_deletes_nothing() -> None:
    async def scenario() -> None:
        hours = {"old-done": 25, "new-done": 23, "old-failed": 24 * 8, "new-failed": 24 * 6, "old-cancelled": 30}
        queue = await queue_with_finished(hours)
        policy = RetentionPolicy()
        preview = await apply_retention(queue, policy, dry_run=True)
        assert {k.value: [t.id for t in v] for k, v in preview.by_status.items()} == {
            "completed": ["old-done"],
            "failed": ["old-failed"],
            "cancelled": ["old-cancelled"],
        }
        assert preview.dry_run and preview.count == 3
        assert [t.id for t in preview.tasks] == ["old-failed", "old-cancelled", "old-done"]  # oldest first
        assert len(await queue.tasks(limit=100)) == 5
        done = await apply_retention(queue, policy, dry_run=False)
        assert not done.dry_run and done.count == 3
        assert sorted(t.id for t in await queue.tasks(limit=100)) == ["new-done", "new-failed"]

    run(scenario())


def test_the_defaults_are_a_day_a_week_and_a_day() -> None:
    assert RetentionPolicy() == RetentionPolicy(completed_ms=DAY_MS, failed_ms=7 * DAY_MS, cancelled_ms=DAY_MS)


def test_a_custom_policy_keeps_each_status_its_own_time() -> None:
    async def scenario() -> None:
        queue = await queue_with_finished({"a-done": 2, "b-done": 0.5, "c-failed": 2, "d-cancelled": 2})
        policy = RetentionPolicy(completed_ms=HOUR_MS, failed_ms=3 * HOUR_MS, cancelled_ms=0)
        report = await apply_retention(queue, policy)
        assert sorted(t.id for t in report.tasks) == ["a-done", "d-cancelled"]
        assert sorted(t.id for t in await queue.tasks(limit=100)) == ["b-done", "c-failed"]

    run(scenario())


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), True, "1h"])
def test_a_policy_with_a_time_that_is_not_a_duration_is_refused(bad: object) -> None:
    with pytest.raises(InvalidOption) as caught:
        RetentionPolicy(failed_ms=bad)  # type: ignore[arg-type]
    assert caught.value.option == "failed_ms"
