"""What counts as JSON data, checked strictly before anything is written.

``json.dumps`` alone is too lenient for a durable queue: it writes ``NaN`` and
``Infinity`` (which JavaScript's ``JSON.parse`` rejects), turns tuples into
lists and int keys into strings, so a payload would not come back as it went in.
"""

from __future__ import annotations

import json
import math
from typing import Union

JSONValue = Union[  # noqa: UP007 - a recursive alias needs Union at runtime
    None, bool, int, float, str, list["JSONValue"], dict[str, "JSONValue"]
]


class NotJSONData(ValueError):
    """Raised when a value is not JSON data; the message names where and why."""


def check_json_data(value: object, path: str = "payload") -> None:
    """Raise :class:`NotJSONData` unless *value* round-trips through JSON unchanged."""
    _check(value, path, set())


def _check(value: object, path: str, active: set[int]) -> None:
    if isinstance(value, str):
        _check_text(value, path)
        return
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if value.bit_length() > 1024:
            raise NotJSONData(f"{path} is an integer too large for JSON numbers ({value.bit_length()} bits)")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotJSONData(f"{path} is {value!r}, which JSON cannot represent")
        return
    if isinstance(value, (list, dict)):
        if id(value) in active:
            raise NotJSONData(f"{path} contains itself (a cycle)")
        active.add(id(value))
        try:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    _check(item, f"{path}[{i}]", active)
            else:
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise NotJSONData(f"{path} has a key {key!r} that is not a string")
                    _check_text(key, f"{path} key")
                    _check(item, f"{path}.{key}", active)
        finally:
            active.discard(id(value))
        return
    raise NotJSONData(f"{path} is of type {type(value).__name__}, which is not JSON data")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotJSONData(f"{path} contains a lone surrogate, which is not valid Unicode text") from None


def dumps(value: object, *, limit: int | None = None, path: str = "payload") -> str:
    """Check *value* and return its compact JSON text, enforcing a size *limit* in bytes."""
    check_json_data(value, path)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if limit is not None:
        size = len(text.encode("utf-8"))
        if size > limit:
            raise NotJSONData(f"{path} is {size} bytes of JSON, over the limit of {limit} bytes")
    return text
