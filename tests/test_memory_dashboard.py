"""The dashboard's numbers in words, and export/import checks, under CPython (the numbers: test_metrics.py)."""

from __future__ import annotations

import json

import pytest

from pyqueue import ImportReport, ImportSkip
from pyqueue.importing import DUPLICATE_ID, ID_IN_QUEUE
from pyqueue.retention import DAY_MS
from web import formatting, transfer
from web.memory.model import Memory

from .contract_cases import make_task

T0 = 1_750_000_000_000.0


@pytest.mark.parametrize(("ms", "text"), [(None, "—"), (850, "850 ms"), (2_400, "2.4 s"), (186_000, "3.1 min")])
def test_format_ms(ms: float | None, text: str) -> None:
    assert formatting.format_ms(ms) == text


def test_format_age_and_bytes() -> None:
    assert formatting.format_age(DAY_MS) == "24 h"
    assert formatting.format_age(7 * DAY_MS) == "7 days"
    assert formatting.format_age(90_000) == "90 s"
    assert formatting.format_bytes(221_184) == "221.2 kB" and formatting.format_bytes(12) == "12 B"


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
            '{"format": "pyqueue-memory-export", "version": 1, "queue": {"tasks": []}, "memory": {"units": {}}}',
            "memory.units must be a list of records",
        ),
    ],
)
def test_a_bad_import_file_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(transfer.TransferError) as caught:
        transfer.parse(text)
    assert message in str(caught.value)


def test_an_import_sets_aside_memory_records_of_the_wrong_shape_and_keeps_the_rest() -> None:
    # Given an export whose memory holds one good note and three of the wrong shape
    good = {"id": "u1", "text": "Fine.", "content_hash": "h", "session_id": "s", "created_at": T0, "updated_at": T0}
    memory = {
        "units": [good, {**good, "id": "u2", "text": 5}, {**good, "id": "u3", "created_at": "yesterday"}, "junk"],
        "meta": [{"id": "meta", "revision": 2}],
    }
    doc = transfer.build_export([], memory, now=T0, source="x")

    # When it is read
    imported = transfer.parse(transfer.dumps(doc))

    # Then the good records are imported and the others set aside, each with its reason
    assert [u["id"] for u in imported.memory["units"]] == ["u1"] and imported.memory["meta"] == memory["meta"]
    answer = imported.memory_answer()
    assert answer["memory"] == 2
    assert answer["memory_set_aside"] == [
        {"store": "units", "id": "u2", "reason": "text must be text, got int 5"},
        {"store": "units", "id": "u3", "reason": "created_at must be a number, got str 'yesterday'"},
        {"store": "units", "id": "", "reason": "a record must be an object, got str 'junk'"},
    ]
    assert answer["memory_report"].startswith("Set aside 3 memory records of the wrong shape: units u2: text must")


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
