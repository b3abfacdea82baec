"""The dashboard's task table selection: newest first, by status and type, with an honest caption."""

from __future__ import annotations

from pyqueue import MemoryStore, Queue, Stats, TaskRegistry, TaskStatus
from pyqueue.browser.dashboard.filters import TaskFilter, TaskPage, select_tasks, type_names

from .async_support import run
from .contract_cases import make_task
from .fakes import FakeClock

T0 = 1_750_000_000_000.0


async def queue_of(rows: list[tuple[str, str, TaskStatus]]) -> Queue:
    """A queue holding (id, type, status) tasks, enqueued in list order (the last is the newest)."""
    queue = Queue(MemoryStore(clock=FakeClock(T0)), TaskRegistry(), clock=FakeClock(T0))
    tasks = [make_task(i, task_type=t).replace(seq=n + 1, status=s) for n, (i, t, s) in enumerate(rows)]
    await queue.import_records([t.to_record() for t in tasks])
    return queue


P, D, F = TaskStatus.PENDING, TaskStatus.COMPLETED, TaskStatus.FAILED
MIXED = [("a1", "a", D), ("b1", "b", F), ("a2", "a", F), ("b2", "b", D), ("a3", "a", D), ("b3", "b", P)]


def select(queue: Queue, wanted: TaskFilter, rows: int = 10, scan: int = 100) -> TaskPage:
    async def go() -> TaskPage:
        return await select_tasks(queue, await queue.stats(), wanted, rows=rows, scan=scan)

    return run(go())


def test_no_filter_shows_the_newest_tasks_of_all_and_counts_every_task() -> None:
    queue = run(queue_of(MIXED))
    page = select(queue, TaskFilter(), rows=4)
    assert [t.id for t in page.tasks] == ["b3", "a3", "b2", "a2"]
    assert page.caption == "showing 4 newest of 6"


def test_a_status_and_a_type_filter_together_show_only_tasks_of_both() -> None:
    queue = run(queue_of(MIXED))
    page = select(queue, TaskFilter(TaskStatus.COMPLETED, "a"))
    assert [t.id for t in page.tasks] == ["a3", "a1"]
    assert (page.total, page.caption) == (2, "showing 2 newest of 2")
    assert [t.id for t in select(queue, TaskFilter(TaskStatus.FAILED)).tasks] == ["a2", "b1"]


def test_a_type_filter_that_looked_at_fewer_tasks_than_the_queue_holds_says_so() -> None:
    # Given 3 tasks of type "b" among the 6, and a scan of only the 2 newest tasks
    queue = run(queue_of(MIXED))
    page = select(queue, TaskFilter(task_type="b"), scan=2)
    # Then it found 1 of the 3 and the caption does not pretend that is all
    assert [t.id for t in page.tasks] == ["b3"]
    assert page.caption == "showing 1 newest of 3 (looked through the newest 2)"
    # A scan that covered everything says nothing more
    assert select(queue, TaskFilter(task_type="b"), scan=100).caption == "showing 3 newest of 3"


def test_the_form_values_become_a_filter_and_an_unknown_status_means_any() -> None:
    assert TaskFilter.from_form("failed", "") == TaskFilter(TaskStatus.FAILED, None)
    assert TaskFilter.from_form("", "a") == TaskFilter(None, "a")
    assert TaskFilter.from_form("<script>", "") == TaskFilter()


def test_the_type_filter_offers_registered_types_first_then_any_stored_one() -> None:
    stats = Stats({"pending": 2}, {"zeta": {"pending": 1}, "alpha": {"pending": 1}, "mine": {"pending": 0}})
    assert type_names(["mine", "other"], stats) == ["mine", "other", "alpha", "zeta"]
