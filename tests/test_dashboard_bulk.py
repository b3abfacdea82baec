"""The dashboard's bulk buttons: offered only for a status they apply to, acting on the filter's status and type."""

from __future__ import annotations

import pytest

from pyqueue import InvalidOption, TaskStatus
from pyqueue.browser.dashboard.bulk_actions import (
    CANCEL_ALL,
    RETRY_ALL,
    apply_bulk,
    bulk_actions_for,
    bulk_done_text,
)
from pyqueue.browser.dashboard.filters import TaskFilter

from .async_support import run
from .test_dashboard_filters import MIXED, queue_of


def test_retry_all_is_offered_for_failed_or_cancelled_and_cancel_all_for_live_statuses_only() -> None:
    assert bulk_actions_for(TaskFilter(TaskStatus.FAILED)) == [RETRY_ALL]
    assert bulk_actions_for(TaskFilter(TaskStatus.CANCELLED, "a")) == [RETRY_ALL]
    assert bulk_actions_for(TaskFilter(TaskStatus.PENDING)) == [CANCEL_ALL]
    assert bulk_actions_for(TaskFilter(TaskStatus.COMPLETED)) == []
    assert bulk_actions_for(TaskFilter()) == []  # no status chosen: never "everything" from one click


def test_retry_all_acts_on_the_filters_status_and_type_and_says_what_it_did() -> None:
    async def scenario() -> None:
        queue = await queue_of(MIXED)
        report = await apply_bulk(queue, RETRY_ALL, TaskFilter(TaskStatus.FAILED, "a"))
        assert report.changed == ("a2",) and (await queue.get("b1")).status is TaskStatus.FAILED
        assert bulk_done_text(report) == "Retried 1 task."
        report = await apply_bulk(queue, CANCEL_ALL, TaskFilter(TaskStatus.PENDING))
        assert set(report.changed) == {"a2", "b3"} and bulk_done_text(report) == "Cancelled 2 tasks."
        with pytest.raises(InvalidOption):  # the filter changed between the render and the press
            await apply_bulk(queue, RETRY_ALL, TaskFilter(TaskStatus.PENDING))

    run(scenario())
