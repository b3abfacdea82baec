"""The memory's reader rules, under CPython: a record of the wrong shape is set aside with its reason, never loaded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.async_support import run
from web.memory import logic, reader
from web.memory.model import Memory, SetAside, to_record
from web.memory.store import InMemoryBackend, apply_change

T0 = 1_750_000_000_000.0
UNIT = {
    "id": "u1",
    "text": "A note.",
    "content_hash": "h1",
    "session_id": "2025-06-15",
    "created_at": T0,
    "updated_at": T0,
}
CLAIM = {
    "id": "c1",
    "text": "A claim.",
    "terms": ["claim"],
    "negated": False,
    "sources": ["u1"],
    "confidence": 0.7,
    "support": 1,
    "created_at": T0,
    "last_seen": T0,
}


@pytest.mark.parametrize(
    ("store", "record", "reason"),
    [
        ("units", {**UNIT, "text": 5}, "text must be text, got int 5"),
        ("units", {**UNIT, "created_at": "yesterday"}, "created_at must be a number, got str 'yesterday'"),
        ("units", {**UNIT, "created_at": True}, "created_at must be a number, got bool True"),
        ("units", {**UNIT, "updated_at": -1}, "updated_at must lie in 0..8.64e+15, got -1"),
        ("units", {**UNIT, "updated_at": 1e300}, "updated_at must lie in 0..8.64e+15"),
        ("units", {**UNIT, "text": "x" * 20_001}, "text holds 20001 characters, more than 20000"),
        ("units", {**UNIT, "id": "u" * 201}, "id holds 201 characters, more than 200"),
        ("units", {**UNIT, "saves": 1.5}, "saves must be an integer, got float 1.5"),
        ("units", {**UNIT, "saves": 2**60}, "saves must lie in 0.."),
        ("units", {**UNIT, "extracted_hash": {"deep": [[[]]]}}, "extracted_hash must be text, got dict"),
        ("units", {k: v for k, v in UNIT.items() if k != "content_hash"}, "field 'content_hash' is missing"),
        ("units", ["not", "an", "object"], "a record must be an object, got list"),
        ("units", 42, "a record must be an object, got int 42"),
        ("claims", {**CLAIM, "confidence": 1.5}, "confidence must lie in 0..1, got 1.5"),
        ("claims", {**CLAIM, "sources": "u1"}, "sources must be a list, got str 'u1'"),
        ("claims", {**CLAIM, "terms": ["ok", 3]}, "terms[1] must be text, got int 3"),
        ("claims", {**CLAIM, "negated": "no"}, "negated must be true or false, got str 'no'"),
        ("claims", {**CLAIM, "decayed_slot": -2}, "decayed_slot must lie in -1.."),
        ("flags", {"id": "f", "kind": "<b>", "claim_ids": [], "term": "", "note": "", "created_at": T0}, "kind must"),
        ("meta", {"id": "meta", "revision": "3"}, "revision must be an integer, got str '3'"),
        ("meta", {"id": "other", "revision": 3}, "the meta record's id must be 'meta'"),
    ],
)
def test_a_record_of_the_wrong_shape_is_set_aside_with_the_reason(store: str, record: Any, reason: str) -> None:
    memory, loaded = reader.load({store: [record], "units": [UNIT] if store != "units" else [UNIT, record]})
    (aside,) = memory.set_aside
    assert aside.store == store and reason in aside.reason, aside
    assert "u1" in memory.units and loaded["units"] == [UNIT]
    assert record not in loaded[store]


def test_good_records_load_with_their_defaults_and_unknown_keys_ignored() -> None:
    memory, loaded = reader.load(
        {"units": [{**UNIT, "extra": 1}], "claims": [CLAIM], "meta": [{"id": "meta", "revision": 4}]}
    )
    assert memory.set_aside == [] and memory.units["u1"].saves == 1 and memory.units["u1"].extracted_hash is None
    assert memory.claims["c1"].sources == ("u1",) and memory.revision == 4
    assert loaded["claims"] == [CLAIM]


@pytest.mark.parametrize(
    ("key", "data", "reason"),
    [
        ("u1", 7, "the row's data must be JSON text, got int 7"),
        ("u1", "{not json", "the row's data is not JSON"),
        ("u1", "[" * 100_000 + "]" * 100_000, "the row's data is not JSON"),
        ("u1", "5", "a record must be an object, got int 5"),
        ("u1", json.dumps({**UNIT, "id": "u2"}), "the record's id str 'u2' is not its row's key"),
    ],
)
def test_a_stored_row_that_holds_no_record_is_refused_with_the_reason(key: str, data: object, reason: str) -> None:
    with pytest.raises(reader.BadRecord, match=None) as caught:
        reader.decode_row("units", key, data)
    assert reason in str(caught.value)


def test_a_change_neither_rewrites_nor_deletes_what_was_set_aside() -> None:
    # Given stored records, one of the wrong shape, and a row that could not be decoded
    stored = to_record(reader.check("units", UNIT))
    junk = {**stored, "id": "u-bad", "created_at": "yesterday"}
    unreadable = SetAside("units", "u-raw", "the row's data is not JSON")

    # When a change adds a note
    saved, writes = apply_change(
        {"units": [stored, junk]}, lambda m: logic.save_unit(m, "Another note here.", T0 + 1), [unreadable]
    )

    # Then only the new note is written: the junk stays as it was, named but untouched
    puts, deletes = writes["units"]
    assert [r["id"] for r in puts] == [saved.unit.id] and deletes == []


def test_the_memory_backend_boots_over_junk_and_the_forms_keep_working() -> None:
    async def scenario() -> None:
        backend = InMemoryBackend()
        backend._records = {"units": {"u1": UNIT, "u-bad": {**UNIT, "id": "u-bad", "text": 5}}}
        memory = await backend.read()
        assert list(memory.units) == ["u1"] and [s.id for s in memory.set_aside] == ["u-bad"]
        saved = await backend.change(lambda m: logic.save_unit(m, "Still works.", T0 + 1))
        again = await backend.read()
        assert saved.unit.id in again.units and "u-bad" in backend._records["units"]
        assert [s.id for s in again.set_aside] == ["u-bad"]

    run(scenario())


def test_an_import_writes_only_the_records_that_pass_and_returns_the_others() -> None:
    async def scenario() -> None:
        backend = InMemoryBackend()
        aside = await backend.put_records({"units": [UNIT, {**UNIT, "id": "u2", "created_at": "now"}]})
        assert [s.id for s in aside] == ["u2"]
        assert list((await backend.read()).units) == ["u1"]

    run(scenario())


def test_the_page_text_names_the_first_records_and_counts_the_rest() -> None:
    items = [SetAside("units", f"u{i}", "text must be text, got int 5") for i in range(7)]
    text = reader.describe(items, limit=2)
    assert text == (
        "Set aside 7 memory records of the wrong shape: units u0: text must be text, got int 5; "
        "units u1: text must be text, got int 5; and 5 more."
    )
    assert reader.describe([]) == ""
    assert Memory().set_aside == []
