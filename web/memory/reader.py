"""Reader rules for the memory's records: every record read from storage or from an import file is checked
field by field before it enters the model, and a bad one is set aside with the reason instead of raising later.

A record of the wrong shape (a number where text belongs, text where a time
belongs, a list where an object belongs, a string of a megabyte) would
otherwise load, and then every render and every form that touches it would
raise. So each field is checked against its annotation in :mod:`.model`: its
type (``bool`` is not a number), finite numbers within a range (times are epoch
milliseconds a JavaScript ``Date`` can hold, confidence and progress lie in
0..1), text and lists of bounded length. Unknown keys are ignored, as before.

A record set aside is not loaded into :class:`~.model.Memory`; it is named in
``Memory.set_aside`` (store, id, reason), which the page shows. In storage it
is left as it is: a change never rewrites or deletes it (changes are diffed
against the loaded records only), "Clear everything" removes it, and a record
written later under the same id (the same note added again) replaces it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from .logic import MAX_NOTE_CHARS
from .model import CONTRADICTION, JSON, REPETITION, Memory, SetAside

MAX_ID_CHARS = 200
MAX_TEXT_CHARS = MAX_NOTE_CHARS
"""Longest text field: no record holds more text than a note may."""
MAX_ITEMS = 100_000
"""Longest list field (a claim's sources, a chain's claims)."""
MAX_ROW_CHARS = 10_000_000
"""Longest stored JSON text of one record: parsing more would stall the page."""
MAX_TIME_MS = 8.64e15
"""The latest time a JavaScript ``Date`` can hold, in epoch milliseconds."""
MAX_INT = 2**53 - 1
"""Larger integers lose precision in JavaScript."""
FRACTIONS = frozenset({"confidence", "progress"})
"""Number fields that lie in 0..1; every other number field is a time (or, for integers, a count)."""
MIN_INT = {"decayed_slot": -1}
"""Integer fields that may go below zero, and how far."""
FLAG_KINDS = frozenset({CONTRADICTION, REPETITION})
META_INTS = {"revision": 0, "decay_slot": -1}
"""The meta record's fields (all integers) and their least value."""


class BadRecord(ValueError):
    """Raised when a record fails a reader rule; the message names the field and what is wrong."""


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '…' if len(text) > 40 else text}"


def _text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise BadRecord(f"{name} must be text, got {_describe(value)}")
    if len(value) > limit:
        raise BadRecord(f"{name} holds {len(value)} characters, more than {limit}")
    return value


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRecord(f"{name} must be a number, got {_describe(value)}")
    if not math.isfinite(value):
        raise BadRecord(f"{name} must be a finite number, got {value}")
    low, high = (0.0, 1.0) if name in FRACTIONS else (0.0, MAX_TIME_MS)
    if not low <= value <= high:
        raise BadRecord(f"{name} must lie in {low:g}..{high:g}, got {value:g}")
    return float(value)


def _integer(name: str, value: object, low: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRecord(f"{name} must be an integer, got {_describe(value)}")
    if not low <= value <= MAX_INT:
        raise BadRecord(f"{name} must lie in {low}..{MAX_INT}, got {value}")
    return value


def _field(name: str, hint: Any, value: object) -> object:
    """*value* checked against the field's annotation *hint*."""
    if isinstance(hint, types.UnionType):  # ``X | None``
        (inner,) = [h for h in typing.get_args(hint) if h is not type(None)]
        return None if value is None else _field(name, inner, value)
    if typing.get_origin(hint) is tuple:  # ``tuple[str, ...]``
        if not isinstance(value, list | tuple):
            raise BadRecord(f"{name} must be a list, got {_describe(value)}")
        if len(value) > MAX_ITEMS:
            raise BadRecord(f"{name} holds {len(value)} items, more than {MAX_ITEMS}")
        return tuple(_text(f"{name}[{i}]", item, MAX_TEXT_CHARS) for i, item in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise BadRecord(f"{name} must be true or false, got {_describe(value)}")
        return value
    if hint is int:
        return _integer(name, value, MIN_INT.get(name, 0))
    if hint is float:
        return _number(name, value)
    return _text(name, value, MAX_ID_CHARS if name == "id" else MAX_TEXT_CHARS)


def _fields(kind: type) -> list[tuple[str, Any, bool]]:
    hints = typing.get_type_hints(kind)
    return [
        (f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        for f in dataclasses.fields(kind)
    ]


FIELDS = {store: _fields(kind) for store, kind in Memory.KINDS.items()}
"""Per store: each field's name, annotation, and whether a record must have it."""


def check(store: str, record: object) -> Any:
    """The entity of *store*'s kind that *record* describes; raise :class:`BadRecord` if it breaks a rule."""
    if not isinstance(record, dict):
        raise BadRecord(f"a record must be an object, got {_describe(record)}")
    values = {}
    for name, hint, required in FIELDS[store]:
        if name in record:
            values[name] = _field(name, hint, record[name])
        elif required:
            raise BadRecord(f"field {name!r} is missing")
    if store == "flags" and values["kind"] not in FLAG_KINDS:
        raise BadRecord(f"kind must be one of {', '.join(sorted(FLAG_KINDS))}, got {_describe(values['kind'])}")
    return Memory.KINDS[store](**values)


def check_meta(record: object) -> dict[str, JSON]:
    """The meta record's known fields, checked; unknown ones are dropped."""
    if not isinstance(record, dict):
        raise BadRecord(f"a record must be an object, got {_describe(record)}")
    if record.get("id") != "meta":
        raise BadRecord(f"the meta record's id must be 'meta', got {_describe(record.get('id'))}")
    return {name: _integer(name, record[name], low) for name, low in META_INTS.items() if name in record}


def decode_row(store: str, key: object, data: object) -> dict[str, JSON]:
    """The record a stored row holds as JSON text; raise :class:`BadRecord` if it is not one, or not under its key."""
    if not isinstance(data, str):
        raise BadRecord(f"the row's data must be JSON text, got {_describe(data)}")
    if len(data) > MAX_ROW_CHARS:
        raise BadRecord(f"the row holds {len(data)} characters, more than {MAX_ROW_CHARS}")
    try:
        record = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise BadRecord(f"the row's data is not JSON: {str(e)[:80]}") from None
    if not isinstance(record, dict):
        raise BadRecord(f"a record must be an object, got {_describe(record)}")
    if record.get("id") != key:
        raise BadRecord(f"the record's id {_describe(record.get('id'))} is not its row's key")
    return record


def label(value: object) -> str:
    """A record's id as it can be shown, whatever it is (``""`` for none)."""
    text = "" if value is None else value if isinstance(value, str) else repr(value)
    return text[:60] + "…" if len(text) > 60 else text


Records = dict[str, list[dict[str, JSON]]]


def load(records: Mapping[str, Iterable[object]], set_aside: Iterable[SetAside] = ()) -> tuple[Memory, Records]:
    """The model of the records that pass the rules, and those records as given (to diff a change against).

    Every other record, and every item of *set_aside* (rows that could not be
    decoded), is listed in the model's ``set_aside``. Unknown stores are ignored.
    """
    memory = Memory(set_aside=list(set_aside))
    loaded: Records = {}
    for store in (*Memory.KINDS, "meta"):
        kept = loaded.setdefault(store, [])
        for record in records.get(store, ()):
            try:
                if store == "meta":
                    memory.meta = check_meta(record)
                else:
                    entity = check(store, record)
                    getattr(memory, store)[entity.id] = entity
            except BadRecord as e:
                key = record.get("id") if isinstance(record, dict) else None
                memory.set_aside.append(SetAside(store, label(key), str(e)))
                continue
            kept.append(record)  # type: ignore[arg-type]  # check() proved it a dict
    return memory, loaded


def describe(set_aside: list[SetAside], limit: int = 5) -> str:
    """One paragraph naming the records set aside and why (the first *limit* of them)."""
    if not set_aside:
        return ""
    n = len(set_aside)
    shown = "; ".join(f"{s.store} {s.id or '(no id)'}: {s.reason}" for s in set_aside[:limit])
    more = f"; and {n - limit} more" if n > limit else ""
    return f"Set aside {n} memory record{'s' if n != 1 else ''} of the wrong shape: {shown}{more}."
