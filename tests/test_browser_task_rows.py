"""Reading back a row this page wrote (``task_rows.decode``), under CPython: as a decode would, never shared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyqueue import transitions
from pyqueue.browser import schema, task_rows
from pyqueue.task import BrokenRecord, Task

from .async_support import run
from .contract_cases import LEASE, T0, make_task


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    task_rows.forget()
    yield
    task_rows.forget()


def written(task: Task) -> str:
    """Remember *task* as put() does; return its row's data."""
    data: str = schema.encode(task)["data"]
    task_rows.remember(data, task)
    return data


def claimed(task_id: str = "a", **payload: object) -> Task:
    task = make_task(task_id, payload=dict(payload) or None).replace(seq=7)
    return transitions.claim(task, owner="me", now=T0, lease_ms=LEASE)


def test_a_row_this_page_wrote_reads_back_as_its_decode() -> None:
    task = transitions.complete(claimed(), owner="me", now=T0 + 5, result={"r": [1, 2.5, None]})
    data = written(task)
    assert task_rows.decode(data, task.id, 7) == schema.decode(data, task.id, 7) == task


def test_what_a_handler_changed_in_the_task_it_got_or_returned_is_not_read_back() -> None:
    # Given a claimed task written, whose payload its handler then changes, and a result it keeps
    task = claimed(items=[1, 2])
    data = written(task)
    task.payload["items"].append(3)  # type: ignore[union-attr]
    result: dict[str, object] = {"done": 1}
    finished = transitions.complete(task.replace(payload={"items": [1, 2]}), owner="me", now=T0, result=result)
    finished_data = written(finished)
    result["done"] = 2
    # When both rows are read back, then each is what its row holds, in containers of its own
    assert task_rows.decode(data, task.id, 7).payload == {"items": [1, 2]}
    read = task_rows.decode(finished_data, task.id, 7)
    assert read.result == {"done": 1}
    assert read.payload is not finished.payload and read.meta is not finished.meta


@pytest.mark.parametrize("seq", [8, "7", 7.5, None])
def test_a_row_under_another_key_is_decoded_from_its_data(seq: object) -> None:
    task = claimed()
    data = written(task)
    if schema.sequence_number(seq) is None:
        with pytest.raises(BrokenRecord):
            task_rows.decode(data, task.id, seq)
    else:
        assert task_rows.decode(data, task.id, seq).seq == 8


def test_a_row_changed_since_this_page_wrote_it_is_decoded_from_its_data() -> None:
    # Given a claimed task written here, then cancelled by another tab (its row rewritten there)
    task = claimed()
    written(task)
    elsewhere = schema.encode(transitions.cancel(task, T0))["data"]
    # When this page reads the row, then it sees the other tab's version
    assert task_rows.decode(elsewhere, task.id, 7).cancel_requested is True


def test_the_memo_keeps_only_the_newest_rows_and_never_a_long_one() -> None:
    for i in range(task_rows.MEMO_ROWS + 3):
        written(claimed(f"t{i}"))
    assert len(task_rows._written) == task_rows.MEMO_ROWS
    assert "t0" not in task_rows._written and f"t{task_rows.MEMO_ROWS + 2}" in task_rows._written
    written(claimed("t5", blob="x" * task_rows.MEMO_MAX_CHARS))
    assert "t5" not in task_rows._written


def test_a_row_numbered_by_the_key_generator_reads_back_as_its_decode_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a new task written unnumbered (as an enqueue does), numbered 42 by the key generator
    task = make_task("new", payload={"i": [1]})
    data = schema.encode(task, numbered=False)["data"]
    new = task_rows.NewRows([lambda: [42]], [data])
    assert run(task_rows.numbered(new, [task])) == [task.replace(seq=42)]
    # When the claim reads the row back, then it is its decode, and nothing was parsed as untrusted
    decoded = schema.decode(data, task.id, 42)
    monkeypatch.setattr(schema, "decode", lambda *_: pytest.fail("decoded a row this page numbered"))
    read = task_rows.decode(data, task.id, 42)
    assert read == decoded and read.payload is not task.payload


def test_the_memo_keeps_its_rows_under_a_total_size() -> None:
    # Given rows just under the size of one remembered row, more of them than the total allows
    blob = "x" * (task_rows.MEMO_MAX_CHARS - 500)
    count = task_rows.MEMO_TOTAL_CHARS // len(blob) + 2
    for i in range(count):
        written(claimed(f"t{i}", blob=blob))
    # Then only the newest are kept, their data within the total, and a row written again is counted once
    sizes = [len(data) for data, _, _ in task_rows._written.values()]
    assert sum(sizes) <= task_rows.MEMO_TOTAL_CHARS < sum(sizes) + sizes[0]
    assert f"t{count - 1}" in task_rows._written and "t0" not in task_rows._written
    newest = list(task_rows._written)[-1]
    before = sum(sizes)
    written(claimed(newest, blob=blob))
    assert sum(len(data) for data, _, _ in task_rows._written.values()) == before


def test_a_forgotten_row_is_decoded_from_its_data(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a row this page wrote, then the memo forgotten (as the benches' depth case does)
    task = claimed(items=[1])
    data = written(task)
    task_rows.forget()
    # When it is read back, then it is parsed from its data, and the memo holds nothing
    decoded: list[str] = []
    real = schema.decode
    monkeypatch.setattr(schema, "decode", lambda *args: decoded.append(args[1]) or real(*args))
    assert task_rows.decode(data, task.id, 7) == task
    assert decoded == [task.id] and not task_rows._written and task_rows._chars == 0
