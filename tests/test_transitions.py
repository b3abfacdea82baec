"""The rules of a task's life, without any store."""

from __future__ import annotations

import pytest

from pyqueue import transitions
from pyqueue.errors import InvalidStateChange, LeaseLost
from pyqueue.task import AttemptError, TaskStatus

from .contract_cases import T0, make_task

ERR = AttemptError(1, T0, "boom")


def claimed(max_attempts: int = 3, attempts: int = 0):  # type: ignore[no-untyped-def]
    task = make_task("a", max_attempts=max_attempts).replace(attempts=attempts)
    return transitions.claim(task, owner="r1", now=T0, lease_ms=1_000)


def test_a_claim_counts_an_attempt_and_takes_a_lease() -> None:
    task = claimed()
    assert (task.status, task.attempts, task.lease_owner, task.lease_until) == (
        TaskStatus.PROCESSING,
        1,
        "r1",
        T0 + 1_000,
    )


def test_only_pending_tasks_can_be_claimed() -> None:
    with pytest.raises(InvalidStateChange, match="cannot claim"):
        transitions.claim(claimed(), owner="r2", now=T0, lease_ms=1)


def test_a_failure_with_attempts_left_is_scheduled_after_the_delay() -> None:
    task = transitions.fail(claimed(), owner="r1", now=T0 + 5, error=ERR, retry_in_ms=2_000)
    assert (task.status, task.run_at, task.lease_owner, task.errors) == (TaskStatus.SCHEDULED, T0 + 2_005, None, (ERR,))


def test_a_zero_delay_retry_is_pending_at_once() -> None:
    task = transitions.fail(claimed(), owner="r1", now=T0, error=ERR, retry_in_ms=0)
    assert task.status is TaskStatus.PENDING


def test_the_last_attempt_fails_for_good_and_keeps_every_error() -> None:
    first = transitions.fail(claimed(max_attempts=2), owner="r1", now=T0, error=ERR, retry_in_ms=0)
    again = transitions.claim(first, owner="r1", now=T0, lease_ms=1_000)
    err2 = AttemptError(2, T0, "boom again")
    final = transitions.fail(again, owner="r1", now=T0 + 9, error=err2, retry_in_ms=0)
    assert (final.status, final.finished_at, final.errors) == (TaskStatus.FAILED, T0 + 9, (ERR, err2))


def test_a_permanent_failure_ignores_remaining_attempts() -> None:
    task = transitions.fail(claimed(max_attempts=9), owner="r1", now=T0, error=ERR, retry_in_ms=None)
    assert task.status is TaskStatus.FAILED


def test_another_runner_cannot_complete_renew_or_fail_a_task() -> None:
    task = claimed()
    with pytest.raises(LeaseLost):
        transitions.complete(task, owner="r2", now=T0, result=None)
    with pytest.raises(LeaseLost):
        transitions.renew(task, owner="r2", until=T0 + 9)
    with pytest.raises(LeaseLost):
        transitions.fail(task, owner="r2", now=T0, error=ERR, retry_in_ms=0)


def test_renew_never_shortens_a_lease() -> None:
    task = claimed()
    assert transitions.renew(task, owner="r1", until=T0 + 50_000).lease_until == T0 + 50_000
    assert transitions.renew(task, owner="r1", until=T0 + 1).lease_until == T0 + 1_000


def test_expire_recovers_only_after_the_lease_and_counts_the_attempt() -> None:
    task = claimed()
    assert transitions.expire(task, T0 + 999) is task
    back = transitions.expire(task, T0 + 1_000)
    assert back.status is TaskStatus.PENDING and back.attempts == 1
    assert back.errors[-1].error == transitions.LEASE_LOST


def test_expire_past_the_last_attempt_fails_with_lease_lost() -> None:
    task = transitions.expire(claimed(max_attempts=1), T0 + 1_000)
    assert task.status is TaskStatus.FAILED and "lease lost" in task.errors[-1].error


def test_a_cancel_during_the_run_wins_over_the_result() -> None:
    task = transitions.cancel(claimed(), T0)
    assert task.status is TaskStatus.PROCESSING and task.cancel_requested
    done = transitions.complete(task, owner="r1", now=T0, result={"x": 1})
    assert done.status is TaskStatus.CANCELLED and done.result is None
    failed = transitions.fail(task, owner="r1", now=T0, error=ERR, retry_in_ms=0)
    assert failed.status is TaskStatus.CANCELLED


def test_retry_gives_fresh_attempts_and_keeps_history() -> None:
    failed = transitions.fail(claimed(max_attempts=1), owner="r1", now=T0, error=ERR, retry_in_ms=0)
    again = transitions.retry(failed, T0 + 7, {})
    assert (again.status, again.attempts, again.run_at, again.errors) == (TaskStatus.PENDING, 0, T0 + 7, (ERR,))
    with pytest.raises(InvalidStateChange, match="cannot retry"):
        transitions.retry(again, T0, {})


def test_a_retried_dependant_waits_again_for_its_dependencies_not_completed() -> None:
    # Given a dependant failed in cascade by "b", and dependencies a (completed), b (failed), gone (not stored)
    done = make_task("a").replace(status=TaskStatus.COMPLETED, finished_at=T0)
    broken = make_task("b").replace(status=TaskStatus.FAILED, finished_at=T0)
    dependant = transitions.dependency_finished(make_task("d", depends_on=("a", "b", "gone")), broken, T0)
    assert dependant.status is TaskStatus.FAILED
    # When it is retried, Then it waits for b only: a completed, and a dependency no longer stored is not waited for
    again = transitions.retry(dependant, T0 + 1, {"a": done, "b": broken})
    assert (again.status, again.waiting_on, again.depends_on) == (TaskStatus.WAITING, ("b",), ("a", "b", "gone"))
    # And once b completes, it is due
    released = transitions.dependency_finished(again, broken.replace(status=TaskStatus.COMPLETED), T0 + 2)
    assert (released.status, released.waiting_on) == (TaskStatus.PENDING, ())
    # And with every dependency completed it is due at once
    assert transitions.retry(dependant, T0, {"a": done, "b": done}).status is TaskStatus.PENDING


def test_a_deleted_task_is_as_if_cancelled_for_its_dependants_unless_it_had_finished() -> None:
    waiting = make_task("a")
    gone = transitions.deleted(waiting, T0 + 3)
    assert (gone.status, gone.finished_at) == (TaskStatus.CANCELLED, T0 + 3)
    completed = waiting.replace(status=TaskStatus.COMPLETED, finished_at=T0)
    assert transitions.deleted(completed, T0 + 3) is completed


def test_promote_moves_only_due_scheduled_tasks() -> None:
    later = make_task("a", run_at=T0 + 10)
    assert transitions.promote(later, T0 + 9) is later
    assert transitions.promote(later, T0 + 10).status is TaskStatus.PENDING


def test_quarantine_keeps_identity_and_names_the_reason() -> None:
    row = transitions.quarantine({"id": "x", "type": "t", "seq": 4, "status": "?"}, reason="bad", now=T0)
    assert (row["id"], row["type"], row["seq"], row["status"]) == ("x", "t", 4, "failed")
    assert row["errors"] == [{"attempt": 0, "at": T0, "error": "broken task row: bad", "traceback": ""}]
    nameless = transitions.quarantine(["not", "a", "dict"], reason="bad", now=T0)
    assert nameless["status"] == "failed" and str(nameless["id"]).startswith("broken-")
