"""A task's detail and its actions, as the dashboard decides them (no browser needed)."""

from __future__ import annotations

import pytest

from pyqueue import AttemptError, Task, TaskStatus
from pyqueue.browser.dashboard.actions import CANCEL, RETRY, actions_for, done_text
from pyqueue.browser.dashboard.detail import AttemptLine, Field, attempt_lines, detail_fields
from pyqueue.browser.dashboard.formatting import clock_time
from pyqueue.browser.dashboard.task_table import progress_of

from .contract_cases import T0, make_task

HOSTILE = '<img src=x onerror="window.pwned=1">'


def failed_twice() -> Task:
    return make_task("t-1", task_type="demo.boom", payload={"note": HOSTILE}).replace(
        status=TaskStatus.FAILED,
        attempts=2,
        max_attempts=2,
        started_at=T0 + 1_000,
        finished_at=T0 + 2_000,
        errors=(
            AttemptError(1, T0 + 500, "ValueError: first", "Traceback (most recent call last):\n  one\nValueError"),
            AttemptError(2, T0 + 2_000, f"ValueError: {HOSTILE}", ""),
        ),
    )


def fields_of(task: Task) -> dict[str, Field]:
    return {f.label: f for f in detail_fields(task)}


def test_a_failed_task_shows_its_facts_and_its_payload_as_the_exact_text() -> None:
    fields = fields_of(failed_twice())
    assert list(fields) == ["id", "type", "status", "attempts", "priority", "created", "started", "finished", "payload"]
    assert fields["attempts"].text == "2 of 2"
    assert fields["finished"].text == clock_time(T0 + 2_000)
    assert fields["payload"] == Field(
        "payload", '{\n  "note": "<img src=x onerror=\\"window.pwned=1\\">"\n}', code=True
    )


def test_meta_shows_after_the_payload_as_the_exact_text_and_only_when_there_is_some() -> None:
    tagged = failed_twice().replace(meta={"by": HOSTILE, "trace": 7})
    fields = fields_of(tagged)
    assert list(fields)[-2:] == ["payload", "meta"]
    assert fields["meta"] == Field(
        "meta", '{\n  "by": "<img src=x onerror=\\"window.pwned=1\\">",\n  "trace": 7\n}', code=True
    )
    assert "meta" not in fields_of(failed_twice())


def test_every_attempt_error_is_listed_oldest_first_with_its_traceback() -> None:
    assert attempt_lines(failed_twice()) == [
        AttemptLine(
            f"attempt 1 at {clock_time(T0 + 500)}: ValueError: first",
            "Traceback (most recent call last):\n  one\nValueError",
        ),
        AttemptLine(f"attempt 2 at {clock_time(T0 + 2_000)}: ValueError: {HOSTILE}", ""),
    ]


def test_result_progress_unique_key_and_the_lease_show_only_when_there_is_one() -> None:
    running = make_task("t-2", unique_key="k:1").replace(
        status=TaskStatus.PROCESSING, lease_owner="runner-a", lease_until=T0 + 30_000, progress={"done": 1, "of": 4}
    )
    fields = fields_of(running)
    assert fields["held by"].text == f"runner-a until {clock_time(T0 + 30_000)}"
    assert fields["unique key"].text == "k:1" and "progress" in fields
    assert "result" not in fields and "finished" not in fields
    done = fields_of(running.replace(status=TaskStatus.COMPLETED, result={"n": 3}, progress=None))
    assert done["result"].text == '{\n  "n": 3\n}' and "held by" not in done and "progress" not in done


def test_a_scheduled_task_says_when_it_runs_and_a_parked_one_why_it_waits() -> None:
    scheduled = make_task("t-3", run_at=T0 + 60_000)
    assert fields_of(scheduled)["runs at"].text == clock_time(T0 + 60_000)
    parked = fields_of(scheduled.replace(parked="offline: waits for the network"))
    assert parked["parked"].text == "offline: waits for the network" and "runs at" not in parked


@pytest.mark.parametrize(
    ("status", "cancel_requested", "offered"),
    [
        (TaskStatus.SCHEDULED, False, [CANCEL]),
        (TaskStatus.PENDING, False, [CANCEL]),
        (TaskStatus.PROCESSING, False, [CANCEL]),
        (TaskStatus.PROCESSING, True, []),
        (TaskStatus.COMPLETED, False, []),
        (TaskStatus.FAILED, False, [RETRY]),
        (TaskStatus.CANCELLED, False, [RETRY]),
    ],
)
def test_retry_is_offered_for_failed_or_cancelled_tasks_and_cancel_for_waiting_or_running_ones(
    status: TaskStatus, cancel_requested: bool, offered: list[str]
) -> None:
    assert actions_for(make_task("t").replace(status=status, cancel_requested=cancel_requested)) == offered


def test_after_an_action_the_dashboard_says_what_the_task_is_now() -> None:
    task = make_task("0123456789", task_type="demo.echo")
    assert done_text(RETRY, task) == "Retry: demo.echo 01234567 is now pending."


def test_a_running_task_shows_a_progress_bar_only_for_a_done_of_progress() -> None:
    running = make_task("t").replace(status=TaskStatus.PROCESSING)
    assert progress_of(running.replace(progress={"done": 2, "of": 5, "step": "parse"})) == (2.0, 5.0, "parse")
    assert progress_of(running.replace(progress={"done": 2, "of": 0})) is None
    assert progress_of(running.replace(progress={"done": True, "of": 5})) is None
    assert progress_of(running.replace(progress="half")) is None
    assert progress_of(running.replace(status=TaskStatus.COMPLETED, progress={"done": 5, "of": 5})) is None
